"""Changes to the working calendar: importing a year's official schedule (the State Council's notice)
and the city's one-day overrides. Either may move deadlines already computed: every open ticket whose
working-day clock crosses a changed day gets its instants recomputed, its jobs scheduled at the new
instants, and a `due-moved` event on its timeline saying from when to when and why; all in the same
transaction as the change, so an import is all or nothing, deadlines included.

Time that has already run is not reconsidered: from max(now, the first changed day) on, each future
instant keeps the working time it had left under the old calendar, counted on the new one.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import delete, or_, select

from hotline import events, outbox, timeline
from hotline.actions._core import Actor
from hotline.deadlines import limits
from hotline.deadlines.calendar import TZ, WorkingCalendar
from hotline.errors import NotFound, ValidationError
from hotline.extensions import db
from hotline.models import (
    Assignment,
    CalendarOverride,
    Department,
    OfficialCalendarDay,
    OfficialCalendarYear,
    Ticket,
)
from hotline.models.base import utcnow
from hotline.workflow import OPEN

MAX_IMPORT_BYTES = 64 * 1024
_TRUE = {"1", "true", "yes", "y", "是", "班", "上班", "workday"}
_FALSE = {"0", "false", "no", "n", "否", "休", "休息", "holiday"}


class CalendarImportError(ValidationError):
    code = "bad_calendar"


def parse_schedule(text: str) -> tuple[int, list[tuple[dt.date, bool, str | None]]]:
    """A year's schedule as CSV `date,workday,name` (a header line is optional): the holidays and the make-up
    working days of one year. Every error is reported with its line number; nothing is half-read."""
    errors: list[str] = []
    days: dict[dt.date, int] = {}
    rows: list[tuple[dt.date, bool, str | None]] = []
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    for number, row in enumerate(lines, start=1):
        cells = [c.strip() for c in row]
        if not cells or all(not c for c in cells) or cells[0].startswith("#"):
            continue
        if number == 1 and cells[0].lower() == "date":
            continue
        if len(cells) not in (2, 3):
            errors.append(f"line {number}: expected date,workday,name")
            continue
        try:
            day = dt.date.fromisoformat(cells[0])
        except ValueError:
            errors.append(f"line {number}: {cells[0]!r} is not a date (YYYY-MM-DD)")
            continue
        flag = cells[1].lower()
        if flag not in _TRUE | _FALSE:
            errors.append(f"line {number}: workday must be true or false, not {cells[1]!r}")
            continue
        name = cells[2] if len(cells) == 3 and cells[2] else None
        if name is not None and len(name) > 64:
            errors.append(f"line {number}: the name is longer than 64 characters")
            continue
        if day in days:
            errors.append(f"line {number}: {day} is already on line {days[day]}")
            continue
        days[day] = number
        rows.append((day, flag in _TRUE, name))
    years = sorted({d.year for d, _, _ in rows})
    if not errors and not rows:
        errors.append("line 1: no days in the file")
    if len(years) > 1:
        first = {y: min(days[d] for d, _, _ in rows if d.year == y) for y in years}
        errors.append(
            f"line {first[years[1]]}: one year per file ({years[0]} from line {first[years[0]]}, then {years[1]})"
        )
    if errors:
        raise CalendarImportError("; ".join(errors[:20]), fields={"file": errors[:20]})
    return years[0], rows


def import_schedule(text: str, actor: Actor, now: dt.datetime | None = None) -> dict:
    """Replace `year`'s official days with the file's, mark the year official, move crossed deadlines."""
    year, rows = parse_schedule(text)
    now = now or utcnow()
    try:
        old = limits.load_calendar()
        db.session.execute(
            delete(OfficialCalendarDay).where(
                OfficialCalendarDay.day >= dt.date(year, 1, 1), OfficialCalendarDay.day <= dt.date(year, 12, 31)
            )
        )
        db.session.add_all(OfficialCalendarDay(day=d, is_workday=w, name=n) for d, w, n in rows)
        entry = db.session.get(OfficialCalendarYear, year) or OfficialCalendarYear(year=year)
        entry.imported_at, entry.imported_by, entry.days = now, actor.label, len(rows)
        db.session.add(entry)
        db.session.flush()
        new = limits.load_calendar()
        changed = _changed_days(old, new, dt.date(year, 1, 1), dt.date(year, 12, 31))
        moved = _move_deadlines(old, new, changed, actor, now, f"工作日历导入：{year}年国务院放假安排")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    limits.clear_calendar_cache()
    outbox.kick()
    return {"year": year, "days": len(rows), "changed_days": len(changed), "tickets_moved": moved}


def set_override(
    day: dt.date, workday: bool, note: str | None, actor: Actor, now: dt.datetime | None = None
) -> CalendarOverride:
    now = now or utcnow()
    try:
        old = limits.load_calendar()
        row = db.session.get(CalendarOverride, day.isoformat()) or CalendarOverride(day=day.isoformat())
        row.is_workday, row.note = workday, note
        db.session.add(row)
        db.session.flush()
        new = limits.load_calendar()
        kind = "工作日" if workday else "休息日"
        _move_deadlines(old, new, _changed_days(old, new, day, day), actor, now, f"工作日历调整：{day} 设为{kind}")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    limits.clear_calendar_cache()
    outbox.kick()
    return row


def delete_override(day: dt.date, actor: Actor, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    try:
        row = db.session.get(CalendarOverride, day.isoformat())
        if row is None:
            raise NotFound("no override for that date")
        old = limits.load_calendar()
        db.session.delete(row)
        db.session.flush()
        new = limits.load_calendar()
        _move_deadlines(old, new, _changed_days(old, new, day, day), actor, now, f"工作日历调整：撤销 {day} 的调整")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    limits.clear_calendar_cache()
    outbox.kick()


def _changed_days(old: WorkingCalendar, new: WorkingCalendar, first: dt.date, last: dt.date) -> list[dt.date]:
    out, d = [], first
    while d <= last:
        if old.is_workday(d) != new.is_workday(d):
            out.append(d)
        d += dt.timedelta(days=1)
    return out


# The planned instants of each clock; a clock in natural time keeps its own instants (only notice_at,
# always in working days after the due time, moves).
_SIGN = ("sign_due_at", "sign_warn_at")
_HANDLE = ("due_at", "warn_at")


def _move_deadlines(
    old: WorkingCalendar, new: WorkingCalendar, changed: list[dt.date], actor: Actor, now: dt.datetime, reason: str
) -> int:
    if not changed:
        return 0
    first_change = dt.datetime.combine(changed[0], dt.time(0), TZ).astimezone(dt.UTC)
    last_change_end = dt.datetime.combine(changed[-1] + dt.timedelta(days=1), dt.time(0), TZ).astimezone(dt.UTC)
    origin = max(now, first_change)
    if origin >= last_change_end:
        return 0  # every changed day is already over: time that ran is not reconsidered

    def remap(at: dt.datetime | None) -> dt.datetime | None:
        if at is None or at <= origin:
            return at
        return new.add_working_time(origin, old.working_time_between(origin, at))

    tickets = db.session.scalars(
        select(Ticket)
        .where(
            Ticket.status.in_([s.value for s in OPEN]),
            or_(Ticket.sign_due_at > origin, Ticket.due_at > origin, Ticket.notice_at > origin),
        )
        .order_by(Ticket.id)
        .with_for_update()
    ).all()
    moved = 0
    for t in tickets:
        sign, handle = limits.limit_for("sign", t.type, t.urgency), limits.limit_for("handle", t.type, t.urgency)
        attrs: list[str] = []
        if sign is not None and not sign.natural and t.signed_at is None:
            attrs += _SIGN
        if handle is not None and not handle.natural:
            attrs += _HANDLE
        attrs.append("notice_at")
        changes = {}
        for attr in attrs:
            before = getattr(t, attr)
            after = remap(before)
            if after != before:
                changes[attr] = (before, after)
                setattr(t, attr, after)
        if not changes:
            continue
        moved += 1
        t.updated_at = now
        for _, after in changes.values():
            outbox.add_job("hotline.tasks.deadlines.check_ticket", [t.id], at=after)
        timeline.add(
            t.id,
            "due-moved",
            actor,
            now,
            t.status,
            t.status,
            department_id=t.department_id,
            note=reason,
            data={a: {"from": b.isoformat(), "to": n.isoformat()} for a, (b, n) in changes.items()},
        )
        codes = list(
            db.session.scalars(
                select(Department.code)
                .join(Assignment, Assignment.department_id == Department.id)
                .where(Assignment.ticket_id == t.id, Assignment.active.is_(True))
            )
        )
        events.publish_ticket(t, "updated", "due-moved", codes)
    return moved
