"""Per-client rate limits (Flask-Limiter on the project's Redis; the API's status lookup counts the same fixed
windows itself, in one round trip: FAST_LOOKUP_VIEWS) for what could be guessed or flooded.

Status lookups by number + retrieval code are limited per client address so that 6-digit codes cannot be
tried out. The limits are read from the config at request time (`PUBLIC_LOOKUP_RATE_LIMIT`, ...), so a
deployment, a test or a benchmark changes them without new code; `RATELIMIT_ENABLED=False` turns them off.
If Redis is down the counters fall back to process memory rather than failing the request.

Each app gets its own Limiter (several apps live in one test process, each with its own Redis); the views
to limit are named here by endpoint and wrapped once the blueprints are registered.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from werkzeug.exceptions import TooManyRequests


def storage_uri(redis_url: str | None) -> str:
    """The limits library's spelling of REDIS_URL (unix:// becomes redis+unix://)."""
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://") :]
    return redis_url


def lookup_limit() -> str:
    return current_app.config["PUBLIC_LOOKUP_RATE_LIMIT"]


def submit_limit() -> str:
    return current_app.config["PUBLIC_SUBMIT_RATE_LIMIT"]


def _no_lookup_asked() -> bool:
    """The empty track form costs nothing; only an attempt with a number and a code counts."""
    return not (request.args.get("number") and request.args.get("code"))


# endpoint -> (limit, methods, exempt_when)
LIMITED_VIEWS: dict[str, tuple[Callable[[], str], list[str] | None, Callable[[], bool] | None]] = {
    "api.public_code_resend": (lookup_limit, None, None),
    "public.track_code": (lookup_limit, ["POST"], None),
    "public.track": (lookup_limit, None, _no_lookup_asked),
    "public.message": (submit_limit, ["POST"], None),
    "public.mailbox": (submit_limit, ["POST"], None),
}


# The API's status lookup (GET /api/v1/public/tickets/<number>), the busiest public endpoint, counts its windows
# itself: Flask-Limiter spent a fifth of a lookup's CPU and a Redis round trip per window (two: per minute and
# per hour) on it, and the lookup's code-guess check (hotline.codeguard) a third. Here both windows and the
# number's wrong-code count are one pipelined round trip (bench/public.py --url, bench/intake.py's status phase).
# Same rule as Flask-Limiter's fixed windows: each window starts at its first hit, every lookup counts (a refused
# one too), and a client over any window gets 429 with Retry-After.
FAST_LOOKUP_VIEWS = ("api.public_ticket",)
_memory: dict[str, tuple[int, float]] = {}  # key -> (count, window end), when Redis is down
_memory_lock = threading.Lock()


@functools.lru_cache(maxsize=16)
def _windows(spec: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(spec))


def _hit_memory(keys: list[tuple[str, int]]) -> list[tuple[int, int]]:
    now = time.time()
    out = []
    with _memory_lock:
        if len(_memory) > 100_000:
            _memory.clear()
        for key, seconds in keys:
            count, until = _memory.get(key, (0, 0.0))
            if until <= now:
                count, until = 0, now + seconds
            _memory[key] = (count + 1, until)
            out.append((count + 1, max(1, int(until - now))))
    return out


def _count_lookup(number: str) -> None:
    """Count this client's lookup in each window of PUBLIC_LOOKUP_RATE_LIMIT and read `number`'s wrong codes
    for hotline.codeguard, in one round trip; 429 when the client is over a window."""
    from hotline import codeguard
    from hotline.extensions import get_redis

    windows = _windows(lookup_limit())
    address = get_remote_address() or "?"
    keys = [(f"hotline-rl/lookup/{address}/{w.amount}/{w.get_expiry()}", w.get_expiry()) for w in windows]
    try:
        redis = get_redis()
        pipe = redis.pipeline(transaction=False)
        for key, _seconds in keys:
            pipe.incr(key)
            pipe.ttl(key)
        codeguard.read_into_pipeline(pipe, number)
        replies = pipe.execute()
        hits = [(int(replies[2 * i]), int(replies[2 * i + 1])) for i in range(len(keys))]
        codeguard.remember_read(number, replies[2 * len(keys) :])
        fresh = [key for (key, seconds), (_count, ttl) in zip(keys, hits, strict=True) if ttl < 0]
        if fresh:  # a window's first hit starts it (EXPIRE ... NX needs Redis 7; the embedded one is 6.2)
            pipe = redis.pipeline(transaction=False)
            for key, seconds in keys:
                if key in fresh:
                    pipe.expire(key, seconds)
            pipe.execute()
            hits = [
                (count, seconds if ttl < 0 else ttl) for (count, ttl), (_key, seconds) in zip(hits, keys, strict=True)
            ]
    except Exception:  # noqa: BLE001 - Redis down: this process's own counters, as Flask-Limiter's fallback
        hits = _hit_memory(keys)
    over = [ttl for window, (count, ttl) in zip(windows, hits, strict=True) if count > window.amount]
    if over:
        g.retry_after = max(over)
        raise TooManyRequests(retry_after=max(over))


def _fast_lookup_limit(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        limiter = current_app.extensions.get("hotline.limiter")
        if limiter is not None and limiter.enabled:
            _count_lookup(str(kwargs.get("number", "")))
        return view(*args, **kwargs)

    return limited


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_username() -> str:
    """The name a login tries (form or JSON), as a limiter key of its own: 10 failures for one name from any
    number of addresses are as many as from one."""
    name = request.form.get("username") if request.form else None
    if name is None and request.is_json:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    return "login-user:" + (str(name)[:64].strip().lower() if name else "")


def _login_failed(response) -> bool:
    """Only failures count (a successful login costs nothing): 401 is a wrong name or password."""
    return response.status_code == 401


# endpoint -> methods: logins, limited per address and per username, counting failures only.
LOGIN_VIEWS: dict[str, list[str]] = {"agents.login": ["POST"], "api.create_token": ["POST"]}


def _on_breach(limit) -> None:
    """Only a refused request learns when to retry: the X-RateLimit-* headers on every response would cost
    two more Redis round trips per lookup (RATELIMIT_HEADERS_ENABLED turns them on)."""
    g.retry_after = max(1, int(limit.reset_at - time.time()))


def _retry_after(response):
    if response.status_code == 429 and "Retry-After" not in response.headers and "retry_after" in g:
        response.headers["Retry-After"] = str(g.retry_after)
    return response


def init_app(app: Flask) -> Limiter:
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(app.config.get("REDIS_URL")))
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "hotline-rl")
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter = Limiter(key_func=get_remote_address, default_limits=[], on_breach=_on_breach)
    limiter.init_app(app)
    # There are no default or application-wide limits: the limited views check in their own wrappers, so the
    # limiter's before-request pass (work on every request, the intake API's included) is dropped.
    # (Not registered at all when RATELIMIT_ENABLED is off.)
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)
    app.after_request(_retry_after)
    app.extensions["hotline.limiter"] = limiter
    for endpoint, (value, methods, exempt_when) in LIMITED_VIEWS.items():
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = limiter.limit(value, methods=methods, exempt_when=exempt_when)(view)
    for endpoint in FAST_LOOKUP_VIEWS:
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = _fast_lookup_limit(view)
    for endpoint, methods in LOGIN_VIEWS.items():
        view = app.view_functions.get(endpoint)
        if view is not None:
            view = limiter.limit(login_limit, methods=methods, deduct_when=_login_failed)(view)
            view = limiter.limit(login_limit, methods=methods, deduct_when=_login_failed, key_func=_login_username)(
                view
            )
            app.view_functions[endpoint] = view
    return limiter
