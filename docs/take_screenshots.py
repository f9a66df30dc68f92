"""Retake the README's screenshots of the lived-in demo city (the operator console's, which show a call and typing
in progress, come from the browser tests) against a running hotline with the demo history (`make run` on a fresh
database gives one): real Chromium through Playwright, Simplified Chinese, saved next to this file.

    .venv/bin/python docs/take_screenshots.py [--url http://127.0.0.1:5000]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium")

# (file, user, path, what to wait for)
SHOTS = (
    ("wallboard.png", "supervisor", "/agents/wallboard", "canvas"),
    ("department-console.png", "dept_cgj", "/agents/department", "table tbody tr"),
    ("monthly-report.png", "supervisor", "/agents/reports/monthly", "table"),
    ("published.png", None, "/published", "article"),
)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", default="http://127.0.0.1:5000")
    args = p.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for name, user, path, ready in SHOTS:
            context = browser.new_context(base_url=args.url, viewport={"width": 1400, "height": 900}, locale="zh-CN")
            page = context.new_page()
            page.set_default_timeout(30_000)
            if user:
                page.goto("/login")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", f"demo-{user}")
                page.click("button[type=submit]")
                page.wait_for_url("**/agents/**")
            page.goto(path)
            page.wait_for_selector(ready)
            page.wait_for_timeout(1500)  # charts draw, clocks tick
            page.screenshot(path=str(HERE / name))
            print("saved", HERE / name)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
