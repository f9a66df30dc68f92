"""常用语 in real Chromium: a supervisor adds a phrase for a category; the department inserts it into its reply with
one key (Alt+1) and sends the reply."""

from __future__ import annotations

from playwright.sync_api import expect


def test_phrase_added_by_a_supervisor_is_inserted_with_one_key(new_page, make_ticket, api):
    t = make_ticket("in_progress")  # category 010204, at 市城市管理局
    sup = new_page("supervisor")
    sup.goto("/agents/templates")
    sup.select_option("#t-category", "0102")
    sup.fill("#new-template input[name=title]", "路灯维修")
    sup.fill("#new-template textarea[name=text]", "已安排维修人员检修路灯，现已恢复照明。")
    sup.click("#new-template button[type=submit]")
    expect(sup.locator("#templates tbody tr", has_text="路灯维修")).to_be_visible()

    dept = new_page("dept_cgj")
    dept.goto(f"/agents/tickets/{t['id']}")
    reply = dept.locator("form[data-action=reply] textarea")
    expect(dept.locator("form[data-action=reply] .templates")).to_contain_text("路灯维修")
    reply.fill("您好，")
    reply.press("End")
    reply.press("Alt+1")
    expect(reply).to_have_value("您好，已安排维修人员检修路灯，现已恢复照明。")
    dept.click("form[data-action=reply] button[type=submit]")
    expect(dept.locator("#summary .status")).to_have_text("待审核")
    assert (
        api.as_("supervisor").get(f"/tickets/{t['id']}").get_json()["reply"]
        == "您好，已安排维修人员检修路灯，现已恢复照明。"
    )
