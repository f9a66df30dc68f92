"""The leave-a-message form (网上留言): its rules (title 10-25 characters, content up to 600, photos up to
1 MB each, checked by their bytes) and a session CSRF token like the staff pages'."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask import abort, current_app, request, session
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from hotline import actions, attachments, labels
from hotline.actions.public_intake import ChannelDetails
from hotline.errors import ValidationError

TITLE_MIN, TITLE_MAX, CONTENT_MAX = 10, 25, 600

TYPE_LABELS = labels.PUBLIC_TYPE
KIND_LABELS = labels.DEPARTMENT_KIND


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def check_csrf() -> None:
    sent = request.form.get("csrf", "")
    if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
        abort(400, str(_l("The form expired; please try again.")))


class PhotoTooLarge(Exception):
    pass


@dataclass
class MessageForm:
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


def _photos(files: list[FileStorage], form: MessageForm) -> list[attachments.Photo]:
    cfg = current_app.config
    files = [f for f in files if f and f.filename]
    if len(files) > cfg["PUBLIC_PHOTO_MAX_COUNT"]:
        form.errors["photos"] = _l("At most %(n)d photos.", n=cfg["PUBLIC_PHOTO_MAX_COUNT"])
        return []
    photos = []
    for f in files:
        data = f.stream.read(cfg["PUBLIC_PHOTO_MAX_BYTES"] + 1)
        if len(data) > cfg["PUBLIC_PHOTO_MAX_BYTES"]:
            raise PhotoTooLarge(f.filename)
        kind = attachments.sniff_image(data)
        if kind is None:
            form.errors["photos"] = _l("Only photos (JPEG, PNG, GIF, WebP or HEIC) can be attached.")
            return []
        photos.append(attachments.Photo(data, kind[0], kind[1], f.filename))
    return photos


def _coordinate(raw: str, lo: float, hi: float) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if lo <= value <= hi else None


def parse_message(
    form_data, files: list[FileStorage], channel: str = "web"
) -> tuple[MessageForm, actions.IntakeData | None, ChannelDetails]:
    """Check the form; the intake data when it is all right, else the form with its errors (by field).
    `channel`: web (网上留言) or mailbox (领导信箱): the same rules, a different channel on the ticket."""
    names = ("type", "title", "content", "region", "address", "phone", "name")
    v = {k: (form_data.get(k) or "").strip() for k in names}
    v["publishable"] = form_data.get("publishable") == "yes"
    form = MessageForm(values=v)
    if v["type"] not in TYPE_LABELS:
        form.errors["type"] = _l("Choose a type.")
    if not TITLE_MIN <= len(v["title"]) <= TITLE_MAX:
        form.errors["title"] = _l("The title needs %(lo)d to %(hi)d characters.", lo=TITLE_MIN, hi=TITLE_MAX)
    if not v["content"]:
        form.errors["content"] = _l("Describe your request.")
    elif len(v["content"]) > CONTENT_MAX:
        form.errors["content"] = _l("At most %(n)d characters.", n=CONTENT_MAX)
    if not v["region"]:
        form.errors["region"] = _l("Choose the area.")
    if len(v["address"]) > 200:
        form.errors["address"] = _l("At most %(n)d characters.", n=200)
    lat = long = None
    if form_data.get("lat") or form_data.get("long"):
        lat = _coordinate(form_data.get("lat", ""), -90, 90)
        long = _coordinate(form_data.get("long", ""), -180, 180)
        if lat is None or long is None:
            form.errors["location"] = _l("The location could not be read; leave it out or try again.")
    photos = _photos(files, form)
    details = ChannelDetails(source="web", lat=lat, long=long, photos=photos)
    payload = {
        "channel": channel,
        "type": v["type"] or None,
        "content": v["content"] or None,
        "title": v["title"] or None,
        "region": v["region"] or None,
        "address": v["address"] or None,
        "caller_phone": v["phone"] or None,
        "caller_name": v["name"][:64] or None,
        "publishable": v["publishable"],
    }
    try:
        data = actions.parse_intake(payload, phone_required=True)
    except ValidationError as exc:
        messages = {
            "caller_phone": ("phone", _l("Enter a mobile or landline number we can reach you on.")),
            "region": ("region", _l("Choose the area.")),
        }
        for name in exc.fields or {}:
            key, msg = messages.get(name, (name, _l("Check this field.")))
            form.errors.setdefault(key, msg)
        data = None
    return form, (None if form.errors else data), details


def photo_too_large():
    return _l("Each photo may be at most %(mb)d MB.", mb=current_app.config["PUBLIC_PHOTO_MAX_BYTES"] // (1024 * 1024))
