"""Every Twilio REST call lives here, and only workers call it (never a request handler)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

RECORDING_MAX_BYTES = 20 * 1024 * 1024  # a two-minute message is ~2 MB as WAV
# Seconds one REST request may take: a worker thread never hangs on Twilio (the job retries instead).
REQUEST_TIMEOUT = 10


@dataclass
class TwilioClient:
    client: Client
    from_number: str

    @classmethod
    def from_config(cls, config) -> TwilioClient:
        client = Client(
            config["TWILIO_ACCOUNT_SID"],
            config["TWILIO_AUTH_TOKEN"],
            http_client=TwilioHttpClient(timeout=config.get("TWILIO_TIMEOUT_SECONDS", REQUEST_TIMEOUT)),
        )
        base = config.get("TWILIO_API_BASE")
        if base:  # tests and staging point the client at a local stand-in for api.twilio.com
            client.api.base_url = base.rstrip("/")
        return cls(client, config.get("TWILIO_FROM_NUMBER") or "+12345")

    def redirect_call(self, call_sid: str, url: str) -> None:
        self.client.calls(call_sid).update(url=url, method="POST")

    def _conference_sid(self, name: str) -> str:
        """A conference's sid from its name (participants are changed by sid; only a create takes the name)."""
        found = self.client.conferences.list(friendly_name=name, status="in-progress", limit=1)
        if not found:
            raise LookupError(f"no conference {name} in progress")
        return found[0].sid

    def add_participant(self, conference: str, to: str, label: str) -> str:
        participant = self.client.conferences(conference).participants.create(
            from_=self.from_number,
            to=to,
            label=label,
            early_media=True,
            beep="false",
            start_conference_on_enter=True,
            end_conference_on_exit=False,
        )
        return participant.call_sid

    def update_participant(self, conference: str, label: str, end_conference_on_exit: bool) -> None:
        sid = self._conference_sid(conference)
        self.client.conferences(sid).participants(label).update(end_conference_on_exit=end_conference_on_exit)

    def remove_participant(self, conference: str, label: str) -> None:
        sid = self._conference_sid(conference)
        self.client.conferences(sid).participants(label).delete()

    def fetch_recording(self, recording_url: str) -> tuple[bytes, str]:
        """A voice message's audio (WAV) with its content type, fetched with the account's credentials from the
        RecordingUrl Twilio reported (on TWILIO_API_BASE when set). The twilio library's HTTP client decodes
        bodies as text, so the bytes come through requests with the same credentials."""
        parts = urlsplit(recording_url)
        twilio_host = parts.netloc == "api.twilio.com" or parts.netloc.endswith(".twilio.com")
        if parts.scheme != "https" or not twilio_host or not parts.path.startswith("/2010-04-01/Accounts/"):
            raise ValueError(f"not a Twilio recording URL: {recording_url}")
        if "/Recordings/" not in parts.path:
            raise ValueError(f"not a Twilio recording URL: {recording_url}")
        # Only the path is taken: the credentials go to Twilio's API (or the configured stand-in), nowhere else.
        base = self.client.api.base_url.rstrip("/")
        path = parts.path if parts.path.endswith((".wav", ".mp3")) else parts.path + ".wav"
        response = requests.get(
            base + path, auth=(self.client.username, self.client.password), timeout=(5, 30), stream=True
        )
        response.raise_for_status()
        body = response.raw.read(RECORDING_MAX_BYTES + 1, decode_content=True)
        if len(body) > RECORDING_MAX_BYTES:
            raise ValueError("the recording is larger than expected")
        return body, response.headers.get("Content-Type", "audio/x-wav").split(";")[0]

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
