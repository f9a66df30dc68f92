"""Hotspots (alert job, socket event), repeat complaints, top issues, the monthly report files and
page, and the logged reads of callers' personal data."""

from __future__ import annotations

import datetime as dt
import io
import json
import time

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from hotline import actions
from hotline.extensions import db, get_redis
from hotline.models import ContactRead, HotspotAlert, OutboxMessage, User
from hotline.models.base import utcnow
from tests.conftest import new_ticket_body
from tests.test_reports import Clock, build, install_clock

HOT = ("010204", "341802001")  # 城市公共设施 in 澄江街道
BUSY = ("010101", "341802001")  # always busy: 2 a day


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return install_clock(monkeypatch)


def _create(clock: Clock, when: dt.datetime, category: str, region: str, **over) -> int:
    clock.now = when
    op = db.session.scalar(select(User).where(User.username == "operator"))
    body = new_ticket_body(category=category, region=region, **over)
    return actions.create_ticket(actions.parse_intake(body), op)[0].id


def _hotspot_data(clock: Clock, now: dt.datetime) -> None:
    for i in range(6):  # 6 in the last 24 hours, 2 in the 14 days before: hot
        _create(clock, now - dt.timedelta(hours=1 + 3 * i), *HOT, caller_phone=f"1390000{i:04d}")
    for d in (3, 9):
        _create(clock, now - dt.timedelta(days=d), *HOT, caller_phone="13900009999")
    for i in range(5):  # 5 in the window, but 28 in the baseline (2 a day): not hot
        _create(clock, now - dt.timedelta(hours=2 + i), *BUSY, caller_phone=f"1370000{i:04d}")
    for d in range(28):
        _create(clock, now - dt.timedelta(days=1, hours=12 * d + 1), *BUSY, caller_phone="13700009999")
    for i in range(4):  # 4 new ones in another street: under the minimum count
        _create(clock, now - dt.timedelta(hours=1 + i), "010204", "341802002", caller_phone=f"1360000{i:04d}")


def test_hotspot_scan_against_its_own_baseline(ctx, clock):
    from hotline.reports.hotspots import scan

    now = dt.datetime(2025, 11, 20, 4, tzinfo=dt.UTC)
    _hotspot_data(clock, now)
    hot = scan(now)
    assert [(h["category"], h["region"], h["count"]) for h in hot] == [(*HOT, 6)]
    assert hot[0]["baseline"] == round(2 / 14, 3)
    # with a lower bar the busy pair (5 against a baseline of 2 a day) is still not hot at factor 3,
    # but is at factor 2
    assert [h["category"] for h in scan(now, {"factor": 2.0})] == ["010204", "010101"]


def test_hotspot_job_alerts_supervisors_once_per_episode(app, clock, redis_url):
    from hotline.outbox import relay_all
    from hotline.tasks import QUEUES, resolve
    from hotline.tasks.schedule import SCHEDULE, enqueue_due

    assert "hotline.tasks.reports.hotspot_scan" in {p.func for p in SCHEDULE}
    redis = get_redis(redis_url)
    with app.app_context():
        _hotspot_data(clock, utcnow())
        pubsub = redis.pubsub()
        pubsub.subscribe(app.config["SOCKETIO_CHANNEL"])  # this test run's channel (see conftest)
        pubsub.get_message(timeout=1)
        for _ in range(2):  # the periodic job twice (two slots): one alert
            enqueue_due(redis, reconcile=True)
            SimpleWorker([Queue(q, connection=redis) for q in QUEUES], connection=redis).work(burst=True)
        db.session.expire_all()
        alerts = list(db.session.scalars(select(HotspotAlert)))
        assert [(a.category_code, a.region_code, a.count) for a in alerts] == [(*HOT, 6)]
        rows = [
            m
            for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "socket"))
            if m.payload["event"].get("type") == "hotspot"
        ]
        assert len(rows) == 1 and rows[0].payload["rooms"] == ["supervisors"]
        assert rows[0].payload["event"]["op"] == "alert" and rows[0].payload["event"]["category_name"]
        relay_all()
        published = []
        deadline = time.time() + 3
        while time.time() < deadline and not published:
            msg = pubsub.get_message(timeout=0.2)
            if msg and msg["type"] == "message":
                data = json.loads(msg["data"])
                if data.get("method") == "emit" and data["data"][0].get("type") == "hotspot":
                    published.append(data)
        pubsub.close()
        assert len(published) == 1 and published[0]["room"] == ["supervisors"]
        assert resolve("hotline.tasks.reports.hotspot_scan")() == []  # run again by hand: still one


