"""The key-account book as SQLModel tables: the table class *is* the entity.

Teams hold users; every account has exactly one accountable owner (a user) and a
team; contacts sit in the account's decision chain; interactions (visits, calls…)
link contacts and may create a task (the next step); deals move through stages with
a recorded history; goals set a year's target for a user, team or account.
``Delivery`` is the exactly-once ledger of scheduled messages, ``InboundEvent`` the
record of platform callbacks already handled, ``AuditEntry`` who changed what.

All timestamps are UTC-aware (``UTCDateTime``); all money is ``Decimal``
(``MoneyAmount``).  Enumerations are stored as short strings so migrations stay simple.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, event, text
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Field, SQLModel

from domain.types import MoneyAmount, UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(*, nullable: bool = True, index: bool = False, **kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, nullable=nullable, index=index, **kw)


class Role(StrEnum):
    rep = "rep"
    manager = "manager"
    admin = "admin"


class AccountStatus(StrEnum):
    prospect = "prospect"
    active = "active"
    at_risk = "at_risk"
    dormant = "dormant"  # no business for now; may come back
    lost = "lost"  # lost to a competitor
    churned = "churned"


INACTIVE_STATUSES = (
    AccountStatus.churned.value,
    AccountStatus.dormant.value,
    AccountStatus.lost.value,
)
"""Statuses that take an account out of pushes, the digest, reviews and rankings."""


class MemberRole(StrEnum):
    """What a supporting member of an account team does there (``AccountMember``)."""

    tech = "tech"
    service = "service"
    legal = "legal"
    finance = "finance"
    exec_sponsor = "exec_sponsor"
    other = "other"


class ContactRole(StrEnum):
    decision_maker = "decision_maker"
    influencer = "influencer"
    champion = "champion"
    user = "user"
    procurement = "procurement"
    blocker = "blocker"


class InteractionKind(StrEnum):
    visit = "visit"
    call = "call"
    meeting = "meeting"
    meal = "meal"
    message = "message"


class DealStage(StrEnum):
    lead = "lead"
    qualify = "qualify"
    proposal = "proposal"
    negotiation = "negotiation"
    won = "won"
    lost = "lost"


CLOSED_STAGES = frozenset({DealStage.won.value, DealStage.lost.value})


class GoalScope(StrEnum):
    user = "user"
    team = "team"
    account = "account"


class DeliveryStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


# --- people -------------------------------------------------------------------------


class TeamManager(SQLModel, table=True):
    __tablename__ = "team_manager"
    team_id: int = Field(foreign_key="team.id", primary_key=True)
    user_id: int = Field(foreign_key="kam_user.id", primary_key=True)


class Team(SQLModel, table=True):
    __tablename__ = "team"
    __table_args__ = (Index("uq_team_name_ci", text("lower(name)"), unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    slack_channel: str | None = Field(default=None, max_length=64)
    wecom_chat_id: str | None = Field(default=None, max_length=64)
    wecom_webhook: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "kam_user"
    # kam finds a person by handle ignoring case: one person per handle (migration 0008)
    __table_args__ = (Index("uq_kam_user_handle_ci", text("lower(handle)"), unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    email: str | None = Field(default=None, max_length=200)
    role: str = Field(default=Role.rep.value, max_length=16)
    manager_id: int | None = Field(default=None, foreign_key="kam_user.id")
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    language: str = Field(default="en", max_length=8)
    active: bool = True
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)


class UserIdentity(SQLModel, table=True):
    """Who a kam user is on one chat platform: ``("slack", "U0123ABC")``.

    One identity per user and platform; an external id belongs to one user.  Only the
    storage layer and the platform's folder under ``bot/`` read ``external_id``.
    """

    __tablename__ = "user_identity"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_user_identity_platform_external_id"),
        UniqueConstraint("user_id", "platform", name="uq_user_identity_user_id_platform"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="kam_user.id")
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=64)


# --- accounts -----------------------------------------------------------------------


class Account(SQLModel, table=True):
    __tablename__ = "account"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    industry: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    owner_id: int = Field(foreign_key="kam_user.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    status: str = Field(default=AccountStatus.active.value, max_length=16)
    status_reason: str | None = Field(default=None, max_length=500)
    status_changed_at: datetime | None = _ts()
    partnership_start: date | None = None

    # tier: computed from the factors below, unless overridden
    tier: str = Field(default="C", max_length=1)
    score: float = 0.0
    score_current: float = 0.0
    score_potential: float = 0.0
    score_strategic: float = 0.0
    score_relationship: float = 0.0
    tier_override: str | None = Field(default=None, max_length=1)
    tier_override_reason: str | None = Field(default=None, max_length=500)
    tier_override_by_id: int | None = Field(default=None, foreign_key="kam_user.id")
    tier_override_at: datetime | None = _ts()

    # tier factors (None = not known)
    annual_revenue: Decimal | None = Field(default=None, sa_type=MoneyAmount)
    margin_pct: float | None = None
    payment_days: int | None = None
    growth_pct: float | None = None
    cross_sell: int | None = None
    reference_value: int | None = None
    brand_value: int | None = None
    innovation_value: int | None = None
    years_together: float | None = None
    executive_contact: bool | None = None
    payment_record: int | None = None
    satisfaction: float | None = None

    # account health (house currency; None = not known): exposure above the credit
    # limit is a risk, and lifetime value uses expected years and acquisition cost
    credit_limit: Decimal | None = Field(default=None, sa_type=MoneyAmount)
    acquisition_cost: Decimal | None = Field(default=None, sa_type=MoneyAmount)
    expected_years: float | None = None

    snoozed_until: date | None = None
    snooze_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)
    updated_at: datetime = _ts(nullable=False, default_factory=utcnow)

    @property
    def effective_tier(self) -> str:
        return self.tier_override or self.tier


class AccountMember(SQLModel, table=True):
    """A supporting member of an account's team (协同): tech, service, legal, finance, an
    executive sponsor…  The one accountable owner stays ``Account.owner_id``; members
    read the account, log interactions and add next steps, and receive the pushes of
    their role."""

    __tablename__ = "account_member"
    __table_args__ = (UniqueConstraint("account_id", "user_id", name="uq_account_member"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    user_id: int = Field(foreign_key="kam_user.id", index=True)
    role: str = Field(default=MemberRole.other.value, max_length=16)
    added_by_id: int | None = Field(default=None, foreign_key="kam_user.id")
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)


class AccountAlias(SQLModel, table=True):
    __tablename__ = "account_alias"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    alias: str = Field(max_length=200, unique=True)


class Contact(SQLModel, table=True):
    __tablename__ = "contact"
    # one contact per name at an account, ignoring case (``storage.contacts.by_name``)
    __table_args__ = (
        Index("uq_contact_account_name", "account_id", text("lower(name)"), unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    name: str = Field(max_length=100)
    title: str | None = Field(default=None, max_length=100)
    role: str | None = Field(default=None, max_length=32)
    birthday_month: int | None = None
    birthday_day: int | None = None
    birthday_year: int | None = None
    birthday_lunar: bool = False
    birthday_leap_month: bool = False
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    # left the company: kept in history, off the decision chain
    left_at: datetime | None = _ts()
    created_by_id: int | None = Field(default=None, foreign_key="kam_user.id")
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)


class Interaction(SQLModel, table=True):
    __tablename__ = "interaction"
    __table_args__ = (Index("ix_interaction_account_happened", "account_id", "happened_at"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    kind: str = Field(default=InteractionKind.visit.value, max_length=16)
    happened_at: datetime = _ts(nullable=False)
    notes: str = Field(default="", max_length=4000)
    author_id: int = Field(foreign_key="kam_user.id", index=True)
    channel: str = Field(default="console", max_length=16)
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)


class InteractionContact(SQLModel, table=True):
    __tablename__ = "interaction_contact"
    interaction_id: int = Field(foreign_key="interaction.id", primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", primary_key=True, index=True)


class Task(SQLModel, table=True):
    """A next step: what someone owes an account, and by when."""

    __tablename__ = "task"
    __table_args__ = (Index("ix_task_open_due", "done_at", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    owner_id: int = Field(foreign_key="kam_user.id", index=True)
    text: str = Field(max_length=1000)
    due_at: datetime | None = _ts()
    done_at: datetime | None = _ts()
    interaction_id: int | None = Field(default=None, foreign_key="interaction.id")
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)


class Deal(SQLModel, table=True):
    __tablename__ = "deal"
    __table_args__ = (
        UniqueConstraint("account_id", "name"),
        # one deal per name at an account, ignoring case (``storage.deals.by_name``)
        Index("uq_deal_account_name_ci", "account_id", text("lower(name)"), unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    name: str = Field(max_length=200)
    amount: Decimal = Field(default=Decimal("0"), sa_type=MoneyAmount)
    currency: str = Field(default="CNY", max_length=3)
    stage: str = Field(default=DealStage.lead.value, max_length=16, index=True)
    close_date: date | None = None
    owner_id: int = Field(foreign_key="kam_user.id", index=True)
    lost_reason: str | None = Field(default=None, max_length=500)
    stage_changed_at: datetime = _ts(nullable=False, default_factory=utcnow)
    closed_at: datetime | None = _ts(index=True)
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)
    updated_at: datetime = _ts(nullable=False, default_factory=utcnow)

    @property
    def is_open(self) -> bool:
        return self.stage not in CLOSED_STAGES


class DealStageChange(SQLModel, table=True):
    __tablename__ = "deal_stage_change"
    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    from_stage: str | None = Field(default=None, max_length=16)
    to_stage: str = Field(max_length=16)
    changed_at: datetime = _ts(nullable=False, default_factory=utcnow)
    changed_by_id: int | None = Field(default=None, foreign_key="kam_user.id")


class Goal(SQLModel, table=True):
    """A year's target for one metric, for a user, a team or an account.

    ``months`` optionally overrides the even monthly split (12 decimal strings).
    Progress is always computed from the book, never stored.
    """

    __tablename__ = "goal"
    __table_args__ = (
        # NULLs differ in a unique key, so this one never held: the three below do
        UniqueConstraint("year", "metric", "scope", "user_id", "team_id", "account_id"),
        *(
            Index(
                f"uq_goal_{scope}",
                "year",
                "metric",
                f"{scope}_id",
                unique=True,
                postgresql_where=text(f"scope = '{scope}'"),
                sqlite_where=text(f"scope = '{scope}'"),
            )
            for scope in ("user", "team", "account")
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    metric: str = Field(max_length=32)
    scope: str = Field(max_length=16)
    user_id: int | None = Field(default=None, foreign_key="kam_user.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    account_id: int | None = Field(default=None, foreign_key="account.id")
    target: Decimal = Field(sa_type=MoneyAmount)
    currency: str | None = Field(default=None, max_length=3)
    months: list[str] | None = Field(default=None, sa_column=Column(JSON))
    created_by_id: int | None = Field(default=None, foreign_key="kam_user.id")
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)


class Reminder(SQLModel, table=True):
    """A recurring reminder to an account's owner (``/remind``)."""

    __tablename__ = "reminder"
    # one active reminder per text at an account (``storage.reminders.active_with_text``)
    __table_args__ = (
        Index(
            "uq_reminder_account_text_active",
            "account_id",
            text("lower(text)"),
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    text: str = Field(max_length=500)
    every_days: int = 0
    every_months: int = 0
    start_date: date
    next_date: date = Field(index=True)
    active: bool = True
    created_by_id: int | None = Field(default=None, foreign_key="kam_user.id")
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)


# --- record keeping -----------------------------------------------------------------


class AuditEntry(SQLModel, table=True):
    """Who changed what, when, from which channel.

    ``request_id`` groups the entries of one command, so ``/undo`` can revert it whole;
    ``before`` is the row as it was (None for a create), ``after`` as it became.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_actor_at", "actor_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(nullable=False, default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="kam_user.id")
    channel: str = Field(default="console", max_length=16)
    request_id: str = Field(max_length=64, index=True)
    action: str = Field(max_length=32)
    entity: str = Field(max_length=32)
    entity_id: int | None = None
    account_id: int | None = Field(default=None, index=True)
    summary: str = Field(default="", max_length=1000)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    undone_at: datetime | None = _ts()


class Delivery(SQLModel, table=True):
    """The exactly-once ledger: one row per message key, claimed before it is sent."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("job", "recipient", "subject", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64)
    recipient: str = Field(max_length=200)
    subject: str = Field(max_length=200)
    period: str = Field(max_length=32)
    status: str = Field(default=DeliveryStatus.pending.value, max_length=16, index=True)
    attempts: int = 0
    claimed_at: datetime = _ts(nullable=False, default_factory=utcnow)
    claimed_by: str = Field(default="", max_length=100)
    next_attempt_at: datetime | None = _ts()
    sent_at: datetime | None = _ts()
    last_error: str | None = Field(default=None, max_length=1000)


class SchedulerBeat(SQLModel, table=True):
    """A running scheduler's heartbeat (``storage.heartbeat``): one row per scheduler
    process, its ``beat_at`` moved every ``interval_seconds``.  ``gap_from`` and
    ``resumed_at`` mark that no scheduler had beaten for a while before this one came:
    the ``watchdog`` job tells the admins once the catch-up ran."""

    __tablename__ = "scheduler_beat"
    worker: str = Field(primary_key=True, max_length=100)
    started_at: datetime = _ts(nullable=False)
    beat_at: datetime = _ts(nullable=False, index=True)
    interval_seconds: int = 60
    gap_from: datetime | None = _ts()
    resumed_at: datetime | None = _ts()


class JobRun(SQLModel, table=True):
    """The last scheduled run of each job, and the last that went well (``kam jobs
    status``)."""

    __tablename__ = "job_run"
    job: str = Field(primary_key=True, max_length=64)
    last_run_at: datetime = _ts(nullable=False)
    last_ok_at: datetime | None = _ts()
    last_error: str | None = Field(default=None, max_length=1000)
    runs: int = 0


class InboundState(StrEnum):
    """Where a message taken in stands (``storage.inbound``, the inbox)."""

    received = "received"  # kept, not yet run (or its run did not commit)
    done = "done"  # its command committed; ``reply`` holds the answer, not yet delivered
    answered = "answered"  # the answer was delivered (or there is nothing to deliver)


class InboundEvent(SQLModel, table=True):
    """A platform callback taken in (Slack event or trigger id, WeCom MsgId…): the inbox.

    The row is committed before kam acknowledges the platform, carrying what is needed
    to run the message (``payload``) and to answer it.  The command marks it ``done``
    in its own transaction, with its answer; delivering the answer marks it
    ``answered``.  A process that dies leaves the row leased to nobody once
    ``lease_until`` (the database's clock) passes: any kam process then finishes it.
    WeCom nonces live here too (``platform = "wecom-nonce"``, born answered).
    """

    __tablename__ = "inbound_event"
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    event_key: str = Field(max_length=200)
    received_at: datetime = _ts(nullable=False, default_factory=utcnow, index=True)
    state: str = Field(default=InboundState.answered, max_length=10)
    lease_until: datetime | None = _ts()
    attempts: int = 0
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    reply: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    __table_args__ = (
        UniqueConstraint("platform", "event_key"),
        Index("ix_inbound_event_due", "state", "lease_until"),
    )


class PendingQuestion(SQLModel, table=True):
    """A question kam asked instead of guessing (``handlers.clarify.Choose``).

    ``choices`` are ``{"label", "text"}`` pairs, each text a complete message.  The
    question is answered once: the answer claims the row (``answered_at``, ``answer``)
    in the transaction that runs the chosen text, so the text runs exactly once.
    """

    __tablename__ = "pending_question"
    __table_args__ = (Index("ix_pending_question_asker", "user_id", "platform", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="kam_user.id")
    platform: str = Field(max_length=16)
    channel: str | None = Field(default=None, max_length=64)
    question: str = Field(default="", max_length=1000)
    choices: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)
    expires_at: datetime = _ts(nullable=False)
    answered_at: datetime | None = _ts()
    answer: int | None = None  # the number of the choice taken (1-based)


class PlatformToken(SQLModel, table=True):
    """An access token shared by every kam process (e.g. WeCom's), with its expiry."""

    __tablename__ = "platform_token"
    name: str = Field(primary_key=True, max_length=100)
    value: str = Field(max_length=2000)
    expires_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False, default_factory=utcnow)


