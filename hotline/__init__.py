"""The 12345 hotline: create_app() wires config, extensions, blueprints and commands; nothing else."""

from __future__ import annotations

import os

from flask import Flask

from hotline.config import INSTANCE_DIR, Config, MissingSetting, database_url


def socket_queue(url: str | None, write_only: bool = False, channel: str | None = None) -> dict:
    """The Socket.IO message queue on Redis (redis://, rediss:// or unix:// for the embedded one).

    Redis pub/sub channels ignore the database number, so deployments (or test runs) sharing one Redis server
    keep apart by channel: HOTLINE_SOCKETIO_CHANNEL, default "flask-socketio"."""
    if not url:
        return {}
    from hotline.socketqueue import BatchingRedisManager

    channel = channel or os.environ.get("HOTLINE_SOCKETIO_CHANNEL", "").strip() or "flask-socketio"
    return {"client_manager": BatchingRedisManager(url, channel=channel, write_only=write_only)}


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(Config)
    if overrides:
        app.config.update(overrides)
    # Read when the app is built (not only when hotline.config was imported): test runners set it late.
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or os.environ.get("SECRET_KEY", "").strip()
    if not app.config["SECRET_KEY"]:
        raise MissingSetting("SECRET_KEY", "set it to a long random value (make run and make test make one)")
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url()
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **Config.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
    }
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    from hotline.extensions import CookieSessionInterface

    app.session_interface = CookieSessionInterface()

    from hotline import models  # noqa: F401 - register the mappings
    from hotline.extensions import babel, db, login_manager, migrate, socketio
    from hotline.i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    babel.init_app(app, locale_selector=select_locale)
    from hotline import labels

    labels.init_app(app)
    login_manager.init_app(app)
    from hotline import security

    security.init_app(app)
    socketio.init_app(
        app,
        async_mode="threading",
        cors_allowed_origins=security.socket_origins(app),
        **socket_queue(app.config.get("REDIS_URL"), channel=app.config.get("SOCKETIO_CHANNEL")),
    )

    from hotline.api import bp as api_bp
    from hotline.api.errors import register_error_handlers
    from hotline.api.open311 import bp as open311_bp
    from hotline.public import bp as public_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(open311_bp)
    register_error_handlers(app)

    from agents_ui import init_app as init_agents_ui

    init_agents_ui(app)

    from hotline import routing

    routing.init_app(app)
    from hotline import ratelimit

    ratelimit.init_app(app)  # after the blueprints: it wraps their rate-limited views

    from integrations.twilio.blueprint import register as register_twilio

    register_twilio(app)

    from integrations import init_app as init_integrations

    init_integrations(app)

    from hotline import ops

    ops.init_app(app)
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    from hotline.cli import register_commands

    register_commands(app)
    return app
