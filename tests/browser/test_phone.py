"""The phone path in real Chromium, with the console provider driving calls: presence in one click, a signed
incoming-call webhook ringing at the operator's console (screen-pop within 2 s), the softphone answering, and
the wallboard's call figures following the call events."""

from __future__ import annotations

import time

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.live_server import web_servers
from tests.twilio_support import AUTH_TOKEN, PUBLIC_URL, SignedWebhooks, new_call_sid, payload


@pytest.fixture(scope="module")
def live_url(app, database_uri, redis_url, tmp_path_factory):
    """This module's own server: the Twilio auth token and public URL set, so webhooks are signed as Twilio
    signs them (and checked wherever the settings check them)."""
    env = {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "HOTLINE_PUBLIC_URL": PUBLIC_URL, "HOTLINE_AFTER_CALL_SECONDS": "30"}
    tmp = str(tmp_path_factory.mktemp("phone-web"))
    with web_servers(database_uri, redis_url, count=1, tmp_dir=tmp, extra_env=env) as urls:
        yield urls[0]


class Twilio:
    """Posts signed webhook forms to the live server, as Twilio does."""

    def __init__(self, url: str):
        self.url = url
        self.signer = SignedWebhooks(None)

    def post(self, path: str, form: dict) -> str:
        path = "/integrations/twilio" + path
        sig = self.signer.signature(path, form)
        r = requests.post(self.url + path, data=form, headers={"X-Twilio-Signature": sig}, timeout=10)
        assert r.status_code == 200, r.text
        return r.text


def live(page) -> None:
    expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=10_000)


def test_operator_available_call_pops_and_wallboard_follows(new_page, live_url):
    twilio = Twilio(live_url)
    board = new_page("supervisor")
    live(board)
    expect(board.locator("#c-calls")).to_have_text("0")
    op = new_page("operator")
    live(op)
    expect(op.locator("#presence-state")).to_have_text("离开")  # nobody has said otherwise yet
    op.click("[data-presence=available]")
    expect(op.locator("#presence-state")).to_have_text("示闲")
    expect(board.locator("#operators [data-user=operator]")).to_have_attribute("data-status", "available")
    expect(board.locator("#c-free")).to_have_text("1")

    sid = new_call_sid()
    twilio.post("/voice", payload("voice_incoming", CallSid=sid, From="+8613912345678"))
    xml = twilio.post("/voice/menu", payload("voice_incoming", CallSid=sid, From="+8613912345678", Digits="0"))
    asked = time.monotonic()
    assert "<Client" in xml
    expect(op.locator("#screen-pop")).to_be_visible(timeout=2_000)
    expect(op.locator("#pop-number")).to_have_text("+8613912345678", timeout=2_000)
    assert time.monotonic() - asked < 2.0
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "ringing")
    expect(op.locator("#caller_phone")).to_have_value("+8613912345678")
    expect(board.locator("#c-calls")).to_have_text("1", timeout=2_000)
    expect(board.locator("#c-busy")).to_have_text("1")
    shot(op, "operator-ringing")

    op.keyboard.press("Alt+P")  # answer
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "talking")
    expect(board.locator("#c-calls")).to_have_text("0", timeout=2_000)
    expect(board.locator("#c-answered")).to_have_text("1")
    expect(board.locator("#c-within")).to_have_text("1")
    board.wait_for_timeout(300)
    shot(board, "wallboard-calls")

    op.click("#ph-mute")
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "muted")
    op.click("#ph-hangup")
    expect(op.locator("#phone-state")).to_have_attribute("data-state", "console")
    expect(board.locator("#c-free")).to_have_text("1", timeout=2_000)

    # after-call work by keyboard, seen by the supervisor; then away
    op.fill("#after-call-seconds", "90")
    op.keyboard.press("Alt+W")
    expect(op.locator("#presence-state")).to_have_text("话后处理")
    expect(op.locator("#after-call-left")).to_contain_text("秒")
    expect(board.locator("#c-after-call")).to_have_text("1", timeout=2_000)
    expect(board.locator("#operators [data-user=operator]")).to_have_attribute("data-status", "after_call")
    op.keyboard.press("Alt+L")
    expect(board.locator("#c-away")).to_have_text("1", timeout=2_000)