# --- account health -----------------------------------------------------------------


class ProposalStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    expired = "expired"  # a new quarter's review came before anyone decided


class CsatScore(SQLModel, table=True):
    """One customer-satisfaction score, 0-10, as the account gave it."""

    __tablename__ = "csat_score"
    __table_args__ = (Index("ix_csat_score_account_recorded", "account_id", "recorded_at"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    score: int
    comment: str = Field(default="", max_length=1000)
    recorded_at: datetime = _ts(nullable=False)
    author_id: int = Field(foreign_key="kam_user.id", index=True)
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)


class Complaint(SQLModel, table=True):
    """A complaint from the account: open until someone says how it was fixed."""

    __tablename__ = "complaint"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    text: str = Field(max_length=1000)
    opened_at: datetime = _ts(nullable=False, index=True)
    opened_by_id: int = Field(foreign_key="kam_user.id")
    resolved_at: datetime | None = _ts(index=True)
    resolved_by_id: int | None = Field(default=None, foreign_key="kam_user.id")
    resolution: str | None = Field(default=None, max_length=1000)
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)


def kam_number(row_id: int) -> str:
    """The document number kam gives an invoice or payment that came without one.

    ``KAM-000012`` is invoice (or payment) #12 as chat shows it; more digits past 999999.
    """
    return f"KAM-{row_id:06d}"


