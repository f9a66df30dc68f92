"""The citizen's pages in real Chromium: a lost retrieval code sent again from /track (a wrong phone, then the
right one; the SMS goes through the outbox, RQ and the console provider), and a letter to the leaders'
mailbox that a leader then finds in their list."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect
from rq import Queue, SimpleWorker

from hotline.extensions import get_redis
from hotline.outbox import relay_all
from hotline.tasks import QUEUES
from tests.browser.conftest import shot
from tests.conftest import new_ticket_body


def _sms_for(app, redis_url, number: str, count: int, timeout: float = 10.0) -> list[str]:
    """Deliver what is waiting (this process's relay and the server's both feed RQ; a worker runs the jobs) until
    `count` SMS mention `number`; their bodies, oldest first."""
    from integrations.console.provider import ConsoleProvider

    deadline = time.monotonic() + timeout
    bodies: list[str] = []
    while time.monotonic() < deadline:
        with app.app_context():
            relay_all()
            redis = get_redis(redis_url)
            SimpleWorker([Queue(q, connection=redis) for q in QUEUES], connection=redis).work(burst=True)
            sent = ConsoleProvider.from_config(app.config).sent(reveal=True)  # as the citizen's phone reads it
        bodies = [r["body"] for r in sent if r["kind"] == "sms" and number in r["body"]]
        if len(bodies) >= count:
            return bodies
        time.sleep(0.3)
    return bodies


def _code(body: str) -> str:
    return re.search(r"提取码(?:为)?(\d{6})", body).group(1)


def test_lost_code_resent_from_the_track_page(chromium, live_url, api, app, redis_url):
    t = api.as_("operator").post("/tickets", new_ticket_body(channel="phone", caller_phone="13812345678")).get_json()
    number = t["number"]
    [receipt] = _sms_for(app, redis_url, number, 1)
    old = _code(receipt)

    context = chromium.new_context(base_url=live_url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"/track?number={number}")
        page.click("#lost-code summary")
        expect(page.locator("#lost-code summary")).to_have_text("忘记提取码？")
        form = page.locator("#lost-code form")
        form.locator("input[name=number]").fill(number)
        form.locator("input[name=phone]").fill("13900000000")  # not the caller's
        form.locator("button[type=submit]").click()
        expect(page.locator("#resend-done")).to_be_visible()
        assert len(_sms_for(app, redis_url, number, 2, timeout=3)) == 1  # nothing more was sent

        form = page.locator("#lost-code form")
        form.locator("input[name=number]").fill(number)
        form.locator("input[name=phone]").fill("138 1234 5678")  # the caller's, typed with spaces
        form.locator("button[type=submit]").click()
        expect(page.locator("#resend-done")).to_be_visible()
        shot(page, "track-lost-code")
        bodies = _sms_for(app, redis_url, number, 2)
        assert len(bodies) == 2 and "原提取码已失效" in bodies[1]
        new = _code(bodies[1])

        page.goto("/track")
        page.fill("form.card input[name=number]", number)
        page.fill("form.card input[name=code]", new)
        page.click("form.card button[type=submit]")
        expect(page.locator("text=" + number).first).to_be_visible()
        expect(page.locator(".error")).to_have_count(0)
        if new != old:  # the old code no longer opens it
            page.goto(f"/track?number={number}&code={old}")
            expect(page.locator("p.error[role=alert]")).to_be_visible()
    finally:
        context.close()


def test_letter_to_the_leaders_mailbox_reaches_the_leaders_list(chromium, live_url, new_page):
    context = chromium.new_context(base_url=live_url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/")
        page.click("text=领导信箱")
        expect(page.locator("h1")).to_have_text("领导信箱")
        page.select_option("select[name=type]", "suggestion")
        page.fill("input[name=title]", "建议增设老城区公共停车位")
        page.fill("textarea[name=content]", "老城区停车难，建议利用闲置地块增设公共停车位。")
        page.select_option("select[name=region]", "341802001")
        page.fill("input[name=phone]", "13812345670")
        page.check("input[name=publishable][value=no]")
        page.click("button.primary")
        number = page.locator("#number").inner_text()
        assert re.fullmatch(r"XC\d{13}", number)
        shot(page, "mailbox-received")
    finally:
        context.close()

    leader = new_page("leader")
    leader.click("nav >> text=领导信箱")
    row = leader.locator("#mailbox tbody tr", has_text=number)
    expect(row).to_contain_text("建议增设老城区公共停车位")
    shot(leader, "leader-mailbox")
    row.locator("a").click()
    expect(leader.locator("body")).to_contain_text(number)


def test_citizen_reads_the_monthly_rankings(chromium, live_url, api):
    """Five tickets of 市城市管理局 and two of 市生态环境局 rated in November 2026: the page ranks the first and lists
    the second without a rank; the month links lead back and forth."""
    import datetime as dt

    import time_machine

    from hotline.deadlines.calendar import TZ
    from tests.test_citizen_loop import _closed_ticket

    with time_machine.travel(dt.datetime(2026, 11, 10, 10, tzinfo=TZ), tick=False):
        for i in range(5):
            _closed_ticket(api, "XC-CGJ", 1 if i < 4 else 3)
        for _ in range(2):
            _closed_ticket(api, "XC-STHJJ", 1)
    context = chromium.new_context(base_url=live_url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/")
        page.click("text=办理情况公开")
        expect(page.locator("h1")).to_contain_text("办理情况公开")
        page.goto("/published/rankings?month=2026-10")
        page.click("#next-month")
        expect(page.locator("h1")).to_contain_text("2026-11")
        cgj = page.locator('tr[data-department="XC-CGJ"]')
        expect(cgj.locator("td.rank")).to_have_text("1")
        expect(cgj).to_contain_text("80.0%")  # satisfaction: 4 of 5
        sthjj = page.locator('tr[data-department="XC-STHJJ"]')
        expect(sthjj.locator("td.rank")).to_have_text("—")  # 2 tickets: fewer than 5, no rank
        expect(sthjj).to_contain_text("100.0%")
        shot(page, "public-rankings")
    finally:
        context.close()
