"""What ``/account Acme all`` (the 360° file) reads: one section at a time, bounded.

A big account has thousands of interactions, contacts and audit entries; the file never
loads them all.  ``file_counts`` answers the index in one statement (how many of each,
with the header's names); each section then reads one page of its rows with LIMIT and
OFFSET — at most ``size`` rows, whatever the account's size — in one to three
statements.  Rows keep the columns' names and types (``deal.amount`` is a Decimal,
``interaction.happened_at`` aware).

Every function takes the session and reads only; none commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, bindparam, case, distinct, func, literal, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from domain.models import (
    CLOSED_STAGES,
    Account,
    AccountAlias,
    AccountMember,
    AuditEntry,
    Complaint,
    Contact,
    ContactRole,
    CsatScore,
    Deal,
    DealStage,
    Goal,
    Interaction,
    InteractionContact,
    Invoice,
    Payment,
    Reminder,
    Task,
    Team,
    User,
)
from storage import audit
from storage.goals import actuals, of_subject
from storage.summary import InteractionLine

# The decision chain's order: who decides first, who blocks last.
ROLE_ORDER = (
    ContactRole.decision_maker.value,
    ContactRole.champion.value,
    ContactRole.influencer.value,
    ContactRole.procurement.value,
    ContactRole.user.value,
    ContactRole.blocker.value,
)
_SEP = "\x1f"  # between aliases in the header's one string (a control character no name has)


@dataclass(frozen=True)
class FileCounts:
    """The file's header: who owns the account, its aliases, and how many of each thing
    it has — what the index shows and what each section's paging counts."""

    owner: str
    owner_handle: str
    team: str | None
    aliases: list[str]
    last_contact: datetime | None
    override_by: str | None
    contacts: int  # still there
    left: int  # contacts who left the company
    chain: int  # contacts still there with a role in the decision chain
    interactions: int  # in the year
    interactions_all: int
    deals_open: int
    deals_won: int
    deals_lost: int
    invoices_open: int
    invoices_overdue: int
    payments: int
    csat: int
    csat_average: float | None  # over the year
    csat_year: int  # scores in the year
    complaints_open: int
    complaints_resolved: int
    goals: int  # this year's
    tasks: int  # open next steps
    reminders: int  # active
    members: int  # the account team, besides the owner
    changes: int  # commands in the audit trail

    def of(self, section: str) -> int | None:
        """How many rows a section lists (None: the profile, which is not a list)."""
        return {
            "profile": None,
            "chain": self.chain + self.left,
            "contacts": self.contacts + self.left,
            "interactions": self.interactions,
            "deals": self.deals_open + self.deals_won + self.deals_lost,
            "receivables": self.invoices_open,
            "payments": self.payments,
            "csat": self.csat,
            "complaints": self.complaints_open + self.complaints_resolved,
            "goals": self.goals,
            "tasks": self.tasks,
            "reminders": self.reminders,
            "team": self.members,
            "changes": self.changes,
        }[section]


_ID = bindparam("account_id")
_SINCE = bindparam("since", type_=Interaction.happened_at.type)
_TODAY = bindparam("today", type_=Invoice.due_on.type)


def _n(column, *where) -> Any:
    return select(func.count(column)).where(*where).scalar_subquery()


