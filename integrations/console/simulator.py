"""The call simulator (console provider): a person "calls" the hotline from the browser. The page's script
posts Twilio's own form parameters to the webhooks and acts out the TwiML they answer (speech shown as text,
keys on a keypad, a message typed instead of spoken).

The webhooks themselves refuse unsigned requests; the simulator reaches the same views through its own route
(/integrations/console/twilio/<path>), which needs a logged-in staff member, the session's CSRF token and the
console provider. What the console provider "sent" holds phone numbers and retrieval codes: supervisors and
admins only."""

from __future__ import annotations

import functools
import hmac

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request, session
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from hotline.extensions import db
from hotline.models import HotlineLine, OperatorPresence

bp = Blueprint(
    "console", __name__, url_prefix="/integrations/console", template_folder="templates", static_folder="static"
)

WEBHOOK_PREFIX = "/integrations/twilio/"
OUTBOX_READERS = ("supervisor", "admin")


def console_only(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_app.config["TELEPHONY"] != "console":
            abort(404)
        return view(*args, **kwargs)

    return wrapper


@bp.get("/simulator")
@login_required
def simulator():
    lines = db.session.execute(select(HotlineLine.number, HotlineLine.name).order_by(HotlineLine.number)).all()
    return render_template(
        "console/simulator.html",
        lines=lines,
        console=current_app.config["TELEPHONY"] == "console",
        sees_outbox=current_user.role in OUTBOX_READERS,
    )


@bp.post("/twilio/<path:rest>")
@login_required
@console_only
def simulate(rest: str):
    """A Twilio webhook as the simulator's caller would trigger it: the same view, the same form and query."""
    expected = session.get("csrf")
    if not expected or not hmac.compare_digest(request.headers.get("X-CSRF-Token", ""), expected):
        abort(403)
    try:
        endpoint, args = current_app.url_map.bind_to_environ(request.environ).match(WEBHOOK_PREFIX + rest, "POST")
    except HTTPException:
        abort(404)
    if not endpoint.startswith("twilio."):
        abort(404)
    g.console_simulated = True
    return current_app.view_functions[endpoint](**args)


@bp.get("/outbox.json")
@login_required
@console_only
def outbox():
    """What the console provider recorded instead of sending (the latest 20)."""
    from integrations.console.provider import ConsoleProvider

    if current_user.role not in OUTBOX_READERS:
        abort(403)
    return jsonify(ConsoleProvider.from_config(current_app.config).sent()[-20:][::-1])


@bp.get("/operators.json")
@login_required
def operators():
    rows = db.session.scalars(select(OperatorPresence).order_by(OperatorPresence.changed_at))
    return jsonify([{"id": p.user_id, "username": p.user.username, "status": p.status} for p in rows])
