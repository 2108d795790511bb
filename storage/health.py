"""Account health read from the book, set-based: a fixed number of statements per call.

    health_facts(session, account, now=…, settings=…, tz=…) -> HealthFacts   (/account,
                                                                     two statements)
    health_signals(session, now=…, settings=…, team_ids=…) -> {account id: HealthSignals}
                                                                            (the digest)
    review_pages(session, now=…, settings=…, tz=…) -> pages of [ReviewInput]  (the tier review)
    kpi_inputs(session, scope, start=…, end=…, settings=…, tz=…) -> KpiInputs   (/kpi)

Nothing here loops a query over accounts: each figure comes from one grouped statement
over the accounts asked for (or the whole book), and ``domain.health`` does the sums.
Repositories for the commands (adding scores, complaints, invoices, payments) are at
the end; like every repository they take the session and never commit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    true,
    union_all,
)
from sqlmodel import Session, select

from domain.health import (
    AccountHistory,
    Balance,
    BookFactors,
    CsatSummary,
    HealthSignals,
    LifetimeValue,
    PaymentRecord,
    Receivables,
    Rfm,
    account_lifetime_value,
    add_money,
    payment_record,
    policy_of,
    receivables,
)
from domain.models import (
    INACTIVE_STATUSES,
    Account,
    AuditEntry,
    Complaint,
    Contact,
    CsatScore,
    Deal,
    DealStage,
    Interaction,
    Invoice,
    Payment,
    RfmCutpoints,
)
from domain.policy import Policy
from storage.clock import day_start, local_day
from storage.rfm import (
    ACCOUNT_PAID,
    ACCOUNT_WON,
    BOOK,
    CUT_COLUMNS,
    AccountRfm,
    in_house,
    input_of,
    rated,
    window_params,
)

ZERO = Decimal(0)

Condition = ColumnElement[bool]
"""A condition on ``Account`` rows: which accounts a query looks at."""

Accounts = Condition | int | None
"""Which accounts a query looks at: those meeting a condition, one account (its id),
or (None) all."""


# --- scopes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose accounts: one owner's, some teams', or (neither given) the whole book."""

    owner_id: int | None = None
    team_ids: frozenset[int] | None = None

    def where(self) -> Condition:
        """The condition on ``Account`` rows in scope."""
        cond = true()
        if self.owner_id is not None:
            cond = and_(cond, Account.owner_id == self.owner_id)
        if self.team_ids is not None:
            cond = and_(cond, Account.team_id.in_(sorted(self.team_ids)))
        return cond

    def account_ids(self):
        """A subquery of the ids of the accounts in scope."""
        return select(Account.id).where(self.where())


def _scope_of(
    account_ids: Collection[int] | None,
    team_ids: Collection[int] | None,
    id_range: tuple[int, int] | None = None,
) -> Condition | None:
    """A condition on ``Account`` for the digest's narrower asks."""
    conds = []
    if account_ids is not None:
        conds.append(Account.id.in_(sorted(account_ids)))
    if team_ids is not None:
        conds.append(Account.team_id.in_(sorted(team_ids)))
    if id_range is not None:
        conds.append(Account.id.between(*id_range))
    return and_(*conds) if conds else None


def owned_or_held(owner_id: int, team_ids: Collection[int]) -> Condition:
    """A condition on ``Account``: owned by ``owner_id`` or held by one of ``team_ids``."""
    return or_(Account.owner_id == owner_id, Account.team_id.in_(sorted(team_ids)))


def _restrict(stmt, column, where: Accounts):
    if where is None:
        return stmt
    if isinstance(where, int):
        return stmt.where(column == where)
    return stmt.where(column.in_(select(Account.id).where(where)))


# --- satisfaction -------------------------------------------------------------------


