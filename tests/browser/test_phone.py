"""The phone path in real Chromium, with the console provider driving calls: presence in one click, a signed
incoming-call webhook ringing at the operator's console (screen-pop within 2 s), the softphone answering, and
the wallboard's call figures following the call events."""

from __future__ import annotations

import time

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.live_server import web_servers
from tests.test_calls_page import run_worker
from tests.twilio_support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_URL,
    FakeTwilioApi,
    SignedWebhooks,
    new_call_sid,
    payload,
    twilio_config,
)


@pytest.fixture(scope="module")
def live_url(app, database_uri, redis_url, tmp_path_factory):
    """This module's own server: the Twilio auth token and public URL set, so webhooks are signed as Twilio
    signs them (and checked wherever the settings check them)."""
    env = {
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "HOTLINE_AFTER_CALL_SECONDS": "30",
        # where the worker (run in this process) keeps the recordings it fetches, and the server reads them
        "HOTLINE_UPLOAD_DIR": app.config["UPLOAD_DIR"],
    }
    tmp = str(tmp_path_factory.mktemp("phone-web"))
    with web_servers(database_uri, redis_url, count=1, tmp_dir=tmp, extra_env=env) as urls:
        yield urls[0]


class Twilio:
    """Posts signed webhook forms to the live server, as Twilio does."""

    def __init__(self, url: str):
        self.url = url
        self.signer = SignedWebhooks(None)

    def post(self, path: str, form: dict) -> str:
        path = "/integrations/twilio" + path
        sig = self.signer.signature(path, form)
        r = requests.post(self.url + path, data=form, headers={"X-Twilio-Signature": sig}, timeout=10)
        assert r.status_code == 200, r.text
        return r.text


def live(page) -> None:
    expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=10_000)


def test_operator_available_call_pops_and_wallboard_follows(new_page, live_url, app, redis_url):
    from integrations.console.provider import ConsoleProvider

    twilio = Twilio(live_url)
    board = new_page("supervisor")
    live(board)
    expect(board.locator("#c-calls")).to_have_text("0")
    op = new_page("operator")
    live(op)
    expect(op.locator("#presence-state")).to_have_text("离开")  # nobody has said otherwise yet
    op.click("[data-presence=available]")
    expect(op.locator("#presence-state")).to_have_text("示闲")
    expect(board.locator("#operators [data-user=operator]")).to_have_attribute("data-status", "available")
    expect(board.locator("#c-free")).to_have_text("1")

    sid = new_call_sid()
    twilio.post("/voice", payload("voice_incoming", CallSid=sid, From="+8613912345678"))
    xml = twilio.post("/voice/menu", payload("voice_incoming", CallSid=sid, From="+8613912345678", Digits="0"))
    asked = time.monotonic()
    assert "<Client" in xml
    expect(op.locator("#screen-pop")).to_be_visible(timeout=2_000)
    expect(op.locator("#pop-number")).to_have_text("+8613912345678", timeout=2_000)
    assert time.monotonic() - asked < 2.0
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "ringing")
    expect(op.locator("#caller_phone")).to_have_value("+8613912345678")
    expect(board.locator("#c-calls")).to_have_text("1", timeout=2_000)
    expect(board.locator("#c-busy")).to_have_text("1")
    shot(op, "operator-ringing")

    op.keyboard.press("Alt+P")  # answer
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "talking")
    expect(board.locator("#c-calls")).to_have_text("0", timeout=2_000)
    expect(board.locator("#c-answered")).to_have_text("1")
    expect(board.locator("#c-within")).to_have_text("1")
    board.wait_for_timeout(300)
    shot(board, "wallboard-calls")

    op.click("#ph-mute")
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "muted")
    # 转接 to the department's hotline number: the operator is free at once, a worker redirects the caller's leg
    op.select_option("#ph-transfer-to", "XC-CGJ")
    op.keyboard.press("Alt+T")
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "console")
    expect(board.locator("#c-free")).to_have_text("1", timeout=2_000)
    run_worker(app, redis_url)
    with app.app_context():
        sent = ConsoleProvider.from_config(app.config).sent()
    assert [(r["call_sid"], r["url"]) for r in sent if r["kind"] == "redirect"] == [
        (sid, f"{PUBLIC_URL}/integrations/twilio/voice/transfer?department=XC-CGJ")
    ]

    # after-call work by keyboard, seen by the supervisor; then away
    op.fill("#after-call-seconds", "90")
    op.keyboard.press("Alt+W")
    expect(op.locator("#presence-state")).to_have_text("话后处理")
    expect(op.locator("#after-call-left")).to_contain_text("秒")
    expect(board.locator("#c-after-call")).to_have_text("1", timeout=2_000)
    expect(board.locator("#operators [data-user=operator]")).to_have_attribute("data-status", "after_call")
    op.keyboard.press("Alt+L")
    expect(board.locator("#c-away")).to_have_text("1", timeout=2_000)


