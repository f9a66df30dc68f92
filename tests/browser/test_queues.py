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


def test_supervisor_closes_a_callback_as_unreachable(new_page, api, make_ticket):
    """回访 not reachable: from the callback queue, with a note; the ticket closes unrated."""
    waiting = make_ticket("callback_pending")
    page = new_page("supervisor")
    page.goto("/agents/queues?q=callbacks")
    expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=10_000)
    row = page.locator("#queue tbody tr", has_text=waiting["number"])
    expect(row).to_be_visible()
    expect(page.locator('[data-queue="callbacks"] [data-count]')).to_have_text("1")
    row.locator("form[data-act=close-unreachable] input[name=note]").fill("三次回访均无人接听")
    row.locator("form[data-act=close-unreachable] button").click()
    expect(page.locator("#queue tbody tr", has_text=waiting["number"])).to_have_count(0)
    expect(page.locator('[data-queue="callbacks"] [data-count]')).to_have_text("0")
    t = api.as_("supervisor").get(f"/tickets/{waiting['id']}").get_json()
    assert t["status"] == "closed" and t["timeline"][-1]["action"] == "close-unreachable"
    assert t["timeline"][-1]["note"] == "三次回访均无人接听"


def test_wallboard_queue_cards_count_every_ticket(new_page, make_ticket):
    """The cards list the first 10 tickets of a queue and show its full count, a link to the queue's pages."""
    returns = [make_ticket("return_pending") for _ in range(11)]
    page = new_page("supervisor")
    page.goto("/agents/wallboard")
    card = page.locator(".card", has=page.locator("#q-returns"))
    expect(card.locator("h2 a.count")).to_have_text("11")
    expect(card.locator("#q-returns li")).to_have_count(10)
    expect(card.locator("#q-returns li").first).to_contain_text(returns[0]["number"])
    expect(page.locator(".card", has=page.locator("#q-replies")).locator("h2 a.count")).to_have_text("0")
    card.locator("h2 a.count").click()
    page.wait_for_url("**/agents/queues?q=returns")
    expect(page.locator('[data-queue="returns"] [data-count]')).to_have_text("11")
