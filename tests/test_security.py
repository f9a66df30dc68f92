"""Safe to put on the internet (issue 14): login limits, token revoke, server-side session end, cookie flags,
security headers without inline script, Socket.IO origin check, the client address behind a proxy."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import User
from tests.conftest import new_ticket_body
from tests.test_consoles_api import login


def _form_login(client, username: str, password: str, addr: str = "198.51.100.1"):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf": token},
        environ_base={"REMOTE_ADDR": addr},
    )


def _token_login(client, username: str, password: str, addr: str = "198.51.100.1"):
    return client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": addr}
    )


@pytest.mark.parametrize("attempt", [_form_login, _token_login])
def test_ten_failed_logins_per_username_then_429_with_retry_after(app, attempt):
    client = app.test_client()
    for i in range(10):  # from ten different addresses: the name's own limit counts them all
        assert attempt(client, "operator", "wrong", addr=f"198.51.100.{i + 10}").status_code == 401
    r = attempt(client, "operator", "demo-operator", addr="198.51.100.99")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    # another user is not locked out by it
    assert attempt(client, "supervisor", "demo-supervisor", addr="198.51.100.99").status_code in (200, 302)


@pytest.mark.parametrize("attempt", [_form_login, _token_login])
def test_ten_failed_logins_per_address_then_429(app, attempt):
    client = app.test_client()
    for i in range(10):  # ten different names (unknown ones too) from one address
        assert attempt(client, f"nobody{i}", "wrong", addr="203.0.113.5").status_code == 401
    assert attempt(client, "operator", "demo-operator", addr="203.0.113.5").status_code == 429
    assert attempt(client, "operator", "demo-operator", addr="203.0.113.6").status_code in (200, 302)


def test_successful_logins_are_not_counted(app):
    client = app.test_client()
    for _ in range(12):
        assert _token_login(client, "operator", "demo-operator").status_code == 200


def test_an_unknown_user_costs_a_password_hash_too(app, monkeypatch):
    """Equal response time: the unknown name is checked against a hash like a known one."""
    import hotline.access as access

    calls = []
    real = access.check_password_hash
    monkeypatch.setattr(access, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    with app.app_context():
        assert access.check_login("no-such-user", "whatever") is None
    assert len(calls) == 1 and calls[0].startswith(("scrypt:", "pbkdf2:"))


def test_delete_auth_token_revokes_the_token_presented(app, client):
    token = _token_login(client, "operator", "demo-operator").get_json()["token"]
    other = _token_login(client, "operator", "demo-operator").get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=bearer).status_code == 204
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 401
    assert client.delete("/api/v1/auth/token", headers=bearer).status_code == 401
    assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_logout_ends_the_session_on_the_server(app):
    client = app.test_client()
    csrf = login(client, "operator")
    cookie = client.get_cookie("session").value
    assert client.get("/agents/operator").status_code == 200
    assert client.post("/logout", data={"csrf": csrf}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", cookie)  # a copy of the cookie taken before the logout
    r = thief.get("/agents/operator")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert thief.get("/api/v1/tickets").status_code == 401


def test_deactivation_ends_the_session_on_the_server(app):
    client = app.test_client()
    login(client, "dept_cgj")
    assert client.get("/agents/department").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "dept_cgj"))
        user.active = False
        db.session.commit()
    try:
        r = client.get("/agents/department")
        assert r.status_code == 302 and "/login" in r.headers["Location"]
    finally:
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == "dept_cgj"))
            user.active = True
            db.session.commit()


_other_apps: list = []


@pytest.fixture(autouse=True)
def _dispose_other_apps():
    """The apps a test built give their database connections back (the shared server has a connection cap)."""
    yield
    from hotline.extensions import db

    while _other_apps:
        with _other_apps.pop().app_context():
            db.session.remove()
            db.engine.dispose()


def _other_app(app, **over):
    from hotline import create_app

    return _remember(
        create_app(
            {
                **{
                    k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "SECRET_KEY", "SOCKETIO_CHANNEL")
                },
                "TESTING": True,
                "OUTBOX_RELAY_THREAD": False,
                **over,
            }
        )
    )


def _remember(other):
    _other_apps.append(other)
    return other


def test_session_cookie_flags(app):
    r = _form_login(app.test_client(), "operator", "demo-operator")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = _other_app(app, PUBLIC_URL="https://12345.example.gov.cn")
    r = _form_login(secure.test_client(), "operator", "demo-operator")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


PAGES = {
    None: ["/", "/message", "/track", "/published", "/login"],
    "operator": ["/agents/operator", "/agents/knowledge", "/integrations/console/simulator"],
    "dept_cgj": ["/agents/department"],
    "supervisor": ["/agents/wallboard", "/agents/callbacks", "/agents/reports/monthly"],
    "admin": ["/agents/admin/departments", "/agents/admin/users", "/agents/admin/rules"],
}


def test_security_headers_on_every_page_and_no_inline_script(app):
    for user, paths in PAGES.items():
        client = app.test_client()
        if user:
            login(client, user)
        for path in paths:
            r = client.get(path)
            assert r.status_code == 200, path
            csp = r.headers["Content-Security-Policy"]
            script_src = re.search(r"script-src ([^;]+)", csp).group(1)
            assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, path
            assert re.search(r"style-src ([^;]+)", csp).group(1).strip() == "'self'", path
            assert "frame-ancestors 'none'" in csp
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert "Strict-Transport-Security" not in r.headers  # plain http here
            html = r.get_data(as_text=True)
            for tag in re.findall(r"<script\b[^>]*>", html):
                assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
            assert not re.search(r"\son(click|submit|load|input|change)=", html), path
            assert "<style" not in html and not re.search(r"\sstyle=", html), path  # the CSP refuses them
    https = _other_app(app, PUBLIC_URL="https://12345.example.gov.cn").test_client()
    # served over https (the proxy's X-Forwarded-Proto under HOTLINE_PROXY_HOPS): HSTS
    r = https.get("/", base_url="https://12345.example.gov.cn")
    assert "max-age=31536000" in r.headers["Strict-Transport-Security"]


def test_socketio_refuses_another_origin(app, client):
    handshake = "/socket.io/?EIO=4&transport=polling"
    own = client.get(handshake, headers={"Origin": app.config["PUBLIC_URL"]})
    assert own.status_code == 200
    evil = client.get(handshake, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 400


def test_client_address_behind_trusted_proxies(app):
    """HOTLINE_PROXY_HOPS=1: the limiter (and the read log) sees X-Forwarded-For's client, not the proxy."""
    behind = _other_app(app, PROXY_HOPS=1, PUBLIC_LOOKUP_RATE_LIMIT="2 per minute")
    direct = _other_app(app, PROXY_HOPS=0, PUBLIC_LOOKUP_RATE_LIMIT="2 per minute")
    url = "/api/v1/public/tickets/XC2026112600001?code=000000"
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for name, one_app in (("behind", behind), ("direct", direct)):
        c = one_app.test_client()
        codes = [
            c.get(url, headers={"X-Forwarded-For": f"192.0.2.{i}"}, environ_base=proxy).status_code for i in range(4)
        ]
        if name == "behind":
            assert codes == [404, 404, 404, 404], codes  # four clients, one request each
        else:
            assert codes[2:] == [429, 429], codes  # all one client: the proxy


