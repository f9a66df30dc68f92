"""The call simulator (console provider): a person "calls" the hotline from the browser. The page's script
posts Twilio's own form parameters to the same webhooks Twilio would call and acts out the TwiML they
answer (speech shown as text, keys on a keypad, a message typed instead of spoken)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template
from flask_login import login_required
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import HotlineLine, OperatorPresence

bp = Blueprint(
    "console", __name__, url_prefix="/integrations/console", template_folder="templates", static_folder="static"
)


@bp.get("/simulator")
@login_required
def simulator():
    lines = db.session.execute(select(HotlineLine.number, HotlineLine.name).order_by(HotlineLine.number)).all()
    return render_template("console/simulator.html", lines=lines, console=current_app.config["TELEPHONY"] == "console")


@bp.get("/outbox.json")
@login_required
def outbox():
    """What the console provider recorded instead of sending (the latest 20)."""
    from integrations.console.provider import ConsoleProvider

    if current_app.config["TELEPHONY"] != "console":
        abort(404)
    return jsonify(ConsoleProvider.from_config(current_app.config).sent()[-20:][::-1])


@bp.get("/operators.json")
@login_required
def operators():
    rows = db.session.scalars(select(OperatorPresence).order_by(OperatorPresence.changed_at))
    return jsonify([{"id": p.user_id, "username": p.user.username, "status": p.status} for p in rows])
