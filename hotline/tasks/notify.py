"""Outbound notices to callers and liaisons (the provider is Twilio or the local console)."""

from __future__ import annotations

from hotline.tasks import job


@job(queue="default", timeout=30)
def send_sms(to: str, body: str, ticket_id: int | None = None) -> str:
    from integrations import telephony

    return telephony.provider().send_sms(to, body, ticket_id=ticket_id)
