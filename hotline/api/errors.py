"""JSON errors `{"error": {code, message, fields?}}` for the API; nothing leaks a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from hotline.errors import DomainError
from hotline.extensions import db

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/integrations/")) or request.is_json


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    err: dict = {"code": code, "message": message}
    if fields:
        err["fields"] = fields
    return jsonify({"error": err}), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        body, status = error_response(exc.status, exc.code, exc.message, exc.fields)
        retry_after = getattr(exc, "retry_after", None)
        return body, status, ({"Retry-After": str(retry_after)} if retry_after else {})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        db.session.rollback()
        if request.path.startswith("/open311/"):  # unknown paths there answer in GeoReport's error format
            from hotline.api.open311.formats import error_response as open311_error

            return open311_error("xml" if request.path.endswith(".xml") else "json", exc.code or 400, exc.description)
        if not _wants_json():
            return exc
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not _wants_json():
            return "Internal Server Error", 500
        return error_response(500, "internal", "internal error")