def test_contact_read_log_records_the_forwarded_client(app, api):
    behind = _other_app(app, PROXY_HOPS=1)
    t = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
    api.as_("operator").act(t["id"], "dispatch", {"department": "XC-CGJ"})
    token = api.token("dept_cgj")
    c = behind.test_client()
    r = c.get(
        f"/api/v1/tickets/{t['id']}/contact",
        headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": "192.0.2.77"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert r.status_code == 200, r.get_json()
    from hotline.models import ContactRead

    with app.app_context():
        assert db.session.scalar(select(ContactRead.ip).order_by(ContactRead.id.desc())) == "192.0.2.77"


def test_the_softphone_may_reach_twilio_only_when_telephony_is_twilio(app, client):
    """The CSP's connect-src is the app's own origin, plus Twilio's when the browser softphone uses it."""
    csp = client.get("/login").headers["Content-Security-Policy"]
    assert "twilio" not in csp
    twilio = _other_app(app, TELEPHONY="twilio").test_client()
    csp = twilio.get("/login").headers["Content-Security-Policy"]
    connect = re.search(r"connect-src ([^;]+)", csp).group(1)
    assert "'self'" in connect and "wss://*.twilio.com" in connect
    assert "'unsafe-inline'" not in re.search(r"script-src ([^;]+)", csp).group(1)