_current = and_(Contact.account_id == _ID, Contact.left_at.is_(None))
_open_deal = [Deal.stage != stage for stage in sorted(CLOSED_STAGES)]
_open_invoice = and_(Invoice.account_id == _ID, Invoice.settled_on.is_(None))
_csat_year = and_(CsatScore.account_id == _ID, CsatScore.recorded_at >= _SINCE)
_override_by = aliased(User)
_COUNTS = select(
    select(User.display_name).where(User.id == bindparam("owner_id")).scalar_subquery(),
    select(User.handle).where(User.id == bindparam("owner_id")).scalar_subquery(),
    select(Team.name).where(Team.id == bindparam("team_id")).scalar_subquery(),
    select(func.aggregate_strings(AccountAlias.alias, _SEP))
    .where(AccountAlias.account_id == _ID)
    .scalar_subquery(),
    select(func.max(Interaction.happened_at))
    .where(Interaction.account_id == _ID)
    .scalar_subquery(),
    select(_override_by.display_name)
    .where(_override_by.id == bindparam("override_by_id"))
    .scalar_subquery(),
    _n(Contact.id, _current),
    _n(Contact.id, Contact.account_id == _ID, Contact.left_at.is_not(None)),
    _n(Contact.id, _current, Contact.role.is_not(None)),
    _n(Interaction.id, Interaction.account_id == _ID, Interaction.happened_at >= _SINCE),
    _n(Interaction.id, Interaction.account_id == _ID),
    _n(Deal.id, Deal.account_id == _ID, *_open_deal),
    _n(Deal.id, Deal.account_id == _ID, Deal.stage == DealStage.won.value),
    _n(Deal.id, Deal.account_id == _ID, Deal.stage == DealStage.lost.value),
    _n(Invoice.id, _open_invoice),
    _n(Invoice.id, _open_invoice, Invoice.due_on < _TODAY),
    _n(Payment.id, Payment.account_id == _ID),
    _n(CsatScore.id, CsatScore.account_id == _ID),
    select(func.avg(CsatScore.score)).where(_csat_year).scalar_subquery(),
    _n(CsatScore.id, _csat_year),
    _n(Complaint.id, Complaint.account_id == _ID, Complaint.resolved_at.is_(None)),
    _n(Complaint.id, Complaint.account_id == _ID, Complaint.resolved_at.is_not(None)),
    _n(Goal.id, Goal.account_id == _ID, Goal.scope == "account", Goal.year == bindparam("year")),
    _n(Task.id, Task.account_id == _ID, Task.done_at.is_(None)),
    _n(Reminder.id, Reminder.account_id == _ID, Reminder.active.is_(True)),
    _n(AccountMember.id, AccountMember.account_id == _ID),
    select(func.count(distinct(AuditEntry.request_id)))
    .where(AuditEntry.account_id == _ID)
    .scalar_subquery(),
)


def file_counts(
    session: Session, account: Account, *, since: datetime, today: date, year: int
) -> FileCounts:
    """The header and every section's count, in one statement.  ``since``: the start of
    the year of interactions and CSAT shown; ``today``: what is overdue; ``year``: the
    goals'."""
    row = (
        session.connection()
        .execute(
            _COUNTS,
            {
                "account_id": account.id,
                "owner_id": account.owner_id,
                "team_id": account.team_id,
                "override_by_id": account.tier_override_by_id,
                "since": since,
                "today": today,
                "year": year,
            },
        )
        .one()
    )
    (owner, handle, team, aliases, last, override_by, *numbers) = row
    average = numbers[12]
    ints = [int(n or 0) for i, n in enumerate(numbers) if i != 12]
    return FileCounts(
        owner,
        handle,
        team,
        aliases.split(_SEP) if aliases else [],
        last,
        override_by,
        *ints[:12],
        None if average is None else float(average),
        *ints[12:],
    )


# --- the decision chain and contacts ---------------------------------------------------

_rank = case(
    *((Contact.role == role, i) for i, role in enumerate(ROLE_ORDER)), else_=len(ROLE_ORDER)
)
CONTACT_COLUMNS = (
    Contact.id,
    Contact.name,
    Contact.title,
    Contact.role,
    Contact.phone,
    Contact.email,
    Contact.birthday_month,
    Contact.birthday_day,
    Contact.birthday_year,
    Contact.birthday_lunar,
    Contact.birthday_leap_month,
    Contact.left_at,
)


@dataclass(frozen=True)
class Chain:
    """The decision chain: contacts still there who have a role (the first ``size``, by
    role), how many hold each role, how many are still there at all, and the latest of
    those who left."""

    people: Sequence[Row[Any]]  # CONTACT_COLUMNS
    by_role: Mapping[str, int]
    current: int
    left: Sequence[Row[Any]]  # CONTACT_COLUMNS


def chain(session: Session, account_id: int, *, size: int, left: int) -> Chain:
    """Three statements: the role counts, the first ``size`` people of the chain, the
    ``left`` who left last."""
    conn = session.connection()
    by_role = {
        role: n
        for role, n in conn.execute(
            select(Contact.role, func.count(Contact.id))
            .where(Contact.account_id == account_id, Contact.left_at.is_(None))
            .group_by(Contact.role)
        )
    }
    people = conn.execute(
        select(*CONTACT_COLUMNS)
        .where(
            Contact.account_id == account_id, Contact.left_at.is_(None), Contact.role.is_not(None)
        )
        .order_by(_rank, func.lower(Contact.name), Contact.id)
        .limit(size)
    ).all()
    gone = conn.execute(
        select(*CONTACT_COLUMNS)
        .where(Contact.account_id == account_id, Contact.left_at.is_not(None))
        .order_by(Contact.left_at.desc(), Contact.id.desc())
        .limit(left)
    ).all()
    return Chain(
        people=people,
        by_role={role: n for role, n in by_role.items() if role is not None},
        current=sum(by_role.values()),
        left=gone,
    )


