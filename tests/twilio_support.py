"""Helpers for Twilio tests: a real HTTP server standing in for api.twilio.com, and signed webhook posts.

The stand-in records every request (method, path, form, auth header) and answers like Twilio's REST API
with a JSON resource, so the real twilio client library runs unchanged against it."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "12345678901234567890123456789012"


def tone_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A real WAV file (8 kHz mono 16-bit, a 440 Hz tone), like the recordings Twilio serves."""
    import io
    import math
    import struct
    import wave

    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(int(seconds * rate))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


class FakeTwilioApi:
    def __init__(self, fail_status: int | None = None) -> None:
        self.requests: list[dict] = []
        self.recording = tone_wav()
        self.conference_sid = "CF" + uuid.uuid4().hex
        self.fail_status = fail_status  # answer every request with this error status (Twilio down)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep the test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                auth = self.headers.get("Authorization", "")
                user = base64.b64decode(auth[6:]).decode().split(":")[0] if auth.startswith("Basic ") else None
                outer.requests.append({"method": "GET", "path": self.path, "form": {}, "user": user})
                if "/Recordings/" in self.path and self.path.endswith(".wav") and user == ACCOUNT_SID:
                    status, ctype, data = 200, "audio/x-wav", outer.recording
                elif self.path.split("?")[0].endswith("/Conferences.json"):
                    # the conference in progress by its name: one page, as Twilio lists them
                    query = parse_qs(self.path.partition("?")[2])
                    name = query.get("FriendlyName", [""])[0]
                    page = {
                        "conferences": [{"sid": outer.conference_sid, "friendly_name": name, "status": "in-progress"}],
                        "uri": self.path,
                        "page": 0,
                        "page_size": 1,
                        "next_page_uri": None,
                    }
                    status, ctype, data = 200, "application/json", json.dumps(page).encode()
                else:
                    status, ctype, data = 404, "application/json", b'{"status": 404, "message": "not found"}'
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(raw).items()}
                auth = self.headers.get("Authorization", "")
                user = base64.b64decode(auth[6:]).decode().split(":")[0] if auth.startswith("Basic ") else None
                outer.requests.append({"method": "POST", "path": self.path, "form": form, "user": user})
                if outer.fail_status:
                    error = json.dumps({"code": 20500, "message": "Internal Server Error", "status": outer.fail_status})
                    self.send_response(outer.fail_status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(error)))
                    self.end_headers()
                    self.wfile.write(error.encode())
                    return
                prefix = "SM" if self.path.endswith("/Messages.json") else "CA"
                body = {
                    "sid": prefix + uuid.uuid4().hex,
                    "call_sid": "CA" + uuid.uuid4().hex,
                    "label": form.get("Label"),
                    "account_sid": ACCOUNT_SID,
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": form.get("Body"),
                    "status": "queued",
                }
                data = json.dumps(body).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_DELETE(self) -> None:  # noqa: N802 - http.server's naming
                auth = self.headers.get("Authorization", "")
                user = base64.b64decode(auth[6:]).decode().split(":")[0] if auth.startswith("Basic ") else None
                outer.requests.append({"method": "DELETE", "path": self.path, "form": {}, "user": user})
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-twilio", daemon=True)

    def __enter__(self) -> FakeTwilioApi:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def twilio_config(app, base: str) -> dict:
    """Point the app at Twilio (through the stand-in at `base`); returns the old values to restore."""
    new = {
        "TELEPHONY": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE": base,
        "TWILIO_FROM_NUMBER": "+8656312345",
    }
    old = {k: app.config.get(k) for k in new}
    app.config.update(new)
    return old


FIXTURES = Path(__file__).parent / "fixtures" / "twilio"
PUBLIC_URL = "https://hotline.example.gov.cn"


def payload(name: str, **over: str) -> dict:
    """A recorded Twilio webhook form (tests/fixtures/twilio/NAME.json) with some fields replaced."""
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def new_call_sid() -> str:
    return "CA" + uuid.uuid4().hex


def new_message_sid() -> str:
    return "SM" + uuid.uuid4().hex


class SignedWebhooks:
    """Posts webhook forms the way Twilio does: signed over PUBLIC_URL + path (+ query) and the form."""

    def __init__(self, client) -> None:
        self.client = client

    def signature(self, path: str, form: dict) -> str:
        return RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, form)

    def post(self, path: str, form: dict, signature: str | None = None):
        if not path.startswith("/integrations/"):
            path = "/integrations/twilio" + path
        sig = self.signature(path, form) if signature is None else signature
        return self.client.post(path, data=form, headers={"X-Twilio-Signature": sig})


def twilio_mode(app) -> dict:
    """Twilio (signatures checked) with this module's credentials; returns the old values to restore."""
    new = {
        "TELEPHONY": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_URL": PUBLIC_URL,
    }
    old = {k: app.config.get(k) for k in new}
    app.config.update(new)
    return old
