"""People and departments (admin): users, the department tree, the audit of admins' changes; one's own password."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from hotline.actions import people
from hotline.api import bp
from hotline.api.auth import json_body, login_required
from hotline.api.serialize import iso
from hotline.errors import NotFound, ValidationError
from hotline.extensions import db
from hotline.models import AuditEntry, Department, User

ADMINS = ("admin",)


def user_to_dict(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "department": user.department.code if user.department else None,
        "phone": user.phone,
        "active": user.active,
        "must_change_password": user.must_change_password,
        "created_at": iso(user.created_at),
    }


def department_to_dict(dept: Department, codes: dict[int, str]) -> dict:
    return {
        "code": dept.code,
        "name": dept.name,
        "region": dept.region_code,
        **people.department_view(dept, codes),
    }


def audit_to_dict(entry: AuditEntry) -> dict:
    return {
        "at": iso(entry.at),
        "actor": entry.actor_label,
        "action": entry.action,
        "target_type": entry.target_type,
        "target": entry.target,
        "changes": entry.changes,
        "note": entry.note,
    }


@bp.get("/users")
@login_required(ADMINS)
def list_users():
    query = select(User).where(~User.username.startswith("open311:")).order_by(User.username)
    if dept := request.args.get("department"):
        query = query.join(Department, Department.id == User.department_id).where(Department.code == dept)
    if (active := request.args.get("active")) is not None:
        if active not in ("true", "false"):
            raise ValidationError("active must be true or false", fields={"active": "true or false"})
        query = query.where(User.active.is_(active == "true"))
    return jsonify({"items": [user_to_dict(u) for u in db.session.scalars(query)]})


@bp.post("/users")
@login_required(ADMINS)
def create_user():
    user = people.create_user(g.user, json_body())
    return jsonify(user_to_dict(user)), 201


@bp.patch("/users/<username>")
@login_required(ADMINS)
def update_user(username: str):
    user = people.update_user(g.user, username, json_body())
    return jsonify(user_to_dict(user))


@bp.post("/auth/password")
@login_required()
def change_password():
    body = json_body()
    assert isinstance(body, dict)
    people.change_own_password(g.user.id, body.get("old"), body.get("new"))
    return jsonify({"changed": True})


@bp.get("/departments")
@login_required()
def departments_index():
    depts = list(db.session.scalars(select(Department).order_by(Department.code)))
    codes = {d.id: d.code for d in depts}
    if request.args.get("active") == "true":
        depts = [d for d in depts if d.active]
    items = [department_to_dict(d, codes) for d in depts]
    if g.user.role == "department":  # liaisons' names and mobiles are for the centre and the department itself
        for item in items:
            if item["code"] != g.user.department_code:
                item["liaison_name"] = item["liaison_phone"] = None
    return jsonify({"items": items})


@bp.patch("/departments/<code>")
@login_required(ADMINS)
def update_department(code: str):
    dept = people.update_department(g.user, code, json_body())
    codes: dict[int, str] = {i: c for i, c in db.session.execute(select(Department.id, Department.code))}
    return jsonify(department_to_dict(dept, codes))


@bp.get("/audit")
@login_required(ADMINS)
def list_audit():
    target_type = request.args.get("target_type")
    if target_type and target_type not in ("user", "department", "notices"):
        raise ValidationError("unknown target_type", fields={"target_type": "user, department or notices"})
    entries = people.audit_entries(target_type, request.args.get("target"))
    return jsonify({"items": [audit_to_dict(e) for e in entries]})


@bp.get("/departments/<code>/staff")
@login_required()
def department_staff(code: str):
    """The active staff of a department, for naming a handling officer: its own staff and the centre may ask."""
    dept = db.session.scalar(select(Department).where(Department.code == code))
    if dept is None or (g.user.role == "department" and g.user.department_id != dept.id):
        raise NotFound("no such department")
    users = db.session.scalars(
        select(User).where(User.department_id == dept.id, User.active.is_(True)).order_by(User.username)
    )
    return jsonify({"items": [{"username": u.username, "display_name": u.display_name} for u in users]})


def openapi_paths() -> dict:
    """People, departments, notices and the department's own figures, for the OpenAPI document."""

    def obj(props: dict, required: list[str] | None = None) -> dict:
        schema: dict = {"type": "object", "properties": {k: {"type": t} for k, t in props.items()}}
        if required:
            schema["required"] = required
        return {"required": True, "content": {"application/json": {"schema": schema}}}

    def op(summary: str, codes: tuple[int, ...], body: dict | None = None, params: list | None = None) -> dict:
        out: dict = {
            "summary": summary,
            "responses": {"200": {"description": summary}, **{str(c): {"description": "error"} for c in codes}},
        }
        if body:
            out["requestBody"] = body
        if params:
            out["parameters"] = params
        return out

    user_props = {
        "role": "string",
        "department": "string",
        "display_name": "string",
        "phone": "string",
        "active": "boolean",
        "password": "string",
    }
    path = lambda name: [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}]  # noqa: E731
    return {
        "/users": {
            "get": op("Users (admin)", (401, 403)),
            "post": op(
                "Create a user (admin); they change the password at the first login",
                (401, 403, 409, 422),
                obj({"username": "string", **user_props}, ["username", "role", "password"]),
            ),
        },
        "/users/{username}": {
            "patch": op(
                "Edit, reset the password of, or (de)activate a user (admin); audited",
                (401, 403, 404, 409, 422),
                obj(user_props),
                path("username"),
            )
        },
        "/auth/password": {
            "post": op("Change one's own password", (401, 422), obj({"old": "string", "new": "string"}, ["old", "new"]))
        },
        "/departments": {"get": op("The department tree", (401,))},
        "/departments/{code}": {
            "patch": op(
                "Edit a department (admin); audited",
                (401, 403, 404, 422),
                obj(
                    {
                        "parent": "string",
                        "kind": "string",
                        "liaison_name": "string",
                        "liaison_phone": "string",
                        "active": "boolean",
                    }
                ),
                path("code"),
            )
        },
        "/departments/{code}/staff": {"get": op("A department's active staff", (401, 404), params=path("code"))},
        "/departments/{code}/notice-preferences": {
            "put": op(
                "What a department is told, per kind ({kind: {sms, inbox}}); code `default` for the admins' default",
                (401, 403, 422),
                {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
                path("code"),
            )
        },
        "/notices": {"get": op("One's notices and the unread count", (401,))},
        "/notices/read": {"post": op("Mark one's notices read", (401,))},
        "/audit": {"get": op("Admins' changes with old and new values (admin)", (401, 403, 422))},
        "/reports/department": {
            "get": op(
                "The department's own month: the supervisors' KPI row, its rank, its officers (department staff)",
                (401, 403, 422),
                params=[{"name": "month", "in": "query", "schema": {"type": "string", "example": "2026-12"}}],
            )
        },
    }
