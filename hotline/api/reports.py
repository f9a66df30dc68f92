"""Reports for supervisors and leaders: KPIs, rankings, hotspots, repeat complaints, the monthly report."""

from __future__ import annotations

import datetime as dt

from flask import Response, g, jsonify, request
from sqlalchemy import select

from hotline.api import bp
from hotline.api.auth import login_required
from hotline.api.tickets import _int_arg
from hotline.errors import ValidationError
from hotline.extensions import db
from hotline.models import Department
from hotline.reports import contact_log, hotspots, kpis, monthly
from hotline.reports.periods import TZ, parse_date, parse_month, parse_period, previous_month

READERS = ("supervisor", "leader", "admin")


def _department_arg() -> list[Department] | None:
    code = request.args.get("department")
    if not code:
        return None
    dept = db.session.scalar(select(Department).where(Department.code == code, Department.kind != "center"))
    if dept is None:
        raise ValidationError("unknown department", fields={"department": "unknown department"})
    return [dept]


@bp.get("/reports/kpis")
@login_required(READERS)
def report_kpis():
    """One object per department (CONTRACT.md "Reports"), with the counts behind each rate."""
    period = parse_period(request.args.get("from"), request.args.get("to"))
    return jsonify(kpis.department_kpis(period, _department_arg()))


@bp.get("/reports/department")
@login_required(("department",))
def report_department():
    """A department's own month (YYYY-MM, default this month): the supervisors' KPI row, rank, officers."""
    month = request.args.get("month") or dt.datetime.now(TZ).strftime("%Y-%m")
    period = parse_month(month)
    dept = db.session.get(Department, g.user.department_id)
    assert dept is not None
    return jsonify({"month": month, **kpis.department_month(period, previous_month(period), dept)})


@bp.get("/reports/daily")
@login_required(READERS)
def report_daily():
    """Per-day counts for the wallboard charts (at most 92 days)."""
    return jsonify(kpis.daily(parse_period(request.args.get("from"), request.args.get("to"), max_days=92)))


@bp.get("/reports/rankings")
@login_required(READERS)
def report_rankings():
    period = parse_month(request.args.get("month"))
    return jsonify(
        {
            "month": period.first.strftime("%Y-%m"),
            "previous_month": previous_month(period).first.strftime("%Y-%m"),
            "weights": kpis.weights(),
            "kinds": kpis.rankings(period, previous_month(period)),
        }
    )


def _end_of(day_arg: str) -> dt.datetime | None:
    """The end (exclusive, UTC) of the local day given in the query string, or None for now."""
    raw = request.args.get(day_arg)
    if not raw:
        return None
    day = parse_date(raw, day_arg) + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), TZ).astimezone(dt.UTC)


@bp.get("/reports/hotspots")
@login_required(READERS)
def report_hotspots():
    """Alerts raised in the period (default: the last 7 days) and what is hot right now."""
    if request.args.get("from") or request.args.get("to"):
        period = parse_period(request.args.get("from"), request.args.get("to"))
        start, end = period.start, period.end
    else:
        end = dt.datetime.now(dt.UTC)
        start = end - dt.timedelta(days=7)
    live = hotspots.scan()
    names = hotspots.names_for({h["category"] for h in live}, {h["region"] for h in live})
    return jsonify(
        {
            "alerts": hotspots.alerts(start, end),
            "current": [
                {
                    **h,
                    "category_name": names.get("c" + h["category"]),
                    "region_name": names.get("r" + h["region"]),
                    "window_start": h["window_start"].isoformat(),
                    "window_end": h["window_end"].isoformat(),
                }
                for h in live
            ],
            "settings": hotspots.settings(),
        }
    )


@bp.get("/reports/repeat-complaints")
@login_required(READERS)
def report_repeat_complaints():
    return jsonify(
        hotspots.repeat_complaints(
            end=_end_of("to"), days=_int_arg("days", 30, 1, 366), min_count=_int_arg("min_count", 3, 2, 1000)
        )
    )


