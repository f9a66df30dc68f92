"""Open311 GeoReport v2 (/open311/v2): each resource in JSON and XML, and the specification's errors."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select, update

from hotline.extensions import db
from hotline.models import OutboxMessage, PublicSubmission, Ticket
from hotline.outbox import job_args
from tests.public_helpers import replied_ticket

V2 = "/open311/v2"


def cli(app, *args: str):
    with app.app_context():  # `open311` is a plain click group: flask's own runner pushes this context
        result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def key(app) -> str:
    return cli(app, "open311", "create-key", "neighbour-city").strip().splitlines()[-1]


def post(client, key=None, **form):
    body = {"service_code": "010204", "address_string": "梅园路与鳌峰路交叉口", "description": "路灯不亮，已有一周。"}
    if key:
        body["api_key"] = key
    body.update(form)
    return client.post(f"{V2}/requests.json", data={k: v for k, v in body.items() if v is not None})


def assert_error(r, status: int, fmt: str = "json"):
    assert r.status_code == status, r.get_data(as_text=True)
    if fmt == "json":
        body = r.get_json()
        assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]
        return body[0]["description"]
    root = ET.fromstring(r.data)
    assert root.tag == "errors" and root.find("error/code").text == str(status)
    return root.find("error/description").text


def test_the_cli_prints_the_key_alone_on_the_last_line(key, app):
    assert len(key) >= 32 and " " not in key
    cli(app, "open311", "revoke-key", key)


def test_discovery(client):
    body = client.get(f"{V2}/discovery.json").get_json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and "application/json" in endpoint["formats"]
    root = ET.fromstring(client.get(f"{V2}/discovery.xml").data)
    assert root.tag == "discovery" and root.find("endpoints/endpoint/formats/format").text == "text/xml"


def test_services_come_from_the_category_tree_with_group(client):
    r = client.get(f"{V2}/services.json")
    assert r.content_type.startswith("application/json")
    services = {s["service_code"]: s for s in r.get_json()}
    s = services["010204"]
    assert s["service_name"] == "城市公共设施" and s["group"] == "城乡建设" and s["metadata"] is True
    assert s["type"] == "batch" and "01" not in services and "0102" not in services  # only leaves
    r = client.get(f"{V2}/services.xml")
    assert r.content_type.startswith("text/xml") and r.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(r.data)
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    assert root.find("service/metadata").text == "true"


def test_service_definition_and_its_errors(client):
    body = client.get(f"{V2}/services/010204.json").get_json()
    assert body["service_code"] == "010204"
    attrs = {a["code"]: a for a in body["attributes"]}
    assert set(attrs) == {"type", "region", "publishable", "title"}
    assert {v["key"] for v in attrs["type"]["values"]} >= {"complaint", "help"}
    assert attrs["region"]["datatype"] == "singlevaluelist" and attrs["title"]["datatype"] == "string"
    root = ET.fromstring(client.get(f"{V2}/services/010204.xml").data)
    assert root.tag == "service_definition" and root.find("attributes/attribute/values/value/key") is not None
    assert "999999" in assert_error(client.get(f"{V2}/services/999999.json"), 404)
    assert_error(client.get(f"{V2}/services/01.xml"), 404, "xml")  # a group is not a service
    assert_error(client.get(f"{V2}/services.csv"), 404)
    assert_error(client.get(f"{V2}/services.json?jurisdiction_id=elsewhere.gov"), 404)
    assert client.get(f"{V2}/services.json?jurisdiction_id=xuancheng.12345.gov.cn").status_code == 200
    assert_error(client.get(f"{V2}/nothing-here.json"), 404)


def test_post_a_request_and_find_it_by_token(client, app, key):
    r = post(
        client,
        key,
        lat="30.9412345",
        long="118.7587654",
        phone="13812345678",
        first_name="三",
        last_name="张",
        email="z@example.com",
        **{"attribute[type]": "complaint", "attribute[publishable]": "true", "attribute[region]": "341802001"},
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    [body] = r.get_json()
    number, token = body["service_request_id"], body["token"]
    with app.app_context():
        t = db.session.scalar(select(Ticket).where(Ticket.number == number))
        assert (t.channel, t.type, t.category_code, t.region_code, t.publishable) == (
            "open311",
            "complaint",
            "010204",
            "341802001",
            True,
        )
        sub = db.session.scalar(select(PublicSubmission).where(PublicSubmission.ticket_id == t.id))
        assert sub.source == "open311" and sub.token == token and sub.lat == 30.9412345 and sub.email == "z@example.com"
        jobs = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "job")).all()
        assert any("send_sms" in str(m.payload) and number in str(job_args(m.payload)) for m in jobs)
    assert client.get(f"{V2}/tokens/{token}.json").get_json() == [{"service_request_id": number, "token": token}]
    root = ET.fromstring(client.get(f"{V2}/tokens/{token}.xml").data)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == number
    assert_error(client.get(f"{V2}/tokens/nope.json"), 404)
    # XML in, XML out.
    r = client.post(
        f"{V2}/requests.xml",
        data={"api_key": key, "service_code": "010204", "lat": "30.9", "long": "118.7", "description": "井盖缺失"},
    )
    assert r.status_code == 201 and ET.fromstring(r.data).find("request/service_request_id").text.startswith("XC")


def test_post_errors_follow_the_specification(client, app, key):
    assert "api_key" in assert_error(post(client), 403)
    assert_error(post(client, "not-a-key"), 403)
    user_token = None
    with app.app_context():
        from hotline.api.auth import issue_token
        from hotline.models import User

        user_token = issue_token(db.session.scalar(select(User).where(User.username == "operator")))
    assert_error(post(client, user_token), 403)  # a staff API token is not an Open311 key
    assert "service_code" in assert_error(post(client, key, service_code=None), 400)
    assert_error(post(client, key, service_code="999999"), 404)
    assert "colour" in assert_error(post(client, key, **{"attribute[colour]": "red"}), 404)
    assert_error(post(client, key, **{"attribute[type]": "rant"}), 400)
    assert_error(post(client, key, **{"attribute[region]": "999"}), 400)
    assert "location" in assert_error(post(client, key, address_string=None), 400)
    assert_error(post(client, key, address_string=None, lat="30.9"), 400)
    assert_error(post(client, key, lat="north", long="118"), 400)
    assert_error(post(client, key, lat="95", long="118"), 400)
    assert_error(post(client, key, description=None), 400)
    assert "4000" in assert_error(post(client, key, description="长" * 4001), 400)
    assert_error(post(client, key, phone="123"), 400)
    assert_error(post(client, key, media_url="javascript:alert(1)"), 400)
    assert_error(client.post(f"{V2}/requests.xml", data={"api_key": "x"}), 403, "xml")
    with app.app_context():
        assert db.session.scalar(select(Ticket.id).limit(1)) is None  # nothing half-written
    assert post(client, key, description="长" * 4000).status_code == 201
    cli(app, "open311", "revoke-key", key)
    assert_error(post(client, key), 403)


def test_a_body_over_the_limit_is_413_in_the_specifications_format(client, key):
    r = post(client, key, description="x" * (70 * 1024))
    assert_error(r, 413)


def test_get_requests_lists_consented_requests_desensitised(client, app, api, key):
    shown = replied_ticket(
        api,
        content="我叫王五，电话13911112222，家住梅园路8号，门口路灯坏了",
        caller_name="王五",
        reply="王五反映的路灯已修复",
    )
    hidden = replied_ticket(api, content="不愿公开的诉求", publishable=False)
    mine = post(client, key).get_json()[0]["service_request_id"]  # not consented, but submitted with this key
    body = client.get(f"{V2}/requests.json").get_json()
    ids = [r["service_request_id"] for r in body]
    assert shown["number"] in ids and hidden["number"] not in ids and mine not in ids
    with_key = [r["service_request_id"] for r in client.get(f"{V2}/requests.json?api_key={key}").get_json()]
    assert mine in with_key and hidden["number"] not in with_key
    req = next(r for r in body if r["service_request_id"] == shown["number"])
    assert req["status"] == "open" and req["agency_responsible"] == "市城市管理局"
    assert req["service_code"] == "010204" and req["service_name"] == "城市公共设施"
    assert req["status_notes"] == "**反映的路灯已修复" and req["expected_datetime"] and req["requested_datetime"]
    text = str(body)
    for secret in ("王五", "13911112222", "8号", "13812345678", "张三"):
        assert secret not in text, secret
    assert_error(client.get(f"{V2}/requests.json?api_key=wrong"), 403)


def test_get_requests_filters_and_limits(client, app, api):
    op = api.as_("operator")
    a = replied_ticket(api, content="甲", category="010204")
    b = replied_ticket(api, content="乙", category="010209")
    c = op.post("/tickets", {**_body(), "content": "丙", "category": "010204"}).get_json()
    op.act(c["id"], "answer", {"text": "已解答"})
    old = replied_ticket(api, content="丁")
    with app.app_context():
        db.session.execute(
            update(Ticket)
            .where(Ticket.id == old["id"])
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=120))
        )
        db.session.commit()

    def ids(query: str) -> set[str]:
        r = client.get(f"{V2}/requests.json{query}")
        assert r.status_code == 200, r.get_data(as_text=True)
        return {x["service_request_id"] for x in r.get_json()}

    assert ids("") == {a["number"], b["number"], c["number"]}  # the last 90 days by default
    assert ids("?service_code=010209") == {b["number"]}
    assert ids("?service_code=010204,010209") == {a["number"], b["number"], c["number"]}
    assert ids("?status=closed") == {c["number"]}
    assert ids("?status=open") == {a["number"], b["number"]}
    # A list of ids overrides every other argument, the old one included.
    assert ids(f"?service_request_id={old['number']},{b['number']}&status=closed") == {old["number"], b["number"]}
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=130)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (dt.datetime.now(dt.UTC) - dt.timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(f"?start_date={start}&end_date={end}") == {old["number"]}
    assert ids(f"?start_date={start}") == {old["number"]}  # start + 90 days
    assert_error(client.get(f"{V2}/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"), 400)
    assert_error(client.get(f"{V2}/requests.json?start_date=2026-06-01T00:00:00Z&end_date=2026-05-01T00:00:00Z"), 400)
    assert_error(client.get(f"{V2}/requests.json?start_date=yesterday"), 400)
    assert_error(client.get(f"{V2}/requests.json?status=pending"), 400)
    app.config["OPEN311_MAX_RESULTS"] = 2
    try:
        assert len(ids("")) == 2
    finally:
        app.config["OPEN311_MAX_RESULTS"] = 1000


def test_get_one_request_open_and_closed(client, api):
    t = replied_ticket(api, content="路灯坏了")
    [req] = client.get(f"{V2}/requests/{t['number']}.json").get_json()
    assert req["status"] == "open" and req["status_notes"] == "已安排维修，路灯已恢复照明。"
    assert req["agency_responsible"] == "市城市管理局" and req["expected_datetime"].endswith("Z")
    api.as_("operator").act(t["id"], "record-callback", {"resolved": 1, "satisfaction": 1})
    root = ET.fromstring(client.get(f"{V2}/requests/{t['number']}.xml").data)
    assert root.tag == "service_requests" and root.find("request/status").text == "closed"
    hidden = replied_ticket(api, content="不公开", publishable=False)
    assert_error(client.get(f"{V2}/requests/{hidden['number']}.json"), 404)
    assert_error(client.get(f"{V2}/requests/XC2099010100001.xml"), 404, "xml")


def test_markup_in_a_request_is_escaped_in_xml_and_json(client, api):
    evil = "<script>alert(1)</script> & <b>"
    t = replied_ticket(api, content=evil, reply=evil)
    r = client.get(f"{V2}/requests/{t['number']}.xml")
    assert b"<script>" not in r.data and b"&lt;script&gt;" in r.data
    assert ET.fromstring(r.data).find("request/description").text == evil
    r = client.get(f"{V2}/requests/{t['number']}.json")
    assert r.get_json()[0]["description"] == evil and r.content_type.startswith("application/json")


def _body(**over):
    from tests.conftest import new_ticket_body

    return new_ticket_body(**over)
