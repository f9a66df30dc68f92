"""The phone's pages: the context the phone bar needs (agents/_phone.html), the calls page (/agents/calls) and
the leader-slot schedule (/agents/leader-slots)."""

from __future__ import annotations

from flask import current_app

from agents_ui.views import bp


@bp.app_context_processor
def phone_context() -> dict:
    return {
        "telephony": current_app.config["TELEPHONY"],
        "after_call_seconds": current_app.config["AFTER_CALL_SECONDS"],
    }