def csat_summaries(
    session: Session,
    *,
    since: datetime,
    until: datetime | None = None,
    where: Accounts = None,
) -> dict[int, CsatSummary]:
    """Each account's scores recorded in ``[since, until)``: mean, count, latest two.

    Two statements: an average per account, and the two latest scores per account
    (a window function; SQLite and PostgreSQL both have ``row_number``).
    """
    window = [CsatScore.recorded_at >= since]
    if until is not None:
        window.append(CsatScore.recorded_at < until)
    stats = _restrict(
        select(CsatScore.account_id, func.avg(CsatScore.score), func.count(CsatScore.id))
        .where(*window)
        .group_by(CsatScore.account_id),
        CsatScore.account_id,
        where,
    )
    rank = (
        func.row_number()
        .over(
            partition_by=CsatScore.account_id,
            order_by=(CsatScore.recorded_at.desc(), CsatScore.id.desc()),
        )
        .label("rank")
    )
    ranked = _restrict(
        select(CsatScore.account_id, CsatScore.score, CsatScore.recorded_at, rank).where(*window),
        CsatScore.account_id,
        where,
    ).subquery()
    latest: dict[int, list[tuple[int, datetime]]] = {}
    for account_id, value, at in session.exec(
        select(ranked.c.account_id, ranked.c.score, ranked.c.recorded_at)
        .where(ranked.c.rank <= 2)
        .order_by(ranked.c.account_id, ranked.c.rank)
    ):
        latest.setdefault(account_id, []).append((value, at))
    out = {}
    for account_id, average, count in session.exec(stats):
        last = latest.get(account_id, [])
        out[account_id] = CsatSummary(
            average=float(average),
            count=count,
            last=last[0][0] if last else None,
            previous=last[1][0] if len(last) > 1 else None,
            last_at=last[0][1] if last else None,
        )
    return out


def csat_history(session: Session, account_id: int, *, limit: int = 5) -> list[CsatScore]:
    return list(
        session.exec(
            select(CsatScore)
            .where(CsatScore.account_id == account_id)
            .order_by(CsatScore.recorded_at.desc(), CsatScore.id.desc())
            .limit(limit)
        )
    )


# --- complaints ---------------------------------------------------------------------


def open_complaints_by_account(
    session: Session, *, where: Accounts = None
) -> dict[int, tuple[int, datetime]]:
    """Open complaints per account: how many, and when the oldest was opened."""
    stmt = _restrict(
        select(Complaint.account_id, func.count(Complaint.id), func.min(Complaint.opened_at))
        .where(Complaint.resolved_at.is_(None))
        .group_by(Complaint.account_id),
        Complaint.account_id,
        where,
    )
    return {a: (n, oldest) for a, n, oldest in session.exec(stmt)}


def open_complaints(
    session: Session, *, where: Accounts = None, limit: int | None = None
) -> list[Complaint]:
    """Open complaints, oldest first."""
    stmt = _restrict(
        select(Complaint)
        .where(Complaint.resolved_at.is_(None))
        .order_by(Complaint.opened_at, Complaint.id),
        Complaint.account_id,
        where,
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt))


def complaint_age(complaint_opened_at: datetime, today: date, tz: ZoneInfo) -> int:
    return max((today - local_day(complaint_opened_at, tz)).days, 0)


# --- receivables --------------------------------------------------------------------


def balances_by_account(session: Session, *, where: Accounts = None) -> dict[int, list[Balance]]:
    out: dict[int, list[Balance]] = {}
    stmt = _restrict(
        select(Invoice.id, Invoice.account_id, Invoice.amount, Invoice.paid_amount,
               Invoice.currency, Invoice.due_on)
        .where(Invoice.settled_on.is_(None)),
        Invoice.account_id,
        where,
    )  # fmt: skip
    for invoice_id, account_id, amount, paid, currency, due_on in session.exec(stmt):
        out.setdefault(account_id, []).append(Balance(invoice_id, amount - paid, currency, due_on))
    return out


def credits_by_account(
    session: Session, *, where: Accounts = None
) -> dict[int, dict[str, Decimal]]:
    """Unapplied payments (credits) per account and currency."""
    stmt = _restrict(
        select(Payment.account_id, Payment.currency, func.sum(Payment.unapplied))
        .where(Payment.unapplied > 0)
        .group_by(Payment.account_id, Payment.currency),
        Payment.account_id,
        where,
    )
    out: dict[int, dict[str, Decimal]] = {}
    for account_id, currency, amount in session.exec(stmt):
        out.setdefault(account_id, {})[currency] = Decimal(amount or 0)
    return out


def unapplied_payments(session: Session, account_id: int, currency: str) -> list[Payment]:
    """Payments with money no invoice has taken yet, oldest first."""
    return list(
        session.exec(
            select(Payment)
            .where(
                Payment.account_id == account_id,
                Payment.currency == currency,
                Payment.unapplied > 0,
            )
            .order_by(Payment.received_on, Payment.id)
        )
    )


