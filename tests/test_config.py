"""The settings object: read from the environment when the app is created, never at import; every bad value
stops the start with its variable's name; defaults written once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hotline.config import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
URL = "postgresql://postgres@127.0.0.1:5432/x"


@pytest.fixture
def env(monkeypatch):
    for name in list(__import__("os").environ):
        if name.startswith(("HOTLINE_", "TWILIO_")) or name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", URL)
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    return monkeypatch


def test_defaults_and_environment(env):
    s = load_settings()
    assert s.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://postgres@127.0.0.1:5432/x"
    assert s.TELEPHONY == "console" and s.OUTBOX_RELAY_THREAD is True and s.MAX_QUEUE_LENGTH == 30
    env.setenv("HOTLINE_MAX_QUEUE_LENGTH", "5")
    env.setenv("HOTLINE_OUTBOX_RELAY_THREAD", "0")
    env.setenv("HOTLINE_PUBLIC_URL", "https://12345.example.gov.cn/")
    s = load_settings()
    assert s.MAX_QUEUE_LENGTH == 5 and s.OUTBOX_RELAY_THREAD is False
    assert s.PUBLIC_URL == "https://12345.example.gov.cn"
    assert load_settings({"MAX_QUEUE_LENGTH": 7}).MAX_QUEUE_LENGTH == 7  # overrides by name win


def test_every_bad_value_is_named_in_one_message(env):
    env.setenv("HOTLINE_MAX_QUEUE_LENGTH", "many")
    env.setenv("HOTLINE_CALLBACK_WINDOW", "8-20")
    env.setenv("HOTLINE_TELEPHONY", "skype")
    env.setenv("HOTLINE_PUBLIC_LOOKUP_RATE_LIMIT", "lots")
    env.setenv("HOTLINE_CALLBACK_DIRECT_SAMPLE", "1.5")
    with pytest.raises(SettingsError) as err:
        load_settings()
    text = str(err.value)
    for name in (
        "HOTLINE_MAX_QUEUE_LENGTH",
        "HOTLINE_CALLBACK_WINDOW",
        "HOTLINE_TELEPHONY",
        "HOTLINE_PUBLIC_LOOKUP_RATE_LIMIT",
        "HOTLINE_CALLBACK_DIRECT_SAMPLE",
    ):
        assert name in text, text
    assert "'many'" in text


def test_a_missing_or_foreign_database_fails_closed(env):
    env.delenv("DATABASE_URL")
    with pytest.raises(SettingsError, match="DATABASE_URL is not set"):
        load_settings()
    env.setenv("DATABASE_URL", "sqlite:///x.db")
    with pytest.raises(SettingsError, match="DATABASE_URL: .*PostgreSQL"):
        load_settings()


def test_every_setting_has_a_default_or_is_required_on_purpose():
    required = [name for name, field in Settings.model_fields.items() if field.is_required()]
    assert required == ["SQLALCHEMY_DATABASE_URI", "SECRET_KEY"]


def test_importing_the_app_reads_no_setting():
    """No DATABASE_URL and nonsense in the environment: importing every module still works (nothing is read at
    import time); only creating the app reads, and refuses."""
    code = (
        "import hotline, hotline.config, hotline.actions, hotline.api, hotline.tasks, agents_ui, integrations\n"
        "from hotline import create_app\n"
        "from hotline.config import SettingsError\n"
        "try:\n    create_app()\nexcept SettingsError as e:\n    print('refused:', e)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOTLINE_MAX_QUEUE_LENGTH": "many"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "refused:" in out.stdout and "DATABASE_URL" in out.stdout and "HOTLINE_MAX_QUEUE_LENGTH" in out.stdout


def test_only_the_settings_object_reads_the_environment():
    """Settings come from hotline.config's object; no other module of the app reads os.environ (the dev server,
    which starts processes with an environment, is the exception)."""
    readers = sorted(
        str(path.relative_to(ROOT))
        for pkg in ("hotline", "agents_ui", "integrations")
        for path in (ROOT / pkg).rglob("*.py")
        if "os.environ" in path.read_text(encoding="utf-8") or "getenv(" in path.read_text(encoding="utf-8")
    )
    assert readers == ["hotline/config.py", "hotline/devserver.py"]


def test_metrics_directories_are_settings(env, tmp_path):
    from hotline import metrics

    (tmp_path / "api").mkdir()
    (tmp_path / "socket").mkdir()
    env.setenv("HOTLINE_METRICS_DIR", str(tmp_path))
    env.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "api"))
    s = load_settings()
    assert metrics.multiprocess_dirs(s.METRICS_DIR, s.PROMETHEUS_MULTIPROC_DIR) == [
        tmp_path / "api",
        tmp_path / "socket",
    ]
    env.setenv("HOTLINE_METRICS_DIR", "")
    s = load_settings()
    assert s.METRICS_DIR is None and metrics.multiprocess_dirs(s.METRICS_DIR, s.PROMETHEUS_MULTIPROC_DIR) == [
        tmp_path / "api"
    ]
