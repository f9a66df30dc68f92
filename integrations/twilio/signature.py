"""X-Twilio-Signature checks for every Twilio webhook (CONTRACT.md): the signature is computed by
Twilio over HOTLINE_PUBLIC_URL + path (+ query) and the POST form. Whatever HOTLINE_TELEPHONY says, an unsigned
request is refused: the console's call simulator reaches the same views through its own route, which needs a
staff login (integrations.console.simulator), never by switching the check off."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from twilio.request_validator import RequestValidator

from hotline.errors import Forbidden


def public_url(path_and_query: str) -> str:
    """The URL Twilio sees for a path of ours (what it signs, and what we hand it as a callback)."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + path_and_query


def request_url() -> str:
    query = request.query_string.decode("latin-1")
    return public_url(request.path + (f"?{query}" if query else ""))


def signature_valid() -> bool:
    if g.get("console_simulated"):  # set only by the simulator's login-required route, never from the request
        return True
    token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    return RequestValidator(token).validate(request_url(), request.form, signature)


def check_signature() -> None:
    """403 unless the request carries a valid Twilio signature (or comes through the console simulator's route)."""
    if not signature_valid():
        raise Forbidden("invalid Twilio signature", code="bad_signature")


def twilio_webhook(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a webhook view: the signature is checked before anything else runs."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        check_signature()
        return view(*args, **kwargs)

    return checked
