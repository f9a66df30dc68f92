"""The live day (issue 21): contacts keep arriving through the real actions; a switch at /agents/simulator and
the `simulate` command drive it."""

from __future__ import annotations

import random
import re

from sqlalchemy import select

from hotline.demo import live
from hotline.extensions import db, get_redis
from hotline.models import Call, OperatorPresence, OutboxMessage, Ticket, User


def _run_chain(first):
    """Run a contact's steps one after the other (their delays skipped); returns the step names run."""
    names, queue = [], [first]
    while queue:
        _delay, name, args = queue.pop(0)
        names.append(name)
        queue.extend(live.run_step(name, args))
        db.session.remove()
    return names


def _operator_available():
    op = db.session.scalar(select(User).where(User.username == "operator"))
    from hotline.actions.presence import set_presence

    set_presence(op, "available")


def test_a_call_is_answered_and_becomes_a_dispatched_ticket(ctx):
    _operator_available()
    _, _, args = live.new_contact(random.Random(1))
    names = _run_chain((0, "call", args))
    assert names == ["call", "answer", "hangup"]
    call = db.session.scalar(select(Call))
    assert call.outcome == "answered" and call.ticket_id is not None and call.talk_seconds is not None
    ticket = db.session.get(Ticket, call.ticket_id)
    assert ticket.channel == "phone" and ticket.content == args["content"]
    assert ticket.status in ("dispatched", "closed")
    # The operator is free again for the next call.
    assert db.session.scalar(select(OperatorPresence.status)) == "available"


def test_with_nobody_free_the_caller_leaves_a_voice_message(ctx):
    _, _, args = live.new_contact(random.Random(2))
    assert _run_chain((0, "call", args)) == ["call", "voicemail"]
    call = db.session.scalar(select(Call))
    assert call.outcome == "voicemail" and call.callback_needed
    assert db.session.get(Ticket, call.ticket_id).status == "accepted"


def test_sms_and_web_messages_wait_in_the_inbox(ctx):
    for channel in ("sms", "web"):
        _, _, args = live.new_contact(random.Random(3))
        _run_chain((0, channel, args))
    tickets = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
    assert [t.channel for t in tickets] == ["sms", "web"]
    assert all(t.status == "accepted" for t in tickets)


def _login(client, username):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert (
        client.post("/login", data={"username": username, "password": f"demo-{username}", "csrf": token}).status_code
        == 302
    )
    return token


def test_the_switch_turns_the_live_day_on_and_off(app, client):
    from hotline.tasks.demo import STEP_JOB, live_tick

    _login(client, "supervisor")
    assert 'href="/agents/simulator"' in client.get("/agents/wallboard").get_data(as_text=True)  # in the menu
    page = client.get("/agents/simulator?lang=en").get_data(as_text=True)
    assert "Off." in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = client.post("/agents/simulator", data={"csrf": token, "switch": "on", "rate": "60"})
    assert r.status_code == 303
    assert "On: about 60 contacts a minute." in client.get("/agents/simulator?lang=en").get_data(as_text=True)
    with app.app_context():
        assert get_redis().ttl(live.SWITCH_KEY) > 7 * 3600  # it turns itself off
        planned = live_tick()  # what the worker runs every minute
        assert planned > 20
        jobs = db.session.scalars(select(OutboxMessage.payload).where(OutboxMessage.kind == "job")).all()
        assert len(jobs) == planned and all(j["func"] == STEP_JOB and j["at"] for j in jobs)
        assert {j["args"][0] for j in jobs} <= {"call", "sms", "web"}
    assert client.post("/agents/simulator", data={"csrf": token, "switch": "on", "rate": "999"}).status_code == 303
    with app.app_context():
        assert live.live_rate() == 60  # refused: out of range
    client.post("/agents/simulator", data={"csrf": token, "switch": "off"})
    with app.app_context():
        assert live.live_rate() == 0 and live_tick() == 0


def test_only_supervisors_switch_it(app, client):
    _login(client, "operator")
    assert client.get("/agents/simulator").status_code == 403
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/agents/operator").get_data(as_text=True)).group(1)
    assert client.post("/agents/simulator", data={"csrf": token, "switch": "on", "rate": "5"}).status_code == 403
    with app.app_context():
        assert live.live_rate() == 0


def test_simulate_command_keeps_contacts_arriving(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["simulate", "--rate", "600", "--minutes", "0.02", "--seed", "5"])
    assert result.exit_code == 0, result.output
    arrived = int(re.search(r"(\d+) contacts arrived", result.output).group(1))
    assert arrived > 3
    with app.app_context():
        tickets = db.session.scalar(select(db.func.count()).select_from(Ticket))
        assert tickets >= 1
