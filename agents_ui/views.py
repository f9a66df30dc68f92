"""Staff pages: /login, /logout, /agents/ (the console of the user's role), a ticket page."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from hotline import access
from hotline.api.serialize import ticket_to_dict, tickets_to_dicts
from hotline.errors import NotFound
from hotline.extensions import db, login_manager
from hotline.models import Ticket, User
from hotline.workflow import OPEN, actions_available

bp = Blueprint("agents", __name__, template_folder="templates")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user and user.active else None


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


@bp.app_context_processor
def inject() -> dict:
    return {"csrf_token": csrf_token, "get_locale": get_locale}


@bp.before_app_request
def check_csrf() -> None:
    """Every form POST from a page carries the session's token (the JSON API uses bearer tokens)."""
    if (
        request.method == "POST"
        and request.blueprint == "agents"
        and request.form.get("csrf") != session.get("csrf")
    ):
        abort(400, _("The form expired; please try again."))


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        user = db.session.scalar(select(User).where(User.username == request.form.get("username", "")))
        if user and user.active and user.check_password(request.form.get("password", "")):
            session.clear()
            login_user(user)
            return redirect(url_for("agents.home"))
        error = _("Wrong username or password.")
    return render_template("agents/login.html", error=error), 401 if error else 200


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("agents.login"))


@bp.get("/agents/")
@login_required
def home():
    g.user = current_user
    query = access.visible_tickets(current_user, select(Ticket))
    if current_user.role == "department":
        query = query.where(Ticket.status.in_([s.value for s in OPEN]))
    tickets = list(db.session.scalars(query.order_by(Ticket.id.desc()).limit(100)))
    return render_template("agents/home.html", tickets=tickets_to_dicts(tickets, current_user))


@bp.get("/agents/tickets/<int:ticket_id>")
@login_required
def ticket_page(ticket_id: int):
    try:
        ticket = access.get_ticket(current_user, ticket_id)
    except NotFound:
        abort(404)
    return render_template(
        "agents/ticket.html",
        t=ticket_to_dict(ticket, current_user),
        available=actions_available(ticket.status, current_user.role),
    )
