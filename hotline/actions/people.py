"""Administration of people and departments (Zulip's do_change_user_role pattern): each change is one
transaction with the row locked, an early return on a no-op, and an audit row with the actor and each field's
old and new value. Passwords never appear in the audit, only that one was set."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from hotline import outbox, passwords
from hotline.errors import DomainError, NotFound, ValidationError
from hotline.extensions import db
from hotline.models import NOTICE_KINDS, ApiToken, AuditEntry, Department, NoticePreference, User
from hotline.models.base import utcnow
from hotline.models.catalogue import DEPARTMENT_KINDS
from hotline.validation import Fields
from hotline.workflow import ROLES

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_.-")
PASSWORD_MASK = "(set)"


def _audit(actor: Any, action: str, target_type: str, target: str, changes: dict, note: str | None = None) -> None:
    db.session.add(
        AuditEntry(
            at=utcnow(),
            actor_id=getattr(actor, "id", None),
            actor_label=actor.label,
            action=action,
            target_type=target_type,
            target=target,
            changes=changes,
            note=note,
        )
    )


def _department_by_code(code: str | None, field: str = "department") -> Department | None:
    if code is None:
        return None
    dept = db.session.scalar(select(Department).where(Department.code == code))
    if dept is None:
        raise ValidationError("unknown department", fields={field: "unknown department"})
    return dept


def _revoke_tokens(user_id: int) -> None:
    """Every API token of the user stops working (the session path checks `active` on each request)."""
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.kind == "user", ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def _user_view(user: User) -> dict:
    return {
        "role": user.role,
        "department": user.department.code if user.department else None,
        "display_name": user.display_name,
        "phone": user.phone,
        "active": user.active,
    }


def _check_role_department(role: str, dept: Department | None) -> None:
    if role == "department" and (dept is None or dept.kind == "center"):
        raise ValidationError("department staff need a handling department", fields={"department": "required"})


def create_user(actor: Any, payload: object) -> User:
    """An admin creates a user; the password must pass the rule for new passwords."""
    f = Fields(payload)
    username = f.string("username", required=True, max_len=64, min_len=2)
    role = f.choice("role", ROLES, required=True)
    dept_code = f.string("department", max_len=32)
    display_name = f.string("display_name", max_len=64)
    phone = f.phone("phone")
    password = f.payload.get("password")
    if username and not set(username) <= USERNAME_CHARS:
        f.errors["username"] = "lower-case letters, digits, _ . - only"
    if (why := passwords.problem(password, username)) is not None:
        f.errors["password"] = why
    f.done()
    assert username and role and isinstance(password, str)
    dept = _department_by_code(dept_code)
    _check_role_department(role, dept)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DomainError("that username is taken", code="username_taken", status=409, fields={"username": "taken"})
    user = User(
        username=username,
        role=role,
        department_id=dept.id if dept else None,
        display_name=display_name or username,
        phone=phone,
        active=True,
        # A password chosen by an admin is known to the admin: the user replaces it at the first login.
        must_change_password=True,
    )
    user.department = dept
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    _audit(actor, "create", "user", username, {k: [None, v] for k, v in _user_view(user).items()})
    db.session.commit()
    return user


def update_user(actor: Any, username: str, payload: object) -> User:
    """PATCH: role, department, display name, phone, active, or a password reset (forces a change at the next
    login). Deactivating ends the user's tokens and sessions at once; nothing is deleted."""
    f = Fields(payload)
    wanted: dict[str, Any] = {}
    if "role" in f.payload:
        wanted["role"] = f.choice("role", ROLES, required=True)
    if "department" in f.payload:
        wanted["department"] = f.string("department", max_len=32)
    if "display_name" in f.payload:
        wanted["display_name"] = f.string("display_name", required=True, max_len=64)
    if "phone" in f.payload:
        wanted["phone"] = f.phone("phone")
    if "active" in f.payload:
        if not isinstance(f.payload["active"], bool):
            f.errors["active"] = "must be true or false"
        wanted["active"] = f.payload["active"]
    unknown = set(f.payload) - {"role", "department", "display_name", "phone", "active", "password"}
    for name in unknown:
        f.errors[name] = "unknown field"
    password = f.payload.get("password")
    if "password" in f.payload and (why := passwords.problem(password, username)) is not None:
        f.errors["password"] = why
    f.done()
    user = db.session.scalar(select(User).where(User.username == username).with_for_update(of=User))
    if user is None:
        raise NotFound("no such user")
    old = _user_view(user)
    if "department" in wanted:
        dept = _department_by_code(wanted["department"])
        user.department_id, user.department = (dept.id if dept else None), dept
    for name in ("role", "display_name", "phone", "active"):
        if name in wanted:
            setattr(user, name, wanted[name])
    _check_role_department(user.role, user.department)
    if actor.id == user.id and (user.role != "admin" or not user.active):
        raise DomainError("an admin cannot demote or deactivate themself", code="self_demotion", status=409)
    new = _user_view(user)
    changes: dict[str, list] = {k: [old[k], new[k]] for k in old if old[k] != new[k]}
    if isinstance(password, str):
        user.set_password(password)
        user.must_change_password = True
        user.password_changed_at = utcnow()
        changes["password"] = [None, "(reset)"]
    if not changes:
        db.session.rollback()
        return user
    if not user.active or "password" in changes:
        _revoke_tokens(user.id)
    if not user.active or {"role", "department"} & set(changes):
        # Open consoles reload: the session is refused (deactivated) or the pages and rooms change with the role.
        outbox.add_socket_event({"type": "session", "op": "ended"}, [f"user:{user.id}"])
    _audit(actor, "update", "user", username, changes)
    db.session.commit()
    return user


