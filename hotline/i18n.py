"""Locale choice: ?lang=, then the cookie, then Accept-Language; Simplified Chinese by default."""

from __future__ import annotations

from flask import current_app, request


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang") or request.cookies.get("lang")
    if wanted in supported:
        return wanted
    best = request.accept_languages.best_match(["zh", "en"])
    return "en" if best == "en" else supported[0]
