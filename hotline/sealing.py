"""Personal data at rest on its way out (手机号, 提取码): sealed, never in clear.

An SMS or call waits in the outbox table, then in RQ's Redis, and the console provider keeps a log of what it
"sent". None of them holds a phone number or a retrieval code in clear: the outbox row keeps the job's arguments
sealed (Fernet: AES-CBC + HMAC, from `cryptography`), the RQ job carries only the outbox row's id, and the worker
unseals at send time. The console log keeps a masked copy to show and a sealed one.

The sealing key is derived from the retrieval codes' key (HOTLINE_CODE_KEY, or derived from SECRET_KEY), so a
queued receipt survives rotating SECRET_KEY when HOTLINE_CODE_KEY is pinned, like the codes themselves.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
from typing import Any

from cryptography.fernet import Fernet
from flask import current_app

from hotline.retrieval_codes import code_key


@functools.lru_cache(maxsize=4)
def _fernet(key: bytes) -> Fernet:
    derived = hmac.new(key, b"hotline sealed outbox", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(value: Any, config=None) -> str:
    """`value` (JSON-able) as an opaque text token."""
    key = code_key(config if config is not None else current_app.config)
    return _fernet(key).encrypt(json.dumps(value, ensure_ascii=False).encode()).decode()


def unseal(token: str, config=None) -> Any:
    """The value seal() was given; raises cryptography's InvalidToken on a token made under another key."""
    key = code_key(config if config is not None else current_app.config)
    return json.loads(_fernet(key).decrypt(token.encode()))


# A run of 4 or more digits standing alone (not part of a ticket number such as XC2026112600001): a retrieval
# code, a phone number, a room... Full-width digits count (re's \d is Unicode).
_DIGIT_RUN = re.compile(r"(?<![A-Za-z0-9])\+?\d{4,}(?![A-Za-z0-9])")


def mask_text(text: str | None) -> str | None:
    """A message as staff may see it in a log: codes starred, phone numbers as 138****1234."""
    if not text:
        return text
    return _DIGIT_RUN.sub(lambda m: _mask_digits(m.group(0)), text)


def _mask_digits(run: str) -> str:
    """11 digits or more (a phone): the first 3 and last 4 kept, as hotline.access.mask_phone does; else all."""
    digits = run[3:] if run.startswith("+86") else run.lstrip("+")
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * len(run)
