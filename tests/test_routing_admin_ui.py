"""The dispatch catalogue page for admins: read, try, edit with a reason, import with errors shown."""

from __future__ import annotations

import io
import re

from hotline.routing import catalogue


def login(client, username: str) -> str:
    # The login form carries the CSRF token its page put in the session.
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": username, "password": f"demo-{username}", "csrf": token})
    page = client.get("/agents/admin/rules")
    assert page.status_code == 200
    return re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_admin_page_lists_explains_and_edits(client):
    assert client.get("/agents/admin/rules").status_code == 302  # login first
    csrf = login(client, "admin")
    html = client.get("/agents/admin/rules?lang=zh_Hans_CN").get_data(as_text=True)
    assert "派单目录" in html and "城乡建设 › 城市建设和市政管理" in html
    html = client.get("/agents/admin/rules?try_category=010204&try_region=341802002").get_data(as_text=True)
    assert "鳌峰街道办事处" in html and "属地: street office" in html

    r = client.post(
        "/agents/admin/rules",
        data={
            "csrf": csrf,
            "category": "环境保护/环境污染",
            "region": "",
            "department": "XC-CGJ",
            "note": "",
            "reason": "",
        },
        follow_redirects=True,
    )
    assert "reason" in r.get_data(as_text=True)  # refused, the field named
    r = client.post(
        "/agents/admin/rules",
        data={
            "csrf": csrf,
            "category": "环境保护/环境污染",
            "region": "",
            "department": "XC-CGJ",
            "note": "试点",
            "reason": "试点方案",
        },
        follow_redirects=True,
    )
    html = r.get_data(as_text=True)
    assert "试点方案" in html  # in the recent changes, with the reason
    with client.application.app_context():
        assert catalogue.match("040203")["department"] == "XC-CGJ"

    bad = "category,region_code,department_code,note\n交通运输,,XC-NOPE,x\n".encode()
    r = client.post(
        "/agents/admin/rules/import",
        data={"csrf": csrf, "reason": "年度调整", "file": (io.BytesIO(bad), "new.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "new.csv:2: unknown department" in r.get_data(as_text=True)
    with client.application.app_context():
        assert catalogue.match("040203")["department"] == "XC-CGJ"  # unchanged

    export = client.get("/agents/admin/rules/export.csv")
    assert export.status_code == 200 and "环境保护/环境污染,,XC-CGJ,试点" in export.get_data(as_text=True)


def test_supervisor_reads_operator_may_not(client):
    login(client, "supervisor")
    html = client.get("/agents/admin/rules").get_data(as_text=True)
    assert 'action="/agents/admin/rules/import"' not in html  # no editing forms
    client.post("/logout", data={"csrf": re.search(r'name="csrf" value="([^"]+)"', html).group(1)})
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "operator", "password": "demo-operator", "csrf": token})
    assert client.get("/agents/admin/rules").status_code == 403
