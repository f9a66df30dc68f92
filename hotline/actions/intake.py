"""受理: a citizen's request becomes a ticket, in one transaction, from any channel."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, make_dataclass
from typing import Any

from flask import current_app
from sqlalchemy import text

from hotline import events, fastpath, metrics, outbox, timeline, validation
from hotline.actions import citizen_notices
from hotline.actions._core import Actor
from hotline.deadlines.calendar import TZ
from hotline.extensions import db
from hotline.models import Ticket, TicketNumberCounter
from hotline.models.base import utcnow
from hotline.retrieval_codes import hash_retrieval_code, new_code
from hotline.routing import catalogue, duplicates
from hotline.upsert import upsert
from hotline.workflow import Status


@dataclass
class IntakeData:
    channel: str
    type: str
    urgency: str
    content: str
    caller_phone: str | None = None
    caller_name: str | None = None
    category_code: str | None = None
    region_code: str | None = None
    address: str | None = None
    title: str | None = None
    line: str | None = None
    publishable: bool = False
    confidential: bool = False
    # 受理五要素 "when": when the matter happened, if the caller says (default: the intake time).
    occurred_at: dt.datetime | None = None


def parse_intake(payload: object, phone_required: bool = True) -> IntakeData:
    """Validate an intake body (the JSON API's field names); ValidationError names each bad field."""
    f = validation.Fields(payload)
    data = IntakeData(
        channel=f.choice("channel", validation.CHANNELS, default="phone") or "phone",
        type=f.choice("type", validation.TYPES, required=True) or "",
        urgency=f.choice("urgency", validation.URGENCIES, default="normal") or "normal",
        content=f.string("content", required=True, max_len=validation.MAX_CONTENT) or "",
        caller_phone=f.phone("caller_phone", required=phone_required),
        caller_name=f.string("caller_name", max_len=64),
        category_code=f.string("category", max_len=6),
        region_code=f.string("region", max_len=12),
        address=f.string("address", max_len=200),
        title=f.string("title", max_len=100),
        line=f.string("line", max_len=20),
        publishable=f.boolean("publishable"),
        confidential=f.boolean("confidential"),
        # A few minutes of grace for a client's clock running ahead.
        occurred_at=f.instant("occurred_at", latest=utcnow() + dt.timedelta(minutes=10)),
    )
    if data.category_code and data.category_code not in validation.category_codes:
        f.errors["category"] = "unknown category"
    if data.region_code and data.region_code not in validation.region_codes:
        f.errors["region"] = "unknown region"
    f.done()
    return data


# The day's counter bumped by a block (hotline.upsert: one statement, compiled once).
_BUMP_COUNTER = upsert(
    TicketNumberCounter,
    ("day", "last"),
    on=("day",),
    set_={"last": "ticket_number_counters.last + excluded.last"},
    returning=("last",),
)


class _NumberBlocks:
    """Sequence numbers and ticket ids reserved a block at a time, handed out in memory.

    One short transaction per block instead of one per ticket. Unused numbers of a block are lost when the
    process stops, leaving a gap, never a duplicate (the counter only grows; `number` is also unique).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # (database, day) -> (next sequence number, last sequence number, ticket ids for them)
        self.blocks: dict[tuple[str, str], tuple[int, int, list[int]]] = {}

    def take(self, day: str, size: int) -> tuple[int, int]:
        """The next sequence number of `day`, and the ticket id reserved with it."""
        key = (current_app.config["SQLALCHEMY_DATABASE_URI"], day)
        with self.lock:
            nxt, last, ids = self.blocks.get(key, (1, 0, []))
            if nxt > last:
                last, ids = _reserve(day, size)
                nxt = last - size + 1
                self.blocks = {k: v for k, v in self.blocks.items() if k[1] >= day}  # drop past days
            self.blocks[key] = (nxt + 1, last, ids[1:])
            return nxt, ids[0]

    def reset(self) -> None:
        with self.lock:
            self.blocks.clear()


_TAKE_IDS = text("SELECT nextval(pg_get_serial_sequence('tickets', 'id')) FROM generate_series(1, :n)")


def _reserve(day: str, size: int) -> tuple[int, list[int]]:
    """Bump the day's counter by `size` in its own short transaction; returns the block's last number and
    `size` ticket ids taken from the tickets' sequence (so that every row of an intake can be written in one
    statement).

    Its commit need not wait for the disk: the first ticket using the block commits durably later, which
    flushes the write-ahead log past this change.
    """
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        last = conn.execute(_BUMP_COUNTER, {"day": day, "last": size}).scalar_one()
        ids = list(conn.execute(_TAKE_IDS, {"n": size}).scalars())
        conn.commit()
    return last, ids


number_blocks = _NumberBlocks()


def next_ticket_number(now: dt.datetime) -> tuple[str, int]:
    """XC + local date + a 5-digit daily sequence, unique under concurrent intake in any number of processes;
    with the ticket id reserved for it."""
    day = now.astimezone(TZ).strftime("%Y%m%d")
    size = int(current_app.config.get("TICKET_NUMBER_BLOCK", 20))
    seq, ticket_id = number_blocks.take(day, size)
    return f"{current_app.config['TICKET_PREFIX']}{day}{seq:05d}", ticket_id


# Every column of the two tables, from the models: a column added to Ticket or TimelineEvent is written by the intake
# (NULL unless ticket_values / event_values set it; tests/test_intake_columns.py checks that every NOT NULL or
# defaulted column gets a value).
TICKET_COLUMNS: tuple[str, ...] = tuple(c.name for c in Ticket.__table__.columns)
EVENT_COLUMNS = timeline.EVENT_COLUMNS

NewTicket = make_dataclass(
    "NewTicket",
    [(name, Any, None) for name in TICKET_COLUMNS] + [("department", Any, None)],
    frozen=True,
    slots=True,
)
NewTicket.__doc__ = """What create_ticket wrote: every column of the new `tickets` row, as a frozen value (not an ORM
object: to change the ticket, load it, as the actions do). `department` is None, as on any new ticket."""


def ticket_values(data: IntakeData, actor: Actor | None, number: str, ticket_id: int, code: str, now) -> dict:
    """The new ticket's row: every column of `tickets`, those an intake does not set left NULL."""
    values: dict[str, Any] = dict.fromkeys(TICKET_COLUMNS)
    values.update(
        id=ticket_id,
        number=number,
        retrieval_code_hash=hash_retrieval_code(number, code),
        channel=data.channel,
        type=data.type,
        urgency=data.urgency,
        status=Status.ACCEPTED.value,
        category_code=data.category_code or catalogue.line_category(data.line),
        region_code=data.region_code,
        line=data.line,
        title=data.title,
        content=data.content,
        address=data.address,
        occurred_at=data.occurred_at or now,
        publishable=data.publishable,
        confidential=data.confidential,
        created_by_id=actor.id if actor else None,
        dispatch_rounds=0,
        designated=False,
        reopen_count=0,
        satisfaction_excluded=False,
        created_at=now,
        updated_at=now,
    )
    return values


