"""The citizen's loop: the receipt SMS at intake for every channel (the phone included), a lost code sent
again, the SMS at the close (merged tickets name the ticket they joined), the leaders' mailbox, and the
public monthly rankings. SMS go through the outbox and a real RQ worker to the console provider's log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from rq import Queue, SimpleWorker
from sqlalchemy import select

from hotline.deadlines.calendar import TZ
from hotline.extensions import db, get_redis
from hotline.models import OutboxMessage, Ticket
from hotline.outbox import job_args, relay_all
from hotline.tasks import QUEUES
from tests.conftest import new_ticket_body


def sms_jobs(app, ticket_id: int) -> list[list]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "job").order_by(OutboxMessage.id))
        payloads = [m.payload for m in rows if m.payload["func"] == "hotline.tasks.notify.send_sms"]
        return [args for args in map(job_args, payloads) if args[2] == ticket_id]


def deliver(app, redis_url) -> None:
    """The relay hands the outbox to RQ; a worker runs the jobs (the console provider records the SMS)."""
    with app.app_context():
        relay_all()
        redis = get_redis(redis_url)
        SimpleWorker([Queue(q, connection=redis) for q in QUEUES], connection=redis).work(burst=True)


def _console(app):
    from integrations.console.provider import ConsoleProvider

    return ConsoleProvider.from_config(app.config)


@pytest.fixture(autouse=True)
def console_mark(app):
    """The console log is shared by the run (and ticket ids restart each test): read only this test's lines."""
    global _MARK
    _MARK = len(_console(app).sent())


_MARK = 0


def sent_to(app, ticket_id: int) -> list[dict]:
    sent = _console(app).sent(reveal=True)[_MARK:]
    return [r for r in sent if r["kind"] == "sms" and r.get("ticket_id") == ticket_id]


# ---- receipt at intake ------------------------------------------------------------------------------


def test_phone_channel_intake_sends_the_receipt_sms(app, api, redis_url):
    t = api.as_("operator").post("/tickets", new_ticket_body(channel="phone", caller_phone="13812345678")).get_json()
    [args] = sms_jobs(app, t["id"])
    to, body, ticket_id, unless_opted_out = args
    assert to == "+8613812345678" and ticket_id == t["id"] and unless_opted_out is True
    code = re.search(r"提取码(\d{6})", body).group(1)
    assert t["number"] in body
    deliver(app, redis_url)
    [sms] = sent_to(app, t["id"])
    assert sms["to"] == "+8613812345678" and sms["body"] == body
    # the code in the SMS opens the ticket's public status
    r = api.client.get(f"/api/v1/public/tickets/{t['number']}?code={code}")
    assert r.status_code == 200 and r.get_json()["status"] == "received"


def test_no_receipt_to_a_landline_and_none_to_a_caller_who_opted_out(app, api, redis_url):
    from hotline.actions.surveys import handle_survey_sms

    landline = api.as_("operator").post("/tickets", new_ticket_body(caller_phone="0563-2345678")).get_json()
    assert sms_jobs(app, landline["id"]) == []
    with app.app_context():
        handle_survey_sms("+8613900000077", "TD")  # the caller replied TD to an earlier message
    opted = api.as_("operator").post("/tickets", new_ticket_body(caller_phone="13900000077")).get_json()
    assert len(sms_jobs(app, opted["id"])) == 1  # queued, and dropped when the worker checks the list
    deliver(app, redis_url)
    assert sent_to(app, opted["id"]) == []
    assert sent_to(app, landline["id"]) == []


def test_voice_message_gets_one_receipt(app, api):
    """The voicemail path used to send its own receipt: now the intake's receipt is the only one."""
    with app.app_context():
        from hotline.actions.voice_messages import voice_message
        from hotline.models import Call

        call = Call(
            call_sid="CA" + "1" * 32,
            from_number="+8613812340000",
            to_number="12345",
            direction="inbound",
            status="ringing",
        )
        db.session.add(call)
        db.session.commit()
        _, ticket, code = voice_message(call.call_sid, "https://example.invalid/rec.mp3", "路灯不亮")
        ticket_id = ticket.id
    jobs = sms_jobs(app, ticket_id)
    assert len(jobs) == 1 and f"提取码{code}" in jobs[0][1]


# ---- the close --------------------------------------------------------------------------------------


def test_close_sms_names_the_ticket_and_respects_opt_out(app, api, make_ticket, redis_url):
    t = make_ticket("closed")  # answered directly
    jobs = sms_jobs(app, t["id"])
    assert len(jobs) == 2 and "已办结" in jobs[1][1] and t["number"] in jobs[1][1] and jobs[1][3] is True
    deliver(app, redis_url)
    assert [s["body"] for s in sent_to(app, t["id"])][-1] == jobs[1][1]


