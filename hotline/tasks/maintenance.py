"""Housekeeping jobs of the worker's periodic schedule."""

from __future__ import annotations

import datetime as dt

from flask import current_app

from hotline.outbox import purge_delivered
from hotline.tasks import job


@job(queue="low", timeout=600)
def purge_outbox() -> int:
    """Hourly: delivered outbox rows older than OUTBOX_RETENTION_DAYS (default 7) are deleted."""
    return purge_delivered(dt.timedelta(days=float(current_app.config["OUTBOX_RETENTION_DAYS"])))
