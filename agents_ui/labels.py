"""Display names for the codes the consoles show, translated (passed to the page scripts as JSON)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from hotline.labels import CHANNEL, ELEMENT, STATUS, TYPE, URGENCY

ACTION = {
    "create": _l("Created"),
    "answer": _l("Answer directly"),
    "dispatch": _l("Dispatch"),
    "merge": _l("Merge"),
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
    "due-moved": _l("Due time moved (calendar)"),
    "send-failed": _l("Sending failed"),
}
RETURN_REASON = {
    "wrong_area": _l("Wrong area"),
    "ownership_unclear": _l("Ownership unclear"),
    "overlapping_duties": _l("Overlapping duties"),
    "not_government": _l("Not government's remit"),
}
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
}

# The phone: presence (话务员状态) and the softphone's states, for the console scripts.
PRESENCE = {
    "available": _l("Available"),
    "busy": _l("Busy"),
    "after_call": _l("After-call work"),
    "away": _l("Away"),
}
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


def all_labels() -> dict:
    def plain(d: dict) -> dict:
        return {k: str(v) for k, v in d.items()}

    return {
        "status": plain(STATUS),
        "type": plain(TYPE),
        "urgency": plain(URGENCY),
        "channel": plain(CHANNEL),
        "element": plain(ELEMENT),
        "action": plain(ACTION),
        "return_reason": plain(RETURN_REASON),
        "ui": plain(UI),
        "presence": plain(PRESENCE),
        "phone": plain(PHONE),
        "direction": plain(DIRECTION),
        "outcome": plain(OUTCOME),
    }
