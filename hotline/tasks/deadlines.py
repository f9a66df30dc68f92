"""Deadline jobs: one scheduled at each warning and due instant, plus the periodic sweep."""

from __future__ import annotations

from hotline.actions.deadlines import check_deadlines, sweep_due
from hotline.actions.deadlines import check_notice as check_notice_deadlines
from hotline.tasks import job


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
