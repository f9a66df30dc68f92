"""Render the deploy/ files that depend on the host: the nginx site and the env file template.

    python -m deploy.render nginx [--listen 80] [--server-name NAME] [--static-root DIR] [--socket HOST:PORT ...]
                                  [--api HOST:PORT ...]
    python -m deploy.render env      # the env file template, every setting the code reads

`make deploy-local` renders the same nginx template into instance/ (deploy/local.py)."""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

from deploy.static import STATIC_DIRS

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = Path(__file__).resolve().parent / "nginx" / "hotline.conf.in"

# The API group's shape, as the benchmarks measure it (README): on each host P single-process gunicorns (one per
# core) of 2 threads each, on ports 8001, 8002, ...; nginx keeps connections to them open and sends each request
# to the one with the fewest in hand.
API_PROCESSES = 2
API_THREADS = 2
API_FIRST_PORT = 8001
# nginx closes an idle upstream connection before gunicorn would (its keep-alive is longer), so that nginx never
# sends a request on a connection gunicorn is closing (a POST would fail with 502; nginx retries only GETs).
UPSTREAM_KEEPALIVE_SECONDS = 60
GUNICORN_KEEPALIVE_SECONDS = 75


def api_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """One API process's gunicorn options (after `gunicorn -c deploy/gunicorn.conf.py --no-control-socket`)."""
    return [
        "-w",
        "1",
        "--threads",
        str(API_THREADS),
        "--keep-alive",
        str(GUNICORN_KEEPALIVE_SECONDS),
        "-b",
        f"{host}:{port}",
    ]


def render_nginx(
    *,
    listen: str = "80",
    server_name: str = "_",
    static_root: str = "/srv/hotline/static",
    socket_servers: list[str] | None = None,
    api_servers: list[str] | None = None,
    extra_server: str = "",
) -> str:
    """The site: `api_servers` are the API processes (HOST:PORT each, every host's P ports), balanced by fewest
    requests in hand over kept-alive connections."""
    api = api_servers or [f"127.0.0.1:{API_FIRST_PORT + k}" for k in range(API_PROCESSES)]
    values = {
        "listen": listen,
        "server_name": server_name,
        "socket_servers": "\n".join(f"    server {s};" for s in socket_servers or ["127.0.0.1:8000"]),
        "api_servers": "\n".join(f"    server {s};" for s in api),
        "upstream_keepalive": str(UPSTREAM_KEEPALIVE_SECONDS),
        "static_locations": "\n".join(
            f"    location ^~ {prefix} {{\n"
            f"        root {static_root};\n"
            "        expires 1h;\n"
            "        access_log off;\n"
            "        gzip on;\n"
            "        gzip_types text/css application/javascript;\n"
            "    }"
            for prefix in STATIC_DIRS
        ),
        "extra_server": extra_server,
    }
    text = NGINX_TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        raise SystemExit(f"{NGINX_TEMPLATE}: a placeholder was left unrendered")
    return text


# -- the env file template -------------------------------------------------------------------------

# Where the settings are read: every field of hotline.config.Settings (the app's settings, with the comments above
# them), then every os.environ.get("NAME", default) in these trees (process-level ones), is one line of the template.
SETTINGS_SOURCES = ("hotline", "integrations", "agents_ui")
# Set per process by the units (deploy/systemd) or by the make targets, not in the shared env file.
PER_PROCESS = {"PROMETHEUS_MULTIPROC_DIR", "PORT"}  # PORT: `make run` and `make deploy-local` only
REQUIRED = {
    "DATABASE_URL": "PostgreSQL 13+, e.g. postgresql://hotline@db.internal/hotline",
    "REDIS_URL": "e.g. redis://redis.internal:6379/0",
    "SECRET_KEY": "python3 -c 'import secrets;print(secrets.token_hex(32))'",
    "HOTLINE_PUBLIC_URL": "the external base URL, e.g. https://12345.example.gov.cn (Twilio signatures, links)",
}
# This layout's values where they differ from the code's defaults.
LAYOUT = {
    "HOTLINE_PROXY_HOPS": "1",  # nginx in front
    "HOTLINE_METRICS_DIR": "/run/hotline/metrics",  # the units' RuntimeDirectory=hotline/metrics/<group>
    "HOTLINE_INSTANCE_DIR": "/var/lib/hotline",  # the units' StateDirectory=hotline
}