def test_missed_call_is_called_back_and_a_voice_message_plays(new_page, live_url, app, redis_url):
    twilio = Twilio(live_url)
    # a caller waits for a person, nobody is available, and hangs up: a missed call (回拨)
    missed = new_call_sid()
    twilio.post("/voice", payload("voice_incoming", CallSid=missed, From="+8613900002222"))
    assert "<Enqueue" in twilio.post("/voice/menu", payload("voice_incoming", CallSid=missed, Digits="0"))
    twilio.post("/voice/queue-exit", payload("enqueue_action", CallSid=missed, QueueResult="hangup"))
    twilio.post("/voice/status", payload("call_status", CallSid=missed, From="+8613900002222"))
    # another leaves a voice message, recorded at Twilio
    message = new_call_sid()
    twilio.post("/voice", payload("voice_incoming", CallSid=message, From="+8613900003333"))
    twilio.post("/voice/voicemail", payload("record_action", CallSid=message, From="+8613900003333"))

    with FakeTwilioApi() as fake:
        old = twilio_config(app, fake.base)
        try:
            run_worker(app, redis_url)  # the worker fetches the recording from "Twilio"
            assert [r["path"] for r in fake.requests if r["method"] == "GET"] == [
                f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE0f1e2d3c4b5a69788796a5b4c3d2e1f0.wav"
            ]
            page = new_page("operator")
            page.goto("/agents/calls")
            live(page)
            row = page.locator("#missed tbody tr", has_text="+8613900002222")
            expect(row).to_be_visible()
            expect(page.locator("#log tbody tr", has_text="+8613900002222").locator(".outcome")).to_have_text("放弃")

            # the voice message plays from our server
            vm = page.locator("#voicemails tbody tr", has_text="+8613900003333")
            expect(vm.locator("a", has_text="XC")).to_be_visible()  # its ticket
            vm.locator("[data-play]").click()
            audio = vm.locator("audio")
            expect(audio).to_have_attribute("src", __import__("re").compile(r"^/api/v1/calls/\d+/recording$"))
            page.wait_for_function(
                "a => a.readyState >= 2 && !a.error && a.duration > 0.9", arg=audio.element_handle(), timeout=5_000
            )
            page.wait_for_function("a => a.currentTime > 0", arg=audio.element_handle(), timeout=5_000)
            shot(page, "calls-page")

            # 回拨: the button opens the console, whose softphone calls the citizen (console provider: Answer stands
            # for the citizen picking up), and the result is recorded on the missed call
            missed_id = int(row.get_attribute("data-call"))
            row.locator("[data-call-back]").click()
            page.wait_for_url("**/agents/operator")
            expect(page.locator("#phone-state")).to_have_attribute("data-state", "calling")
            expect(page.locator("#phone-caller")).to_have_text("+8613900002222")
            page.keyboard.press("Alt+P")
            expect(page.locator("#phone-state")).to_have_attribute("data-state", "talking")
            page.wait_for_timeout(1100)
            page.keyboard.press("Alt+X")
            expect(page.locator("#phone-state")).to_have_attribute("data-state", "console")
            back = _outbound(app, callback_of=missed_id)
            assert len(back) == 1 and back[0].outcome == "answered" and back[0].to_number == "+8613900002222"
            assert back[0].talk_seconds >= 1
            page.goto("/agents/calls")
            live(page)
            expect(page.locator("#missed tbody tr", has_text="+8613900002222")).to_have_count(0)
            expect(page.locator(f"#log tbody tr[data-call='{back[0].id}'] .outcome")).to_have_text("接通")

            # a callback survey by hand (回访): the callbacks page's link dials the number; nobody answers
            page.goto("/agents/operator?dial=13900005555")
            expect(page.locator("#phone-state")).to_have_attribute("data-state", "calling")
            page.keyboard.press("Alt+X")
            expect(page.locator("#phone-state")).to_have_attribute("data-state", "console")
            [survey] = [c for c in _outbound(app) if c.to_number == "+8613900005555"]
            assert survey.outcome == "no_answer" and survey.callback_of_id is None
            assert not [r for r in fake.requests if "/Calls" in r["path"]]  # the softphone's calls: no REST call
        finally:
            app.config.update(old)


