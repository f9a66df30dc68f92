"""Voice messages (留言) and the IVR's status check (查询): a caller who leaves a message gets a ticket in
`accepted` and goes on the call-back list; a caller who keys in a ticket number and retrieval code hears its
public status. Called by the Twilio webhooks (and the console simulator) on a call record of hotline.actions.calls.
"""

from __future__ import annotations

from hotline.actions.calls import _commit, _fetch_recording_later, _lock_call, _recompute
from hotline.actions.intake import IntakeData, create_ticket
from hotline.errors import NotFound
from hotline.extensions import db
from hotline.models import Call, Ticket
from hotline.models.base import utcnow


def voice_message(call_sid: str, recording_url: str | None, transcript: str | None) -> tuple[Call, Ticket, str | None]:
    """留言: the message becomes a ticket in `accepted` with its recording, and the caller goes on the
    call-back list. Once per call: a retried webhook returns the same ticket (and no code)."""
    try:
        call = _lock_call(call_sid)
        if call.ticket_id is not None and call.recording_url:
            ticket = db.session.get(Ticket, call.ticket_id)
            assert ticket is not None
            db.session.rollback()
            return call, ticket, None
        from hotline.validation import normalize_phone

        phone = normalize_phone(call.from_number)
        parts = ["电话留言（来电人录音）。"]
        if transcript:
            parts.append(transcript.strip())
        if recording_url:
            # Not the URL: it is Twilio's, for the server only; staff play it on /agents/calls.
            parts.append("录音已保存，可在来电记录（/agents/calls）中收听。")
        data = IntakeData(
            channel="phone",
            type="help",
            urgency="normal",
            content="\n".join(parts)[:4000],
            caller_phone=phone,
            line=call.line,
        )

        def link(ticket: Ticket, code: str) -> None:
            call.ticket_id = ticket.id
            call.recording_url = recording_url or call.recording_url or "console:text"
            _fetch_recording_later(call)
            call.callback_needed = True
            call.queued = False
            call.updated_at = utcnow()
            _recompute(call)  # the receipt SMS (number + code) is the intake's, as for every channel

        ticket, code = create_ticket(data, None, before_commit=link)
        return call, ticket, code
    except BaseException:
        db.session.rollback()
        raise


MAX_STATUS_CHECK_FAILURES = 3


def status_check(call_sid: str, number: str, code: str) -> tuple[dict | None, bool]:
    """查询: the public status of a ticket by number and retrieval code; (status or None, may try again)."""
    try:
        from hotline.actions.status_lookup import public_status
        from hotline.codeguard import TooManyCodeGuesses

        call = _lock_call(call_sid)
        try:
            result = public_status(number, code)
        except NotFound:
            result = None
            call.status_check_failures += 1
        except TooManyCodeGuesses:  # the number's wrong codes for the hour are used up: as if wrong, no retry
            result = None
            call.status_check_failures = MAX_STATUS_CHECK_FAILURES
        if call.menu_choice is None:
            call.menu_choice = "2"
        call.updated_at = utcnow()
        again = call.status_check_failures < MAX_STATUS_CHECK_FAILURES
        _commit()
        return result, again
    except BaseException:
        db.session.rollback()
        raise
