"""The department side in real Chromium: a district sub-dispatches to its street, the street replies, the district
approves, the centre sees one reply; the street's inbox count goes up live; the handling officer filter."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.conftest import new_ticket_body


def live(page) -> None:
    expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=10_000)


def test_district_sub_dispatches_street_replies_district_approves_centre_sees_one_reply(new_page, api):
    t = api.as_("operator").post("/tickets", new_ticket_body(content="澄江街道梅园路路灯不亮，已一周。")).get_json()
    api.as_("operator").act(t["id"], "dispatch", {"department": "GOV-341802"})
    other = api.as_("operator").post("/tickets", new_ticket_body(content="区里另一件事，不该给街道看到。")).get_json()
    api.as_("operator").act(other["id"], "dispatch", {"department": "GOV-341802"})

    street = new_page("dept_cjjd")
    live(street)
    expect(street.locator("#tickets")).not_to_contain_text(t["number"])
    unread_before = int(street.locator("#unread").get_attribute("data-count"))

    district = new_page("dept_xzq")
    district.goto(f"/agents/tickets/{t['id']}")
    live(district)
    district.click("form[data-action=sign] button")
    expect(district.locator("#summary .status")).to_have_text("办理中")
    district.click("#action-forms details[data-action=sub-dispatch] summary")  # a secondary action: its own button
    form = district.locator("#action-forms form[data-action=sub-dispatch]")
    expect(form.locator("select[name=department] option[value='ST-341802001']")).to_have_count(1)
    expect(form.locator("select[name=department] option[value='XC-CGJ']")).to_have_count(0)  # only its own streets
    form.locator("select[name=department]").select_option("ST-341802001")
    form.locator("input[name=note]").fill("请街道现场处置")
    form.locator("button").click()
    expect(district.locator("#sub-status")).to_have_text("待下级签收")

    # The street: the ticket arrives live with a notice; the district's other ticket never shows.
    row = street.locator("#tickets tbody tr", has_text=t["number"])
    expect(row).to_be_visible(timeout=5_000)
    expect(street.locator("#unread")).to_have_text(str(unread_before + 1))
    expect(street.locator("#tickets")).not_to_contain_text(other["number"])
    row.locator("a").click()
    street.wait_for_url("**/agents/tickets/*")
    live(street)
    street.click("form[data-action=sign] button")
    expect(street.locator("#sub-status")).to_have_text("下级办理中")
    street.fill("form[data-action=reply] textarea", "已到现场更换灯泡，路灯恢复照明。")
    street.click("form[data-action=reply] button")
    expect(street.locator("#sub-status")).to_have_text("下级已答复，待审核")
    assert street.goto(f"/agents/tickets/{other['id']}").status == 404
    shot(street, "street-ticket")

    # The district reviews the street's reply (its page refreshed live) and sends it to the centre.
    expect(district.locator("#sub-reply")).to_contain_text("已到现场更换灯泡", timeout=5_000)
    district.click("#action-forms form[data-action=approve-sub-reply] button")
    expect(district.locator("#summary .status")).to_have_text("待审核")
    shot(district, "district-ticket")

    centre = new_page("supervisor")
    centre.goto(f"/agents/tickets/{t['id']}")
    live(centre)
    expect(centre.locator("#summary .reply")).to_have_count(1)
    expect(centre.locator("#summary .reply")).to_have_text("已到现场更换灯泡，路灯恢复照明。")
    expect(centre.locator("#action-forms form[data-action=approve-reply]")).to_be_visible()


def test_handling_officer_and_mine_filter(new_page, make_ticket):
    mine = make_ticket("in_progress", department="XC-CGJ")
    not_mine = make_ticket("in_progress", department="XC-CGJ")
    page = new_page("dept_cgj")
    page.goto(f"/agents/tickets/{mine['id']}")
    live(page)
    page.click("#action-forms details[data-action=assign] summary")
    form = page.locator("#action-forms form[data-action=assign]")
    expect(form.locator("select[name=user] option[value=dept_cgj]")).to_have_count(1)
    form.locator("select[name=user]").select_option("dept_cgj")
    form.locator("button").click()
    expect(page.locator("#handler")).to_have_text("城管局联络员")  # the display name, the login on hover
    expect(page.locator("#handler")).to_have_attribute("title", "dept_cgj")
    page.goto("/agents/department")
    live(page)
    expect(page.locator("#tickets tbody tr", has_text=not_mine["number"])).to_be_visible()
    page.check("#mine")
    expect(page.locator("#tickets tbody tr", has_text=mine["number"])).to_be_visible()
    expect(page.locator("#tickets tbody tr", has_text=not_mine["number"])).to_have_count(0)