def _outbound(app, callback_of: int | None = None) -> list:
    from sqlalchemy import select

    from hotline.extensions import db
    from hotline.models import Call

    with app.app_context():
        query = select(Call).where(Call.direction == "outbound").order_by(Call.id)
        if callback_of is not None:
            query = query.where(Call.callback_of_id == callback_of)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def test_leader_on_duty_gets_the_call_and_records_a_ticket(new_page, live_url):
    import datetime as dt

    from hotline.deadlines.calendar import TZ

    board = new_page("supervisor")
    board.goto("/agents/leader-slots")
    now = dt.datetime.now(TZ)
    board.select_option("select[name=leader]", "leader")
    board.fill("input[name=starts_at]", (now - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    board.fill("input[name=ends_at]", (now + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    board.fill("input[name=note]", "周五领导接听")
    board.click("#slot-form button[type=submit]")
    expect(board.locator("#slots tbody tr[data-leader=leader]")).to_contain_text("周五领导接听")

    leader = new_page("leader")
    assert leader.url.endswith("/agents/leader")
    expect(leader.locator("h1")).to_have_text("领导接听")
    live(leader)
    twilio = Twilio(live_url)
    sid = new_call_sid()
    twilio.post("/voice", payload("voice_incoming", CallSid=sid, From="+8613700004444"))
    asked = time.monotonic()
    twilio.post("/voice/menu", payload("voice_incoming", CallSid=sid, From="+8613700004444", Digits="0"))
    expect(leader.locator("#pop-number")).to_have_text("+8613700004444", timeout=2_000)
    assert time.monotonic() - asked < 2.0
    leader.keyboard.press("Alt+P")
    expect(leader.locator("#phone-state")).to_have_attribute("data-state", "talking")
    leader.select_option("select[name=type]", "help")
    leader.fill("#content", "反映小区冬季供暖不足，室温只有十二度，请协调热力公司解决。")
    leader.keyboard.press("Control+Enter")
    expect(leader.locator("#current-number")).to_have_text(__import__("re").compile(r"^XC\d{13}$"))
    expect(leader.locator("#outcomes")).to_be_hidden()  # the operators dispatch it
    number = leader.locator("#current-number").inner_text()
    leader.keyboard.press("Alt+X")  # hang up
    expect(leader.locator("#phone-state")).to_have_attribute("data-state", "console")
    leader.goto("/agents/calls")
    expect(leader.locator("#log tbody tr", has_text=number)).to_be_visible()

    # the slot removed on the page: the schedule is empty again
    board.locator("#slots tbody tr[data-leader=leader] [data-remove]").click()
    expect(board.locator("#slots tbody tr[data-leader=leader]")).to_have_count(0)


def test_twilio_softphone_loads_the_sdk_from_our_files_and_registers_with_a_token(
    chromium, app, database_uri, redis_url, tmp_path
):
    """With HOTLINE_TELEPHONY=twilio the console loads Twilio's Voice SDK from our static files (npm, no CDN), gets
    an access token for its identity and registers a Device. There is no Twilio here: registration fails, and the
    phone bar says so instead of pretending to be ready."""
    env = {
        "HOTLINE_TELEPHONY": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_KEY": "SK" + "0" * 32,
        "TWILIO_API_SECRET": "s" * 32,
        "TWILIO_TWIML_APP_SID": "AP" + "1" * 32,
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
    }
    with web_servers(database_uri, redis_url, tmp_dir=str(tmp_path), extra_env=env) as (url,):
        context = chromium.new_context(base_url=url, locale="zh-CN")
        try:
            page = context.new_page()
            requested = []
            page.on("request", lambda r: requested.append(r.url))
            page.goto("/login")
            page.fill("input[name=username]", "operator")
            page.fill("input[name=password]", "demo-operator")
            with page.expect_response("**/api/v1/telephony/token") as token:
                page.click("button[type=submit]")
            assert token.value.status == 200
            body = token.value.json()
            assert body["identity"].startswith("operator-") and body["token"].count(".") == 2
            assert page.evaluate("typeof Twilio.Device") == "function"
            expect(page.locator("#phone-state")).to_have_attribute("data-state", "offline", timeout=15_000)
            assert any(u.endswith("/agents/static/vendor/twilio-voice.min.js") for u in requested)
            assert not [u for u in requested if "cdn" in u or "sdk.twilio.com" in u]
        finally:
            context.close()


def _call_row(app, sid: str):
    from sqlalchemy import select

    from hotline.extensions import db
    from hotline.models import Call

    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.call_sid == sid))
        db.session.expunge(call)
        return call


def _sent_for(app, sid: str, call_id: int) -> list[tuple]:
    """What the console provider did to this call's legs and conference (instead of Twilio's REST API)."""
    from integrations.console.provider import ConsoleProvider

    with app.app_context():
        sent = ConsoleProvider.from_config(app.config).sent(reveal=True)
    steps = []
    for r in sent:
        if r["kind"] == "redirect" and r["call_sid"] == sid:
            steps.append(("redirect", r["url"].removeprefix(PUBLIC_URL)))
        elif r["kind"].startswith("participant") and r.get("conference") == f"call-{call_id}":
            steps.append((r["kind"], r["label"], r.get("to") or r.get("end")))
    return steps


def test_hold_resume_and_warm_transfer_with_the_console_controls(new_page, live_url, app, redis_url):
    """保持 and 咨询转接 with the console provider: the operator holds and resumes a call, consults a supervisor
    (whose console rings), leaves the caller with them; then consults a department and takes the caller back."""
    twilio = Twilio(live_url)
    op = new_page("operator")
    live(op)
    op.click("[data-presence=available]")
    expect(op.locator("#presence-state")).to_have_text("示闲")
    sid = new_call_sid()
    twilio.post("/voice", payload("voice_incoming", CallSid=sid, From="+8613911112222"))
    twilio.post("/voice/menu", payload("voice_incoming", CallSid=sid, From="+8613911112222", Digits="0"))
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "ringing")
    expect(op.locator("#ph-hold")).to_be_disabled()
    op.keyboard.press("Alt+P")
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "talking")

    op.keyboard.press("Alt+H")  # hold
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "held")
    expect(op.locator("#ph-hold")).to_contain_text("恢复通话")
    expect(op.locator("#ph-transfer")).to_be_disabled()
    call = _call_row(app, sid)
    assert call.held_at is not None and call.ended_at is None
    op.click("#ph-hold")  # resume
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "talking")
    run_worker(app, redis_url)
    assert _sent_for(app, sid, call.id) == [
        ("redirect", f"/integrations/twilio/voice/conference?call={call.id}&hold=1"),
        ("redirect", f"/integrations/twilio/voice/resume?call={call.id}"),
    ]
    assert _call_row(app, sid).held_at is None

    # 咨询转接 to a supervisor: their console rings, they answer, the operator leaves the caller with them
    sup = new_page("supervisor")
    sup.goto("/agents/operator")
    live(sup)
    sup.click("[data-presence=available]")
    expect(sup.locator("#presence-state")).to_have_text("示闲")
    op.select_option("#ph-transfer-to", "supervisor")
    op.keyboard.press("Alt+C")
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "consulting")
    expect(sup.locator("#phone-state")).to_have_attribute("data-state", "ringing", timeout=2_000)
    expect(sup.locator("#phone-caller")).to_contain_text("+8613911112222")
    expect(sup.locator("#pop-number")).to_have_text("+8613911112222")  # the screen-pop: who is calling
    expect(sup.locator("#presence-state")).to_have_text("示忙")
    sup.keyboard.press("Alt+P")
    expect(sup.locator("#phone-state")).to_have_attribute("data-state", "talking")
    expect(sup.locator("#ph-hold")).to_be_disabled()  # not theirs yet
    op.click("#ph-complete")
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "console")
    expect(op.locator("#presence-state")).to_have_text("示闲")
    expect(sup.locator("#ph-hold")).to_be_enabled()  # the caller is the supervisor's now
    call = _call_row(app, sid)
    assert (call.transfer_kind, call.transferred_to, call.consult_target) == ("warm", f"user:{call.operator_id}", None)
    run_worker(app, redis_url)
    steps = _sent_for(app, sid, call.id)[2:]
    assert steps == [
        ("redirect", f"/integrations/twilio/voice/conference?call={call.id}"),
        ("participant", "consult", f"client:operator-{call.operator_id}"),
        ("participant-update", "consult", True),
    ]
    sup.keyboard.press("Alt+X")
    expect(sup.locator("#phone-state")).to_have_attribute("data-state", "console")
    assert _call_row(app, sid).ended_at is not None
    sup.keyboard.press("Alt+L")
    expect(sup.locator("#presence-state")).to_have_text("离开")

    # 咨询转接 to a department's hotline, then the operator takes the caller back and hangs up
    sid = new_call_sid()
    twilio.post("/voice", payload("voice_incoming", CallSid=sid, From="+8613911113333"))
    twilio.post("/voice/menu", payload("voice_incoming", CallSid=sid, From="+8613911113333", Digits="0"))
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "ringing")
    op.keyboard.press("Alt+P")
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "talking")
    op.select_option("#ph-transfer-to", "XC-CGJ")
    op.click("#ph-consult")
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "consulting")
    op.keyboard.press("Alt+K")  # take the caller back
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "talking")
    call = _call_row(app, sid)
    assert call.consult_target is None and call.transfer_kind is None
    run_worker(app, redis_url)
    assert _sent_for(app, sid, call.id) == [
        ("redirect", f"/integrations/twilio/voice/conference?call={call.id}"),
        ("participant", "consult", "+8613900000001"),
        ("participant-remove", "consult", None),
        ("participant-update", "operator", True),
    ]
    op.keyboard.press("Alt+X")
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "console")
    assert _call_row(app, sid).ended_at is not None


