"""The /agents namespace: authenticate on connect and join only the user's rooms; a centre user's sockets are
counted (hotline.presence) so that a console gone for a minute sets its operator away."""

from __future__ import annotations

import logging

from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room

from hotline import metrics
from hotline.events import NAMESPACE, dept_room
from hotline.extensions import socketio

log = logging.getLogger(__name__)
TAKES_CALLS = ("operator", "supervisor", "admin", "leader")


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
# The sockets of users who take calls (their consoles count for presence).
console_sids: set[str] = set()


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
        metrics.SOCKET_CONNECTIONS.inc()
        if user.role in TAKES_CALLS:
            console_sids.add(request.sid)  # type: ignore[attr-defined]
            _console_seen(user.id, request.sid)  # type: ignore[attr-defined]

    @socketio.on("disconnect", namespace=NAMESPACE)
    def disconnect(*_args):
        user_id = session_users.pop(request.sid, None)  # type: ignore[attr-defined]
        if user_id is not None:
            metrics.SOCKET_CONNECTIONS.dec()
        if user_id is not None and request.sid in console_sids:  # type: ignore[attr-defined]
            console_sids.discard(request.sid)  # type: ignore[attr-defined]
            _console_left(user_id, request.sid)  # type: ignore[attr-defined]

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
        if user is None or not user.active or not isinstance(ticket_id, int):
            return {"ok": False}
        try:
            access.get_ticket(user, ticket_id)
        except NotFound:
            return {"ok": False}
        finally:
            db.session.remove()
        if user.role == "department":
            # A department's staff hear of the ticket through their department's room, which its events reach
            # only while the ticket is the department's: once it leaves (a return approved, a merge, another
            # department), they hear no more. A ticket room, once joined, would keep them in.
            return {"ok": True}
        join_room(f"ticket:{ticket_id}", sid=request.sid, namespace=NAMESPACE)  # type: ignore[attr-defined]
        return {"ok": True}


def _console_seen(user_id: int, sid: str) -> None:
    from hotline import presence

    try:
        presence.connected(user_id, sid)
    except Exception:  # Redis down: the socket still works; the away check just cannot run for it
        log.warning("could not record console socket of user %s", user_id, exc_info=True)


def _console_left(user_id: int, sid: str) -> None:
    from hotline import presence
    from hotline.actions.presence import console_gone_check_due
    from hotline.extensions import db
    from hotline.models.base import utcnow

    try:
        if presence.disconnected(user_id, sid):
            console_gone_check_due(user_id, utcnow())
    except Exception:
        log.warning("could not record console socket of user %s leaving", user_id, exc_info=True)
    finally:
        db.session.remove()
