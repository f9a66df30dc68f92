"""`make static`: every static file the app serves, the front-end libraries included, copied into one tree laid
out by URL path (DIR/static/..., DIR/agents/static/..., ...), which nginx serves itself.

Run as `python -m deploy.static DIR` after `make assets` (the Makefile's `static` target does both)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# URL prefix -> the folder Flask serves it from (hotline app, agents_ui and console blueprints).
# tests/test_deploy.py checks this against the app's own static routes.
STATIC_DIRS = {
    "/static/": ROOT / "hotline" / "static",
    "/agents/static/": ROOT / "agents_ui" / "static",
    "/integrations/console/static/": ROOT / "integrations" / "console" / "static",
}
# What must be there for the consoles to work (copied from node_modules by `make assets`).
VENDOR_FILES = (
    "agents/static/vendor/socket.io.js",
    "agents/static/vendor/chart.umd.js",
    "agents/static/vendor/twilio-voice.min.js",
)


def build(target: Path) -> list[str]:
    """Copy every static folder under `target` (replacing what an earlier build left); returns the prefixes."""
    target = target.resolve()
    target.mkdir(parents=True, exist_ok=True)
    for prefix, source in STATIC_DIRS.items():
        dest = target / prefix.strip("/")
        if dest.exists():
            shutil.rmtree(dest)
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns(".installed", "__pycache__"))
    missing = [f for f in VENDOR_FILES if not (target / f).is_file()]
    if missing:
        raise SystemExit(f"static files: {', '.join(missing)} missing: run `make assets` (npm ci) first")
    return list(STATIC_DIRS)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m deploy.static DIR", file=sys.stderr)
        return 2
    build(Path(argv[0]))
    print(f"static files in {Path(argv[0]).resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
