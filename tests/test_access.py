"""Departments see and act on only their own tickets; foreign and unknown look the same."""

from __future__ import annotations

from tests.conftest import new_ticket_body


def test_other_departments_ticket_is_404_like_an_unknown_one(api, make_ticket):
    t = make_ticket("dispatched")
    other = api.as_("dept_sthjj")
    foreign = other.get(f"/tickets/{t['id']}")
    unknown = other.get("/tickets/987654")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.get_json() == unknown.get_json()
    for action, body in (("sign", None), ("return", {"reason": "wrong_area"}), ("note", {"text": "x"})):
        assert other.act(t["id"], action, body).status_code == 404
    assert api.as_("operator").get(f"/tickets/{t['id']}").get_json()["status"] == "dispatched"


def test_department_list_shows_only_its_own_tickets(api, make_ticket):
    mine = make_ticket("dispatched", department="XC-CGJ")
    theirs = make_ticket("dispatched", department="XC-STHJJ")
    make_ticket("accepted")
    ids = {t["id"] for t in api.as_("dept_cgj").get("/tickets").get_json()["items"]}
    assert ids == {mine["id"]}
    ids = {t["id"] for t in api.as_("dept_sthjj").get("/tickets").get_json()["items"]}
    assert ids == {theirs["id"]}
    assert api.as_("operator").get("/tickets").get_json()["total"] == 3


def test_departments_see_masked_phones_and_names(api, make_ticket):
    t = make_ticket("dispatched")
    seen = api.as_("dept_cgj").get(f"/tickets/{t['id']}").get_json()
    assert seen["caller_phone"] == "138****5678" and seen["caller_name"] == "张*"
    listed = api.as_("dept_cgj").get("/tickets").get_json()["items"][0]
    assert listed["caller_phone"] == "138****5678"
    assert api.as_("supervisor").get(f"/tickets/{t['id']}").get_json()["caller_phone"] == "+8613812345678"


def test_roles_without_the_right_get_403(api, make_ticket):
    assert api.as_("dept_cgj").post("/tickets", new_ticket_body()).status_code == 403
    assert api.as_("leader").post("/tickets", new_ticket_body()).status_code == 403
    t = make_ticket("reply_review")
    assert api.as_("dept_cgj").act(t["id"], "approve-reply").status_code == 403
    assert api.as_("operator").act(t["id"], "approve-reply").status_code == 403


def test_authentication(api, client):
    assert client.get("/api/v1/tickets").status_code == 401
    r = client.get("/api/v1/tickets", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"
    r = client.post("/api/v1/auth/token", json={"username": "operator", "password": "wrong"})
    assert r.status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": "operator", "password": "demo-operator"})
    assert r.status_code == 200
    token = r.get_json()["token"]
    assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.post("/api/v1/auth/token", json={"username": "operator"}).status_code == 422


def test_list_filters_and_paging(api, make_ticket):
    for _ in range(3):
        make_ticket("dispatched")
    make_ticket("accepted")
    op = api.as_("operator")
    body = op.get("/tickets?status=dispatched&department=XC-CGJ&per_page=2&page=2").get_json()
    assert body["total"] == 3 and len(body["items"]) == 1 and body["page"] == 2
    assert op.get("/tickets?status=accepted,dispatched").get_json()["total"] == 4
    r = op.get("/tickets?status=bogus")
    assert r.status_code == 422 and "status" in r.get_json()["error"]["fields"]
    assert op.get("/tickets?department=NOPE").status_code == 422
    assert op.get("/tickets?page=abc").status_code == 422
    assert op.get("/tickets?per_page=1000").status_code == 422
