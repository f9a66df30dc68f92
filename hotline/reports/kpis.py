"""考核指标: the KPIs of DOMAIN.md per department and period, each one grouped query in SQL.

A period is a half-open UTC interval [start, end) made of local days (hotline.reports.periods). Every
figure is counted by exactly one event or time column, so a ticket lands in one period per figure:

dispatched (派单数)
    `dispatch` timeline events in the period, by the department dispatched to (the lead). A
    re-dispatch after an approved return is a new dispatch for the new department.
signed_on_time_rate (及时签收率) = signed by the sign due ÷ dispatched
    Of those dispatches, the ones whose first following event among (sign, dispatch,
    approve-return) is a `sign` recorded on time (`data.on_time`, judged at signing against the sign
    due in force: the time a rejected return waited for the centre is added back, as the actions do).
    A dispatch still unsigned, or returned with the return approved, is not signed on time. A sign
    after a reopen (重办) is part of that reopen, not of a dispatch, and is not counted here.
resolved_on_time_rate (按时办结率) = replied by the due time in force ÷ rounds due in the period
    A handling round runs from signing to the department's final reply. It is counted in the
    period containing its due time *in force*: the due after an approved extension (延期), whenever
    the extension was approved, including after the original due time (the time the request
    waited is not counted against the department, so the new due is later still). The round is on
    time when the final reply (the one not rejected in review) is at or before that due. Rounds
    not replied count once their due has passed (as late); rounds not yet due and not replied
    are left out until they are. The current round is read from the ticket (`due_at`,
    `replied_at`); rounds ended by a reopen are read from the `reopen` event, which keeps their due
    and reply (`data.round`). A round whose return was approved has no due and is not counted.
resolution_rate (解决率) = "resolved" (answer 1) ÷ rated;  satisfaction_rate (满意率) = (满意 + 基本满意) ÷ rated
    Rated tickets are those whose current callback rating was recorded in the period
    (`callback_at`). A reopen clears the rating and the next one replaces it, so a ticket reopened
    and then closed counts once, with its second rating, in the period of that rating. Tickets
    whose dissatisfaction a supervisor excluded (`satisfaction_excluded`, lawful outcomes) leave
    both denominators; unreachable callbacks (close_reason 'unreachable') are not rated.
callback_rate (回访率) = completed callbacks ÷ eligible
    Completed: a rating recorded in the period (excluded ones too: the call was made). Eligible:
    completed plus callbacks closed as unreachable in the period (`closed_at`). Pending callbacks
    are not yet counted.
return_rate (退单率) = returns ÷ dispatched; rejected_returns (不当退单)
    `return` and `reject-return` events in the period by the returning department.
reopen_rate (重办率) = reopened ÷ closed
    Of the tickets closed (status closed) in the period with the department as lead, the ones
    reopened at least once before that close: a cohort, so the rate stays within 0..1.
direct_answer_rate (直接办结率) = closed without dispatch ÷ accepted (centre-wide)
    Tickets created in the period, except those not accepted or handed off to emergency services;
    direct: closed by the operator's answer and never dispatched.
score (三率综合得分)
    response (on-time signing), resolution rate and satisfaction rate weighted by
    config KPI_WEIGHTS (default 30/35/35), as 0..100; a part with no data drops out and the
    other weights are rescaled; no data at all gives null.

Rates are fractions 0..1, or None where the denominator is 0.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from hotline.extensions import db
from hotline.models import Department, Ticket, TimelineEvent
from hotline.models.base import sortable_stamp, utcnow
from hotline.reports.periods import Period

DEFAULT_WEIGHTS = {"response": 0.30, "resolution": 0.35, "satisfaction": 0.35}
# Answer 1 of question (1), "was it resolved?": 1 yes / 2 partly / 3 no.
RESOLVED_ANSWERS = (1,)
SATISFIED_ANSWERS = (1, 2)
RANKED_KINDS = ("bureau", "county", "utility", "street")

E = TimelineEvent


def rate(num: int, den: int) -> float | None:
    return num / den if den else None


def weights() -> dict[str, float]:
    return {**DEFAULT_WEIGHTS, **current_app.config.get("KPI_WEIGHTS", {})}


def composite(response: float | None, resolution: float | None, satisfaction: float | None) -> float | None:
    parts = {"response": response, "resolution": resolution, "satisfaction": satisfaction}
    w = weights()
    used = {k: v for k, v in parts.items() if v is not None and w.get(k, 0) > 0}
    total = sum(w[k] for k in used)
    if not total:
        return None
    return round(100 * sum(w[k] * v for k, v in used.items()) / total, 2)


def _in(col, p: Period):
    return and_(col >= p.start, col < p.end)


def _event_counts(p: Period) -> dict[int, dict[str, int]]:
    q = (
        select(
            E.department_id,
            func.count().filter(E.action == "dispatch").label("dispatched"),
            func.count().filter(E.action == "return").label("returns"),
            func.count().filter(E.action == "reject-return").label("rejected_returns"),
        )
        .where(E.action.in_(("dispatch", "return", "reject-return")), _in(E.at, p), E.department_id.is_not(None))
        .group_by(E.department_id)
    )
    return {r.department_id: r._asdict() for r in db.session.execute(q)}


def _signed_on_time(p: Period) -> dict[int, int]:
    nxt = aliased(TimelineEvent)
    # Per dispatch, one index probe into its ticket's events: was the next of (sign, dispatch,
    # approve-return) a sign on time? (A join on the next event's id would hash every sign ever.)
    next_is_sign_on_time = (
        select(and_(nxt.action == "sign", nxt.data["on_time"].as_boolean()))
        .where(nxt.ticket_id == E.ticket_id, nxt.id > E.id, nxt.action.in_(("sign", "dispatch", "approve-return")))
        .order_by(nxt.id)
        .limit(1)
        .correlate(E)
        .scalar_subquery()
    )
    q = (
        select(E.department_id, func.count())
        .where(E.action == "dispatch", _in(E.at, p), next_is_sign_on_time.is_(True))
        .group_by(E.department_id)
    )
    return dict(db.session.execute(q).all())


def _resolution_rounds(p: Period, now: dt.datetime) -> dict[int, list[int]]:
    """department -> [rounds due, replied on time]."""
    out: dict[int, list[int]] = {}
    current = (
        select(
            Ticket.department_id,
            func.count(),
            func.count().filter(Ticket.replied_at <= Ticket.due_at),
        )
        .where(
            _in(Ticket.due_at, p),
            Ticket.department_id.is_not(None),
            or_(Ticket.replied_at.is_not(None), Ticket.due_at <= now),
        )
        .group_by(Ticket.department_id)
    )
    for dept, due, on_time in db.session.execute(current):
        out[dept] = [due, on_time]
    due_s = E.data[("round", "due_at")].as_string()
    replied_s = E.data[("round", "replied_at")].as_string()
    ended = (
        select(
            E.department_id,
            func.count(),
            func.count().filter(replied_s <= due_s),
        )
        .where(
            E.action == "reopen",
            due_s >= sortable_stamp(p.start),
            due_s < sortable_stamp(p.end),
            E.department_id.is_not(None),
        )
        .group_by(E.department_id)
    )
    for dept, due, on_time in db.session.execute(ended):
        row = out.setdefault(dept, [0, 0])
        row[0] += due
        row[1] += on_time
    return out


def _ratings(p: Period) -> dict[int, dict[str, int]]:
    counted = ~Ticket.satisfaction_excluded
    q = (
        select(
            Ticket.department_id,
            func.count().label("completed"),
            func.count().filter(counted).label("rated"),
            func.count().filter(counted, Ticket.callback_resolved.in_(RESOLVED_ANSWERS)).label("resolved"),
            func.count().filter(counted, Ticket.callback_satisfaction.in_(SATISFIED_ANSWERS)).label("satisfied"),
            func.count().filter(Ticket.satisfaction_excluded).label("excluded"),
        )
        .where(_in(Ticket.callback_at, p), Ticket.callback_satisfaction.is_not(None))
        .group_by(Ticket.department_id)
    )
    return {r.department_id: r._asdict() for r in db.session.execute(q)}


def _closings(p: Period) -> dict[int, dict[str, int]]:
    q = (
        select(
            Ticket.department_id,
            func.count().filter(Ticket.status == "closed").label("closed"),
            func.count().filter(Ticket.status == "closed", Ticket.reopen_count > 0).label("reopened"),
            func.count().filter(Ticket.close_reason == "unreachable").label("unreachable"),
        )
        .where(_in(Ticket.closed_at, p))
        .group_by(Ticket.department_id)
    )
    return {r.department_id: r._asdict() for r in db.session.execute(q)}


def direct_answer(p: Period) -> dict[str, Any]:
    q = select(
        func.count().filter(Ticket.status.not_in(("not_accepted", "handed_off"))),
        func.count().filter(Ticket.close_reason == "answered", Ticket.dispatch_rounds == 0),
    ).where(_in(Ticket.created_at, p))
    accepted, direct = db.session.execute(q).one()
    return {"accepted": accepted, "answered_directly": direct, "direct_answer_rate": rate(direct, accepted)}


def call_centre(p: Period) -> dict[str, Any] | None:
    """接通率 and the other call-centre figures, from the call records (issue 6's module).

    CALL-CENTRE PLACEHOLDER: until hotline.reports.calls exists this returns None and the reports
    show the call-centre section as "no call records"."""
    try:
        from hotline.reports import calls  # type: ignore[attr-defined]
    except ImportError:
        return None
    return calls.call_centre_figures(p.start, p.end)


def departments(kinds: tuple[str, ...] | None = None) -> list[Department]:
    q = select(Department).where(Department.kind != "center", Department.active.is_(True))
    q = q.order_by(Department.code)
    if kinds:
        q = q.where(Department.kind.in_(kinds))
    return list(db.session.scalars(q))


def department_kpis(
    p: Period, depts: list[Department] | None = None, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """One dict per department with the CONTRACT.md fields and the counts behind each rate."""
    now = now or utcnow()
    depts = departments() if depts is None else depts
    events, signed = _event_counts(p), _signed_on_time(p)
    rounds, ratings, closings = _resolution_rounds(p, now), _ratings(p), _closings(p)
    direct = direct_answer(p)["direct_answer_rate"]
    out = []
    for d in depts:
        ev = events.get(d.id, {})
        dispatched = ev.get("dispatched", 0)
        due, on_time = rounds.get(d.id, [0, 0])
        rt = ratings.get(d.id, {})
        cl = closings.get(d.id, {})
        completed = rt.get("completed", 0)
        eligible = completed + cl.get("unreachable", 0)
        row = {
            "department": d.code,
            "name": d.name,
            "kind": d.kind,
            "dispatched": dispatched,
            "signed_on_time": signed.get(d.id, 0),
            "signed_on_time_rate": rate(signed.get(d.id, 0), dispatched),
            "due": due,
            "resolved_on_time": on_time,
            "resolved_on_time_rate": rate(on_time, due),
            "rated": rt.get("rated", 0),
            "resolved": rt.get("resolved", 0),
            "satisfied": rt.get("satisfied", 0),
            "excluded": rt.get("excluded", 0),
            "resolution_rate": rate(rt.get("resolved", 0), rt.get("rated", 0)),
            "satisfaction_rate": rate(rt.get("satisfied", 0), rt.get("rated", 0)),
            "callbacks_completed": completed,
            "callbacks_eligible": eligible,
            "callback_rate": rate(completed, eligible),
            "returns": ev.get("returns", 0),
            "rejected_returns": ev.get("rejected_returns", 0),
            "return_rate": rate(ev.get("returns", 0), dispatched),
            "closed": cl.get("closed", 0),
            "reopened": cl.get("reopened", 0),
            "reopen_rate": rate(cl.get("reopened", 0), cl.get("closed", 0)),
            "direct_answer_rate": direct,
        }
        row["score"] = composite(row["signed_on_time_rate"], row["resolution_rate"], row["satisfaction_rate"])
        out.append(row)
    return out


def rankings(p: Period, previous: Period, now: dt.datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Departments ranked by the composite score within each kind, with last month's rank beside."""
    depts = departments(RANKED_KINDS)
    cur, prev = department_kpis(p, depts, now), department_kpis(previous, depts, now)

    def ranked(rows: list[dict[str, Any]]) -> dict[str, int]:
        scored = sorted((r for r in rows if r["score"] is not None), key=lambda r: (-r["score"], r["department"]))
        return {r["department"]: i for i, r in enumerate(scored, 1)}

    out: dict[str, list[dict[str, Any]]] = {}
    for kind in RANKED_KINDS:
        c = [r for r in cur if r["kind"] == kind]
        pr = {r["department"]: r for r in prev if r["kind"] == kind}
        ranks, prev_ranks = ranked(c), ranked(list(pr.values()))
        rows = []
        for r in c:
            code = r["department"]
            before = pr.get(code, {}).get("score")
            rows.append(
                {
                    "rank": ranks.get(code),
                    "department": code,
                    "name": r["name"],
                    "score": r["score"],
                    "signed_on_time_rate": r["signed_on_time_rate"],
                    "resolution_rate": r["resolution_rate"],
                    "satisfaction_rate": r["satisfaction_rate"],
                    "previous_rank": prev_ranks.get(code),
                    "previous_score": before,
                    "rank_change": (prev_ranks[code] - ranks[code]) if code in ranks and code in prev_ranks else None,
                    "score_change": round(r["score"] - before, 2)
                    if r["score"] is not None and before is not None
                    else None,
                }
            )
        rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["department"]))
        out[kind] = rows
    return out


