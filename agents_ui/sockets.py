"""The /agents namespace: authenticate on connect and join only the user's rooms. Nothing else."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room

from hotline.events import NAMESPACE, dept_room
from hotline.extensions import socketio


def rooms_for(user) -> list[str]:
    rooms = [f"user:{user.id}"]
    if user.role == "department" and user.department_code:
        rooms.append(dept_room(user.department_code))
    elif user.role == "operator":
        rooms.append("operators")
    elif user.role in ("supervisor", "admin", "leader"):
        rooms += ["supervisors", "operators"]
    return rooms


# Which user each socket belongs to (this process's connections only), for later room requests.
session_users: dict[str, int] = {}


def register() -> None:
    @socketio.on("connect", namespace=NAMESPACE)
    def connect(auth=None):
        from hotline.api.auth import user_for_token

        user = None
        if isinstance(auth, dict) and auth.get("token"):
            user = user_for_token(str(auth["token"]))
        elif current_user.is_authenticated:
            user = current_user
        if user is None:
            raise ConnectionRefusedError("unauthorized")
        for room in rooms_for(user):
            join_room(room, sid=request.sid, namespace=NAMESPACE)  # type: ignore[attr-defined]
        session_users[request.sid] = user.id  # type: ignore[attr-defined]

    @socketio.on("disconnect", namespace=NAMESPACE)
    def disconnect(*_args):
        session_users.pop(request.sid, None)  # type: ignore[attr-defined]

    @socketio.on("watch", namespace=NAMESPACE)
    def watch(data=None):
        """Join a ticket's room (the ticket page), only if the user may see the ticket; same answer otherwise."""
        from hotline import access
        from hotline.errors import NotFound
        from hotline.extensions import db
        from hotline.models import User

        user_id = session_users.get(request.sid)  # type: ignore[attr-defined]
        ticket_id = data.get("ticket") if isinstance(data, dict) else None
        user = db.session.get(User, user_id) if user_id else None
        if user is None or not isinstance(ticket_id, int):
            return {"ok": False}
        try:
            access.get_ticket(user, ticket_id)
        except NotFound:
            return {"ok": False}
        finally:
            db.session.remove()
        join_room(f"ticket:{ticket_id}", sid=request.sid, namespace=NAMESPACE)  # type: ignore[attr-defined]
        return {"ok": True}
