"""The working calendar page in real Chromium: an admin sees the provisional-year banner, uploads a bad
schedule (rejected with its line numbers, nothing changed), then the good one (2027 becomes official)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import shot

SCHEDULE = Path(__file__).parent.parent / "data" / "calendar_2027.csv"


def test_admin_imports_the_official_schedule(new_page, api):
    page = new_page("admin")
    page.goto("/agents/admin/calendar")
    row = page.locator('#calendar-years tr[data-year="2027"]')
    expect(row).to_contain_text("临时")  # provisional (by rule), before the import
    banner = page.locator("#calendar-banner")
    if banner.count():  # shown from 1 November 2026 (and all of 2027) until the schedule is imported
        expect(banner).to_contain_text("2027")

    bad = "date,workday,name\n2027-02-05,false,春节\n2027-02-31,false,春节\n2027-02-20,perhaps,春节\n"
    page.set_input_files(
        "input[name=file]", files=[{"name": "2027.csv", "mimeType": "text/csv", "buffer": bad.encode()}]
    )
    page.click("form[enctype] button[type=submit]")
    expect(page.locator("#import-errors")).to_contain_text("line 3")
    expect(page.locator("#import-errors")).to_contain_text("line 4")
    expect(page.locator('#calendar-years tr[data-year="2027"]')).to_contain_text("临时")
    shot(page, "calendar-import-rejected")
    assert api.as_("operator").get("/calendar/days/2027-02-10").get_json()["source"] == "provisional"

    page.set_input_files("input[name=file]", str(SCHEDULE))
    page.click("form[enctype] button[type=submit]")
    expect(page.locator("#flash-ok")).to_contain_text("2027")
    expect(page.locator('#calendar-years tr[data-year="2027"]')).to_contain_text("admin")
    if page.locator("#calendar-banner").count():
        expect(page.locator("#calendar-banner")).not_to_contain_text("2027")
    shot(page, "calendar-imported")
    from hotline.deadlines.limits import clear_calendar_cache

    clear_calendar_cache()  # this process cached the calendar a minute ago; the server cleared its own
    day = api.as_("operator").get("/calendar/days/2027-02-10").get_json()
    assert day == {"date": "2027-02-10", "workday": False, "name": "春节", "source": "official"}
