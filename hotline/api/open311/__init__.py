"""Open311 GeoReport v2 (`/open311/v2`): discovery, services, service definitions, requests, tokens.

Each resource answers as `.json` or `.xml`. Service codes are the leaf categories of the category tree, with
their top-level category as `group`; a request's `service_request_id` is the ticket number. Only requests whose
callers consented to publication are listed (desensitised, like /published), plus, for an `api_key`, the
requests that key submitted.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from werkzeug.exceptions import HTTPException

from hotline.api.open311.formats import FORMATS, Open311Error, error_response
from hotline.errors import DomainError
from hotline.extensions import db

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")


def request_format() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt is None:
        fmt = request.path.rsplit(".", 1)[-1] if "." in request.path.rsplit("/", 1)[-1] else "json"
    return fmt if fmt in FORMATS else "json"


@bp.before_request
def limit_body() -> None:
    request.max_content_length = current_app.config["PUBLIC_API_MAX_BODY"]


@bp.errorhandler(Open311Error)
def open311_error(exc: Open311Error):
    db.session.rollback()
    return error_response(request_format(), exc.status, exc.description)


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    db.session.rollback()
    status = exc.status if exc.status in (403, 404, 413) else 400
    return error_response(request_format(), status, exc.message)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    db.session.rollback()
    return error_response(request_format(), exc.code or 400, exc.description or exc.name)


from hotline.api.open311 import views  # noqa: E402,F401
