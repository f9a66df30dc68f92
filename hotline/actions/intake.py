"""受理: a citizen's request becomes a ticket, in one transaction, from any channel."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from hotline import events, outbox, validation
from hotline.actions._core import Actor
from hotline.deadlines.calendar import TZ
from hotline.extensions import db
from hotline.models import Caller, Category, HotlineLine, Ticket, TicketNumberCounter, TimelineEvent
from hotline.models.base import utcnow
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


def _upsert(model, values: dict, index: list[str], update: dict, returning):
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(model).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=index, set_=update).returning(returning)
    return stmt


def next_ticket_number(now: dt.datetime) -> str:
    """XC + local date + a 5-digit daily sequence, unique under concurrent intake.

    On PostgreSQL the counter is bumped in its own short transaction so that concurrent intakes
    do not queue behind each other's commit; a failed intake leaves a gap, never a duplicate.
    Its commit need not wait for the disk: the ticket's own (durable) commit comes later and
    flushes the write-ahead log past it.
    """
    day = now.astimezone(TZ).strftime("%Y%m%d")
    prefix = current_app.config["TICKET_PREFIX"]
    stmt = _upsert(
        TicketNumberCounter,
        {"day": day, "last": 1},
        ["day"],
        {"last": TicketNumberCounter.last + 1},
        TicketNumberCounter.last,
    )
    if db.session.get_bind().dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            seq = conn.execute(stmt).scalar_one()
            conn.commit()
    else:
        seq = db.session.execute(stmt).scalar_one()
    return f"{prefix}{day}{seq:05d}"


def line_category(line: str | None) -> str | None:
    """The category a merged hotline number (12315 ...) pre-selects, as a category code."""
    if not line:
        return None
    path = db.session.scalar(select(HotlineLine.default_category_path).where(HotlineLine.number == line))
    if not path:
        return None
    return db.session.scalar(select(Category.code).where(Category.path == path))


def create_ticket(data: IntakeData, actor: Actor | None) -> tuple[Ticket, str]:
    """Create the ticket in `accepted`; returns it with the plain retrieval code (shown once)."""
    now = utcnow()
    try:
        number = next_ticket_number(now)
        code = f"{secrets.randbelow(1_000_000):06d}"
        caller_id = None
        if data.caller_phone:
            caller_id = db.session.execute(
                _upsert(
                    Caller,
                    {"phone": data.caller_phone, "name": data.caller_name, "created_at": now},
                    ["phone"],
                    {"phone": data.caller_phone} if not data.caller_name else {"name": data.caller_name},
                    Caller.id,
                )
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
        events.publish_ticket(ticket, "created", "create", [], ("operators", "supervisors"))
        if data.caller_phone and data.channel != "phone":
            outbox.add_sms(
                data.caller_phone,
                f"【12345】您的诉求已受理，工单号{number}，提取码{code}，可凭此查询办理进度。",
                ticket.id,
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    outbox.kick()
    return ticket, code
