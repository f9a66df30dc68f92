"""工单处理单 in real Chromium: the printable work order holds the ticket, its timeline, reply and callback result,
and prints on one A4 page even for a long complaint with a long history."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import new_ticket_body


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_work_order_prints_on_one_a4_page(new_page, api, make_ticket):
    long_text = ("小区门口路灯连续一周不亮，晚上出行很不安全，老人孩子经常摔倒，多次向物业反映无果。" * 30)[:1500]
    t = make_ticket("callback_pending", content=long_text, title="小区门口路灯一周不亮")
    for i in range(10):
        api.as_("supervisor").act(
            t["id"], "note", {"text": f"第{i + 1}次跟进：已电话联系承办单位，" + "说明情况。" * 10}
        )
    api.as_("operator").act(t["id"], "record-callback", {"resolved": 1, "satisfaction": 2})

    page = new_page("supervisor")
    page.goto(f"/agents/tickets/{t['id']}/print")
    expect(page.locator("#number")).to_have_text(t["number"])
    body = page.locator("body")
    expect(body).to_contain_text("工单处理单")
    expect(body).to_contain_text("已安排维修，路灯已恢复照明。")  # the reply
    expect(body).to_contain_text("基本满意")  # the callback result
    expect(body).to_contain_text("市城市管理局")  # the lead department, by name
    expect(page.locator(".timeline tbody tr")).to_have_count(12)  # the last 12 entries of a longer timeline
    expect(page.locator("#print")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("#print")).to_be_hidden()
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    assert _pages(pdf) == 1

    # A short ticket, as its department sees it: one page too, the phone masked; others' tickets are 404.
    short = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
    api.as_("operator").act(short["id"], "dispatch", {"department": "XC-CGJ"})
    dept = new_page("dept_cgj")
    dept.goto(f"/agents/tickets/{short['id']}/print")
    expect(dept.locator("body")).to_contain_text("138****5678")
    assert _pages(dept.pdf(format="A4")) == 1
    other = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
    assert dept.goto(f"/agents/tickets/{other['id']}/print").status == 404
