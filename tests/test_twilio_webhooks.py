"""Twilio webhooks replayed from recorded form payloads (tests/fixtures/twilio), signed in the test: the IVR
menu, the operator queue, the status check by keypad, voice messages, SMS, retries, out-of-order status
callbacks, bad signatures and malformed parameters."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from email.utils import format_datetime

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Call, OperatorPresence, OutboxMessage, SmsMessage, Ticket, User
from hotline.outbox import job_args
from tests.twilio_support import (
    SignedWebhooks,
    new_call_sid,
    new_message_sid,
    payload,
    twilio_mode,
)


@pytest.fixture
def twilio(app, client):
    old = twilio_mode(app)
    try:
        yield SignedWebhooks(client)
    finally:
        app.config.update(old)


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def call_row(app, sid: str) -> Call:
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.call_sid == sid))
        assert call is not None
        db.session.expunge(call)
        return call


def call_events(app) -> list[tuple[str, list[str], dict]]:
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "socket").order_by(OutboxMessage.id)
        ).all()
        return [
            (r.payload["event"]["op"], r.payload["rooms"], r.payload["event"])
            for r in rows
            if r.payload["event"]["type"] == "call"
        ]


def set_available(api, username: str) -> None:
    r = api.as_(username).post("/operators/me/presence", {"status": "available"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "available"


def start_call(twilio, sid: str, **over):
    r = twilio.post("/voice", payload("voice_incoming", CallSid=sid, **over))
    assert r.status_code == 200, r.data
    assert r.mimetype == "text/xml"
    return r.data.decode()


def ts(at: dt.datetime) -> str:
    return format_datetime(at.astimezone(dt.UTC))


# ---- the menu ---------------------------------------------------------------------------------


def test_incoming_call_greets_in_mandarin_with_the_menu(app, twilio):
    sid = new_call_sid()
    xml = start_call(twilio, sid)
    assert '<Say language="zh-CN">' in xml and "12345" in xml
    assert "按1" in xml and "按2" in xml and "按0" in xml
    assert 'action="https://hotline.example.gov.cn/integrations/twilio/voice/menu"' in xml
    call = call_row(app, sid)
    assert call.from_number == "+8613812345678" and call.line == "12345" and call.status == "ringing"


def test_merged_line_tags_the_call_and_preselects_the_category(app, twilio):
    sid = new_call_sid()
    xml = start_call(twilio, sid, To="12315", Called="12315")
    assert "市场监管投诉举报热线" in xml
    assert call_row(app, sid).line == "12315"
    # no operator on duty: a voice message, which becomes a ticket on that line with its category
    xml = twilio.post("/voice/menu", payload("gather_digits", CallSid=sid, To="12315", Digits="1")).data.decode()
    assert "<Enqueue" in xml
    twilio.post("/voice/queue-exit", payload("enqueue_action", CallSid=sid, QueueTime="600"))
    r = twilio.post("/voice/voicemail", payload("record_action", CallSid=sid, To="12315"))
    assert r.status_code == 200
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        assert ticket.line == "12315" and ticket.category_code is not None
        assert ticket.category.path.startswith("商贸旅游/市场监管")


def test_retried_voice_webhook_keeps_one_call_record(app, twilio):
    sid = new_call_sid()
    first = start_call(twilio, sid)
    second = start_call(twilio, sid)
    assert first == second
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Call)) == 1


def test_unknown_key_asks_again_then_a_person_helps(app, twilio, api):
    sid = new_call_sid()
    start_call(twilio, sid)
    xml = twilio.post("/voice/menu", payload("gather_digits", CallSid=sid, Digits="7")).data.decode()
    assert "<Gather" in xml and "tries=1" in xml
    xml = twilio.post("/voice/menu?tries=2", payload("gather_digits", CallSid=sid, Digits="9")).data.decode()
    assert "<Enqueue" in xml  # nobody available: the queue


def test_spoken_choice_is_understood(app, twilio, api):
    set_available(api, "operator")
    sid = new_call_sid()
    start_call(twilio, sid)
    form = payload("gather_digits", CallSid=sid, Digits=None, SpeechResult="我要转人工", Confidence="0.91")
    xml = twilio.post("/voice/menu", form).data.decode()
    assert "<Client" in xml and f"operator-{user_id(app, 'operator')}" in xml


# ---- operators and the queue ------------------------------------------------------------------


def test_call_goes_to_the_longest_idle_operator_with_a_screen_pop(app, twilio, api, make_ticket):
    make_ticket("accepted")  # the caller's earlier ticket shows in the screen pop
    from hotline.cli import create_or_update_user

    with app.app_context():
        create_or_update_user("operator2", "demo-operator2", "operator", None, "话务员小李")
    set_available(api, "operator2")  # idle longest
    set_available(api, "operator")
    sid = new_call_sid()
    start_call(twilio, sid)
    xml = twilio.post("/voice/menu", payload("gather_digits", CallSid=sid, Digits="1")).data.decode()
    op2 = user_id(app, "operator2")
    assert re.search(rf"<Dial [^>]*action=\"[^\"]*/voice/dial-done\?leader=0\"[^>]*>.*operator-{op2}</Client>", xml)
    assert 'statusCallback="https://hotline.example.gov.cn/integrations/twilio/voice/status"' in xml
    with app.app_context():
        presence = db.session.get(OperatorPresence, op2)
        assert presence.status == "busy" and presence.current_call_id == call_row(app, sid).id
        assert db.session.get(OperatorPresence, user_id(app, "operator")).status == "available"
    events = call_events(app)
    assert [e[0] for e in events] == ["ringing"]
    op, rooms, event = events[0]
    assert f"user:{op2}" in rooms and "operators" in rooms
    assert event["from"] == "+8613812345678" and event["line"] == "12345"
    assert len(event["caller"]["recent_tickets"]) == 1

    # the operator answers, talks, hangs up: the record has the times, the operator is free again
    t0 = dt.datetime.now(dt.UTC)
    leg = new_call_sid()
    for status, at in (("ringing", t0), ("in-progress", t0 + dt.timedelta(seconds=3))):
        r = twilio.post(
            "/voice/status",
            payload(
                "dial_leg_status",
                CallSid=leg,
                ParentCallSid=sid,
                CallStatus=status,
                Timestamp=ts(at),
                To=f"client:operator-{op2}",
            ),
        )
        assert r.status_code == 200 and r.data.decode().endswith("<Response />")
    twilio.post(
        "/voice/status",
        payload("call_status", CallSid=sid, CallStatus="completed", Timestamp=ts(t0 + dt.timedelta(seconds=93))),
    )
    call = call_row(app, sid)
    assert call.outcome == "answered" and call.operator_id == op2
    assert call.talk_seconds == 90 and call.wait_seconds is not None and call.wait_seconds <= 5
    assert [e[0] for e in call_events(app)] == ["ringing", "answered", "ended"]
    with app.app_context():
        presence = db.session.get(OperatorPresence, op2)
        assert presence.status == "available" and presence.current_call_id is None


def test_no_free_operator_enqueues_with_position_then_dequeues_when_one_is_free(app, twilio, api):
    first, second = new_call_sid(), new_call_sid()
    for sid in (first, second):
        start_call(twilio, sid)
        xml = twilio.post("/voice/menu", payload("gather_digits", CallSid=sid, Digits="0")).data.decode()
        assert 'waitUrl="https://hotline.example.gov.cn/integrations/twilio/voice/queue-wait"' in xml
    assert "number 2" in xml or "第2位" in xml or "2" in xml
    xml = twilio.post("/voice/queue-wait", payload("queue_wait", CallSid=second, QueuePosition="2")).data.decode()
    assert "<Say" in xml and "2" in xml and "<Leave" not in xml
    set_available(api, "operator")
    # only the first caller in line leaves the queue for the free operator
    assert "<Leave" not in twilio.post("/voice/queue-wait", payload("queue_wait", CallSid=second)).data.decode()
    assert "<Leave />" in twilio.post("/voice/queue-wait", payload("queue_wait", CallSid=first)).data.decode()
    xml = twilio.post("/voice/queue-exit", payload("enqueue_action", CallSid=first, QueueTime="20")).data.decode()
    assert f"operator-{user_id(app, 'operator')}</Client>" in xml
    assert call_row(app, first).queued is False and call_row(app, second).queued is True


def test_unanswered_operator_is_set_away_and_the_call_moves_on(app, twilio, api):
    set_available(api, "operator")
    sid = new_call_sid()
    start_call(twilio, sid)
    twilio.post("/voice/menu", payload("gather_digits", CallSid=sid, Digits="1"))
    xml = twilio.post("/voice/dial-done?leader=0", payload("dial_action", CallSid=sid)).data.decode()
    assert "<Enqueue" in xml
    with app.app_context():
        assert db.session.get(OperatorPresence, user_id(app, "operator")).status == "away"


def test_leader_on_duty_takes_calls_first(app, twilio, api):
    now = dt.datetime.now(dt.UTC)
    r = api.as_("supervisor").post(
        "/leader-slots",
        {
            "leader": "leader",
            "starts_at": (now - dt.timedelta(hours=1)).isoformat(),
            "ends_at": (now + dt.timedelta(hours=1)).isoformat(),
            "note": "市长接听日",
        },
    )
    assert r.status_code == 201, r.get_json()
    set_available(api, "operator")
    sid = new_call_sid()
    start_call(twilio, sid)
    xml = twilio.post("/voice/menu", payload("gather_digits", CallSid=sid, Digits="1")).data.decode()
    assert f"operator-{user_id(app, 'leader')}</Client>" in xml and "leader=1" in xml
    events = call_events(app)
    assert events[-1][2]["leader"] is True and f"user:{user_id(app, 'leader')}" in events[-1][1]
    # the leader does not pick up: the operator gets it
    xml = twilio.post("/voice/dial-done?leader=1", payload("dial_action", CallSid=sid)).data.decode()
    assert f"operator-{user_id(app, 'operator')}</Client>" in xml
    # a second leader slot overlapping the first is refused; operators may not add slots
    r = api.as_("supervisor").post(
        "/leader-slots",
        {"leader": "leader", "starts_at": now.isoformat(), "ends_at": (now + dt.timedelta(hours=3)).isoformat()},
    )
    assert r.status_code == 409
    assert api.as_("operator").post("/leader-slots", {}).status_code == 403


def test_out_of_hours_takes_a_voice_message_and_puts_the_caller_on_the_callback_list(app, twilio, api):
    local = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8)))
    start = (local + dt.timedelta(hours=2)).strftime("%H:00")
    end = (local + dt.timedelta(hours=3)).strftime("%H:00")
    app.config["OPERATOR_HOURS"] = f"{start}-{end}"
    try:
        set_available(api, "operator")
        sid = new_call_sid()
        start_call(twilio, sid)
        xml = twilio.post("/voice/menu", payload("gather_digits", CallSid=sid, Digits="0")).data.decode()
    finally:
        app.config["OPERATOR_HOURS"] = "00:00-24:00"
    assert "<Record" in xml and "/voice/voicemail" in xml and "<Dial" not in xml
    form = payload("record_action", CallSid=sid)
    xml = twilio.post("/voice/voicemail", form).data.decode()
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        assert ticket.status == "accepted" and ticket.channel == "phone"
        # Twilio's URL stays with the call (the worker fetches the audio); the ticket says where to listen.
        assert form["RecordingUrl"] not in ticket.content and "/agents/calls" in ticket.content
        sms = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "job")).all()
        sms = [m for m in sms if m.payload["func"] == "hotline.tasks.notify.send_sms"]
        assert any(ticket.number in job_args(m.payload)[1] and "提取码" in job_args(m.payload)[1] for m in sms)
    assert " ".join(ticket.number) in xml
    # retried: the same ticket, no second one, no code read out again
    again = twilio.post("/voice/voicemail", form)
    assert again.status_code == 200 and "<Say" in again.data.decode()
    twilio.post("/voice/status", payload("call_status", CallSid=sid))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    call = call_row(app, sid)
    assert call.ticket_id == ticket.id and call.recording_url == form["RecordingUrl"]
    assert call.outcome == "voicemail" and call.callback_needed and call.called_back_at is None
    listed = api.as_("operator").get("/calls?callback=1").get_json()
    assert [c["call_sid"] for c in listed] == [sid]


# ---- status check by keypad -------------------------------------------------------------------


def test_status_check_by_keypad(app, twilio, make_ticket, api):
    r = api.as_("operator").post(
        "/tickets", {"channel": "phone", "type": "complaint", "content": "路灯不亮", "caller_phone": "13812345678"}
    )
    ticket = r.get_json()
    digits = ticket["number"][len(app.config["TICKET_PREFIX"]) :]
    sid = new_call_sid()
    start_call(twilio, sid)
    xml = twilio.post("/voice/menu", payload("gather_digits", CallSid=sid, Digits="2")).data.decode()
    assert 'action="https://hotline.example.gov.cn/integrations/twilio/voice/status-check"' in xml
    xml = twilio.post(
        "/voice/status-check", payload("gather_digits", CallSid=sid, Digits=digits, FinishedOnKey="#")
    ).data.decode()
    assert f"status-check?number={ticket['number']}" in xml
    path = f"/voice/status-check?number={ticket['number']}"
    xml = twilio.post(path, payload("gather_digits", CallSid=sid, Digits=ticket["retrieval_code"])).data.decode()
    assert " ".join(ticket["number"]) in xml and "已受理" in xml
    # a wrong code is told apart from nothing; after three, a person takes over
    for _ in range(3):
        xml = twilio.post(path, payload("gather_digits", CallSid=sid, Digits="000000")).data.decode()
        assert "没有查到" in xml
    assert "menu?Digits=0" in xml and "<Gather" not in xml
    assert call_row(app, sid).status_check_failures == 3
    xml = twilio.post("/voice/status-check", payload("gather_digits", CallSid=sid, Digits="12")).data.decode()
    assert "<Gather" in xml  # too short to be a number: asked again


# ---- status callbacks in any order ------------------------------------------------------------


def _answered_call_callbacks(sid: str, leg: str, t0: dt.datetime) -> list[tuple[str, dict]]:
    at = lambda s: ts(t0 + dt.timedelta(seconds=s))  # noqa: E731
    return [
        (
            "/voice/status",
            payload("dial_leg_status", CallSid=leg, ParentCallSid=sid, CallStatus="ringing", Timestamp=at(2)),
        ),
        (
            "/voice/status",
            payload("dial_leg_status", CallSid=leg, ParentCallSid=sid, CallStatus="in-progress", Timestamp=at(8)),
        ),
        (
            "/voice/status",
            payload("dial_leg_status", CallSid=leg, ParentCallSid=sid, CallStatus="completed", Timestamp=at(128)),
        ),
        ("/voice/status", payload("call_status", CallSid=sid, CallStatus="completed", Timestamp=at(130))),
    ]


def test_status_callbacks_in_any_order_and_repeated_give_the_same_record(app, twilio, api):
    t0 = dt.datetime.now(dt.UTC).replace(microsecond=0)
    results = set()
    orders = list(itertools.permutations(range(4)))[::5]  # a spread of the 24 orders
    for order in orders:
        set_available(api, "operator")
        sid, leg = new_call_sid(), new_call_sid()
        start_call(twilio, sid)
        twilio.post("/voice/menu", payload("gather_digits", CallSid=sid, Digits="1"))
        with app.app_context():  # the offer time is the test's, so the waits compare across runs
            db.session.execute(Call.__table__.update().where(Call.call_sid == sid).values(offered_at=t0))
            db.session.commit()
        callbacks = _answered_call_callbacks(sid, leg, t0)
        for i in [*order, order[0], order[-1]]:  # and a couple of retries
            r = twilio.post(*callbacks[i])
            assert r.status_code == 200, r.data
        c = call_row(app, sid)
        results.add((c.status, c.outcome, c.answered_at, c.ended_at, c.wait_seconds, c.talk_seconds))
        with app.app_context():
            assert db.session.get(OperatorPresence, user_id(app, "operator")).status == "available"
    assert results == {("completed", "answered", t0 + dt.timedelta(seconds=8), t0 + dt.timedelta(seconds=128), 8, 120)}


def test_status_callback_before_the_voice_webhook_creates_the_record(app, twilio):
    sid = new_call_sid()
    r = twilio.post("/voice/status", payload("call_status", CallSid=sid, CallStatus="completed"))
    assert r.status_code == 200
    start_call(twilio, sid)
    call = call_row(app, sid)
    assert call.status == "completed" and call.outcome == "self_service" and call.from_number == "+8613812345678"


def test_caller_hanging_up_in_the_queue_is_abandoned_and_goes_on_the_callback_list(app, twilio):
    sid = new_call_sid()
    start_call(twilio, sid)
    twilio.post("/voice/menu", payload("gather_digits", CallSid=sid, Digits="1"))
    twilio.post("/voice/queue-exit", payload("enqueue_action", CallSid=sid, QueueResult="hangup"))
    twilio.post("/voice/status", payload("call_status", CallSid=sid))
    call = call_row(app, sid)
    assert call.outcome == "abandoned" and call.callback_needed and call.wait_seconds is not None
    assert [e[0] for e in call_events(app)] == ["queued", "ended"]


# ---- signatures and malformed input -----------------------------------------------------------


def test_bad_or_missing_signature_is_refused(app, twilio, client):
    form = payload("voice_incoming", CallSid=new_call_sid())
    assert twilio.post("/voice", form, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert client.post("/integrations/twilio/voice", data=form).status_code == 403
    # signed for another URL, or with a field changed after signing
    sig = twilio.signature("/integrations/twilio/sms", form)
    assert twilio.post("/voice", form, signature=sig).status_code == 403
    sig = twilio.signature("/integrations/twilio/voice", form)
    assert twilio.post("/voice", {**form, "From": "+8613900000000"}, signature=sig).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Call)) == 0


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/voice", "voice_incoming"),
        ("/voice/status", "call_status"),
        ("/sms", "sms_incoming"),
        ("/voice/menu", "gather_digits"),
        ("/survey/1", "gather_digits"),
    ],
)
def test_default_settings_refuse_unsigned_webhooks(app, client, path, name):
    """HOTLINE_TELEPHONY unset (console): anyone could otherwise create tickets, answer surveys, guess codes."""
    assert app.config["TELEPHONY"] == "console"
    r = client.post("/integrations/twilio" + path, data=payload(name))
    assert r.status_code == 403
    r = client.post(
        "/integrations/twilio" + path, data=payload(name), headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}
    )
    assert r.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Call)) == 0
        assert db.session.scalar(select(func.count()).select_from(SmsMessage)) == 0


def _login(client, username: str) -> str:
    from tests.test_consoles_api import login

    return login(client, username)


def test_console_simulator_reaches_the_webhooks_through_its_own_logged_in_route(app, client):
    form = payload("voice_incoming", CallSid=new_call_sid())
    assert client.post("/integrations/console/twilio/voice", data=form).status_code in (302, 401)  # no login
    csrf = _login(client, "operator")
    assert client.post("/integrations/console/twilio/voice", data=form).status_code == 403  # no CSRF header
    r = client.post("/integrations/console/twilio/voice", data=form, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.mimetype == "text/xml"
    # the same view as Twilio's route: the call is recorded once
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Call)) == 1
    # only Twilio's webhooks are reachable this way
    assert (
        client.post("/integrations/console/twilio/../../api/v1/tickets", headers={"X-CSRF-Token": csrf}).status_code
        == 404
    )
    assert client.post("/integrations/console/twilio/nothing", headers={"X-CSRF-Token": csrf}).status_code == 404


def test_console_simulator_route_is_off_with_twilio(app, client):
    csrf = _login(client, "operator")
    old = twilio_mode(app)
    try:
        form = payload("voice_incoming", CallSid=new_call_sid())
        r = client.post("/integrations/console/twilio/voice", data=form, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 404
    finally:
        app.config.update(old)


def test_console_outbox_is_for_supervisors_and_admins(app, client):
    _login(client, "operator")
    assert client.get("/integrations/console/outbox.json").status_code == 403
    assert 'id="outbox"' not in client.get("/integrations/console/simulator").get_data(as_text=True)
    for user in ("supervisor", "admin"):
        other = app.test_client()
        _login(other, user)
        assert other.get("/integrations/console/outbox.json").status_code == 200
        assert 'id="outbox"' in other.get("/integrations/console/simulator").get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "name", "over", "field"),
    [
        ("/voice", "voice_incoming", {"CallSid": None}, "CallSid"),
        ("/voice", "voice_incoming", {"CallSid": "CA' OR 1=1 --"}, "CallSid"),
        ("/voice", "voice_incoming", {"From": "x" * 200}, "From"),
        ("/voice/menu", "gather_digits", {"Digits": "1; DROP TABLE calls"}, "Digits"),
        ("/voice/status", "call_status", {"CallStatus": "exploded"}, "CallStatus"),
        ("/voice/status", "call_status", {"Timestamp": "yesterday-ish"}, "Timestamp"),
        ("/voice/status", "call_status", {"CallDuration": "-5"}, "CallDuration"),
        ("/voice/queue-wait", "queue_wait", {"QueueTime": "ten"}, "QueueTime"),
        ("/voice/dial-done", "dial_action", {"DialCallStatus": None}, "DialCallStatus"),
        ("/sms", "sms_incoming", {"MessageSid": "nope"}, "MessageSid"),
        ("/sms", "sms_incoming", {"From": None}, "From"),
    ],
)
def test_malformed_parameters_are_a_400_naming_the_field(app, twilio, path, name, over, field):
    sid = new_call_sid()
    start_call(twilio, sid)
    form = payload(name, **{"CallSid": sid, **over}) if name != "sms_incoming" else payload(name, **over)
    r = twilio.post(path, form)
    assert r.status_code == 400, r.data
    assert field in r.get_json()["error"]["fields"]


def test_webhooks_for_an_unknown_call_are_404_not_500(app, twilio):
    r = twilio.post("/voice/menu", payload("gather_digits", CallSid=new_call_sid()))
    assert r.status_code == 404


# ---- SMS --------------------------------------------------------------------------------------


def test_sms_creates_a_ticket_once_and_replies_with_number_and_code_through_the_outbox(app, twilio):
    form = payload("sms_incoming", MessageSid=new_message_sid())
    for _ in range(2):  # Twilio retries the webhook: one ticket
        r = twilio.post("/sms", form)
        assert r.status_code == 200 and r.mimetype == "text/xml"
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        assert ticket.channel == "sms" and ticket.status == "accepted" and ticket.content == form["Body"]
        assert db.session.scalar(select(SmsMessage.ticket_id)) == ticket.id
        jobs = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "job")).all()
        receipts = [j for j in jobs if j.payload["func"] == "hotline.tasks.notify.send_sms"]
        assert len(receipts) == 1
        to, body, _tid, unless_opted_out = job_args(receipts[0].payload)
        assert unless_opted_out is True
        assert to == "+8613812345678" and ticket.number in body and re.search(r"提取码\d{6}", body)


def test_sms_status_query(app, twilio, api):
    ticket = (
        api.as_("operator")
        .post(
            "/tickets",
            {"channel": "phone", "type": "consult", "content": "公积金提取咨询", "caller_phone": "13812345678"},
        )
        .get_json()
    )
    digits = ticket["number"][2:]
    for body in (f"CX {ticket['number']} {ticket['retrieval_code']}", f"cx {digits} {ticket['retrieval_code']}"):
        xml = twilio.post("/sms", payload("sms_incoming", MessageSid=new_message_sid(), Body=body)).data.decode()
        assert "<Message>" in xml and ticket["number"] in xml and "已受理" in xml
    xml = twilio.post(
        "/sms", payload("sms_incoming", MessageSid=new_message_sid(), Body=f"CX {ticket['number']} 000000")
    ).data.decode()
    assert "没有查到" in xml
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_sms_opt_out_is_not_a_ticket(app, twilio):
    xml = twilio.post("/sms", payload("sms_incoming", MessageSid=new_message_sid(), Body="TD")).data.decode()
    assert "<Message>" in xml
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_concurrent_calls_never_share_an_operator(app, twilio, api):
    from concurrent.futures import ThreadPoolExecutor

    from hotline.cli import create_or_update_user

    with app.app_context():
        create_or_update_user("operator2", "demo-operator2", "operator", None, "话务员小李")
    set_available(api, "operator")
    set_available(api, "operator2")
    sids = [new_call_sid() for _ in range(8)]
    for sid in sids:
        start_call(twilio, sid)

    def press_one(sid: str) -> str:
        hooks = SignedWebhooks(app.test_client())
        return hooks.post("/voice/menu", payload("gather_digits", CallSid=sid, Digits="1")).data.decode()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(press_one, sids))
    dialled = [re.search(r"operator-(\d+)</Client>", a).group(1) for a in answers if "<Dial" in a]
    assert sorted(dialled) == sorted({str(user_id(app, "operator")), str(user_id(app, "operator2"))})
    assert sum("<Enqueue" in a for a in answers) == 6


def test_one_ticket_number_takes_ten_wrong_codes_an_hour_across_channels(app, twilio, api, client):
    """Wrong codes by API (many addresses), /track, SMS CX and the IVR all count for the number; then even the right
    code answers 429 (API, /track) or "not found" (SMS, IVR) until the hour is over."""
    from hotline.extensions import get_redis

    ticket = api.as_("operator").post(
        "/tickets", {"type": "consult", "content": "公积金", "caller_phone": "13812345678"}
    )
    ticket = ticket.get_json()
    number, code = ticket["number"], ticket["retrieval_code"]
    other = api.as_("operator").post("/tickets", {"type": "consult", "content": "社保", "caller_phone": "13812345679"})
    other = other.get_json()
    api_url = f"/api/v1/public/tickets/{number}?code="
    for i in range(6):
        r = client.get(api_url + "000000", environ_base={"REMOTE_ADDR": f"192.0.2.{i + 1}"})
        assert r.status_code == 404
    assert (
        client.get(f"/track?number={number}&code=000001", environ_base={"REMOTE_ADDR": "192.0.2.50"}).status_code == 404
    )
    body = f"CX {number} 000002"
    assert (
        "没有查到"
        in twilio.post("/sms", payload("sms_incoming", MessageSid=new_message_sid(), Body=body)).data.decode()
    )
    sid = new_call_sid()
    start_call(twilio, sid)
    path = f"/voice/status-check?number={number}"
    for digits in ("000003", "000004"):
        assert "没有查到" in twilio.post(path, payload("gather_digits", CallSid=sid, Digits=digits)).data.decode()
    # ten wrong codes: the right one is refused now, by every channel
    r = client.get(api_url + code, environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 3000
    r = client.get(f"/track?number={number}&code={code}", environ_base={"REMOTE_ADDR": "192.0.2.98"})
    assert r.status_code == 429 and number not in r.get_data(as_text=True).split("<main")[-1].split("value=")[0]
    body = f"CX {number} {code}"
    xml = twilio.post("/sms", payload("sms_incoming", MessageSid=new_message_sid(), Body=body)).data.decode()
    assert "已受理" not in xml
    # another number is not affected
    r = client.get(f"/api/v1/public/tickets/{other['number']}?code={other['retrieval_code']}")
    assert r.status_code == 200
    # the hour over, the right code works again
    get_redis(app.config["REDIS_URL"]).delete(f"hotline:code-guess:{number}")
    assert client.get(api_url + code, environ_base={"REMOTE_ADDR": "192.0.2.97"}).status_code == 200


def test_a_status_query_sms_is_stored_without_its_code(app, twilio):
    twilio.post("/sms", payload("sms_incoming", MessageSid=new_message_sid(), Body="CX XC2026010100001 654321"))
    with app.app_context():
        assert db.session.scalar(select(SmsMessage.body)) == "CX XC2026010100001 ******"