@bp.get("/reports/top-issues")
@login_required(READERS)
def report_top_issues():
    """The top categories of the 7 days up to `to` (default: now), with the 7 days before."""
    return jsonify(
        hotspots.top_issues(end=_end_of("to"), days=_int_arg("days", 7, 1, 92), limit=_int_arg("limit", 10, 1, 100))
    )


@bp.get("/reports/monthly.xlsx")
@login_required(READERS)
def report_monthly_xlsx():
    period = parse_month(request.args.get("month"))
    body = monthly.to_xlsx(period, monthly.build(period))
    name = f"hotline-monthly-{period.first.strftime('%Y-%m')}.xlsx"
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/reports/monthly.csv")
@login_required(READERS)
def report_monthly_csv():
    period = parse_month(request.args.get("month"))
    key = request.args.get("section", "kpis")
    if key not in monthly.SECTIONS:
        raise ValidationError("unknown section", fields={"section": "one of " + ", ".join(monthly.SECTIONS)})
    section = next(s for s in monthly.build(period) if s.key == key)
    name = f"hotline-{key}-{period.first.strftime('%Y-%m')}.csv"
    return Response(
        monthly.to_csv(section), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/reports/contact-reads")
@login_required(("supervisor", "admin"))
def report_contact_reads():
    """The log of department staff reading callers' personal data (who, when, which ticket)."""
    period = parse_period(request.args.get("from"), request.args.get("to")) if request.args.get("from") else None
    ticket = _int_arg("ticket", 0, 0, 2**62) or None
    dept = _department_arg()
    return jsonify(contact_log.reads(period, dept[0] if dept else None, ticket, limit=_int_arg("limit", 200, 1, 1000)))


@bp.get("/tickets/<int:ticket_id>/contact")
@login_required()
def ticket_contact(ticket_id: int):
    """The caller's unmasked phone and name, for the handling department (logged) and the centre."""
    return jsonify(contact_log.read_contact(g.user, ticket_id, request.remote_addr))


def openapi_paths() -> dict:
    """The report routes for the OpenAPI document."""
    q = [{"name": n, "in": "query", "schema": {"type": "string"}} for n in ("from", "to", "department")]
    month = [{"name": "month", "in": "query", "schema": {"type": "string", "example": "2026-10"}}]
    err = {
        str(c): {
            "description": "error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for c in (401, 403, 422)
    }

    def get(summary: str, params: list) -> dict:
        return {
            "get": {"summary": summary, "parameters": params, "responses": {"200": {"description": summary}, **err}}
        }

    return {
        "/reports/kpis": get("KPIs per department (supervisor, leader)", q),
        "/reports/daily": get("Per-day counts for charts", q[:2]),
        "/reports/rankings": get("Rankings by department kind, month over month", month),
        "/reports/hotspots": get("Hotspot alerts and current hotspots", q[:2]),
        "/reports/repeat-complaints": get(
            "Repeat complaints by caller and by address + category",
            [{"name": n, "in": "query", "schema": {"type": "string"}} for n in ("to", "days", "min_count")],
        ),
        "/reports/top-issues": get(
            "Top categories of the week",
            [{"name": n, "in": "query", "schema": {"type": "string"}} for n in ("to", "days", "limit")],
        ),
        "/reports/monthly.xlsx": get("The monthly report as XLSX, one sheet per section", month),
        "/reports/monthly.csv": get(
            "One section of the monthly report as CSV",
            [*month, {"name": "section", "in": "query", "schema": {"type": "string"}}],
        ),
        "/reports/contact-reads": get(
            "Log of personal-data reads by department staff (supervisor)",
            [*q, {"name": "ticket", "in": "query", "schema": {"type": "integer"}}],
        ),
        "/tickets/{id}/contact": {
            "get": {
                "summary": "The caller's unmasked contact (centre; the lead department while handling, logged)",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "phone and name"}, **err},
            }
        },
    }
