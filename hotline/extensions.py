"""Unbound extensions and the Redis connection factory: nothing connects at import time."""

from __future__ import annotations

import threading

from flask import current_app
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from redis import Redis
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects keep their loaded values after commit: a request that commits and then answers with what it wrote
# does not read it all back.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
socketio = SocketIO()
babel = Babel()
login_manager = LoginManager()


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, whose signer is built only for a request that carries a session cookie:
    API clients, Open311 and status lookups send none, and pay nothing for the session."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if not session and not session.modified and not session.accessed:
            return  # nothing to set, delete or vary on (Flask's own method would reach the same)
        super().save_session(app, session, response)


_redis_lock = threading.Lock()
_redis_clients: dict[str, Redis] = {}


def redis_url() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise RuntimeError("REDIS_URL is not configured (make run starts an embedded Redis)")
    return url


def get_redis(url: str | None = None) -> Redis:
    """One shared client per URL; short timeouts so a Redis outage never hangs a caller."""
    url = url or redis_url()
    with _redis_lock:
        client = _redis_clients.get(url)
        if client is None:
            client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=3)
            _redis_clients[url] = client
        return client


def blocking_redis(url: str | None = None) -> Redis:
    """A client of its own for a process that blocks on Redis (the worker's BLPOP): no socket timeout of ours
    (RQ sets one longer than its dequeue wait before the first connection is made), TCP keep-alive, and a
    health check before reusing a connection that sat idle. Never the shared client of get_redis(), whose
    3-second sockets would cut a blocking read short."""
    url = url or redis_url()
    # TCP keep-alive is a TCP option: a unix socket (the embedded Redis) takes no such argument.
    keepalive = {} if url.startswith("unix:") else {"socket_keepalive": True}
    return Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30, **keepalive)
