"""The telephony interface: `provider()` is Twilio or the local console, by HOTLINE_TELEPHONY."""

from __future__ import annotations

from typing import Protocol

from flask import current_app


class Telephony(Protocol):
    def send_sms(self, to: str, body: str, ticket_id: int | None = None) -> str: ...


def provider() -> Telephony:
    if current_app.config["TELEPHONY"] == "twilio":
        from integrations.twilio.client import TwilioClient

        return TwilioClient.from_config(current_app.config)
    from integrations.console.provider import ConsoleProvider

    return ConsoleProvider.from_config(current_app.config)