def account_receivables(
    session: Session, account: Account, *, today: date, settings: Policy
) -> Receivables:
    return receivables(
        balances_by_account(session, where=account.id).get(account.id, []),
        credits_by_account(session, where=account.id).get(account.id, {}),
        today=today,
        credit_limit=account.credit_limit,
        house=settings.currency,
        rates=settings.fx_rates,
    )


# RFM lives in ``storage.rfm``: the nightly job ranks the book and stores cut-points; a
# request scores one account against them (``account_rfm``).


# --- /account -----------------------------------------------------------------------


@dataclass(frozen=True)
class HealthFacts:
    """Everything about an account's health that ``/account`` shows.

    ``ltv_revenue_from_book`` says the annual revenue in ``ltv`` is the RFM window's
    monetary value because the account has none recorded.  ``rfm_of`` is the account's
    RFM: its own inputs, scored against the book's stored cut-points when there are
    (``storage.rfm``).
    """

    csat: CsatSummary
    open_complaints: int
    oldest_complaint_days: int | None
    receivables: Receivables
    rfm_of: AccountRfm
    ltv: LifetimeValue | None
    ltv_revenue_from_book: bool
    currency: str

    @property
    def rfm(self) -> Rfm | None:
        return self.rfm_of.rfm

    @property
    def rfm_unconverted(self) -> frozenset[str]:
        return self.rfm_of.unconverted

    @property
    def signals(self) -> HealthSignals:
        """The inputs of ``domain.health.assess_health`` (and ``oldest_complaint_days``
        for ``domain.risks``)."""
        return HealthSignals(
            csat_last=self.csat.last,
            csat_previous=self.csat.previous,
            open_complaints=self.open_complaints,
            oldest_complaint_days=self.oldest_complaint_days,
            overdue=self.receivables.overdue,
            oldest_overdue_days=self.receivables.oldest_overdue_days,
            exposure=self.receivables.exposure,
            credit_limit=self.receivables.credit_limit,
            currency=self.currency,
        )


# ``health_facts``' statements, built once with bound parameters and sent through
# SQLAlchemy Core on the session's connection: every ``/account`` runs them.
_AID = bindparam("account_id")
_CSAT_SINCE = bindparam("csat_since", type_=CsatScore.recorded_at.type)


def _scalar(stmt) -> Any:
    return stmt.scalar_subquery()


def _latest_csat(column, offset: int) -> Any:
    return _scalar(
        select(column)
        .where(CsatScore.account_id == _AID, CsatScore.recorded_at >= _CSAT_SINCE)
        .order_by(CsatScore.recorded_at.desc(), CsatScore.id.desc())
        .limit(1)
        .offset(offset)
    )


_open_complaint = and_(Complaint.account_id == _AID, Complaint.resolved_at.is_(None))
_in_window = and_(CsatScore.account_id == _AID, CsatScore.recorded_at >= _CSAT_SINCE)
_one = select(literal_column("1").label("one")).subquery("one")
_FACTS = select(
    _scalar(select(func.count(Complaint.id)).where(_open_complaint)).label("complaints"),
    _scalar(select(func.min(Complaint.opened_at)).where(_open_complaint)).label("oldest"),
    _scalar(select(func.avg(CsatScore.score)).where(_in_window)).label("csat_average"),
    _scalar(select(func.count(CsatScore.id)).where(_in_window)).label("csat_count"),
    _latest_csat(CsatScore.score, 0).label("csat_last"),
    _latest_csat(CsatScore.recorded_at, 0).label("csat_last_at"),
    _latest_csat(CsatScore.score, 1).label("csat_previous"),
    *CUT_COLUMNS,
).select_from(_one.outerjoin(RfmCutpoints.__table__, RfmCutpoints.scope == BOOK))
"""One row: open complaints (how many, the oldest), the CSAT window (mean, count, the
latest two), and the book's stored RFM cut-points (NULL when none are stored)."""

