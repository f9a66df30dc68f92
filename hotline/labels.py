"""The one label table: the display name of every code the staff and the public see (statuses, timeline actions,
channels, reasons, outcomes...), translated through Flask-Babel (Simplified Chinese first, English from the same
entries).

Used three ways, never copied: the Jinja filter `label` (`{{ t.status|label('status') }}`), `label(kind, code)` in
Python (exports, print), and `as_json()`, which the consoles embed so their scripts render live events with the
same words. A code with no entry shows as itself: `test_labels` checks that every code the workflow and the
actions write has an entry and a Chinese translation.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

STATUS = {
    "accepted": _l("Accepted"),
    "dispatched": _l("Awaiting signature"),
    "in_progress": _l("In progress"),
    "return_pending": _l("Return pending"),
    "reply_review": _l("Reply under review"),
    "callback_pending": _l("Awaiting callback"),
    "reopened": _l("Reopened"),
    "closed": _l("Closed"),
    "merged": _l("Merged"),
    "not_accepted": _l("Not accepted"),
    "handed_off": _l("Handed off"),
}
# What a citizen sees of the status (public status check, track page).
PUBLIC_STATUS = {
    "received": _l("Received"),
    "handling": _l("Being handled"),
    "replied": _l("Replied"),
    "closed": _l("Closed"),
}
TYPE = {
    "consult": _l("Consultation"),
    "help": _l("Help request"),
    "complaint": _l("Complaint"),
    "report": _l("Report"),
    "suggestion": _l("Suggestion"),
    "praise": _l("Praise"),
}
# The same types as the public form words them (举报 spelled out for citizens).
PUBLIC_TYPE = {**TYPE, "report": _l("Report of wrongdoing")}
CHANNEL = {
    "phone": _l("Phone"),
    "web": _l("Web message"),
    "sms": _l("SMS"),
    "open311": _l("Open311"),
    "mailbox": _l("Leaders' mailbox"),
    "app": _l("App"),
}
# 受理五要素
ELEMENT = {
    "who": _l("Who"),
    "when": _l("When it happened"),
    "where": _l("Where"),
    "cause": _l("Cause (category)"),
    "what": _l("What happened"),
}
URGENCY = {"normal": _l("Normal"), "urgent": _l("Urgent"), "critical": _l("Critical")}
DEPARTMENT_KIND = {
    "bureau": _l("City bureaus"),
    "county": _l("Districts and counties"),
    "utility": _l("Public utilities"),
    "street": _l("Streets and towns"),
}
# Every action a timeline event may carry: the workflow's transitions and the events the system writes.
ACTION = {
    "create": _l("Created"),
    "answer": _l("Answer directly"),
    "dispatch": _l("Dispatch"),
    "merge": _l("Merge"),
    "merged-from": _l("Duplicate merged into this ticket"),
    "not-accept": _l("Not accept"),
    "hand-off": _l("Hand off"),
    "sign": _l("Sign for"),
    "return": _l("Return"),
    "approve-return": _l("Approve return"),
    "reject-return": _l("Reject return"),
    "request-extension": _l("Request extension"),
    "approve-extension": _l("Approve extension"),
    "reject-extension": _l("Reject extension"),
    "reply": _l("Reply"),
    "approve-reply": _l("Approve reply"),
    "reject-reply": _l("Reject reply"),
    "record-callback": _l("Record callback"),
    "reopen": _l("Reopen"),
    "urge": _l("Urge"),
    "supervise": _l("Supervise"),
    "answer-supervision": _l("Answer supervision"),
    "note": _l("Note"),
    "reclassify": _l("Reclassify"),
    "close-excluded": _l("Close, rating excluded"),
    "close-unreachable": _l("Close as unreachable"),
    "callback": _l("Callback"),
    "attach": _l("Photo attached"),
    "deadline": _l("Deadline"),
    "sign-warning": _l("Signing deadline near"),
    "sign-overdue": _l("Signing overdue"),
    "handle-warning": _l("Handling deadline near"),
    "handle-overdue": _l("Handling overdue"),
    "handle-notice": _l("Overdue to public-notice level"),
    "supervision-warning": _l("Supervision answer due soon"),
    "supervision-overdue": _l("Supervision answer overdue"),
    "due-moved": _l("Due time moved (calendar)"),
    "send-failed": _l("Sending failed"),
    "call-transfer": _l("Call transferred"),
    "assign": _l("Assign officer"),
    "sub-dispatch": _l("Sub-dispatch"),
    "sub-sign": _l("Sub-dispatch signed"),
    "sub-reply": _l("Sub-dispatch reply"),
    "approve-sub-reply": _l("Approve sub-dispatch reply"),
    "reject-sub-reply": _l("Reject sub-dispatch reply"),
    "code-resent": _l("Retrieval code sent again"),
    "repeat-flag": _l("Repeat request linked"),
}
# The steps of a callback (回访) recorded as `callback` events.
CALLBACK_STEP = {
    "scheduled": _l("Callback scheduled"),
    "call": _l("Survey call placed"),
    "call-ended": _l("Survey call ended"),
    "call-failed": _l("Survey call failed"),
    "sms": _l("Survey SMS sent"),
    "answered": _l("Survey answered"),
    "rescheduled": _l("Callback rescheduled"),
    "cancelled": _l("Callback cancelled"),
    "manual": _l("Callback recorded by hand"),
    "unreachable": _l("Caller unreachable"),
    "closed": _l("Closed"),
}
# How one callback attempt went (CallbackAttempt.channel / .outcome).
CALLBACK_CHANNEL = {"call": _l("Survey call"), "sms": _l("Survey SMS"), "manual": _l("Call by hand")}
CALLBACK_OUTCOME = {
    "answered": _l("Answered"),
    "replied": _l("Replied by SMS"),
    "incomplete": _l("Hung up before answering"),
    "busy": _l("Busy line"),
    "no-answer": _l("No answer"),
    "failed": _l("Failed"),
    "canceled": _l("Cancelled"),
    "error": _l("Failed"),
    "timeout": _l("No result in time"),
    "expired": _l("No reply in time"),
    "refused": _l("Refused the survey"),
    "wrong-number": _l("Wrong number"),
}
SUB_STATUS = {
    "dispatched": _l("Waiting for the street to sign"),
    "in_progress": _l("Handled by the street"),
    "reply_review": _l("Street replied: review"),
    "approved": _l("Street reply approved"),
}
NOTICE_KIND = {
    "dispatch": _l("New ticket"),
    "sub-dispatch": _l("Sub-dispatch"),
    "warning": _l("Warning"),
    "overdue": _l("Overdue"),
    "notice": _l("Public-notice level"),
    "urge": _l("Urge"),
    "supervise": _l("Supervise"),
}
RETURN_REASON = {
    "wrong_area": _l("Wrong area"),
    "ownership_unclear": _l("Ownership unclear"),
    "overlapping_duties": _l("Overlapping duties"),
    "not_government": _l("Not government's remit"),
}
CLOSE_REASON = {
    "answered": _l("Answered directly"),
    "callback": _l("Callback done"),
    "unreachable": _l("Caller unreachable"),
    "excluded": _l("Rating excluded (lawful outcome)"),
    "rated": _l("Rated by the caller"),
}
RESOLVED = {1: _l("Yes, resolved"), 2: _l("Partly"), 3: _l("Not resolved")}
SATISFACTION = {1: _l("Satisfied"), 2: _l("Basically satisfied"), 3: _l("Dissatisfied")}
ROLE = {
    "operator": _l("Operator"),
    "supervisor": _l("Supervisor"),
    "department": _l("Department staff"),
    "leader": _l("Leader"),
    "admin": _l("Administrator"),
}
# A change to the dispatch catalogue (派单目录).
RULE_OP = {"create": _l("Added"), "update": _l("Changed"), "delete": _l("Removed")}
# Who did it, when it was not a staff member (the timeline's actor_label for the system and citizens).
ACTOR = {
    "system": _l("System"),
    "citizen": _l("Citizen"),
}
# The phone: presence (话务员状态), call direction and outcome.
PRESENCE = {
    "available": _l("Available"),
    "busy": _l("Busy"),
    "after_call": _l("After-call work"),
    "away": _l("Away"),
}
DIRECTION = {"inbound": _l("Incoming"), "outbound": _l("Outgoing")}
OUTCOME = {
    "answered": _l("Answered"),
    "abandoned": _l("Abandoned"),
    "voicemail": _l("Voice message"),
    "self_service": _l("Self-service"),
    "missed": _l("Busy line"),
    "no_answer": _l("No answer"),
    "failed": _l("Failed"),
}

TABLES: dict[str, dict] = {
    "status": STATUS,
    "public_status": PUBLIC_STATUS,
    "type": TYPE,
    "public_type": PUBLIC_TYPE,
    "channel": CHANNEL,
    "element": ELEMENT,
    "urgency": URGENCY,
    "department_kind": DEPARTMENT_KIND,
    "action": ACTION,
    "callback_step": CALLBACK_STEP,
    "callback_channel": CALLBACK_CHANNEL,
    "callback_outcome": CALLBACK_OUTCOME,
    "role": ROLE,
    "rule_op": RULE_OP,
    "sub_status": SUB_STATUS,
    "notice_kind": NOTICE_KIND,
    "return_reason": RETURN_REASON,
    "close_reason": CLOSE_REASON,
    "resolved": RESOLVED,
    "satisfaction": SATISFACTION,
    "actor": ACTOR,
    "presence": PRESENCE,
    "direction": DIRECTION,
    "outcome": OUTCOME,
}


def label(kind: str, code: object) -> str:
    """The display name of `code` in table `kind`; an unknown code as itself, None as ''."""
    if code is None or code == "":
        return ""
    table = TABLES[kind]
    found = table.get(code)
    if found is None and isinstance(code, str) and code.isdigit():
        found = table.get(int(code))
    return str(found) if found is not None else str(code)


def as_json() -> dict[str, dict[str, str]]:
    """Every table in the request's language, for the page scripts (keys as strings, as JSON has them)."""
    return {kind: {str(k): str(v) for k, v in table.items()} for kind, table in TABLES.items()}


def actor(actor_label: str | None, display_name: str | None = None) -> str:
    """Who did it in plain words: a staff member's display name, 系统 for the system, 市民（网上留言） for a citizen
    through a channel (the timeline's actor_label is `citizen:<channel>`)."""
    if display_name:
        return display_name
    if not actor_label:
        return ""
    kind, _sep, channel = actor_label.partition(":")
    if kind == "citizen" and channel:
        return f"{ACTOR['citizen']}（{label('channel', channel)}）"
    return label("actor", actor_label)


def init_app(app: Flask) -> None:
    """`{{ code|label('status') }}` and `{{ e.actor|actor(e.actor_name) }}` in every template."""
    app.add_template_filter(label_filter, "label")
    app.add_template_filter(actor, "actor")


def label_filter(code: object, kind: str) -> str:
    return label(kind, code)
