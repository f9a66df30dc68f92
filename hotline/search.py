"""工单查询: the ticket search behind `GET /api/v1/tickets`, its export and the search page.

Words (`q`) are found in the title, content, address and reply, Chinese included, through a GIN index of the
text's character bigrams (`ticket_search_grams`, created by migration 7c3d9e1f2a55): every bigram of a word must be
in the row's set (the index answers that), then an ILIKE on the row confirms the word itself. PostgreSQL's
pg_trgm indexes trigrams, which cannot serve the two-character words most Chinese searches are made of (路灯,
噪音, 燃气); bigrams serve words of two characters and more. A one-character word is matched by ILIKE alone.
`bench/search.py` measures it against 1,000,000 tickets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import BigInteger, ColumnElement, Select, and_, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from hotline import access
from hotline.deadlines.calendar import TZ
from hotline.errors import ValidationError
from hotline.extensions import db
from hotline.models import Caller, Category, Department, Region, Ticket, User
from hotline.validation import CHANNELS, TYPES, URGENCIES, normalize_phone
from hotline.workflow import Status

MAX_WORDS = 5
# Counting stops here ("1000+"): a broad search's exact count would cost more than its page.
COUNT_CAP = 1_000
MAX_WORD = 50


def search_grams() -> ColumnElement:
    """The indexed expression (it must match the index's definition exactly)."""
    return func.ticket_search_grams(Ticket.title, Ticket.content, Ticket.address, Ticket.reply_text)


def search_text() -> ColumnElement:
    return func.concat_ws(" ", Ticket.title, Ticket.content, Ticket.address, Ticket.reply_text)


def grams(word: str) -> list[str]:
    w = word.lower()
    return sorted({w[i : i + 2] for i in range(len(w) - 1)})


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def words_clause(q: str, use_index: bool = True) -> ColumnElement[bool]:
    words = [w for w in q.split() if w][:MAX_WORDS]
    if any(len(w) > MAX_WORD for w in words):
        raise ValidationError("a word is too long", fields={"q": f"words of at most {MAX_WORD} characters"})
    clauses = []
    long_words = [w for w in words if len(w) >= 2]
    if long_words and use_index:
        all_grams = sorted({g for w in long_words for g in grams(w)})
        clauses.append(search_grams().op("@>")(cast(all_grams, ARRAY(Text))))
    haystack = search_text()
    clauses += [haystack.ilike(_like(w), escape="\\") for w in words]
    return and_(*clauses)


def _choices(args: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> list[str] | None:
    raw = args.get(name)
    if not raw:
        return None
    wanted = [s for s in raw.split(",") if s]
    bad = [s for s in wanted if s not in allowed]
    if bad:
        raise ValidationError(f"unknown {name}", fields={name: "unknown: " + ", ".join(bad)})
    return wanted


def _day(args: Mapping[str, str], name: str) -> dt.date | None:
    raw = args.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a date", fields={name: "a date, YYYY-MM-DD"}) from None


def _region_and_below(code: str) -> list[str]:
    rows = db.session.execute(select(Region.code, Region.parent_code)).all()
    if code not in {r.code for r in rows}:
        raise ValidationError("unknown region", fields={"region": "unknown region"})
    children: dict[str | None, list[str]] = {}
    for r in rows:
        children.setdefault(r.parent_code, []).append(r.code)
    out, todo = [], [code]
    while todo:
        c = todo.pop()
        out.append(c)
        todo += children.get(c, [])
    return out


def filtered(user: User, args: Mapping[str, str], query: Select | None = None, use_index: bool = True) -> Select:
    """The tickets `user` may see that match the search arguments (CONTRACT.md's names); 422 naming a bad one.

    `use_index=False` matches the words by ILIKE alone: for a broad search (more than COUNT_CAP matches), walking
    the tickets newest first finds a page long before the index has fetched every match to sort them."""
    query = access.visible_tickets(user, query if query is not None else select(Ticket))
    if statuses := _choices(args, "status", tuple(Status._value2member_map_)):
        query = query.where(Ticket.status.in_(statuses))
    for name, allowed, column in (
        ("type", TYPES, Ticket.type),
        ("channel", CHANNELS, Ticket.channel),
        ("urgency", URGENCIES, Ticket.urgency),
    ):
        if wanted := _choices(args, name, allowed):
            query = query.where(column.in_(wanted))
    if dept := args.get("department"):
        dept_id = db.session.scalar(select(Department.id).where(Department.code == dept))
        if dept_id is None:
            raise ValidationError("unknown department", fields={"department": "unknown department"})
        query = query.where(Ticket.department_id == dept_id)
    if handler := args.get("handler"):  # "me": the tickets the viewer is the handling officer of
        if handler != "me":
            raise ValidationError("handler must be me", fields={"handler": "me"})
        query = query.where(Ticket.handler_id == user.id)
    if number := args.get("number"):
        query = query.where(Ticket.number == number.strip().upper())
    if phone_raw := args.get("phone"):
        phone = normalize_phone(phone_raw)
        if phone is None:
            raise ValidationError("not a phone number", fields={"phone": "not a valid phone number"})
        query = query.where(Ticket.caller_id.in_(select(Caller.id).where(Caller.phone == phone)))
    if category := args.get("category"):
        # Codes have two digits per level: a level-1 or level-2 code is the prefix of everything under it.
        if db.session.get(Category, category) is None:
            raise ValidationError("unknown category", fields={"category": "unknown category"})
        query = query.where(Ticket.category_code.startswith(category, autoescape=True))
    if region := args.get("region"):
        query = query.where(Ticket.region_code.in_(_region_and_below(region)))
    if overdue := args.get("overdue"):
        if overdue not in ("true", "false"):
            raise ValidationError("overdue must be true or false", fields={"overdue": "true or false"})
        marked = (Ticket.overdue_at.is_not(None)) | (Ticket.sign_overdue_at.is_not(None))
        query = query.where(marked if overdue == "true" else ~marked)
    # Dates are the city's days (Asia/Shanghai), both ends included.
    created_from, created_to = _day(args, "created_from"), _day(args, "created_to")
    if created_from and created_to and created_from > created_to:
        raise ValidationError("created_from is after created_to", fields={"created_from": "after created_to"})
    if created_from:
        query = query.where(Ticket.created_at >= dt.datetime.combine(created_from, dt.time(0), TZ))
    if created_to:
        query = query.where(Ticket.created_at < dt.datetime.combine(created_to + dt.timedelta(days=1), dt.time(0), TZ))
    if q := (args.get("q") or "").strip():
        query = query.where(words_clause(q, use_index))
    return query


def capped_count(query: Select) -> int:
    """How many tickets match, counting at most COUNT_CAP + 1."""
    counted = query.order_by(None).with_only_columns(Ticket.id).limit(COUNT_CAP + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(counted)) or 0


def search(user: User, args: Mapping[str, str]) -> tuple[Select, int, ColumnElement]:
    """The query for the newest-first listing, the capped count of its matches, and the order to list them in.

    The matches are fetched once, as ids, up to COUNT_CAP + 1: when there are at most COUNT_CAP of them, they are
    the count and the listing is those ids (the primary key), so a narrow search reads the bigram index once, not
    once to count and again for the page. With words and more than COUNT_CAP matches, the plan is chosen here
    rather than left to the planner, which misjudges how many tickets share several words: a broad search walks
    the tickets newest first checking the words by ILIKE (a page is found within a few thousand rows)."""
    query = filtered(user, args)
    ids = db.session.scalars(query.order_by(None).with_only_columns(Ticket.id).limit(COUNT_CAP + 1)).all()
    if len(ids) <= COUNT_CAP:
        # Access again on the rows themselves (cheap on a few ids): what is listed is what the viewer may see.
        listed = access.visible_tickets(user, select(Ticket).where(Ticket.id == func.any(cast(ids, ARRAY(BigInteger)))))
        return listed, len(ids), Ticket.id.desc()
    if (args.get("q") or "").strip():
        query = filtered(user, args, use_index=False)
    return query, len(ids), Ticket.id.desc()
