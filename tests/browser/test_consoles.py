"""The consoles in real Chromium: the whole day's path of one ticket, live, across three users."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.conftest import new_ticket_body


def live(page) -> None:
    expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=10_000)


def counter(page, selector: str) -> int:
    return int(page.locator(selector).inner_text())


def test_operator_dispatches_department_handles_supervisor_approves(new_page):
    dept = new_page("dept_cgj")
    live(dept)
    board = new_page("supervisor")
    live(board)
    expect(board.locator("#c-today")).not_to_have_text("—")
    today_before = counter(board, "#c-today")

    # -- the operator takes the call: keyboard first
    op = new_page("operator")
    assert op.url.endswith("/agents/operator")
    live(op)
    op.keyboard.press("F2")
    op.keyboard.type("13812345678")
    op.fill("input[name=caller_name]", "李四")
    op.select_option("select[name=type]", "complaint")
    op.keyboard.press("F4")
    op.keyboard.type("公共设施")
    op.keyboard.press("Enter")
    expect(op.locator("#category-chosen")).to_contain_text("城市公共设施")
    op.select_option("#region", "341802001")
    op.fill("input[name=address]", "澄江街道梅园路12号")
    op.fill("#content", "小区门口路灯连续一周不亮，晚上出行很不安全，请尽快维修。")
    expect(op.locator("#history")).to_contain_text("首次来电")  # the caller has no earlier tickets
    # Routing suggestions arrive as the operator types (the dispatch catalogue's street office for this area).
    expect(op.locator("#suggestions .suggestion").first).to_be_visible()
    expect(op.locator("#suggestions")).to_contain_text("澄江街道办事处")
    op.keyboard.press("Control+Enter")
    number = op.locator("#current-number")
    expect(number).to_have_text(__import__("re").compile(r"^XC\d{13}$"))
    ticket_number = number.inner_text()
    op.select_option("#dispatch-dept", "XC-CGJ")
    shot(op, "operator-console")
    op.click("form[data-outcome=dispatch] button")
    expect(op.locator("#current-ticket .status")).to_have_text("待签收")
    dispatched_at = time.monotonic()

    # -- the department's open page shows it without a reload, within 2 seconds
    row = dept.locator("#tickets tbody tr", has_text=ticket_number)
    expect(row).to_be_visible(timeout=2_000)
    assert time.monotonic() - dispatched_at < 2.0
    expect(row.locator(".clock")).to_be_visible()
    shot(dept, "department-console")

    # -- the department signs and replies on the ticket page
    row.locator("a").click()
    dept.wait_for_url("**/agents/tickets/*")
    live(dept)
    expect(dept.locator("#caller-phone")).to_have_text("138****5678")  # masked until it handles the ticket
    dept.click("form[data-action=sign] button")
    expect(dept.locator("#summary .status")).to_have_text("办理中")
    dept.click("#show-contact")
    expect(dept.locator("#caller-phone")).to_have_text("+8613812345678")
    dept.fill("form[data-action=reply] textarea", "已安排维修，路灯已恢复照明。")
    dept.click("form[data-action=reply] button")
    expect(dept.locator("#summary .status")).to_have_text("待审核")
    expect(dept.locator("#timeline li").first).to_contain_text("答复")
    shot(dept, "department-ticket")

    # -- the wallboard changed on its own; the supervisor approves the reply there
    expect(board.locator("#c-today")).to_have_text(str(today_before + 1), timeout=3_000)
    item = board.locator("#q-replies li", has_text=ticket_number)
    expect(item).to_be_visible(timeout=3_000)
    item.locator("button[data-act=approve-reply]").click()
    expect(board.locator("#q-replies li", has_text=ticket_number)).to_have_count(0)
    expect(board.locator("#q-callbacks li", has_text=ticket_number)).to_be_visible()
    expect(board.locator("#by-status [data-status=callback_pending] b")).to_have_text("1")
    board.wait_for_timeout(300)  # let the charts draw before the picture
    shot(board, "wallboard")


def test_department_cannot_open_another_departments_ticket(new_page, api):
    other = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
    api.as_("operator").act(other["id"], "dispatch", {"department": "XC-STHJJ"})
    page = new_page("dept_cgj")
    response = page.goto(f"/agents/tickets/{other['id']}")
    assert response.status == 404
    assert other["number"] not in page.content()
    page.goto("/agents/department")
    expect(page.locator("#tickets")).not_to_contain_text(other["number"])


def test_pages_render_chinese_glyphs(new_page, chromium, live_url):
    """A CJK font is installed and used: two different characters draw differently (missing glyphs all draw the
    same box), on the login page and in a console."""
    page = chromium.new_page(base_url=live_url, locale="zh-CN")
    page.goto("/login")
    expect(page.locator("h1")).to_have_text("工作人员登录")
    differ = page.evaluate("""() => {
      const font = getComputedStyle(document.body).fontFamily;
      const draw = (ch) => { const c = document.createElement('canvas'); c.width = c.height = 40;
        const x = c.getContext('2d'); x.font = '32px ' + font; x.fillText(ch, 2, 34); return c.toDataURL(); };
      return [draw('市') !== draw('局'), draw('市') !== draw('\\u{10FFFD}')];
    }""")
    assert differ == [True, True]
    shot(page, "login")
    page.close()
    board = new_page("supervisor")
    expect(board.locator("h1")).to_have_text("监控大屏")
    shot(board, "wallboard-empty")
