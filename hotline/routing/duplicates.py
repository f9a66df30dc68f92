"""并单/重复件: open tickets that may be the same matter, and repeat complainers (反复投诉).

Near-identical text is found with MinHash over character bigrams and locality-sensitive hashing:
each ticket stores BANDS band keys (each the hash of ROWS min-hashes) in `ticket_signatures`, written
in the intake transaction. A lookup reads the rows whose key equals one of the query's keys through
an index, so its cost follows the number of candidates, not the number of tickets; candidates are
then checked by their exact bigram similarity. Two texts with bigram Jaccard similarity 0.8 share a
band with probability 1-(1-0.8^5)^10 ≈ 98%; at 0.3 about 2%.

The same address and category is one more band (ADDRESS_BAND), keyed by the normalized address and
the category code; the same caller uses the tickets' (caller_id, created_at) index.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zlib

import numpy as np
from sqlalchemy import select, union_all

from hotline import timeline
from hotline.extensions import db
from hotline.models import Caller, Department, RepeatComplaint, Ticket, TicketSignature
from hotline.models.base import utcnow
from hotline.validation import normalize_phone
from hotline.workflow import OPEN

WINDOW_DAYS = 30
BANDS, ROWS = 10, 5
ADDRESS_BAND = 100
NEAR_SIMILARITY = 0.6  # bigram Jaccard from which a text counts as near-identical
REPEAT_SIMILARITY = 0.4  # looser: the same caller telling the same matter again in other words
REPEAT_THRESHOLD = 3
CANDIDATES = 100  # most-shared tickets read before the exact check
PER_KEY = 400  # newest entries read per band key
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(12345)
_A = _rng.integers(1, 1 << 31, size=BANDS * ROWS, dtype=np.uint64)
_B = _rng.integers(0, 1 << 31, size=BANDS * ROWS, dtype=np.uint64)
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_OPEN = [s.value for s in OPEN]


def clean(text: str | None) -> str:
    return _NOISE.sub("", text or "").lower()


def shingles(text: str | None) -> set[str]:
    s = clean(text)
    if len(s) < 2:
        return {s} if s else set()
    return {s[i : i + 2] for i in range(len(s) - 1)}


def similarity(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _key(*parts: object) -> int:
    """A signed 63-bit key (fits BIGINT everywhere)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def band_keys(text: str | None) -> list[int]:
    sh = shingles(text)
    if len(sh) < 3:  # too short to say anything about similarity
        return []
    h = np.fromiter((zlib.crc32(s.encode()) for s in sh), dtype=np.uint64, count=len(sh))
    mins = ((np.outer(_A, h) + _B[:, None]) % _PRIME).min(axis=1)
    return [_key("mh", b, *mins[b * ROWS : (b + 1) * ROWS].tolist()) for b in range(BANDS)]


def address_key(address: str | None, category: str | None) -> int | None:
    a = clean(address)
    if not a or not category:
        return None
    return _key("addr", category, a)


def signature_keys(content: str | None, address: str | None, category: str | None) -> list[tuple[int, int]]:
    """(band, key) pairs of a ticket's signature: its MinHash bands and its address band."""
    keys = list(enumerate(band_keys(content)))
    ak = address_key(address, category)
    if ak is not None:
        keys.append((ADDRESS_BAND, ak))
    return keys


def signature_rows(
    ticket_id: int, content: str | None, address: str | None, category: str | None, created_at: dt.datetime
) -> list[dict]:
    return rows_for_keys(ticket_id, signature_keys(content, address, category), created_at)


def rows_for_keys(ticket_id: int, keys: list[tuple[int, int]], created_at: dt.datetime) -> list[dict]:
    """The `ticket_signatures` rows of (band, key) pairs already computed."""
    return [{"ticket_id": ticket_id, "band": b, "band_key": k, "created_at": created_at} for b, k in keys]


# ---- lookup --------------------------------------------------------------------------------


