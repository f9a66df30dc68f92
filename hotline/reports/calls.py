"""Call-centre figures (话务指标) from the call records, computed in SQL (DOMAIN.md "KPIs").

- answer rate (接通率): calls answered by a person ÷ calls offered to a person (the caller chose the queue);
  calls served by the IVR alone (a status check) are not offered.
- answered within 15 s: calls answered within 15 s of being offered ÷ calls offered (the service level).
- average wait: seconds from offer to answer, over answered calls; average talk: seconds of conversation.
- abandon rate: offered calls where the caller hung up before an answer (without leaving a message) ÷ offered.
- missed calls called back: calls on the call-back list (abandoned, voice messages) that were called back ÷
  calls on the list.
Rates are fractions from 0 to 1, or None where the denominator is 0.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, select

from hotline.extensions import db
from hotline.models import Call

SERVICE_LEVEL_SECONDS = 15


def _rate(num: int | None, den: int | None) -> float | None:
    return round(num / den, 4) if den else None


def call_centre_figures(start: dt.datetime, end: dt.datetime) -> dict:
    """Figures for inbound calls that started in [start, end) (timezone-aware instants)."""

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    offered = Call.offered_at.is_not(None)
    answered = and_(offered, Call.answered_at.is_not(None))
    row = db.session.execute(
        select(
            func.count().label("calls"),
            count(offered).label("offered"),
            count(answered).label("answered"),
            count(and_(answered, Call.wait_seconds <= SERVICE_LEVEL_SECONDS)).label("within_15s"),
            count(and_(offered, Call.outcome == "abandoned")).label("abandoned"),
            count(Call.outcome == "voicemail").label("voicemail"),
            count(Call.outcome == "self_service").label("self_service"),
            func.avg(case((answered, Call.wait_seconds))).label("avg_wait"),
            func.avg(case((answered, Call.talk_seconds))).label("avg_talk"),
            count(Call.callback_needed.is_(True)).label("callback_needed"),
            count(and_(Call.callback_needed.is_(True), Call.called_back_at.is_not(None))).label("called_back"),
        ).where(Call.direction == "inbound", Call.started_at >= start, Call.started_at < end)
    ).one()
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "calls": row.calls,
        "offered": row.offered,
        "answered": row.answered,
        "answered_within_15s": row.within_15s,
        "abandoned": row.abandoned,
        "voicemail": row.voicemail,
        "self_service": row.self_service,
        "answer_rate": _rate(row.answered, row.offered),
        "answered_within_15s_rate": _rate(row.within_15s, row.offered),
        "abandon_rate": _rate(row.abandoned, row.offered),
        "average_wait_seconds": round(float(row.avg_wait), 1) if row.avg_wait is not None else None,
        "average_talk_seconds": round(float(row.avg_talk), 1) if row.avg_talk is not None else None,
        "callback_needed": row.callback_needed,
        "called_back": row.called_back,
        "called_back_rate": _rate(row.called_back, row.callback_needed),
    }


def live_figures(now: dt.datetime, day_start: dt.datetime) -> dict:
    """The wallboard's call figures now (实时话务): callers waiting for a person (offered, neither answered nor
    ended: on hold or ringing at an operator) and since when the longest has waited, operators by presence
    (an after-call timer that has run out counts as available), and today's answered, answered within 15 s
    and abandoned calls. Two statements, both on indexed columns."""
    from hotline.models import OperatorPresence

    waiting = and_(
        Call.direction == "inbound",
        Call.offered_at.is_not(None),
        Call.answered_at.is_(None),
        Call.ended_at.is_(None),
        Call.started_at >= now - dt.timedelta(hours=12),  # a record whose end was never reported is not waiting
    )
    calls = db.session.execute(
        select(
            func.count().filter(waiting).label("waiting"),
            func.min(Call.offered_at).filter(waiting).label("oldest"),
            func.count().filter(Call.started_at >= day_start, Call.answered_at.is_not(None)).label("answered"),
            func.count()
            .filter(
                Call.started_at >= day_start,
                Call.answered_at.is_not(None),
                Call.wait_seconds <= SERVICE_LEVEL_SECONDS,
            )
            .label("within"),
            func.count().filter(Call.started_at >= day_start, Call.outcome == "abandoned").label("abandoned"),
        ).where(Call.direction == "inbound", Call.started_at >= min(day_start, now - dt.timedelta(hours=12)))
    ).one()
    expired = and_(OperatorPresence.status == "after_call", OperatorPresence.after_call_until <= now)
    status = case((expired, "available"), else_=OperatorPresence.status)
    operators = {"available": 0, "busy": 0, "after_call": 0, "away": 0}
    for name, n in db.session.execute(select(status, func.count()).group_by(status)):
        operators[name] = operators.get(name, 0) + n
    return {
        "calls_waiting": calls.waiting,
        "oldest_waiting_since": calls.oldest.isoformat() if calls.oldest else None,
        "longest_wait_seconds": max(0, round((now - calls.oldest).total_seconds())) if calls.oldest else 0,
        "operators_free": operators["available"],
        "operators": operators,
        "calls_today": {
            "answered": calls.answered,
            "answered_within_15s": calls.within,
            "abandoned": calls.abandoned,
        },
    }
