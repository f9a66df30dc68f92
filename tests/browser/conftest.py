"""Browser tests: real Chromium (Debian's /usr/bin/chromium) driven by Playwright, against a real gunicorn server
on the test database and Redis. Screenshots go to test-artifacts/ (gitignored)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.live_server import ROOT, web_servers

CHROMIUM = os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium")
# These tests check what happens, not how fast (bench/ measures speed): on a shared 2-core machine running several
# suites (load average 18 seen) a live update can take longer than Playwright's 5-second default.
expect.set_options(timeout=15_000)
ARTIFACTS = ROOT / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


# Module scope: the server's outbox relay must not outlive these tests and take other tests' outbox rows.
@pytest.fixture(scope="module")
def live_url(app, database_uri, redis_url, tmp_path_factory):
    if not (ROOT / "agents_ui/static/vendor/socket.io.js").exists():
        pytest.fail("agents_ui/static/vendor is missing: run `make assets` (npm ci) first")
    with web_servers(database_uri, redis_url, count=1, tmp_dir=str(tmp_path_factory.mktemp("browser-web"))) as urls:
        yield urls[0]


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium fonts-wqy-microhei (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(chromium, live_url):
    """new_page(username) -> a logged-in page in its own browser context (its own cookies)."""
    contexts = []

    def make(username: str):
        context = chromium.new_context(base_url=live_url, viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", f"demo-{username}")
        page.click("button[type=submit]")
        page.wait_for_url("**/agents/**")
        return page

    yield make
    for c in contexts:
        c.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
