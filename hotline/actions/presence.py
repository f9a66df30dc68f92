"""Operators' presence (话务员状态): available / busy / after-call work (话后处理) / away, set by one click in the
console, ended by the after-call timer, and set away when the console has been gone for a minute (so calls are
not routed to an empty seat). Every change goes to the operators' and supervisors' rooms after commit."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import and_, or_, select

from hotline import outbox
from hotline import presence as consoles
from hotline.errors import Conflict, ValidationError
from hotline.extensions import db
from hotline.models import OperatorPresence, User
from hotline.models.base import utcnow
from hotline.models.calls import PRESENCE

OPERATOR_ROLES = ("operator", "supervisor", "leader", "admin")
MAX_AFTER_CALL_SECONDS = 1800


def available_now(now: dt.datetime):
    """SQL: the operator may take a call now (available, or an after-call timer that has run out)."""
    return or_(
        OperatorPresence.status == "available",
        and_(OperatorPresence.status == "after_call", OperatorPresence.after_call_until <= now),
    )


def effective_status(p: OperatorPresence, now: dt.datetime | None = None) -> str:
    if p.status == "after_call" and p.after_call_until is not None and p.after_call_until <= (now or utcnow()):
        return "available"
    return p.status


def presence_event(p: OperatorPresence) -> dict:
    user = db.session.get(User, p.user_id)
    assert user is not None
    return {
        "type": "operator",
        "op": "presence",
        "user_id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "status": p.status,
        "changed_at": p.changed_at.isoformat(),
        "after_call_until": p.after_call_until.isoformat() if p.after_call_until else None,
    }


def _change(user: User, status: str, now: dt.datetime, until: dt.datetime | None = None) -> OperatorPresence:
    """In the caller's transaction: lock, change (a repeat keeps `changed_at`: the idle order), publish."""
    p = db.session.get(OperatorPresence, user.id, with_for_update=True)
    if p is None:
        p = OperatorPresence(user_id=user.id, status=status, changed_at=now)
        db.session.add(p)
    elif p.status != status:
        p.status, p.changed_at = status, now
        if status != "busy":
            p.current_call_id = None
    p.after_call_until = until if status == "after_call" else None
    outbox.add_socket_event(presence_event(p), ["operators", "supervisors"])
    return p


def set_presence(user: User, status: str, after_call_seconds: int | None = None) -> OperatorPresence:
    """An operator says available / busy / after_call / away. After-call work lasts `after_call_seconds`
    (default HOTLINE_AFTER_CALL_SECONDS), then a job returns the operator to available."""
    if user.role not in OPERATOR_ROLES:
        raise Conflict("only centre staff take calls", code="forbidden")
    if status not in PRESENCE:
        raise ValidationError("invalid status", fields={"status": "must be one of " + ", ".join(PRESENCE)})
    seconds = current_app.config["AFTER_CALL_SECONDS"] if after_call_seconds is None else after_call_seconds
    if not 1 <= seconds <= MAX_AFTER_CALL_SECONDS:
        raise ValidationError("invalid timer", fields={"seconds": f"1 to {MAX_AFTER_CALL_SECONDS}"})
    try:
        now = utcnow()
        until = now + dt.timedelta(seconds=seconds) if status == "after_call" else None
        p = _change(user, status, now, until)
        if until is not None:
            outbox.add_job("hotline.tasks.presence.end_after_call", [user.id, until.isoformat()], at=until)
        db.session.commit()
        outbox.kick()
        return p
    except BaseException:
        db.session.rollback()
        raise


def end_after_call(user_id: int, until: dt.datetime) -> bool:
    """The after-call timer ran out: available again, unless the operator changed state meanwhile."""
    try:
        p = db.session.get(OperatorPresence, user_id, with_for_update=True)
        if p is None or p.status != "after_call" or p.after_call_until != until:
            db.session.rollback()
            return False
        _change(p.user, "available", utcnow())
        db.session.commit()
        outbox.kick()
        return True
    except BaseException:
        db.session.rollback()
        raise


def away_if_console_gone(user_id: int, now: float) -> bool:
    """The console's last socket closed CONSOLE_GONE_SECONDS ago and none came back: away. An operator on a call
    (busy, perhaps on the desk phone) keeps it, and is checked again a period later."""
    gone = consoles.gone_since(user_id)
    if gone is None or now - gone < current_app.config["CONSOLE_GONE_SECONDS"]:
        return False
    try:
        p = db.session.get(OperatorPresence, user_id, with_for_update=True)
        if p is None or p.status == "away":
            db.session.rollback()
            return False
        if p.status == "busy":
            again = utcnow() + dt.timedelta(seconds=current_app.config["CONSOLE_GONE_SECONDS"])
            outbox.add_job("hotline.tasks.presence.away_if_gone", [user_id], at=again)
            db.session.commit()
            return False
        _change(p.user, "away", utcnow())
        db.session.commit()
        outbox.kick()
        return True
    except BaseException:
        db.session.rollback()
        raise


def console_gone_check_due(user_id: int, gone_at: dt.datetime) -> None:
    """Schedule the away check for a console that just lost its last socket (its own transaction)."""
    due = gone_at + dt.timedelta(seconds=current_app.config["CONSOLE_GONE_SECONDS"])
    try:
        outbox.add_job("hotline.tasks.presence.away_if_gone", [user_id], at=due)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def operators_on_duty() -> list[OperatorPresence]:
    return list(db.session.scalars(select(OperatorPresence).order_by(OperatorPresence.changed_at)))
