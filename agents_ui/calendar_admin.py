"""The working calendar page (工作日历): which years are official or provisional, the import of a year's
official schedule (admins), the local changes; and the provisional-year banner shared with the wallboard."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from agents_ui.views import bp
from hotline.actions import working_calendar
from hotline.deadlines import limits
from hotline.deadlines.calendar import TZ, provisional_years
from hotline.errors import DomainError
from hotline.extensions import db
from hotline.models import CalendarOverride, OfficialCalendarYear

EDITORS = ("admin",)
READERS = ("admin", "supervisor")
SOURCE_LABELS = {
    "official": _l("official (imported)"),
    "package": _l("official (built in)"),
    "provisional": _l("provisional (by rule)"),
}


@bp.app_context_processor
def inject_banner() -> dict:
    def provisional_calendar_years() -> list[int]:
        return provisional_years(limits.calendar(), dt.datetime.now(TZ).date())

    return {"provisional_calendar_years": provisional_calendar_years}


def _years() -> list[dict]:
    cal = limits.calendar()
    imported = {y.year: y for y in db.session.scalars(select(OfficialCalendarYear))}
    this_year = dt.datetime.now(TZ).year
    out = []
    for year in range(this_year - 1, this_year + 3):
        if year in imported:
            y = imported[year]
            stamp = y.imported_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
            out.append({"year": year, "source": "official", "imported": f"{stamp} · {y.imported_by} · {y.days}"})
        else:
            out.append({"year": year, "source": "provisional" if cal.is_provisional(year) else "package"})
    return out


@bp.get("/agents/admin/calendar")
@login_required
def calendar_page():
    if current_user.role not in READERS:
        abort(403)
    return render_template(
        "agents/admin/calendar.html",
        years=_years(),
        source_labels=SOURCE_LABELS,
        overrides=db.session.scalars(select(CalendarOverride).order_by(CalendarOverride.day)).all(),
        can_edit=current_user.role in EDITORS,
        errors=None,
    )


@bp.post("/agents/admin/calendar/import")
@login_required
def calendar_import():
    if current_user.role not in EDITORS:
        abort(403)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV file."), "error")
        return redirect(url_for("agents.calendar_page"))
    try:
        text = upload.read(working_calendar.MAX_IMPORT_BYTES + 1).decode("utf-8")
        if len(text.encode()) > working_calendar.MAX_IMPORT_BYTES:
            raise DomainError(_("The file is too large."))
        result = working_calendar.import_schedule(text, current_user)
    except (DomainError, UnicodeDecodeError) as exc:
        db.session.rollback()
        lines = (getattr(exc, "fields", None) or {}).get("file") or [getattr(exc, "message", _("not UTF-8 text"))]
        flash(_("Import rejected, the calendar is unchanged."), "error")
        return render_template(
            "agents/admin/calendar.html",
            years=_years(),
            source_labels=SOURCE_LABELS,
            overrides=db.session.scalars(select(CalendarOverride).order_by(CalendarOverride.day)).all(),
            can_edit=True,
            errors=lines,
        ), 422
    flash(
        _(
            "%(year)s imported: %(days)s days; %(changed)s days changed; deadlines of %(moved)s tickets moved.",
            year=result["year"],
            days=result["days"],
            changed=result["changed_days"],
            moved=result["tickets_moved"],
        ),
        "ok",
    )
    return redirect(url_for("agents.calendar_page"))