def test_hotspot_repeat_and_top_issue_endpoints(api, app, clock):
    with app.app_context():
        now = utcnow()
        _hotspot_data(clock, now)
        # one address and category, three different callers in the month
        for i in range(3):
            _create(
                clock,
                now - dt.timedelta(days=5 + i),
                "010301",
                "341802001",
                address="梅园小区3栋",
                caller_phone=f"1350000{i:04d}",
            )
    hot = api.as_("supervisor").get("/reports/hotspots").get_json()
    assert [(h["category"], h["count"]) for h in hot["current"]] == [("010204", 6)]
    assert hot["current"][0]["region_name"] == "澄江街道"

    rep = api.as_("supervisor").get("/reports/repeat-complaints").get_json()
    callers = {r["caller_phone"]: r for r in rep["by_caller"]}
    assert set(callers) == {"+8613700009999"}  # all its 28 busy tickets fall in the last 30 days
    assert callers["+8613700009999"]["count"] == 28
    places = {(r["address"], r["category"]): r for r in rep["by_address"]}
    assert places[("梅园小区3栋", "010301")]["count"] == 3
    assert len(places[("梅园小区3栋", "010301")]["tickets"]) == 3
    assert ("澄江街道梅园路12号", "010204") in places  # the default address: 8 hot tickets
    assert api.as_("dept_cgj").get("/reports/repeat-complaints").status_code == 403
    bad = api.as_("supervisor").get("/reports/repeat-complaints?min_count=1")
    assert bad.status_code == 422 and "min_count" in bad.get_json()["error"]["fields"]

    top = api.as_("leader").get("/reports/top-issues").get_json()
    assert [(t["category"], t["count"]) for t in top[:2]] == [("010101", 5 + 12), ("010204", 6 + 1 + 4)]
    assert top[0]["rank"] == 1 and top[0]["category_name"]


def test_monthly_report_xlsx_csv_and_page(api, app, client, clock):
    from openpyxl import load_workbook

    with app.app_context():
        build(clock)
    r = api.as_("leader").get("/reports/monthly.xlsx?month=2025-11")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(r.data))
    assert len(wb.sheetnames) == 6
    kpi = wb[wb.sheetnames[0]]
    rows = {row[0]: row for row in kpi.iter_rows(min_row=3, values_only=True)}
    assert rows["XC-CGJ"][2:5] == (5, 60.0, 83.33)
    ranks = wb[wb.sheetnames[1]]
    assert [row[1:3] for row in ranks.iter_rows(min_row=3, values_only=True) if row[0] == "bureau"][:2] == [
        (1, "XC-STHJJ"),
        (2, "XC-CGJ"),
    ]

    csv_r = api.as_("leader").get("/reports/monthly.csv?month=2025-11&section=kpis")
    assert csv_r.status_code == 200 and csv_r.mimetype == "text/csv"
    lines = csv_r.data.decode("utf-8-sig").splitlines()
    assert "XC-STHJJ,市生态环境局,4,100.0,66.67,,,50.0,25.0,1,0.0,100.0" in lines
    bad = api.as_("leader").get("/reports/monthly.csv?month=2025-11&section=nope")
    assert bad.status_code == 422 and "section" in bad.get_json()["error"]["fields"]
    assert api.as_("leader").get("/reports/monthly.xlsx?month=2025-13").status_code == 422

    page = client.get("/agents/reports/monthly?month=2025-11")
    assert page.status_code == 302  # login first
    import re

    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "leader", "password": "demo-leader", "csrf": token})
    page = client.get("/agents/reports/monthly?month=2025-11")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "月度报告" in html and "XC-CGJ" in html and "81.0" in html


