"""The only code that changes a ticket's state. One function per domain action."""

from hotline.actions._core import SYSTEM, SystemActor, ticket_action
from hotline.actions.attachments import attach_photo
from hotline.actions.callbacks import close_excluded, close_unreachable
from hotline.actions.corrections import reclassify_ticket
from hotline.actions.departments import approve_sub_reply, assign_officer, reject_sub_reply, sub_dispatch
from hotline.actions.intake import IntakeData, create_ticket, parse_intake
from hotline.actions.lifecycle import (
    add_note,
    answer_supervision,
    answer_ticket,
    approve_extension,
    approve_reply,
    approve_return,
    dispatch_ticket,
    hand_off_ticket,
    merge_ticket,
    not_accept_ticket,
    record_callback,
    reject_extension,
    reject_reply,
    reject_return,
    reopen_ticket,
    reply_ticket,
    request_extension,
    return_ticket,
    sign_ticket,
    supervise_ticket,
    urge_ticket,
)
from hotline.actions.public_intake import ChannelDetails, submit_public_request
from hotline.actions.surveys import handle_survey_sms, record_manual_attempt

__all__ = [
    "approve_sub_reply",
    "assign_officer",
    "reject_sub_reply",
    "sub_dispatch",
    "SYSTEM",
    "ChannelDetails",
    "IntakeData",
    "SystemActor",
    "add_note",
    "attach_photo",
    "answer_supervision",
    "answer_ticket",
    "close_excluded",
    "close_unreachable",
    "handle_survey_sms",
    "record_manual_attempt",
    "approve_extension",
    "approve_reply",
    "approve_return",
    "create_ticket",
    "dispatch_ticket",
    "hand_off_ticket",
    "merge_ticket",
    "not_accept_ticket",
    "parse_intake",
    "reclassify_ticket",
    "record_callback",
    "reject_extension",
    "reject_reply",
    "reject_return",
    "reopen_ticket",
    "reply_ticket",
    "request_extension",
    "return_ticket",
    "sign_ticket",
    "submit_public_request",
    "supervise_ticket",
    "ticket_action",
    "urge_ticket",
]
