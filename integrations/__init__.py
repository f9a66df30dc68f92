"""Outside channels behind small interfaces (Twilio, or the local console provider)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The console simulator (the Twilio webhooks register through integrations.twilio.blueprint)."""
    from integrations.console.simulator import bp as console_bp

    app.register_blueprint(console_bp)
