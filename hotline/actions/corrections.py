"""改派前更正: correcting a ticket after intake (action `reclassify`).

An SMS about a gas leak taken as `help`/`normal` must become `urgent` with a 30-minute sign clock, not keep
its 5-working-day one. Operators correct before dispatch; supervisors at any open status. Each changed field's
old and new value goes on the timeline, and the clocks that depend on type x urgency are recomputed at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hotline import validation
from hotline.actions._core import ActionContext, Actor, ticket_action
from hotline.actions.lifecycle import _limit, _schedule_deadline_checks, _set_handle_due
from hotline.deadlines import limits
from hotline.errors import Conflict, ValidationError
from hotline.models import Ticket
from hotline.workflow import AWAITING_SIGNATURE, Status

# API field -> Ticket column
FIELDS = {
    "category": "category_code",
    "type": "type",
    "urgency": "urgency",
    "region": "region_code",
    "address": "address",
    "title": "title",
}


def parse_corrections(payload: dict[str, Any]) -> dict[str, str | None]:
    """The fields to change, validated; ValidationError names every bad one (and `reason` when missing)."""
    f = validation.Fields(payload)
    given = {name for name in FIELDS if payload.get(name) is not None}  # null: not given
    values: dict[str, str | None] = {}
    if "category" in given:
        values["category"] = f.string("category", required=True, max_len=6)
        if values["category"] and values["category"] not in validation.category_codes:
            f.errors["category"] = "unknown category"
    if "type" in given:
        values["type"] = f.choice("type", validation.TYPES, required=True)
    if "urgency" in given:
        values["urgency"] = f.choice("urgency", validation.URGENCIES, required=True)
    if "region" in given:
        values["region"] = f.string("region", required=True, max_len=12)
        if values["region"] and values["region"] not in validation.region_codes:
            f.errors["region"] = "unknown region"
    if "address" in given:
        values["address"] = f.string("address", max_len=200)
    if "title" in given:
        values["title"] = f.string("title", max_len=100)
    f.string("reason", required=True, max_len=500)
    if not given and not f.errors:
        f.errors.update(dict.fromkeys(FIELDS, "give at least one field to correct"))
    f.done()
    return values


def _retime(ctx: ActionContext, old_type: str, old_urgency: str) -> dict[str, str]:
    """Recompute the running clocks for the new type x urgency from when each started. Time already credited
    (pauses while the centre decided, an approved extension) stays credited. Returns what moved."""
    t, moved = ctx.ticket, {}
    if t.status in AWAITING_SIGNATURE and t.signed_at is None and t.sign_due_at is not None:
        start = t.dispatched_at or ctx.now
        old_lim, new_lim = limits.limit_for("sign", old_type, old_urgency), _limit(ctx, "sign")
        if new_lim is not None:
            credit = max(t.sign_due_at - limits.due(start, old_lim), dt.timedelta(0)) if old_lim else dt.timedelta(0)
            t.sign_due_at = limits.due(start, new_lim) + credit
            t.sign_warn_at = limits.warning_at(start, t.sign_due_at, new_lim)
            t.sign_warned_at = t.sign_overdue_at = None
            _schedule_deadline_checks(ctx, t.sign_warn_at, t.sign_due_at)
            moved["sign_due_at"] = t.sign_due_at.isoformat()
    if t.due_at is not None and t.signed_at is not None and t.status in (Status.IN_PROGRESS, Status.RETURN_PENDING):
        start = t.signed_at
        old_lim, new_lim = limits.limit_for("handle", old_type, old_urgency), _limit(ctx, "handle")
        if new_lim is not None:
            credit = max(t.due_at - limits.due(start, old_lim), dt.timedelta(0)) if old_lim else dt.timedelta(0)
            _set_handle_due(ctx, start, limits.due(start, new_lim) + credit)
            moved["due_at"] = t.due_at.isoformat()  # type: ignore[union-attr]
    return moved


def reclassify_ticket(ticket_id: int, actor: Actor, reason: str | None = None, **fields: Any) -> Ticket:
    """Correct any of category, type, urgency, region, address, title, with a reason."""
    values = parse_corrections({**fields, "reason": reason})
    reason = str(reason).strip()
    with ticket_action(ticket_id, "reclassify", actor) as ctx:
        t = ctx.ticket
        if actor.role == "operator" and t.status != Status.ACCEPTED:
            raise Conflict("after dispatch only a supervisor may reclassify", code="supervisor_required")
        changes = {}
        for name, value in values.items():
            old = getattr(t, FIELDS[name])
            if old != value:
                changes[name] = {"old": old, "new": value}
                setattr(t, FIELDS[name], value)
        if not changes:
            raise ValidationError(
                "nothing changes", code="unchanged", fields=dict.fromkeys(values, "same as the current value")
            )
        data: dict[str, Any] = {"changes": changes}
        if "type" in changes or "urgency" in changes:
            old_type = changes.get("type", {}).get("old", t.type)
            old_urgency = changes.get("urgency", {}).get("old", t.urgency)
            if moved := _retime(ctx, old_type, old_urgency):
                data["deadlines"] = moved
        ctx.event(note=reason, data=data)
    return ctx.ticket
