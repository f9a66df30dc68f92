"""Locale choice: ?lang=, then the cookie it leaves; otherwise Simplified Chinese.

The browser's Accept-Language is not followed: the users are Chinese city staff and citizens, and a browser
installed in English (as many are) should not turn the hotline's pages English. English is one click away.
"""

from __future__ import annotations

from flask import current_app, request


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang") or request.cookies.get("lang")
    if wanted in supported:
        return wanted
    return supported[0]
