"""What the worker tells the ticket about its outbound messages: an SMS or call that could not be sent after its
last retry is on the timeline (发送失败), where the centre sees it, never silently lost."""

from __future__ import annotations

import logging

from hotline.access import mask_phone
from hotline.actions._core import SYSTEM, ticket_action

log = logging.getLogger(__name__)


def record_send_failure(ticket_id: int | None, kind: str, to: str, error: str) -> None:
    """`kind` is "sms" or "call"; the phone is kept masked, the error short."""
    data = {"kind": kind, "to": mask_phone(to), "error": error[:300]}
    if ticket_id is None:
        log.error("%s to %s not sent after its retries: %s", kind, data["to"], data["error"])
        return
    with ticket_action(ticket_id, "send-failed", SYSTEM) as ctx:
        ctx.event(data=data)
