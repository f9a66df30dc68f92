"""办理情况向社会公布: consented, desensitised requests with their approved replies; monthly hotspots (热点)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from hotline.deadlines.calendar import TZ
from hotline.desensitise import desensitise
from hotline.extensions import db
from hotline.models import Caller, Category, Department, Region, Ticket
from hotline.workflow import Status

PER_PAGE = 20


def published_filter():
    """Consented (publishable), not confidential, and with a public reply."""
    return and_(
        Ticket.publishable.is_(True),
        Ticket.confidential.is_(False),
        or_(Ticket.reply_approved_at.is_not(None), Ticket.answer_text.is_not(None)),
    )


def region_and_descendants(code: str) -> list[str]:
    rows = db.session.execute(select(Region.code, Region.parent_code)).all()
    children: dict[str | None, list[str]] = {}
    for c, parent in rows:
        children.setdefault(parent, []).append(c)
    out, todo = [], [code]
    while todo:
        c = todo.pop()
        out.append(c)
        todo.extend(children.get(c, []))
    return out


@dataclass
class PublishedItem:
    title: str
    content: str
    category: str | None
    region: str | None
    address: str | None
    department: str | None
    received_on: dt.date
    reply: str
    replied_on: dt.date | None


def names_by_code(model) -> dict[str, str]:
    return dict(db.session.execute(select(model.code, model.name)).all())


def published_page(category: str | None, region: str | None, page: int) -> tuple[list[PublishedItem], int]:
    """One page of published items, newest first, and the number of matching items."""
    where = [published_filter()]
    if category:
        where.append(Ticket.category_code.like(category.replace("%", "").replace("_", "") + "%"))
    if region:
        where.append(Ticket.region_code.in_(region_and_descendants(region)))
    total = db.session.scalar(select(func.count()).select_from(Ticket).where(*where)) or 0
    rows = db.session.execute(
        select(
            Ticket.title,
            Ticket.content,
            Ticket.address,
            Ticket.category_code,
            Ticket.region_code,
            Ticket.created_at,
            Ticket.reply_text,
            Ticket.reply_approved_at,
            Ticket.answer_text,
            Ticket.closed_at,
            Department.name.label("department"),
            Caller.name.label("caller_name"),
        )
        .outerjoin(Department, Department.id == Ticket.department_id)
        .outerjoin(Caller, Caller.id == Ticket.caller_id)
        .where(*where)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    categories, regions = names_by_code(Category), names_by_code(Region)
    items = []
    for r in rows:
        names = [r.caller_name]
        reply = r.reply_text if r.reply_approved_at else r.answer_text
        replied = r.reply_approved_at or r.closed_at
        items.append(
            PublishedItem(
                title=desensitise(r.title, names) or categories.get(r.category_code or "", ""),
                content=desensitise(r.content, names) or "",
                category=categories.get(r.category_code or ""),
                region=regions.get(r.region_code or ""),
                address=desensitise(r.address, names),
                department=r.department,
                received_on=r.created_at.astimezone(TZ).date(),
                reply=desensitise(reply, names) or "",
                replied_on=replied.astimezone(TZ).date() if replied else None,
            )
        )
    return items, total


def month_bounds(month: str | None, today: dt.date | None = None) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """First day of the month (local time) and its UTC bounds; the current month by default."""
    if month:
        first = dt.datetime.strptime(month, "%Y-%m").date()
    else:
        today = today or dt.datetime.now(TZ).date()
        first = today.replace(day=1)
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    start = dt.datetime.combine(first, dt.time(), TZ).astimezone(dt.UTC)
    end = dt.datetime.combine(nxt, dt.time(), TZ).astimezone(dt.UTC)
    return first, start, end


@dataclass
class Hotspot:
    category: str
    region: str
    count: int
    previous: int


def hotspots(month: str | None, min_count: int, limit: int = 20) -> dict:
    """The month's hotspots (many tickets of one category in one area) and its top categories.

    Only counts are shown, and only from `min_count` up, so no single request can be picked out.
    """
    first, start, end = month_bounds(month)
    prev_first = (first - dt.timedelta(days=1)).replace(day=1)
    _, prev_start, prev_end = month_bounds(prev_first.strftime("%Y-%m"))
    counted = Ticket.status != Status.MERGED.value

    def pairs(lo, hi):
        return db.session.execute(
            select(Ticket.category_code, Ticket.region_code, func.count())
            .where(counted, Ticket.created_at >= lo, Ticket.created_at < hi)
            .where(Ticket.category_code.is_not(None), Ticket.region_code.is_not(None))
            .group_by(Ticket.category_code, Ticket.region_code)
        ).all()

    now_pairs = {(c, r): n for c, r, n in pairs(start, end)}
    prev_pairs = {(c, r): n for c, r, n in pairs(prev_start, prev_end)}
    categories, regions = names_by_code(Category), names_by_code(Region)
    spots = [
        Hotspot(categories.get(c, c), regions.get(r, r), n, prev_pairs.get((c, r), 0))
        for (c, r), n in now_pairs.items()
        if n >= min_count
    ]
    spots.sort(key=lambda h: (-h.count, h.category, h.region))
    by_top: dict[str, int] = {}
    for (c, _r), n in now_pairs.items():
        top = c[:2]
        by_top[top] = by_top.get(top, 0) + n
    top_categories = sorted(
        ((categories.get(code, code), n) for code, n in by_top.items() if n >= min_count), key=lambda x: -x[1]
    )[:10]
    total = db.session.scalar(
        select(func.count()).select_from(Ticket).where(counted, Ticket.created_at >= start, Ticket.created_at < end)
    )
    return {
        "month": first.strftime("%Y-%m"),
        "previous_month": prev_first.strftime("%Y-%m"),
        "next_month": (first + dt.timedelta(days=32)).replace(day=1).strftime("%Y-%m"),
        "total": total or 0,
        "hotspots": spots[:limit],
        "top_categories": top_categories,
    }
