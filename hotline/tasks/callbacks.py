"""The callback-survey job (回访): one step of a callback; the outbound call goes through the one
telephony client, here in the worker and never in a request."""

from __future__ import annotations

from hotline.actions import callbacks
from hotline.tasks import job


@job(queue="default", timeout=60)
def run_callback(callback_id: int, seq: int) -> str | None:
    """Step `seq` of a callback; a stale or repeated job does nothing (the step's seq moved on)."""
    from integrations import telephony
    from integrations.twilio.signature import public_url

    order = callbacks.advance(callback_id, seq)
    if order is None:
        return None
    path = f"/integrations/twilio/survey/{order.callback_id}"
    try:
        sid = telephony.provider().place_call(
            order.to,
            public_url(path),
            status_callback=public_url(path + "/status"),
            ticket_id=order.ticket_id,
            purpose="survey",
        )
    except Exception as exc:  # noqa: BLE001 - any refusal by the provider is a failed attempt, retried later
        callbacks.call_outcome(order.callback_id, None, "error", callbacks.WORKER)
        # The result stays in Redis: the provider's message may quote the number, so it is kept masked.
        from hotline.sealing import mask_text

        return (mask_text(f"error: {type(exc).__name__}: {exc}") or "")[:500]
    callbacks.call_started(order.attempt_id, sid)
    return sid


@job(queue="low", timeout=120)
def sweep() -> int:
    """Every 5 minutes: re-plan callback steps whose job was lost (they are idempotent by seq)."""
    return callbacks.replan_lost_steps()
