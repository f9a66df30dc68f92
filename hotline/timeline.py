"""The ticket timeline (办理记录), written one way: `event_row` builds the row, `write` inserts rows.

Every writer uses these two: the actions (`ActionContext.event`), the merge's note on the other ticket, the
deadline sweeps (many rows in one statement), the repeat-complaint flag, the retrieval-code resend, the calendar's
moved deadlines, and the intake, whose fast path (hotline.fastpath) inserts the same row as part of its one
statement. The timeline is append-only: nothing here updates or deletes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import insert

from hotline.extensions import db
from hotline.models import TimelineEvent

# Every column but the id, from the model: a column added to TimelineEvent is written (NULL unless given).
EVENT_COLUMNS: tuple[str, ...] = tuple(c.name for c in TimelineEvent.__table__.columns if c.name != "id")


class ActorLike(Protocol):
    """Who acted: a user or a system actor (hotline.actions._core)."""

    @property
    def id(self) -> int | None: ...

    @property
    def label(self) -> str: ...


def event_row(
    ticket_id: int,
    action: str,
    actor: ActorLike | None,
    at: dt.datetime,
    from_status: str | None,
    to_status: str | None,
    *,
    department_id: int | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> dict[str, Any]:
    """One timeline row: every column of `timeline_events` but its id. `actor` None is the system (or, with
    `actor_label`, a citizen's channel)."""
    row: dict[str, Any] = dict.fromkeys(EVENT_COLUMNS)
    row.update(
        ticket_id=ticket_id,
        at=at,
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label or (actor.label if actor is not None else "system"),
        from_status=from_status,
        to_status=to_status,
        department_id=department_id,
        note=note,
        data=data,
    )
    return row


def write(rows: Iterable[dict[str, Any]]) -> None:
    """Insert the rows in the session's transaction, in one statement whatever their number (none: nothing)."""
    rows = list(rows)
    if rows:
        db.session.execute(insert(TimelineEvent), rows)


def add(
    ticket_id: int,
    action: str,
    actor: ActorLike | None,
    at: dt.datetime,
    from_status: str | None,
    to_status: str | None,
    **fields: Any,
) -> None:
    """One event: `write([event_row(...)])`."""
    write([event_row(ticket_id, action, actor, at, from_status, to_status, **fields)])