_MONEY = union_all(
    ACCOUNT_WON,
    ACCOUNT_PAID,
    select(
        literal_column("'credit'", String),
        Payment.currency,
        func.sum(Payment.unapplied),
        cast(null(), Integer),
        cast(null(), Deal.closed_at.type),
        cast(null(), Payment.received_on.type),
    )
    .where(Payment.account_id == _AID, Payment.unapplied > 0)
    .group_by(Payment.currency),
    select(
        literal_column("'invoice'", String),
        Invoice.currency,
        Invoice.amount - Invoice.paid_amount,
        Invoice.id,
        cast(null(), Deal.closed_at.type),
        Invoice.due_on,
    ).where(Invoice.account_id == _AID, Invoice.settled_on.is_(None)),
)
"""The account's money, one statement: RFM's won deals and payments by currency
(``storage.rfm``), unapplied credits by currency, and open invoices (the invoice's id
in ``n``, its due day in ``last_on``) — ``credits_by_account`` and
``balances_by_account`` for one account."""


def health_facts(
    session: Session,
    account: Account,
    *,
    now: datetime,
    settings: Policy,
    tz: ZoneInfo,
    with_rfm: bool = True,
) -> HealthFacts:
    """One account's health in two statements, whatever the size of the book.

    RFM scores the account's own won deals and payments against the cut-points the
    ``rfm`` job stored (``storage.rfm.rated``): no whole-book work.  ``with_rfm=False``
    leaves it out (lifetime value then uses only the recorded annual revenue).
    """
    policy = policy_of(settings)
    today = local_day(now, tz)
    conn = session.connection()
    params = {"account_id": account.id, **window_params(now, settings, tz)}
    money = conn.execute(_MONEY, params).all()
    facts = conn.execute(
        _FACTS,
        {"account_id": account.id, "csat_since": now - timedelta(days=policy.csat_window_days)},
    ).one()
    csat = CsatSummary()
    if facts.csat_count:
        csat = CsatSummary(
            average=float(facts.csat_average),
            count=facts.csat_count,
            last=facts.csat_last,
            previous=facts.csat_previous,
            last_at=facts.csat_last_at,
        )
    balances, credits = [], {}
    for what, currency, amount, n, _at, on in money:
        if what == "invoice":
            balances.append(Balance(n, amount, currency, on))
        elif what == "credit":
            credits[currency] = Decimal(amount or 0)
    rfm = AccountRfm("skipped")
    if with_rfm:
        rfm = AccountRfm("churned")
        if account.status not in INACTIVE_STATUSES:
            inputs, left_out = input_of(money, now=now, settings=settings, tz=tz)
            cuts = facts if facts.population is not None else None
            rfm = rated(inputs, left_out, cuts, now=now, settings=settings, tz=tz)
    ltv, from_book = account_lifetime_value(
        annual_revenue=account.annual_revenue,
        expected_years=account.expected_years,
        margin_pct=account.margin_pct,
        acquisition_cost=account.acquisition_cost,
        default_years=policy.expected_years,
        book_revenue=rfm.inputs.monetary if rfm.inputs is not None else None,
    )
    oldest = facts.oldest
    return HealthFacts(
        csat=csat,
        open_complaints=facts.complaints,
        oldest_complaint_days=None if oldest is None else complaint_age(oldest, today, tz),
        receivables=receivables(
            balances,
            credits,
            today=today,
            credit_limit=account.credit_limit,
            house=settings.currency,
            rates=settings.fx_rates,
        ),
        rfm_of=rfm,
        ltv=ltv,
        ltv_revenue_from_book=from_book,
        currency=settings.currency,
    )


# --- the digest ---------------------------------------------------------------------


def health_signals(
    session: Session,
    *,
    now: datetime,
    settings: Policy,
    tz: ZoneInfo,
    team_ids: Collection[int] | None = None,
    account_ids: Collection[int] | None = None,
    id_range: tuple[int, int] | None = None,
) -> dict[int, HealthSignals]:
    """The health risk inputs of every account in scope that has any, in six statements.

    ``id_range`` (first and last account id) keeps to one page of the book
    (``storage.queries.account_pages``).  Accounts with no scores, no open complaint
    and no open invoice are left out.
    """
    policy = policy_of(settings)
    today = local_day(now, tz)
    where = _scope_of(account_ids, team_ids, id_range)
    live = Account.status.not_in(INACTIVE_STATUSES)
    where = live if where is None else and_(where, live)
    csat = csat_summaries(session, since=now - timedelta(days=policy.csat_window_days), where=where)
    complaints = open_complaints_by_account(session, where=where)
    balances = balances_by_account(session, where=where)
    credits = credits_by_account(session, where=where)
    ids = set(csat) | set(complaints) | set(balances)
    limits = _column_by_id(session, Account.credit_limit, ids)
    out = {}
    for account_id in ids:
        c = csat.get(account_id, CsatSummary())
        n, oldest = complaints.get(account_id, (0, None))
        r = receivables(
            balances.get(account_id, []),
            credits.get(account_id, {}),
            today=today,
            credit_limit=limits.get(account_id),
            house=settings.currency,
            rates=settings.fx_rates,
        )
        out[account_id] = HealthSignals(
            csat_last=c.last,
            csat_previous=c.previous,
            open_complaints=n,
            oldest_complaint_days=None if oldest is None else complaint_age(oldest, today, tz),
            overdue=r.overdue,
            oldest_overdue_days=r.oldest_overdue_days,
            exposure=r.exposure,
            credit_limit=r.credit_limit,
            currency=settings.currency,
        )
    return out


