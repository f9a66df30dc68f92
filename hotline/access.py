"""Who may see and do what. An unknown and a forbidden ticket look the same (404)."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.sql import Select
from werkzeug.security import check_password_hash, generate_password_hash

from hotline.errors import NotFound
from hotline.extensions import db
from hotline.models import Assignment, Department, Ticket, User
from hotline.workflow import CENTRE_READERS


def is_department_user(user: User) -> bool:
    return user.role == "department"


def department_scope(department_id: int) -> list[int]:
    """The department and everything below it in the tree (a district, its streets, their communities): a parent
    sees its children's tickets, never the other way round."""
    children: dict[int | None, list[int]] = {}
    for dept_id, parent_id in db.session.execute(select(Department.id, Department.parent_id)):
        children.setdefault(parent_id, []).append(dept_id)
    scope, todo = [], [department_id]
    while todo:
        dept_id = todo.pop()
        if dept_id not in scope:
            scope.append(dept_id)
            todo.extend(children.get(dept_id, []))
    return scope


def visible_tickets(user: User, query: Select) -> Select:
    """Narrow a ticket query to what `user` may see."""
    if user.role in CENTRE_READERS:
        return query
    if is_department_user(user) and user.department_id is not None:
        return query.where(
            exists().where(
                Assignment.ticket_id == Ticket.id,
                Assignment.department_id.in_(department_scope(user.department_id)),
                Assignment.active.is_(True),
            )
        )
    return query.where(False)


def sees_through_children(user: User, ticket_id: int) -> bool:
    """Whether one of the user's department's descendants has an active part in the ticket."""
    if user.department_id is None:
        return False
    below = [d for d in department_scope(user.department_id) if d != user.department_id]
    return bool(below) and db.session.scalar(
        select(
            exists().where(
                Assignment.ticket_id == ticket_id, Assignment.department_id.in_(below), Assignment.active.is_(True)
            )
        )
    )


def department_role(user: User, ticket_id: int) -> str | None:
    """'lead', 'assist' or 'sub' (the child of a sub-dispatch) when the user's department has an active part in the
    ticket."""
    if user.department_id is None:
        return None
    return db.session.scalar(
        select(Assignment.role).where(
            Assignment.ticket_id == ticket_id,
            Assignment.department_id == user.department_id,
            Assignment.active.is_(True),
        )
    )


def get_ticket(user: User, ticket_id: int, lock: bool = False) -> Ticket:
    """The ticket if `user` may see it (optionally row-locked for an action), else NotFound."""
    return get_ticket_and_role(user, ticket_id, lock)[0]


def get_ticket_and_role(user: User, ticket_id: int, lock: bool = False) -> tuple[Ticket, str | None]:
    """get_ticket, with the user's department_role in it (None for the centre, or a department that sees the
    ticket through its children): an action needs both, and asks once."""
    query = select(Ticket).where(Ticket.id == ticket_id)
    if lock:
        query = query.with_for_update()
    ticket = db.session.scalar(query)
    if ticket is None:
        raise NotFound("no such ticket")
    if user.role in CENTRE_READERS:
        return ticket, None
    if is_department_user(user):
        role = department_role(user, ticket.id)
        if role or sees_through_children(user, ticket.id):
            return ticket, role
    raise NotFound("no such ticket")


def mask_phone(phone: str | None) -> str | None:
    """138****1234 for a Chinese mobile; keep the first 3 and last 4 digits of anything else."""
    if not phone:
        return phone
    digits = phone[3:] if phone.startswith("+86") else phone.lstrip("+")
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def sees_full_phone(user: User) -> bool:
    return user.role in CENTRE_READERS


_unknown_user_hash: list[str] = []


def check_login(username: str | None, password: str | None) -> User | None:
    """The active user with this name and password, or None. An unknown name costs the same password hash as a
    known one, so the answer's timing does not tell which names exist."""
    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    if user is None:
        if not _unknown_user_hash:
            _unknown_user_hash.append(generate_password_hash("no such user"))
        check_password_hash(_unknown_user_hash[0], password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user
