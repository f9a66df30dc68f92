"""The API the consoles use: reference data, caller history, knowledge base, CSRF on session writes,
photos, contact masking and its log, catch-up after a reconnect, the wallboard."""

from __future__ import annotations

import io
import re
import time

from sqlalchemy import func, select

from tests.conftest import new_ticket_body

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def login(client, username: str) -> str:
    """Log in through the form; returns the session's CSRF token as the page shows it."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": username, "password": f"demo-{username}", "csrf": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get(r.headers["Location"], follow_redirects=True).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_catalogue_endpoints(api):
    cats = api.as_("operator").get("/catalogue/categories").get_json()
    assert len(cats) > 400
    leaf = next(c for c in cats if c["code"] == "010204")
    assert leaf["level"] == 3 and leaf["parent"] == "0102" and "/" in leaf["path"]
    regions = api.as_("dept_cgj").get("/catalogue/regions").get_json()
    assert any(r["level"] == "city" for r in regions)
    depts = api.as_("operator").get("/catalogue/departments").get_json()
    assert {"code": "XC-CGJ", "name": "市城市管理局"}.items() <= next(d for d in depts if d["code"] == "XC-CGJ").items()
    assert api.get("/catalogue/categories").status_code == 401


def test_caller_history_open_first_and_repeat_flag(api, make_ticket):
    first = make_ticket("closed")
    r = api.as_("operator").get("/callers/history?phone=13812345678").get_json()
    assert r["known"] and r["phone"] == "+8613812345678" and r["repeat"] is False
    open_one = make_ticket("dispatched")
    r = api.as_("operator").get("/callers/history?phone=138 1234 5678").get_json()
    assert [t["id"] for t in r["tickets"]] == [open_one["id"], first["id"]]  # open first
    assert r["open"] == 1 and r["repeat"] is True
    unknown = api.as_("operator").get("/callers/history?phone=13900000000").get_json()
    assert unknown == {**unknown, "known": False, "tickets": [], "repeat": False}
    assert api.as_("operator").get("/callers/history?phone=abc").status_code == 422
    assert api.as_("dept_cgj").get("/callers/history?phone=13812345678").status_code == 403


def test_knowledge_base_crud_and_chinese_search(api):
    sup = api.as_("supervisor")
    a = sup.post(
        "/knowledge",
        {
            "title": "公积金提取办理流程",
            "body": "携带身份证到市公积金中心窗口办理，或登录网上大厅。",
            "keywords": "住房公积金 提取",
            "category": "010204",
        },
    )
    assert a.status_code == 201, a.get_json()
    b = sup.post(
        "/knowledge", {"title": "路灯报修", "body": "路灯不亮请拨打城管热线，一般三个工作日内修复。"}
    ).get_json()
    sup.post("/knowledge", {"title": "Passport", "body": "出入境管理 passport renewal"})
    op = api.as_("operator")
    # No spaces in Chinese: a phrase from the middle of the text still finds the article.
    hits = op.get("/knowledge?q=小区路灯坏了").get_json()["items"]
    assert hits and hits[0]["id"] == b["id"]
    hits = op.get("/knowledge?q=怎么提取公积金").get_json()["items"]
    assert hits[0]["id"] == a.get_json()["id"]
    assert [h["title"] for h in op.get("/knowledge?q=PASSPORT").get_json()["items"]] == ["Passport"]
    assert op.get("/knowledge?q=完全无关的内容").get_json()["items"] == []
    # Operators read, supervisors edit; bad input names the field.
    assert op.post("/knowledge", {"title": "x", "body": "y"}).status_code == 403
    r = sup.post("/knowledge", {"title": "", "body": "y", "category": "999999"})
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) == {"title", "category"}
    r = api.client.put(
        f"/api/v1/knowledge/{b['id']}",
        json={"title": "路灯及井盖报修"},
        headers={"Authorization": f"Bearer {api.token('supervisor')}"},
    )
    assert r.status_code == 200 and r.get_json()["body"].startswith("路灯不亮")
    assert op.get("/knowledge?q=井盖").get_json()["items"][0]["id"] == b["id"]
    auth = {"Authorization": f"Bearer {api.token('supervisor')}"}
    r = api.client.delete(f"/api/v1/knowledge/{b['id']}", headers=auth)
    assert r.status_code == 204
    assert op.get("/knowledge?q=路灯").get_json()["items"] == []
    assert op.get(f"/knowledge/{b['id']}").status_code == 404


def test_session_writes_need_the_csrf_header(app, make_ticket):
    client = app.test_client()
    token = login(client, "operator")
    body = new_ticket_body()
    assert client.post("/api/v1/tickets", json=body).status_code == 403
    assert client.post("/api/v1/tickets", json=body, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    r = client.post("/api/v1/tickets", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201
    # Reads need no token; the form login itself needs the form token.
    assert client.get(f"/api/v1/tickets/{r.get_json()['id']}").status_code == 200
    other = app.test_client()
    assert other.post("/login", data={"username": "operator", "password": "demo-operator"}).status_code == 400


def test_login_logout_and_role_navigation(app):
    client = app.test_client()
    bad = client.post(
        "/login",
        data={
            "username": "operator",
            "password": "wrong",
            "csrf": re.search(r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1),
        },
    )
    assert bad.status_code == 401
    token = login(client, "dept_cgj")
    assert client.get("/agents/").headers["Location"].endswith("/agents/department")
    assert client.get("/agents/wallboard").status_code == 403
    assert client.get("/agents/operator").status_code == 403
    page = client.get("/agents/department").get_data(as_text=True)
    assert "市城市管理局" in page and "/agents/wallboard" not in page
    client.post("/logout", data={"csrf": token})
    assert client.get("/agents/department").status_code == 302
    sup = app.test_client()
    login(sup, "supervisor")
    assert sup.get("/agents/").headers["Location"].endswith("/agents/wallboard")
    nav = sup.get("/agents/wallboard").get_data(as_text=True)
    assert "/agents/operator" in nav and "/agents/knowledge" in nav


def test_department_console_lists_its_tickets_as_text(app, make_ticket):
    mine, other = make_ticket("dispatched"), make_ticket("dispatched", department="XC-STHJJ")
    client = app.test_client()
    login(client, "dept_cgj")
    html = client.get("/agents/", follow_redirects=True).get_data(as_text=True)
    assert mine["number"] in html and other["number"] not in html


def test_department_cannot_open_another_departments_ticket_page(app, make_ticket):
    t = make_ticket("dispatched", department="XC-STHJJ")
    client = app.test_client()
    login(client, "dept_cgj")
    assert client.get(f"/agents/tickets/{t['id']}").status_code == 404
    assert client.get(f"/agents/tickets/{t['id'] + 1000}").status_code == 404
    mine = make_ticket("dispatched")
    assert client.get(f"/agents/tickets/{mine['id']}").status_code == 200


def test_photos_are_type_checked_and_limited(api, make_ticket, ctx):
    t = make_ticket("in_progress")
    dept = api.as_("dept_cgj")

    def upload(data: bytes, name: str = "a.png", who=dept):
        return who.post(f"/tickets/{t['id']}/attachments", data={"file": (io.BytesIO(data), name)})

    r = upload(PNG)
    assert r.status_code == 201 and r.get_json()["content_type"] == "image/png"
    assert upload(JPEG, "b.jpg").get_json()["content_type"] == "image/jpeg"
    # A script renamed to .png is refused by its bytes; too big is 413; nothing is half-written.
    r = upload(b"<script>alert(1)</script>", "evil.png")
    assert r.status_code == 422 and "file" in r.get_json()["error"]["fields"]
    assert upload(PNG + b"\x00" * (5 * 1024 * 1024)).status_code == 413
    listed = dept.get(f"/tickets/{t['id']}/attachments").get_json()
    assert [a["content_type"] for a in listed] == ["image/png", "image/jpeg"]
    raw = api.client.get(listed[0]["url"], headers={"Authorization": f"Bearer {api.token('dept_cgj')}"})
    assert raw.status_code == 200 and raw.data == PNG and raw.headers["Content-Type"] == "image/png"
    assert upload(b"\x89PNG\r\n\x1a\n", "../../etc/passwd").get_json()["filename"] == "passwd"
    timeline = dept.get(f"/tickets/{t['id']}").get_json()["timeline"]
    assert [e["action"] for e in timeline].count("attach") == 3
    # Another department sees neither the list nor the file.
    other = api.as_("dept_sthjj")
    assert other.get(f"/tickets/{t['id']}/attachments").status_code == 404
    assert (
        api.client.get(listed[0]["url"], headers={"Authorization": f"Bearer {api.token('dept_sthjj')}"}).status_code
        == 404
    )
    assert upload(PNG, who=other).status_code == 404


def test_contact_masked_unless_handling_and_reads_logged(api, make_ticket, ctx):
    from hotline.extensions import db
    from hotline.models import ContactRead

    t = make_ticket("in_progress")
    dept = api.as_("dept_cgj")
    seen = dept.get(f"/tickets/{t['id']}").get_json()
    assert seen["caller_phone"] == "138****5678" and seen["contact_visible"] is False
    assert seen["contact_available"] is True
    contact = dept.get(f"/tickets/{t['id']}/contact").get_json()
    assert (contact["caller_phone"], contact["caller_name"]) == ("+8613812345678", "张三")
    assert db.session.scalar(select(func.count()).select_from(ContactRead)) == 1
    # Once the reply is approved the department no longer handles it: masked, and no unmasked read.
    dept.act(t["id"], "reply", {"text": "已处理"})
    api.as_("supervisor").act(t["id"], "approve-reply")
    after = dept.get(f"/tickets/{t['id']}").get_json()
    assert after["contact_available"] is False and after["caller_phone"] == "138****5678"
    assert dept.get(f"/tickets/{t['id']}/contact").status_code == 403
    # The centre sees it without a log entry.
    assert api.as_("operator").get(f"/tickets/{t['id']}").get_json()["contact_visible"] is True
    assert db.session.scalar(select(func.count()).select_from(ContactRead)) == 1


def test_updated_since_gives_what_a_reconnecting_console_missed(api, make_ticket):
    old = make_ticket("dispatched")
    listed = api.as_("dept_cgj").get(f"/tickets?updated_since={old['updated_at']}").get_json()["items"]
    assert [t["id"] for t in listed] == [old["id"]]
    time.sleep(0.01)
    mark = api.as_("dept_cgj").get(f"/tickets/{old['id']}").get_json()["updated_at"]
    time.sleep(0.01)
    new = make_ticket("dispatched")
    api.as_("dept_cgj").act(old["id"], "sign")
    since = api.as_("dept_cgj").get(f"/tickets?updated_since={mark}").get_json()["items"]
    assert {t["id"] for t in since} == {old["id"], new["id"]}
    # Another department's ticket never appears in its catch-up.
    other = make_ticket("dispatched", department="XC-STHJJ")
    assert other["id"] not in [
        t["id"] for t in api.as_("dept_cgj").get(f"/tickets?updated_since={mark}").get_json()["items"]
    ]
    assert api.as_("dept_cgj").get("/tickets?updated_since=yesterday").status_code == 422


def test_wallboard_counts(api, make_ticket):
    before = api.as_("supervisor").get("/wallboard").get_json()
    assert before["today"]["created"] == 0 and before["overdue"] == 0
    assert len(before["charts"]["hours"]) == 24 and sum(before["charts"]["created_by_hour"]) == 0
    make_ticket("dispatched")
    make_ticket("callback_pending")
    make_ticket("closed")
    w = api.as_("supervisor").get("/wallboard").get_json()
    assert w["today"]["created"] == 3
    assert w["today"]["by_status"] == {"dispatched": 1, "callback_pending": 1, "closed": 1}
    assert w["open"]["total"] == 2
    assert sum(w["charts"]["created_by_hour"]) == 3 and sum(w["charts"]["closed_by_hour"]) == 1
    assert sum(w["charts"]["created_by_day"]) == 3
    assert [t["status"] for t in w["callback_queue"]] == ["callback_pending"]
    assert api.as_("operator").get("/wallboard").status_code == 403
    assert api.as_("dept_cgj").get("/wallboard").status_code == 403
