"""The rule for new passwords: a minimum length, and none of the most common passwords.

The common list is zxcvbn's (the 30,000 most frequent passwords of public leaks, most frequent first) plus the
pinyin and number patterns that Chinese leaks add. Existing passwords (the demo users') are not re-checked."""

from __future__ import annotations

import functools

MIN_LENGTH = 10
# How much of zxcvbn's ranked list counts as "most common" (all of it).
COMMON_TOP = 30_000
# Frequent in Chinese leaks (CSDN, 163, Tianya) and not all in zxcvbn's list.
CHINESE_COMMON = (
    "woaini1314",
    "woaini5201314",
    "5201314520",
    "1314520520",
    "woaini520",
    "iloveyou1314",
    "qq123456789",
    "a123456789",
    "aa123456789",
    "123456789a",
    "1234567890a",
    "asd123456789",
    "zhang123456",
    "wang123456",
    "li12345678",
    "admin12345",
    "admin123456",
    "password12345",
    "12345qwert",
    "1qaz2wsx3edc",
    "1q2w3e4r5t",
    "qwe123456789",
    "123123123123",
    "11223344556677",
    "147258369147",
    "abcd1234567",
    "12345678910",
    "00000000000",
    "hotline12345",
    "12345hotline",
)


@functools.cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_TOP]) | frozenset(CHINESE_COMMON)


def problem(password: object, username: str | None = None) -> str | None:
    """Why `password` may not be a new password, or None when it may."""
    if not isinstance(password, str) or not password:
        return "required"
    if len(password) < MIN_LENGTH:
        return f"at least {MIN_LENGTH} characters"
    if len(password) > 256:
        return "at most 256 characters"
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        return "one of the most common passwords"
    if username and username.lower() in lowered:
        return "must not contain the username"
    return None