def event_values(data: IntakeData, actor: Actor | None, ticket_id: int, now) -> dict:
    """The ticket's first timeline event (hotline.timeline's row), its `data` as JSON text for the one statement."""
    row = timeline.event_row(
        ticket_id,
        "create",
        actor,
        now,
        None,
        Status.ACCEPTED.value,
        actor_label=None if actor else f"citizen:{data.channel}",
        data={"channel": data.channel, "line": data.line} if data.line else None,
    )
    row["data"] = json.dumps(row["data"], ensure_ascii=False) if row["data"] is not None else None
    return row


def _param(col: str, prefix: str = "") -> str:
    if col == "caller_id":
        return "(SELECT id FROM c)"
    if col == "data":
        return f"CAST(%({prefix}{col})s AS json)"
    return f"%({prefix}{col})s"


# Every row of an intake in one statement (one round trip, one plan, prepared after a few uses): the caller, the
# ticket, its first timeline event, its signature rows and its outbox rows; it answers with the caller's id and how
# many tickets that caller opened in the repeat-complaint window before this one. It runs through
# hotline.fastpath (the driver's cursor; see there why). The signature keys travel as two array literals and the
# outbox rows as one JSON array, which the server parses faster than the driver would adapt lists one by one.
_INTAKE_SQL = (
    "WITH c AS ("
    " INSERT INTO callers (phone, name, do_not_call, created_at)"
    " SELECT CAST(%(phone)s AS varchar), CAST(%(caller_name)s AS varchar), false, %(now)s"
    " WHERE CAST(%(phone)s AS varchar) IS NOT NULL"
    " ON CONFLICT (phone) DO UPDATE SET name = COALESCE(EXCLUDED.name, callers.name) RETURNING id"
    "), t AS ("
    f" INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) VALUES ("
    + ", ".join(_param(col) for col in TICKET_COLUMNS)
    + ")), e AS ("
    f" INSERT INTO timeline_events ({', '.join(EVENT_COLUMNS)}) VALUES ("
    + ", ".join(_param(col, "ev_") for col in EVENT_COLUMNS)
    + ")), s AS ("
    " INSERT INTO ticket_signatures (ticket_id, band, band_key, created_at)"
    " SELECT %(id)s, u.band, u.band_key, %(now)s"
    " FROM unnest(CAST(%(bands)s AS integer[]), CAST(%(band_keys)s AS bigint[])) AS u(band, band_key)"
    "), o AS ("
    " INSERT INTO outbox (kind, payload, created_at, next_attempt_at, attempts)"
    " SELECT u.row->>'kind', u.row->'payload', %(now)s, %(now)s, 0"
    " FROM json_array_elements(CAST(%(outbox)s AS json)) AS u(row)"
    ") SELECT (SELECT id FROM c),"
    " (SELECT count(*) FROM tickets WHERE caller_id = (SELECT id FROM c) AND created_at >= %(since)s)"
)


