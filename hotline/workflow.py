"""The ticket lifecycle as data (DOMAIN.md): statuses, their groups, and one transition table.

Pure: no database, no Flask. `hotline.actions` asks `check()` before every change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    ACCEPTED = "accepted"  # 已受理
    DISPATCHED = "dispatched"  # 待签收
    IN_PROGRESS = "in_progress"  # 办理中
    RETURN_PENDING = "return_pending"  # 退单待审
    REPLY_REVIEW = "reply_review"  # 待审核
    CALLBACK_PENDING = "callback_pending"  # 待回访
    REOPENED = "reopened"  # 重办
    CLOSED = "closed"  # 办结
    MERGED = "merged"  # 已并单
    NOT_ACCEPTED = "not_accepted"  # 不予受理
    HANDED_OFF = "handed_off"  # 转110/119/120/122


OPEN = frozenset(
    {
        Status.ACCEPTED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.RETURN_PENDING,
        Status.REPLY_REVIEW,
        Status.CALLBACK_PENDING,
        Status.REOPENED,
    }
)
FINISHED = frozenset(set(Status) - OPEN)
# Statuses in which a department holds the ticket and its clocks run.
WITH_DEPARTMENT = frozenset({Status.DISPATCHED, Status.IN_PROGRESS, Status.REOPENED})
# Awaiting the department's signature (the sign clock runs).
AWAITING_SIGNATURE = frozenset({Status.DISPATCHED, Status.REOPENED})

# The coarse statuses the public sees.
PUBLIC_STATUS: dict[Status, str] = {
    Status.ACCEPTED: "received",
    Status.DISPATCHED: "handling",
    Status.IN_PROGRESS: "handling",
    Status.RETURN_PENDING: "handling",
    Status.REPLY_REVIEW: "handling",
    Status.REOPENED: "handling",
    Status.CALLBACK_PENDING: "replied",
    Status.CLOSED: "closed",
    Status.MERGED: "closed",
    Status.NOT_ACCEPTED: "closed",
    Status.HANDED_OFF: "closed",
}

ROLES = ("operator", "supervisor", "department", "leader", "admin")
CENTRE = frozenset({"operator", "supervisor", "admin"})
SUPERVISORS = frozenset({"supervisor", "admin"})
DEPARTMENT = frozenset({"department"})
CENTRE_READERS = frozenset({"operator", "supervisor", "leader", "admin"})
# Jobs and webhooks acting for nobody in particular (the callback survey's IVR and SMS, the workers).
SYSTEM_ROLE = frozenset({"system"})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[Status]
    # None: the action leaves the status alone or picks among `targets` itself.
    target: Status | None
    roles: frozenset[str]
    # Which department staff may fire it: "lead" (主办), "party" (lead or assisting), or "" (none).
    party: str = ""
    targets: frozenset[Status] = frozenset()

    def allowed_targets(self) -> frozenset[Status]:
        return self.targets | ({self.target} if self.target else frozenset())


def _t(action, sources, target, roles, party="", targets=()):
    return Transition(action, frozenset(sources), target, frozenset(roles), party, frozenset(targets))


S = Status
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("answer", {S.ACCEPTED}, S.CLOSED, CENTRE),
        _t("dispatch", {S.ACCEPTED}, S.DISPATCHED, CENTRE),
        _t("merge", {S.ACCEPTED}, S.MERGED, CENTRE),
        _t("not-accept", {S.ACCEPTED}, S.NOT_ACCEPTED, CENTRE),
        _t("hand-off", {S.ACCEPTED}, S.HANDED_OFF, CENTRE),
        _t("sign", AWAITING_SIGNATURE, S.IN_PROGRESS, DEPARTMENT, "lead"),
        _t("return", {S.DISPATCHED, S.IN_PROGRESS}, S.RETURN_PENDING, DEPARTMENT, "lead"),
        _t("approve-return", {S.RETURN_PENDING}, S.ACCEPTED, SUPERVISORS),
        # A rejected return goes back to the status it was returned from (signed or not), with its clock.
        _t("reject-return", {S.RETURN_PENDING}, None, SUPERVISORS, targets={S.DISPATCHED, S.IN_PROGRESS}),
        _t("request-extension", {S.IN_PROGRESS}, None, DEPARTMENT, "lead"),
        _t("approve-extension", {S.IN_PROGRESS}, None, SUPERVISORS),
        _t("reject-extension", {S.IN_PROGRESS}, None, SUPERVISORS),
        _t("reply", {S.IN_PROGRESS}, S.REPLY_REVIEW, DEPARTMENT, "lead"),
        _t("approve-reply", {S.REPLY_REVIEW}, S.CALLBACK_PENDING, SUPERVISORS),
        _t("reject-reply", {S.REPLY_REVIEW}, S.IN_PROGRESS, SUPERVISORS),
        _t(
            "record-callback",
            {S.CALLBACK_PENDING},
            None,
            CENTRE | SYSTEM_ROLE,
            targets={S.CLOSED, S.CALLBACK_PENDING},
        ),
        _t("reopen", {S.CALLBACK_PENDING}, S.REOPENED, SUPERVISORS),
        # 回访: nobody reached after every attempt (or the caller is on the do-not-call list): closed unrated.
        _t("close-unreachable", {S.CALLBACK_PENDING}, S.CLOSED, SUPERVISORS | SYSTEM_ROLE),
        # Verified dissatisfaction with a lawful outcome (enforcement, mediation): closed, rating excluded.
        _t("close-excluded", {S.CALLBACK_PENDING}, S.CLOSED, SUPERVISORS),
        _t("urge", WITH_DEPARTMENT, None, SUPERVISORS | {"leader"}),
        _t("supervise", WITH_DEPARTMENT, None, SUPERVISORS | {"leader"}),
        _t("answer-supervision", WITH_DEPARTMENT | {S.REPLY_REVIEW}, None, DEPARTMENT, "lead"),
        _t("note", OPEN, None, CENTRE | DEPARTMENT, "party"),
        # 更正: operators before dispatch only (the action checks), supervisors at any open status.
        _t("reclassify", OPEN, None, CENTRE),
        # 承办人: the lead department names its handling officer.
        _t("assign", WITH_DEPARTMENT | {S.REPLY_REVIEW}, None, DEPARTMENT, "lead"),
        # 二级派单: the lead passes the ticket on to one of its children (SUB_TRANSITIONS say when) and reviews the
        # child's reply; its own status and clock stay as they are until it approves.
        _t("sub-dispatch", {S.IN_PROGRESS}, None, DEPARTMENT, "lead"),
        _t("approve-sub-reply", {S.IN_PROGRESS}, S.REPLY_REVIEW, DEPARTMENT, "lead"),
        _t("reject-sub-reply", {S.IN_PROGRESS}, None, DEPARTMENT, "lead"),
    )
}
# Actions raised by the system (the deadline workers), not by a person.
# "callback" records a callback-survey step on the timeline (also of a closed, directly answered ticket);
# "call-transfer" records that the ticket's call was handed on (转接), whatever state the ticket is in.
SYSTEM_ACTIONS = frozenset({"deadline", "callback", "send-failed", "call-transfer"})


class SubStatus(StrEnum):
    """Where a sub-dispatched ticket stands with the child department (the ticket itself stays in_progress)."""

    DISPATCHED = "dispatched"  # 待签收 by the child
    IN_PROGRESS = "in_progress"  # the child handles it
    REPLY_REVIEW = "reply_review"  # the child replied; the lead reviews
    APPROVED = "approved"  # the lead took the child's reply to the centre


SUB_OPEN = frozenset({SubStatus.DISPATCHED, SubStatus.IN_PROGRESS, SubStatus.REPLY_REVIEW})


@dataclass(frozen=True)
class SubTransition:
    """One step of the second-level state machine: from which sub-statuses (None: never sub-dispatched), to what,
    and who fires it: the lead department ("lead") or the child it sub-dispatched to ("sub")."""

    action: str
    sources: frozenset[SubStatus | None]
    target: SubStatus | None
    by: str


SUB_TRANSITIONS: dict[tuple[str, str], SubTransition] = {
    (t.by, t.action): t
    for t in (
        SubTransition("sub-dispatch", frozenset({None, SubStatus.APPROVED}), SubStatus.DISPATCHED, "lead"),
        SubTransition("sign", frozenset({SubStatus.DISPATCHED}), SubStatus.IN_PROGRESS, "sub"),
        SubTransition("reply", frozenset({SubStatus.IN_PROGRESS}), SubStatus.REPLY_REVIEW, "sub"),
        SubTransition("note", frozenset(SUB_OPEN), None, "sub"),
        SubTransition("approve-sub-reply", frozenset({SubStatus.REPLY_REVIEW}), SubStatus.APPROVED, "lead"),
        SubTransition("reject-sub-reply", frozenset({SubStatus.REPLY_REVIEW}), SubStatus.IN_PROGRESS, "lead"),
        # While the child holds the ticket the lead does not reply over its head (it rejects or approves).
        SubTransition("reply", frozenset({None, SubStatus.APPROVED}), None, "lead"),
    )
}


class TransitionError(Exception):
    """The action is not allowed: `status` is 403 (no right) or 409 (wrong state)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def check(action: str, current: str, role: str) -> Transition:
    """The transition for `action` from `current` by a user of `role`, or TransitionError."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionError(404, "unknown_action", f"unknown action {action!r}")
    if role not in transition.roles:
        raise TransitionError(403, "forbidden", f"a {role} may not {action}")
    if Status(current) not in transition.sources:
        raise TransitionError(409, "illegal_transition", f"cannot {action} a ticket that is {current}")
    return transition


def check_sub(action: str, current: str, sub_status: str | None, by: str) -> SubTransition | None:
    """The second-level step for `action` by the lead ("lead") or the child ("sub"), or TransitionError.
    None when the action has no second-level rule for that side (only the ticket's table applies)."""
    transition = SUB_TRANSITIONS.get((by, action))
    if transition is None:
        if by == "sub":
            raise TransitionError(403, "forbidden", f"a sub-dispatched department may not {action}")
        return None
    if by == "sub" and Status(current) != Status.IN_PROGRESS:
        raise TransitionError(409, "illegal_transition", f"cannot {action} a ticket that is {current}")
    state = SubStatus(sub_status) if sub_status else None
    if state not in transition.sources:
        raise TransitionError(409, "illegal_transition", f"cannot {action} while the sub-dispatch is {sub_status}")
    return transition


def actions_available(current: str, role: str) -> list[str]:
    """Actions a role could fire from a status (before action-specific guards)."""
    status = Status(current)
    return [a for a, t in TRANSITIONS.items() if role in t.roles and status in t.sources]
