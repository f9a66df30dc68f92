"""Settings: one typed object, read from the environment when the app is created, validated at start-up.

Nothing here reads the environment at import time. `create_app()` calls `load_settings()`, which reads the
environment once, checks every value and stops with one line per bad value (the variable's name, what is wrong,
what was given); the app then sees every setting as `app.config[NAME]` (and `settings()` gives the typed object).
Tests and tools pass overrides by NAME: `create_app({"TELEPHONY": "console"})`.

Adding a setting: one field in `Settings` below, in upper case, with its type, its default and a comment. Its
environment variable is HOTLINE_<NAME>, unless the field names another with `alias=` (the well-known names:
DATABASE_URL, REDIS_URL, SECRET_KEY, TWILIO_*). Constrain it in the type (`Literal[...]`, `Field(ge=1)`) or with a
`field_validator`, so that a bad value stops the start with a clear message instead of failing later. Values that
are not deployment settings (framework constants, the time-limit table) live in `FIXED`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_TIME_LIMITS: dict[str, Any] = {
    "sign": {"critical": [15, "min"], "urgent": [30, "min"], "normal": [1, "wd"]},
    "handle": {
        "critical": [120, "min"],
        "urgent": [1440, "min"],
        "normal": {
            "consult": [1, "wd"],
            "help": [5, "wd"],
            "complaint": [5, "wd"],
            "report": [15, "wd"],
            "suggestion": [5, "wd"],
            "praise": [5, "wd"],
        },
    },
    "return_window": {"urgent": [120, "min"], "normal": [1, "wd"]},
    "extension_max_wd": 10,
    "warning_fraction": 0.8,
    # Overdue this many working days: the public-notice level (通报).
    "notice_after_wd": 5,
    # Default answer time for a supervision notice (督办), in working days.
    "supervise_answer_wd": 1,
}


def instance_dir() -> Path:
    """Where local state lives (the embedded servers' data, uploads, the console provider's log): HOTLINE_INSTANCE_DIR,
    else instance/ beside the code."""
    return Path(os.environ.get("HOTLINE_INSTANCE_DIR") or Path(__file__).resolve().parent.parent / "instance")


def instance_secret(name: str) -> str:
    """A random key kept in instance/NAME (created once, readable by its owner only): what `make run` and
    `make test` use when SECRET_KEY / HOTLINE_CODE_KEY are not set. A deployment sets its own."""
    import secrets

    path = instance_dir() / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip()


class MissingSetting(SystemExit):
    """A required setting is missing: the process stops at start with one line naming it."""

    def __init__(self, name: str, hint: str) -> None:
        super().__init__(f"{name} is not set: {hint}")


def normalise_database_url(url: str) -> str:
    """postgres:// and postgresql:// (the common spellings) -> postgresql+psycopg:// (psycopg 3). PostgreSQL only."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if not url.startswith("postgresql+psycopg://"):
        raise ValueError(f"DATABASE_URL must be a PostgreSQL URL (postgresql://...), not {url.split(':', 1)[0]}:")
    return url


