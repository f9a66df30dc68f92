"""Notices to departments (部门通知): on dispatch, sub-dispatch, warning, overdue, urging and supervision the
liaison gets an SMS (through the outbox: retried until Twilio takes it) and the department's users a notice in
their console inbox (a socket event makes the unread count live). Each department chooses per kind; the row
without a department is the admins' default; with no row at all both are on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, or_, select

from hotline import events, memo, outbox
from hotline.extensions import db
from hotline.models import NOTICE_KINDS, Department, Notice, NoticePreference, Ticket, User

TEXTS = {
    "dispatch": "【12345】新工单{number}已派至贵单位，请及时签收办理。",
    "sub-dispatch": "【12345】工单{number}已二级派单至贵单位，请及时签收办理。",
    "warning": "【12345】工单{number}即将超期，请及时办理。",
    "overdue": "【12345】工单{number}已超期，请及时办理。",
    "notice": "【12345】工单{number}超期已达通报标准，请及时办理。",
    "urge": "【12345】工单{number}已被催办，请抓紧办理。",
    "supervise": "【12345】工单{number}已被督办，请于期限内反馈。",
}
# The deadline marks' kinds ("notice" is the public-notice level of overdue) map onto the preferences' kinds.
PREFERENCE_KIND = {"notice": "overdue"}


def preferences(department_id: int | None) -> dict[str, dict[str, bool]]:
    """{kind: {"sms", "inbox"}} in force for a department (its own rows over the defaults over "both on")."""
    out = {k: {"sms": True, "inbox": True} for k in NOTICE_KINDS}
    rows = db.session.scalars(
        select(NoticePreference).where(
            or_(NoticePreference.department_id.is_(None), NoticePreference.department_id == department_id)
        )
    ).all()
    for row in sorted(rows, key=lambda r: r.department_id is not None):  # defaults first, own choices over them
        if row.kind in out:
            out[row.kind] = {"sms": row.sms, "inbox": row.inbox}
    return out


def rows_for(dept: Department, ticket: Ticket, kind: str, now: dt.datetime) -> tuple[list[dict], list[dict]]:
    """The outbox rows (SMS, socket event) and inbox rows one notice makes, for callers that write in bulk."""
    every = memo.remembered(("notice-preferences", dept.id), lambda: preferences(dept.id))
    pref = every[PREFERENCE_KIND.get(kind, kind)]
    text = TEXTS[kind].format(number=ticket.number)
    rows: list[dict] = []
    inbox: list[dict] = []
    if pref["sms"] and dept.liaison_phone:
        rows.append(outbox.sms_row(dept.liaison_phone, text, ticket.id))
    if pref["inbox"]:
        user_ids = memo.remembered(("department-users", dept.id), lambda: _active_staff(dept.id))
        inbox = [
            {
                "user_id": uid,
                "department_id": dept.id,
                "ticket_id": ticket.id,
                "kind": kind,
                "text": text,
                "created_at": now,
            }
            for uid in user_ids
        ]
        if inbox:
            event: dict[str, Any] = {
                "type": "ticket",
                "op": "notice",
                "id": ticket.id,
                "number": ticket.number,
                "kind": kind,
                "department": dept.code,
                "text": text,
            }
            rows.append(outbox.socket_row(event, [events.dept_room(dept.code)]))
    return rows, inbox


def _active_staff(department_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(User.id).where(User.department_id == department_id, User.active.is_(True), User.role == "department")
        )
    )


def write(rows: list[dict], inbox: list[dict]) -> None:
    outbox.add_rows(rows)
    if inbox:
        db.session.execute(insert(Notice), inbox)


def notify(ctx: Any, dept: Department | None, kind: str) -> None:
    """Within an action (`ctx` is its ActionContext): tell `dept` about the ticket."""
    if dept is None:
        return
    write(*rows_for(dept, ctx.ticket, kind, ctx.now))


def unread_count(user_id: int) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).where(Notice.user_id == user_id, Notice.read_at.is_(None))) or 0