def contacts(session: Session, account_id: int, *, offset: int, size: int) -> Sequence[Row[Any]]:
    """One page of every contact: those still there first (the decision chain's order,
    then by name), then those who left."""
    return (
        session.connection()
        .execute(
            select(*CONTACT_COLUMNS)
            .where(Contact.account_id == account_id)
            .order_by(Contact.left_at.is_not(None), _rank, func.lower(Contact.name), Contact.id)
            .limit(size)
            .offset(offset)
        )
        .all()
    )


# --- interactions -----------------------------------------------------------------------


def interactions(
    session: Session, account_id: int, *, since: datetime, offset: int, size: int
) -> list[InteractionLine]:
    """One page of the interactions since ``since``, newest first, with their authors and
    the contacts they name — one statement."""
    page = (
        select(
            Interaction.id,
            Interaction.kind,
            Interaction.happened_at,
            Interaction.notes,
            Interaction.author_id,
        )
        .where(Interaction.account_id == account_id, Interaction.happened_at >= since)
        .order_by(Interaction.happened_at.desc(), Interaction.id.desc())
        .limit(size)
        .offset(offset)
        .subquery()
    )
    rows = session.connection().execute(
        select(page, User.display_name.label("author"), Contact.name.label("contact"))
        .join(User, User.id == page.c.author_id)
        .outerjoin(InteractionContact, InteractionContact.interaction_id == page.c.id)
        .outerjoin(Contact, Contact.id == InteractionContact.contact_id)
        .order_by(page.c.happened_at.desc(), page.c.id.desc(), InteractionContact.contact_id)
    )
    lines: dict[int, InteractionLine] = {}
    for row in rows:
        line = lines.get(row.id) or InteractionLine(
            row.id, row.kind, row.happened_at, row.author, row.notes, contacts=()
        )
        if row.contact is not None:
            line = InteractionLine(
                line.id, line.kind, line.happened_at, line.author, line.notes,
                contacts=(*line.contacts, row.contact),
            )  # fmt: skip
        lines[row.id] = line
    return list(lines.values())


# --- deals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DealTotals:
    """Deals by state (``open``, ``won``, ``lost``): how many, and the amounts by currency."""

    count: Mapping[str, int] = field(default_factory=dict)
    amounts: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)


def _state(stage: str) -> str:
    return stage if stage in CLOSED_STAGES else "open"


def deal_totals(session: Session, account_id: int) -> DealTotals:
    """Counts and amounts by stage and currency, one grouped statement."""
    count: dict[str, int] = {}
    amounts: dict[str, dict[str, Decimal]] = {}
    for stage, currency, n, amount in session.connection().execute(
        select(Deal.stage, Deal.currency, func.count(Deal.id), func.sum(Deal.amount))
        .where(Deal.account_id == account_id)
        .group_by(Deal.stage, Deal.currency)
    ):
        state = _state(stage)
        count[state] = count.get(state, 0) + n
        by = amounts.setdefault(state, {})
        by[currency] = by.get(currency, Decimal(0)) + Decimal(amount or 0)
    return DealTotals(count, amounts)


_is_closed = case(*((Deal.stage == s, 1) for s in sorted(CLOSED_STAGES)), else_=0)
_open_undated = case((and_(_is_closed == 0, Deal.close_date.is_(None)), 1), else_=0)


def deals(session: Session, account_id: int, *, offset: int, size: int) -> Sequence[Row[Any]]:
    """One page of the deals: open ones first (soonest close first), then won and lost,
    latest closed first.  Columns: id, name, amount, currency, stage, close_date,
    stage_changed_at, closed_at, lost_reason, owner."""
    return (
        session.connection()
        .execute(
            select(
                Deal.id,
                Deal.name,
                Deal.amount,
                Deal.currency,
                Deal.stage,
                Deal.close_date,
                Deal.stage_changed_at,
                Deal.closed_at,
                Deal.lost_reason,
                User.display_name.label("owner"),
            )
            .join(User, User.id == Deal.owner_id)
            .where(Deal.account_id == account_id)
            .order_by(
                _is_closed,
                _open_undated,
                case((_is_closed == 0, Deal.close_date)),
                Deal.closed_at.is_(None),
                Deal.closed_at.desc(),
                Deal.id.desc(),
            )
            .limit(size)
            .offset(offset)
        )
        .all()
    )


