"""The JSON API (/api/v1) for the consoles and other systems."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from hotline.api import (  # noqa: E402,F401
    attachments,
    auth,
    calendar,
    callbacks,
    calls,
    catalogue,
    consoles,
    inbox,
    knowledge,
    notices,
    openapi,
    people,
    public_status,
    reports,
    routing,
    supervision,
    telephony,
    templates,
    tickets,
)