def change_own_password(user_id: int, old: object, new: object) -> User:
    """Every user changes their own password: the old one must match, the new one pass the rule."""
    user = db.session.scalar(select(User).where(User.id == user_id).with_for_update(of=User))
    if user is None or not user.active:
        raise DomainError("authentication required", code="unauthorized", status=401)
    errors: dict[str, str] = {}
    if not isinstance(old, str) or not old or not user.check_password(old):
        errors["old"] = "wrong password"
    elif (why := passwords.problem(new, user.username)) is not None:
        errors["new"] = why
    elif new == old:
        errors["new"] = "must differ from the old password"
    if errors:
        db.session.rollback()
        raise ValidationError("the password was not changed", fields=errors)
    assert isinstance(new, str)
    user.set_password(new)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    _audit(user, "change-password", "user", user.username, {"password": [None, "(changed)"]})
    db.session.commit()
    return user


# ---- departments --------------------------------------------------------------------------------


def department_view(dept: Department, codes: dict[int, str]) -> dict:
    return {
        "parent": codes.get(dept.parent_id) if dept.parent_id else None,
        "kind": dept.kind,
        "liaison_name": dept.liaison_name,
        "liaison_phone": dept.liaison_phone,
        "active": dept.active,
    }


def _ancestors(dept_id: int | None, parents: dict[int, int | None]) -> list[int]:
    out: list[int] = []
    while dept_id is not None and dept_id not in out:
        out.append(dept_id)
        dept_id = parents.get(dept_id)
    return out


def update_department(actor: Any, code: str, payload: object) -> Department:
    """PATCH a department: its parent (no cycles), kind, liaison name and mobile, active flag."""
    f = Fields(payload)
    wanted: dict[str, Any] = {}
    if "parent" in f.payload:
        wanted["parent"] = f.string("parent", max_len=32)
    if "kind" in f.payload:
        wanted["kind"] = f.choice("kind", DEPARTMENT_KINDS, required=True)
    if "liaison_name" in f.payload:
        wanted["liaison_name"] = f.string("liaison_name", max_len=64)
    if "liaison_phone" in f.payload:
        value = f.payload["liaison_phone"]
        wanted["liaison_phone"] = f.phone("liaison_phone") if value not in (None, "") else None
        if wanted["liaison_phone"] and not wanted["liaison_phone"].startswith("+861"):
            f.errors["liaison_phone"] = "a mainland mobile number (SMS goes to it)"
    if "active" in f.payload:
        if not isinstance(f.payload["active"], bool):
            f.errors["active"] = "must be true or false"
        wanted["active"] = f.payload["active"]
    for name in set(f.payload) - {"parent", "kind", "liaison_name", "liaison_phone", "active"}:
        f.errors[name] = "unknown field"
    f.done()
    dept = db.session.scalar(select(Department).where(Department.code == code).with_for_update(of=Department))
    if dept is None:
        raise NotFound("no such department")
    codes: dict[int, str] = {i: c for i, c in db.session.execute(select(Department.id, Department.code))}
    old = department_view(dept, codes)
    if "parent" in wanted:
        parent = _department_by_code(wanted["parent"], "parent")
        if parent is not None:
            parents: dict[int, int | None] = {
                i: p for i, p in db.session.execute(select(Department.id, Department.parent_id))
            }
            if dept.id in _ancestors(parent.id, parents):
                raise ValidationError(
                    "a department cannot be its own ancestor", fields={"parent": "would make a cycle"}
                )
        dept.parent_id = parent.id if parent else None
    for name in ("kind", "liaison_name", "liaison_phone", "active"):
        if name in wanted:
            setattr(dept, name, wanted[name])
    new = department_view(dept, codes)
    changes = {k: [old[k], new[k]] for k in old if old[k] != new[k]}
    if not changes:
        db.session.rollback()
        return dept
    _audit(actor, "update", "department", code, changes)
    db.session.commit()
    return dept


def audit_entries(target_type: str | None = None, target: str | None = None, limit: int = 200) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target:
        query = query.where(AuditEntry.target == target)
    return list(db.session.scalars(query))


def set_notice_preferences(actor: Any, department: str | None, choices: object) -> dict:
    """A department's choice per kind of notice ({kind: {"sms": bool, "inbox": bool}}), or with `department`
    None the admins' default for all departments without their own. Audited like any admin change."""
    from hotline import notices

    if not isinstance(choices, dict):
        raise ValidationError("choices must be an object", fields={"choices": "an object of kinds"})
    errors = {}
    for kind, choice in choices.items():
        if kind not in NOTICE_KINDS:
            errors[kind] = "unknown kind of notice"
        elif not isinstance(choice, dict) or not all(isinstance(choice.get(k), bool) for k in ("sms", "inbox")):
            errors[kind] = "give sms and inbox as true or false"
    if errors:
        raise ValidationError("invalid notice choices", fields=errors)
    dept = _department_by_code(department) if department is not None else None
    dept_id = dept.id if dept else None
    before = notices.preferences(dept_id)
    rows = {
        r.kind: r
        for r in db.session.scalars(
            select(NoticePreference).where(
                NoticePreference.department_id.is_(None)
                if dept_id is None
                else NoticePreference.department_id == dept_id
            )
        )
    }
    changes: dict[str, list] = {}
    for kind, choice in choices.items():
        row = rows.get(kind) or NoticePreference(department_id=dept_id, kind=kind)
        row.sms, row.inbox = choice["sms"], choice["inbox"]
        db.session.add(row)
        if before[kind] != {"sms": choice["sms"], "inbox": choice["inbox"]}:
            changes[kind] = [before[kind], {"sms": choice["sms"], "inbox": choice["inbox"]}]
    if changes:
        _audit(actor, "update", "notices", department or "(default)", changes)
    db.session.commit()
    return notices.preferences(dept_id)
