"""Flask commands: import-catalogue, seed-demo, create-user, worker, open311 keys."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from hotline.extensions import db

DEMO_USERS = (
    # username, role, department code, display name
    ("operator", "operator", None, "话务员小王"),
    ("supervisor", "supervisor", "CENTER", "值班长老李"),
    ("leader", "leader", None, "市领导"),
    ("admin", "admin", "CENTER", "系统管理员"),
    ("dept_cgj", "department", "XC-CGJ", "城管局联络员"),
    ("dept_sthjj", "department", "XC-STHJJ", "生态环境局联络员"),
    ("dept_xzq", "department", "GOV-341802", "宣州区联络员"),
    ("dept_cjjd", "department", "ST-341802001", "澄江街道联络员"),
)


def create_or_update_user(
    username: str, password: str, role: str, department: str | None, display_name: str | None = None
):
    from hotline.models import Department, User
    from hotline.workflow import ROLES

    if role not in ROLES:
        raise click.BadParameter(f"role must be one of {', '.join(ROLES)}")
    dept_id = None
    if department:
        dept_id = db.session.scalar(select(Department.id).where(Department.code == department))
        if dept_id is None:
            raise click.BadParameter(f"unknown department {department}")
    if role == "department" and dept_id is None:
        raise click.BadParameter("department staff need --department")
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, active=True)
        db.session.add(user)
    user.role, user.department_id = role, dept_id
    user.display_name = display_name or username
    if not user.password_hash or not user.check_password(password):
        user.set_password(password)
    db.session.commit()
    return user


def seed_demo() -> None:
    from hotline.catalogue_import import import_catalogue
    from hotline.models import Department, User

    import_catalogue()
    existing = set(db.session.scalars(select(User.username).where(User.username.in_([u[0] for u in DEMO_USERS]))))
    for username, role, dept, name in DEMO_USERS:
        # An existing user keeps its role and password: seed-demo run on a real deployment changes no account.
        if username not in existing:
            create_or_update_user(username, f"demo-{username}", role, dept, name)
    # Demo liaisons so notices have somewhere to go (the console provider records the SMS).
    for code, name, phone in (
        ("XC-CGJ", "城管局联络员", "+8613900000001"),
        ("XC-STHJJ", "生态环境局联络员", "+8613900000002"),
        ("GOV-341802", "宣州区联络员", "+8613900000003"),
        ("ST-341802001", "澄江街道联络员", "+8613900000004"),
    ):
        dept = db.session.scalar(select(Department).where(Department.code == code))
        if dept and not dept.liaison_phone:
            dept.liaison_name, dept.liaison_phone = name, phone
    db.session.commit()
    from hotline.routing.suggest import ensure_model

    ensure_model()  # the cold-start suggester, from the catalogue's names and keywords


def register_commands(app: Flask) -> None:
    @app.cli.command("import-catalogue")
    @click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
    def import_catalogue_cmd(directory: Path) -> None:
        """Load the catalogue CSVs from DIRECTORY (idempotent; all or nothing)."""
        from hotline.catalogue_import import import_catalogue
        from hotline.errors import ValidationError

        try:
            counts = import_catalogue(directory)
        except ValidationError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))

    @app.cli.command("seed-demo")
    @click.option(
        "--history",
        "days",
        type=click.IntRange(0, 366),
        default=0,
        show_default=True,
        help="also replay DAYS days of the demo city's tickets and calls up to now (an empty database only)",
    )
    @click.option("--seed", type=int, default=12345, show_default=True, help="the same seed gives the same month")
    @click.option("--per-day", type=click.IntRange(1, 5000), default=150, show_default=True, help="tickets a day")
    @click.option(
        "--workers", type=click.IntRange(1, 16), default=None, help="replaying processes (default: cores, <= 4)"
    )
    @click.option("--if-empty", is_flag=True, help="with --history: leave a database that has tickets alone (make run)")
    def seed_demo_cmd(days: int, seed: int, per_day: int, workers: int | None, if_empty: bool) -> None:
        """Import the demo catalogue and create the demo users (safe to run twice); with --history, the past."""
        seed_demo()
        click.echo("demo catalogue and users ready:")
        for username, role, dept, _ in DEMO_USERS:
            click.echo(f"  {username:<11} demo-{username:<12} {role}{' ' + dept if dept else ''}")
        if days:
            from hotline.demo.history import Refused, default_workers, has_tickets, seed_history

            if if_empty and has_tickets():
                click.echo("the database has tickets: the demo history is left alone")
                return
            workers = workers or default_workers()
            click.echo(
                f"empty database: replaying {days} days of the demo city (about {days * per_day:,} tickets) through the"
                f" actions in {workers} process(es), seed {seed} ..."
            )
            try:
                summary = seed_history(
                    days,
                    seed=seed,
                    per_day=per_day,
                    workers=workers,
                    progress=lambda n, total: click.echo(f"  {n}/{total} tickets"),
                )
            except Refused as exc:
                raise click.ClickException(str(exc)) from None
            click.echo("demo history: " + summary.line())

    @app.cli.command("simulate")
    @click.option("--rate", type=click.FloatRange(0.1, 600), default=6.0, show_default=True, help="contacts a minute")
    @click.option(
        "--minutes", type=click.FloatRange(0, None, min_open=True), default=None, help="stop after (default: Ctrl-C)"
    )
    @click.option("--seed", type=int, default=None, help="the same seed gives the same contacts")
    def simulate_cmd(rate: float, minutes: float | None, seed: int | None) -> None:
        """The live day: calls, SMS and web messages keep arriving through the real actions (the worker
        delivers their events)."""
        from hotline.demo.live import simulate

        click.echo(f"live day: about {rate:g} contacts a minute; Ctrl-C stops")
        try:
            n = simulate(rate, minutes, seed, echo=click.echo)
        except KeyboardInterrupt:
            return
        click.echo(f"{n} contacts arrived")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", required=True)
    @click.option("--department", default=None, help="department code, e.g. XC-CGJ")
    @click.option("--name", default=None)
    @click.option("--reset-password", is_flag=True, help="the user exists: set its password (and role) anew")
    @click.password_option()
    def create_user_cmd(username, role, department, name, reset_password, password) -> None:
        """Create a user (an existing name is refused unless --reset-password)."""
        from hotline.models import User

        exists = db.session.scalar(select(User.id).where(User.username == username)) is not None
        if exists and not reset_password:
            raise click.ClickException(f"user {username} exists; add --reset-password to set its password")
        create_or_update_user(username, password, role, department, name)
        click.echo(f"user {username} ready")

    @app.cli.command("code-key")
    def code_key_cmd() -> None:
        """Print the retrieval codes' HMAC key in use: set it as HOTLINE_CODE_KEY before rotating SECRET_KEY."""
        from hotline.retrieval_codes import code_key

        click.echo(code_key(current_app.config).decode())

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="run what is queued, then stop")
    def worker_cmd(burst: bool) -> None:
        """Run an RQ worker with its scheduler on every queue, plus the periodic jobs and the outbox relay."""
        from hotline.worker import run_worker

        run_worker(current_app._get_current_object(), burst=burst)  # type: ignore[attr-defined]

    @app.cli.command("relay-outbox")
    def relay_outbox_cmd() -> None:
        """Deliver what waits in the outbox once."""
        from hotline.outbox import relay_all

        click.echo(f"delivered {relay_all()}")

    open311 = click.Group("open311", help="Open311 GeoReport v2 API keys.")

    @open311.command("create-key")
    @click.argument("name")
    def create_key(name: str) -> None:
        """Create an API key for client NAME; prints the key alone on the last line."""
        from hotline.api.auth import issue_token
        from hotline.models import User

        user = db.session.scalar(select(User).where(User.username == f"open311:{name}"))
        if user is None:
            user = create_or_update_user(
                f"open311:{name}",
                __import__("secrets").token_hex(16),
                "operator",
                None,
                f"Open311 client {name}",
            )
        key = issue_token(user, name=name, kind="open311")
        click.echo(f"Open311 key for {name}:")
        click.echo(key)

    @open311.command("revoke-key")
    @click.argument("key")
    def revoke_key(key: str) -> None:
        """Revoke an Open311 API key."""
        from hotline.api.auth import hash_token
        from hotline.models import ApiToken
        from hotline.models.base import utcnow

        token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(key)))
        if token is None:
            raise click.ClickException("no such key")
        token.revoked_at = utcnow()
        db.session.commit()
        click.echo("revoked")

    app.cli.add_command(open311)

    from hotline.routing.cli import routing_cli

    app.cli.add_command(routing_cli)

    @app.cli.command("calendar-override")
    @click.argument("day")
    @click.option("--workday/--holiday", required=True, help="make DAY a working day or a holiday")
    @click.option("--note", default=None)
    def calendar_override(day: str, workday: bool, note: str | None) -> None:
        """Change the official working-day calendar for one local day (YYYY-MM-DD); moves crossed deadlines."""
        import datetime as dt

        from hotline.actions import SYSTEM
        from hotline.actions.working_calendar import set_override

        iso = dt.date.fromisoformat(day)
        set_override(iso, workday, note, SYSTEM)
        click.echo(f"{iso}: {'working day' if workday else 'holiday'}")

    from flask.cli import AppGroup

    calendar_group = AppGroup("calendar", help="The working-day calendar (法定节假日 and 调休).")

    @calendar_group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    def calendar_import(file: str) -> None:
        """Load a year's official schedule: CSV date,workday,name (holidays and make-up working days).

        All or nothing: an error names its line and changes nothing."""
        from pathlib import Path

        from hotline.actions import SYSTEM
        from hotline.actions.working_calendar import import_schedule
        from hotline.errors import DomainError

        try:
            text = Path(file).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise click.ClickException(f"{file}: not UTF-8 text") from None
        try:
            result = import_schedule(text, SYSTEM)
        except DomainError as exc:
            lines = (exc.fields or {}).get("file") or [exc.message]
            raise click.ClickException(f"{file}: nothing imported:\n  " + "\n  ".join(lines)) from None
        click.echo(
            f"{result['year']}: {result['days']} days imported (official); "
            f"{result['changed_days']} days changed, {result['tickets_moved']} tickets' deadlines moved"
        )

    app.cli.add_command(calendar_group)
