"""Socket.IO on /agents through real servers: rooms by department, and two web instances sharing Redis."""

from __future__ import annotations

import threading
import time

import pytest
import requests
import socketio

from tests.conftest import new_ticket_body
from tests.live_server import web_servers

pytestmark = pytest.mark.slow  # starts servers or workers as processes


class Listener:
    """A python-socketio client that records the events it receives."""

    def __init__(self, url: str, token: str):
        self.events: list[dict] = []
        self.arrived = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("event", self._on_event, namespace="/agents")
        self.client.connect(
            url, namespaces=["/agents"], auth={"token": token}, transports=["websocket"], wait_timeout=10
        )

    def _on_event(self, data):
        with self.arrived:
            self.events.append(data)
            self.arrived.notify_all()

    def wait_for(self, pred, timeout: float = 3.0) -> dict | None:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for ev in self.events:
                    if pred(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.arrived.wait(left)

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture(scope="module")
def two_servers(app, database_uri, redis_url, tmp_path_factory):
    with web_servers(database_uri, redis_url, count=2, tmp_dir=str(tmp_path_factory.mktemp("web"))) as urls:
        yield urls


def _post(url: str, token: str, path: str, body: dict) -> dict:
    r = requests.post(url + "/api/v1" + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_an_action_on_one_instance_reaches_a_client_on_the_other(api, two_servers):
    a, b = two_servers
    cgj = Listener(a, api.token("dept_cgj"))
    sthjj = Listener(a, api.token("dept_sthjj"))
    boss = Listener(b, api.token("supervisor"))
    try:
        op = api.token("operator")
        t = _post(b, op, "/tickets", new_ticket_body())
        _post(b, op, f"/tickets/{t['id']}/actions/dispatch", {"department": "XC-CGJ"})
        ev = cgj.wait_for(lambda e: e.get("id") == t["id"] and e.get("action") == "dispatch")
        assert ev is not None, cgj.events
        assert ev["type"] == "ticket" and ev["department"] == "XC-CGJ" and ev["status"] == "dispatched"
        assert ev["updated_at"]
        # The centre's client, connected to the same instance as the action, sees it too.
        assert boss.wait_for(lambda e: e.get("id") == t["id"] and e.get("action") == "dispatch") is not None
        # The department signs on instance A; the supervisor on instance B hears of it.
        _post(a, api.token("dept_cgj"), f"/tickets/{t['id']}/actions/sign", {})
        assert boss.wait_for(lambda e: e.get("id") == t["id"] and e.get("action") == "sign") is not None
        # Another department never receives this department's events.
        time.sleep(0.3)
        assert [e for e in sthjj.events if e.get("id") == t["id"]] == []
    finally:
        for c in (cgj, sthjj, boss):
            c.close()


def test_connect_needs_a_valid_token(two_servers):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(
            two_servers[0], namespaces=["/agents"], auth={"token": "nope"}, transports=["websocket"], wait_timeout=5
        )
    client.disconnect()


def test_watching_a_ticket_needs_access(api, make_ticket, two_servers):
    t = make_ticket("dispatched", department="XC-STHJJ")
    client = Listener(two_servers[0], api.token("dept_cgj"))
    try:
        assert client.client.call("watch", {"ticket": t["id"]}, namespace="/agents", timeout=5) == {"ok": False}
    finally:
        client.close()
    client = Listener(two_servers[0], api.token("dept_sthjj"))
    try:
        assert client.client.call("watch", {"ticket": t["id"]}, namespace="/agents", timeout=5) == {"ok": True}
    finally:
        client.close()


def test_a_department_stops_hearing_of_a_ticket_that_left_it(app, api, make_ticket, two_servers):
    """Issue 14: a department user watching a ticket's page heard every later event of it, even once the ticket
    had been returned and handed to another department."""
    from hotline.outbox import relay_all

    t = make_ticket("return_pending", department="XC-CGJ")
    with app.app_context():
        relay_all()  # the events of getting there go out now, before anyone listens
    old = Listener(two_servers[0], api.token("dept_cgj"))
    new = Listener(two_servers[1], api.token("dept_sthjj"))
    try:
        assert old.client.call("watch", {"ticket": t["id"]}, namespace="/agents", timeout=5) == {"ok": True}
        _post(two_servers[0], api.token("supervisor"), f"/tickets/{t['id']}/actions/approve-return", {})
        assert old.wait_for(lambda e: e.get("id") == t["id"] and e.get("action") == "approve-return")
        _post(two_servers[1], api.token("operator"), f"/tickets/{t['id']}/actions/dispatch", {"department": "XC-STHJJ"})
        _post(two_servers[1], api.token("dept_sthjj"), f"/tickets/{t['id']}/actions/sign", {})
        assert new.wait_for(lambda e: e.get("id") == t["id"] and e.get("action") == "sign")
        time.sleep(0.5)
        later = [
            e
            for e in old.events
            if e.get("id") == t["id"] and e.get("action") in ("dispatch", "sign") and e.get("department") == "XC-STHJJ"
        ]
        assert later == [], [(e.get("action"), e.get("department"), e.get("status")) for e in later]
    finally:
        old.close()
        new.close()
