"""Receipt SMS (受理回执: ticket number and retrieval code) go only to mainland China mobile numbers, at most
RECEIPTS_PER_DAY a day to one number: a landline or a foreign number cannot take them, and nobody can make the
hotline flood a stranger's phone by filing messages in their name.

`receipt_phone(phone)` is the one rule every intake path asks (web, SMS, Open311, voice messages, phone
callers): the number to send the receipt to, or None."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import phonenumbers

RECEIPTS_PER_DAY = 3
_SHANGHAI = ZoneInfo("Asia/Shanghai")
_memory: dict[str, int] = {}  # "phone:day" -> count, when Redis is down
_memory_lock = threading.Lock()


def mainland_mobile(phone: str | None) -> str | None:
    """+86 1xx xxxx xxxx in E.164 when `phone` is a mainland China mobile number, else None."""
    if not phone:
        return None
    try:
        parsed = phonenumbers.parse(phone, "CN")
    except phonenumbers.NumberParseException:
        return None
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        return None
    if phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def receipt_phone(phone: str | None, now: dt.datetime | None = None) -> str | None:
    """The mobile to send a receipt to, counting it against today's (Asia/Shanghai) allowance; None when the
    number is not a mainland mobile or has had its RECEIPTS_PER_DAY today."""
    mobile = mainland_mobile(phone)
    if mobile is None:
        return None
    day = (now or dt.datetime.now(dt.UTC)).astimezone(_SHANGHAI).strftime("%Y%m%d")
    key = f"hotline:receipts:{mobile}:{day}"
    try:
        from hotline.extensions import get_redis

        pipe = get_redis().pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, 2 * 24 * 3600)  # no NX: the embedded Redis (6.2) refuses it; a day key, so harmless
        count = int(pipe.execute()[0])
    except Exception:  # noqa: BLE001 - Redis down: this process's own count
        with _memory_lock:
            if len(_memory) > 100_000:
                _memory.clear()
            count = _memory[key] = _memory.get(key, 0) + 1
    return mobile if count <= RECEIPTS_PER_DAY else None
