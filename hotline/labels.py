"""Display names of the domain's codes, translated: shared by the consoles (agents_ui.labels) and the exports."""

from __future__ import annotations

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
TYPE = {
    "consult": _l("Consultation"),
    "help": _l("Help request"),
    "complaint": _l("Complaint"),
    "report": _l("Report"),
    "suggestion": _l("Suggestion"),
    "praise": _l("Praise"),
}
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
