"""Report pages for supervisors and leaders: the printable monthly report and the contact-read log."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required

from agents_ui.views import bp
from hotline.reports import contact_log, monthly
from hotline.reports.periods import parse_month, parse_period

READERS = ("supervisor", "leader", "admin")


def _require(roles: tuple[str, ...]) -> None:
    if current_user.role not in roles:
        abort(403)


@bp.get("/agents/reports/monthly")
@login_required
def monthly_report():
    """月度报告: server-rendered, printable (the browser's print gives the paper copy)."""
    _require(READERS)
    period = parse_month(request.args.get("month"))
    return render_template(
        "agents/reports/monthly.html",
        period=period,
        sections=monthly.build(period),
        month=period.first.strftime("%Y-%m"),
    )


@bp.get("/agents/reports/contact-reads")
@login_required
def contact_reads_page():
    _require(("supervisor", "admin"))
    period = parse_period(request.args.get("from"), request.args.get("to")) if request.args.get("from") else None
    return render_template("agents/reports/contact_reads.html", reads=contact_log.reads(period, limit=500))
