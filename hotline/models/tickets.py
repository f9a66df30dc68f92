"""The ticket aggregate: the ticket, its append-only timeline, assignments, returns, extensions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.base import UTCDateTime, utcnow
from hotline.models.catalogue import Category, Department, Region
from hotline.models.people import Caller, User

# The ids of the tables that grow with the tickets (a 64-bit identity, never reused).
BigId = BigInteger()


class Ticket(db.Model):
    """工单. Only hotline.actions assigns status, department and deadlines."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_department_status", "department_id", "status"),
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_caller_created", "caller_id", "created_at"),
        # One small partial index per clock mark: the sweep reads only what is due and unmarked,
        # so its cost follows the number of due tickets, not the number of open ones.
        Index(
            "ix_tickets_sweep_sign_warn",
            "sign_warn_at",
            postgresql_where=text(
                "sign_warned_at IS NULL AND signed_at IS NULL AND paused_at IS NULL"
                " AND status IN ('dispatched', 'reopened')"
            ),
        ),
        Index(
            "ix_tickets_sweep_sign_due",
            "sign_due_at",
            postgresql_where=text(
                "sign_overdue_at IS NULL AND signed_at IS NULL AND paused_at IS NULL"
                " AND status IN ('dispatched', 'reopened')"
            ),
        ),
        Index(
            "ix_tickets_sweep_warn",
            "warn_at",
            postgresql_where=text("warned_at IS NULL AND paused_at IS NULL AND status = 'in_progress'"),
        ),
        Index(
            "ix_tickets_sweep_due",
            "due_at",
            postgresql_where=text("overdue_at IS NULL AND paused_at IS NULL AND status = 'in_progress'"),
        ),
        Index(
            "ix_tickets_sweep_notice",
            "notice_at",
            postgresql_where=text("notice_flagged_at IS NULL AND paused_at IS NULL AND status = 'in_progress'"),
        ),
        # 工单查询: the character bigrams of the searchable text (hotline/search.py; the function is the migration's).
        Index(
            "ix_tickets_search_grams",
            func.ticket_search_grams(text("title"), text("content"), text("address"), text("reply_text")),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
        Index("ix_tickets_escalated", "escalated_at", postgresql_where=text("escalated_at IS NOT NULL")),
        # The reports (hotline.reports) read each figure by one time column over a period; the
        # included columns let PostgreSQL answer from the index alone.
        Index(
            "ix_tickets_report_created",
            "created_at",
            postgresql_include=["category_code", "region_code", "close_reason", "status", "dispatch_rounds"],
        ),
        Index("ix_tickets_report_due", "due_at", postgresql_include=["department_id", "replied_at"]),
        Index(
            "ix_tickets_report_callback",
            "callback_at",
            postgresql_include=["department_id", "callback_resolved", "callback_satisfaction", "satisfaction_excluded"],
        ),
        Index(
            "ix_tickets_report_closed",
            "closed_at",
            postgresql_include=["department_id", "status", "close_reason", "reopen_count"],
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    retrieval_code_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(12))
    type: Mapped[str] = mapped_column(String(12))
    urgency: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(20))
    category_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    line: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(200))
    # When the matter happened (受理五要素 "when"); the intake time unless the caller said otherwise.
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"))
    publishable: Mapped[bool] = mapped_column(Boolean, default=False)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # Routing and handling
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    dispatch_rounds: Mapped[int] = mapped_column(SmallInteger, default=0)
    designated: Mapped[bool] = mapped_column(Boolean, default=False)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sign_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a return or an extension started waiting for the centre: that time is not counted.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Planned warning instants (80% of the allowed time by default), kept beside the due times
    # so the sweep finds what is due with an index instead of recomputing calendars.
    sign_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 5 working days past the due time (configurable): the public-notice level (通报).
    notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Deadline marks (set once by the deadline jobs; NULL means not yet raised).
    sign_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sign_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set at the first overdue mark: the ticket is in the supervisors' queue until it leaves.
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Outcomes
    answer_text: Mapped[str | None] = mapped_column(Text)
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    callback_resolved: Mapped[int | None] = mapped_column(SmallInteger)
    callback_satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    satisfaction_excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    reopen_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    close_reason: Mapped[str | None] = mapped_column(String(20))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    status_reason: Mapped[str | None] = mapped_column(Text)

    # 承办人: the officer of the lead department who handles the ticket.
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # 二级派单: the child department (a street of the lead district) the lead passed the ticket on to, where the
    # child stands (hotline.workflow.SubStatus), its reply awaiting the lead's review, and its due time (inside
    # the lead's own: the lead's clock keeps running).
    sub_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    sub_status: Mapped[str | None] = mapped_column(String(16))
    sub_reply_text: Mapped[str | None] = mapped_column(Text)
    sub_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[Category | None] = relationship(lazy="select")
    region: Mapped[Region | None] = relationship(lazy="select")
    caller: Mapped[Caller | None] = relationship(lazy="select")
    department: Mapped[Department | None] = relationship(lazy="select", foreign_keys=[department_id])
    sub_department: Mapped[Department | None] = relationship(lazy="select", foreign_keys=[sub_department_id])
    created_by: Mapped[User | None] = relationship(lazy="select", foreign_keys=[created_by_id])
    handler: Mapped[User | None] = relationship(lazy="select", foreign_keys=[handler_id])
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="ticket", lazy="select", order_by="Assignment.id"
    )


class TimelineEvent(db.Model):
    """One entry of a ticket's append-only timeline: every transition and every note."""

    __tablename__ = "timeline_events"
    # The reports count events of one action over a period, per department.
    __table_args__ = (
        Index("ix_timeline_events_action_at", "action", "at", postgresql_include=["department_id", "ticket_id"]),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSON)

    department: Mapped[Department | None] = relationship(lazy="joined")


class Assignment(db.Model):
    """A department's part in one dispatch round: the lead (主办) or an assisting one (协办)."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_department_active", "department_id", "active"),
        Index(
            "uq_assignments_active_pair",
            "ticket_id",
            "department_id",
            unique=True,
            postgresql_where=text("active"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    role: Mapped[str] = mapped_column(String(8))  # lead | assist
    round: Mapped[int] = mapped_column(SmallInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="assignments")
    department: Mapped[Department] = relationship(lazy="joined")


class ReturnRequest(db.Model):
    """退单: a department asks the centre to take a ticket back, with a standard reason."""

    __tablename__ = "return_requests"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    from_status: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExtensionRequest(db.Model):
    """延期: at most one per ticket, before the due time, decided by the centre."""

    __tablename__ = "extension_requests"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    days: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    old_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    new_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TicketNumberCounter(db.Model):
    """The last sequence number handed out per local day, for readable ticket numbers."""

    __tablename__ = "ticket_number_counters"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # YYYYMMDD, Asia/Shanghai
    last: Mapped[int] = mapped_column(Integer)


class SupervisionNotice(db.Model):
    """督办: a formal notice to the department with its own answer deadline, tracked like a clock."""

    __tablename__ = "supervision_notices"
    __table_args__ = (
        Index(
            "ix_supervision_notices_open_due",
            "answer_due_at",
            postgresql_where=text("answered_at IS NULL AND overdue_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    note: Mapped[str | None] = mapped_column(Text)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer_warn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
