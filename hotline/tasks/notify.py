"""Outbound notices to callers and liaisons (the provider is Twilio or the local console).

A send that fails is retried with back-off (RQ's Retry, run by the worker's scheduler); after the last attempt
the failure goes on the ticket's timeline."""

from __future__ import annotations

from rq import Retry, get_current_job

from hotline.extensions import get_redis
from hotline.sealing import mask_text
from hotline.tasks import job

SENT_TTL = 7 * 24 * 3600
# Three more attempts: after 10 s, a minute and five minutes (a Twilio blip, a network hiccup).
SEND_RETRY = Retry(max=3, interval=[10, 60, 300])


class SendFailed(Exception):
    """A send the provider refused or could not take, its message masked."""


def _opted_out(phone: str) -> bool:
    from sqlalchemy import select

    from hotline.extensions import db
    from hotline.models import Caller

    try:
        return bool(db.session.scalar(select(Caller.do_not_call).where(Caller.phone == phone)))
    finally:
        db.session.rollback()


def _last_attempt() -> bool:
    current = get_current_job()
    return current is None or not current.retries_left


def _send_once(kind: str, to: str, ticket_id: int | None, send) -> str | None:
    """Send once per job id: a job run twice (a duplicate delivery) sends once; a failure is retried, and the last
    one recorded on the ticket's timeline before RQ marks the job failed."""
    current = get_current_job()
    key = f"hotline:sent:{current.id}" if current is not None else None
    redis = get_redis() if key else None
    if redis is not None and redis.exists(key):
        return None
    try:
        sid = send()
    except Exception as exc:  # noqa: BLE001 - re-raised, masked (RQ retries it)
        # The provider's message may quote the number or the text (Twilio's does): RQ keeps and logs what is
        # raised here, and the timeline shows it, so only a masked copy goes on (without the original's chain).
        error = mask_text(f"{type(exc).__name__}: {exc}") or ""
        if _last_attempt():
            from hotline.actions.delivery import record_send_failure

            record_send_failure(ticket_id, kind, to, error)
        raise SendFailed(error) from None
    if redis is not None:
        redis.set(key, sid, ex=SENT_TTL)
    return sid


@job(queue="default", timeout=30, retry=SEND_RETRY, private=True)
def send_sms(to: str, body: str, ticket_id: int | None = None, unless_opted_out: bool = False) -> str | None:
    """Send once per job id: a job run twice (a retry, a duplicate delivery) sends one SMS.

    `unless_opted_out`: a notice the caller did not ask for (receipt, close) is dropped when the number is on
    the do-not-call list (an SMS `TD`) at the time of sending."""
    from integrations import telephony

    if unless_opted_out and _opted_out(to):
        return None
    return _send_once("sms", to, ticket_id, lambda: telephony.provider().send_sms(to, body, ticket_id=ticket_id))


@job(queue="default", timeout=30, retry=SEND_RETRY, private=True)
def place_call(
    to: str, url: str, status_callback: str | None = None, ticket_id: int | None = None, purpose: str = "callback"
) -> str | None:
    """Start an outbound call once per job id (a missed-call callback, a survey call, ...)."""
    from integrations import telephony

    return _send_once(
        "call",
        to,
        ticket_id,
        lambda: telephony.provider().place_call(
            to, url, status_callback=status_callback, ticket_id=ticket_id, purpose=purpose
        ),
    )
