"""The ticket page as a work order (工单) in real Chromium: names, never codes, after a long history; the next step
as the one primary action; the contact masked per role; the department console and the ticket page at 1024 px."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from hotline.labels import ACTION, STATUS
from tests.browser.conftest import shot
from tests.conftest import new_ticket_body

CJK = re.compile(r"[\u4e00-\u9fff]")


def live(page) -> None:
    expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=10_000)


def ok(r):
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def long_history(api) -> dict:
    """A ticket that went through many actions: dispatch with an assisting department, a return refused, an extension,
    urging, supervision, a rejected and an approved reply, a dissatisfied callback, a reopening, a correction."""
    t = api.as_("operator").post("/tickets", new_ticket_body()).get_json()
    steps = [
        ("operator", "reclassify", {"urgency": "urgent", "reason": "夜间照明，影响出行安全"}),
        ("operator", "dispatch", {"department": "XC-CGJ", "assisting": ["XC-STHJJ"]}),
        ("dept_cgj", "return", {"reason": "wrong_area", "note": "应由街道处理"}),
        ("supervisor", "reject-return", {"note": "路灯属城管局职责"}),
        ("dept_cgj", "sign", None),
        ("dept_cgj", "note", {"text": "已派维修班组"}),
        ("supervisor", "urge", {"note": "请加快"}),
        ("supervisor", "supervise", {"note": "市民多次反映"}),
        ("dept_cgj", "answer-supervision", {"text": "今日内修复"}),
        ("dept_cgj", "reply", {"text": "已更换灯泡。"}),
        ("supervisor", "reject-reply", {"note": "请附现场情况"}),
        ("dept_cgj", "reply", {"text": "已更换灯泡，现场照明恢复。"}),
        ("supervisor", "approve-reply", None),
        ("operator", "record-callback", {"resolved": 3, "satisfaction": 3}),
        ("supervisor", "reopen", {"note": "核实不满意属实"}),
    ]
    for user, action, body in steps:
        t = ok(api.as_(user).act(t["id"], action, body))
    return t


def test_ticket_page_shows_names_not_codes_after_a_long_history(new_page, api):
    t = long_history(api)
    events = ok(api.as_("supervisor").get(f"/tickets/{t['id']}"))["timeline"]
    assert len(events) >= 15

    page = new_page("supervisor")
    page.goto(f"/agents/tickets/{t['id']}")
    live(page)
    timeline = page.locator("#timeline li.timeline-event")
    expect(timeline).to_have_count(len(events))
    expect(page.locator("#chips .status")).to_have_text("重办")

    text = page.locator("#ticket").inner_text().replace(t["number"], "")
    # No bare code: not the category's, the region's or a department's; no status or action slug.
    for code in ("010204", "341802001", "XC-CGJ", "XC-STHJJ", "CENTER"):
        assert code not in text, code
    for slug in [*ACTION, *STATUS]:
        if "-" in slug or "_" in slug:
            assert not re.search(rf"(?<![\w-]){re.escape(slug)}(?![\w-])", text), slug
    # The names instead, the codes on hover.
    expect(page.locator("#category")).to_contain_text(" › ")
    expect(page.locator("#category")).to_have_attribute("title", "010204")
    expect(page.locator("#department .dept")).to_have_text("市城市管理局")
    expect(page.locator("#department .dept")).to_have_attribute("title", "XC-CGJ")
    expect(page.locator("#routing-facts")).to_contain_text("市生态环境局")
    expect(page.locator("#request-facts")).to_contain_text("澄江街道")

    # Every event in Chinese, newest first, with who in plain words.
    actions = timeline.locator(".timeline-action").all_inner_texts()
    assert all(CJK.search(a) for a in actions), actions
    assert actions[0] == "重办" and actions[-1] == "创建"
    first = timeline.first
    expect(first.locator(".timeline-who")).to_have_text("值班长老李")
    expect(first.locator(".timeline-why")).to_have_text("核实不满意属实")
    returned = page.locator("#timeline li[data-action=return]")
    expect(returned.locator(".timeline-who")).to_have_text("城管局联络员")
    expect(returned.locator(".timeline-why")).to_contain_text("属地不符")
    whos = timeline.locator(".timeline-who").all_inner_texts()
    assert not {"operator", "supervisor", "dept_cgj", "system"} & set(whos), whos
    shot(page, "workorder-long-history")

    # The English UI from the same table.
    page.goto(f"/agents/tickets/{t['id']}?lang=en")
    expect(page.locator("#chips .status")).to_have_text("Reopened")
    expect(page.locator("#timeline li.timeline-event").first.locator(".timeline-action")).to_have_text("Reopen")
    expect(page.locator("#timeline li[data-action=return] .timeline-why")).to_contain_text("Wrong area")
    page.goto(f"/agents/tickets/{t['id']}?lang=zh_Hans_CN")


def test_sub_dispatch_history_in_plain_words(new_page, api):
    """District → street and back: every sub-dispatch step named, the street by its name."""
    t = api.as_("operator").post("/tickets", new_ticket_body(content="澄江街道梅园路路灯不亮，已一周。")).get_json()
    steps = [
        ("operator", "dispatch", {"department": "GOV-341802"}),
        ("dept_xzq", "sign", None),
        ("dept_xzq", "assign", {"user": "dept_xzq"}),
        ("dept_xzq", "sub-dispatch", {"department": "ST-341802001", "note": "请街道现场处置"}),
        ("dept_cjjd", "sign", None),
        ("dept_cjjd", "reply", {"text": "已到现场更换灯泡。"}),
        ("dept_xzq", "reject-sub-reply", {"note": "请补充照片"}),
        ("dept_cjjd", "reply", {"text": "已到现场更换灯泡，附照片。"}),
        ("dept_xzq", "approve-sub-reply", None),
    ]
    for user, action, body in steps:
        t = ok(api.as_(user).act(t["id"], action, body))
    page = new_page("dept_xzq")
    page.goto(f"/agents/tickets/{t['id']}")
    live(page)
    expect(page.locator("#timeline li.timeline-event")).to_have_count(len(steps) + 1)
    text = page.locator("#ticket").inner_text().replace(t["number"], "")
    for code in ("GOV-341802", "ST-341802001", "dept_xzq", "dept_cjjd", "010204"):
        assert code not in text, code
    actions = page.locator("#timeline .timeline-action").all_inner_texts()
    assert all(CJK.search(a) for a in actions), actions
    expect(page.locator("#timeline li[data-action=sub-dispatch]")).to_contain_text("澄江街道办事处")
    expect(page.locator("#timeline li[data-action=sub-reply]").first.locator(".timeline-who")).to_have_text(
        "澄江街道联络员"
    )


def test_the_next_step_is_the_one_primary_action(new_page, make_ticket):
    t = make_ticket("dispatched")
    page = new_page("dept_cgj")
    page.goto(f"/agents/tickets/{t['id']}")
    live(page)
    # The header: number, status, urgency, the signing clock and the next step.
    expect(page.locator("#number")).to_have_text(t["number"])
    expect(page.locator("#chips .status")).to_have_text("待签收")
    expect(page.locator("#chips .chip--urgency-normal")).to_have_text("一般")
    expect(page.locator("#clock")).to_contain_text("签收期限")
    expect(page.locator("#next-button")).to_have_text("签收")
    # One primary action; the others are buttons that open their own forms.
    expect(page.locator("#action-forms .btn--primary")).to_have_count(1)
    expect(page.locator("#action-forms form[data-action=sign] button")).to_have_class(re.compile("btn--primary"))
    ret = page.locator("#action-forms details[data-action=return]")
    expect(ret.locator("summary")).to_have_text("退单")
    expect(ret.locator("select[name=reason]")).to_be_hidden()
    # The caller's contact is masked for the department until it asks (and the read is logged).
    expect(page.locator("#caller-phone")).to_have_text("138****5678")

    page.click("#next-button")
    expect(page.locator("#action-forms form[data-action=sign] button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#chips .status")).to_have_text("办理中")
    expect(page.locator("#clock")).to_contain_text("办理时限")
    expect(page.locator("#next-button")).to_contain_text("答复")
    expect(page.locator("#timeline li").first.locator(".timeline-action")).to_have_text("签收")
    ret.locator("summary").click()
    expect(ret.locator("select[name=reason]")).to_be_visible()
    page.click("#show-contact")
    expect(page.locator("#caller-phone")).to_have_text("+8613812345678")

    # The centre sees the full number; with nothing for it to do, the header says what the ticket waits for.
    centre = new_page("supervisor")
    centre.goto(f"/agents/tickets/{t['id']}")
    live(centre)
    expect(centre.locator("#caller-phone")).to_have_text("+8613812345678")
    expect(centre.locator("#next-button")).to_have_count(0)
    expect(centre.locator("#next-text")).to_contain_text("承办单位正在办理")
    expect(centre.locator("#action-forms .btn--primary")).to_have_count(0)
    # A correction picks the category and region by name.
    centre.click("#action-forms details[data-action=reclassify] summary")
    form = centre.locator("#action-forms form[data-action=reclassify]")
    expect(form.locator("select[name=category] option[value='010204']")).to_contain_text("城乡建设 › ")
    form.locator("select[name=region]").select_option("341802002")
    form.locator("input[name=reason]").fill("地址属鳌峰街道")
    form.locator("button[type=submit]").click()
    expect(centre.locator("#timeline li").first.locator(".timeline-action")).to_have_text("更正")
    expect(centre.locator("#request-facts")).to_contain_text("鳌峰街道")


def overflowing(page) -> list[str]:
    """Elements in the page that reach past the viewport's right edge, and whether the page scrolls sideways."""
    return page.evaluate(
        """() => {
          const out = [];
          const doc = document.documentElement, w = doc.clientWidth;
          if (doc.scrollWidth > w) out.push("page scrolls sideways: " + doc.scrollWidth);
          for (const el of document.querySelectorAll("main *")) {
            const r = el.getBoundingClientRect();
            if (!r.width || getComputedStyle(el).visibility === "hidden") continue;
            if (r.right > w + 1) out.push(`${el.tagName}.${el.className}#${el.id} right=${Math.round(r.right)}`);
          }
          return out.slice(0, 10);
        }"""
    )


def test_department_console_and_ticket_page_at_1024_px(new_page, make_ticket, api):
    long_ticket = make_ticket(
        "in_progress",
        content="小区门口路灯连续一周不亮，" * 12,
        address="澄江街道梅园路12号附近的十字路口东北角公交站台旁边" * 2,
    )
    make_ticket("dispatched")
    page = new_page("dept_cgj")
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto("/agents/department")
    live(page)
    expect(page.locator("#tickets tbody tr", has_text=long_ticket["number"])).to_be_visible()
    assert overflowing(page) == []
    shot(page, "department-1024")

    page.goto(f"/agents/tickets/{long_ticket['id']}")
    live(page)
    expect(page.locator("#next-button")).to_contain_text("答复")
    assert overflowing(page) == []
    # Every action reachable: each secondary one opens and its button is on the screen.
    for details in page.locator("#action-forms details").all():
        details.locator("summary").click()
        button = details.locator("form button[type=submit]")
        button.scroll_into_view_if_needed()
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1024, box
        assert overflowing(page) == []
    page.fill("form[data-action=reply] textarea", "已修复。")
    page.click("form[data-action=reply] button[type=submit]")
    expect(page.locator("#chips .status")).to_have_text("待审核")
    shot(page, "workorder-1024")
