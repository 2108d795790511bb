"""Pipeline, forecast and value-pyramid numbers, grouped in the database (issue 18).

Every function here is a fixed number of grouped statements whatever the size of the
book (a manager's teams, or an admin's 200,000 deals): rows come back per stage, month,
currency or tier — never per deal.  ``domain.forecast`` does the arithmetic on them.

    open_by_stage(session, scope, …)        {(stage, currency): (deals, amount)}
    stage_ages(session, scope, today=…, …)  {stage: {days in stage: deals}}
    conversions(session, scope, since=…, …) {stage: (entered, advanced)}
    won_by_month(session, scope, months, tz)              {(month, currency): amount}
    open_by_close_month(session, scope, months)   {(month, stage, currency): amount}
    open_unplaced(session, scope, before=…)    slipped / undated open deals
    receivables(session, scope, today=…)       open invoices by due day and payer habit
    tier_totals(session, scope, since=…)       accounts, revenue and pipeline per tier
    review_candidates(session, scope, …)       tiers two bands from their revenue band

``BookScope`` says whose book: a person's (their deals; the accounts they own) or some
teams' (the accounts of those teams), or the whole book.  Accounts that are churned,
dormant or lost are left out, like everywhere else; their open invoices are not (money
owed is owed).  Like every repository they take the session and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    true,
    type_coerce,
)
from sqlmodel import Session, select

from domain.forecast import Month, band_cuts
from domain.models import (
    CLOSED_STAGES,
    INACTIVE_STATUSES,
    Account,
    Deal,
    DealStage,
    DealStageChange,
    Invoice,
)
from domain.types import MoneyAmount
from storage.queries import EFFECTIVE_TIER

ZERO = Decimal("0")


@dataclass(frozen=True)
class BookScope:
    """Whose numbers: one person's, some teams', or (neither) the whole book."""

    owner_id: int | None = None
    team_ids: frozenset[int] | None = None

    def accounts(self) -> ColumnElement[bool]:
        """The condition on ``Account`` rows in scope (a person: the accounts they own)."""
        cond = Account.status.not_in(INACTIVE_STATUSES)
        if self.team_ids is not None:
            cond = and_(cond, Account.team_id.in_(sorted(self.team_ids)))
        if self.owner_id is not None:
            cond = and_(cond, Account.owner_id == self.owner_id)
        return cond

    def deals(self) -> ColumnElement[bool]:
        """The condition on ``Deal`` joined to its ``Account`` (a person: their deals)."""
        cond = Account.status.not_in(INACTIVE_STATUSES)
        if self.team_ids is not None:
            cond = and_(cond, Account.team_id.in_(sorted(self.team_ids)))
        if self.owner_id is not None:
            cond = and_(cond, Deal.owner_id == self.owner_id)
        return cond

    def invoices(self) -> ColumnElement[bool]:
        """The condition on ``Invoice`` joined to its ``Account`` (any status)."""
        cond = true()
        if self.team_ids is not None:
            cond = and_(cond, Account.team_id.in_(sorted(self.team_ids)))
        if self.owner_id is not None:
            cond = and_(cond, Account.owner_id == self.owner_id)
        return cond


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _open(close_from: date | None = None, close_to: date | None = None) -> ColumnElement[bool]:
    cond = Deal.stage.not_in(CLOSED_STAGES)
    if close_from is not None:
        cond = and_(cond, Deal.close_date >= close_from)
    if close_to is not None:
        cond = and_(cond, Deal.close_date <= close_to)
    return cond


def _money(value) -> Decimal:
    return Decimal(value or 0)


# --- the funnel -----------------------------------------------------------------------


def open_by_stage(
    session: Session,
    scope: BookScope,
    *,
    close_from: date | None = None,
    close_to: date | None = None,
) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """Open deals in scope (closing in [close_from, close_to] if given): how many and
    how much, by stage and currency."""
    total = type_coerce(func.sum(Deal.amount), MoneyAmount)
    stmt = (
        select(Deal.stage, Deal.currency, func.count(Deal.id), total)
        .join(Account, Account.id == Deal.account_id)
        .where(scope.deals(), _open(close_from, close_to))
        .group_by(Deal.stage, Deal.currency)
    )
    return {(s, c): (int(n), _money(a)) for s, c, n, a in session.exec(stmt)}


def _days_from(session: Session, moment: datetime, column) -> ColumnElement[float]:
    """Days (fractional) from ``column`` (a timestamp) to ``moment``."""
    if _is_sqlite(session):
        naive = moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        return func.julianday(literal(naive)) - func.julianday(column)
    return func.extract("epoch", literal(moment) - column) / 86400


def stage_ages(
    session: Session,
    scope: BookScope,
    *,
    today: date,
    tz: ZoneInfo,
    close_from: date | None = None,
    close_to: date | None = None,
) -> dict[str, dict[int, int]]:
    """Open deals in scope by stage and local calendar days in the stage (today minus
    the local day of the last stage change, as ``domain.risks`` counts them)."""
    tomorrow = datetime.combine(today + timedelta(days=1), time(), tz)
    days = _days_from(session, tomorrow, Deal.stage_changed_at) - 0.000001
    if _is_sqlite(session):
        whole = cast(days, Integer)  # a positive number: the cast truncates, a floor
    else:
        whole = func.floor(days)
    inner = (
        select(Deal.stage.label("stage"), whole.label("days"))
        .join(Account, Account.id == Deal.account_id)
        .where(scope.deals(), _open(close_from, close_to))
        .subquery()
    )
    stmt = select(inner.c.stage, inner.c.days, func.count()).group_by(inner.c.stage, inner.c.days)
    out: dict[str, dict[int, int]] = {}
    for stage, d, n in session.exec(stmt):
        bucket = out.setdefault(stage, {})
        day = max(int(d), 0)
        bucket[day] = bucket.get(day, 0) + int(n)
    return out


def conversions(
    session: Session,
    scope: BookScope,
    *,
    since: datetime,
    until: datetime,
    stages: Sequence[str],
) -> dict[str, tuple[int, int]]:
    """For each of the open ``stages`` (in order): how many deals in scope entered it in
    [since, until) and how many of those later reached a stage after it (or won)."""
    # One pass over the window's stage changes, per deal: when it first entered each
    # stage, and the last time it moved to a stage after it (a move after the entry is
    # in the window too).  Entered X and advanced: the latter is not before the former.
    rank = {s: i for i, s in enumerate([*stages, DealStage.won.value])}
    change = DealStageChange
    rank_of = case(rank, value=change.to_stage, else_=-1)
    cols = []
    for i, stage in enumerate(stages):
        cols.append(func.min(case((change.to_stage == stage, change.changed_at))).label(f"e{i}"))
        cols.append(func.max(case((rank_of > i, change.changed_at))).label(f"l{i}"))
    per_deal = (
        select(change.deal_id.label("deal_id"), *cols)
        .where(change.changed_at >= since, change.changed_at < until)
        .group_by(change.deal_id)
        .subquery()
    )
    sums = []
    for i in range(len(stages)):
        entered, later = per_deal.c[f"e{i}"], per_deal.c[f"l{i}"]
        sums.append(func.count(entered))
        sums.append(func.sum(case((and_(entered.is_not(None), later >= entered), 1), else_=0)))
    row = session.exec(
        select(*sums)
        .select_from(per_deal)
        .join(Deal, Deal.id == per_deal.c.deal_id)
        .join(Account, Account.id == Deal.account_id)
        .where(scope.deals())
    ).one()
    out = {}
    for i, stage in enumerate(stages):
        entered, advanced = int(row[2 * i] or 0), int(row[2 * i + 1] or 0)
        if entered:
            out[stage] = (entered, advanced)
    return out


# --- the forecast ---------------------------------------------------------------------


def _month_case(column, starts: Sequence, months: Sequence[Month]):
    """The month (its index in ``months``) a value falls in, by the month starts (one
    more than the months: the last is the end)."""
    return case(
        *((column < starts[i + 1], i) for i in range(len(months))),
        else_=None,
    )


def won_by_month(
    session: Session, scope: BookScope, months: Sequence[Month], tz: ZoneInfo
) -> dict[tuple[Month, str], Decimal]:
    """Won deals in scope by the local month they closed in, and currency."""
    if not months:
        return {}
    starts = [datetime.combine(date(y, m, 1), time(), tz) for y, m in months]
    y, m = months[-1]
    starts.append(datetime.combine(date(y + m // 12, m % 12 + 1, 1), time(), tz))
    inner = (
        select(
            _month_case(Deal.closed_at, starts, months).label("m"),
            Deal.currency.label("currency"),
            Deal.amount.label("amount"),
        )
        .join(Account, Account.id == Deal.account_id)
        .where(
            scope.deals(),
            Deal.stage == DealStage.won.value,
            Deal.closed_at >= starts[0],
            Deal.closed_at < starts[-1],
        )
        .subquery()
    )
    total = type_coerce(func.sum(inner.c.amount), MoneyAmount)
    stmt = select(inner.c.m, inner.c.currency, total).group_by(inner.c.m, inner.c.currency)
    return {(months[int(i)], c): _money(a) for i, c, a in session.exec(stmt) if i is not None}


def open_by_close_month(
    session: Session, scope: BookScope, months: Sequence[Month]
) -> dict[tuple[Month, str, str], tuple[int, Decimal]]:
    """Open deals in scope closing in ``months``: how many and how much by month (of
    the close date), stage and currency."""
    if not months:
        return {}
    starts = [date(y, m, 1) for y, m in months]
    y, m = months[-1]
    starts.append(date(y + m // 12, m % 12 + 1, 1))
    inner = (
        select(
            _month_case(Deal.close_date, starts, months).label("m"),
            Deal.stage.label("stage"),
            Deal.currency.label("currency"),
            Deal.amount.label("amount"),
            Deal.id.label("id"),
        )
        .join(Account, Account.id == Deal.account_id)
        .where(scope.deals(), _open(starts[0], starts[-1] - timedelta(days=1)))
        .subquery()
    )
    total = type_coerce(func.sum(inner.c.amount), MoneyAmount)
    stmt = select(
        inner.c.m, inner.c.stage, inner.c.currency, func.count(inner.c.id), total
    ).group_by(inner.c.m, inner.c.stage, inner.c.currency)
    return {
        (months[int(i)], s, c): (int(n), _money(a))
        for i, s, c, n, a in session.exec(stmt)
        if i is not None
    }


@dataclass(frozen=True)
class Unplaced:
    """Open deals the months cannot show: close date passed before ``before``, or none."""

    slipped_deals: int
    slipped: dict[tuple[str, str], Decimal]  # (stage, currency): amount
    undated_deals: int
    undated: dict[tuple[str, str], Decimal]


def open_unplaced(session: Session, scope: BookScope, *, before: date) -> Unplaced:
    total = type_coerce(func.sum(Deal.amount), MoneyAmount)
    slipped = Deal.close_date < before

    def grouped(cond):
        stmt = (
            select(Deal.stage, Deal.currency, func.count(Deal.id), total)
            .join(Account, Account.id == Deal.account_id)
            .where(scope.deals(), _open(), cond)
            .group_by(Deal.stage, Deal.currency)
        )
        rows = list(session.exec(stmt))
        return sum(int(r[2]) for r in rows), {(r[0], r[1]): _money(r[3]) for r in rows}

    n_slipped, by_slipped = grouped(slipped)
    n_undated, by_undated = grouped(Deal.close_date.is_(None))
    return Unplaced(n_slipped, by_slipped, n_undated, by_undated)


@dataclass(frozen=True)
class Receivables:
    """Open invoices in scope: those not yet due by (due day, average days late of the
    account — None without settled invoices, currency), and the overdue apart."""

    upcoming: dict[tuple[date, float | None, str], tuple[int, Decimal]]  # invoices, owed
    overdue: dict[str, Decimal]
    overdue_invoices: int
    upcoming_invoices: int


def _day_diff(session: Session, later, earlier) -> ColumnElement[float]:
    """Days from the date ``earlier`` to the date ``later``."""
    if _is_sqlite(session):
        return func.julianday(later) - func.julianday(earlier)
    return type_coerce(later - earlier, Float)


def receivables(session: Session, scope: BookScope, *, today: date) -> Receivables:
    late = (
        select(
            Invoice.account_id.label("account_id"),
            func.avg(_day_diff(session, Invoice.settled_on, Invoice.due_on)).label("late"),
        )
        .join(Account, Account.id == Invoice.account_id)
        .where(scope.invoices(), Invoice.settled_on.is_not(None))
        .group_by(Invoice.account_id)
        .subquery()
    )
    owed = type_coerce(func.sum(Invoice.amount - Invoice.paid_amount), MoneyAmount)
    is_open = and_(Invoice.settled_on.is_(None), Invoice.amount > Invoice.paid_amount)
    stmt = (
        select(Invoice.due_on, late.c.late, Invoice.currency, owed, func.count(Invoice.id))
        .join(Account, Account.id == Invoice.account_id)
        .outerjoin(late, late.c.account_id == Invoice.account_id)
        .where(scope.invoices(), is_open, Invoice.due_on >= today)
        .group_by(Invoice.due_on, late.c.late, Invoice.currency)
    )
    upcoming: dict[tuple[date, float | None, str], tuple[int, Decimal]] = {}
    n_upcoming = 0
    for due, avg, currency, amount, n in session.exec(stmt):
        key = (due, None if avg is None else float(avg), currency)
        had_n, had = upcoming.get(key, (0, ZERO))
        upcoming[key] = (had_n + int(n), had + _money(amount))
        n_upcoming += int(n)
    stmt = (
        select(Invoice.currency, owed, func.count(Invoice.id))
        .join(Account, Account.id == Invoice.account_id)
        .where(scope.invoices(), is_open, Invoice.due_on < today)
        .group_by(Invoice.currency)
    )
    overdue, n_overdue = {}, 0
    for currency, amount, n in session.exec(stmt):
        overdue[currency] = _money(amount)
        n_overdue += int(n)
    return Receivables(upcoming, overdue, n_overdue, n_upcoming)


# --- the value pyramid ----------------------------------------------------------------


@dataclass(frozen=True)
class TierTotals:
    accounts: dict[str, int]  # tier: accounts
    revenue: dict[tuple[str, str], Decimal]  # (tier, currency): won in the window
    pipeline: dict[tuple[str, str], Decimal]  # (tier, currency): open amount


def tier_totals(session: Session, scope: BookScope, *, since: datetime) -> TierTotals:
    tier = EFFECTIVE_TIER.label("tier")
    accounts = {
        t: int(n)
        for t, n in session.exec(
            select(tier, func.count(Account.id)).where(scope.accounts()).group_by(EFFECTIVE_TIER)
        )
    }
    total = type_coerce(func.sum(Deal.amount), MoneyAmount)

    def by_tier(cond):
        stmt = (
            select(EFFECTIVE_TIER, Deal.currency, total)
            .join(Account, Account.id == Deal.account_id)
            .where(scope.accounts(), cond)
            .group_by(EFFECTIVE_TIER, Deal.currency)
        )
        return {(t, c): _money(a) for t, c, a in session.exec(stmt)}

    won = and_(Deal.stage == DealStage.won.value, Deal.closed_at >= since)
    return TierTotals(accounts, by_tier(won), by_tier(_open()))


@dataclass(frozen=True)
class Candidate:
    account_id: int
    name: str
    tier: str
    rank: int
    revenue: dict[str, Decimal]  # currency: won in the window


def review_candidates(
    session: Session,
    scope: BookScope,
    *,
    since: datetime,
    house: str,
    rates: Mapping[str, Decimal],
    limit: int = 10,
) -> tuple[int, int, list[Candidate]]:
    """Accounts ranked by won revenue since ``since`` (in the house currency; a currency
    without a rate is left out of the ranking), and those whose tier is two bands from
    their revenue band (``domain.forecast.revenue_band``): (accounts ranked, how many
    disagree, the first ``limit`` of them by rank)."""
    n = session.exec(select(func.count(Account.id)).where(scope.accounts())).one()
    if not n:
        return 0, 0, []
    top, middle = band_cuts(int(n))
    whens = [(Deal.currency == house, Deal.amount)]
    # the rate as a plain number: a MoneyAmount-typed bind would be stored in cents
    rate = lambda r: literal(float(r), type_=Float)  # noqa: E731
    whens += [(Deal.currency == c, Deal.amount * rate(r)) for c, r in sorted(rates.items())]
    value = type_coerce(case(*whens, else_=None), Float)
    won = and_(
        Deal.account_id == Account.id,
        Deal.stage == DealStage.won.value,
        Deal.closed_at >= since,
    )
    per_account = (
        select(
            Account.id.label("id"),
            Account.name.label("name"),
            EFFECTIVE_TIER.label("tier"),
            func.coalesce(func.sum(value), 0).label("revenue"),
        )
        .outerjoin(Deal, won)
        .where(scope.accounts())
        .group_by(Account.id, Account.name, EFFECTIVE_TIER)
        .subquery()
    )
    ranked = select(
        per_account,
        func.row_number()
        .over(order_by=(per_account.c.revenue.desc(), per_account.c.id))
        .label("rank"),
    ).subquery()
    earns = ranked.c.revenue > 0
    disagree = or_(
        and_(ranked.c.tier == "C", earns, ranked.c.rank <= top),
        and_(ranked.c.tier == "A", or_(~earns, ranked.c.rank > middle)),
    )
    count = session.exec(select(func.count()).select_from(ranked).where(disagree)).one()
    rows = list(
        session.exec(
            select(ranked.c.id, ranked.c.name, ranked.c.tier, ranked.c.rank)
            .where(disagree)
            .order_by(ranked.c.rank)
            .limit(limit)
        )
    )
    ids = [r[0] for r in rows]
    revenue: dict[int, dict[str, Decimal]] = {}
    if ids:
        total = type_coerce(func.sum(Deal.amount), MoneyAmount)
        stmt = (
            select(Deal.account_id, Deal.currency, total)
            .where(
                Deal.account_id.in_(ids),
                Deal.stage == DealStage.won.value,
                Deal.closed_at >= since,
            )
            .group_by(Deal.account_id, Deal.currency)
        )
        for a, c, amount in session.exec(stmt):
            revenue.setdefault(a, {})[c] = _money(amount)
    return (
        int(n),
        int(count),
        [Candidate(i, name, t, int(r), revenue.get(i, {})) for i, name, t, r in rows],
    )
