"""Call jobs: a voice message's recording fetched from Twilio by the worker and kept with the call, so that
staff play it through our server (never from a public Twilio URL, never fetched inside a request)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app

from hotline.tasks import job


def recording_path(call_id: int) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "recordings" / f"{call_id}.wav"


@job(queue="default", timeout=60)
def fetch_recording(call_id: int) -> bool:
    """Fetch once: a second run finds the file and does nothing."""
    from hotline.extensions import db
    from hotline.models import Call
    from integrations.twilio.client import TwilioClient

    call = db.session.get(Call, call_id)
    if call is None or not (call.recording_url or "").startswith("https://"):
        return False
    path = recording_path(call_id)
    if path.exists():
        return False
    audio, _content_type = TwilioClient.from_config(current_app.config).fetch_recording(call.recording_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(f".{os.getpid()}.part")
    part.write_bytes(audio)
    part.replace(path)  # atomic: a reader sees the whole file or none
    return True


def _once(step) -> None:
    """Run a provider step at most once per job id (a retried job that already got through does nothing)."""
    from hotline.extensions import get_redis
    from hotline.tasks import once_key

    once = once_key()
    key = f"hotline:sent:{once}" if once is not None else None
    if key and get_redis().exists(key):
        return
    step()
    if key:
        get_redis().set(key, "1", ex=7 * 24 * 3600)


@job(queue="high", timeout=30)
def redirect_call(call_sid: str, url: str) -> None:
    """A transfer, hold or resume: the provider moves the caller's leg to the TwiML at `url`."""
    from integrations import telephony

    _once(lambda: telephony.provider().redirect_call(call_sid, url))


@job(queue="high", timeout=30)
def start_consult(call_sid: str, url: str, conference: str, to: str) -> None:
    """咨询转接: the caller's leg into the call's conference (hold music until someone joins), and the person
    consulted called into it. Creating the participant by the conference's name creates the conference if the
    caller is not in it yet, so the order of the two does not matter to Twilio."""
    from integrations import telephony

    def steps() -> None:
        provider = telephony.provider()
        provider.redirect_call(call_sid, url)
        provider.add_participant(conference, to, "consult")

    _once(steps)


@job(queue="high", timeout=30)
def finish_consult(conference: str, outcome: str) -> None:
    """`complete`: the operator leaves the caller with the person consulted (whose leaving now ends the call);
    `cancel`: the person consulted is hung up and the operator keeps the caller (the operator's leaving ends it)."""
    from integrations import telephony

    def steps() -> None:
        provider = telephony.provider()
        if outcome == "complete":
            provider.update_participant(conference, "consult", end_conference_on_exit=True)
        else:
            provider.remove_participant(conference, "consult")
            provider.update_participant(conference, "operator", end_conference_on_exit=True)

    _once(steps)