def _typed_settings() -> dict[str, tuple[str, list[str]]]:
    """The fields of hotline.config.Settings: variable -> (default, the comment lines above the field and after it)."""
    from hotline.config import Settings, env_name

    source = (ROOT / "hotline" / "config.py").read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings")
    found: dict[str, tuple[str, list[str]]] = {}
    for node in cls.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        name = node.target.id
        field = Settings.model_fields[name]
        if field.default_factory is not None:
            shown = "<" + field.default_factory.__name__ + "()>"
        elif field.is_required() or field.default is None:
            shown = ""
        elif isinstance(field.default, bool):
            shown = "1" if field.default else "0"
        elif isinstance(field.default, tuple):
            shown = json.dumps(list(field.default))
        else:
            shown = str(field.default)
        comments: list[str] = []
        row = node.lineno - 2
        while row >= 0 and lines[row].strip().startswith("#") and not lines[row].strip().startswith("# --"):
            comments.insert(0, lines[row].strip().lstrip("#").strip())
            row -= 1
        inline = lines[node.end_lineno - 1].partition("  # ")[2].strip() if node.end_lineno else ""
        if inline:
            comments.append(inline)
        found[env_name(name)] = (shown, comments)
    return found


def settings() -> dict[str, tuple[str, list[str]]]:
    """NAME -> (default as written in the code, the comment lines above it): the typed settings first, then what
    other code reads from the environment."""
    found = {k: v for k, v in _typed_settings().items() if k not in PER_PROCESS}
    for tree in SETTINGS_SOURCES:
        for path in sorted((ROOT / tree).rglob("*.py")):
            source = path.read_text()
            lines = source.splitlines()
            for node in ast.walk(ast.parse(source)):
                name = _environ_get(node)
                if name is None or name in found or name in PER_PROCESS:
                    continue
                assert isinstance(node, ast.Call)
                default = node.args[1] if len(node.args) > 1 else None
                if isinstance(default, ast.Constant):
                    shown = str(default.value)
                elif default is not None:
                    shown = "<" + (ast.get_source_segment(source, default) or "?") + ">"
                else:
                    shown = ""
                comments: list[str] = []
                row = node.lineno - 2
                while row >= 0 and lines[row].strip().startswith("#"):
                    comments.insert(0, lines[row].strip().lstrip("#").strip())
                    row -= 1
                found[name] = (shown, comments)
    return dict(sorted(found.items(), key=lambda item: (item[0] not in REQUIRED, item[0])))


def _environ_get(node: ast.AST) -> str | None:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"):
        return None
    target = node.func.value
    if not (isinstance(target, ast.Attribute) and target.attr == "environ"):
        return None
    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def env_template() -> str:
    out = [
        "# /etc/hotline/hotline.env: the hotline's settings, read by every unit in deploy/systemd (EnvironmentFile=).",
        "# Generated by `python -m deploy.render env` from the settings the code reads; do not edit deploy/'s copy",
        "# by hand (tests/test_deploy.py compares them). A line `#NAME=value` keeps the code's default shown.",
        "",
        "# -- required ------------------------------------------------------------------------------------",
    ]
    rest = ["", "# -- optional: the code's defaults ------------------------------------------------------------"]
    layout = ["", "# -- this layout (nginx in front, systemd units) ------------------------------------------------"]
    for name, (default, comments) in settings().items():
        if name in REQUIRED:
            out += [f"# {REQUIRED[name]}", f"{name}="]
        elif name in LAYOUT:
            layout += [*(f"# {c}" for c in comments), f"# (the code's default: {default})", f"{name}={LAYOUT[name]}"]
        else:
            rest += [*(f"# {c}" for c in comments), f"#{name}={default}"]
    missing = set(REQUIRED) | set(LAYOUT)
    missing -= set(settings())
    if missing:
        raise SystemExit(f"settings no longer read by the code: {', '.join(sorted(missing))}")
    return "\n".join(out + layout + rest) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.render", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    nginx = sub.add_parser("nginx", help="the nginx site, on standard output")
    nginx.add_argument("--listen", default="80")
    nginx.add_argument("--server-name", default="_")
    nginx.add_argument("--static-root", default="/srv/hotline/static")
    nginx.add_argument("--socket", action="append", help="a socket group (HOST:PORT), repeatable")
    nginx.add_argument(
        "--api", action="append", help="an API process (HOST:PORT), repeatable: every host's 8001, 8002, ..."
    )
    sub.add_parser("env", help="the env file template, on standard output")
    args = parser.parse_args(argv)
    if args.what == "nginx":
        sys.stdout.write(
            render_nginx(
                listen=args.listen,
                server_name=args.server_name,
                static_root=args.static_root,
                socket_servers=args.socket,
                api_servers=args.api,
            )
        )
    else:
        sys.stdout.write(env_template())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