def test_contact_reads_are_logged_for_departments(api, app, make_ticket):
    t = make_ticket("in_progress")
    r = api.as_("dept_cgj").get(f"/tickets/{t['id']}/contact")
    assert r.status_code == 200
    assert r.get_json() == {
        "ticket_id": t["id"],
        "number": t["number"],
        "caller_phone": "+8613812345678",
        "caller_name": "张三",
    }
    assert api.as_("dept_cgj").get(f"/tickets/{t['id']}").get_json()["caller_phone"] == "138****5678"
    assert api.as_("operator").get(f"/tickets/{t['id']}/contact").status_code == 200  # centre: not logged
    assert api.as_("dept_sthjj").get(f"/tickets/{t['id']}/contact").status_code == 404  # not its ticket
    with app.app_context():
        rows = list(db.session.scalars(select(ContactRead)))
        assert [(r.ticket_id, r.user_id is not None, r.department_id is not None) for r in rows] == [
            (t["id"], True, True)
        ]

    # assisting departments and a department whose part is over may not read it
    helped = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
    api.as_("operator").act(helped["id"], "dispatch", {"department": "XC-CGJ", "assisting": ["XC-STHJJ"]})
    assert api.as_("dept_sthjj").get(f"/tickets/{helped['id']}/contact").status_code == 403
    done = make_ticket("callback_pending")
    assert api.as_("dept_cgj").get(f"/tickets/{done['id']}/contact").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ContactRead)) == 1

    log = api.as_("supervisor").get("/reports/contact-reads").get_json()
    assert [(e["user"], e["department"], e["number"]) for e in log] == [("dept_cgj", "XC-CGJ", t["number"])]
    today = dt.datetime.now(dt.UTC).date()
    assert (
        api.as_("supervisor")
        .get(
            f"/reports/contact-reads?from={today - dt.timedelta(days=1)}&to={today + dt.timedelta(days=1)}"
            f"&department=XC-STHJJ"
        )
        .get_json()
        == []
    )
    assert api.as_("leader").get("/reports/contact-reads").status_code == 403
    assert api.as_("dept_cgj").get("/reports/contact-reads").status_code == 403


def test_contact_read_log_page(api, client, make_ticket):
    t = make_ticket("in_progress")
    api.as_("dept_cgj").get(f"/tickets/{t['id']}/contact")
    import re

    def login(username: str) -> None:  # the login form carries the CSRF token of its page
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
        client.post("/login", data={"username": username, "password": f"demo-{username}", "csrf": token})

    login("dept_cgj")
    assert client.get("/agents/reports/contact-reads").status_code == 403
    assert client.get("/agents/reports/monthly").status_code == 403
    login("supervisor")
    page = client.get("/agents/reports/contact-reads")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "个人信息查看记录" in html and t["number"] in html and "dept_cgj" in html
    # the menu links the reports
    assert "月度报告" in client.get("/agents/", follow_redirects=True).get_data(as_text=True)


def test_monthly_report_call_centre_section(api):
    """The call-centre sheet carries issue 6's figures from the call records once that module is there."""
    pytest.importorskip("hotline.reports.calls", reason="the call records (issue 6) are not merged yet")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(api.as_("leader").get("/reports/monthly.xlsx?month=2025-11").data))
    rows = {r[0]: r[1] for r in wb[wb.sheetnames[-1]].iter_rows(min_row=3, values_only=True)}
    assert rows["calls"] == 0 and "answer_rate" in rows and rows["answer_rate"] is None
