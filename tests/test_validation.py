"""Bad input gets 400/422 naming the field, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import OutboxMessage, Ticket, TimelineEvent
from tests.conftest import new_ticket_body


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(m))  # type: ignore[return-value]
            for m in (Ticket, TimelineEvent, OutboxMessage)
        )


@pytest.mark.parametrize(
    "change, field",
    [
        ({"type": None}, "type"),
        ({"content": None}, "content"),
        ({"content": "   "}, "content"),
        ({"caller_phone": None}, "caller_phone"),
        ({"category": "999999"}, "category"),
        ({"region": "110000"}, "region"),
        ({"caller_phone": "12345"}, "caller_phone"),
        ({"caller_phone": "phone"}, "caller_phone"),
        ({"content": "很" * 4001}, "content"),
        ({"type": "gossip"}, "type"),
        ({"urgency": "whenever"}, "urgency"),
        ({"channel": "pigeon"}, "channel"),
        ({"publishable": "yes"}, "publishable"),
        ({"content": 42}, "content"),
        ({"category": 10204}, "category"),
        ({"address": ["a"]}, "address"),
    ],
)
def test_bad_intake_fields_are_named_and_nothing_is_written(api, app, change, field):
    before = counts(app)
    r = api.as_("operator").post("/tickets", new_ticket_body(**change))
    assert r.status_code == 422, r.get_json()
    err = r.get_json()["error"]
    assert field in err["fields"] and err["code"] == "invalid"
    assert counts(app) == before


def test_content_of_exactly_4000_characters_is_accepted(api):
    assert api.as_("operator").post("/tickets", new_ticket_body(content="很" * 4000)).status_code == 201


def test_several_bad_fields_are_all_named(api):
    r = api.as_("operator").post("/tickets", {"type": "x", "caller_phone": "1"})
    assert set(r.get_json()["error"]["fields"]) == {"type", "content", "caller_phone"}


@pytest.mark.parametrize(
    "data, content_type",
    [
        ('{"type": "complaint",', "application/json"),
        ("[1, 2]", "application/json"),
        ('"text"', "application/json"),
        ("type=complaint", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_bodies_get_400(api, app, data, content_type):
    before = counts(app)
    r = api.as_("operator").post("/tickets", data=data, headers={"Content-Type": content_type})
    assert r.status_code == 400 and r.get_json()["error"]["code"] in ("malformed_json", "bad_request")
    assert counts(app) == before


def test_phone_numbers_are_normalised_to_e164(api):
    for raw, e164 in (
        ("138 1234 5678", "+8613812345678"),
        ("0563-2345678", "+865632345678"),
        ("+8613912345678", "+8613912345678"),
        ("008613712345678", "+8613712345678"),
    ):
        t = api.as_("operator").post("/tickets", new_ticket_body(caller_phone=raw)).get_json()
        assert t["caller_phone"] == e164


@pytest.mark.parametrize(
    "action, body, field",
    [
        ("dispatch", {}, "department"),
        ("dispatch", {"department": "XC-NOPE"}, "department"),
        ("dispatch", {"department": "CENTER"}, "department"),
        ("dispatch", {"department": "XC-CGJ", "assisting": "XC-STHJJ"}, "assisting"),
        ("dispatch", {"department": "XC-CGJ", "assisting": ["XC-CGJ"]}, "assisting"),
        ("answer", {"text": 5}, "text"),
        ("answer", {}, "text"),
        ("hand-off", {"to": "999"}, "to"),
    ],
)
def test_bad_action_bodies_are_named_and_change_nothing(api, make_ticket, action, body, field):
    t = make_ticket("accepted")
    r = api.as_("operator").act(t["id"], action, body)
    assert r.status_code == 422 and field in r.get_json()["error"]["fields"]
    after = api.as_("operator").get(f"/tickets/{t['id']}").get_json()
    assert after["status"] == "accepted" and [e["action"] for e in after["timeline"]] == ["create"]


def test_record_callback_answers_must_be_1_2_or_3(api, make_ticket):
    t = make_ticket("callback_pending")
    for body in (
        {"resolved": 4, "satisfaction": 1},
        {"resolved": 1},
        {"resolved": True, "satisfaction": 1},
        {"resolved": "1", "satisfaction": "1"},
    ):
        r = api.as_("operator").act(t["id"], "record-callback", body)
        assert r.status_code == 422, body


def test_unknown_action_is_404(api, make_ticket):
    t = make_ticket("accepted")
    assert api.as_("operator").act(t["id"], "teleport").status_code == 404