# --- the quarterly tier review ------------------------------------------------------


@dataclass(frozen=True)
class ReviewInput:
    account: Account
    decision_chain_depth: int
    book: BookFactors


REVIEW_PAGE = 1000
"""Accounts per page of the tier review: what it holds follows this, not the book."""


def review_pages(
    session: Session,
    *,
    now: datetime,
    settings: Policy,
    tz: ZoneInfo,
    revenue: bool = True,
    size: int | None = None,
) -> Iterator[list[ReviewInput]]:
    """Every account that is not churned, with what the book says about its tier factors,
    a page of ``size`` (``REVIEW_PAGE``) accounts at a time (keyset pages, in id order).

    Five statements a page (seven with ``revenue``): the accounts, their decision-chain
    depth, CSAT (two), the invoices due in the window and, with ``revenue`` (pass
    whether ``annual_revenue`` is a review factor), the RFM window's monetary value (won
    deals and payments, as ``storage.rfm.book_inputs`` sums them; no ranking is needed).
    """
    size = REVIEW_PAGE if size is None else size
    if size < 1:
        raise ValueError("size must be positive")
    policy = policy_of(settings)
    today = local_day(now, tz)
    csat_since = now - timedelta(days=policy.csat_window_days)
    window_start = today - timedelta(days=policy.rfm_window_days)
    after: int | None = None
    while True:
        stmt = select(Account).where(Account.status.not_in(INACTIVE_STATUSES)).order_by(Account.id)
        if after is not None:
            stmt = stmt.where(Account.id > after)
        accounts = list(session.exec(stmt.limit(size)))
        if not accounts:
            return
        first, last = accounts[0].id, accounts[-1].id
        depth = dict(
            session.exec(
                select(Contact.account_id, func.count(func.distinct(Contact.role)))
                .where(
                    Contact.role.is_not(None),
                    Contact.left_at.is_(None),
                    Contact.account_id.between(first, last),
                )
                .group_by(Contact.account_id)
            ).all()
        )
        csat = csat_summaries(session, since=csat_since, where=Account.id.between(first, last))
        invoices: dict[int, list[tuple[date, date, date | None]]] = {}
        for account_id, issued_on, due_on, settled_on in session.exec(
            select(Invoice.account_id, Invoice.issued_on, Invoice.due_on, Invoice.settled_on)
            .where(Invoice.due_on >= window_start, Invoice.due_on < today)
            .where(Invoice.account_id.between(first, last))
        ):
            invoices.setdefault(account_id, []).append((issued_on, due_on, settled_on))
        monetary = (
            _window_monetary(session, (first, last), now=now, settings=settings, tz=tz)
            if revenue
            else {}
        )
        yield [
            ReviewInput(
                account=account,
                decision_chain_depth=depth.get(account.id, 0),
                book=BookFactors.measure(
                    monetary=monetary.get(account.id),
                    csat=csat.get(account.id, CsatSummary()),
                    payments=payment_record(invoices.get(account.id, [])),
                ),
            )
            for account in accounts
        ]
        if len(accounts) < size:
            return
        after = last


