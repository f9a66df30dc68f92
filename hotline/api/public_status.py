"""The public status check over HTTP: GET /api/v1/public/tickets/<number>?code= (hotline.actions.status_lookup)."""

from __future__ import annotations

from flask import jsonify, request

from hotline.actions import citizen_notices
from hotline.actions.status_lookup import public_status
from hotline.api import bp
from hotline.api.auth import json_body
from hotline.errors import ValidationError


@bp.get("/public/tickets/<number>")
def public_ticket(number: str):
    return jsonify(public_status(number, request.args.get("code", "")))


@bp.post("/public/tickets/<number>/code")
def public_code_resend(number: str):
    """忘记提取码: {"phone"}. Always 202 (a wrong number and a wrong phone look alike); when the phone is the
    caller's mobile, a new code (the old one stops working) goes to it by SMS, at most 3 a ticket a day."""
    body = json_body()
    assert isinstance(body, dict)
    if not isinstance(body.get("phone"), str) or not body["phone"].strip():
        raise ValidationError("phone is required", fields={"phone": "the caller's mobile number"})
    citizen_notices.resend_code(number, body["phone"])
    return jsonify({"status": "accepted"}), 202


@bp.get("/public/rankings")
def public_rankings():
    """办理情况公开: each department's figures and rank for a month that has ended (?month=YYYY-MM)."""
    from hotline.reports.public_rankings import parse_month, published_rankings

    return jsonify(published_rankings(parse_month(request.args.get("month"))))