def find(
    content: str | None,
    caller_phone: str | None = None,
    address: str | None = None,
    category: str | None = None,
    now: dt.datetime | None = None,
    exclude_id: int | None = None,
    limit: int = 20,
) -> list[dict]:
    """Open tickets of the last 30 days from the same caller, at the same address and category, or
    with near-identical text; each with the reasons it was found."""
    now = now or utcnow()
    since = now - dt.timedelta(days=WINDOW_DAYS)
    found: dict[int, dict] = {}

    def note(tid: int, reason: str, score: float | None = None) -> None:
        entry = found.setdefault(tid, {"reasons": [], "similarity": None})
        if reason not in entry["reasons"]:
            entry["reasons"].append(reason)
        if score is not None:
            entry["similarity"] = round(score, 3)

    phone = normalize_phone(caller_phone) if caller_phone else None
    if phone:
        caller_id = db.session.scalar(select(Caller.id).where(Caller.phone == phone))
        if caller_id is not None:
            for tid in db.session.scalars(
                select(Ticket.id)
                .where(Ticket.caller_id == caller_id, Ticket.created_at >= since, Ticket.status.in_(_OPEN))
                .order_by(Ticket.id.desc())
                .limit(limit)
            ):
                note(tid, "same_caller")

    ak = address_key(address, category)
    if ak is not None:
        for tid in db.session.scalars(
            select(Ticket.id)
            .join(TicketSignature, TicketSignature.ticket_id == Ticket.id)
            .where(
                TicketSignature.band_key == ak,
                TicketSignature.created_at >= since,
                Ticket.status.in_(_OPEN),
                Ticket.created_at >= since,
            )
            .order_by(Ticket.id.desc())
            .limit(limit)
        ):
            note(tid, "same_address_category")

    keys = band_keys(content)
    if keys:
        # Per band, the newest PER_KEY tickets of the window, read from the (key, time, ticket) index
        # alone: a bucket that common phrases fill up cannot make a lookup slow. The tickets sharing
        # the most bands (an estimate of similarity) are then checked by their exact similarity.
        hits: dict[int, int] = {}
        per_key = [
            select(TicketSignature.ticket_id)
            .where(TicketSignature.band_key == key, TicketSignature.created_at >= since)
            .order_by(TicketSignature.created_at.desc())
            .limit(PER_KEY)
            for key in keys
        ]
        for tid in db.session.scalars(union_all(*per_key)):  # one round trip
            hits[tid] = hits.get(tid, 0) + 1
        best = sorted(hits, key=lambda t: (-hits[t], -t))[:CANDIDATES]
        rows = (
            db.session.execute(
                select(Ticket.id, Ticket.content).where(
                    Ticket.id.in_(best), Ticket.status.in_(_OPEN), Ticket.created_at >= since
                )
            ).all()
            if best
            else []
        )
        rows.sort(key=lambda r: (-hits[r[0]], -r[0]))
        rows = rows[: limit * 2]
        query_sh = shingles(content)
        for tid, text in rows:
            score = similarity(query_sh, shingles(text))
            if score >= NEAR_SIMILARITY:
                note(tid, "similar_text", score)
    found.pop(exclude_id, None)  # type: ignore[arg-type]
    if not found:
        return []
    tickets = {
        r.id: r
        for r in db.session.execute(
            select(
                Ticket.id,
                Ticket.number,
                Ticket.status,
                Ticket.category_code,
                Ticket.address,
                Ticket.content,
                Ticket.created_at,
                Department.code.label("department"),
            )
            .outerjoin(Department, Department.id == Ticket.department_id)
            .where(Ticket.id.in_(list(found)))
        )
    }
    order = sorted(found, key=lambda i: (-len(found[i]["reasons"]), -(found[i]["similarity"] or 0), -i))
    out = []
    for tid in order[:limit]:
        t = tickets[tid]
        out.append(
            {
                "id": t.id,
                "number": t.number,
                "status": t.status,
                "category": t.category_code,
                "address": t.address,
                "content": t.content[:200],
                "created_at": t.created_at.isoformat().replace("+00:00", "Z"),
                "department": t.department,
                "reasons": found[tid]["reasons"],
                "similarity": found[tid]["similarity"],
            }
        )
    return out


# ---- repeat complainers --------------------------------------------------------------------


def flag_repeat(ticket: Ticket, now: dt.datetime) -> RepeatComplaint | None:
    """反复投诉: when this caller has written about the same matter 3+ times in 30 days (this ticket
    included), open or update a flag for supervision, with an event on the ticket's timeline."""
    if ticket.caller_id is None:
        return None
    since = now - dt.timedelta(days=WINDOW_DAYS)
    earlier = db.session.execute(
        select(Ticket.id, Ticket.content, Ticket.category_code, Ticket.address)
        .where(Ticket.caller_id == ticket.caller_id, Ticket.created_at >= since, Ticket.id != ticket.id)
        .order_by(Ticket.id)
        .limit(200)
    ).all()
    if len(earlier) + 1 < REPEAT_THRESHOLD:
        return None
    mine = shingles(ticket.content)
    addr = clean(ticket.address)
    same: list[int] = []
    matter = None
    for tid, content, cat, address in earlier:
        why = None
        if ticket.category_code and cat == ticket.category_code:
            why = "category"
        elif addr and clean(address) == addr:
            why = "address"
        elif similarity(mine, shingles(content)) >= REPEAT_SIMILARITY:
            why = "text"
        if why:
            same.append(tid)
            matter = matter or why
    if len(same) + 1 < REPEAT_THRESHOLD:
        return None
    ids = [*same, ticket.id]
    flag = None
    for f in db.session.scalars(
        select(RepeatComplaint).where(
            RepeatComplaint.caller_id == ticket.caller_id, RepeatComplaint.resolved_at.is_(None)
        )
    ):
        if set(f.ticket_ids) & set(same):
            flag = f
            break
    if flag is None:
        flag = RepeatComplaint(
            caller_id=ticket.caller_id,
            first_ticket_id=ids[0],
            last_ticket_id=ticket.id,
            ticket_ids=ids,
            count=len(ids),
            matter=matter or "text",
            flagged_at=now,
            updated_at=now,
        )
        db.session.add(flag)
    else:
        flag.ticket_ids = sorted(set(flag.ticket_ids) | set(ids))
        flag.count = len(flag.ticket_ids)
        flag.last_ticket_id = ticket.id
        flag.updated_at = now
    db.session.flush()
    timeline.add(
        ticket.id,
        "repeat-flag",
        None,
        now,
        ticket.status,
        ticket.status,
        note=f"同一来电人30日内第{flag.count}次反映同一事项，列入督办关注",
        data={"repeat_complaint": flag.id, "tickets": flag.ticket_ids, "matter": flag.matter},
    )
    return flag


def repeat_to_dict(flag: RepeatComplaint, numbers: dict[int, str]) -> dict:
    def iso(v):
        return v.isoformat().replace("+00:00", "Z") if v else None

    return {
        "id": flag.id,
        "caller_id": flag.caller_id,
        "count": flag.count,
        "matter": flag.matter,
        "tickets": [numbers.get(i, i) for i in flag.ticket_ids],
        "ticket_ids": flag.ticket_ids,
        "first_ticket_id": flag.first_ticket_id,
        "last_ticket_id": flag.last_ticket_id,
        "flagged_at": iso(flag.flagged_at),
        "updated_at": iso(flag.updated_at),
        "resolved_at": iso(flag.resolved_at),
        "resolved_by": flag.resolved_by,
        "note": flag.note,
    }
