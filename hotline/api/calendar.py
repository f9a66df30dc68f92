"""The working calendar: one day's answer (any logged-in user), the official schedule import and the
city's overrides (admins). Changes go through hotline.actions.working_calendar, which moves deadlines."""

from __future__ import annotations

import datetime as dt

from flask import g, jsonify, request
from sqlalchemy import select

from hotline.actions import working_calendar
from hotline.api import bp
from hotline.api.auth import json_body, login_required
from hotline.deadlines import limits
from hotline.deadlines.calendar import TZ, provisional_years
from hotline.errors import DomainError, ValidationError
from hotline.extensions import db
from hotline.models import CalendarOverride
from hotline.validation import Fields

STAFF = ("operator", "supervisor", "leader", "admin", "department")


def _date(value: str, field: str = "date") -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError("not a date", fields={field: "YYYY-MM-DD"}) from None
    if not 1900 <= day.year <= 2100:
        raise ValidationError("date out of range", fields={field: "a year from 1900 to 2100"})
    return day


@bp.get("/calendar/days/<day>")
@login_required(STAFF)
def calendar_day(day: str):
    """{date, workday, name, source: official|override|provisional}."""
    return jsonify(limits.calendar().day(_date(day)).as_dict())


@bp.get("/calendar/status")
@login_required(STAFF)
def calendar_status():
    """The years shown with a banner: the current one, and from 1 November the next, while provisional."""
    today = dt.datetime.now(TZ).date()
    return jsonify({"today": today.isoformat(), "provisional_years": provisional_years(limits.calendar(), today)})


@bp.post("/calendar/import")
@login_required(("admin",))
def calendar_import():
    """A year's official schedule as CSV `date,workday,name`: the raw body (text/csv), a multipart `file`,
    or JSON {"csv": "..."}. All or nothing; errors name their line."""
    upload = request.files.get("file")
    if upload is not None:
        data = upload.read(working_calendar.MAX_IMPORT_BYTES + 1)
    elif request.is_json:
        body = json_body()
        assert isinstance(body, dict)
        if not isinstance(body.get("csv"), str):
            raise ValidationError("csv is required", fields={"csv": "the file's text"})
        data = body["csv"].encode()
    else:
        data = request.get_data(cache=False)
    if len(data) > working_calendar.MAX_IMPORT_BYTES:
        raise DomainError("the file is too large", code="too_large", status=413)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("the file is not UTF-8 text", fields={"file": "UTF-8 CSV"}) from None
    return jsonify(working_calendar.import_schedule(text, g.user))


@bp.get("/calendar/overrides")
@login_required(("supervisor", "admin"))
def list_overrides():
    rows = db.session.scalars(select(CalendarOverride).order_by(CalendarOverride.day))
    return jsonify([{"date": r.day, "workday": r.is_workday, "note": r.note} for r in rows])


@bp.put("/calendar/overrides/<day>")
@login_required(("admin",))
def put_override(day: str):
    """A local change to the official calendar: {"workday": bool, "note": "..."}."""
    date = _date(day)
    body = json_body()
    f = Fields(body)
    if not isinstance(body.get("workday") if isinstance(body, dict) else None, bool):
        f.errors["workday"] = "true or false"
    note = f.string("note", max_len=200)
    f.done()
    assert isinstance(body, dict)
    row = working_calendar.set_override(date, body["workday"], note, g.user)
    return jsonify({"date": row.day, "workday": row.is_workday, "note": row.note})


@bp.delete("/calendar/overrides/<day>")
@login_required(("admin",))
def delete_override(day: str):
    working_calendar.delete_override(_date(day), g.user)
    return "", 204
