"""Sub-dispatch (二级派单), the lead's review of the child's reply, the handling officer, and who sees what."""

from __future__ import annotations

import pytest

from tests.conftest import new_ticket_body


@pytest.fixture
def district_ticket(api):
    """A ticket dispatched to the district 宣州区 and signed by it."""
    t = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
    assert api.as_("operator").act(t["id"], "dispatch", {"department": "GOV-341802"}).status_code == 200
    r = api.as_("dept_xzq").act(t["id"], "sign")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_district_sub_dispatches_street_replies_district_approves_centre_sees_one_reply(api, district_ticket):
    tid = district_ticket["id"]
    due = district_ticket["due_at"]
    district, street = api.as_("dept_xzq"), api.as_("dept_cjjd")
    # The street sees nothing before the sub-dispatch.
    assert street.get(f"/tickets/{tid}").status_code == 404

    r = district.act(tid, "sub-dispatch", {"department": "ST-341802001", "note": "请澄江街道现场处置"})
    assert r.status_code == 200, r.get_json()
    t = r.get_json()
    assert (t["status"], t["department"], t["sub_department"], t["sub_status"]) == (
        "in_progress",
        "GOV-341802",
        "ST-341802001",
        "dispatched",
    )
    assert t["due_at"] == due and t["sub_due_at"] == due  # the district's clock keeps running

    r = street.get(f"/tickets/{tid}")
    assert r.status_code == 200 and r.get_json()["available_actions"] == ["sign", "note"]
    # The street cannot act for the district (approve its own reply, return, extend, sub-dispatch further up).
    assert street.act(tid, "reply", {"text": "太早"}).status_code == 409
    assert street.act(tid, "sign").get_json()["sub_status"] == "in_progress"
    assert street.act(tid, "return", {"reason": "wrong_area"}).status_code == 403
    # While the street holds it the district does not reply over its head.
    assert district.act(tid, "reply", {"text": "区里直接答复"}).status_code == 409
    r = street.act(tid, "reply", {"text": "已到现场，路灯已修复。"})
    assert r.status_code == 200 and r.get_json()["sub_status"] == "reply_review"
    assert r.get_json()["status"] == "in_progress"
    assert street.act(tid, "approve-sub-reply").status_code == 403

    r = district.act(tid, "reject-sub-reply", {"note": "请补充照片说明"})
    assert r.status_code == 200 and r.get_json()["sub_status"] == "in_progress"
    assert street.act(tid, "reply", {"text": "已到现场，路灯已修复，附照片。"}).status_code == 200
    r = district.act(tid, "approve-sub-reply")
    assert r.status_code == 200, r.get_json()
    t = r.get_json()
    assert (t["status"], t["sub_status"], t["reply"]) == ("reply_review", "approved", "已到现场，路灯已修复，附照片。")

    # The centre sees the district's one reply to review.
    centre = api.as_("supervisor").get(f"/tickets/{tid}").get_json()
    assert centre["reply"] == "已到现场，路灯已修复，附照片。" and centre["department"] == "GOV-341802"
    actions = [e["action"] for e in centre["timeline"]]
    assert actions == [
        "create",
        "dispatch",
        "sign",
        "sub-dispatch",
        "sub-sign",
        "sub-reply",
        "reject-sub-reply",
        "sub-reply",
        "approve-sub-reply",
    ]
    assert actions.count("reply") == 0
    queue = api.as_("supervisor").get("/tickets?status=reply_review").get_json()
    assert [i["id"] for i in queue["items"]] == [tid]
    assert api.as_("supervisor").act(tid, "approve-reply").status_code == 200


def test_street_never_sees_the_district_s_other_tickets_but_the_district_sees_its_streets(api, district_ticket):
    other = api.as_("operator").post("/tickets", new_ticket_body(content="另一件事：小区垃圾清运不及时。")).get_json()
    api.as_("operator").act(other["id"], "dispatch", {"department": "GOV-341802"})
    direct = api.as_("operator").post("/tickets", new_ticket_body(content="街道直接办理的诉求内容。")).get_json()
    api.as_("operator").act(direct["id"], "dispatch", {"department": "ST-341802001"})
    api.as_("dept_xzq").act(district_ticket["id"], "sub-dispatch", {"department": "ST-341802001"})

    street_ids = {t["id"] for t in api.as_("dept_cjjd").get("/tickets").get_json()["items"]}
    assert street_ids == {district_ticket["id"], direct["id"]}
    assert api.as_("dept_cjjd").get(f"/tickets/{other['id']}").status_code == 404
    district_ids = {t["id"] for t in api.as_("dept_xzq").get("/tickets").get_json()["items"]}
    assert district_ids == {district_ticket["id"], other["id"], direct["id"]}
    # The district reads its street's ticket but cannot act on it.
    assert api.as_("dept_xzq").get(f"/tickets/{direct['id']}").status_code == 200
    assert api.as_("dept_xzq").act(direct["id"], "sign").status_code == 403
    # Another bureau sees none of them.
    assert api.as_("dept_cgj").get(f"/tickets/{district_ticket['id']}").status_code == 404


def test_sub_dispatch_only_to_a_child_of_the_lead(api, make_ticket, district_ticket):
    # A city bureau cannot pass its ticket to a street of a district.
    t = make_ticket("in_progress", department="XC-CGJ")
    r = api.as_("dept_cgj").act(t["id"], "sub-dispatch", {"department": "ST-341802001"})
    assert r.status_code == 422 and r.get_json()["error"]["fields"] == {
        "department": "not a child of the lead department"
    }
    # The district only to its own streets, and not before it signed.
    r = api.as_("dept_xzq").act(district_ticket["id"], "sub-dispatch", {"department": "XC-CGJ"})
    assert r.status_code == 422
    r = api.as_("dept_xzq").act(district_ticket["id"], "sub-dispatch", {"department": "NOPE"})
    assert r.status_code == 422
    assert (
        api.as_("operator").act(district_ticket["id"], "sub-dispatch", {"department": "ST-341802001"}).status_code
        == 403
    )
    fresh = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
    api.as_("operator").act(fresh["id"], "dispatch", {"department": "GOV-341802"})
    assert api.as_("dept_xzq").act(fresh["id"], "sub-dispatch", {"department": "ST-341802001"}).status_code == 409


def test_assign_handling_officer_and_mine_filter(api, make_ticket):
    t = make_ticket("in_progress", department="XC-CGJ")
    cgj = api.as_("dept_cgj")
    assert cgj.get("/tickets?handler=me").get_json()["total"] == 0
    r = cgj.act(t["id"], "assign", {"user": "dept_sthjj"})
    assert r.status_code == 422 and r.get_json()["error"]["fields"] == {"user": "not staff of the department"}
    r = cgj.act(t["id"], "assign", {"user": "dept_cgj"})
    assert r.status_code == 200 and r.get_json()["handler"] == "dept_cgj"
    assert r.get_json()["timeline"][-1]["action"] == "assign"
    assert [i["id"] for i in cgj.get("/tickets?handler=me").get_json()["items"]] == [t["id"]]
    assert cgj.get("/tickets?handler=bob").status_code == 422
    assert api.as_("operator").act(t["id"], "assign", {"user": "dept_cgj"}).status_code == 403