# --- receivables and payments -----------------------------------------------------------


@dataclass(frozen=True)
class Owed:
    """The account's open invoices and credits by currency."""

    open: Mapping[str, Decimal] = field(default_factory=dict)
    overdue: Mapping[str, Decimal] = field(default_factory=dict)
    oldest_due: date | None = None  # the earliest due day of an overdue invoice
    credit: Mapping[str, Decimal] = field(default_factory=dict)


def owed(session: Session, account_id: int, *, today: date) -> Owed:
    """Open and overdue amounts by currency (one grouped statement) and credits (one)."""
    conn = session.connection()
    left = Invoice.amount - Invoice.paid_amount
    late = Invoice.due_on < today
    open_by: dict[str, Decimal] = {}
    overdue_by: dict[str, Decimal] = {}
    oldest: date | None = None
    for currency, amount, overdue, first_due in conn.execute(
        select(
            Invoice.currency,
            func.sum(left),
            func.sum(case((late, left), else_=literal(0))),
            func.min(case((late, Invoice.due_on))),
        )
        .where(Invoice.account_id == account_id, Invoice.settled_on.is_(None))
        .group_by(Invoice.currency)
    ):
        if amount:
            open_by[currency] = Decimal(amount)
        if overdue:
            overdue_by[currency] = Decimal(overdue)
        if first_due is not None:
            first = first_due if isinstance(first_due, date) else date.fromisoformat(first_due)
            oldest = first if oldest is None else min(oldest, first)
    credit = {
        currency: Decimal(amount)
        for currency, amount in conn.execute(
            select(Payment.currency, func.sum(Payment.unapplied))
            .where(Payment.account_id == account_id, Payment.unapplied > 0)
            .group_by(Payment.currency)
        )
        if amount
    }
    return Owed(open_by, overdue_by, oldest, credit)


def open_invoices(
    session: Session, account_id: int, *, offset: int, size: int
) -> Sequence[Row[Any]]:
    """One page of the open invoices, the earliest due first.  Columns: id, number,
    amount, paid_amount, currency, issued_on, due_on, note."""
    return (
        session.connection()
        .execute(
            select(
                Invoice.id,
                Invoice.number,
                Invoice.amount,
                Invoice.paid_amount,
                Invoice.currency,
                Invoice.issued_on,
                Invoice.due_on,
                Invoice.note,
            )
            .where(Invoice.account_id == account_id, Invoice.settled_on.is_(None))
            .order_by(Invoice.due_on, Invoice.id)
            .limit(size)
            .offset(offset)
        )
        .all()
    )


def payments(session: Session, account_id: int, *, offset: int, size: int) -> Sequence[Row[Any]]:
    """One page of the payments, the latest first, with the invoice each names.
    Columns: id, number, amount, currency, received_on, unapplied, note, invoice."""
    return (
        session.connection()
        .execute(
            select(
                Payment.id,
                Payment.number,
                Payment.amount,
                Payment.currency,
                Payment.received_on,
                Payment.unapplied,
                Payment.note,
                Invoice.number.label("invoice"),
            )
            .outerjoin(Invoice, Invoice.id == Payment.invoice_id)
            .where(Payment.account_id == account_id)
            .order_by(Payment.received_on.desc(), Payment.id.desc())
            .limit(size)
            .offset(offset)
        )
        .all()
    )


# --- CSAT and complaints ----------------------------------------------------------------


def csat(session: Session, account_id: int, *, offset: int, size: int) -> Sequence[Row[Any]]:
    """One page of the CSAT scores, the latest first.  Columns: id, score, comment,
    recorded_at, author."""
    return (
        session.connection()
        .execute(
            select(
                CsatScore.id,
                CsatScore.score,
                CsatScore.comment,
                CsatScore.recorded_at,
                User.display_name.label("author"),
            )
            .join(User, User.id == CsatScore.author_id)
            .where(CsatScore.account_id == account_id)
            .order_by(CsatScore.recorded_at.desc(), CsatScore.id.desc())
            .limit(size)
            .offset(offset)
        )
        .all()
    )


_resolver = aliased(User)
_resolved = case((Complaint.resolved_at.is_(None), 0), else_=1)