def _local_day(col):
    """The Asia/Shanghai calendar day of a UTC time column, as YYYY-MM-DD text (China has no DST)."""
    return func.to_char(func.timezone("Asia/Shanghai", col), "YYYY-MM-DD")


def daily(p: Period) -> list[dict[str, Any]]:
    """Per local day: tickets created, answered directly, dispatches, and tickets closed (wallboard charts)."""
    days: dict[str, dict[str, Any]] = {}
    d = p.first
    while d <= p.last:
        days[d.isoformat()] = {"date": d.isoformat(), "created": 0, "answered": 0, "dispatched": 0, "closed": 0}
        d += dt.timedelta(days=1)
    created = _local_day(Ticket.created_at)
    for day, n, answered in db.session.execute(
        select(created, func.count(), func.count().filter(Ticket.close_reason == "answered"))
        .where(_in(Ticket.created_at, p))
        .group_by(created)
    ):
        if day in days:
            days[day].update(created=n, answered=answered)
    at = _local_day(E.at)
    for day, n in db.session.execute(select(at, func.count()).where(E.action == "dispatch", _in(E.at, p)).group_by(at)):
        if day in days:
            days[day]["dispatched"] = n
    closed = _local_day(Ticket.closed_at)
    for day, n in db.session.execute(
        select(closed, func.count()).where(_in(Ticket.closed_at, p), Ticket.status == "closed").group_by(closed)
    ):
        if day in days:
            days[day]["closed"] = n
    return list(days.values())


