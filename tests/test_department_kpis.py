"""A department's own figures (/agents/department/kpis, GET /api/v1/reports/department): the same numbers as
the supervisors' KPI report, its rank, and its handling officers."""

from __future__ import annotations

import calendar
import datetime as dt

from hotline.reports.periods import TZ


def test_department_sees_the_supervisors_numbers_its_rank_and_officers(api, make_ticket, client):
    t = make_ticket("callback_pending", department="XC-CGJ")
    make_ticket("in_progress", department="XC-CGJ")
    make_ticket("dispatched", department="XC-STHJJ")
    assert api.as_("operator").act(t["id"], "record-callback", {"resolved": 1, "satisfaction": 1}).status_code == 200

    today = dt.datetime.now(TZ).date()
    last = calendar.monthrange(today.year, today.month)[1]
    rows = (
        api.as_("supervisor")
        .get(f"/reports/kpis?from={today:%Y-%m}-01&to={today:%Y-%m}-{last:02d}&department=XC-CGJ")
        .get_json()
    )
    own = api.as_("dept_cgj").get("/reports/department").get_json()
    assert own["month"] == f"{today:%Y-%m}"
    assert own["kpis"] == rows[0]
    assert own["kpis"]["dispatched"] == 2 and own["kpis"]["satisfaction_rate"] == 1.0
    assert own["rank"] == 1 and own["ranked"] >= 1
    assert api.as_("supervisor").get("/reports/department").status_code == 403

    # The officer: assign, then the per-officer figures.
    assert api.as_("dept_cgj").act(t["id"], "assign", {"user": "dept_cgj"}).status_code == 409  # closed
    other = make_ticket("reply_review", department="XC-CGJ")
    assert api.as_("dept_cgj").act(other["id"], "assign", {"user": "dept_cgj"}).status_code == 200
    officers = api.as_("dept_cgj").get("/reports/department").get_json()["officers"]
    assert officers == [
        {
            "user": "dept_cgj",
            "name": "城管局联络员",
            "handled": 1,
            "replied": 1,
            "replied_on_time": 1,
            "replied_on_time_rate": 1.0,
            "rated": 0,
            "satisfaction_rate": None,
        }
    ]

    # The page shows the same figures.
    html = _logged_in(client, "dept_cgj").get("/agents/department/kpis").get_data(as_text=True)
    assert 'data-kpi="satisfaction_rate"><th>满意率' in html or "100.00%" in html
    assert 'data-user="dept_cgj"' in html


def _logged_in(client, username: str):
    page = client.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    assert (
        client.post("/login", data={"username": username, "password": f"demo-{username}", "csrf": csrf}).status_code
        == 302
    )
    return client
