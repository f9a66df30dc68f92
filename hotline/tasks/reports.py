"""Report jobs: the periodic hotspot scan (热点预警)."""

from __future__ import annotations

from hotline.reports.hotspots import raise_alerts
from hotline.tasks import job


@job(queue="low", timeout=120)
def hotspot_scan() -> list[int]:
    """Every 15 minutes: alert supervisors to new hotspots; safe to run twice (one alert per episode)."""
    return raise_alerts()
