"""People and departments for admins (/agents/admin/users, /agents/admin/departments) and every user's own
account page (/agents/account). Forms post here; the changes go through hotline.actions.people (audited)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from agents_ui.views import bp, page, roles
from hotline import notices
from hotline.actions import people
from hotline.errors import DomainError
from hotline.extensions import db
from hotline.models import NOTICE_KINDS, Department, User
from hotline.models.catalogue import DEPARTMENT_KINDS
from hotline.passwords import MIN_LENGTH
from hotline.workflow import ROLES


def _flash_error(exc: DomainError) -> None:
    db.session.rollback()
    detail = "; ".join(f"{k}: {v}" for k, v in (exc.fields or {}).items())
    flash(f"{exc.message}{' (' + detail + ')' if detail else ''}", "error")


def _form_payload(names: tuple[str, ...]) -> dict:
    """The non-empty text fields of the form (an empty field is "leave as it is")."""
    return {n: request.form[n].strip() for n in names if request.form.get(n, "").strip()}


@bp.get("/agents/admin/users")
@roles("admin")
def users_page():
    users = db.session.scalars(select(User).where(~User.username.startswith("open311:")).order_by(User.username))
    return render_template(
        "agents/admin/users.html",
        users=list(users),
        roles=ROLES,
        departments=db.session.scalars(select(Department).order_by(Department.code)).all(),
        audit=people.audit_entries("user", limit=100),
        min_length=MIN_LENGTH,
    )


@bp.post("/agents/admin/users")
@roles("admin")
def users_create():
    payload = _form_payload(("username", "role", "department", "display_name", "phone"))
    payload["password"] = request.form.get("password", "")
    try:
        user = people.create_user(current_user, payload)
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash(_("User %(name)s created; they choose their own password at the first login.", name=user.username), "ok")
    return redirect(url_for("agents.users_page"))


@bp.post("/agents/admin/users/<username>")
@roles("admin")
def users_update(username: str):
    op = request.form.get("op", "edit")
    if op == "deactivate":
        payload: dict = {"active": False}
    elif op == "activate":
        payload = {"active": True}
    elif op == "reset-password":
        payload = {"password": request.form.get("password", "")}
    else:
        payload = {
            "role": request.form.get("role", ""),
            "department": request.form.get("department") or None,
            "display_name": request.form.get("display_name", ""),
            "phone": request.form.get("phone") or None,
        }
    try:
        people.update_user(current_user, username, payload)
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash(_("User %(name)s changed.", name=username), "ok")
    return redirect(url_for("agents.users_page"))


@bp.route("/agents/account", methods=["GET", "POST"])
@login_required
def account():
    if request.method == "POST":
        new, again = request.form.get("new", ""), request.form.get("again", "")
        if new != again:
            flash(_("The two new passwords differ."), "error")
        else:
            try:
                people.change_own_password(current_user.id, request.form.get("old", ""), new)
            except DomainError as exc:
                _flash_error(exc)
            else:
                flash(_("Your password was changed."), "ok")
                return redirect(url_for("agents.home"))
        return redirect(url_for("agents.account"))
    return render_template("agents/account.html", min_length=MIN_LENGTH)


@bp.get("/agents/admin/departments")
@roles("admin")
def departments_page():
    depts = list(db.session.scalars(select(Department).order_by(Department.code)))
    by_id = {d.id: d for d in depts}
    children: dict[int | None, list[Department]] = {}
    for d in depts:
        children.setdefault(d.parent_id if d.parent_id in by_id else None, []).append(d)
    tree: list[tuple[int, Department]] = []

    def walk(parent: int | None, depth: int) -> None:
        for d in children.get(parent, []):
            tree.append((depth, d))
            walk(d.id, depth + 1)

    walk(None, 0)
    return page(
        "agents/admin/departments.html",
        tree=tree,
        departments=depts,
        dept_kinds=DEPARTMENT_KINDS,
        kinds=NOTICE_KINDS,
        prefs=notices.preferences(None),
        audit=people.audit_entries("department", limit=100),
    )


@bp.post("/agents/admin/departments/<code>")
@roles("admin")
def departments_update(code: str):
    f = request.form
    payload = {
        "parent": f.get("parent") or None,
        "kind": f.get("kind", ""),
        "liaison_name": f.get("liaison_name") or None,
        "liaison_phone": f.get("liaison_phone") or None,
        "active": f.get("active") == "on",
    }
    try:
        people.update_department(current_user, code, payload)
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash(_("Department %(code)s changed.", code=code), "ok")
    return redirect(url_for("agents.departments_page") + f"#dept-{code}")
