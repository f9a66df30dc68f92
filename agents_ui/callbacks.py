"""The supervisors' manual calling list (回访): callbacks due now or with failed calls; the outcome of a call
made by hand is recorded here through the same action as the API's."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from agents_ui.views import bp
from hotline import actions
from hotline.actions.callbacks import FAILED_CALL, MANUAL_OUTCOMES, now
from hotline.errors import DomainError
from hotline.extensions import db
from hotline.models import Callback, CallbackAttempt
from hotline.models.callbacks import CALLBACK_OPEN

CALLING_ROLES = ("supervisor", "admin")


def _lists() -> dict[str, list[Callback]]:
    base = (
        select(Callback)
        .where(Callback.status.in_(CALLBACK_OPEN))
        .options(selectinload(Callback.ticket), selectinload(Callback.attempts))
        .order_by(Callback.next_attempt_at, Callback.id)
        .limit(200)
    )
    failed = exists().where(
        CallbackAttempt.callback_id == Callback.id, CallbackAttempt.outcome.in_(sorted(FAILED_CALL))
    )
    return {
        "due": list(db.session.scalars(base.where(Callback.next_attempt_at <= now(), ~failed))),
        "failed": list(db.session.scalars(base.where(failed))),
    }


@bp.get("/agents/callbacks")
@login_required
def callbacks_page(error: str | None = None, status: int = 200):
    if current_user.role not in CALLING_ROLES:
        abort(403)
    return render_template("agents/callbacks.html", lists=_lists(), outcomes=MANUAL_OUTCOMES, error=error), status


@bp.post("/agents/callbacks/<int:callback_id>/attempts")
@login_required
def callbacks_record(callback_id: int):
    if current_user.role not in CALLING_ROLES:
        abort(403)
    form = request.form
    answers = {k: int(form[k]) if form.get(k, "").isdigit() else None for k in ("resolved", "satisfaction")}
    try:
        actions.record_manual_attempt(
            callback_id,
            current_user,
            form.get("outcome"),
            answers["resolved"],
            answers["satisfaction"],
            form.get("note") or None,
        )
    except DomainError as exc:
        db.session.rollback()
        fields = "; ".join(f"{k}: {v}" for k, v in (exc.fields or {}).items())
        return callbacks_page(error=f"{_('Not recorded')}: {exc.message} {fields}".strip(), status=exc.status)
    return redirect(url_for("agents.callbacks_page"))
