"""The supervisors' queues in real Chromium: a dissatisfied callback is closed with its rating excluded (the reason
is required), a reply is approved, and the tab counts follow."""

from __future__ import annotations

from playwright.sync_api import expect


def test_supervisor_works_the_dissatisfied_and_reply_queues(new_page, api, make_ticket):
    unhappy = make_ticket("callback_pending")
    api.as_("operator").act(unhappy["id"], "record-callback", {"resolved": 3, "satisfaction": 3})
    reply = make_ticket("reply_review")

    page = new_page("supervisor")
    page.goto("/agents/queues?q=dissatisfied")
    expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=10_000)
    row = page.locator("#queue tbody tr", has_text=unhappy["number"])
    expect(row).to_be_visible()
    expect(page.locator('[data-queue="dissatisfied"] [data-count]')).to_have_text("1")
    # The reason is required: an empty submit goes nowhere.
    row.locator("form[data-act=close-excluded] button").click()
    expect(row).to_be_visible()
    row.locator("form[data-act=close-excluded] input[name=reason]").fill("依法强制执行，诉求不合理")
    row.locator("form[data-act=close-excluded] button").click()
    expect(page.locator("#queue tbody tr", has_text=unhappy["number"])).to_have_count(0)
    expect(page.locator('[data-queue="dissatisfied"] [data-count]')).to_have_text("0")
    t = api.as_("supervisor").get(f"/tickets/{unhappy['id']}").get_json()
    assert t["status"] == "closed" and t["timeline"][-1]["action"] == "close-excluded"
    assert t["timeline"][-1]["note"] == "依法强制执行，诉求不合理"

    page.click('[data-queue="replies"]')
    row = page.locator("#queue tbody tr", has_text=reply["number"])
    expect(row).to_be_visible()
    row.locator("form[data-act=approve-reply] button").click()
    expect(page.locator("#queue tbody tr", has_text=reply["number"])).to_have_count(0)
    assert api.as_("supervisor").get(f"/tickets/{reply['id']}").get_json()["status"] == "callback_pending"