def officer_kpis(p: Period, dept: Department) -> list[dict[str, Any]]:
    """Per handling officer (承办人) of one department: the tickets dispatched to it in the period that the
    officer handles, how many were replied, replied by their due time, rated and rated satisfied."""
    from hotline.models import User

    on_time = and_(Ticket.replied_at.is_not(None), or_(Ticket.due_at.is_(None), Ticket.replied_at <= Ticket.due_at))
    rows = db.session.execute(
        select(
            User.username,
            User.display_name,
            func.count().label("handled"),
            func.count(Ticket.replied_at).label("replied"),
            func.count().filter(on_time).label("replied_on_time"),
            func.count(Ticket.callback_satisfaction).label("rated"),
            func.count().filter(Ticket.callback_satisfaction.in_(SATISFIED_ANSWERS)).label("satisfied"),
        )
        .join(User, User.id == Ticket.handler_id)
        .where(Ticket.department_id == dept.id, _in(Ticket.dispatched_at, p))
        .group_by(User.username, User.display_name)
        .order_by(User.username)
    ).all()
    return [
        {
            "user": r.username,
            "name": r.display_name,
            "handled": r.handled,
            "replied": r.replied,
            "replied_on_time": r.replied_on_time,
            "replied_on_time_rate": rate(r.replied_on_time, r.replied),
            "rated": r.rated,
            "satisfaction_rate": rate(r.satisfied, r.rated),
        }
        for r in rows
    ]


def department_month(p: Period, previous: Period, dept: Department) -> dict[str, Any]:
    """What a department sees of itself (/agents/department/kpis): its row of the supervisors' KPI report, its rank
    among departments of its kind, and its officers' figures."""
    own = department_kpis(p, [dept])[0]
    ranking = rankings(p, previous).get(dept.kind, [])
    mine = next((r for r in ranking if r["department"] == dept.code), None)
    return {
        "kpis": own,
        "rank": mine["rank"] if mine else None,
        "previous_rank": mine["previous_rank"] if mine else None,
        "ranked": sum(1 for r in ranking if r["rank"] is not None),
        "officers": officer_kpis(p, dept),
    }
