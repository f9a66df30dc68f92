"""Secrets and accounts a deployment relies on (issue 14): SECRET_KEY required, retrieval codes on their own
key, seed-demo and create-user never change an existing account behind its owner's back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import User
from tests.conftest import new_ticket_body
from tests.live_server import ROOT


def _without_secret_env(tmp_path, database_uri: str = "") -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "HOTLINE_CODE_KEY")}
    env["HOTLINE_INSTANCE_DIR"] = str(tmp_path)
    if database_uri:  # everything else set: SECRET_KEY alone is missing
        env["DATABASE_URL"] = database_uri
    return env


@pytest.mark.slow  # starts processes
def test_web_app_and_worker_refuse_to_start_without_secret_key(app, tmp_path):
    flask = str(Path(sys.executable).with_name("flask"))
    for args in (["--app", "wsgi", "worker", "--burst"], ["--app", "wsgi", "routes"]):
        r = subprocess.run(
            [flask, *args],
            cwd=ROOT,
            env=_without_secret_env(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"]),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode != 0
        assert "SECRET_KEY is not set" in r.stderr
    r = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=_without_secret_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode != 0 and r.stderr.strip().splitlines()[-1] == (
        "SECRET_KEY is not set: set it to a long random value (make run and make test make one)"
    )


def test_instance_secret_is_made_once_and_kept(tmp_path):
    code = "from hotline.config import instance_secret; print(instance_secret('secret_key'))"
    env = _without_secret_env(tmp_path)
    first = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    second = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert first.stdout == second.stdout and len(first.stdout.strip()) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_rotating_secret_key_keeps_retrieval_codes_valid(app, api, client):
    t = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
    url = f"/api/v1/public/tickets/{t['number']}?code={t['retrieval_code']}"
    old = {k: app.config.get(k) for k in ("SECRET_KEY", "CODE_KEY")}
    try:
        from hotline.retrieval_codes import code_key

        assert code_key(app.config) != app.config["SECRET_KEY"].encode()  # never the session key itself
        app.config["CODE_KEY"] = code_key(app.config).decode()  # pinned (flask code-key), then the key rotated
        app.config["SECRET_KEY"] = "a-new-session-key-after-rotation"
        assert client.get(url).status_code == 200
    finally:
        app.config.update(old)


def test_seed_demo_never_changes_an_existing_user(app):
    from hotline.cli import seed_demo

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "supervisor"))
        user.set_password("a-real-password")
        user.role = "operator"
        db.session.commit()
        try:
            seed_demo()
            db.session.expire_all()
            user = db.session.scalar(select(User).where(User.username == "supervisor"))
            assert user.role == "operator" and user.check_password("a-real-password")
            assert not user.check_password("demo-supervisor")
        finally:
            user.role = "supervisor"
            user.set_password("demo-supervisor")
            db.session.commit()


def test_create_user_refuses_an_existing_name_unless_reset_password(app):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["create-user", "operator", "--role", "operator", "--password", "x-new-password"])
    assert r.exit_code != 0 and "--reset-password" in r.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "operator"))
        assert user.check_password("demo-operator")
    r = runner.invoke(
        args=["create-user", "operator", "--role", "operator", "--reset-password", "--password", "demo-operator"]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["create-user", "newcomer", "--role", "operator", "--password", "pw-newcomer"])
    assert r.exit_code == 0, r.output
