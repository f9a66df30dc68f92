"""The Twilio webhooks' blueprint (/integrations/twilio). Webhook modules add their routes to `bp`;
`register` imports them and registers the blueprint (called from create_app)."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("twilio", __name__, url_prefix="/integrations/twilio")

# Modules that define routes on `bp` (add yours here).
WEBHOOK_MODULES = ("integrations.twilio.survey", "integrations.twilio.webhooks")


def register(app: Flask) -> None:
    import importlib

    for module in WEBHOOK_MODULES:
        importlib.import_module(module)
    app.register_blueprint(bp)
