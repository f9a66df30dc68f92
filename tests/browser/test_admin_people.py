"""Users administration and one's own password in real Chromium."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser.conftest import shot


def _login(chromium, live_url, username: str, password: str):
    context = chromium.new_context(base_url=live_url, viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    return context, page


def test_admin_creates_user_who_logs_in_changes_password_then_is_deactivated(new_page, chromium, live_url):
    name = "p" + uuid.uuid4().hex[:8]
    admin = new_page("admin")
    admin.click("nav >> text=用户管理")
    admin.wait_for_url("**/agents/admin/users")
    form = admin.locator("#create-user")
    form.locator("input[name=username]").fill(name)
    form.locator("input[name=display_name]").fill("澄江街道新同事")
    form.locator("select[name=role]").select_option("department")
    form.locator("select[name=department]").select_option("ST-341802001")
    form.locator("input[name=password]").fill("Initial-pass-2026")
    form.locator("button[type=submit]").click()
    row = admin.locator(f"#user-{name}")
    expect(row).to_be_visible()
    expect(admin.locator("#audit tbody tr").first).to_contain_text(name)
    shot(admin, "admin-users")

    # The new user logs in and must first choose their own password.
    context, page = _login(chromium, live_url, name, "Initial-pass-2026")
    try:
        page.wait_for_url("**/agents/account")
        expect(page.locator("#must-change")).to_be_visible()
        page.fill("input[name=old]", "Initial-pass-2026")
        page.fill("input[name=new]", "1234567890")
        page.fill("input[name=again]", "1234567890")
        page.click("#password-form button[type=submit]")
        expect(page.locator("[role=alert]").first).to_contain_text("common")  # refused: a common password
        page.fill("input[name=old]", "Initial-pass-2026")
        page.fill("input[name=new]", "Chengjiang-street-88")
        page.fill("input[name=again]", "Chengjiang-street-88")
        page.click("#password-form button[type=submit]")
        page.wait_for_url("**/agents/department")
        expect(page.locator("h1")).to_contain_text("澄江街道办事处")

        # The admin deactivates them: their open session ends at the next request.
        admin.reload()
        admin.locator(f"#user-{name} button.deactivate").click()
        expect(admin.locator(f"#user-{name} button.activate")).to_be_visible()
        page.reload()
        page.wait_for_url("**/login*")
    finally:
        context.close()
    # And neither the old nor the new password lets them back in.
    context, page = _login(chromium, live_url, name, "Chengjiang-street-88")
    try:
        expect(page.locator(".error").first).to_be_visible()
        assert "/login" in page.url
    finally:
        context.close()


def test_user_changes_own_password_and_the_old_one_stops_working(new_page, chromium, live_url):
    page = new_page("dept_sthjj")
    page.click("#account-link")
    page.wait_for_url("**/agents/account")
    page.fill("input[name=old]", "demo-dept_sthjj")
    page.fill("input[name=new]", "Eco-bureau-liaison-7")
    page.fill("input[name=again]", "Eco-bureau-liaison-7")
    page.click("#password-form button[type=submit]")
    page.wait_for_url("**/agents/department")
    context, other = _login(chromium, live_url, "dept_sthjj", "demo-dept_sthjj")
    try:
        expect(other.locator(".error").first).to_be_visible()
    finally:
        context.close()
    context, other = _login(chromium, live_url, "dept_sthjj", "Eco-bureau-liaison-7")
    try:
        other.wait_for_url("**/agents/department")
    finally:
        context.close()
