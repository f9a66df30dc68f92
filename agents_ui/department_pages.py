"""The department side's own pages: the notices inbox with the department's notice choices, and (for admins)
the default choices."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, update

from agents_ui.views import bp, page, roles
from hotline import notices
from hotline.actions import people
from hotline.errors import DomainError
from hotline.extensions import db
from hotline.models import NOTICE_KINDS, Notice, Ticket
from hotline.models.base import utcnow
from hotline.reports import kpis
from hotline.reports.periods import TZ, parse_month, previous_month


@bp.app_context_processor
def inject_unread() -> dict:
    def unread_notices() -> int:
        return notices.unread_count(current_user.id) if current_user.is_authenticated else 0

    return {"unread_notices": unread_notices}


def _choices_from_form() -> dict:
    return {
        kind: {"sms": request.form.get(f"{kind}-sms") == "on", "inbox": request.form.get(f"{kind}-inbox") == "on"}
        for kind in NOTICE_KINDS
    }


@bp.get("/agents/notices")
@roles("department")
def notices_page():
    rows = db.session.execute(
        select(Notice, Ticket.number)
        .outerjoin(Ticket, Ticket.id == Notice.ticket_id)
        .where(Notice.user_id == current_user.id)
        .order_by(Notice.id.desc())
        .limit(200)
    ).all()
    return page(
        "agents/notices.html",
        rows=rows,
        kinds=NOTICE_KINDS,
        prefs=notices.preferences(current_user.department_id),
    )


@bp.post("/agents/notices/read")
@roles("department")
def notices_read():
    db.session.execute(
        update(Notice).where(Notice.user_id == current_user.id, Notice.read_at.is_(None)).values(read_at=utcnow())
    )
    db.session.commit()
    return redirect(url_for("agents.notices_page"))


@bp.post("/agents/notices/preferences")
@roles("department")
def notices_preferences():
    try:
        people.set_notice_preferences(current_user, current_user.department.code, _choices_from_form())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Saved."), "ok")
    return redirect(url_for("agents.notices_page"))


@bp.post("/agents/admin/notice-defaults")
@roles("admin")
def notice_defaults():
    try:
        people.set_notice_preferences(current_user, None, _choices_from_form())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Saved."), "ok")
    return redirect(url_for("agents.departments_page"))


@bp.get("/agents/department/kpis")
@roles("department")
def department_kpis():
    """The department's own figures for a month (default this month), the same numbers as the supervisors'
    report, its rank among departments of its kind, and its handling officers."""
    month = request.args.get("month") or dt.datetime.now(TZ).strftime("%Y-%m")
    try:
        period = parse_month(month)
    except DomainError:
        abort(400)
    report = kpis.department_month(period, previous_month(period), current_user.department)
    # The supervisors' report's own headings (their "%" would be a placeholder in a template's gettext).
    heads = {
        h: _(h)
        for h in (
            "On-time signing %",
            "On-time resolution %",
            "Resolution rate %",
            "Satisfaction rate %",
            "Callback rate %",
            "Return rate %",
            "Reopen rate %",
        )
    }
    return page("agents/department_kpis.html", month=month, report=report, heads=heads)
