"""The agents' consoles: login, role-based navigation, ticket views, and the /agents socket namespace."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from agents_ui import calendar_admin, callbacks, phone, reports, rules_admin, simulator, sockets, views  # noqa: F401 - they add their routes to views.bp
    from hotline.extensions import login_manager

    app.register_blueprint(views.bp)
    login_manager.login_view = "agents.login"
    sockets.register()