_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class SettingsError(SystemExit):
    """Bad or missing settings: one line per problem, naming the environment variable (the process stops)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOTLINE_", case_sensitive=True, extra="ignore", frozen=True, populate_by_name=True
    )

    # -- where things are
    SQLALCHEMY_DATABASE_URI: str = Field(alias="DATABASE_URL")  # PostgreSQL; `make run`/`make test` set it
    REDIS_URL: str | None = Field(None, alias="REDIS_URL")  # unset: no socket fan-out, no jobs (make run sets it)
    INSTANCE_DIR: Path = Field(default_factory=instance_dir)
    UPLOAD_DIR: Path | None = None  # photos with web messages; unset: INSTANCE_DIR/uploads
    PUBLIC_URL: str = "http://127.0.0.1:5000"  # as the public reaches it: Twilio signatures and links
    # The Socket.IO message queue's pub/sub channel (channels are server-wide in Redis, whatever the db number):
    # deployments or test runs sharing one Redis server keep apart by channel.
    SOCKETIO_CHANNEL: str = "flask-socketio"

    # -- secrets and sessions
    # Required: a long random value (`make run` and `make test` keep one in instance/).
    SECRET_KEY: str = Field(alias="SECRET_KEY", min_length=1)
    # The retrieval codes' HMAC key (提取码): its own, so that rotating SECRET_KEY keeps citizens' codes valid.
    # Unset: derived from SECRET_KEY (pin it with `flask --app wsgi code-key` before rotating SECRET_KEY).
    CODE_KEY: str = ""
    # Origins Socket.IO accepts besides PUBLIC_URL's (space-separated; `make run` adds http://localhost:PORT).
    EXTRA_ORIGINS: str = ""
    # Failed logins allowed per username and per address before 429 (the `limits` notation).
    LOGIN_RATE_LIMIT: str = "10 per 15 minutes"
    # A staff login's server-side session lasts this long (logout and deactivation end it at once).
    SESSION_HOURS: int = Field(12, ge=1)

    # -- telephony
    TELEPHONY: Literal["console", "twilio"] = "console"
    TWILIO_ACCOUNT_SID: str = Field("", alias="TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN: str = Field("", alias="TWILIO_AUTH_TOKEN")
    TWILIO_FROM_NUMBER: str = Field("", alias="TWILIO_FROM_NUMBER")
    TWILIO_API_BASE: str = Field("", alias="TWILIO_API_BASE")  # tests point the REST client at a local server
    # The browser softphone's access tokens (Twilio Voice JS SDK): an API key and secret of the account, and
    # the TwiML app whose voice URL places the softphone's outgoing calls. Unset: the token endpoint says so.
    TWILIO_API_KEY: str = Field("", alias="TWILIO_API_KEY")
    TWILIO_API_SECRET: str = Field("", alias="TWILIO_API_SECRET")
    TWILIO_TWIML_APP_SID: str = Field("", alias="TWILIO_TWIML_APP_SID")
    # 保持 (hold) and warm transfer: what the caller hears, an audio file Twilio fetches (WAV or MP3); unset: ours,
    # PUBLIC_URL/agents/static/sounds/hold.wav.
    HOLD_MUSIC_URL: str = ""
    # The region of numbers typed without a country code (the softphone's outbound calls, read by phonenumbers).
    PHONE_REGION: str = "CN"

    # -- the call centre
    # 12345 answers 7x24 by national rule (国办发〔2020〕53号); a smaller centre sets its operator hours (local
    # time, Asia/Shanghai) and takes voice messages outside them.
    OPERATOR_HOURS: str = "00:00-24:00"
    # A caller on hold this long (or finding this many callers ahead) is offered a voice message instead.
    MAX_QUEUE_WAIT_SECONDS: int = Field(120, ge=0)
    MAX_QUEUE_LENGTH: int = Field(30, ge=0)
    OPERATOR_RING_SECONDS: int = Field(20, ge=1)
    # 话后处理: how long after-call work lasts before the operator is available again (the console may ask for
    # another length, 1-1800 s); a console whose sockets are all gone this long sets its operator away.
    AFTER_CALL_SECONDS: int = Field(60, ge=1, le=1800)
    CONSOLE_GONE_SECONDS: int = Field(60, ge=1)

    # -- callback surveys (回访)
    # The window, or N minutes after approval instead of the next business day; the share of direct answers also
    # surveyed; calls before the SMS survey, the gaps between calls (each moved into the window), how long an
    # unanswered call or SMS survey waits before it counts as failed.
    CALLBACK_WINDOW: str = "08:30-20:00"
    CALLBACK_DELAY_MINUTES: int | None = Field(None, ge=0)
    CALLBACK_DIRECT_SAMPLE: float = Field(0.1, ge=0, le=1)
    CALLBACK_MAX_CALLS: int = Field(3, ge=1)
    CALLBACK_RETRY_GAPS_MINUTES: tuple[int, ...] = (240, 1440)
    CALLBACK_CALL_TIMEOUT_MINUTES: int = Field(30, ge=1)
    CALLBACK_SMS_WAIT_MINUTES: int = Field(1440, ge=1)

    # -- tickets
    TICKET_PREFIX: str = Field("XC", pattern=r"^[A-Z]{1,6}$")
    API_TOKEN_TTL_HOURS: int = Field(720, ge=1)
    # The web process delivers the outbox from a background thread right after each commit; the worker sweeps
    # it as well, so a message is delivered even if the web process dies.
    OUTBOX_RELAY_THREAD: bool = True
    # Load jieba's dictionary for the dispatch suggestions (≈0.5-1 s of CPU) when the app starts, in a background
    # thread; off in processes that serve no suggestions (the socket group, the workers, one-off commands): they
    # load it on first use, if ever.
    ROUTING_WARM_START: bool = True
    # Delivered outbox rows are kept this many days (to trace a delivery), then purged by an hourly job.
    OUTBOX_RETENTION_DAYS: float = Field(7, ge=0)

    # -- the public side
    # hotline.public, hotline.api.open311: per-client limits in the `limits` notation.
    PUBLIC_LOOKUP_RATE_LIMIT: str = "10 per minute;60 per hour"
    PUBLIC_SUBMIT_RATE_LIMIT: str = "10 per hour"
    RATELIMIT_ENABLED: bool = True
    OPEN311_JURISDICTION: str = "xuancheng.12345.gov.cn"

    # -- operations
    # hotline.ops: who may read /metrics (addresses or networks, comma-separated), and what /readyz accepts: the
    # newest worker heartbeat's age, the oldest undelivered outbox row's age.
    METRICS_ALLOW: str = "127.0.0.1"
    READY_WORKER_HEARTBEAT_MAX_SECONDS: int = Field(60, ge=1)
    READY_OUTBOX_MAX_AGE_SECONDS: int = Field(300, ge=1)
    # Prometheus (hotline.metrics): the host's metrics directory, under which each process group keeps its
    # multiprocess files in its own PROMETHEUS_MULTIPROC_DIR; /metrics merges them all. Unset: this process's own.
    METRICS_DIR: Path | None = None
    PROMETHEUS_MULTIPROC_DIR: Path | None = Field(None, alias="PROMETHEUS_MULTIPROC_DIR")  # per process group
    # Trusted reverse proxies in front of the app (nginx in deploy/: 1): the client address, scheme and host come
    # from their X-Forwarded-* headers (werkzeug's ProxyFix); 0 trusts none.
    PROXY_HOPS: int = Field(0, ge=0)

    @field_validator("SQLALCHEMY_DATABASE_URI")
    @classmethod
    def _postgresql(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty")
        return normalise_database_url(value)

    @field_validator(
        "REDIS_URL", "UPLOAD_DIR", "CALLBACK_DELAY_MINUTES", "METRICS_DIR", "PROMETHEUS_MULTIPROC_DIR", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("PHONE_REGION")
    @classmethod
    def _phone_region(cls, value: str) -> str:
        import phonenumbers

        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("not a region phonenumbers knows (a two-letter code such as CN)")
        return value.upper()

    @field_validator("PUBLIC_URL")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("OPERATOR_HOURS", "CALLBACK_WINDOW")
    @classmethod
    def _hours(cls, value: str) -> str:
        m = _HOURS.match(value)
        if not m or int(m.group(1)) > 24 or int(m.group(3)) > 24 or int(m.group(2)) > 59 or int(m.group(4)) > 59:
            raise ValueError("must look like 08:30-20:00")
        return value

    @field_validator("PUBLIC_LOOKUP_RATE_LIMIT", "PUBLIC_SUBMIT_RATE_LIMIT", "LOGIN_RATE_LIMIT")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit such as '10 per minute;60 per hour' ({exc})") from exc
        return value

    def flask_config(self) -> dict[str, Any]:
        config = {**FIXED, **self.model_dump()}
        config["UPLOAD_DIR"] = str(self.UPLOAD_DIR or self.INSTANCE_DIR / "uploads")
        config["INSTANCE_DIR"] = str(self.INSTANCE_DIR)
        return config


# Not deployment settings: framework constants and the tables the code is written against.
FIXED: dict[str, Any] = {
    "TIMEZONE": "Asia/Shanghai",
    "TIME_LIMITS": DEFAULT_TIME_LIMITS,
    "MAX_CONTENT_CHARS": 4000,
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "LANGUAGES": ["zh_Hans_CN", "en"],
    "JSON_AS_ASCII": False,
    # Photos with a web message: at most this many, each at most PUBLIC_PHOTO_MAX_BYTES.
    "PUBLIC_PHOTO_MAX_COUNT": 5,
    "PUBLIC_PHOTO_MAX_BYTES": 1024 * 1024,
    # Bodies of Open311 and public API requests (no photos there): 4,000 characters fit many times over.
    "PUBLIC_API_MAX_BODY": 64 * 1024,
    "OPEN311_MAX_RESULTS": 1000,
    "OPEN311_MAX_DAYS": 90,
    # A hotspot (热点) on the monthly page: at least this many tickets of one category in one area.
    "HOTSPOT_MIN_TICKETS": 3,
    # No pre-ping round trip: hotline.dbpool checks a connection leaving the pool by its socket (a PostgreSQL
    # restart or a dropped connection still costs no failed request); connections are recycled as well.
    "SQLALCHEMY_ENGINE_OPTIONS": {
        "pool_size": 20,
        "max_overflow": 40,
        "pool_recycle": 1800,
        "pool_timeout": 30,
        "pool_pre_ping": False,
    },
}


def env_name(field: str) -> str:
    """The environment variable of a setting."""
    info = Settings.model_fields[field]
    return info.alias if isinstance(info.alias, str) else f"HOTLINE_{field}"


_MISSING_HINTS = {
    "SECRET_KEY": ": set it to a long random value (make run and make test make one)",
    "DATABASE_URL": " (PostgreSQL: postgresql://user@host/db; `make run` and `make test` start an embedded one)",
}


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """The settings from the environment, `overrides` (by NAME) taking precedence; SettingsError lists every bad
    value, one line each."""
    given = {k: v for k, v in (overrides or {}).items() if k in Settings.model_fields}
    try:
        return Settings(**given)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = str(err["loc"][0]) if err["loc"] else ""
            name = env_name(where) if where in Settings.model_fields else (where or "settings")
            if err["type"] == "missing":
                lines.append(f"{name} is not set{_MISSING_HINTS.get(name, '')}")
            else:
                lines.append(f"{name}: {err['msg'].removeprefix('Value error, ')} (given {err.get('input')!r})")
        # SECRET_KEY last: the line a reader (and tests/test_settings.py) sees at the end of the output.
        lines.sort(key=lambda line: line.startswith("SECRET_KEY"))
        raise SettingsError("\n".join(lines)) from None


def settings() -> Settings:
    """The running app's settings (typed); app.config holds the same values by NAME."""
    from flask import current_app

    return current_app.extensions["hotline.settings"]
