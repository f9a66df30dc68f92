"""Input checks shared by the JSON API, the forms and the webhooks: each names the bad field."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from sqlalchemy import select

from hotline.errors import ValidationError
from hotline.extensions import db

CHANNELS = ("phone", "web", "sms", "open311", "mailbox", "app")
TYPES = ("consult", "help", "complaint", "report", "suggestion", "praise")
URGENCIES = ("normal", "urgent", "critical")
RETURN_REASONS = ("wrong_area", "ownership_unclear", "overlapping_duties", "not_government")
HANDOFF_TARGETS = ("110", "119", "120", "122")
MAX_CONTENT = 4000

_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def normalize_phone(raw: Any) -> str | None:
    """E.164 from what people type: +8613812345678, 13812345678, 0563-2345678; None if invalid."""
    if not isinstance(raw, str):
        return None
    s = re.sub(r"[\s\-()]", "", raw)
    if s.startswith("00"):
        s = "+" + s[2:]
    if re.fullmatch(r"1[3-9]\d{9}", s):
        s = "+86" + s
    elif re.fullmatch(r"0[1-9]\d{8,10}", s):
        s = "+86" + s[1:]
    return s if _E164.match(s) else None


def dialable_number(raw: Any, region: str = "CN") -> str | None:
    """A number the centre may call out to (the softphone's outbound calls), as E.164: a valid number by
    `phonenumbers`' metadata (mainland numbers without +86 read in `region`); None otherwise."""
    import phonenumbers

    if not isinstance(raw, str) or len(raw) > 40:
        return None
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class Fields:
    """Collects field errors so one response names every bad field."""

    def __init__(self, payload: Any):
        if not isinstance(payload, dict):
            raise ValidationError("the body must be a JSON object", code="bad_request", status=400)
        self.payload = payload
        self.errors: dict[str, str] = {}

    def _get(self, name: str, required: bool) -> Any:
        value = self.payload.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.errors[name] = "required"
            return None
        return value

    def string(self, name: str, required: bool = False, max_len: int = 200, min_len: int = 0) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.errors[name] = "must be a string"
            return None
        value = value.strip()
        if len(value) > max_len:
            self.errors[name] = f"at most {max_len} characters"
        elif len(value) < min_len:
            self.errors[name] = f"at least {min_len} characters"
        return value

    def choice(
        self, name: str, choices: tuple[str, ...], required: bool = False, default: str | None = None
    ) -> str | None:
        value = self._get(name, required)
        if value is None:
            return default
        if value not in choices:
            self.errors[name] = "must be one of " + ", ".join(choices)
            return None
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.payload.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.errors[name] = "must be true or false"
            return default
        return value

    def integer(self, name: str, required: bool = False, lo: int | None = None, hi: int | None = None) -> int | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors[name] = "must be an integer"
            return None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.errors[name] = f"must be between {lo} and {hi}"
            return None
        return value

    def phone(self, name: str, required: bool = False) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        phone = normalize_phone(value)
        if phone is None:
            self.errors[name] = "not a valid phone number"
        return phone

    def instant(self, name: str, latest: dt.datetime | None = None) -> dt.datetime | None:
        """An ISO 8601 time with its zone (a bare date or a naive time is ambiguous: refused), as UTC."""
        value = self._get(name, False)
        if value is None:
            return None
        try:
            at = dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            self.errors[name] = "an ISO 8601 time with its zone"
            return None
        at = at.astimezone(dt.UTC)
        if latest is not None and at > latest:
            self.errors[name] = "in the future"
            return None
        return at

    def string_list(self, name: str) -> list[str]:
        value = self.payload.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.errors[name] = "must be a list of strings"
            return []
        return value

    def done(self) -> None:
        if self.errors:
            names = ", ".join(sorted(self.errors))
            raise ValidationError(f"invalid fields: {names}", fields=self.errors)


class _CodeCache:
    """The catalogue's codes in memory for a minute: validating intake costs no query."""

    def __init__(self, column_factory):
        self.column_factory = column_factory
        self.loaded_at = 0.0
        self.codes: set[str] = set()

    def __contains__(self, code: str) -> bool:
        if time.monotonic() - self.loaded_at > 60 or code not in self.codes:
            self.codes = set(db.session.scalars(select(self.column_factory())))
            self.loaded_at = time.monotonic()
        return code in self.codes


def _category_code():
    from hotline.models import Category

    return Category.code


def _region_code():
    from hotline.models import Region

    return Region.code


category_codes = _CodeCache(_category_code)
region_codes = _CodeCache(_region_code)