def test_merged_ticket_tells_the_caller_which_ticket(app, api):
    op = api.as_("operator")
    a = op.post("/tickets", new_ticket_body(caller_phone="13900000001")).get_json()
    b = op.post("/tickets", new_ticket_body(caller_phone="13900000009")).get_json()
    assert op.act(b["id"], "merge", {"into": a["id"]}).status_code == 200
    closing = sms_jobs(app, b["id"])[-1]
    assert closing[0] == "+8613900000009"
    assert f"并入工单{a['number']}" in closing[1] and b["number"] in closing[1]
    assert len(sms_jobs(app, a["id"])) == 1  # the open ticket's caller got the receipt only


def test_close_after_the_callback_sends_one_sms(app, api, make_ticket):
    t = make_ticket("callback_pending")
    before = len(sms_jobs(app, t["id"]))
    r = api.as_("operator").act(t["id"], "record-callback", {"resolved": 1, "satisfaction": 1})
    assert r.status_code == 200 and r.get_json()["status"] == "closed"
    new = sms_jobs(app, t["id"])[before:]
    assert [j for j in new if "已办结" in j[1]] and len([j for j in new if "已办结" in j[1]]) == 1


# ---- a lost code ------------------------------------------------------------------------------------


def _code_from(body: str) -> str:
    return re.search(r"(?:提取码|提取码为)(\d{6})", body).group(1)


def test_lost_code_resend_with_wrong_and_right_phone(app, api, redis_url):
    t = api.as_("operator").post("/tickets", new_ticket_body(caller_phone="13812345678")).get_json()
    old = _code_from(sms_jobs(app, t["id"])[0][1])
    url = f"/api/v1/public/tickets/{t['number']}/code"
    # a wrong phone, an unknown number: the same 202, nothing sent, the old code still works
    assert api.client.post(url, json={"phone": "13900000000"}).status_code == 202
    assert (
        api.client.post("/api/v1/public/tickets/XC2099010100001/code", json={"phone": "13812345678"}).status_code == 202
    )
    assert len(sms_jobs(app, t["id"])) == 1
    assert api.client.get(f"/api/v1/public/tickets/{t['number']}?code={old}").status_code == 200
    # bad input names the field
    r = api.client.post(url, json={})
    assert r.status_code == 422 and "phone" in r.get_json()["error"]["fields"]
    r = api.client.post(url, json={"phone": "not a phone"})
    assert r.status_code == 422 and "phone" in r.get_json()["error"]["fields"]
    # the right phone (typed another way): a new code by SMS; the old one stops working
    r = api.client.post(url, json={"phone": "+86 138 1234 5678"})
    assert r.status_code == 202 and r.get_json() == {"status": "accepted"}
    jobs = sms_jobs(app, t["id"])
    assert len(jobs) == 2 and jobs[1][0] == "+8613812345678" and len(jobs[1]) == 3  # asked for: always sent
    new = _code_from(jobs[1][1])
    assert api.client.get(f"/api/v1/public/tickets/{t['number']}?code={new}").status_code == 200
    if new != old:
        assert api.client.get(f"/api/v1/public/tickets/{t['number']}?code={old}").status_code == 404
    deliver(app, redis_url)
    assert sent_to(app, t["id"])[-1]["body"] == jobs[1][1]
    # three a ticket a day: the fourth asks in vain (still 202)
    for _ in range(3):
        assert api.client.post(url, json={"phone": "13812345678"}).status_code == 202
    assert len(sms_jobs(app, t["id"])) == 4
    detail = api.as_("supervisor").get(f"/tickets/{t['id']}").get_json()
    assert [e["action"] for e in detail["timeline"]].count("code-resent") == 3


def test_resend_allowance_renews_the_next_local_day(app, api):
    with time_machine.travel(dt.datetime(2026, 12, 7, 23, 0, tzinfo=TZ), tick=False) as clock:
        t = api.as_("operator").post("/tickets", new_ticket_body(caller_phone="13812345678")).get_json()
        url = f"/api/v1/public/tickets/{t['number']}/code"
        for _ in range(4):
            api.client.post(url, json={"phone": "13812345678"})
        assert len(sms_jobs(app, t["id"])) == 1 + 3
        clock.move_to(dt.datetime(2026, 12, 8, 0, 30, tzinfo=TZ))
        api.client.post(url, json={"phone": "13812345678"})
        assert len(sms_jobs(app, t["id"])) == 1 + 4


# ---- the leaders' mailbox ---------------------------------------------------------------------------


