"""The operator's whole intake-to-dispatch flow with the keyboard only, in real Chromium: no click, no fill, no
select_option after the login. The test reads the page (which element has focus, an option's position) but every
input is a key press or typed text, and the focused control always shows a visible focus ring."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_screens import serious_violations


def focused(page) -> str:
    """The focused element, as `tag#id[name]`."""
    return page.evaluate(
        "() => { const e = document.activeElement; return e.tagName.toLowerCase() + '#' + (e.id || '') +"
        " '[' + (e.getAttribute('name') || '') + ']'; }"
    )


def assert_focus_visible(page) -> None:
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return {style: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }"
    )
    assert ring["style"] != "none" and ring["width"] >= 2, (focused(page), ring)


def tab_to(page, selector: str, limit: int = 40, back: bool = False) -> None:
    """Press Tab (Shift+Tab) until `selector` has focus, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            assert_focus_visible(page)
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{selector} not reached with Tab; focus on {focused(page)}")


def arrow_to_option(page, select: str, value: str) -> None:
    """Move a focused <select> to `value` with the arrow keys (Chromium changes a closed select's value so)."""
    options = page.eval_on_selector(select, "s => Array.from(s.options).map((o) => o.value)")
    steps = options.index(value) - page.eval_on_selector(select, "s => s.selectedIndex")
    for _ in range(abs(steps)):
        page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")
    expect(page.locator(select)).to_have_value(value)


def test_operator_intake_to_dispatch_with_the_keyboard_only(new_page):
    op = new_page("operator")
    expect(op.locator("body")).to_have_attribute("data-live", "on")
    expect(op.locator("#region option")).not_to_have_count(1)  # the reference data has arrived
    page = op

    # The console opens with the cursor in the caller's number; F2 brings it back from anywhere.
    page.keyboard.press("F4")
    page.keyboard.press("F2")
    assert focused(page) == "input#caller_phone[caller_phone]"
    assert_focus_visible(page)
    page.keyboard.type("13812345678")
    page.keyboard.press("Tab")
    assert focused(page).endswith("[caller_name]")
    page.keyboard.type("李四")
    page.keyboard.press("Tab")
    arrow_to_option(page, "#intake select[name=type]", "complaint")
    page.keyboard.press("Tab")
    assert focused(page).endswith("[urgency]")

    # The category: F4, type part of its name, Enter takes the first match; ↓ walks the matches instead.
    page.keyboard.press("F4")
    assert focused(page) == "input#category-search[]"
    page.keyboard.type("公共设施")
    page.keyboard.press("ArrowDown")
    assert "cat" in page.evaluate("() => document.activeElement.className")
    assert_focus_visible(page)
    page.keyboard.press("ArrowUp")
    assert focused(page) == "input#category-search[]"
    page.keyboard.press("Enter")
    expect(page.locator("#category-chosen")).to_contain_text("城市公共设施")

    # Tab leaves the category tree at once (its entries are reached with ↓, not one Tab each).
    page.keyboard.press("Tab")
    assert focused(page) == "select#region[region]"
    arrow_to_option(page, "#region", "341802001")
    page.keyboard.press("Tab")
    assert focused(page).endswith("[address]")
    page.keyboard.type("澄江街道梅园路12号")
    tab_to(page, "#content")
    page.keyboard.type("小区门口路灯连续一周不亮，晚上出行很不安全，请尽快维修。")
    expect(page.locator("#elements")).to_contain_text("要素齐全")
    # The catalogue's department is chosen for dispatch as the content is typed.
    expect(page.locator("#suggestions")).to_contain_text("澄江街道办事处")

    page.keyboard.press("Control+Enter")
    number = page.locator("#current-number")
    expect(number).to_have_text(re.compile(r"^XC\d{13}$"))
    expect(page.locator("#current-ticket .status")).to_have_text("已受理")
    expect(page.locator(".toast").last).to_contain_text(number.inner_text())
    assert focused(page) == "textarea#answer-text[text]"  # the next decision: answer or dispatch

    # Dispatch: Tab to the department list (already on the catalogue's choice), pick another with the arrows, Alt+D.
    tab_to(page, "#dispatch-dept")
    expect(page.locator("#dispatch-dept")).not_to_have_value("")
    arrow_to_option(page, "#dispatch-dept", "XC-CGJ")
    assert serious_violations(page) == []  # the outcome forms, now shown, are labelled too
    page.keyboard.press("Alt+d")
    expect(page.locator("#current-ticket .status")).to_have_text("待签收")
    expect(page.locator(".toast").last).to_contain_text("派单")

    # Esc: a new, empty form with the cursor in the caller's number, ready for the next call.
    page.keyboard.press("Escape")
    assert focused(page) == "input#caller_phone[caller_phone]"
    expect(page.locator("#caller_phone")).to_have_value("")
    expect(page.locator("#outcomes")).to_be_hidden()
