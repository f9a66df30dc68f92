"""The phone's pages: the context the phone bar needs (agents/_phone.html), the calls page (/agents/calls), the
leader's console (领导接听, /agents/leader) and the leader-slot schedule (/agents/leader-slots)."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user
from sqlalchemy import select

from agents_ui.views import bp, page, roles
from hotline.extensions import db
from hotline.models import Department, User
from hotline.validation import HANDOFF_TARGETS, TYPES, URGENCIES


def transfer_departments() -> list[tuple[str, str]]:
    """Departments with a hotline number to transfer calls to (called by the template that shows them)."""
    rows = db.session.execute(
        select(Department.code, Department.name)
        .where(Department.active.is_(True), Department.liaison_phone.is_not(None))
        .order_by(Department.code)
    )
    return [(code, name) for code, name in rows]


@bp.app_context_processor
def phone_context() -> dict:
    return {
        "telephony": current_app.config["TELEPHONY"],
        "after_call_seconds": current_app.config["AFTER_CALL_SECONDS"],
        "transfer_departments": transfer_departments,
    }


@bp.get("/agents/calls")
@roles("operator", "supervisor", "admin", "leader")
def calls_page():
    """Any day's call log, the voice messages (played through our server) and the missed calls to call back."""
    return page("agents/calls.html", can_call_back=current_user.role != "leader")


@bp.get("/agents/leader")
@roles("leader")
def leader_console():
    """The leader on duty: the same phone bar, screen-pop and intake form as an operator, for calls routed to
    them (the centre's operators dispatch what they record)."""
    return page("agents/operator.html", types=TYPES, urgencies=URGENCIES, handoff_targets=HANDOFF_TARGETS, leader=True)


@bp.get("/agents/leader-slots")
@roles("supervisor", "admin")
def leader_slots_page():
    leaders = db.session.scalars(
        select(User).where(User.role == "leader", User.active.is_(True)).order_by(User.username)
    ).all()
    return page("agents/leader_slots.html", leaders=leaders)
