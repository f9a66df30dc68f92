"""Staff pages: /login, /logout, /agents/ (the console of the user's role), the consoles, the ticket page.

Pages are thin shells: they render the frame and the labels; the page scripts call the JSON API with the
session cookie (plus the X-CSRF-Token header on writes) and listen on the /agents Socket.IO namespace."""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import secrets

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from agents_ui.labels import all_labels
from hotline import access
from hotline.api.serialize import tickets_to_dicts
from hotline.errors import NotFound
from hotline.extensions import db, login_manager
from hotline.models import Ticket, User
from hotline.models.base import utcnow
from hotline.validation import CHANNELS, HANDOFF_TARGETS, RETURN_REASONS, TYPES, URGENCIES

DEPARTMENT_OPEN = ("dispatched", "in_progress", "return_pending", "reply_review", "callback_pending", "reopened")

bp = Blueprint(
    "agents", __name__, template_folder="templates", static_folder="static", static_url_path="/agents/static"
)

# The console each role lands on, and the pages each role may open (role-based navigation).
HOME = {
    "operator": "agents.operator",
    "department": "agents.department",
    "supervisor": "agents.wallboard",
    "admin": "agents.wallboard",
    "leader": "agents.leader_console",
}
# Supervisors' pages; admins have the same plus the people and department pages.
SUPERVISOR_NAV = [
    "agents.wallboard",
    "agents.queues",
    "agents.repeats_page",
    "agents.templates_page",
    "agents.operator",
    "agents.inbox",
    "agents.search",
    "agents.knowledge",
    "agents.callbacks_page",
    "agents.monthly_report",
    "agents.contact_reads_page",
    "agents.rules_page",
    "agents.calls_page",
    "agents.leader_slots_page",
    "agents.calendar_page",
    "agents.mailbox",
    "agents.simulator_page",
]
NAV = {
    "operator": ["agents.operator", "agents.inbox", "agents.search", "agents.knowledge", "agents.calls_page"],
    "department": ["agents.department", "agents.search", "agents.department_kpis"],
    "supervisor": SUPERVISOR_NAV,
    "admin": [*SUPERVISOR_NAV, "agents.users_page", "agents.departments_page"],
    "leader": [
        "agents.leader_console",
        "agents.wallboard",
        "agents.queues",
        "agents.search",
        "agents.monthly_report",
        "agents.calls_page",
        "agents.mailbox",
    ],
}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Only while the login's server-side session is open: logout and deactivation end it on the server, so a
    copy of the cookie is worth nothing afterwards."""
    from hotline.api.auth import session_user

    return session_user(user_id, session.get("sid"))


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def nav_items() -> list[tuple[str, str]]:
    titles = {
        "agents.operator": _("Operator console"),
        "agents.inbox": _("Intake inbox"),
        "agents.queues": _("Queues"),
        "agents.repeats_page": _("Repeat complaints"),
        "agents.templates_page": _("Standard phrases"),
        "agents.search": _("Search tickets"),
        "agents.department": _("Department console"),
        "agents.wallboard": _("Wallboard"),
        "agents.knowledge": _("Knowledge base"),
        "agents.callbacks_page": _("Callbacks"),
        "agents.monthly_report": _("Monthly report"),
        "agents.contact_reads_page": _("Personal data reads"),
        "agents.rules_page": _("Dispatch catalogue"),
        "agents.calls_page": _("Calls"),
        "agents.leader_slots_page": _("Leaders on duty"),
        "agents.leader_console": _("Leader console"),
        "agents.calendar_page": _("Working calendar"),
        "agents.mailbox": _("Leaders' mailbox"),
        "agents.simulator_page": _("Live day"),
        "agents.users_page": _("Users"),
        "agents.department_kpis": _("Our figures"),
        "agents.departments_page": _("Departments"),
    }
    if not current_user.is_authenticated:
        return []
    return [(url_for(e), titles[e]) for e in NAV.get(current_user.role, [])]


@bp.app_context_processor
def inject() -> dict:
    return {
        "csrf_token": csrf_token,
        "get_locale": get_locale,
        "nav_items": nav_items,
        "server_now": lambda: utcnow().isoformat(),
    }


@bp.before_app_request
def check_csrf() -> None:
    """Every form POST from a page carries the session's token (API writes carry it in a header)."""
    if request.method == "POST" and request.blueprint == "agents":
        expected, sent = session.get("csrf"), request.form.get("csrf", "")
        # No token in the session (no form was ever shown) is a failure too, not None == None.
        if not expected or not hmac.compare_digest(sent, expected):
            abort(400, _("The form expired; please try again."))


# Pages a user whose password an admin reset may still open before choosing a new one.
PASSWORD_CHANGE_PAGES = frozenset({"agents.account", "agents.logout", "agents.login", "agents.static"})


@bp.before_app_request
def require_new_password():
    """After an admin's reset, every console page leads to the account page until the user chooses a password."""
    if (
        request.blueprint == "agents"
        and request.endpoint not in PASSWORD_CHANGE_PAGES
        and current_user.is_authenticated
        and current_user.must_change_password
    ):
        return redirect(url_for("agents.account"))
    return None


