"""反复投诉 on screen: a caller's third ticket about one matter raises a flag that appears on the supervisors' page
without a reload, with the caller, the count, the matter and every ticket; the supervisor settles it with a note."""

from __future__ import annotations

from playwright.sync_api import expect

from hotline import outbox

BODY = {"type": "complaint", "caller_phone": "13900000005", "category": "011003", "address": "阳光花园"}
TEXTS = [
    "物业不管小区垃圾，垃圾堆了一周没人清理",
    "物业还是不处理垃圾问题，臭味很大",
    "第三次反映物业垃圾没人清运的问题",
]


def test_supervisor_sees_a_repeat_complaint_arrive_and_settles_it(new_page, api, app):
    op = api.as_("operator")
    tickets = [op.post("/tickets", {**BODY, "content": t}).get_json() for t in TEXTS[:2]]

    page = new_page("supervisor")
    page.click("nav a[href='/agents/repeats']")  # in the supervisors' menu
    page.wait_for_url("**/agents/repeats")
    expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=10_000)
    expect(page.locator("#empty")).to_be_visible()
    expect(page.locator('[data-show="open"] [data-count]')).to_have_text("0")

    tickets.append(op.post("/tickets", {**BODY, "content": TEXTS[2]}).get_json())  # the third: flagged
    with app.app_context():  # this process wrote the ticket's event: its relay sends it (no server's relay)
        assert outbox.relay_all(kinds=("socket",)) >= 1
    row = page.locator("#repeats tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("13900000005")  # the centre sees the whole number
    expect(row).to_contain_text("同一类别")
    expect(row).to_contain_text("阳光花园")
    expect(row.locator("td").nth(1)).to_have_text("3")
    for t in tickets:
        expect(row.locator(f"a[href='/agents/tickets/{t['id']}']")).to_have_text(t["number"])
    expect(page.locator('[data-show="open"] [data-count]')).to_have_text("1")

    row.locator("input[name=note]").fill("已约谈物业公司，限期清运")
    row.locator("form[data-act=resolve] button").click()
    expect(page.locator("#repeats tbody tr")).to_have_count(0)
    expect(page.locator('[data-show="open"] [data-count]')).to_have_text("0")
    expect(page.locator('[data-show="resolved"] [data-count]')).to_have_text("1")
    page.click('[data-show="resolved"]')
    expect(page.locator("#repeats tbody tr")).to_contain_text("已约谈物业公司，限期清运")
    [flag] = api.as_("supervisor").get("/routing/repeats?status=resolved").get_json()["items"]
    assert flag["resolved_by"] == "supervisor" and flag["note"] == "已约谈物业公司，限期清运"
