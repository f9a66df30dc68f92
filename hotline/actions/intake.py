"""受理: a citizen's request becomes a ticket, in one transaction, from any channel."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, text

from hotline import events, outbox, validation
from hotline.actions._core import Actor
from hotline.deadlines.calendar import TZ
from hotline.extensions import db
from hotline.models import Category, HotlineLine, Ticket, TimelineEvent
from hotline.models.base import utcnow
from hotline.routing import duplicates
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
    )
    if data.category_code and data.category_code not in validation.category_codes:
        f.errors["category"] = "unknown category"
    if data.region_code and data.region_code not in validation.region_codes:
        f.errors["region"] = "unknown region"
    f.done()
    return data


def hash_retrieval_code(number: str, code: str) -> str:
    """HMAC of the code with the server's secret: a stolen table does not reveal codes."""
    key = (current_app.config.get("RETRIEVAL_CODE_KEY") or current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"{number}:{code}".encode(), hashlib.sha256).hexdigest()


def check_retrieval_code(ticket: Ticket, code: str) -> bool:
    return hmac.compare_digest(ticket.retrieval_code_hash, hash_retrieval_code(ticket.number, code))


# Plain SQL upserts: the same text every time, so the driver and SQLAlchemy cache them (the dialect's
# on_conflict constructs are compiled anew on each call). Valid on PostgreSQL and SQLite 3.35+.
_BUMP_COUNTER = text(
    "INSERT INTO ticket_number_counters (day, last) VALUES (:day, :n) "
    "ON CONFLICT (day) DO UPDATE SET last = ticket_number_counters.last + :n RETURNING last"
)
_UPSERT_CALLER = text(
    "INSERT INTO callers (phone, name, do_not_call, created_at) VALUES (:phone, :name, false, :now) "
    "ON CONFLICT (phone) DO UPDATE SET name = COALESCE(:name, callers.name) RETURNING id"
)


class _NumberBlocks:
    """Sequence numbers reserved from the daily counter a block at a time, handed out in memory.

    One short transaction per block instead of one per ticket. Unused numbers of a block are lost when the
    process stops, leaving a gap, never a duplicate (the counter only grows; `number` is also unique).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.blocks: dict[tuple[str, str], tuple[int, int]] = {}  # (database, day) -> (next, last)

    def take(self, day: str, size: int) -> int:
        key = (current_app.config["SQLALCHEMY_DATABASE_URI"], day)
        with self.lock:
            nxt, last = self.blocks.get(key, (1, 0))
            if nxt > last:
                last = _reserve(day, size)
                nxt = last - size + 1
                self.blocks = {k: v for k, v in self.blocks.items() if k[1] >= day}  # drop past days
            self.blocks[key] = (nxt + 1, last)
            return nxt

    def reset(self) -> None:
        with self.lock:
            self.blocks.clear()


def _reserve(day: str, size: int) -> int:
    """Bump the day's counter by `size` in its own short transaction; returns the block's last number.

    Its commit need not wait for the disk: the first ticket using the block commits durably later, which
    flushes the write-ahead log past this change.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            last = conn.execute(_BUMP_COUNTER, {"day": day, "n": size}).scalar_one()
            conn.commit()
        return last
    return db.session.execute(_BUMP_COUNTER, {"day": day, "n": size}).scalar_one()


number_blocks = _NumberBlocks()


def next_ticket_number(now: dt.datetime) -> str:
    """XC + local date + a 5-digit daily sequence, unique under concurrent intake in any number of processes."""
    day = now.astimezone(TZ).strftime("%Y%m%d")
    size = int(current_app.config.get("TICKET_NUMBER_BLOCK", 20))
    if db.session.get_bind().dialect.name != "postgresql":
        size = 1  # SQLite: one writer at a time, in the ticket's own transaction
    seq = number_blocks.take(day, size)
    return f"{current_app.config['TICKET_PREFIX']}{day}{seq:05d}"


def line_category(line: str | None) -> str | None:
    """The category a merged hotline number (12315 ...) pre-selects, as a category code."""
    if not line:
        return None
    path = db.session.scalar(select(HotlineLine.default_category_path).where(HotlineLine.number == line))
    if not path:
        return None
    return db.session.scalar(select(Category.code).where(Category.path == path))


def create_ticket(
    data: IntakeData,
    actor: Actor | None,
    attach: Callable[[Ticket], None] | None = None,
    before_commit: Callable[[Ticket, str], None] | None = None,
) -> tuple[Ticket, str]:
    """Create the ticket in `accepted`; returns it with the plain retrieval code (shown once).

    `attach(ticket)` adds rows that belong to the intake (photos, a public channel's details) in the same
    transaction, so a ticket never exists without them nor they without it. `before_commit(ticket, code)` also
    runs in that transaction, for a channel that links its record and tells the caller the code (a voice
    message's SMS receipt).
    """
    now = utcnow()
    try:
        number = next_ticket_number(now)
        code = f"{secrets.randbelow(1_000_000):06d}"
        caller_id = None
        if data.caller_phone:
            caller_id = db.session.execute(
                _UPSERT_CALLER, {"phone": data.caller_phone, "name": data.caller_name, "now": now}
            ).scalar_one()
        ticket = Ticket(
            number=number,
            retrieval_code_hash=hash_retrieval_code(number, code),
            channel=data.channel,
            type=data.type,
            urgency=data.urgency,
            status=Status.ACCEPTED.value,
            category_code=data.category_code or line_category(data.line),
            region_code=data.region_code,
            line=data.line,
            title=data.title,
            content=data.content,
            address=data.address,
            caller_id=caller_id,
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
        db.session.add(ticket)
        db.session.flush()
        db.session.add(
            TimelineEvent(
                ticket_id=ticket.id,
                at=now,
                action="create",
                actor_id=actor.id if actor else None,
                actor_label=actor.label if actor else f"citizen:{data.channel}",
                from_status=None,
                to_status=ticket.status,
                note=None,
                data={"channel": data.channel, "line": data.line} if data.line else None,
            )
        )
        # Near-duplicate signature rows and the repeat-complainer flag, in the same transaction.
        duplicates.record(ticket, now)
        if attach is not None:
            attach(ticket)
        events.publish_ticket(ticket, "created", "create", [], ("operators", "supervisors"))
        if data.caller_phone and data.channel != "phone":
            outbox.add_sms(
                data.caller_phone,
                f"【12345】您的诉求已受理，工单号{number}，提取码{code}，可凭此查询办理进度。",
                ticket.id,
            )
        if before_commit is not None:
            before_commit(ticket, code)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    outbox.kick()
    return ticket, code
