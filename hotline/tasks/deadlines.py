"""Deadline jobs: one scheduled at each warning and due instant, plus the periodic sweep."""

from __future__ import annotations

import datetime as dt
import logging

from hotline.actions.deadlines import check_deadlines, sweep_due
from hotline.actions.deadlines import check_notice as check_notice_deadlines
from hotline.deadlines import limits
from hotline.deadlines.calendar import TZ, provisional_years
from hotline.tasks import job

log = logging.getLogger(__name__)


@job(queue="high", timeout=30)
def check_ticket(ticket_id: int) -> list[str]:
    """Runs at a planned instant (maybe late, maybe twice): re-checks the ticket itself."""
    return check_deadlines(ticket_id)


@job(queue="high", timeout=30)
def check_notice(notice_id: int) -> list[str]:
    return check_notice_deadlines(notice_id)


@job(queue="high", timeout=600)
def sweep() -> int:
    """Every minute: catch what a lost or late job missed, in batches."""
    return sweep_due()


@job(queue="default", timeout=60)
def calendar_check() -> list[int]:
    """Once a day: warn in the worker's log while the current year, or from 1 November the next, has no
    official schedule (its deadlines are computed from the statutory rules, without make-up days)."""
    cal = limits.load_calendar()
    years = provisional_years(cal, dt.datetime.now(TZ).date())
    for year in years:
        log.warning(
            "working calendar %s is provisional: statutory holidays by rule, no make-up working days; "
            "import the State Council's schedule with `flask --app wsgi calendar import FILE`",
            year,
        )
    return years
