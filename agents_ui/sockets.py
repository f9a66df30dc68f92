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
