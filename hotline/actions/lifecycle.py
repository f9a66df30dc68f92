"""One function per lifecycle action of CONTRACT.md. Each runs in `ticket_action`: one transaction,
the ticket row locked, the transition checked, a timeline event written, the outbox filled."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from hotline import notices, outbox, timeline
from hotline.actions import callbacks as callback_rules
from hotline.actions import departments
from hotline.actions._core import ActionContext, Actor, require, ticket_action
from hotline.deadlines import limits
from hotline.errors import Conflict, Forbidden, NotFound, ValidationError
from hotline.extensions import db
from hotline.models import (
    Assignment,
    Caller,
    Department,
    ExtensionRequest,
    ReturnRequest,
    SupervisionNotice,
    Ticket,
)
from hotline.models.base import sortable_stamp
from hotline.validation import HANDOFF_TARGETS, RETURN_REASONS
from hotline.workflow import OPEN, Status

MAX_ROUNDS_BEFORE_ARBITRATION = 3


# ---- helpers -------------------------------------------------------------------------------


def _department(code: str, field: str) -> Department:
    dept = db.session.scalar(select(Department).where(Department.code == code))
    if dept is None or not dept.active:
        raise ValidationError(f"unknown department {code!r}", fields={field: "unknown department"})
    if dept.kind == "center":
        raise ValidationError("the centre cannot be dispatched to", fields={field: "not a handling department"})
    return dept


def _limit(ctx: ActionContext, clock: str) -> limits.Limit | None:
    return limits.limit_for(clock, ctx.ticket.type, ctx.ticket.urgency)


def _schedule_deadline_checks(ctx: ActionContext, *instants: dt.datetime | None) -> None:
    """Jobs at the warning and due instants; they re-check the ticket when they run."""
    for at in instants:
        if at is not None:
            outbox.add_job("hotline.tasks.deadlines.check_ticket", [ctx.ticket.id], at=at)


def _start_sign_clock(ctx: ActionContext) -> None:
    t, lim = ctx.ticket, _limit(ctx, "sign")
    assert lim is not None
    t.sign_due_at = limits.due(ctx.now, lim)
    t.sign_warn_at = limits.warning_at(ctx.now, t.sign_due_at, lim)
    t.sign_warned_at = t.sign_overdue_at = None
    _schedule_deadline_checks(ctx, t.sign_warn_at, t.sign_due_at)


def _set_handle_due(ctx: ActionContext, start: dt.datetime, due_at: dt.datetime) -> None:
    """The handling due time with its warning and public-notice instants, and their jobs."""
    t, lim = ctx.ticket, _limit(ctx, "handle")
    assert lim is not None
    t.due_at = due_at
    t.warn_at = limits.warning_at(start, due_at, lim)
    t.notice_at = limits.notice_at(due_at)
    t.warned_at = t.overdue_at = t.notice_flagged_at = None
    _schedule_deadline_checks(ctx, t.warn_at, t.due_at, t.notice_at)


def _start_handle_clock(ctx: ActionContext) -> None:
    lim = _limit(ctx, "handle")
    assert lim is not None
    _set_handle_due(ctx, ctx.now, limits.due(ctx.now, lim))


def _end_assignments(ticket: Ticket) -> None:
    """The departments of the current round lose the ticket (a re-dispatch or an approved return), and with them
    any sub-dispatch and handling officer."""
    db.session.execute(
        update(Assignment).where(Assignment.ticket_id == ticket.id, Assignment.active.is_(True)).values(active=False)
    )
    ticket.sub_department_id = ticket.sub_status = ticket.sub_reply_text = ticket.sub_due_at = None
    ticket.sub_department = None
    ticket.handler_id, ticket.handler = None, None


def _close(ctx: ActionContext, status: Status, reason: str) -> None:
    """Any ending: the status, when, and why (answered, merged, rated, not_accepted ...)."""
    ctx.ticket.closed_at = ctx.now
    ctx.ticket.close_reason = reason
    ctx.set_status(status)


def _clear_clocks(ticket: Ticket) -> None:
    ticket.sign_due_at = ticket.sign_warn_at = ticket.due_at = ticket.warn_at = ticket.notice_at = None
    ticket.sign_warned_at = ticket.sign_overdue_at = ticket.warned_at = ticket.overdue_at = None
    ticket.notice_flagged_at = ticket.escalated_at = ticket.signed_at = ticket.paused_at = None


def _resume_clocks(ctx: ActionContext) -> dt.timedelta | None:
    """End a pause (pending return or extension): push the running deadlines back by it."""
    t = ctx.ticket
    if t.paused_at is None:
        return None
    paused_from, t.paused_at = t.paused_at, None
    sign_lim, handle_lim = _limit(ctx, "sign"), _limit(ctx, "handle")
    for attrs, lim in (
        (("sign_due_at", "sign_warn_at"), sign_lim),
        (("due_at", "warn_at", "notice_at"), handle_lim),
    ):
        if lim is None or getattr(t, attrs[0]) is None:
            continue
        if attrs[0] == "sign_due_at" and t.signed_at is not None:
            continue
        for attr in attrs:
            if getattr(t, attr) is not None:
                setattr(t, attr, limits.shift_for_pause(getattr(t, attr), paused_from, ctx.now, lim))
        _schedule_deadline_checks(ctx, *(getattr(t, a) for a in attrs))
    return ctx.now - paused_from


def _notify_caller(ticket: Ticket, body: str) -> None:
    if ticket.caller_id is None:
        return
    phone = db.session.scalar(select(Caller.phone).where(Caller.id == ticket.caller_id))
    if phone:
        outbox.add_sms(phone, body, ticket.id)


def _text(value: object, field: str, required: bool = True, max_len: int = 4000) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(f"{field} is required", fields={field: "required"})
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string", fields={field: "must be a string"})
    if len(value) > max_len:
        raise ValidationError(f"{field} is too long", fields={field: f"at most {max_len} characters"})
    return value.strip()


# ---- intake outcomes ------------------------------------------------------------------------


def answer_ticket(ticket_id: int, actor: Actor, text: str) -> Ticket:
    """直接办结: the operator answered the caller directly."""
    text = _text(text, "text")
    with ticket_action(ticket_id, "answer", actor) as ctx:
        ctx.ticket.answer_text = text
        _close(ctx, Status.CLOSED, "answered")
        ctx.event(note=text)
        if callback_rules.sampled(ctx.ticket):  # a sample of direct answers is surveyed too
            callback_rules.schedule_callback(ctx, "direct")
    return ctx.ticket


def dispatch_ticket(
    ticket_id: int, actor: Actor, department: str, assisting: list[str] | None = None, note: str | None = None
) -> Ticket:
    """派单: to a lead department and any assisting ones; starts the sign clock."""
    if not isinstance(department, str) or not department:
        raise ValidationError("department is required", fields={"department": "required"})
    if assisting is not None and (not isinstance(assisting, list) or not all(isinstance(a, str) for a in assisting)):
        raise ValidationError("assisting must be a list", fields={"assisting": "must be a list of codes"})
    note = _text(note, "note", required=False)
    lead = _department(department, "department")
    helpers = [_department(code, "assisting") for code in dict.fromkeys(assisting or [])]
    if any(h.id == lead.id for h in helpers):
        raise ValidationError("the lead cannot also assist", fields={"assisting": "contains the lead"})
    with ticket_action(ticket_id, "dispatch", actor) as ctx:
        t = ctx.ticket
        designated = t.dispatch_rounds >= MAX_ROUNDS_BEFORE_ARBITRATION
        if designated and actor.role not in ("supervisor", "admin"):
            raise Forbidden(
                "after 3 dispatch rounds a supervisor designates the department (职责界定)",
                code="arbitration_required",
            )
        _end_assignments(t)
        t.dispatch_rounds += 1
        t.designated = designated
        t.department_id = lead.id
        t.department = lead
        for dept, role in [(lead, "lead"), *((h, "assist") for h in helpers)]:
            db.session.add(
                Assignment(
                    ticket_id=t.id,
                    department_id=dept.id,
                    role=role,
                    round=t.dispatch_rounds,
                    active=True,
                    created_at=ctx.now,
                )
            )
        db.session.flush()
        t.dispatched_at = ctx.now
        _clear_clocks(t)
        _start_sign_clock(ctx)
        ctx.set_status(Status.DISPATCHED)
        ctx.event(
            note=note,
            department=lead,
            data={
                "round": t.dispatch_rounds,
                "assisting": [h.code for h in helpers],
                "designated": designated,
            },
        )
        for dept in (lead, *helpers):
            notices.notify(ctx, dept, "dispatch")
    return ctx.ticket


def merge_ticket(ticket_id: int, actor: Actor, into: object) -> Ticket:
    """并单: a repeat of an open ticket is linked to it and closed as merged."""
    if isinstance(into, bool) or not isinstance(into, int | str) or into == "":
        raise ValidationError("into is required", fields={"into": "a ticket id or number"})
    query = select(Ticket.id, Ticket.status)
    query = (
        query.where(Ticket.number == into)
        if isinstance(into, str) and not into.isdigit()
        else query.where(Ticket.id == int(into))
    )
    target = db.session.execute(query).first()
    if target is None:
        raise ValidationError("no such ticket to merge into", fields={"into": "unknown ticket"})
    if target.id == ticket_id:
        raise ValidationError("a ticket cannot merge into itself", fields={"into": "same ticket"})
    with ticket_action(ticket_id, "merge", actor) as ctx:
        other = db.session.scalar(select(Ticket).where(Ticket.id == target.id).with_for_update())
        assert other is not None
        require(other.status in OPEN, "can only merge into an open ticket", "target_not_open")
        ctx.ticket.merged_into_id = other.id
        _close(ctx, Status.MERGED, "merged")
        ctx.event(note=f"merged into {other.number}", data={"into": other.number})
        timeline.add(
            other.id,
            "merged-from",
            actor,
            ctx.now,
            other.status,
            other.status,
            department_id=other.department_id,
            note=f"{ctx.ticket.number} merged into this ticket",
            data={"from": ctx.ticket.number},
        )
    return ctx.ticket


def not_accept_ticket(ticket_id: int, actor: Actor, reason: str) -> Ticket:
    """不予受理: outside the remit; the caller is told the lawful route (in `reason`)."""
    reason = _text(reason, "reason")
    with ticket_action(ticket_id, "not-accept", actor) as ctx:
        ctx.ticket.status_reason = reason
        _close(ctx, Status.NOT_ACCEPTED, "not_accepted")
        ctx.event(note=reason)
    return ctx.ticket


def hand_off_ticket(ticket_id: int, actor: Actor, to: str, note: str | None = None) -> Ticket:
    """Emergencies go to 110/119/120/122."""
    if to not in HANDOFF_TARGETS:
        raise ValidationError("unknown emergency service", fields={"to": "one of " + ", ".join(HANDOFF_TARGETS)})
    note = _text(note, "note", required=False)
    with ticket_action(ticket_id, "hand-off", actor) as ctx:
        ctx.ticket.status_reason = f"handed off to {to}"
        _close(ctx, Status.HANDED_OFF, "handed_off")
        ctx.event(note=note, data={"to": to})
    return ctx.ticket


# ---- the department ------------------------------------------------------------------------


def sign_ticket(ticket_id: int, actor: Actor) -> Ticket:
    """签收: starts (or, after a rejected return, resumes) the handling clock."""
    with ticket_action(ticket_id, "sign", actor) as ctx:
        if ctx.dept_role == "sub":
            departments.sub_sign(ctx)
            return ctx.ticket
        t = ctx.ticket
        on_time = t.sign_due_at is None or ctx.now <= t.sign_due_at
        t.signed_at = ctx.now
        if t.due_at is None:
            _start_handle_clock(ctx)
        ctx.set_status(Status.IN_PROGRESS)
        ctx.event(data={"on_time": on_time})
    return ctx.ticket


def return_ticket(ticket_id: int, actor: Actor, reason: str, note: str | None = None) -> Ticket:
    """退单: within the return window, with a standard reason; the centre decides."""
    if reason not in RETURN_REASONS:
        raise ValidationError("unknown return reason", fields={"reason": "one of " + ", ".join(RETURN_REASONS)})
    note = _text(note, "note", required=False)
    with ticket_action(ticket_id, "return", actor) as ctx:
        t = ctx.ticket
        require(not t.designated, "a designated ticket cannot be returned", "designated")
        lim = _limit(ctx, "return_window")
        require(lim is not None, f"{t.urgency} tickets cannot be returned", "no_return_window")
        assert lim is not None and t.dispatched_at is not None
        require(
            ctx.now <= limits.due(t.dispatched_at, lim),
            "the return window has closed",
            "return_window_closed",
        )
        db.session.add(
            ReturnRequest(
                ticket_id=t.id,
                department_id=t.department_id,
                reason=reason,
                note=note,
                from_status=t.status,
                status="pending",
                requested_by_id=actor.id,
                requested_at=ctx.now,
            )
        )
        t.paused_at = ctx.now
        ctx.set_status(Status.RETURN_PENDING)
        ctx.event(note=note, data={"reason": reason})
    return ctx.ticket


def _pending_return(ticket_id: int) -> ReturnRequest:
    req = db.session.scalar(
        select(ReturnRequest).where(ReturnRequest.ticket_id == ticket_id, ReturnRequest.status == "pending")
    )
    if req is None:  # the status says return_pending, so this is a broken invariant
        raise NotFound("no pending return")
    return req


def approve_return(ticket_id: int, actor: Actor, note: str | None = None) -> Ticket:
    """The centre takes the ticket back for re-dispatch (改派)."""
    note = _text(note, "note", required=False)
    with ticket_action(ticket_id, "approve-return", actor) as ctx:
        t = ctx.ticket
        req = _pending_return(t.id)
        req.status, req.decided_by_id, req.decided_at = "approved", actor.id, ctx.now
        ctx.notify_departments(ctx.active_dept_codes())
        old = t.department
        _end_assignments(t)
        t.department_id = None
        t.department = None
        _clear_clocks(t)
        ctx.set_status(Status.ACCEPTED)
        ctx.event(note=note, department=old, data={"reason": req.reason})
    return ctx.ticket


def reject_return(ticket_id: int, actor: Actor, note: str | None = None) -> Ticket:
    """不当退单: the department keeps the ticket in the status it was returned from (dispatched: the sign
    clock runs again; in_progress, already signed: the handling clock does), each clock pushed back by the
    time the centre took to decide, which does not count against the department."""
    note = _text(note, "note", required=False)
    with ticket_action(ticket_id, "reject-return", actor) as ctx:
        req = _pending_return(ctx.ticket.id)
        req.status, req.decided_by_id, req.decided_at = "rejected", actor.id, ctx.now
        _resume_clocks(ctx)
        ctx.set_status(Status(req.from_status))
        ctx.event(note=note, data={"reason": req.reason})
    return ctx.ticket


def _pending_extension(ticket_id: int) -> ExtensionRequest | None:
    return db.session.scalar(
        select(ExtensionRequest).where(ExtensionRequest.ticket_id == ticket_id, ExtensionRequest.status == "pending")
    )


def request_extension(ticket_id: int, actor: Actor, days: object, reason: str) -> Ticket:
    """延期申请: one per ticket, before the due time, at most 10 working days."""
    from flask import current_app

    max_days = int(current_app.config["TIME_LIMITS"].get("extension_max_wd", 10))
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= max_days:
        raise ValidationError("days out of range", fields={"days": f"an integer from 1 to {max_days}"})
    reason = _text(reason, "reason")
    with ticket_action(ticket_id, "request-extension", actor) as ctx:
        t = ctx.ticket
        require(t.urgency == "normal", "only normal tickets may be extended", "no_extension")
        already = db.session.scalar(select(ExtensionRequest.id).where(ExtensionRequest.ticket_id == t.id))
        require(
            already is None,
            "an extension was already requested for this ticket",
            "extension_already_requested",
        )
        require(t.due_at is not None and ctx.now < t.due_at, "the due time has passed", "past_due")
        db.session.add(
            ExtensionRequest(
                ticket_id=t.id,
                department_id=t.department_id,
                days=days,
                reason=reason,
                status="pending",
                requested_by_id=actor.id,
                requested_at=ctx.now,
                old_due_at=t.due_at,
            )
        )
        t.paused_at = ctx.now
        ctx.event(note=reason, data={"days": days})
    return ctx.ticket


def approve_extension(ticket_id: int, actor: Actor, note: str | None = None) -> Ticket:
    note = _text(note, "note", required=False)
    with ticket_action(ticket_id, "approve-extension", actor) as ctx:
        t = ctx.ticket
        req = _pending_extension(t.id)
        require(req is not None, "no extension is pending", "no_pending_extension")
        assert req is not None and t.due_at is not None
        _resume_clocks(ctx)
        assert t.due_at is not None and t.signed_at is not None
        _set_handle_due(ctx, t.signed_at, limits.calendar().add_working_days(t.due_at, req.days))
        req.status, req.decided_by_id, req.decided_at = "approved", actor.id, ctx.now
        req.new_due_at = t.due_at
        ctx.event(note=note, data={"days": req.days, "due_at": t.due_at.isoformat()})
    return ctx.ticket


def reject_extension(ticket_id: int, actor: Actor, note: str | None = None) -> Ticket:
    note = _text(note, "note", required=False)
    with ticket_action(ticket_id, "reject-extension", actor) as ctx:
        req = _pending_extension(ctx.ticket.id)
        require(req is not None, "no extension is pending", "no_pending_extension")
        assert req is not None
        _resume_clocks(ctx)
        req.status, req.decided_by_id, req.decided_at = "rejected", actor.id, ctx.now
        ctx.event(note=note, data={"days": req.days})
    return ctx.ticket


def reply_ticket(ticket_id: int, actor: Actor, text: str) -> Ticket:
    """办理回复: the lead department answers for all departments on the ticket."""
    text = _text(text, "text")
    with ticket_action(ticket_id, "reply", actor) as ctx:
        if ctx.dept_role == "sub":
            departments.sub_reply(ctx, text)
            return ctx.ticket
        t = ctx.ticket
        pending = _pending_extension(t.id)
        if pending is not None:  # replying makes a pending extension moot
            pending.status, pending.decided_at = "withdrawn", ctx.now
            _resume_clocks(ctx)
        t.reply_text = text
        t.replied_at = ctx.now
        ctx.set_status(Status.REPLY_REVIEW)
        ctx.event(note=text, data={"on_time": t.due_at is None or ctx.now <= t.due_at})
    return ctx.ticket


# ---- the centre ----------------------------------------------------------------------------


def approve_reply(ticket_id: int, actor: Actor, note: str | None = None) -> Ticket:
    """审核通过: the reply becomes public (to the caller) and the callback is due."""
    note = _text(note, "note", required=False)
    with ticket_action(ticket_id, "approve-reply", actor) as ctx:
        ctx.ticket.reply_approved_at = ctx.now
        ctx.set_status(Status.CALLBACK_PENDING)
        ctx.event(note=note)
        _notify_caller(ctx.ticket, f"【12345】您的工单{ctx.ticket.number}已办理回复，可凭提取码查询。")
        callback_rules.schedule_callback(ctx, "reply")
    return ctx.ticket


def reject_reply(ticket_id: int, actor: Actor, note: str | None = None) -> Ticket:
    note = _text(note, "note", required=False)
    with ticket_action(ticket_id, "reject-reply", actor) as ctx:
        ctx.ticket.replied_at = None
        ctx.set_status(Status.IN_PROGRESS)
        ctx.event(note=note)
    return ctx.ticket


def record_callback(
    ticket_id: int,
    actor: Actor,
    resolved: object,
    satisfaction: object,
    note: str | None = None,
    survey: dict | None = None,
) -> Ticket:
    """回访结果: satisfied or basically satisfied closes; dissatisfied waits for verification.

    `survey` ({via, callback_id, call_sid}) when the answers come from the IVR or the SMS survey;
    without it they were taken by hand."""
    bad = {
        k: "1, 2 or 3"
        for k, v in (("resolved", resolved), ("satisfaction", satisfaction))
        if isinstance(v, bool) or v not in (1, 2, 3)
    }
    if bad:
        raise ValidationError("invalid callback answers", fields=bad)
    note = _text(note, "note", required=False)
    with ticket_action(ticket_id, "record-callback", actor) as ctx:
        t = ctx.ticket
        # One rating per round (IVR, SMS or by hand): a dissatisfied one is decided by a supervisor through
        # `reopen` or `close-excluded`, never overwritten by a second rating.
        require(t.callback_satisfaction is None, "this callback round already has a rating", "already_rated")
        t.callback_resolved, t.callback_satisfaction, t.callback_at = resolved, satisfaction, ctx.now
        cb = callback_rules.on_recorded(ctx, resolved, satisfaction, **(survey or {}))  # type: ignore[arg-type]
        if satisfaction in (1, 2):
            _close(ctx, Status.CLOSED, "rated")
        ctx.event(
            note=note,
            data={"resolved": resolved, "satisfaction": satisfaction, "callback": cb.id, "via": cb.answered_via},
        )
    return ctx.ticket


def reopen_ticket(ticket_id: int, actor: Actor, note: str | None = None) -> Ticket:
    """重办: verified dissatisfaction goes back to the same department with a new deadline."""
    note = _text(note, "note", required=False)
    with ticket_action(ticket_id, "reopen", actor) as ctx:
        t = ctx.ticket
        require(t.callback_satisfaction == 3, "only a dissatisfied callback can be reopened", "not_dissatisfied")
        require(t.department_id is not None, "the ticket has no department", "no_department")
        t.reopen_count += 1
        previous = {"resolved": t.callback_resolved, "satisfaction": t.callback_satisfaction}
        # The handling round that ends here, for the on-time resolution KPI (hotline.reports.kpis):
        # the clocks are cleared below, so its due time in force and final reply live on here.
        ended_round = {"due_at": sortable_stamp(t.due_at), "replied_at": sortable_stamp(t.replied_at)}
        t.callback_resolved = t.callback_satisfaction = t.callback_at = None
        t.reply_approved_at = t.replied_at = None
        _clear_clocks(t)
        _start_sign_clock(ctx)
        ctx.set_status(Status.REOPENED)
        ctx.event(
            note=note,
            data={"previous_rating": previous, "reopen_count": t.reopen_count, "round": ended_round},
        )
    return ctx.ticket


def urge_ticket(ticket_id: int, actor: Actor, note: str | None = None) -> Ticket:
    """催办: a reminder to the department, on the timeline and by SMS to its liaison."""
    note = _text(note, "note", required=False)
    with ticket_action(ticket_id, "urge", actor) as ctx:
        ctx.event(note=note)
        notices.notify(ctx, ctx.ticket.department, "urge")
    return ctx.ticket


def supervise_ticket(ticket_id: int, actor: Actor, note: str | None = None, answer_hours: object = None) -> Ticket:
    """督办: a formal supervision notice with its own answer deadline (default 1 working day)."""
    note = _text(note, "note", required=False)
    if answer_hours is not None and (
        isinstance(answer_hours, bool) or not isinstance(answer_hours, int) or not 1 <= answer_hours <= 720
    ):
        raise ValidationError("answer_hours out of range", fields={"answer_hours": "1 to 720"})
    with ticket_action(ticket_id, "supervise", actor) as ctx:
        if answer_hours:
            answer_by = ctx.now + dt.timedelta(hours=answer_hours)
            warn_by = ctx.now + (answer_by - ctx.now) * limits.warning_fraction()
        else:
            cal = limits.calendar()
            days = limits.config_value("supervise_answer_wd", 1)
            answer_by = cal.add_working_days(ctx.now, days)
            warn_by = cal.add_working_days(ctx.now, days * limits.warning_fraction())
        notice = SupervisionNotice(
            ticket_id=ctx.ticket.id,
            department_id=ctx.ticket.department_id,
            note=note,
            issued_by_id=actor.id,
            issued_at=ctx.now,
            answer_due_at=answer_by,
            answer_warn_at=warn_by,
        )
        db.session.add(notice)
        db.session.flush()
        ctx.event(note=note, data={"notice": notice.id, "answer_by": answer_by.isoformat()})
        for at in (warn_by, answer_by):
            outbox.add_job("hotline.tasks.deadlines.check_notice", [notice.id], at=at)
        notices.notify(ctx, ctx.ticket.department, "supervise")
    return ctx.ticket


def answer_supervision(ticket_id: int, actor: Actor, text: str) -> Ticket:
    """The lead department answers the ticket's open supervision notices."""
    text = _text(text, "text")
    with ticket_action(ticket_id, "answer-supervision", actor) as ctx:
        notices = db.session.scalars(
            select(SupervisionNotice).where(
                SupervisionNotice.ticket_id == ctx.ticket.id, SupervisionNotice.answered_at.is_(None)
            )
        ).all()
        require(bool(notices), "no supervision notice is open", "no_open_notice")
        for n in notices:
            n.answered_at, n.answer = ctx.now, text
        on_time = all(ctx.now <= n.answer_due_at for n in notices)
        ctx.event(note=text, data={"notices": [n.id for n in notices], "on_time": on_time})
    return ctx.ticket


def add_note(ticket_id: int, actor: Actor, text: str) -> Ticket:
    """A note on the timeline: how assisting departments contribute (协办意见)."""
    text = _text(text, "text")
    with ticket_action(ticket_id, "note", actor) as ctx:
        ctx.event(note=text, data={"part": ctx.dept_role} if ctx.dept_role else None)
    return ctx.ticket


def ensure_open(ticket: Ticket) -> None:
    if ticket.status not in OPEN:
        raise Conflict("the ticket is closed", code="closed")
