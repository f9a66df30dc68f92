"""Records outbound SMS and calls as JSON lines instead of sending them.

The log is for staff to look at (the simulator's outbox view) and lies on disk: it keeps the number and the
text masked (codes starred, 138****1234) and the real ones sealed (hotline.sealing); `sent(reveal=True)` opens
them, as the citizen's phone would read the message (tests, demos)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_lock = threading.Lock()


@dataclass
class ConsoleProvider:
    path: Path
    config: Mapping[str, Any]

    @classmethod
    def from_config(cls, config) -> ConsoleProvider:
        return cls(
            Path(config.get("CONSOLE_OUTBOX_PATH") or Path(config["INSTANCE_DIR"]) / "console-outbox.jsonl"), config
        )

    def _private(self, record: dict, **clear: str) -> dict:
        """`record` with the `clear` fields masked, and sealed together under "sealed"."""
        from hotline.sealing import mask_text, seal

        return {**record, **{k: mask_text(v) for k, v in clear.items()}, "sealed": seal(clear, self.config)}

    def _record(self, record: dict) -> str:
        sid = "CONSOLE" + uuid.uuid4().hex
        record = {"sid": sid, "at": datetime.now(UTC).isoformat(), **record}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return sid

    def send_sms(self, to: str, body: str, ticket_id: int | None = None) -> str:
        return self._record(self._private({"kind": "sms", "ticket_id": ticket_id}, to=to, body=body))

    def place_call(
        self,
        to: str,
        url: str,
        status_callback: str | None = None,
        ticket_id: int | None = None,
        purpose: str = "callback",
    ) -> str:
        return self._record(
            self._private(
                {
                    "kind": "call",
                    "url": url,
                    "status_callback": status_callback,
                    "ticket_id": ticket_id,
                    "purpose": purpose,
                },
                to=to,
            )
        )

    def redirect_call(self, call_sid: str, url: str) -> None:
        self._record({"kind": "redirect", "call_sid": call_sid, "url": url, "ticket_id": None})

    def add_participant(self, conference: str, to: str, label: str) -> str:
        # a department's hotline number is a person's phone: kept as the other numbers are (masked, sealed)
        return self._record(self._private({"kind": "participant", "conference": conference, "label": label}, to=to))

    def update_participant(self, conference: str, label: str, end_conference_on_exit: bool) -> None:
        self._record(
            {"kind": "participant-update", "conference": conference, "label": label, "end": end_conference_on_exit}
        )

    def remove_participant(self, conference: str, label: str) -> None:
        self._record({"kind": "participant-remove", "conference": conference, "label": label})

    def sent(self, reveal: bool = False) -> list[dict]:
        """What was recorded, oldest first: masked, or with the real number and text when `reveal`."""
        if not self.path.exists():
            return []
        records = [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()]
        if reveal:
            from hotline.sealing import unseal

            records = [{**r, **unseal(r["sealed"], self.config)} if "sealed" in r else r for r in records]
        return records