def _window_monetary(
    session: Session, id_range: tuple[int, int], *, now: datetime, settings: Policy, tz: ZoneInfo
) -> dict[int, Decimal | None]:
    """RFM's Monetary of the accounts in ``id_range`` (first and last id): the larger of
    won value and payments received in the window, in the house currency; None where a
    currency has no rate (``storage.rfm.book_inputs`` leaves those out of the ranking the same way).
    Accounts with nothing in the window are absent (0)."""
    today = local_day(now, tz)
    since_day = today - timedelta(days=policy_of(settings).rfm_window_days)
    won: dict[int, dict[str, Decimal]] = {}
    for account_id, currency, amount in session.exec(
        select(Deal.account_id, Deal.currency, func.sum(Deal.amount))
        .where(
            Deal.stage == DealStage.won.value,
            Deal.closed_at >= day_start(since_day, tz),
            Deal.closed_at <= now,
            Deal.account_id.between(*id_range),
        )
        .group_by(Deal.account_id, Deal.currency)
    ):
        add_money(won.setdefault(account_id, {}), currency, Decimal(amount or 0))
    paid: dict[int, dict[str, Decimal]] = {}
    for account_id, currency, amount in session.exec(
        select(Payment.account_id, Payment.currency, func.sum(Payment.amount))
        .where(
            Payment.received_on >= since_day,
            Payment.received_on <= today,
            Payment.account_id.between(*id_range),
        )
        .group_by(Payment.account_id, Payment.currency)
    ):
        add_money(paid.setdefault(account_id, {}), currency, Decimal(amount or 0))
    out: dict[int, Decimal | None] = {}
    for account_id in won.keys() | paid.keys():
        won_value, left_won = in_house(won.get(account_id), settings)
        paid_value, left_paid = in_house(paid.get(account_id), settings)
        out[account_id] = None if left_won or left_paid else max(won_value, paid_value)
    return out


# --- /kpi ---------------------------------------------------------------------------


@dataclass
class KpiInputs:
    """The raw counts and sums behind every KPI of one scope and period."""

    histories: list[AccountHistory] = field(default_factory=list)
    tiers: list[str] = field(default_factory=list)  # effective tier, per history
    won: int = 0
    lost: int = 0
    won_value: dict[str, Decimal] = field(default_factory=dict)
    complaints_opened: int = 0
    accounts_with_complaints: int = 0
    complaints_resolved: int = 0
    complaints_open_during: int = 0
    csat_averages: dict[int, float] = field(default_factory=dict)
    csat_scores: int = 0
    interactions: int = 0
    collected: dict[str, Decimal] = field(default_factory=dict)
    overdue: dict[str, Decimal] = field(default_factory=dict)