def test_admin_sets_an_operators_own_phone_which_rings_when_no_softphone_is_open(new_page, live_url, app):
    """The people page sets an operator's own phone; a call routed to an operator whose console is closed dials
    that number (and the softphone while the console is open)."""
    from hotline import presence

    admin = new_page("admin")
    admin.goto("/agents/admin/users")
    row = admin.locator("#user-operator")
    row.locator("input[name=phone]").fill("139 5555 0002")
    row.locator("form.edit-user button[type=submit]").click()
    expect(admin.locator("#user-operator input[name=phone]")).to_have_value("+8613955550002")

    op = new_page("operator")
    live(op)
    op.click("[data-presence=available]")
    expect(op.locator("#presence-state")).to_have_text("示闲")
    operator_id = int(op.locator("#phone").get_attribute("data-user-id"))
    twilio = Twilio(live_url)
    sid = new_call_sid()
    twilio.post("/voice", payload("voice_incoming", CallSid=sid))
    xml = twilio.post("/voice/menu", payload("voice_incoming", CallSid=sid, Digits="0"))
    assert f"operator-{operator_id}</Client>" in xml  # the console is open: its softphone rings
    twilio.post("/voice/status", payload("call_status", CallSid=sid))
    expect(op.locator("#presence-state")).to_have_text("示闲")

    op.context.close()  # the console is gone (still "available" for HOTLINE_CONSOLE_GONE_SECONDS)
    deadline = time.monotonic() + 10
    with app.app_context():
        while presence.online(operator_id) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not presence.online(operator_id)
    sid = new_call_sid()
    twilio.post("/voice", payload("voice_incoming", CallSid=sid))
    xml = twilio.post("/voice/menu", payload("voice_incoming", CallSid=sid, Digits="0"))
    assert "<Number" in xml and "+8613955550002</Number>" in xml and "<Client" not in xml
    twilio.post("/voice/status", payload("call_status", CallSid=sid))

    row.locator("input[name=phone]").fill("")
    row.locator("form.edit-user button[type=submit]").click()
    expect(admin.locator("#user-operator input[name=phone]")).to_have_value("")
