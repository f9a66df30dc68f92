"""Settings from the environment, with embedded defaults for a first run."""

from __future__ import annotations

import os
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("HOTLINE_INSTANCE_DIR", Path(__file__).resolve().parent.parent / "instance"))

# Time limits per type x urgency (DOMAIN.md "Time limits"). Values are (amount, unit) where unit is
# "wd" (working days by the official calendar) or "min" (natural minutes).
DEFAULT_TIME_LIMITS: dict[str, dict] = {
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


def instance_secret(name: str) -> str:
    """A random key kept in instance/NAME (created once, readable by its owner only): what `make run` and
    `make test` use when SECRET_KEY / HOTLINE_CODE_KEY are not set. A deployment sets its own."""
    import secrets

    path = INSTANCE_DIR / name
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
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


def database_url() -> str:
    """DATABASE_URL, required: `make run` and `make test` set it to an embedded PostgreSQL when it is unset."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        raise RuntimeError(
            "DATABASE_URL is not set: point it at PostgreSQL (postgresql://user@host/db); "
            "`make run` starts an embedded PostgreSQL in instance/ when it is unset"
        )
    return normalise_database_url(url)


class Config:
    # Required (create_app refuses to start without it); `make run` and `make test` keep one in instance/.
    SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
    # The retrieval codes' HMAC key (提取码): its own, so that rotating SECRET_KEY keeps citizens' codes valid.
    # Unset: derived from SECRET_KEY (pin it with `flask --app wsgi code-key` before rotating SECRET_KEY).
    CODE_KEY = os.environ.get("HOTLINE_CODE_KEY", "").strip()
    SQLALCHEMY_DATABASE_URI: str | None = None  # create_app reads DATABASE_URL when it is not given
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL = os.environ.get("REDIS_URL", "").strip() or None
    # The Socket.IO message queue's pub/sub channel (channels are server-wide in Redis, whatever the db number).
    # Unset: HOTLINE_SOCKETIO_CHANNEL as it is when the app is created, else "flask-socketio".
    SOCKETIO_CHANNEL: str | None = None
    PUBLIC_URL = os.environ.get("HOTLINE_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
    TELEPHONY = os.environ.get("HOTLINE_TELEPHONY", "console")
    # Trusted reverse proxies in front of the app: the client address is taken from X-Forwarded-For that deep.
    PROXY_HOPS = int(os.environ.get("HOTLINE_PROXY_HOPS", "0") or 0)
    # Origins Socket.IO accepts besides PUBLIC_URL's (space-separated; `make run` adds http://localhost:PORT).
    EXTRA_ORIGINS = os.environ.get("HOTLINE_EXTRA_ORIGINS", "")
    # Failed logins allowed per username and per address before 429 (the `limits` notation).
    LOGIN_RATE_LIMIT = os.environ.get("HOTLINE_LOGIN_RATE_LIMIT", "10 per 15 minutes")
    # A staff login's server-side session lasts this long (logout and deactivation end it at once).
    SESSION_HOURS = int(os.environ.get("HOTLINE_SESSION_HOURS", "12"))
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
    TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE", "")
    CALLBACK_WINDOW = os.environ.get("HOTLINE_CALLBACK_WINDOW", "08:30-20:00")
    CALLBACK_DELAY_MINUTES = os.environ.get("HOTLINE_CALLBACK_DELAY_MINUTES", "")
    # Callback surveys (回访): the share of direct answers also surveyed, how many calls before the
    # SMS survey, the gaps between calls (each moved into the window), how long an unanswered call
    # or SMS survey waits before it counts as failed.
    CALLBACK_DIRECT_SAMPLE = float(os.environ.get("HOTLINE_CALLBACK_DIRECT_SAMPLE", "0.1"))
    CALLBACK_MAX_CALLS = 3
    CALLBACK_RETRY_GAPS_MINUTES = (240, 1440)
    CALLBACK_CALL_TIMEOUT_MINUTES = 30
    CALLBACK_SMS_WAIT_MINUTES = 1440
    TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
    # The call centre (issue 6). 12345 answers 7x24 by national rule (国办发〔2020〕53号); a smaller centre sets
    # its operator hours (local time, Asia/Shanghai) and takes voice messages outside them.
    OPERATOR_HOURS = os.environ.get("HOTLINE_OPERATOR_HOURS", "00:00-24:00")
    # A caller on hold this long (or finding this many callers ahead) is offered a voice message instead.
    MAX_QUEUE_WAIT_SECONDS = int(os.environ.get("HOTLINE_MAX_QUEUE_WAIT_SECONDS", "120"))
    MAX_QUEUE_LENGTH = int(os.environ.get("HOTLINE_MAX_QUEUE_LENGTH", "30"))
    OPERATOR_RING_SECONDS = int(os.environ.get("HOTLINE_OPERATOR_RING_SECONDS", "20"))
    # 话后处理: how long after-call work lasts before the operator is available again (the console may ask for
    # another length, 1-1800 s); a console whose sockets are all gone this long sets its operator away.
    AFTER_CALL_SECONDS = int(os.environ.get("HOTLINE_AFTER_CALL_SECONDS", "60"))
    CONSOLE_GONE_SECONDS = int(os.environ.get("HOTLINE_CONSOLE_GONE_SECONDS", "60"))
    # The browser softphone's access tokens (Twilio Voice JS SDK): an API key and secret of the account, and
    # the TwiML app whose voice URL places the softphone's outgoing calls. Unset: the token endpoint says so.
    TWILIO_API_KEY = os.environ.get("TWILIO_API_KEY", "")
    TWILIO_API_SECRET = os.environ.get("TWILIO_API_SECRET", "")
    TWILIO_TWIML_APP_SID = os.environ.get("TWILIO_TWIML_APP_SID", "")
    TIMEZONE = "Asia/Shanghai"
    TICKET_PREFIX = os.environ.get("HOTLINE_TICKET_PREFIX", "XC")
    TIME_LIMITS = DEFAULT_TIME_LIMITS
    MAX_CONTENT_CHARS = 4000
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    API_TOKEN_TTL_HOURS = int(os.environ.get("HOTLINE_API_TOKEN_TTL_HOURS", "720"))
    # The web process delivers the outbox from a background thread right after each commit;
    # the worker sweeps it as well, so a message is delivered even if the web process dies.
    OUTBOX_RELAY_THREAD = os.environ.get("HOTLINE_OUTBOX_RELAY_THREAD", "1") == "1"
    # Delivered outbox rows are kept this many days (to trace a delivery), then purged by an hourly job.
    OUTBOX_RETENTION_DAYS = float(os.environ.get("HOTLINE_OUTBOX_RETENTION_DAYS", "7"))
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ["zh_Hans_CN", "en"]
    JSON_AS_ASCII = False
    # The public side (hotline.public, hotline.api.open311): per-client limits in the `limits` notation.
    PUBLIC_LOOKUP_RATE_LIMIT = os.environ.get("HOTLINE_PUBLIC_LOOKUP_RATE_LIMIT", "10 per minute;60 per hour")
    PUBLIC_SUBMIT_RATE_LIMIT = os.environ.get("HOTLINE_PUBLIC_SUBMIT_RATE_LIMIT", "10 per hour")
    RATELIMIT_ENABLED = os.environ.get("HOTLINE_RATELIMIT_ENABLED", "1") == "1"
    # Photos with a web message: at most this many, each at most PUBLIC_PHOTO_MAX_BYTES.
    PUBLIC_PHOTO_MAX_COUNT = 5
    PUBLIC_PHOTO_MAX_BYTES = 1024 * 1024
    UPLOAD_DIR = os.environ.get("HOTLINE_UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    # Bodies of Open311 and public API requests (no photos there): 4,000 characters fit many times over.
    PUBLIC_API_MAX_BODY = 64 * 1024
    OPEN311_JURISDICTION = os.environ.get("HOTLINE_OPEN311_JURISDICTION", "xuancheng.12345.gov.cn")
    OPEN311_MAX_RESULTS = 1000
    OPEN311_MAX_DAYS = 90
    # Operations (hotline.ops): who may read /metrics (addresses or networks, comma-separated), and what
    # /readyz accepts: the newest worker heartbeat's age, the oldest undelivered outbox row's age.
    METRICS_ALLOW = os.environ.get("HOTLINE_METRICS_ALLOW", "127.0.0.1")
    READY_WORKER_HEARTBEAT_MAX_SECONDS = int(os.environ.get("HOTLINE_READY_WORKER_HEARTBEAT_MAX_SECONDS", "60"))
    READY_OUTBOX_MAX_AGE_SECONDS = int(os.environ.get("HOTLINE_READY_OUTBOX_MAX_AGE_SECONDS", "300"))
    # Trusted reverse proxies in front of the app (nginx in deploy/: 1): the client address, scheme and host
    # come from their X-Forwarded-* headers (werkzeug's ProxyFix); 0 trusts none.
    PROXY_HOPS = int(os.environ.get("HOTLINE_PROXY_HOPS", "0"))
    # A hotspot (热点) on the monthly page: at least this many tickets of one category in one area.
    HOTSPOT_MIN_TICKETS = 3

    @classmethod
    def engine_options(cls, uri: str) -> dict:
        # Pre-ping: a connection is tested (one cheap round trip) when it leaves the pool, so a PostgreSQL restart
        # or a dropped connection costs no failed request; connections are recycled as well.
        return {"pool_size": 20, "max_overflow": 40, "pool_recycle": 1800, "pool_timeout": 30, "pool_pre_ping": True}
