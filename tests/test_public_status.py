"""The public status check by number and retrieval code."""

from __future__ import annotations

from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Ticket


def test_status_with_code_and_the_approved_reply(client, make_ticket, api):
    t = make_ticket("accepted")
    code = (
        api.as_("operator")
        .post("/tickets", {"type": "consult", "content": "x", "caller_phone": "13800000000"})
        .get_json()
    )
    r = client.get(f"/api/v1/public/tickets/{code['number']}?code={code['retrieval_code']}")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "received" and body["number"] == code["number"] and body["reply"] is None
    assert set(body) >= {"number", "status", "received_at", "due_at", "reply"}
    assert "caller_phone" not in body and "content" not in body
    assert t["id"] != code["id"]


def test_reply_shows_only_once_approved(client, api):
    op, dept, sup = api.as_("operator"), api.as_("dept_cgj"), api.as_("supervisor")
    t = op.post("/tickets", {"type": "help", "content": "井盖缺失", "caller_phone": "13800000001"}).get_json()
    url = f"/api/v1/public/tickets/{t['number']}?code={t['retrieval_code']}"
    op.act(t["id"], "dispatch", {"department": "XC-CGJ"})
    assert client.get(url).get_json()["status"] == "handling"
    dept.act(t["id"], "sign")
    dept.act(t["id"], "reply", {"text": "已补装井盖"})
    assert client.get(url).get_json()["reply"] is None
    sup.act(t["id"], "approve-reply")
    body = client.get(url).get_json()
    assert body["status"] == "replied" and body["reply"] == "已补装井盖"


def test_wrong_number_and_wrong_code_look_the_same(client, api, app):
    t = (
        api.as_("operator")
        .post("/tickets", {"type": "consult", "content": "x", "caller_phone": "13800000000"})
        .get_json()
    )
    wrong_code = "000000" if t["retrieval_code"] != "000000" else "111111"
    a = client.get(f"/api/v1/public/tickets/{t['number']}?code={wrong_code}")
    b = client.get(f"/api/v1/public/tickets/XC2099010100001?code={t['retrieval_code']}")
    c = client.get(f"/api/v1/public/tickets/{t['number']}")
    assert a.status_code == b.status_code == c.status_code == 404
    assert a.get_json() == b.get_json() == c.get_json()


def test_retrieval_code_is_stored_hashed(api, app):
    t = (
        api.as_("operator")
        .post("/tickets", {"type": "consult", "content": "x", "caller_phone": "13800000000"})
        .get_json()
    )
    with app.app_context():
        stored = db.session.scalar(select(Ticket.retrieval_code_hash).where(Ticket.id == t["id"]))
    assert t["retrieval_code"] not in stored and len(stored) == 64


def test_track_page(client, api):
    t = (
        api.as_("operator")
        .post("/tickets", {"type": "consult", "content": "x", "caller_phone": "13800000000"})
        .get_json()
    )
    r = client.get(f"/track?number={t['number']}&code={t['retrieval_code']}")
    assert r.status_code == 200 and t["number"] in r.get_data(as_text=True)
    assert client.get(f"/track?number={t['number']}&code=999999x").status_code == 404
