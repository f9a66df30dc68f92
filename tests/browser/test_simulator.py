"""The call simulator in real Chromium: with default settings the webhooks refuse unsigned requests, and the
simulator still works for a logged-in user through its own route (issue 14)."""

from __future__ import annotations

from playwright.sync_api import expect


def test_simulator_calls_the_hotline_and_sends_an_sms_through_its_logged_in_route(new_page):
    page = new_page("supervisor")
    page.goto("/integrations/console/simulator")
    page.fill("#from", "+8613812345678")
    page.click("#dial")
    # The greeting (TwiML <Say>) is acted out: the voice webhook answered the simulator's request.
    expect(page.locator("#log li").first).to_be_visible()
    expect(page.locator("#log")).not_to_contain_text("HTTP 403")
    page.click("#hangup")
    expect(page.locator("#log")).to_contain_text("—")
    page.fill("#sms-body", "CX XC2026010100001 123456")
    page.click("#sms-send")
    expect(page.locator("#sms-reply")).not_to_be_empty()
    expect(page.locator("#log")).not_to_contain_text("HTTP")
    # A supervisor sees what the console provider "sent" (the SMS reply is recorded there by the worker path).
    expect(page.locator("#outbox")).to_be_attached()


def test_simulator_hides_the_outbox_from_an_operator(new_page):
    page = new_page("operator")
    page.goto("/integrations/console/simulator")
    expect(page.locator("#outbox")).to_have_count(0)
    page.click("#dial")
    expect(page.locator("#log li").first).to_be_visible()
    expect(page.locator("#log")).not_to_contain_text("HTTP 403")
