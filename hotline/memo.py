"""Look-ups that a replay of the past may remember (hotline.demo.history): while it runs, nothing else changes the
departments, their users or their notice choices, and it asks for the same few thousands of times. Everywhere
else (no `remembering()` block) every call asks the database, as it must when an admin may change them."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_memo: ContextVar[dict | None] = ContextVar("memo", default=None)


@contextmanager
def remembering() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remembered(key: Hashable, load: Callable[[], T]) -> T:
    """load(), or what it gave for `key` earlier in the block. Only plain values: never ORM objects, which
    belong to one session."""
    memo = _memo.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]
