"""热点预警 on the wallboard in real Chromium: an alert raised by the hotspot job appears without a reload."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import new_ticket_body


def test_hotspot_alert_appears_live_on_the_wallboard(new_page, api, app):
    board = new_page("supervisor")
    expect(board.locator("body")).to_have_attribute("data-live", "on", timeout=10_000)
    expect(board.locator("#hotspots")).not_to_contain_text("城市公共设施")
    for i in range(5):
        r = api.as_("operator").post(
            "/tickets", new_ticket_body(content=f"梅园路第{i}盏路灯不亮", caller_phone=f"1380000{i:04d}")
        )
        assert r.status_code == 201
    with app.app_context():
        from hotline.reports.hotspots import raise_alerts

        assert len(raise_alerts()) == 1
        # The alert's event waits in the outbox (this process runs no relay thread): relay it here, through the
        # Redis message queue the live server listens on, as a worker would.
        from hotline import outbox

        assert outbox.relay_all(kinds=("socket",)) >= 1
    item = board.locator("#hotspots li.new")
    expect(item).to_be_visible(timeout=10_000)
    expect(item).to_contain_text("城市公共设施")
    expect(item).to_contain_text("5 件")
