"""Citizen pages: home and status check (more in the public-side issue)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from hotline.errors import NotFound

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template("public/home.html")


@bp.get("/track")
def track():
    from hotline.api.public_status import public_status

    number = request.args.get("number", "").strip()
    code = request.args.get("code", "").strip()
    result, not_found = None, False
    if number and code:
        try:
            result = public_status(number, code)
        except NotFound:
            not_found = True
    return render_template(
        "public/track.html", result=result, not_found=not_found, number=number
    ), 404 if not_found else 200
