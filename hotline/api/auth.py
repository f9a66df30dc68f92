"""Bearer tokens for the API (`POST /api/v1/auth/token`), stored as SHA-256 hashes."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app, g, jsonify, request, session
from flask_login import current_user
from sqlalchemy import bindparam, select, update

from hotline import token_cache
from hotline.api import bp
from hotline.errors import DomainError
from hotline.extensions import db
from hotline.models import ApiToken, Department, User
from hotline.models.base import utcnow
from hotline.validation import Fields


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str = "api", kind: str = "user", ttl: dt.timedelta | None = None) -> str:
    token = secrets.token_urlsafe(32)
    while token.startswith("-"):  # a key that looks like an option cannot be passed to `open311 revoke-key`
        token = secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            user_id=user.id,
            token_hash=hash_token(token),
            name=name,
            kind=kind,
            expires_at=utcnow() + ttl if ttl else None,
        )
    )
    db.session.commit()
    return token


def user_for_token(token: str, kind: str = "user") -> User | None:
    row = db.session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.kind == kind, ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    api_token, user = row
    if api_token.expires_at and api_token.expires_at < utcnow():
        return None
    return user if user.active else None


@dataclass(frozen=True)
class Principal:
    """Who a bearer token speaks for: what access checks and actions need, without a User row."""

    id: int
    username: str
    role: str
    department_id: int | None
    department_code: str | None
    must_change_password: bool = False

    @property
    def label(self) -> str:
        return self.username


_PRINCIPAL = (
    select(
        ApiToken.expires_at,
        User.id,
        User.username,
        User.role,
        User.department_id,
        Department.code,
        User.must_change_password,
    )
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(Department, Department.id == User.department_id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.kind == "user",
        ApiToken.revoked_at.is_(None),
        User.active.is_(True),
    )
)


def principal_for_token(token: str) -> Principal | None:
    """The token's user. Kept in this process between requests, and read again from the database as soon as a
    token, a user or a department changes anywhere (hotline.token_cache): a revoked token or a deactivated user is
    refused at the next request, in every process."""
    key = hash_token(token)
    now = utcnow()

    def load() -> tuple[Principal, dt.datetime | None] | None:
        row = db.session.execute(_PRINCIPAL, {"token_hash": key}).first()
        if row is None or (row.expires_at and row.expires_at < now):
            return None
        principal = Principal(row.id, row.username, row.role, row.department_id, row.code, row.must_change_password)
        return principal, row.expires_at

    return token_cache.for_app().principal(key, now, load)


# What a user whose password an admin reset may still do before choosing a new one.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"api.change_password"})


def authenticate() -> User | Principal:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = principal_for_token(header[7:].strip())
        if user is None:
            raise DomainError("invalid or expired token", code="unauthorized", status=401)
    elif current_user.is_authenticated:  # the consoles call the API with their session
        check_csrf_header()
        user = current_user._get_current_object()  # type: ignore[attr-defined]
    else:
        raise DomainError("authentication required", code="unauthorized", status=401)
    if user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        raise DomainError(
            "choose a new password first (POST /api/v1/auth/password)", code="password_change_required", status=403
        )
    return user


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_csrf_header() -> None:
    """A page's write through the API with the session cookie must echo the session's CSRF token in a header
    (another site can make the browser send the cookie, but cannot read the token)."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get("csrf")
    sent = request.headers.get("X-CSRF-Token", "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise DomainError("missing or wrong X-CSRF-Token header", code="csrf", status=403)


def login_required(roles: tuple[str, ...] | None = None):
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            g.user = authenticate()
            if roles and g.user.role not in roles:
                raise DomainError(f"a {g.user.role} may not do this", code="forbidden", status=403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


@bp.post("/auth/token")
def create_token():
    f = Fields(json_body())
    username = f.string("username", required=True, max_len=64)
    password = f.string("password", required=True, max_len=256)
    f.done()
    from hotline.access import check_login

    user = check_login(username, password)
    if user is None:
        raise DomainError("wrong username or password", code="unauthorized", status=401)
    ttl = dt.timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"])
    token = issue_token(user, ttl=ttl)
    return jsonify(
        {
            "token": token,
            "user": {
                "username": user.username,
                "role": user.role,
                "department": user.department.code if user.department else None,
                "must_change_password": user.must_change_password,
            },
        }
    )


@bp.delete("/auth/token")
def revoke_token():
    """Revoke the bearer token this request presents (a lost laptop, a finished script): 204."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.startswith("Bearer ") else ""
    if not token:
        raise DomainError("send the token to revoke as Authorization: Bearer", code="unauthorized", status=401)
    key = hash_token(token)
    revoked = db.session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == key, ApiToken.kind == "user", ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount
    db.session.commit()
    if not revoked:
        raise DomainError("invalid or expired token", code="unauthorized", status=401)
    return "", 204


def start_session(user: User) -> str:
    """A staff login's server-side session: a token of kind "session" whose value the signed cookie carries.
    Logout revokes it; a deactivated user's sessions stop at once (user_for_token checks `active`)."""
    ttl = dt.timedelta(hours=current_app.config["SESSION_HOURS"])
    return issue_token(user, name="session", kind="session", ttl=ttl)


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == hash_token(token), ApiToken.kind == "session")
            .values(revoked_at=utcnow())
        )
        db.session.commit()


def session_user(user_id: str, token: str | None) -> User | None:
    """The user of a cookie session, if its server-side session is still open."""
    user = user_for_token(token, kind="session") if token else None
    return user if user is not None and str(user.id) == str(user_id) else None


def json_body(allow_empty: bool = False) -> object:
    """The request's JSON object, or a 400 naming the problem."""
    if allow_empty and not request.get_data(cache=True):
        return {}
    if not request.is_json:
        raise DomainError("send a JSON body (Content-Type: application/json)", code="bad_request", status=400)
    body = request.get_json(silent=True)
    if body is None:
        raise DomainError("malformed JSON", code="malformed_json", status=400)
    if not isinstance(body, dict):
        raise DomainError("the body must be a JSON object", code="bad_request", status=400)
    return body
