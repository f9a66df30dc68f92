"""Helpers for Twilio tests: a real HTTP server standing in for api.twilio.com, and signed webhook posts.

The stand-in records every request (method, path, form, auth header) and answers like Twilio's REST API
with a JSON resource, so the real twilio client library runs unchanged against it."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "12345678901234567890123456789012"


class FakeTwilioApi:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep the test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(raw).items()}
                auth = self.headers.get("Authorization", "")
                user = base64.b64decode(auth[6:]).decode().split(":")[0] if auth.startswith("Basic ") else None
                outer.requests.append({"method": "POST", "path": self.path, "form": form, "user": user})
                prefix = "SM" if self.path.endswith("/Messages.json") else "CA"
                body = {
                    "sid": prefix + uuid.uuid4().hex,
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
