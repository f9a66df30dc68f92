"""Every Twilio REST call lives here, and only workers call it (never a request handler)."""

from __future__ import annotations

from dataclasses import dataclass

from twilio.rest import Client


@dataclass
class TwilioClient:
    client: Client
    from_number: str

    @classmethod
    def from_config(cls, config) -> TwilioClient:
        client = Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"])
        base = config.get("TWILIO_API_BASE")
        if base:  # tests and staging point the client at a local stand-in for api.twilio.com
            client.api.base_url = base.rstrip("/")
        return cls(client, config.get("TWILIO_FROM_NUMBER") or "+12345")

    def send_sms(self, to: str, body: str, ticket_id: int | None = None) -> str:
        message = self.client.messages.create(to=to, from_=self.from_number, body=body)
        return message.sid

    def place_call(
        self,
        to: str,
        url: str,
        status_callback: str | None = None,
        ticket_id: int | None = None,
        purpose: str = "callback",
    ) -> str:
        options: dict = {}
        if status_callback:
            options = {
                "status_callback": status_callback,
                "status_callback_method": "POST",
                "status_callback_event": ["initiated", "ringing", "answered", "completed"],
            }
        call = self.client.calls.create(to=to, from_=self.from_number, url=url, method="POST", **options)
        return call.sid