def roles(*allowed: str):
    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def page(template: str, **context):
    return render_template(template, labels=all_labels(), **context)


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        from hotline.api.auth import start_session

        user = access.check_login(request.form.get("username", ""), request.form.get("password", ""))
        if user is not None:
            session.clear()  # a new session (and CSRF token) at login: no fixation
            session["sid"] = start_session(user)
            login_user(user)
            return redirect(url_for("agents.home"))
        error = _("Wrong username or password.")
    return render_template("agents/login.html", error=error), 401 if error else 200


@bp.post("/logout")
def logout():
    from hotline.api.auth import end_session

    end_session(session.get("sid"))
    logout_user()
    session.clear()
    return redirect(url_for("agents.login"))


@bp.get("/agents/")
@login_required
def home():
    return redirect(url_for(HOME.get(current_user.role, "agents.login")))


@bp.get("/agents/operator")
@roles("operator", "supervisor", "admin")
def operator():
    return page("agents/operator.html", types=TYPES, urgencies=URGENCIES, handoff_targets=HANDOFF_TARGETS)


@bp.get("/agents/inbox")
@roles("operator", "supervisor", "admin")
def inbox():
    return page("agents/inbox.html", types=TYPES, urgencies=URGENCIES, handoff_targets=HANDOFF_TARGETS)


@bp.get("/agents/search")
@login_required
def search():
    return page(
        "agents/search.html",
        types=TYPES,
        urgencies=URGENCIES,
        channels=CHANNELS,
        show_departments=current_user.role != "department",
    )


@bp.get("/agents/queues")
@roles("supervisor", "admin", "leader")
def queues():
    titles = {
        "returns": _("Returns to review"),
        "extensions": _("Extensions to review"),
        "replies": _("Replies to review"),
        "dissatisfied": _("Dissatisfied callbacks"),
        "callbacks": _("Callback queue"),
        "escalated": _("Escalated (overdue)"),
    }
    return page("agents/queues.html", queues=list(titles.items()))


@bp.get("/agents/repeats")
@roles("supervisor", "admin", "leader")
def repeats_page():
    """反复投诉: the repeat-complaint flags raised at intake, for supervision."""
    return page("agents/repeats.html")


@bp.get("/agents/templates")
@roles("supervisor", "admin")
def templates_page():
    return page("agents/templates.html")


@bp.get("/agents/department")
@roles("department")
def department():
    # The first rows are rendered here (numbers visible as text without JavaScript); the script takes over.
    query = access.visible_tickets(current_user, select(Ticket)).where(Ticket.status.in_(DEPARTMENT_OPEN))
    tickets = list(db.session.scalars(query.order_by(Ticket.id.desc()).limit(100)))
    return page("agents/department.html", tickets=tickets_to_dicts(tickets, current_user))


@bp.get("/agents/wallboard")
@roles("supervisor", "admin", "leader")
def wallboard():
    return page("agents/wallboard.html")


@bp.get("/agents/mailbox")
@roles("supervisor", "admin", "leader")
def mailbox():
    """领导信箱: letters to the city's leaders, listed apart from the other channels."""
    query = access.visible_tickets(current_user, select(Ticket)).where(Ticket.channel == "mailbox")
    tickets = list(db.session.scalars(query.order_by(Ticket.id.desc()).limit(200)))
    return page("agents/mailbox.html", tickets=tickets_to_dicts(tickets, current_user))


@bp.get("/agents/knowledge")
@roles("operator", "supervisor", "admin")
def knowledge():
    return page("agents/knowledge.html", can_edit=current_user.role in ("supervisor", "admin"))


@bp.get("/agents/tickets/<int:ticket_id>")
@login_required
def ticket_page(ticket_id: int):
    try:
        ticket = access.get_ticket(current_user, ticket_id)
    except NotFound:
        abort(404)
    return page(
        "agents/ticket.html",
        ticket_id=ticket.id,
        number=ticket.number,
        return_reasons=RETURN_REASONS,
        handoff_targets=HANDOFF_TARGETS,
        types=TYPES,
        urgencies=URGENCIES,
    )


PRINT_CONTENT_CHARS = 700  # with the rest of the order, what fits one A4 page
PRINT_TIMELINE_ROWS = 12


@bp.get("/agents/tickets/<int:ticket_id>/print")
@login_required
def ticket_print(ticket_id: int):
    """工单处理单: the printable work order, one A4 page (print CSS); shaped for the viewer like the API."""
    from hotline.api.serialize import ticket_to_dict
    from hotline.deadlines.calendar import TZ

    try:
        ticket = access.get_ticket(current_user, ticket_id)
    except NotFound:
        abort(404)
    t = ticket_to_dict(ticket, current_user)

    def local(iso: str | None) -> str:
        if not iso:
            return ""
        return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(TZ).strftime("%Y-%m-%d %H:%M")

    timeline = t["timeline"][-PRINT_TIMELINE_ROWS:]
    return page(
        "agents/print.html",
        t=t,
        local=local,
        category=t["category_path"],
        region=t["region_name"],
        department=t["department_name"],
        assisting=t["assisting_names"],
        content=t["content"][:PRINT_CONTENT_CHARS],
        content_cut=len(t["content"]) > PRINT_CONTENT_CHARS,
        timeline=timeline,
        timeline_cut=len(t["timeline"]) > len(timeline),
        printed_at=utcnow().astimezone(TZ).strftime("%Y-%m-%d %H:%M"),
    )