def _array(values: list[int]) -> str:
    """A PostgreSQL array literal of integers."""
    return "{" + ",".join(map(str, values)) + "}"


def create_ticket(
    data: IntakeData,
    actor: Actor | None,
    attach: Callable[[Any], None] | None = None,
    before_commit: Callable[[Any, str], None] | None = None,
) -> tuple[Any, str]:
    """Create the ticket in `accepted`; returns it as a NewTicket (a frozen value) with the plain retrieval code
    (shown once).

    The ticket, its first timeline event, its near-duplicate signature rows and its outbox rows are written in one
    statement, then the repeat-complainer check runs when the caller has written before. `attach(ticket)` adds
    rows that belong to the intake (photos, a public channel's details) in the same transaction, so a ticket never
    exists without them nor they without it. `before_commit(ticket, code)` also runs in that transaction, for a
    channel that links its record and tells the caller the code (a voice message's SMS receipt).
    """
    now = utcnow()
    try:
        number, ticket_id = next_ticket_number(now)
        code = new_code()
        values = ticket_values(data, actor, number, ticket_id, code, now)
        event = event_values(data, actor, ticket_id, now)
        keys = duplicates.signature_keys(data.content, data.address, values["category_code"])
        out = _outbox_rows(NewTicket(**values), data, code)
        caller_id, earlier = fastpath.execute_one(
            _INTAKE_SQL,
            {
                **values,
                **{f"ev_{k}": v for k, v in event.items()},
                "phone": data.caller_phone,
                "caller_name": data.caller_name,
                "now": now,
                "bands": _array([band for band, _ in keys]),
                "band_keys": _array([key for _, key in keys]),
                "outbox": json.dumps(out, ensure_ascii=False),
                "since": now - dt.timedelta(days=duplicates.WINDOW_DAYS),
            },
        )
        ticket = NewTicket(**{**values, "caller_id": caller_id})
        outbox.note_kinds(r["kind"] for r in out)
        if caller_id is not None and earlier + 1 >= duplicates.REPEAT_THRESHOLD:
            duplicates.flag_repeat(ticket, now)
        if attach is not None:
            attach(ticket)
        if before_commit is not None:
            before_commit(ticket, code)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    metrics.TICKETS_CREATED.labels(data.channel).inc()
    metrics.ACTIONS.labels("create").inc()
    outbox.kick()
    return ticket, code


def _outbox_rows(ticket: Any, data: IntakeData, code: str) -> list[dict]:
    """What the intake tells: the consoles (a socket event) and the caller, by SMS to a mobile (number + code)."""
    rows = [events.ticket_row(ticket, "created", "create", [], ("operators", "supervisors"))]
    receipt = citizen_notices.receipt_row(data.caller_phone, ticket.number, code, ticket.id)  # every channel
    if receipt is not None:
        rows.append(receipt)
    return rows
