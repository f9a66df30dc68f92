"""Retrieval codes (提取码): the six digits a citizen is given at intake to look a ticket up, kept only as an HMAC.

A low-level module (no models, no actions): the intake, the status lookup and the code resend all hash with it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from flask import current_app


def new_code() -> str:
    """Six random digits."""
    return f"{secrets.randbelow(1_000_000):06d}"


def code_key(config: Mapping[str, Any]) -> bytes:
    """The retrieval codes' HMAC key: HOTLINE_CODE_KEY, or one derived from SECRET_KEY (never the session key
    itself)."""
    if config.get("CODE_KEY"):
        return config["CODE_KEY"].encode()
    return hmac.new(config["SECRET_KEY"].encode(), b"hotline retrieval codes", hashlib.sha256).hexdigest().encode()


def hash_retrieval_code(number: str, code: str) -> str:
    """HMAC of the code with its own key: a stolen table does not reveal codes."""
    return hmac.new(code_key(current_app.config), f"{number}:{code}".encode(), hashlib.sha256).hexdigest()
