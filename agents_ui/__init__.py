"""The agents' consoles: login, role-based navigation, ticket views, and the /agents socket namespace."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from agents_ui import (  # noqa: F401 - they add their routes to views.bp
        admin_people,
        calendar_admin,
        callbacks,
        department_pages,
        phone,
        reports,
        rules_admin,
        simulator,
        sockets,
        views,
    )
    from hotline.extensions import login_manager

    app.register_blueprint(views.bp)
    login_manager.login_view = "agents.login"
    sockets.register()
