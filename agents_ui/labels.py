"""The consoles' own words (buttons, hints, the softphone), passed to the page scripts as JSON with the label
table of hotline.labels, which names every domain code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from hotline import labels

UI = {
    "left": _l("left"),
    "overdue": _l("Overdue"),
    "saved": _l("Saved"),
    "failed": _l("Failed"),
    "none": _l("None"),
    "no_suggestions": _l("No suggestions yet"),
    "suggestions_unavailable": _l("Routing suggestions are not available"),
    "no_duplicates": _l("No possible duplicates"),
    "repeat_caller": _l("Repeat caller"),
    "new_caller": _l("First call"),
    "ringing": _l("Incoming call"),
    "reconnecting": _l("Reconnecting…"),
    "live": _l("Live"),
    "created": _l("Ticket created"),
    "use": _l("Use"),
    "merge_into": _l("Merge into this"),
    "confirm_delete": _l("Delete this article?"),
    "needs_review": _l("Low confidence: please check"),
    "emergency": _l("Emergency: hand off to 110/119/120/122"),
    "days": _l("d"),
    "hours": _l("h"),
    "minutes": _l("min"),
    "new_ticket": _l("New ticket"),
    "open": _l("open"),
    "show_contact": _l("Show contact"),
    "dispatched_to": _l("Dispatched to"),
    "answered": _l("Answered and closed"),
    "merged": _l("Merged"),
    "handed_off": _l("Handed off"),
    "confidence": _l("confidence"),
    "history": _l("Earlier tickets"),
    "approve": _l("Approve"),
    "catalogue_rule": _l("Dispatch catalogue"),
    "reject": _l("Reject"),
    "claim": _l("Claim"),
    "claimed_by": _l("Being handled by"),
    "mine": _l("Mine"),
    "missing": _l("Missing"),
    "complete": _l("Five elements complete"),
    "returned": _l("Returned"),
    "inbox_empty": _l("Nothing waits for dispatch."),
    "reclassified": _l("Corrected"),
    "released": _l("Released"),
    "page": _l("Page"),
    "print": _l("Print"),
    "templates": _l("Standard phrases"),
    "tickets": _l("tickets"),
    "delete": _l("Delete"),
    "sub_department": _l("Sub-dispatched to"),
    "handler": _l("Handling officer"),
    "sub_reply": _l("The street's reply"),
    # the work order page (工单)
    "no_action": _l("Nothing for you to do now"),
    "more_actions": _l("Other actions"),
    "sign_clock": _l("Sign by"),
    "handle_clock": _l("Reply by"),
    "time_left": _l("Time left"),
    "paused": _l("Clock paused"),
    "category": _l("Category"),
    "region": _l("Region"),
    "address": _l("Address"),
    "map": _l("Map"),
    "occurred": _l("When it happened"),
    "received": _l("Received at"),
    "channel": _l("Channel"),
    "caller": _l("Caller"),
    "lead": _l("Lead department"),
    "assisting": _l("Assisting departments"),
    "round": _l("Dispatch round"),
    "designated": _l("Designated by the centre"),
    "reply": _l("Reply"),
    "answer": _l("Answer"),
    "callback": _l("Callback"),
    "not_publishable": _l("Not to be published"),
    "no_events": _l("No events yet."),
    "retrieval_code": _l("Retrieval code"),
}
# What the ticket waits for, by status: the work order's "next step" for a user who cannot take it.
WAITING = {
    "accepted": _l("Waiting for the centre to dispatch"),
    "dispatched": _l("Waiting for the department to sign"),
    "in_progress": _l("The department is handling it"),
    "return_pending": _l("The centre is reviewing the return"),
    "reply_review": _l("The centre is reviewing the reply"),
    "callback_pending": _l("Waiting for the callback to the caller"),
    "reopened": _l("Reopened: waiting for the department to sign"),
    "closed": _l("Finished"),
    "merged": _l("Finished"),
    "not_accepted": _l("Finished"),
    "handed_off": _l("Finished"),
}

# The softphone's states and buttons, for the console scripts.
PHONE = {
    "idle": _l("No call"),
    "ringing": _l("Ringing"),
    "talking": _l("On the call"),
    "held": _l("On hold"),
    "muted": _l("Muted"),
    "ended": _l("Call ended"),
    "offline": _l("Softphone offline"),
    "ready": _l("Softphone ready"),
    "console": _l("Console simulator"),
    "not_configured": _l("Softphone not configured"),
    "seconds_left": _l("s left"),
    "calling_back": _l("Calling back"),
    "voicemail_content": _l("Voice message from the caller: "),
    "called_back": _l("Call-back placed"),
    "create_ticket": _l("Create a ticket"),
    "call_back": _l("Call back"),
    "play": _l("Play"),
    "pending": _l("Not fetched yet"),
    "remove": _l("Remove"),
    "transferred": _l("Call transferred"),
    "consulting": _l("Consulting (warm transfer)"),
    "consult_from": _l("a colleague asks you to join"),
    "calling": _l("Calling"),
    "busy_line": _l("Finish the call in progress first"),
}


def all_labels() -> dict:
    """The label table (hotline.labels) and the consoles' own words, in the request's language."""
    return {**labels.as_json(), "ui": plain(UI), "phone": plain(PHONE), "waiting": plain(WAITING)}


def plain(d: dict) -> dict:
    return {k: str(v) for k, v in d.items()}