def complaints(session: Session, account_id: int, *, offset: int, size: int) -> Sequence[Row[Any]]:
    """One page of the complaints: open ones first (the oldest first), then resolved ones
    (the latest resolved first).  Columns: id, text, opened_at, resolved_at, resolution,
    resolver."""
    return (
        session.connection()
        .execute(
            select(
                Complaint.id,
                Complaint.text,
                Complaint.opened_at,
                Complaint.resolved_at,
                Complaint.resolution,
                _resolver.display_name.label("resolver"),
            )
            .outerjoin(_resolver, _resolver.id == Complaint.resolved_by_id)
            .where(Complaint.account_id == account_id)
            .order_by(
                _resolved,
                case((Complaint.resolved_at.is_(None), Complaint.opened_at)),
                Complaint.resolved_at.desc(),
                Complaint.id.desc(),
            )
            .limit(size)
            .offset(offset)
        )
        .all()
    )


# --- goals, next steps, reminders, the team ---------------------------------------------


@dataclass(frozen=True)
class GoalFacts:
    goals: list[Goal]
    actuals: dict[int, Decimal]  # by goal id


def goals(
    session: Session,
    account_id: int,
    *,
    year: int,
    start: date,
    end: date,
    tz,
    fx_rates: Mapping[str, Decimal] | None,
) -> GoalFacts:
    """The account's goals for ``year`` and their actuals over [start, end]: one
    statement, and one per metric asked for (``storage.goals.actuals``)."""
    found = of_subject(session, year=year, scope="account", account_id=account_id)
    got = actuals(session, found, start=start, end=end, tz=tz, fx_rates=fx_rates) if found else {}
    return GoalFacts(found, got)


def tasks(session: Session, account_id: int, *, offset: int, size: int) -> Sequence[Row[Any]]:
    """One page of the open next steps, the earliest due first (undated last).
    Columns: id, text, due_at, owner."""
    return (
        session.connection()
        .execute(
            select(Task.id, Task.text, Task.due_at, User.display_name.label("owner"))
            .join(User, User.id == Task.owner_id)
            .where(Task.account_id == account_id, Task.done_at.is_(None))
            .order_by(Task.due_at.is_(None), Task.due_at, Task.id)
            .limit(size)
            .offset(offset)
        )
        .all()
    )


def reminders(session: Session, account_id: int, *, offset: int, size: int) -> Sequence[Row[Any]]:
    """One page of the active reminders, the soonest first.  Columns: id, text,
    every_days, every_months, next_date."""
    return (
        session.connection()
        .execute(
            select(
                Reminder.id,
                Reminder.text,
                Reminder.every_days,
                Reminder.every_months,
                Reminder.next_date,
            )
            .where(Reminder.account_id == account_id, Reminder.active.is_(True))
            .order_by(Reminder.next_date, Reminder.id)
            .limit(size)
            .offset(offset)
        )
        .all()
    )


def members(session: Session, account_id: int, *, offset: int, size: int) -> Sequence[Row[Any]]:
    """One page of the account team (besides the owner), by role then name.
    Columns: role, created_at, name, handle."""
    return (
        session.connection()
        .execute(
            select(
                AccountMember.role,
                AccountMember.created_at,
                User.display_name.label("name"),
                User.handle,
            )
            .join(User, User.id == AccountMember.user_id)
            .where(AccountMember.account_id == account_id)
            .order_by(AccountMember.role, func.lower(User.display_name), AccountMember.id)
            .limit(size)
            .offset(offset)
        )
        .all()
    )


# --- the audit trail --------------------------------------------------------------------


def changes(
    session: Session, account_id: int, *, offset: int, size: int
) -> list[list[audit.TrailEntry]]:
    """One page of the commands that changed the account, the latest first, each as its
    audit entries (``storage.audit.trail``): two statements."""
    latest = func.max(AuditEntry.id)
    rows = (
        session.connection()
        .execute(
            select(AuditEntry.request_id, latest)
            .where(AuditEntry.account_id == account_id)
            .group_by(AuditEntry.request_id)
            .order_by(latest.desc())
            .limit(size)
            .offset(offset)
        )
        .all()
    )
    order = {request_id: i for i, (request_id, _last) in enumerate(rows)}
    if not order:
        return []
    groups: dict[str, list[audit.TrailEntry]] = {}
    for item in audit.trail(session, account_id=account_id, request_ids=list(order), limit=None):
        groups.setdefault(item.entry.request_id, []).append(item)
    return [groups[rid] for rid in sorted(groups, key=order.__getitem__)]
