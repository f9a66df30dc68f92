"""常用语: reply templates per category, kept by supervisors, read by all staff."""

from __future__ import annotations


def test_supervisors_keep_templates_and_staff_get_the_ones_for_a_category(api):
    sup = api.as_("supervisor")
    general = sup.post("/reply-templates", {"title": "已受理", "text": "您的诉求已受理，我们将尽快办理。"}).get_json()
    lamps = sup.post(
        "/reply-templates", {"title": "路灯维修", "text": "已安排维修人员检修路灯。", "category": "0102"}
    ).get_json()
    other = sup.post("/reply-templates", {"title": "安全", "text": "已转安全生产部门。", "category": "0101"}).get_json()
    assert general["category"] is None and lamps["category"] == "0102"
    r = api.as_("dept_cgj").get("/reply-templates?category=010204")
    assert [t["id"] for t in r.get_json()["items"]] == [lamps["id"], general["id"]]  # the specific one first
    assert len(api.as_("operator").get("/reply-templates").get_json()["items"]) == 3
    # Only supervisors edit; bad input names the field.
    assert api.as_("operator").post("/reply-templates", {"title": "x", "text": "y"}).status_code == 403
    r = sup.post("/reply-templates", {"title": "x", "category": "99"})
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) == {"text", "category"}
    assert (
        sup.client.put(
            f"/api/v1/reply-templates/{other['id']}", json={"text": "已转市应急管理局。"}, headers=sup._headers()
        ).get_json()["text"]
        == "已转市应急管理局。"
    )
    assert sup.client.delete(f"/api/v1/reply-templates/{other['id']}", headers=sup._headers()).status_code == 204
    assert len(sup.get("/reply-templates").get_json()["items"]) == 2
