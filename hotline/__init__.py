"""The 12345 hotline: create_app() wires config, extensions, blueprints and commands; nothing else."""

from __future__ import annotations

from flask import Flask

from hotline.config import load_settings


def socket_queue(url: str | None, channel: str, write_only: bool = False) -> dict:
    """The Socket.IO message queue on Redis (redis://, rediss:// or unix:// for the embedded one).

    Redis pub/sub channels ignore the database number, so deployments (or test runs) sharing one Redis server
    keep apart by channel (the SOCKETIO_CHANNEL setting)."""
    if not url:
        return {}
    from hotline.socketqueue import BatchingRedisManager

    return {"client_manager": BatchingRedisManager(url, channel=channel, write_only=write_only)}


def create_app(overrides: dict | None = None) -> Flask:
    """The app, its settings read from the environment and checked first (SettingsError names every bad value);
    `overrides` by setting NAME (tests, tools) take precedence over the environment."""
    settings = load_settings(overrides)
    app = Flask(__name__, instance_path=str(settings.INSTANCE_DIR))
    app.config.from_mapping(settings.flask_config())
    if overrides:
        engine_options = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], **overrides.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
        app.config.update(overrides, SQLALCHEMY_ENGINE_OPTIONS=engine_options)
    app.extensions["hotline.settings"] = settings
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    from hotline.extensions import CookieSessionInterface

    app.session_interface = CookieSessionInterface()

    from hotline import models  # noqa: F401 - register the mappings
    from hotline.extensions import babel, db, login_manager, migrate, socketio
    from hotline.i18n import select_locale

    db.init_app(app)
    from hotline import dbpool, pgcursor, token_cache

    dbpool.install()  # a pooled connection is checked for life without a round trip when it can be
    pgcursor.install()  # cursors build a result's description only when it is read

    token_cache.install()  # changes to users and tokens reach every process's principal cache
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
        **socket_queue(settings.REDIS_URL, settings.SOCKETIO_CHANNEL),
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
