"""Retrieval-code guessing (提取码): one ticket number accepts at most CODE_GUESS_LIMIT wrong codes an hour, across
every address and channel (API, /track, SMS `CX`, IVR); then that number answers 429 until the hour is over,
right code or not. The per-address limiter alone lets a botnet try a million codes on one number.

Counters live in Redis (an hour from the first wrong code); if Redis is down, in this process's memory."""

from __future__ import annotations

import threading
import time

from flask import current_app, g, has_request_context

from hotline.errors import DomainError

WINDOW_SECONDS = 3600


class TooManyCodeGuesses(DomainError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many wrong codes for this ticket number; try again later")
        self.retry_after = retry_after


_memory: dict[str, tuple[int, float]] = {}  # number -> (count, window end), when Redis is down
_memory_lock = threading.Lock()


def _key(number: str) -> str:
    return f"hotline:code-guess:{number[:32]}"


def _limit() -> int:
    return int(current_app.config.get("CODE_GUESS_LIMIT", 10))


def read_into_pipeline(pipe, number: str) -> None:
    """Queue the read of `number`'s count on a Redis pipeline of the caller's (hotline.ratelimit joins it to the
    client's lookup windows: one round trip); hand the two replies to remember_read."""
    pipe.get(_key(number))
    pipe.ttl(_key(number))


def remember_read(number: str, replies: list) -> None:
    """The replies of read_into_pipeline, kept for this request's check(number)."""
    g.code_guess_read = (number, replies)


def check(number: str) -> None:
    """Raise TooManyCodeGuesses when `number` has used up its wrong codes for the hour."""
    from hotline.extensions import get_redis

    try:
        known = g.pop("code_guess_read", None) if has_request_context() else None
        if known is not None and known[0] == number:
            count, ttl = known[1]
        else:
            redis = get_redis()
            pipe = redis.pipeline(transaction=False)
            read_into_pipeline(pipe, number)
            count, ttl = pipe.execute()
        count = int(count or 0)
    except Exception:  # noqa: BLE001 - Redis down: this process's own counters
        with _memory_lock:
            count, until = _memory.get(number, (0, 0.0))
            ttl = int(until - time.time())
            if ttl <= 0:
                count = 0
    if count >= _limit():
        raise TooManyCodeGuesses(max(1, int(ttl)))


def record_wrong(number: str) -> None:
    from hotline.extensions import get_redis

    try:
        redis = get_redis()
        pipe = redis.pipeline(transaction=False)
        pipe.incr(_key(number))
        pipe.ttl(_key(number))
        _count, ttl = pipe.execute()
        if ttl < 0:  # the first wrong code starts the hour (EXPIRE ... NX needs Redis 7; the embedded one is 6.2)
            redis.expire(_key(number), WINDOW_SECONDS)
    except Exception:  # noqa: BLE001 - Redis down: this process's own counters
        now = time.time()
        with _memory_lock:
            count, until = _memory.get(number, (0, 0.0))
            if until <= now:
                count, until = 0, now + WINDOW_SECONDS
            _memory[number] = (count + 1, until)
            if len(_memory) > 100_000:
                _memory.clear()