def _form_post(client, path: str, data: dict):
    client.get(path)
    with client.session_transaction() as s:
        data = {**data, "csrf": s["csrf"]}
    return client.post(path, data=data)


def test_mailbox_letter_is_a_mailbox_ticket_listed_for_leaders(app, api):
    client = app.test_client()
    page = client.get("/mailbox?lang=zh_Hans_CN").get_data(as_text=True)
    assert "领导信箱" in page
    r = _form_post(
        client,
        "/mailbox",
        {
            "type": "suggestion",
            "title": "建议增设老城区公共停车位",
            "content": "老城区停车难，建议利用闲置地块增设公共停车位。",
            "region": "341802001",
            "phone": "13812345678",
            "publishable": "no",
        },
    )
    assert r.status_code == 303
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        assert ticket.channel == "mailbox" and ticket.title == "建议增设老城区公共停车位"
        number = ticket.number
    # the receipt like any other channel
    assert len(sms_jobs(app, ticket.id)) == 1
    # a web message is not in the mailbox list
    _form_post(
        app.test_client(),
        "/message",
        {
            "type": "complaint",
            "title": "小区门口路灯不亮已经一周",
            "content": "路灯不亮。",
            "region": "341802001",
            "phone": "13812345679",
            "publishable": "no",
        },
    )
    for user, status in (("leader", 200), ("supervisor", 200), ("operator", 403), ("dept_cgj", 403)):
        c = app.test_client()
        c.get("/login")
        with c.session_transaction() as s:
            token = s["csrf"]
        c.post("/login", data={"username": user, "password": f"demo-{user}", "csrf": token})
        r = c.get("/agents/mailbox")
        assert r.status_code == status, user
        if status == 200:
            html = r.get_data(as_text=True)
            assert number in html and "小区门口路灯" not in html


# ---- public monthly rankings ------------------------------------------------------------------------


def _closed_ticket(api, department: str, satisfaction: int) -> None:
    dept_user = {"XC-CGJ": "dept_cgj", "XC-STHJJ": "dept_sthjj"}[department]
    t = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
    steps = [
        ("operator", "dispatch", {"department": department}),
        (dept_user, "sign", None),
        (dept_user, "reply", {"text": "已处理。"}),
        ("supervisor", "approve-reply", None),
        ("operator", "record-callback", {"resolved": 1, "satisfaction": satisfaction}),
    ]
    for user, action, body in steps:
        r = api.as_(user).act(t["id"], action, body)
        assert r.status_code == 200, (action, r.get_json())


def test_public_rankings_from_the_kpi_sql(app, api):
    from hotline.reports.public_rankings import clear_cache

    clear_cache()
    with time_machine.travel(dt.datetime(2026, 11, 10, 10, tzinfo=TZ), tick=False):
        for i in range(5):
            _closed_ticket(api, "XC-CGJ", 1 if i < 4 else 3)
        for _ in range(2):
            _closed_ticket(api, "XC-STHJJ", 1)
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, tzinfo=TZ), tick=False):
        body = api.client.get("/api/v1/public/rankings?month=2026-11").get_json()
        kpis = api.as_("supervisor").get("/reports/kpis?from=2026-11-01&to=2026-11-30").get_json()
        assert api.client.get("/api/v1/public/rankings?month=2026-12").status_code == 422  # not over yet
        r = api.client.get("/api/v1/public/rankings?month=2026-13")
        assert r.status_code == 422 and "month" in r.get_json()["error"]["fields"]
        page = app.test_client().get("/published/rankings?month=2026-11&lang=zh_Hans_CN").get_data(as_text=True)
    assert body["month"] == "2026-11" and body["min_tickets"] == 5
    rows = {r["department"]: r for r in body["departments"]}
    cgj, sthjj = rows["XC-CGJ"], rows["XC-STHJJ"]
    assert cgj["tickets"] == 5 and cgj["rank"] == 1 and cgj["satisfaction_rate"] == 0.8
    assert sthjj["tickets"] == 2 and sthjj["rank"] is None and sthjj["satisfaction_rate"] == 1.0  # too few
    by_kpi = {k["department"]: k for k in kpis}
    for code, row in rows.items():
        k = by_kpi[code]
        assert (row["on_time_rate"], row["resolution_rate"], row["satisfaction_rate"]) == (
            k["resolved_on_time_rate"],
            k["resolution_rate"],
            k["satisfaction_rate"],
        )
        assert row["tickets"] == k["dispatched"]
    assert "办理情况公开" in page and "2026-11" in page
    assert 'data-department="XC-CGJ"><td class="rank">1</td>' in page
    assert 'data-department="XC-STHJJ"><td class="rank">—</td>' in page
