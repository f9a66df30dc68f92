"""Citizen pages: home, leave a message, check a ticket, published replies and monthly hotspots."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from sqlalchemy import select

from hotline import actions
from hotline.errors import NotFound
from hotline.extensions import db
from hotline.models import Category, Region
from hotline.public import disclosure, forms

bp = Blueprint("public", __name__)


@bp.context_processor
def inject() -> dict:
    return {"csrf_token": forms.csrf_token, "type_labels": forms.TYPE_LABELS}


@bp.app_template_filter("localtime")
def localtime(value: str | None) -> str:
    """An ISO UTC time as the city's local time (Asia/Shanghai), to the minute."""
    if not value:
        return ""
    from hotline.deadlines.calendar import TZ

    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(TZ).strftime("%Y-%m-%d %H:%M")


@bp.after_app_request
def remember_language(response):
    """?lang= picks the language once; the cookie keeps it on the next pages."""
    lang = request.args.get("lang")
    if lang and lang in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="Lax")
    return response


@bp.before_request
def limit_body() -> None:
    """Only the message form carries photos; every other public request is small."""
    cfg = current_app.config
    if request.endpoint in ("public.message", "public.mailbox"):
        request.max_content_length = cfg["PUBLIC_PHOTO_MAX_COUNT"] * cfg["PUBLIC_PHOTO_MAX_BYTES"] + 256 * 1024
    else:
        request.max_content_length = cfg["PUBLIC_API_MAX_BODY"]


@bp.get("/")
def home():
    return render_template("public/home.html")


def region_groups() -> list[tuple[Region, list[Region]]]:
    """Counties with their streets, for the area picker (the city itself first)."""
    regions = list(db.session.scalars(select(Region).order_by(Region.code)))
    by_parent: dict[str | None, list[Region]] = {}
    for r in regions:
        by_parent.setdefault(r.parent_code, []).append(r)
    groups = []
    for top in by_parent.get(None, []):
        groups.append((top, []))
        for county in by_parent.get(top.code, []):
            groups.append((county, by_parent.get(county.code, [])))
    return groups


def _message_page(channel: str):
    """/message (网上留言) and /mailbox (领导信箱): one form, one set of rules, the channel on the ticket."""
    template_args = {"regions": region_groups(), "mailbox": channel == "mailbox"}
    if request.method == "GET":
        return render_template("public/message.html", form=forms.MessageForm(), **template_args)
    forms.check_csrf()
    try:
        form, data, details = forms.parse_message(request.form, request.files.getlist("photos"), channel=channel)
    except forms.PhotoTooLarge:
        form = forms.MessageForm(values=request.form.to_dict(), errors={"photos": forms.photo_too_large()})
        return render_template("public/message.html", form=form, **template_args), 413
    if data is None:
        return render_template("public/message.html", form=form, **template_args), 422
    ticket, code, _ = actions.submit_public_request(data, details)
    session["receipt"] = {"number": ticket.number, "code": code}
    return redirect(url_for("public.message_done"), 303)


@bp.route("/message", methods=["GET", "POST"])
def message():
    return _message_page("web")


@bp.route("/mailbox", methods=["GET", "POST"])
def mailbox():
    """领导信箱: a message addressed to the city's leaders (listed apart for supervisors and leaders)."""
    return _message_page("mailbox")


@bp.get("/message/done")
def message_done():
    # Shown once: a reload (or someone else on a shared computer) does not see the code again.
    receipt = session.pop("receipt", None)
    return render_template("public/message_done.html", receipt=receipt)


@bp.get("/track")
def track():
    from hotline.actions.status_lookup import public_status
    from hotline.codeguard import TooManyCodeGuesses

    number = request.args.get("number", "").strip()[:24]
    code = request.args.get("code", "").strip()[:12]
    result, not_found, locked = None, False, None
    if number and code:
        try:
            result = public_status(number, code)
        except NotFound:
            not_found = True
        except TooManyCodeGuesses as exc:
            locked = exc
    page = render_template("public/track.html", result=result, not_found=not_found or bool(locked), number=number)
    if locked is not None:
        return page, 429, {"Retry-After": str(locked.retry_after)}
    return page, 404 if not_found else 200


@bp.post("/track/code")
def track_code():
    """忘记提取码: the same answer whatever the number and phone; a new code goes to the caller's mobile."""
    from hotline.actions.citizen_notices import resend_code
    from hotline.errors import ValidationError

    forms.check_csrf()
    number = request.form.get("number", "").strip()[:24]
    phone = request.form.get("phone", "").strip()[:32]
    error = None
    if not number or not phone:
        error = "required"
    else:
        try:
            resend_code(number, phone)
        except ValidationError:
            error = "phone"
    return render_template(
        "public/track.html", result=None, not_found=False, number=number, resend_sent=error is None, resend_error=error
    ), 422 if error else 202


def _page_arg() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 10_000))
    except ValueError:
        return 1


@bp.get("/published")
def published():
    category = request.args.get("category", "").strip()[:6]
    region = request.args.get("region", "").strip()[:12]
    top_categories = list(db.session.scalars(select(Category).where(Category.level == 1).order_by(Category.code)))
    if category and not category.isdigit():
        category = ""
    if region and db.session.get(Region, region) is None:
        region = ""
    page = _page_arg()
    items, total = disclosure.published_page(category or None, region or None, page)
    pages = max(1, -(-total // disclosure.PER_PAGE))
    return render_template(
        "public/published.html",
        items=items,
        total=total,
        page=page,
        pages=pages,
        category=category,
        region=region,
        categories=top_categories,
        regions=region_groups(),
    )


@bp.get("/published/hotspots")
def published_hotspots():
    month = request.args.get("month", "").strip()
    try:
        report = disclosure.hotspots(month or None, current_app.config["HOTSPOT_MIN_TICKETS"])
    except ValueError:
        report = disclosure.hotspots(None, current_app.config["HOTSPOT_MIN_TICKETS"])
    return render_template("public/hotspots.html", report=report)


@bp.get("/published/rankings")
def published_rankings():
    """办理情况公开: the departments' monthly figures and ranks (a month that has ended)."""
    from hotline.errors import ValidationError
    from hotline.reports import public_rankings

    try:
        period = public_rankings.parse_month(request.args.get("month", "").strip() or None)
    except ValidationError:
        period = public_rankings.parse_month(None)
    report = public_rankings.published_rankings(period)
    prev_last = period.first - dt.timedelta(days=1)
    nxt = period.last + dt.timedelta(days=1)
    today = dt.datetime.now(public_rankings.TZ).date()
    return render_template(
        "public/rankings.html",
        report=report,
        previous_month=prev_last.strftime("%Y-%m"),
        next_month=nxt.strftime("%Y-%m") if nxt.replace(day=28) + dt.timedelta(days=4) <= today else None,
        kind_labels=forms.KIND_LABELS,
    )
