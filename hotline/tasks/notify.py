"""Outbound notices to callers and liaisons (the provider is Twilio or the local console).

A send that fails is retried with back-off (RQ's Retry, run by the worker's scheduler); after the last attempt
the failure goes on the ticket's timeline."""

from __future__ import annotations

from rq import Retry, get_current_job

from hotline.extensions import get_redis
from hotline.sealing import mask_text
from hotline.tasks import job, once_key

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


def _failure(kind: str, to: str, ticket_id: int | None, exc: Exception) -> str:
    """A failed send's error, masked: the provider's message may quote the number or the text (Twilio's does), and
    RQ keeps and logs what a job raises and the timeline shows it. The last attempt's failure goes on the ticket's
    timeline."""
    error = mask_text(f"{type(exc).__name__}: {exc}") or ""
    if _last_attempt():
        from hotline.actions.delivery import record_send_failure

        record_send_failure(ticket_id, kind, to, error)
    return error


def _send_once(kind: str, to: str, ticket_id: int | None, send) -> str | None:
    """Send once per outbox row (or job id): a job run twice (a duplicate delivery, a retried batch) sends once; a
    failure is retried, and the last one recorded on the ticket's timeline before RQ marks the job failed."""
    once = once_key()
    key = f"hotline:sent:{once}" if once is not None else None
    redis = get_redis() if key else None
    if redis is not None and redis.exists(key):
        return None
    try:
        sid = send()
    except Exception as exc:  # noqa: BLE001 - re-raised, masked (RQ retries it)
        raise SendFailed(_failure(kind, to, ticket_id, exc)) from None
    if redis is not None:
        redis.set(key, sid, ex=SENT_TTL)
    return sid


def _send_sms_many(items: list[tuple[int, list]]) -> list[tuple[int, str]]:
    """send_sms for the rows of one batch: one Redis read for what was already sent, one query for the numbers
    on the do-not-call list, then each message (marked sent as soon as the provider takes it)."""
    from sqlalchemy import select

    from hotline.extensions import db
    from hotline.models import Caller
    from integrations import telephony

    redis = get_redis()
    calls = [(row_id, f"hotline:sent:outbox-{row_id}", _sms_args(*args)) for row_id, args in items]
    done = redis.mget([key for _, key, _ in calls]) if calls else []
    todo = [call for call, sent in zip(calls, done, strict=True) if sent is None]
    check = sorted({args[0] for _, _, args in todo if args[3]})
    try:
        opted_out = (
            set(db.session.scalars(select(Caller.phone).where(Caller.phone.in_(check), Caller.do_not_call.is_(True))))
            if check
            else set()
        )
    finally:
        db.session.rollback()
    provider = telephony.provider()
    failed: list[tuple[int, str]] = []
    for row_id, key, (to, body, ticket_id, unless_opted_out) in todo:
        if unless_opted_out and to in opted_out:
            continue
        try:
            sid = provider.send_sms(to, body, ticket_id=ticket_id)
        except Exception as exc:  # noqa: BLE001 - the batch fails after the others, masked, and is retried
            failed.append((row_id, _failure("sms", to, ticket_id, exc)))
        else:
            redis.set(key, sid, ex=SENT_TTL)
    return failed


def _sms_args(
    to: str, body: str, ticket_id: int | None = None, unless_opted_out: bool = False
) -> tuple[str, str, int | None, bool]:
    return to, body, ticket_id, unless_opted_out


@job(queue="default", timeout=30, retry=SEND_RETRY, private=True, many=_send_sms_many)
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