class Invoice(SQLModel, table=True):
    """Money the account owes: open until ``paid_amount`` reaches ``amount``.

    ``number`` is the finance system's invoice number (发票号码), unique; an invoice
    recorded in chat gets ``kam_number(id)`` when it is inserted.  ``paid_amount`` and
    ``settled_on`` follow from the payments (``storage.receivables.reallocate``).
    """

    __tablename__ = "invoice"
    __table_args__ = (
        Index("ix_invoice_open_due", "settled_on", "due_on"),
        UniqueConstraint("number", name="uq_invoice_number"),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    amount: Decimal = Field(sa_type=MoneyAmount)
    currency: str = Field(default="CNY", max_length=3)
    paid_amount: Decimal = Field(default=Decimal("0"), sa_type=MoneyAmount)
    issued_on: date
    due_on: date
    settled_on: date | None = None  # the day it was paid in full
    note: str = Field(default="", max_length=200)
    created_by_id: int | None = Field(default=None, foreign_key="kam_user.id")
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)

    @property
    def open_amount(self) -> Decimal:
        return self.amount - self.paid_amount


class Payment(SQLModel, table=True):
    """Money received; ``unapplied`` is what no open invoice took (a credit).

    ``number`` is the finance system's receipt number (收款单号), unique; a payment
    recorded in chat gets ``kam_number(id)`` when it is inserted.  ``invoice_id`` is the
    invoice the receipt names (核销), which it pays first.
    """

    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("number", name="uq_payment_number"),)
    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    amount: Decimal = Field(sa_type=MoneyAmount)
    currency: str = Field(default="CNY", max_length=3)
    received_on: date = Field(index=True)
    unapplied: Decimal = Field(default=Decimal("0"), sa_type=MoneyAmount)
    note: str = Field(default="", max_length=200)
    recorded_by_id: int | None = Field(default=None, foreign_key="kam_user.id")
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)


