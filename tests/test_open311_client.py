"""An independent Open311 client (the `georeport` package from PyPI) against the API on a real HTTP server."""

from __future__ import annotations

import threading

import pytest
import requests
from georeport import GeoReport
from werkzeug.serving import make_server

from tests.test_open311 import cli

JURISDICTION = "xuancheng.12345.gov.cn"


@pytest.fixture
def base_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="open311-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/open311/v2"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert not thread.is_alive()


def _one(value):
    # xmltodict gives a dict for a single element and a list for several.
    return value[0] if isinstance(value, list) else value


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_what_it_posted(app, base_url, fmt):
    key = cli(app, "open311", "create-key", f"client-{fmt}").strip().splitlines()[-1]
    client = GeoReport(base_url, jurisdiction=JURISDICTION, api_key=key, output_format=fmt)

    services = client.get_service_list()
    lamp = next(s for s in services if s["service_code"] == "010204")
    assert lamp["group"] == "城乡建设" and lamp["service_name"] == "城市公共设施"

    definition = client.get_service_definition("010204")
    attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    assert {a["code"] for a in attributes} == {"type", "region", "publishable", "title"}

    # The client library reads only; the POST is plain HTTP, as any client sends it.
    r = requests.post(
        f"{base_url}/requests.{fmt}",
        data={
            "api_key": key,
            "jurisdiction_id": JURISDICTION,
            "service_code": "010204",
            "lat": "30.9401",
            "long": "118.7588",
            "description": "梅园路口路灯不亮 <script>x</script>",
            "attribute[publishable]": "true",
            "attribute[type]": "help",
        },
        timeout=10,
    )
    assert r.status_code == 201, r.text
    number = r.json()[0]["service_request_id"] if fmt == "json" else r.text.split("<service_request_id>")[1][:15]

    listed = client.get_service_requests(service_request_id=number)
    found = _one(listed)
    assert found["service_request_id"] == number and found["status"] == "open"
    assert found["description"] == "梅园路口路灯不亮 <script>x</script>"
    assert float(found["lat"]) == 30.94 and found["service_code"] == "010204"

    one = _one(client.get_service_request(number))
    assert one["service_request_id"] == number and one["status"] == "open"
    assert _one(client.get_service_requests(service_code="010204", status="open"))["service_request_id"] == number
    if fmt == "json":  # (the library cannot read an empty XML list: xmltodict makes it None)
        assert client.get_service_requests(status="closed") == []

    with pytest.raises(requests.HTTPError) as err:
        client.get_service_definition("999999")
    assert err.value.response.status_code == 404
