"""The dispatch catalogue page for admins (派单目录管理): rules with the why of each, edits with a
reason, CSV/XLSX import and export, the audit of changes, and a try-it box for the catalogue's answer."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from agents_ui.views import bp
from hotline.errors import DomainError
from hotline.extensions import db
from hotline.models import Department, Region
from hotline.routing import catalogue, rules

EDITORS = ("admin",)
READERS = ("admin", "supervisor")


def _require(roles: tuple[str, ...]) -> None:
    if current_user.role not in roles:
        abort(403)


@bp.get("/agents/admin/rules")
@login_required
def rules_page():
    _require(READERS)
    q = (request.args.get("q") or "").strip()
    items = [r for r in rules.list_rules() if not q or q in r.category_path or q == r.department.code]
    trial = None
    if request.args.get("try_category"):
        try:
            trial = catalogue.match(request.args["try_category"].strip(), request.args.get("try_region") or None)
            trial = trial or {"none": True}
        except (catalogue.UnknownCategory, catalogue.UnknownRegion) as exc:
            trial = {"error": _("Unknown category or region: %(value)s", value=str(exc))}
    departments = db.session.scalars(
        select(Department).where(Department.kind != "center").order_by(Department.code)
    ).all()
    regions = db.session.scalars(select(Region).order_by(Region.code)).all()
    return render_template(
        "agents/admin/rules.html",
        rules=items,
        q=q,
        trial=trial,
        changes=rules.history(limit=50),
        departments=departments,
        dept_names={d.code: d.name for d in departments},
        regions=regions,
        region_names={r.code: r.name for r in regions},
        can_edit=current_user.role in EDITORS,
    )


def _back():
    return redirect(url_for("agents.rules_page", q=request.form.get("q") or None))


def _run(fn, *args, ok: str):
    try:
        fn(*args)
    except DomainError as exc:
        db.session.rollback()
        detail = "; ".join(f"{k}: {v}" for k, v in (exc.fields or {}).items())
        flash(f"{exc.message}{' (' + detail + ')' if detail else ''}", "error")
    else:
        flash(ok, "ok")
    return _back()


@bp.post("/agents/admin/rules")
@login_required
def rules_create():
    _require(EDITORS)
    f = request.form
    return _run(
        rules.create_rule,
        current_user.username,
        f.get("category"),
        f.get("region") or "",
        f.get("department"),
        f.get("note"),
        f.get("reason"),
        ok=_("Rule added."),
    )


@bp.post("/agents/admin/rules/<int:rule_id>")
@login_required
def rules_update(rule_id: int):
    _require(EDITORS)
    f = request.form
    return _run(
        rules.update_rule,
        current_user.username,
        rule_id,
        f.get("department"),
        f.get("note"),
        f.get("reason"),
        ok=_("Rule changed."),
    )


@bp.post("/agents/admin/rules/<int:rule_id>/delete")
@login_required
def rules_delete(rule_id: int):
    _require(EDITORS)
    return _run(rules.delete_rule, current_user.username, rule_id, request.form.get("reason"), ok=_("Rule deleted."))


@bp.post("/agents/admin/rules/import")
@login_required
def rules_import():
    _require(EDITORS)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV or XLSX file."), "error")
        return _back()
    try:
        counts = rules.import_rules(
            upload.read(), upload.filename, current_user.username, request.form.get("reason", "")
        )
    except DomainError as exc:
        db.session.rollback()
        flash(_("Import rejected, the catalogue is unchanged: %(error)s", error=exc.message), "error")
        return _back()
    flash(_("Imported %(rules)s rules: %(created)s added, %(updated)s changed, %(deleted)s deleted.", **counts), "ok")
    return _back()


@bp.get("/agents/admin/rules/export.<fmt>")
@login_required
def rules_export(fmt: str):
    _require(READERS)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    mime = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    return Response(
        rules.export_rules(fmt),
        mimetype=mime,
        headers={"Content-Disposition": f"attachment; filename=dispatch_catalog.{fmt}"},
    )
