"""Records outbound SMS and calls as JSON lines instead of sending them."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_lock = threading.Lock()


@dataclass
class ConsoleProvider:
    path: Path

    @classmethod
    def from_config(cls, config) -> ConsoleProvider:
        return cls(Path(config.get("CONSOLE_OUTBOX_PATH") or Path(config["INSTANCE_DIR"]) / "console-outbox.jsonl"))

    def _record(self, record: dict) -> str:
        sid = "CONSOLE" + uuid.uuid4().hex
        record = {"sid": sid, "at": datetime.now(UTC).isoformat(), **record}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return sid

    def send_sms(self, to: str, body: str, ticket_id: int | None = None) -> str:
        return self._record({"kind": "sms", "to": to, "body": body, "ticket_id": ticket_id})

    def place_call(
        self,
        to: str,
        url: str,
        status_callback: str | None = None,
        ticket_id: int | None = None,
        purpose: str = "callback",
    ) -> str:
        return self._record(
            {
                "kind": "call",
                "to": to,
                "url": url,
                "status_callback": status_callback,
                "ticket_id": ticket_id,
                "purpose": purpose,
            }
        )

    def redirect_call(self, call_sid: str, url: str) -> None:
        self._record({"kind": "redirect", "call_sid": call_sid, "url": url, "ticket_id": None})

    def sent(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()]
