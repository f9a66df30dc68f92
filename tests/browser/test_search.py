"""工单查询 in real Chromium: a search by phone and by a Chinese word finds the right tickets; the export opens in
openpyxl with the same rows; a department's search and export hold only its own tickets, phones masked."""

from __future__ import annotations

import re

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.conftest import new_ticket_body


def _search(page) -> None:
    """Submit the form and wait for this search's answer (not an earlier one still on screen)."""
    before = page.locator("body").get_attribute("data-searched") or ""
    page.click("#search button[type=submit]")
    expect(page.locator("body")).not_to_have_attribute("data-searched", before)


def _results(page) -> list[str]:
    return [t.strip() for t in page.locator("#results tbody tr td:first-child").all_inner_texts()]


def test_search_by_phone_and_chinese_word_then_export(new_page, api, tmp_path):
    op = api.as_("operator")
    lamp = op.post("/tickets", new_ticket_body(content="小区门口路灯连续一周不亮，晚上出行不安全。")).get_json()
    lamp2 = op.post(
        "/tickets", new_ticket_body(content="梅园路的路灯白天也亮着，浪费电。", caller_phone="13700002222")
    ).get_json()
    noise = op.post(
        "/tickets", new_ticket_body(content="夜间工地施工噪音扰民。", caller_phone="13900001111", type="report")
    ).get_json()
    op.act(lamp["id"], "dispatch", {"department": "XC-CGJ"})

    page = new_page("operator")
    page.goto("/agents/search")
    expect(page.locator("body")).to_have_attribute("data-searched", re.compile(r"\d+"))
    # -- by a Chinese word
    page.fill("input[name=q]", "路灯")
    _search(page)
    expect(page.locator("#total")).to_have_text("2")
    assert _results(page) == [lamp2["number"], lamp["number"]]
    # -- by phone (as people type it)
    page.fill("input[name=q]", "")
    page.fill("input[name=phone]", "139 0000 1111")
    _search(page)
    expect(page.locator("#total")).to_have_text("1")
    assert _results(page) == [noise["number"]]
    # -- the word and a type together, and the search survives a reload (it lives in the URL)
    page.fill("input[name=phone]", "")
    page.fill("input[name=q]", "路灯 浪费")
    _search(page)
    expect(page.locator("#total")).to_have_text("1")
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-searched", re.compile(r"\d+"))
    expect(page.locator("input[name=q]")).to_have_value("路灯 浪费")
    expect(page.locator("#total")).to_have_text("1")
    assert _results(page) == [lamp2["number"]]
    # -- export what the search found
    page.fill("input[name=q]", "路灯")
    _search(page)
    expect(page.locator("#total")).to_have_text("2")
    shot(page, "search")
    with page.expect_download() as info:
        page.click("#export")
    path = tmp_path / "found.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == "工单编号"
    assert [r[0] for r in rows[1:]] == [lamp2["number"], lamp["number"]]
    phone_col = rows[0].index("来电号码")
    assert rows[1][phone_col] == "+8613700002222"

    # -- a department: only its own, masked
    dept = new_page("dept_cgj")
    dept.goto("/agents/search?q=路灯")
    expect(dept.locator("body")).to_have_attribute("data-searched", re.compile(r"\d+"))
    expect(dept.locator("#total")).to_have_text("1")
    assert _results(dept) == [lamp["number"]]
    with dept.expect_download() as info:
        dept.click("#export")
    path = tmp_path / "dept.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [lamp["number"]]
    assert rows[1][phone_col] == "138****5678"
