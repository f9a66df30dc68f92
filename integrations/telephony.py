"""The telephony interface: `provider()` is Twilio or the local console, by HOTLINE_TELEPHONY.

Only workers call a provider (through the outbox and hotline.tasks.notify); request handlers never do.
"""

from __future__ import annotations

from typing import Protocol

from flask import current_app


class Telephony(Protocol):
    def send_sms(self, to: str, body: str, ticket_id: int | None = None) -> str: ...

    def place_call(
        self,
        to: str,
        url: str,
        status_callback: str | None = None,
        ticket_id: int | None = None,
        purpose: str = "callback",
    ) -> str:
        """Start an outbound call whose TwiML comes from `url`; returns the call's sid.

        `status_callback` receives Twilio's call status events (initiated, ringing, answered, completed);
        `purpose` says why the call is made (`callback` for a missed caller, `survey` for 回访, ...)."""
        ...

    def redirect_call(self, call_sid: str, url: str) -> None:
        """Move a live call to the TwiML at `url` (a transfer, hold and resume, into a conference)."""
        ...

    def add_participant(self, conference: str, to: str, label: str) -> str:
        """Call `to` (a number or `client:<identity>`) into the conference named `conference`, under `label`
        (咨询转接: the supervisor or department brought into a call); returns the new call's sid."""
        ...

    def update_participant(self, conference: str, label: str, end_conference_on_exit: bool) -> None:
        """The participant's leaving ends the conference (or no longer does)."""
        ...

    def remove_participant(self, conference: str, label: str) -> None:
        """Hang up the participant's leg; the others stay in the conference."""
        ...


def provider() -> Telephony:
    if current_app.config["TELEPHONY"] == "twilio":
        from integrations.twilio.client import TwilioClient

        return TwilioClient.from_config(current_app.config)
    from integrations.console.provider import ConsoleProvider

    return ConsoleProvider.from_config(current_app.config)