@event.listens_for(Invoice, "after_insert")
@event.listens_for(Payment, "after_insert")
def _number_the_unnumbered(_mapper: Any, connection: Any, target: Invoice | Payment) -> None:
    """Give a row inserted without a number ``kam_number(id)``, in the same flush.

    The id exists only once the row is in, so this is an UPDATE right after the INSERT
    (chat's ``/invoice`` and ``/paid`` never set a number).  Core bulk inserts bypass it.
    """
    if target.number is not None:
        return
    table = type(target).__table__
    number = kam_number(target.id)
    connection.execute(table.update().where(table.c.id == target.id).values(number=number))
    set_committed_value(target, "number", number)


class TierReview(SQLModel, table=True):
    """One run of the quarterly tier review: when, how many accounts, how many proposals."""

    __tablename__ = "tier_review"
    id: int | None = Field(default=None, primary_key=True)
    quarter: str = Field(max_length=7, index=True)  # "2026Q4"
    started_at: datetime = _ts(nullable=False)
    accounts: int = 0
    proposals: int = 0
    on_demand: bool = False


class TierProposal(SQLModel, table=True):
    """A tier change the review proposes; a manager accepts or rejects it.

    ``factors`` holds the factor values read from the book (what accepting writes onto
    the account); ``reasons`` the numbers behind the change.  One proposal per account
    and quarter: a rejected change is not proposed again that quarter.
    """

    __tablename__ = "tier_proposal"
    __table_args__ = (UniqueConstraint("account_id", "quarter"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="tier_review.id", index=True)
    quarter: str = Field(max_length=7)
    account_id: int = Field(foreign_key="account.id")
    from_tier: str = Field(max_length=1)
    to_tier: str = Field(max_length=1)
    from_score: float
    to_score: float
    factors: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    status: str = Field(default=ProposalStatus.pending.value, max_length=16, index=True)
    decided_at: datetime | None = _ts()
    decided_by_id: int | None = Field(default=None, foreign_key="kam_user.id")
    decision_note: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts(nullable=False, default_factory=utcnow)


class DigestSnapshot(SQLModel, table=True):
    """What a team's risk digest said on a day, compact, for the next day's to compare
    against: ``marks`` the risk codes per account (only the accounts with risks, ids as
    keys), ``tiers`` those accounts' tiers, ``values`` their money at risk (house
    currency, a decimal string).  Written once per team and day when the digest is sent."""

    __tablename__ = "digest_snapshot"
    __table_args__ = (UniqueConstraint("team_id", "day", name="uq_digest_snapshot_team_day"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    day: date
    marks: dict[str, list[str]] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    tiers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    values: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    sent_at: datetime = _ts(nullable=False)


class BookVersion(SQLModel, table=True):
    """How many times a kind of thing changed (``names``: account names and aliases), so
    a process's in-memory copy knows with one row read whether it is stale."""

    __tablename__ = "book_version"
    name: str = Field(primary_key=True, max_length=32)
    n: int = 0


class RfmCutpoints(SQLModel, table=True):
    """The book's RFM quintile cut-points, computed by the ``rfm`` job (nightly, and after
    a CSV import) so no request ranks the whole book (``storage.rfm``).

    One row per ``scope`` (``"book"``: every account that is not churned).  What it was
    computed with — the local ``day``, the policy's window, the house currency and its
    exchange rates, how many accounts — tells a reader whether it still applies.
    ``recency`` holds days (None: never bought or paid), ``monetary`` decimal strings in
    the house currency; four cut-points each, ascending.  ``computed_at`` is the
    database's time when the computation read the book: a slower run that read an older
    book never overwrites a newer one.
    """

    __tablename__ = "rfm_cutpoints"
    scope: str = Field(primary_key=True, max_length=16)
    day: date
    window_days: int
    currency: str = Field(max_length=3)
    fx_rates: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    population: int
    recency: list[int | None] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    frequency: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    monetary: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    computed_at: datetime = _ts(nullable=False)


# One account's RFM inputs (``storage.rfm.account_input``) read these ranges, not the table.
Index("ix_deal_account_stage_closed", Deal.account_id, Deal.stage, Deal.closed_at)  # type: ignore[arg-type]
Index("ix_payment_account_received", Payment.account_id, Payment.received_on)  # type: ignore[arg-type]
