"""工单导出: the search's tickets as an .xlsx workbook, written row by row (openpyxl's write-only mode keeps memory
flat at 50,000 rows), shaped for the viewer (a department sees callers' phones masked, as in the API)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, select

from hotline import labels
from hotline.api.serialize import tickets_to_dicts
from hotline.deadlines.calendar import TZ
from hotline.extensions import db
from hotline.models import Category, Region, Ticket, User

MAX_ROWS = 50_000
BATCH = 1_000
# A cell starting with one of these runs as a formula in a spreadsheet (CSV/formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FREE_TEXT = frozenset({"category", "region", "address", "title", "content", "caller_name", "department", "reply"})


def safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula is written as text, behind an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _local(iso: str | None) -> str | None:
    if not iso:
        return None
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def columns() -> list[tuple[str, str]]:
    return [
        ("number", _("Number")),
        ("status", _("Status")),
        ("channel", _("Channel")),
        ("type", _("Type")),
        ("urgency", _("Urgency")),
        ("category", _("Category")),
        ("region", _("Region")),
        ("address", _("Address")),
        ("title", _("Title")),
        ("content", _("Content")),
        ("caller_name", _("Caller name")),
        ("caller_phone", _("Caller number")),
        ("department", _("Department")),
        ("created_at", _("Received at")),
        ("due_at", _("Due")),
        ("overdue", _("Overdue")),
        ("reply", _("Reply")),
    ]


def _batches(query: Select, viewer: User, limit: int, order: ColumnElement) -> Iterator[list[dict]]:
    """The query's tickets newest first, a batch at a time by keyset (no OFFSET, no whole result in memory)."""
    last_id, left = None, limit
    while left > 0:
        q = query.order_by(order).limit(min(BATCH, left))
        if last_id is not None:
            q = q.where(Ticket.id < last_id)
        tickets = list(db.session.scalars(q))
        if not tickets:
            return
        yield tickets_to_dicts(tickets, viewer)
        db.session.expunge_all()
        last_id, left = tickets[-1].id, left - len(tickets)


LABELS = {"status": labels.STATUS, "channel": labels.CHANNEL, "type": labels.TYPE, "urgency": labels.URGENCY}


def write_workbook(query: Select, viewer: User, order: ColumnElement, limit: int = MAX_ROWS) -> IO[bytes]:
    """The workbook in a temporary file (in memory up to 8 MB), rewound, for the view to stream out."""
    from openpyxl import Workbook

    categories: dict[str, str] = {code: path for code, path in db.session.execute(select(Category.code, Category.path))}
    regions: dict[str, str] = {code: name for code, name in db.session.execute(select(Region.code, Region.name))}
    cols = columns()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Tickets"))
    ws.append([title for _key, title in cols])
    for batch in _batches(query, viewer, limit, order):
        for t in batch:
            row = []
            for key, _title in cols:
                value = t.get(key)
                if key in ("status", "channel", "type", "urgency"):
                    value = str(LABELS[key].get(str(value), value))
                elif key == "category":
                    value = categories.get(str(value), value)
                elif key == "region":
                    value = regions.get(str(value), value)
                elif key in ("created_at", "due_at"):
                    value = _local(value)
                elif key == "overdue":
                    value = _("Yes") if value else _("No")
                # Free text from citizens and staff is neutralised; validated values (an E.164 phone) are not.
                row.append(safe(value) if key in FREE_TEXT else value)
            ws.append(row)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - the view streams and closes it
    wb.save(out)
    out.seek(0)
    return out
