"""Which consoles are connected now: each open /agents socket of a centre user is a field of a Redis hash,
and the time the last one closed is kept, so that a console gone for CONSOLE_GONE_SECONDS sets its user away
(hotline.tasks.presence) and an incoming call dials the softphone only when a console is there to ring.

Transport state, not a record: Redis is the right home (a restart of Redis means "nobody connected", and
the next connect repairs it). The source of truth for presence is the operator_presence table."""

from __future__ import annotations

import time

from hotline.extensions import get_redis

_KEY = "hotline:consoles:{}"  # hash: socket id -> connected-at (unix seconds)
_GONE = "hotline:consoles-gone:{}"  # unix seconds when the last socket closed
TTL_SECONDS = 24 * 3600


def connected(user_id: int, sid: str, now: float | None = None) -> None:
    r = get_redis()
    pipe = r.pipeline()
    pipe.hset(_KEY.format(user_id), sid, str(now or time.time()))
    pipe.expire(_KEY.format(user_id), TTL_SECONDS)
    pipe.delete(_GONE.format(user_id))
    pipe.execute()


def disconnected(user_id: int, sid: str, now: float | None = None) -> bool:
    """Forget the socket; True when it was the user's last one (their console is gone)."""
    r = get_redis()
    key = _KEY.format(user_id)
    pipe = r.pipeline()
    pipe.hdel(key, sid)
    pipe.hlen(key)
    _, left = pipe.execute()
    if left:
        return False
    r.set(_GONE.format(user_id), str(now or time.time()), ex=TTL_SECONDS)
    return True


def online(user_id: int) -> bool:
    return bool(get_redis().hlen(_KEY.format(user_id)))


def gone_since(user_id: int) -> float | None:
    """When the user's last console socket closed, if none is open now (None: connected, or never seen)."""
    r = get_redis()
    if r.hlen(_KEY.format(user_id)):
        return None
    raw = r.get(_GONE.format(user_id))
    return float(raw) if raw else None
