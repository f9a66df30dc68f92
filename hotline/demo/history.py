"""`seed-demo --history DAYS`: the demo city's past month, replayed through the real actions.

Every ticket of hotline.demo.plans lives its life through hotline.actions with the clock moved to each step's
instant (hotline.models.base.replayed_clock): the call record (answered, voice message), intake, dispatch,
returns, signing, extensions, urging and supervision, the deadline jobs' warnings and overdue marks at their
instants, replies and their review, the callback survey's calls and ratings, reopening. A step whose instant is
after the end (now) does not happen: the ticket is left where its life has reached, so today's tickets are open
with their clocks running.

Speed: one database transaction per ticket. The actions commit as they always do; the replay's session joins an
outer transaction on one connection (SQLAlchemy's "create_savepoint" mode), so each action's commit releases a
savepoint, and the ticket's whole life is committed once, without waiting for the disk (synchronous_commit off:
a crash mid-seed loses the last tickets, never leaves half of one).

Side effects of the past (外部影响): the actions write their outbox rows as always (SMS to callers and liaisons,
survey calls, socket events, deadline and callback jobs). In the past these would already have happened, so at
the end of each ticket's transaction its rows are marked delivered with `last_error` "demo history: not sent"
(kept for inspection), except the jobs that are still ahead of now: the deadline checks of open tickets and the
callback steps of pending surveys, which the relay hands to RQ's scheduler like any other. Nothing of the past is
sent as an SMS, placed as a call or shown as a live socket event.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

from psycopg.pq import TransactionStatus
from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from hotline import actions, memo, outbox
from hotline.actions import call_records, surveys, voice_messages
from hotline.actions import callbacks as callback_actions
from hotline.actions import calls as call_actions
from hotline.actions.deadlines import check_deadlines
from hotline.demo import city
from hotline.demo.plans import CallPlan, TicketPlan, make_plans
from hotline.errors import DomainError
from hotline.extensions import db
from hotline.models import Callback, Department, OperatorPresence, Ticket, User
from hotline.models.base import ReplayedClock, replayed_clock, utcnow
from hotline.routing.catalogue import match
from hotline.workflow import OPEN

log = logging.getLogger(__name__)
MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
NOT_SENT = "demo history: not sent"
# Jobs that still matter when their instant is ahead of now.
FUTURE_JOBS = ("hotline.tasks.deadlines.check_ticket", "hotline.tasks.deadlines.check_notice")
FUTURE_JOBS += (callback_actions.RUN_JOB,)


class Refused(Exception):
    """The database is not one the history may be added to."""


@dataclass
class Summary:
    days: int
    seed: int
    tickets: int = 0
    calls: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    skipped_steps: Counter = field(default_factory=Counter)
    redone: int = 0  # plans replayed again, a savepoint per action (see _LifeSession)

    def line(self) -> str:
        open_ = sum(n for s, n in self.statuses.items() if s in OPEN)
        return (
            f"{self.tickets} tickets ({open_} open) and {self.calls} calls over {self.days} days "
            f"in {self.seconds:.1f} s (seed {self.seed})"
        )


@dataclass
class Cast:
    """Who acts in the history: the demo centre staff and one handling officer per department."""

    operators: list[User]  # one per replaying process; the first is the demo `operator`
    supervisor: User
    leader: User
    staff: dict[str, User]  # the liaison (联络员) of each department
    officers: dict[str, str]  # a handling officer's username per department
    children: dict[str, list[str]]  # the departments below one (a district's streets), for sub-dispatch


def _cast(workers: int = 1) -> Cast:
    by_name = {u.username: u for u in db.session.scalars(select(User).where(User.role != "department"))}
    missing = [n for n in ("operator", "supervisor", "leader") if n not in by_name]
    if missing:
        raise Refused(f"the demo users are missing ({', '.join(missing)}): run seed-demo without --history first")
    staff: dict[str, User] = {}
    officers: dict[str, User] = {}
    rows = db.session.execute(
        select(Department, User)
        .outerjoin(User, (User.department_id == Department.id) & (User.role == "department"))
        .where(Department.kind != "center", Department.active.is_(True))
        .order_by(Department.id, User.id)
    ).all()
    for dept, user in rows:
        if user is not None and user.username == _officer_name(dept.code):
            officers[dept.code] = user
            continue
        if dept.code in staff:
            continue
        if user is None:
            # A handling officer for the history's timelines; no password, so no one can log in as them.
            user = User(
                username=f"staff-{dept.code.lower()}",
                password_hash="!",
                display_name=f"{dept.name}联络员",
                role="department",
                department_id=dept.id,
                active=True,
            )
            db.session.add(user)
        staff[dept.code] = user
    names = {dept.code: dept.name for dept, _user in rows}
    for code, liaison in staff.items():
        if code not in officers:
            # 承办人: the colleague the liaison names as the ticket's handling officer (issue 19); no password.
            officers[code] = User(
                username=_officer_name(code),
                password_hash="!",
                display_name=f"{names[code]}承办人",
                role="department",
                department_id=liaison.department_id,
                active=True,
            )
            db.session.add(officers[code])
    operators = [by_name["operator"]]
    for k in range(2, workers + 1):
        # More operators for more replaying processes (each takes its own calls); they cannot log in.
        user = by_name.get(f"operator-{k}") or User(
            username=f"operator-{k}", password_hash="!", display_name=f"话务员{k}号", role="operator", active=True
        )
        db.session.add(user)
        operators.append(user)
    db.session.commit()
    # The actors act in the replay's own sessions: loaded once here, then detached.
    people = [*by_name.values(), *staff.values(), *operators]
    for user in people:
        db.session.refresh(user)
    children: dict[str, list[str]] = defaultdict(list)
    codes = {dept.id: dept.code for dept, _user in rows}
    for dept, _user in rows:
        if dept.parent_id in codes and dept.code in staff and dept.code not in children[codes[dept.parent_id]]:
            children[codes[dept.parent_id]].append(dept.code)
    db.session.expunge_all()
    usernames = {code: user.username for code, user in officers.items()}
    return Cast(operators, by_name["supervisor"], by_name["leader"], staff, usernames, dict(children))


def _officer_name(code: str) -> str:
    return f"officer-{code.lower()}"


# What the replay reads of a ticket between its steps: the deadline clocks and what is already raised, the
# status, and the matter (what a repeat merges into).
_ROW = (
    Ticket.sign_warn_at,
    Ticket.sign_warned_at,
    Ticket.sign_due_at,
    Ticket.sign_overdue_at,
    Ticket.warn_at,
    Ticket.warned_at,
    Ticket.due_at,
    Ticket.overdue_at,
    Ticket.notice_at,
    Ticket.notice_flagged_at,
    Ticket.status,
    Ticket.paused_at,
    Ticket.category_code,
    Ticket.region_code,
)
_ROW_KEYS = tuple(column.key for column in _ROW)


class _Redo(BaseException):
    """An action rolled back after writing: in one transaction for the whole life, that undoes the life so far;
    the replay runs the plan again with a savepoint per action (a BaseException: no action's handler keeps it)."""


class _LifeSession(Session):
    """The session of one plan's life, in one transaction that the replay commits at the end.

    An action's commit flushes its changes and forgets what was loaded, as a commit does, and sends nothing
    more: no savepoint to open and release around each action. The departments and users stay loaded (nothing
    changes them during the replay). A rollback after a read-only peek (several actions look, then roll back)
    costs nothing either; after a write it cannot undo that action alone, so it rolls the whole life back and
    raises _Redo, and the plan is replayed in a SavepointSession. A refused step (DomainError) is one of those
    only if the action had written before refusing; none of the plans' steps is refused by the rules today."""

    KEPT = (Department, User)

    def __init__(self, conn) -> None:
        super().__init__(bind=conn, join_transaction_mode="rollback_only", expire_on_commit=False)
        self.wrote = False
        self.kept: set = set()
        self.seen: dict[int, dict] = {}  # the tickets loaded at the last commit: their _ROW values
        event.listen(self, "before_flush", self._writes)
        event.listen(self, "do_orm_execute", self._executes)

    def _writes(self, *_args) -> None:
        self.wrote = True

    def _executes(self, state) -> None:
        if not state.is_select:
            self.wrote = True

    def connection(self, *args, **kwargs):
        self.wrote = True  # a driver cursor (hotline.extensions.pg_cursor) may write
        return super().connection(*args, **kwargs)

    def commit(self) -> None:
        super().commit()
        self.wrote = False
        self._forget()

    def rollback(self) -> None:
        failed = self.bind.connection.driver_connection.info.transaction_status == TransactionStatus.INERROR
        if self.wrote or failed or self.deleted:
            self.undo()
            raise _Redo
        for obj in list(self.new):
            self.expunge(obj)
        self._forget()  # unflushed changes are discarded, as by a rollback
        super().commit()  # ends the session's transaction: nothing is flushed, nothing reaches the database

    def undo(self) -> None:
        """The whole life rolled back (the outer transaction with it)."""
        super().rollback()
        self.wrote = False
        self.seen = {}

    def end_of_life(self) -> None:
        """Between two plans: only the departments and users stay (the session serves the whole replay)."""
        for obj in list(self.identity_map.values()):
            if isinstance(obj, self.KEPT):
                self.kept.add(obj)
            else:
                self.expunge(obj)

    def _forget(self) -> None:
        self.seen = {}
        for obj in list(self.identity_map.values()):
            if isinstance(obj, self.KEPT):
                self.kept.add(obj)  # the identity map holds its objects weakly
                continue
            if isinstance(obj, Ticket) and all(key in obj.__dict__ for key in _ROW_KEYS):
                # Flushed, so as in the database: no code changes a ticket but through its ORM object.
                self.seen[obj.id] = {key: obj.__dict__[key] for key in _ROW_KEYS}
            self.expire(obj)


def _savepoint_session(conn) -> Session:
    """The exact way, for a plan whose life needs an action undone: each action's commit releases a savepoint."""
    return Session(bind=conn, join_transaction_mode="create_savepoint")


@contextmanager
def _one_transaction(conn, life: _LifeSession | None) -> Iterator[None]:
    """The actions' session joins one outer transaction, committed once the plan's life is over: the replay's
    _LifeSession, or (life None) a savepoint session of its own."""
    outer = conn.begin()
    session = life or _savepoint_session(conn)
    previous = db.session.registry()
    db.session.registry.set(session)
    try:
        yield
        session.commit()  # the last changes flushed: the update below is the outer transaction's own
        params = {"mark": _MARK[0], "real_now": _REAL_NOW[0], "keep": list(FUTURE_JOBS), "now_iso": _REAL_NOW[1]}
        _MARK[0] = conn.execute(_NOT_SENT, params).scalar_one()
        outer.commit()
    except BaseException:
        if life is not None:
            life.undo()
        if outer.is_active:
            outer.rollback()
        raise
    finally:
        if life is not None:
            life.end_of_life()
        else:
            session.close()
        db.session.registry.set(previous)


# Set at the start of a run: the real time, as a time and as the text the job rows carry; the highest outbox id
# before the ticket's transaction.
_REAL_NOW: list = [None, None]
_MARK: list = [0]

# The rows this transaction wrote (above the mark; the relay sees none of them before the commit): what is past
# is marked as not sent, jobs still ahead stay for the relay. Answers the new mark.
_NOT_SENT = text(
    "WITH past AS (UPDATE outbox SET delivered_at = :real_now, last_error = '" + NOT_SENT + "'"
    " WHERE id > :mark AND delivered_at IS NULL"
    " AND NOT (kind = 'job' AND payload->>'func' = ANY(:keep) AND payload->>'at' > :now_iso) RETURNING id)"
    " SELECT coalesce(max(id), :mark) FROM outbox"
)


class Replay:
    def __init__(
        self, cast: Cast, operator: User, part: int, clock: ReplayedClock, end: dt.datetime, summary: Summary
    ) -> None:
        self.cast, self.operator, self.part = cast, operator, part
        self.clock, self.end, self.summary = clock, end, summary
        # Open tickets by (category, region): what a repeat of the matter merges into.
        self.open_by_matter: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.call_seq = 0
        self.routes: dict[tuple[str, str], str | None] = {}
        self.clocked: set[int] = set()  # tickets whose deadline clocks have started
        self.life: _LifeSession | None = None  # the session the plans' actions use (see _in_transaction)

    def save(self) -> tuple:
        """What a plan's life changes in the replay's own state (open_by_matter changes only at its end)."""
        s = self.summary
        return self.call_seq, s.tickets, s.calls, Counter(s.skipped_steps)

    def restore(self, saved: tuple) -> None:
        s = self.summary
        self.call_seq, s.tickets, s.calls, skipped = saved  # (clocked may keep the undone ticket's id: unused)
        s.skipped_steps = Counter(skipped)

    # ---- the clock ------------------------------------------------------------------------------------

    def at(self, when: dt.datetime) -> bool:
        """Move the clock to `when`; False (and the clock stays) when that is after the end of the history."""
        if when >= self.end:
            return False
        self.clock.set(when)
        return True

    def _row(self, ticket_id: int) -> SimpleNamespace:
        """The ticket's clocks, status and matter: as the last commit left them when it had the ticket loaded
        (_LifeSession.seen), else from the database."""
        life = self.life
        if life is not None and db.session.registry() is life and ticket_id in life.seen:
            return SimpleNamespace(**life.seen[ticket_id])
        row = db.session.execute(select(*_ROW).where(Ticket.id == ticket_id)).one()
        return SimpleNamespace(**row._asdict())

    def catch_up(self, ticket_id: int, until: dt.datetime) -> None:
        """Run the deadline jobs that would have run on this ticket before `until`, at their instants."""
        t = self._row(ticket_id)
        if t.status not in OPEN or t.paused_at is not None:
            return
        pending = sorted(
            planned
            for planned, raised in (
                (t.sign_warn_at, t.sign_warned_at),
                (t.sign_due_at, t.sign_overdue_at),
                (t.warn_at, t.warned_at),
                (t.due_at, t.overdue_at),
                (t.notice_at, t.notice_flagged_at),
            )
            if planned is not None and raised is None and planned < min(until, self.end)
        )
        for instant in dict.fromkeys(pending):
            self.clock.set(instant)
            check_deadlines(ticket_id, instant)

    def step(self, ticket_id: int, when: dt.datetime, name: str, fn, *args, **kwargs):
        """One action at `when`, after the deadline jobs due before it; None when it is past the end, or
        when the action refuses (a guard of the real rules: the life stops there)."""
        if when >= self.end:
            return None
        if ticket_id in self.clocked:
            self.catch_up(ticket_id, when)
        self.clock.set(when)
        try:
            result = fn(*args, **kwargs) or True
            if name in ("dispatch", "reopen"):
                self.clocked.add(ticket_id)  # its deadline clocks run from now on
            return result
        except DomainError as exc:
            self.summary.skipped_steps[f"{name}:{exc.code}"] += 1
            return None

    # ---- calls --------------------------------------------------------------------------------------------

    def _sid(self) -> str:
        self.call_seq += 1
        return f"CAdemo{self.summary.seed:08d}{self.part}{self.call_seq:07d}"

    def answered_call(self, plan: TicketPlan, rng: random.Random) -> tuple[int, str] | None:
        """The caller reaches an operator; returns the call's id and when the operator has the matter."""
        ring = plan.at - dt.timedelta(seconds=rng.randint(60, 150))
        wait = dt.timedelta(seconds=int(rng.triangular(2, 60, 8)))
        sid = self._sid()
        self.clock.set(ring)
        call_actions.incoming_call(sid, plan.caller_phone, "12345")
        self.clock.set(ring + dt.timedelta(seconds=6))
        route = call_actions.route_call(sid)
        if route.kind != "dial":  # nobody free (a presence changed elsewhere): it stays a queued call
            return None
        call_id = route.call.id
        self.clock.set(ring + wait)
        call_actions.call_status(f"{sid}-op", "in-progress", at=ring + wait, parent_call_sid=sid)
        self.summary.calls += 1
        return call_id, sid

    def end_call(self, sid: str, when: dt.datetime) -> None:
        """The caller hangs up (a call still going on at the end of the history goes on)."""
        if self.at(when):
            call_actions.call_status(sid, "completed", at=when)

    def abandoned_call(self, plan: CallPlan) -> None:
        gone = plan.at + dt.timedelta(seconds=8 + (plan.index * 7) % 50)
        if gone >= self.end:
            return
        sid = self._sid()
        self.clock.set(plan.at)
        call_actions.incoming_call(sid, plan.caller_phone, plan.line)
        self.clock.set(plan.at + dt.timedelta(seconds=6))
        route = call_actions.route_call(sid)
        self.clock.set(gone)
        call_actions.call_status(sid, "completed", at=gone)
        self.summary.calls += 1
        if plan.called_back_after is not None and self.at(gone + plan.called_back_after):
            call_records.mark_called_back(route.call.id, self.operator)

    # ---- one ticket's life --------------------------------------------------------------------------------

    def ticket(self, plan: TicketPlan) -> None:
        rng = random.Random(plan.seed)
        op = self.operator
        data = actions.IntakeData(
            channel=plan.channel,
            type=plan.type,
            urgency=plan.urgency,
            content=plan.content,
            caller_phone=plan.caller_phone,
            caller_name=plan.caller_name,
            category_code=plan.topic.category,
            region_code=plan.region,
            address=plan.address,
            title=plan.title if plan.channel in ("web", "mailbox", "app") else None,
            publishable=plan.publishable,
        )
        t = plan.at
        call = None
        if plan.channel == "phone" and plan.phone_outcome == "voicemail":
            sid = self._sid()
            self.clock.set(t - MIN)
            call_actions.incoming_call(sid, plan.caller_phone, "12345")
            self.clock.set(t)
            call, ticket, _code = voice_messages.voice_message(sid, None, plan.content)
            self.end_call(sid, t + dt.timedelta(seconds=40))
            self.summary.calls += 1
            ticket_id = ticket.id
            # The operator calls back, takes the details, and goes on as with any ticket.
            t += dt.timedelta(minutes=rng.randint(15, 180))
            if not self.step(ticket_id, t, "called-back", call_records.mark_called_back, call.id, op):
                return self._done(ticket_id)
        else:
            answered = self.answered_call(plan, rng) if plan.channel == "phone" else None
            self.clock.set(t)
            if plan.channel in ("web", "mailbox", "open311"):
                source = "open311" if plan.channel == "open311" else "web"
                ticket, _code, _token = actions.submit_public_request(data, actions.ChannelDetails(source=source))
            else:
                ticket, _code = actions.create_ticket(data, op if plan.channel == "phone" else None)
            ticket_id = ticket.id
            if answered is not None:
                call_id, sid = answered
                call_records.link_call_ticket(call_id, ticket_id, op)
                talk = dt.timedelta(seconds=rng.randint(60, 300))
                if plan.outcome in ("answer", "not_accept", "hand_off"):
                    self._intake_outcome(plan, ticket_id, t + talk - 10 * dt.timedelta(seconds=1), rng)
                    self.end_call(sid, t + talk)
                    return self._done(ticket_id)
                self.end_call(sid, t + talk)
                t += talk
        if plan.outcome in ("answer", "not_accept", "hand_off"):
            # Written channels wait for an operator's working hours.
            self._intake_outcome(plan, ticket_id, _office(t + dt.timedelta(minutes=rng.randint(5, 90)), rng), rng)
            return self._done(ticket_id)
        if plan.outcome == "merge":
            targets = self.open_by_matter.get((plan.topic.category, plan.region))
            if targets:
                when = _office(t + dt.timedelta(minutes=rng.randint(3, 60)), rng)
                self.step(ticket_id, when, "merge", actions.merge_ticket, ticket_id, op, targets[-1])
                return self._done(ticket_id)
        self._handle(plan, ticket_id, t, rng)
        self._done(ticket_id)

    def _intake_outcome(self, plan: TicketPlan, ticket_id: int, when: dt.datetime, rng: random.Random) -> None:
        op = self.operator
        if plan.outcome == "answer":
            text = plan.topic.answer or "已按知识库解答来电人，来电人表示清楚。"
            if self.step(ticket_id, when, "answer", actions.answer_ticket, ticket_id, op, text):
                self._callback_if_any(plan, ticket_id, rng, direct=True)
        elif plan.outcome == "not_accept":
            reason = rng.choice(city.NOT_ACCEPTED_REASONS)
            self.step(ticket_id, when, "not-accept", actions.not_accept_ticket, ticket_id, op, reason)
        else:
            target = rng.choice(city.HANDOFF_TARGETS)
            self.step(ticket_id, when, "hand-off", actions.hand_off_ticket, ticket_id, op, target)

    def _department(self, plan: TicketPlan, rng: random.Random) -> str | None:
        if plan.region == city.DISTRICT and rng.random() < city.DISTRICT_LOCAL_SHARE:
            return city.DISTRICT_GOVERNMENT
        key = (plan.topic.category, plan.region)
        if key not in self.routes:
            rule = match(*key)  # the dispatch catalogue, as the operator console suggests it
            self.routes[key] = rule["department"] if rule else None
        return self.routes[key]

    @staticmethod
    def _child_for(plan: TicketPlan, children: list[str], rng: random.Random) -> str:
        """The street of the matter's region when it has one, else any of the district's streets."""
        own = [c for c in children if c.endswith(plan.region)]
        return own[0] if own else rng.choice(sorted(children))

    def _wrong_department(self, right: str, rng: random.Random) -> str:
        others = [c for c in self.cast.staff if c != right and c.startswith(("ST-", "GOV-", "XC-"))]
        near = [c for c in others if c[:3] == right[:3]] or others
        return rng.choice(near)

    def _handle(self, plan: TicketPlan, ticket_id: int, t: dt.datetime, rng: random.Random) -> None:
        """Dispatch to the department and on through its handling, review and the callback survey."""
        f, op, sup = plan.fate, self.operator, self.cast.supervisor
        dept = self._department(plan, rng)
        if dept is None or dept not in self.cast.staff:
            self.step(ticket_id, _office(t + 5 * MIN, rng), "answer", actions.answer_ticket, ticket_id, op, plan.reply)
            return
        assisting = []
        if f.assisting:
            assisting = [c for c in self.cast.staff if c.startswith("XC-") and c != dept][rng.randrange(20) :][:1]
        urgent = plan.urgency != "normal"
        t = t + dt.timedelta(minutes=rng.randint(2, 15)) if urgent else _office(t + rng.randint(3, 40) * MIN, rng)
        first = self._wrong_department(dept, rng) if f.misrouted else dept
        if not self.step(
            ticket_id, t, "dispatch", actions.dispatch_ticket, ticket_id, op, first, assisting if first == dept else []
        ):
            return
        if f.misrouted:
            staff = self.cast.staff[first]
            t = _office(t + dt.timedelta(minutes=rng.randint(30, 300)), rng)
            note = city.RETURN_NOTES[reason := rng.choice(city.RETURN_REASONS)]
            if not self.step(ticket_id, t, "return", actions.return_ticket, ticket_id, staff, reason, note):
                return
            t = _office(t + dt.timedelta(minutes=rng.randint(20, 180)), rng)
            if f.return_rejected:
                if not self.step(
                    ticket_id,
                    t,
                    "reject-return",
                    actions.reject_return,
                    ticket_id,
                    sup,
                    "经核实属于贵单位职责，请继续办理。",
                ):
                    return
                dept = first
            else:
                if not self.step(ticket_id, t, "approve-return", actions.approve_return, ticket_id, sup):
                    return
                t += dt.timedelta(minutes=rng.randint(5, 30))
                if not self.step(ticket_id, t, "dispatch", actions.dispatch_ticket, ticket_id, op, dept, assisting):
                    return
        self._department_round(plan, ticket_id, dept, t, rng, reopened=False)

    def _department_round(
        self, plan: TicketPlan, ticket_id: int, dept: str, t: dt.datetime, rng: random.Random, reopened: bool
    ) -> None:
        f, sup = plan.fate, self.cast.supervisor
        staff = self.cast.staff[dept]
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None
        sign_due = ticket.sign_due_at or t + HOUR
        if f.late_sign and not reopened:
            sign_at = sign_due + dt.timedelta(hours=rng.triangular(0.2, 72, 4))  # overdue, escalated
        else:
            sign_at = t + (sign_due - t) * rng.triangular(0.03, 0.9, 0.15)
        sign_at = _office(sign_at, rng) if plan.urgency == "normal" else sign_at
        if not self.step(ticket_id, sign_at, "sign", actions.sign_ticket, ticket_id, staff):
            return
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.due_at is not None
        due, signed = ticket.due_at, sign_at
        pace = rng.uniform(0.2, 0.8) if reopened else f.pace
        reply_at = signed + (due - signed) * pace
        if due.astimezone(_tz()).date() == self.end.astimezone(_tz()).date() and due > self.end and rng.random() < 0.6:
            reply_at = due + dt.timedelta(minutes=rng.randint(30, 600))  # still open today: its clock turns red
        if plan.urgency == "normal":
            reply_at = _office(reply_at, rng)
        if f.assigned and not reopened:
            officer = self.cast.officers[dept]
            assign_at = sign_at + dt.timedelta(minutes=rng.randint(2, 40))
            self.step(ticket_id, assign_at, "assign", actions.assign_officer, ticket_id, staff, officer)
        replier = staff  # the lead department, or the street it passed the ticket on to (二级派单)
        children = self.cast.children.get(dept)
        if f.sub_dispatched and children and not reopened and plan.urgency == "normal":
            window = reply_at - signed
            sub_at = _office(signed + window * rng.uniform(0.05, 0.15), rng)
            child_sign = _office(sub_at + window * rng.uniform(0.05, 0.15), rng)
            child = self._child_for(plan, children, rng)
            if child_sign < reply_at and self.step(
                ticket_id, sub_at, "sub-dispatch", actions.sub_dispatch, ticket_id, staff, child
            ):
                replier = self.cast.staff[child]
                if not self.step(ticket_id, child_sign, "sub-sign", actions.sign_ticket, ticket_id, replier):
                    return
        if f.extension and not reopened:
            ask_at = _office(signed + (due - signed) * 0.5, rng)
            reason = rng.choice(city.EXTENSION_REASONS)
            if self.step(
                ticket_id, ask_at, "extension", actions.request_extension, ticket_id, staff, f.extension, reason
            ):
                decide = _office(ask_at + dt.timedelta(minutes=rng.randint(30, 300)), rng)
                decision = actions.reject_extension if f.extension_rejected else actions.approve_extension
                if not self.step(ticket_id, decide, "extension-decision", decision, ticket_id, sup):
                    return
                ticket = db.session.get(Ticket, ticket_id)
                assert ticket is not None and ticket.due_at is not None
                reply_at = max(reply_at, decide + HOUR)
                if not f.extension_rejected:
                    reply_at = _office(decide + (ticket.due_at - decide) * rng.uniform(0.3, 0.9), rng)
        if f.urged and not reopened:
            urge_at = signed + (reply_at - signed) * rng.uniform(0.4, 0.8)
            self.step(ticket_id, urge_at, "urge", actions.urge_ticket, ticket_id, sup, rng.choice(city.URGE_NOTES))
        if f.supervised and not reopened and reply_at > due:
            sup_at = due + (reply_at - due) * 0.3
            actor = self.cast.leader if rng.random() < 0.3 else sup
            note = rng.choice(city.SUPERVISE_NOTES)
            if self.step(ticket_id, sup_at, "supervise", actions.supervise_ticket, ticket_id, actor, note):
                answer_at = sup_at + (reply_at - sup_at) * 0.5
                text_ = "已成立专班处理，正在协调整改，将于近日书面回复。"
                self.step(
                    ticket_id, answer_at, "answer-supervision", actions.answer_supervision, ticket_id, staff, text_
                )
        if not self.step(ticket_id, reply_at, "reply", actions.reply_ticket, ticket_id, replier, plan.reply):
            return
        if replier is not staff:  # the lead reviews its street's reply and takes it to the centre
            reply_at = _office(reply_at + dt.timedelta(minutes=rng.randint(20, 180)), rng)
            if not self.step(ticket_id, reply_at, "approve-sub-reply", actions.approve_sub_reply, ticket_id, staff):
                return
        review_at = _office(reply_at + dt.timedelta(minutes=rng.randint(20, 240)), rng)
        if f.reply_rejected and not reopened:
            note = rng.choice(city.REPLY_REJECT_NOTES)
            if not self.step(ticket_id, review_at, "reject-reply", actions.reject_reply, ticket_id, sup, note):
                return
            redo = _office(review_at + dt.timedelta(hours=rng.randint(2, 30)), rng)
            better = plan.reply + "已电话联系来电人说明处理情况，来电人表示认可。"
            if not self.step(ticket_id, redo, "reply", actions.reply_ticket, ticket_id, staff, better):
                return
            review_at = _office(redo + dt.timedelta(minutes=rng.randint(20, 240)), rng)
        if not self.step(ticket_id, review_at, "approve-reply", actions.approve_reply, ticket_id, sup):
            return
        rating = self._callback_if_any(plan, ticket_id, rng, direct=False, second=reopened)
        if rating != 3 or reopened:
            return
        # Dissatisfied: the supervisor verifies, then reopens (重办) or closes it as excluded.
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.callback_at is not None
        verify = _office(ticket.callback_at + dt.timedelta(hours=rng.randint(1, 20)), rng)
        if f.dissatisfied_excluded:
            reason = "该事项已依法依规处理，来电人诉求超出政策规定，不满意原因不计入考核。"
            self.step(ticket_id, verify, "close-excluded", actions.close_excluded, ticket_id, sup, reason)
            return
        if self.step(ticket_id, verify, "reopen", actions.reopen_ticket, ticket_id, sup, rng.choice(city.REOPEN_NOTES)):
            self._department_round(plan, ticket_id, dept, verify, rng, reopened=True)

    def _callback_if_any(
        self, plan: TicketPlan, ticket_id: int, rng: random.Random, direct: bool, second: bool = False
    ) -> int | None:
        """Drive the callback survey the approval (or a sampled direct answer) scheduled, through its real
        steps: survey calls at their planned instants, not answered or answered with the planned ratings,
        then the SMS survey and, unanswered, the unrated close. Returns the satisfaction given, if any."""
        f = plan.fate
        answered_on = f.callback_answered_on
        satisfaction = f.second_satisfaction if second else f.satisfaction
        resolved = 1 if second else f.resolved
        if direct:
            satisfaction, resolved = rng.choice((1, 1, 1, 2)), 1
        manual = rng.random() < city.MANUAL_CALLBACK
        for _ in range(8):
            cb = db.session.execute(
                select(Callback.id, Callback.seq, Callback.next_attempt_at, Callback.status, Callback.call_attempts)
                .where(Callback.ticket_id == ticket_id)
                .order_by(Callback.id.desc())
                .limit(1)
            ).first()
            if cb is None or cb.next_attempt_at is None or cb.status not in ("scheduled", "calling", "sms_sent"):
                return None
            when = cb.next_attempt_at
            if when >= self.end:
                return None
            self.clock.set(when)  # (no clock runs while a callback is pending)
            if not direct and manual and answered_on and cb.call_attempts == 0:
                # The centre's staff call from the desk and record the answers by hand.
                when += dt.timedelta(minutes=rng.randint(0, 90))
                rec = actions.record_callback
                if self.step(
                    ticket_id, when, "record-callback", rec, ticket_id, self.cast.supervisor, resolved, satisfaction
                ):
                    return satisfaction
                return None
            order = callback_actions.advance(cb.id, cb.seq)
            if order is None:
                continue  # rescheduled into the window, or the SMS survey sent / expired
            sid = self._sid()
            callback_actions.call_started(order.attempt_id, sid)
            if order.attempt_id and cb.call_attempts + 1 == answered_on:
                self.clock.set(when + dt.timedelta(seconds=rng.randint(40, 120)))
                actor = callback_actions.IVR
                surveys.record_answers(cb.id, resolved, satisfaction, "call", actor, call_sid=sid)
                return satisfaction
            self.clock.set(when + dt.timedelta(seconds=rng.randint(25, 45)))
            callback_actions.call_outcome(cb.id, sid, rng.choice(("no-answer", "no-answer", "busy")))
        return None

    def _done(self, ticket_id: int) -> None:
        t = self._row(ticket_id)
        if t.status in OPEN:
            if ticket_id in self.clocked:
                self.catch_up(ticket_id, self.end)
            if t.category_code and t.region_code:
                self.open_by_matter[(t.category_code, t.region_code)].append(ticket_id)
        self.summary.statuses[t.status] += 1
        self.summary.tickets += 1


def _tz():
    from hotline.deadlines.calendar import TZ

    return TZ


def _office(when: dt.datetime, rng: random.Random) -> dt.datetime:
    """The next instant within office hours (08:30-17:30 local, Monday to Friday) at or after `when`: when
    department staff and the centre's back office act on normal tickets."""
    local = when.astimezone(_tz())
    start, stop = (8, 30), (17, 30)
    for _ in range(10):
        if local.weekday() < 5 and start <= (local.hour, local.minute) < stop:
            return local.astimezone(dt.UTC)
        if local.weekday() < 5 and (local.hour, local.minute) < start:
            local = local.replace(hour=8, minute=30 + rng.randint(0, 29), second=rng.randint(0, 59))
            continue
        local = (local + dt.timedelta(days=1)).replace(hour=8, minute=30, second=0)
        local += dt.timedelta(minutes=rng.randint(0, 59))
    return local.astimezone(dt.UTC)


def _presence(operators: list[User], at: dt.datetime) -> dict[int, str | None]:
    """The operators take the history's calls: available while it runs; their presence is put back after."""
    before: dict[int, str | None] = {}
    for user in operators:
        presence = db.session.get(OperatorPresence, user.id)
        before[user.id] = presence.status if presence else None
        if presence is None:
            presence = OperatorPresence(user_id=user.id, status="available", changed_at=at)
            db.session.add(presence)
        presence.status, presence.changed_at, presence.current_call_id = "available", at, None
    db.session.commit()
    return before


def has_tickets() -> bool:
    return db.session.scalar(select(Ticket.id).limit(1)) is not None


def default_workers() -> int:
    """One replaying process per core (at most 4): the replay is bound by the processor, Python's and the
    database's, and its tickets are independent but for the few that merge (each process merges its own)."""
    return max(1, min(4, os.cpu_count() or 1))


def seed_history(
    days: int,
    seed: int = 12345,
    end: dt.datetime | None = None,
    per_day: int = city.TICKETS_PER_DAY,
    progress=None,
    workers: int = 1,
) -> Summary:
    """Replay `days` days (and today up to `end`, default now) of the demo city; refuses a database that
    already has tickets (a second run would double the month).

    With `workers` > 1 the tickets are shared among as many forked processes (ticket i to process i mod n),
    each with its own connection and its own operator taking its calls. The month is the same; only the order
    in which the processes reserve ticket numbers varies, so the numbers are reproducible with one worker."""
    started = time.monotonic()
    end = end or utcnow()
    if has_tickets():
        raise Refused("the database already has tickets: the demo history goes only into an empty one")
    cast = _cast(workers)
    tickets, abandoned = make_plans(days, seed, end, per_day)
    summary = Summary(days=days, seed=seed)
    mark = db.session.scalar(text("SELECT coalesce(max(id), 0) FROM outbox"))
    first = min([p.at for p in tickets] + [c.at for c in abandoned], default=end)
    presence_before = _presence(cast.operators, first - HOUR)
    db.session.remove()  # nothing of this session's connection may cross into a forked process
    if workers <= 1:
        _replay_part(cast, 0, tickets, abandoned, end, mark, summary, progress)
    else:
        import multiprocessing

        fork = multiprocessing.get_context("fork")
        results = fork.Queue()
        procs = [
            fork.Process(
                target=_replay_in_child,
                args=(results, cast, k, tickets[k::workers], abandoned[k::workers], end, mark, seed, progress),
                name=f"demo-history-{k}",
            )
            for k in range(workers)
        ]
        for proc in procs:
            proc.start()
        parts = [results.get() for _ in procs]
        for proc in procs:
            proc.join()
        failed = [p for p in parts if isinstance(p, str)]
        if failed:
            raise RuntimeError("a replaying process failed:\n" + "\n".join(failed))
        for part in parts:
            summary.tickets += part.tickets
            summary.calls += part.calls
            summary.statuses.update(part.statuses)
            summary.skipped_steps.update(part.skipped_steps)
            summary.redone += part.redone
    _restore_presence(presence_before)
    summary.seconds = time.monotonic() - started
    return summary


def _replay_in_child(results, cast, k, tickets, abandoned, end, mark, seed, progress) -> None:
    """A forked process: its own pool (the parent's connections are left to the parent), its share."""
    db.engine.dispose(close=False)
    summary = Summary(days=0, seed=seed)
    try:
        _replay_part(cast, k, tickets, abandoned, end, mark, summary, progress)
        results.put(summary)
    except BaseException:  # noqa: BLE001 - reported to the parent, which fails the run
        import traceback

        results.put(traceback.format_exc())
    finally:
        db.engine.dispose()


def _replay_part(
    cast: Cast,
    k: int,
    tickets: list[TicketPlan],
    abandoned: list[CallPlan],
    end: dt.datetime,
    mark: int,
    summary: Summary,
    progress,
) -> None:
    _REAL_NOW[0], _REAL_NOW[1] = end, end.astimezone(dt.UTC).isoformat()
    _MARK[0] = mark
    with replayed_clock() as clock, outbox.replaying_past(end, FUTURE_JOBS), memo.remembering():
        replay = Replay(cast, cast.operators[k], k, clock, end, summary)
        conn = db.engine.connect()
        replay.life = _LifeSession(conn)
        try:
            conn.exec_driver_sql("SET synchronous_commit TO OFF")
            conn.commit()
            calls = iter(abandoned)
            next_call = next(calls, None)
            for n, plan in enumerate(tickets, start=1):
                while next_call is not None and next_call.at <= plan.at:
                    _in_transaction(conn, replay, replay.abandoned_call, next_call)
                    next_call = next(calls, None)
                _in_transaction(conn, replay, replay.ticket, plan)
                if progress and n % 500 == 0:
                    progress(n, len(tickets))
            while next_call is not None:
                _in_transaction(conn, replay, replay.abandoned_call, next_call)
                next_call = next(calls, None)
            conn.exec_driver_sql("RESET synchronous_commit")
            conn.commit()
        finally:
            replay.life.close()
            conn.close()
            db.session.remove()


def _in_transaction(conn, replay: Replay, fn, plan) -> None:
    """One plan in one transaction; once more from the start, a savepoint per action, if an action had to be
    undone (_Redo) or PostgreSQL broke a deadlock between two replaying processes (a caller who phoned twice, in
    both processes' tickets at once)."""
    saved = replay.save()
    life: _LifeSession | None = replay.life
    for attempt in (1, 2, 3):
        try:
            with _one_transaction(conn, life):
                fn(plan)
            return
        except _Redo:
            if life is None:
                raise RuntimeError(f"plan {plan.index}: an action was undone in savepoint mode") from None
        except OperationalError as exc:
            if attempt == 3 or "deadlock" not in str(exc):
                raise
            log.warning("deadlock replaying %s; once more", plan.index)
        replay.restore(saved)
        life = None
        replay.summary.redone += 1


def _restore_presence(before: dict[int, str | None]) -> None:
    for user_id, status in before.items():
        presence = db.session.get(OperatorPresence, user_id)
        if presence is not None:
            if status is None:
                db.session.delete(presence)
            else:
                presence.status, presence.current_call_id = status, None
    db.session.commit()


__all__ = ["CallPlan", "Refused", "Summary", "TicketPlan", "default_workers", "seed_history"]
