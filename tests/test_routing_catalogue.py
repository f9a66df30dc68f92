"""The dispatch catalogue engine: precedence, explanation, cache invalidation, rule editing with its
audit, import/export as CSV and XLSX, bad files rejected with the line and the old catalogue kept."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import DispatchRule, DispatchRuleChange
from hotline.routing import catalogue


def dept(category, region=None):
    m = catalogue.match(category, region)
    return m and m["department"]


def test_most_specific_category_wins_then_most_specific_region(ctx):
    # level-2 rule with a street-level region beats the level-2 city-wide rule
    assert dept("城乡建设/城市建设和市政管理", "341802001") == "ST-341802001"
    # no street rule for this street's county: city-wide level-2 rule
    assert dept("城乡建设/城市建设和市政管理", "341802") == "XC-CGJ"
    # a level-3 code resolves to its path and falls back to the level-2 rules
    assert dept("010204", "341802003") == "ST-341802003"
    assert dept("010204") == "XC-CGJ"
    # level-1 name with a county rule (属地) ...
    assert dept("城乡建设", "341821") == "GOV-341821"
    # ... but a more specific category's city-wide rule wins over the level-1 county rule
    assert dept("城乡建设/城市建设和市政管理", "341821") == "XC-CGJ"
    # level-1 code and name agree; a street inherits its county's rule through the lineage
    assert dept("04", "341881") == dept("环境保护", "341881") == "GOV-341881"
    assert dept("环境保护") == "XC-STHJJ"
    # vertical bodies: the city body handles it in the counties too
    assert dept("政法/刑案侦破", "341821") == "XC-GAJ"


def test_the_explanation_names_the_rule_and_the_keys_tried(ctx):
    m = catalogue.match("010204", "341821")
    rule = db.session.get(DispatchRule, m["rule"]["id"])
    assert (rule.category_path, rule.region_code) == ("城乡建设/城市建设和市政管理", "")
    assert m["rule"]["category_path"] == "城乡建设/城市建设和市政管理" and m["rule"]["region"] is None
    assert m["rule"]["note"] == "city-wide default" and m["rule"]["updated_by"] == "import"
    assert m["rule"]["updated_at"].endswith("Z")
    assert m["category_path"] == "城乡建设/城市建设和市政管理/城市公共设施" and m["category"] == "010204"
    assert m["tried"] == [
        "城乡建设/城市建设和市政管理/城市公共设施@341821",
        "城乡建设/城市建设和市政管理/城市公共设施@341800",
        "城乡建设/城市建设和市政管理/城市公共设施@*",
        "城乡建设/城市建设和市政管理@341821",
        "城乡建设/城市建设和市政管理@341800",
        "城乡建设/城市建设和市政管理@*",
    ]


def test_unknown_inputs_raise(ctx):
    with pytest.raises(catalogue.UnknownCategory):
        catalogue.match("不存在")
    with pytest.raises(catalogue.UnknownRegion):
        catalogue.match("环境保护", "999999")


def test_match_api(api):
    r = api.as_("operator").get("/routing/match?category=010204&region=341802002")
    assert r.status_code == 200
    assert r.get_json()["department"] == "ST-341802002"
    assert r.get_json()["rule"]["note"] == "属地: street office"
    r = api.as_("operator").get("/routing/match?category=nope")
    assert r.status_code == 422 and "category" in r.get_json()["error"]["fields"]
    assert api.as_("dept_cgj").get("/routing/match?category=01").status_code == 403


def test_admin_edits_a_rule_with_reason_and_the_cache_follows(api):
    admin = api.as_("admin")
    seen = {c["id"] for c in admin.get("/routing/rule-changes").get_json()["items"]}
    assert admin.get("/routing/match?category=环境保护").get_json()["department"] == "XC-STHJJ"
    r = admin.post("/routing/rules", {"category": "环境保护/环境污染", "department": "XC-CGJ", "note": "试点"})
    assert r.status_code == 422 and r.get_json()["error"]["fields"] == {"reason": "required: why the rule changes"}
    r = admin.post(
        "/routing/rules",
        {"category": "环境保护/环境污染", "department": "XC-CGJ", "note": "试点", "reason": "市政府2026年第3号文"},
    )
    assert r.status_code == 201, r.get_json()
    rule = r.get_json()
    assert rule["updated_by"] == "admin"
    m = admin.get("/routing/match?category=040203").get_json()
    assert m["department"] == "XC-CGJ" and m["rule"]["id"] == rule["id"]
    # a duplicate key is a conflict, an unknown department names the field
    again = {"category": "环境保护/环境污染", "department": "XC-CGJ", "reason": "x"}
    assert admin.post("/routing/rules", again).status_code == 409
    r = admin.post("/routing/rules", {**again, "region": "341821", "department": "XC-NOPE"})
    assert r.status_code == 422 and "department" in r.get_json()["error"]["fields"]
    # update and delete, each with a reason; the history keeps old/new/actor/reason
    r = api.client.patch(
        f"/api/v1/routing/rules/{rule['id']}",
        json={"department": "XC-STHJJ", "reason": "试点结束"},
        headers={"Authorization": f"Bearer {api.token('admin')}"},
    )
    assert r.status_code == 200 and r.get_json()["department"] == "XC-STHJJ"
    r = api.client.delete(
        f"/api/v1/routing/rules/{rule['id']}",
        json={"reason": "并入一级规则"},
        headers={"Authorization": f"Bearer {api.token('admin')}"},
    )
    assert r.status_code == 204
    assert admin.get("/routing/match?category=040203").get_json()["rule"]["category_path"] == "环境保护"
    # (only this test's changes count)
    changes = [
        c
        for c in admin.get("/routing/rule-changes").get_json()["items"]
        if c["rule_id"] == rule["id"] and c["id"] not in seen
    ]
    assert [(c["op"], c["actor"], c["reason"]) for c in changes] == [
        ("delete", "admin", "并入一级规则"),
        ("update", "admin", "试点结束"),
        ("create", "admin", "市政府2026年第3号文"),
    ]
    assert changes[1]["old"] == {"department": "XC-CGJ", "note": "试点"}
    assert changes[1]["new"] == {"department": "XC-STHJJ", "note": "试点"}
    # only admins edit
    assert api.as_("operator").post("/routing/rules", again).status_code == 403


def test_another_process_change_is_noticed(ctx, monkeypatch):
    assert dept("交通运输") == "XC-JTJ"
    rule = db.session.scalar(
        select(DispatchRule).where(DispatchRule.category_path == "交通运输", DispatchRule.region_code == "")
    )
    from hotline.models import Department

    rule.department_id = db.session.scalar(select(Department.id).where(Department.code == "XC-CGJ"))
    from hotline.models.base import utcnow

    rule.updated_at = utcnow()
    db.session.commit()  # as if another process wrote it: this process's cache was not cleared
    assert dept("交通运输") == "XC-JTJ"  # still cached ...
    monkeypatch.setattr(catalogue, "CHECK_SECONDS", 0.0)
    assert dept("交通运输") == "XC-CGJ"  # ... until the fingerprint check sees the change


def _upload(api, data: bytes, name: str, reason: str = "年度目录调整"):
    return api.client.post(
        "/api/v1/routing/rules/import",
        data={"file": (io.BytesIO(data), name), "reason": reason},
        headers={"Authorization": f"Bearer {api.token('admin')}"},
        content_type="multipart/form-data",
    )


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(DispatchRule))


def test_export_and_reimport_csv_and_xlsx(api):
    admin = api.as_("admin")
    csv_bytes = admin.get("/routing/rules/export?format=csv").data
    assert csv_bytes.decode().splitlines()[0] == "category,region_code,department_code,note"
    assert len(csv_bytes.decode().splitlines()) == 176
    xlsx = admin.get("/routing/rules/export?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    # change one line and import the xlsx version of it
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx.data))
    ws = wb.active
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "交通运输" and not row[1].value:
            row[2].value = "XC-CGJ"
    buf = io.BytesIO()
    wb.save(buf)
    r = _upload(api, buf.getvalue(), "catalog.xlsx")
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"rules": 175, "created": 0, "updated": 1, "deleted": 0}
    assert admin.get("/routing/match?category=交通运输").get_json()["department"] == "XC-CGJ"
    r = _upload(api, csv_bytes, "catalog.csv")
    assert r.get_json()["updated"] == 1
    assert admin.get("/routing/match?category=交通运输").get_json()["department"] == "XC-JTJ"
    last = admin.get("/routing/rule-changes").get_json()["items"][0]
    assert last["reason"] == "年度目录调整" and last["actor"] == "admin"


@pytest.mark.parametrize(
    "extra, message, line",
    [
        ("环境保护,,XC-NOPE,bad\n", "unknown department", 177),
        ("交通运输,,XC-JTJ,again\n", "duplicate rule", 177),
        ("环境保护,999999,XC-STHJJ,x\n", "unknown region", 177),
        ("环境保护,341802,XC-STHJJ\n", "wrong number of fields", 177),
        ('环境保护,"341802,XC-STHJJ,x\n', "wrong number of fields", 177),
        ("环境保护,,CENTER,x\n", "unknown department", 177),
    ],
)
def test_bad_files_are_rejected_with_the_line_and_keep_the_old_catalogue(api, extra, message, line):
    admin = api.as_("admin")
    csv_bytes = admin.get("/routing/rules/export").data + extra.encode()
    with api.app.app_context():
        before, changes = _count(), db.session.scalar(select(func.count()).select_from(DispatchRuleChange))
    r = _upload(api, csv_bytes, "mine.csv")
    assert r.status_code == 422
    msg = r.get_json()["error"]["message"]
    assert message in msg and f"mine.csv:{line}:" in msg, msg
    with api.app.app_context():
        assert _count() == before
        assert db.session.scalar(select(func.count()).select_from(DispatchRuleChange)) == changes
    assert admin.get("/routing/match?category=交通运输").get_json()["department"] == "XC-JTJ"


def test_bad_xlsx_line_and_broken_files(api):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["category", "region_code", "department_code", "note"])
    ws.append(["交通运输", "", "XC-JTJ", ""])
    ws.append(["不存在的分类", "", "XC-JTJ", ""])
    buf = io.BytesIO()
    wb.save(buf)
    r = _upload(api, buf.getvalue(), "x.xlsx")
    assert r.status_code == 422 and "x.xlsx:3: unknown category" in r.get_json()["error"]["message"]
    r = _upload(api, b"PK\x03\x04garbage", "y.xlsx")
    assert r.status_code == 422 and "y.xlsx:1" in r.get_json()["error"]["message"]
    r = _upload(api, b"cat,region\n", "z.csv")
    assert r.status_code == 422 and "missing columns" in r.get_json()["error"]["message"]
    r = _upload(api, b"category,region_code,department_code\n", "z.csv", reason="")
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]


def test_cli_export_and_import(app, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "rules.xlsx"
    assert runner.invoke(args=["routing", "export-rules", str(out)]).exit_code == 0
    r = runner.invoke(args=["routing", "import-rules", str(out), "--reason", "round trip"])
    assert r.exit_code == 0 and "rules=175 created=0 updated=0 deleted=0" in r.output
    bad = tmp_path / "bad.csv"
    bad.write_text("category,region_code,department_code,note\n交通运输,,XC-NOPE,\n", encoding="utf-8")
    r = runner.invoke(args=["routing", "import-rules", str(bad), "--reason", "x"])
    assert r.exit_code != 0 and "bad.csv:2: unknown department" in r.output
