"""All models, importable from one place (Alembic sees them through this module)."""

from hotline.models.agents import KnowledgeArticle, ReplyTemplate, TicketClaim
from hotline.models.callbacks import Callback, CallbackAttempt
from hotline.models.calls import Call, LeaderSlot, OperatorPresence, SmsMessage
from hotline.models.catalogue import (
    CalendarOverride,
    Category,
    Department,
    DispatchRule,
    HotlineLine,
    OfficialCalendarDay,
    OfficialCalendarYear,
    Region,
)
from hotline.models.notices import NOTICE_KINDS, Notice, NoticePreference
from hotline.models.outbox import OutboxMessage
from hotline.models.people import ApiToken, AuditEntry, Caller, User
from hotline.models.public import Attachment, PublicSubmission
from hotline.models.reports import ContactRead, HotspotAlert
from hotline.models.routing import DispatchRuleChange, RepeatComplaint, SuggestionModel, TicketSignature
from hotline.models.tickets import (
    Assignment,
    ExtensionRequest,
    ReturnRequest,
    SupervisionNotice,
    Ticket,
    TicketNumberCounter,
    TimelineEvent,
)

__all__ = [
    "NOTICE_KINDS",
    "ApiToken",
    "AuditEntry",
    "Notice",
    "NoticePreference",
    "Callback",
    "CallbackAttempt",
    "Assignment",
    "Attachment",
    "Call",
    "CalendarOverride",
    "Caller",
    "ContactRead",
    "Category",
    "Department",
    "DispatchRule",
    "DispatchRuleChange",
    "ExtensionRequest",
    "HotlineLine",
    "HotspotAlert",
    "KnowledgeArticle",
    "LeaderSlot",
    "OfficialCalendarDay",
    "OfficialCalendarYear",
    "OperatorPresence",
    "OutboxMessage",
    "PublicSubmission",
    "Region",
    "RepeatComplaint",
    "ReplyTemplate",
    "ReturnRequest",
    "SmsMessage",
    "SuggestionModel",
    "SupervisionNotice",
    "Ticket",
    "TicketClaim",
    "TicketNumberCounter",
    "TicketSignature",
    "TimelineEvent",
    "User",
]