def kpi_inputs(
    session: Session,
    scope: Scope,
    *,
    start: datetime,
    end: datetime,
    today: date,
    tz: ZoneInfo,
) -> KpiInputs:
    """Everything ``/kpi`` counts for ``scope`` over ``[start, end)``, in ten statements.

    Accounts are those in scope now (their current owner and team); deals count for
    a person by the deal's owner.  Status history comes from the audit trail: the
    status an account had at a moment is the one before its first status change after it.
    """
    out = KpiInputs()
    in_scope = scope.account_ids()
    rows = session.exec(
        select(Account.id, Account.created_at, Account.partnership_start, Account.status,
               func.coalesce(Account.tier_override, Account.tier))
        .where(scope.where())
    ).all()  # fmt: skip
    changes: dict[int, list[tuple[datetime, str | None, str | None]]] = {}
    for account_id, at, before, after in session.exec(
        select(AuditEntry.account_id, AuditEntry.at, AuditEntry.before, AuditEntry.after).where(
            AuditEntry.entity == "account",
            AuditEntry.action == "update",
            AuditEntry.undone_at.is_(None),
            AuditEntry.at > start,
            AuditEntry.account_id.in_(in_scope),
        )
    ):
        old, new = (before or {}).get("status"), (after or {}).get("status")
        if old != new:
            changes.setdefault(account_id, []).append((at, old, new))
    for account_id, created_at, partnership_start, status, tier in rows:
        since = created_at
        if partnership_start is not None:
            since = min(since, day_start(partnership_start, tz))
        out.histories.append(AccountHistory(since, status, tuple(changes.get(account_id, ()))))
        out.tiers.append(tier)

    deals = select(Deal.stage, Deal.currency, func.count(Deal.id), func.sum(Deal.amount)).where(
        Deal.stage.in_((DealStage.won.value, DealStage.lost.value)),
        Deal.closed_at >= start,
        Deal.closed_at < end,
    )
    if scope.owner_id is not None:
        deals = deals.where(Deal.owner_id == scope.owner_id)
    if scope.team_ids is not None:
        deals = deals.where(
            Deal.account_id.in_(select(Account.id).where(Scope(team_ids=scope.team_ids).where()))
        )
    for stage, currency, n, amount in session.exec(deals.group_by(Deal.stage, Deal.currency)):
        if stage == DealStage.won.value:
            out.won += n
            add_money(out.won_value, currency, Decimal(amount or 0))
        else:
            out.lost += n

    opened = and_(Complaint.opened_at >= start, Complaint.opened_at < end)
    resolved = and_(Complaint.resolved_at >= start, Complaint.resolved_at < end)
    during = or_(Complaint.resolved_at.is_(None), Complaint.resolved_at >= start)
    row = session.exec(
        select(
            func.sum(case((opened, 1), else_=0)),
            func.count(func.distinct(case((opened, Complaint.account_id)))),
            func.sum(case((resolved, 1), else_=0)),
            func.sum(case((during, 1), else_=0)),
        ).where(Complaint.opened_at < end, Complaint.account_id.in_(in_scope))
    ).one()
    out.complaints_opened, out.accounts_with_complaints = row[0] or 0, row[1] or 0
    out.complaints_resolved, out.complaints_open_during = row[2] or 0, row[3] or 0

    for account_id, average, n in session.exec(
        select(CsatScore.account_id, func.avg(CsatScore.score), func.count(CsatScore.id))
        .where(
            CsatScore.recorded_at >= start,
            CsatScore.recorded_at < end,
            CsatScore.account_id.in_(in_scope),
        )
        .group_by(CsatScore.account_id)
    ):
        out.csat_averages[account_id] = float(average)
        out.csat_scores += n

    out.interactions = session.exec(
        select(func.count(Interaction.id)).where(
            Interaction.happened_at >= start,
            Interaction.happened_at < end,
            Interaction.account_id.in_(in_scope),
        )
    ).one()

    first, last = local_day(start, tz), local_day(end - timedelta(microseconds=1), tz)
    for currency, amount in session.exec(
        select(Payment.currency, func.sum(Payment.amount))
        .where(
            Payment.received_on >= first,
            Payment.received_on <= last,
            Payment.account_id.in_(in_scope),
        )
        .group_by(Payment.currency)
    ):
        add_money(out.collected, currency, Decimal(amount or 0))

    for currency, amount, paid in session.exec(
        select(Invoice.currency, func.sum(Invoice.amount), func.sum(Invoice.paid_amount))
        .where(
            Invoice.settled_on.is_(None),
            Invoice.due_on < today,
            Invoice.account_id.in_(in_scope),
        )
        .group_by(Invoice.currency)
    ):
        add_money(out.overdue, currency, Decimal(amount or 0) - Decimal(paid or 0))
    return out


def days_in_period(history: AccountHistory, first: date, last: date, tz: ZoneInfo) -> int:
    """Days of ``[first, last]`` the account spent in the book."""
    begin = max(first, local_day(history.since, tz))
    return max((last - begin).days + 1, 0)


# --- repositories (for the commands) ------------------------------------------------


def _column_by_id(session: Session, column, ids: Collection[int]) -> dict:
    if not ids:
        return {}
    return dict(session.exec(select(Account.id, column).where(Account.id.in_(sorted(ids)))).all())


def account_names(session: Session, ids: Collection[int]) -> dict[int, str]:
    return _column_by_id(session, Account.name, ids)


def complaints_of(session: Session, account_id: int, *, open_only: bool = True) -> list[Complaint]:
    stmt = select(Complaint).where(Complaint.account_id == account_id)
    if open_only:
        stmt = stmt.where(Complaint.resolved_at.is_(None))
    return list(session.exec(stmt.order_by(Complaint.opened_at, Complaint.id)))


def invoices_of(session: Session, account_id: int, *, open_only: bool = True) -> list[Invoice]:
    stmt = select(Invoice).where(Invoice.account_id == account_id)
    if open_only:
        stmt = stmt.where(Invoice.settled_on.is_(None))
    return list(session.exec(stmt.order_by(Invoice.due_on, Invoice.id)))


def payment_record_of(
    session: Session, account_id: int, *, since: date, today: date
) -> PaymentRecord:
    rows: Iterable[tuple[date, date, date | None]] = session.exec(
        select(Invoice.issued_on, Invoice.due_on, Invoice.settled_on).where(
            Invoice.account_id == account_id, Invoice.due_on >= since, Invoice.due_on < today
        )
    ).all()
    return payment_record(rows)
