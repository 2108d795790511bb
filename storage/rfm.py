"""RFM from the book: every account's inputs for the job, one account's for a request.

    book_inputs(session, now=…, settings=…, tz=…) -> BookInputs       (the whole book)
    compute_cutpoints(session, now=…, settings=…, tz=…) -> RfmCutpoints   (unsaved)
    store_cutpoints(session, row) -> bool                  (upsert; newer reads win)
    account_input(session, account_id, now=…, settings=…, tz=…) -> (RfmInput, unconverted)
    account_rfm(session, account, now=…, settings=…, tz=…) -> AccountRfm   (/ltv)
    rated(inputs, unconverted, row, now=…, settings=…, tz=…) -> AccountRfm  (/account:
                                        ``storage.health`` reads the same rows with more)

Ranking the book costs time in proportion to it (about half a second at 50,000
accounts), so no request does it: the ``rfm`` job (``schedules.jobs.rfm``: nightly,
after a CSV import, ``kam jobs run rfm``) stores the quintile cut-points in
``rfm_cutpoints``, and a request reads that one row and the account's own won deals
and payments (two aggregates over ``ix_deal_account_stage_closed`` and
``ix_payment_account_received``, in one statement), then scores them (``domain.health.score_rfm``).
An account's own ``/paid`` or won deal therefore shows at once; the rest of the book's
movements show after the next run.

What a request shows, by what is stored (``AccountRfm.state``):

    ranked          cut-points of today or yesterday, computed with today's currency,
                    exchange rates and window: the score
    as_of           the same, older (the scheduler has not run since): the score, and
                    the day it was ranked on — quintiles over a year's window move
                    slowly, a sales team would rather see last week's ranking, dated,
                    than none
    unranked        nothing stored yet (a fresh book, no scheduler), or an empty book:
                    no score, and a plain line that the nightly job ranks the book
    other_settings  stored with another currency, exchange rates or window: no score
                    (comparing amounts in another currency, or counts over another
                    window, would make one up); the scheduler's next tick ranks again
    churned         the account is churned: not ranked, nothing shown (as before)
    skipped         ``health_facts(with_rfm=False)``: not asked for

The time zone is not part of what is compared: a change of ``timezone`` moves the
day's edges by hours, and the next day's run ranks with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, bindparam, case, cast, func, literal_column, null, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from domain.health import (
    Rfm,
    RfmCuts,
    RfmInput,
    add_money,
    policy_of,
    rfm_cutpoints,
    score_rfm,
    split_total,
)
from domain.models import (
    INACTIVE_STATUSES,
    Account,
    Deal,
    DealStage,
    Payment,
    RfmCutpoints,
)
from domain.policy import Policy
from storage.clock import day_start, db_now, local_day

ZERO = Decimal(0)
BOOK = "book"
"""The one scope ranked today: every account that is not churned."""

FRESH_DAYS = 1
"""Cut-points this many days old are shown without a date (the nightly run has not
come yet just after midnight); older ones are dated (``as_of``)."""

_NOTHING: frozenset[str] = frozenset()
_QUIET = RfmInput(days_since=None, frequency=0, monetary=ZERO)


@dataclass(frozen=True)
class Window:
    """The RFM window as of ``now``: its first local day and that day's start."""

    today: date
    since_day: date
    since: datetime

    @classmethod
    def of(cls, now: datetime, settings: Policy, tz: ZoneInfo) -> Window:
        today = local_day(now, tz)
        since_day = today - timedelta(days=policy_of(settings).rfm_window_days)
        return cls(today, since_day, day_start(since_day, tz))


# --- the inputs: one statement shape for the book and for one account ------------------


def _won(now: datetime, w: Window, account_id: int | None):
    recent = Deal.closed_at >= w.since
    stmt = select(
        Deal.account_id,
        Deal.currency,
        func.sum(case((recent, Deal.amount), else_=0)),
        func.sum(case((recent, 1), else_=0)),
        func.max(Deal.closed_at),
    ).where(Deal.stage == DealStage.won.value, Deal.closed_at <= now)
    if account_id is not None:
        stmt = stmt.where(Deal.account_id == account_id)
    return stmt.group_by(Deal.account_id, Deal.currency)


def _paid(w: Window, account_id: int | None):
    recent = Payment.received_on >= w.since_day
    stmt = select(
        Payment.account_id,
        Payment.currency,
        func.sum(case((recent, Payment.amount), else_=0)),
        func.sum(case((recent, 1), else_=0)),
        func.max(Payment.received_on),
    ).where(Payment.received_on <= w.today)
    if account_id is not None:
        stmt = stmt.where(Payment.account_id == account_id)
    return stmt.group_by(Payment.account_id, Payment.currency)


@dataclass
class _Sums:
    won: dict[str, Decimal] = field(default_factory=dict)
    paid: dict[str, Decimal] = field(default_factory=dict)
    count: int = 0
    last: date | None = None

    def add(self, into: dict[str, Decimal], currency: str, amount, n: int, day: date) -> None:
        """One grouped row of won deals (``into=self.won``) or payments (``self.paid``):
        the window's amount and count, and the last day seen."""
        if n:
            add_money(into, currency, Decimal(amount or 0))
            self.count += n
        if self.last is None or day > self.last:
            self.last = day


def _gather(
    session: Session, now: datetime, w: Window, tz: ZoneInfo, account_id: int | None
) -> dict[int, _Sums]:
    sums: dict[int, _Sums] = {}
    for acc, currency, amount, n, last in session.exec(_won(now, w, account_id)):
        s = sums.setdefault(acc, _Sums())
        s.add(s.won, currency, amount, n, local_day(last, tz))
    for acc, currency, amount, n, last in session.exec(_paid(w, account_id)):
        s = sums.setdefault(acc, _Sums())
        s.add(s.paid, currency, amount, n, last)
    return sums


def in_house(
    amounts: dict[str, Decimal] | None, settings: Policy
) -> tuple[Decimal, frozenset[str]]:
    house = settings.currency
    if not amounts:
        return ZERO, _NOTHING
    if len(amounts) == 1 and house in amounts:
        return amounts[house], _NOTHING
    return split_total(amounts, house, house=house, rates=settings.fx_rates)


def _input(s: _Sums | None, today: date, settings: Policy) -> tuple[RfmInput, frozenset[str]]:
    if s is None or s.last is None:
        return _QUIET, _NOTHING
    won, left_won = in_house(s.won, settings)
    paid, left_paid = in_house(s.paid, settings)
    return (
        RfmInput(days_since=max((today - s.last).days, 0), frequency=s.count,
                 monetary=max(won, paid)),
        left_won | left_paid,
    )  # fmt: skip


@dataclass(frozen=True)
class BookInputs:
    """Every live account's RFM inputs, and per account the currencies left out of
    Monetary for want of a rate."""

    inputs: dict[int, RfmInput]
    unconverted: dict[int, frozenset[str]]
    since: date


def book_inputs(session: Session, *, now: datetime, settings: Policy, tz: ZoneInfo) -> BookInputs:
    """Every account that is not churned, with its RFM inputs, in three statements."""
    w = Window.of(now, settings, tz)
    ids = session.exec(select(Account.id).where(Account.status.not_in(INACTIVE_STATUSES))).all()
    sums = _gather(session, now, w, tz, None)
    inputs: dict[int, RfmInput] = {}
    unconverted: dict[int, frozenset[str]] = {}
    for account_id in ids:
        inputs[account_id], left_out = _input(sums.get(account_id), w.today, settings)
        if left_out:
            unconverted[account_id] = left_out
    return BookInputs(inputs, unconverted, w.since_day)


# One account's inputs, for a request: the same sums as ``_won``/``_paid`` for one
# account, built once (bound parameters) and sent as one statement through SQLAlchemy
# Core.  Each branch's rows say what they are (``what``); columns a branch has no value
# for are NULL, cast to their type (PostgreSQL resolves a UNION's types pairwise).
_AID = bindparam("account_id")
_SINCE = bindparam("rfm_since", type_=Deal.closed_at.type)
_NOW = bindparam("rfm_now", type_=Deal.closed_at.type)
_SINCE_DAY = bindparam("rfm_since_day", type_=Payment.received_on.type)
_TODAY = bindparam("rfm_today", type_=Payment.received_on.type)


def _null(column) -> Any:
    return cast(null(), column.type)


_recent_won = Deal.closed_at >= _SINCE
ACCOUNT_WON = (
    select(
        literal_column("'won'", String).label("what"),
        Deal.currency.label("currency"),
        func.sum(case((_recent_won, Deal.amount), else_=0)).label("amount"),
        func.sum(case((_recent_won, 1), else_=0)).label("n"),
        func.max(Deal.closed_at).label("last_at"),
        _null(Payment.received_on).label("last_on"),
    )
    .where(Deal.account_id == _AID, Deal.stage == DealStage.won.value, Deal.closed_at <= _NOW)
    .group_by(Deal.currency)
)
"""One row per currency of the account's won deals closed by ``rfm_now``: what the RFM
window (from ``rfm_since``) holds, how many, and the last close."""

_recent_paid = Payment.received_on >= _SINCE_DAY
ACCOUNT_PAID = (
    select(
        literal_column("'paid'", String),
        Payment.currency,
        func.sum(case((_recent_paid, Payment.amount), else_=0)),
        func.sum(case((_recent_paid, 1), else_=0)),
        _null(Deal.closed_at),
        func.max(Payment.received_on),
    )
    .where(Payment.account_id == _AID, Payment.received_on <= _TODAY)
    .group_by(Payment.currency)
)
"""The same for the account's payments received by ``rfm_today``."""

_ACCOUNT_MONEY = union_all(ACCOUNT_WON, ACCOUNT_PAID)


def window_params(now: datetime, settings: Policy, tz: ZoneInfo) -> dict[str, Any]:
    """The bound parameters of ``ACCOUNT_WON`` and ``ACCOUNT_PAID`` as of ``now``."""
    w = Window.of(now, settings, tz)
    return {"rfm_since": w.since, "rfm_now": now, "rfm_since_day": w.since_day,
            "rfm_today": w.today}  # fmt: skip


def input_of(
    rows: Iterable[Any], *, now: datetime, settings: Policy, tz: ZoneInfo
) -> tuple[RfmInput, frozenset[str]]:
    """One account's RFM inputs from the rows of ``ACCOUNT_WON`` and ``ACCOUNT_PAID``
    (``what``, currency, amount, n, last_at, last_on; other rows are passed over), summed
    as ``book_inputs`` sums the book."""
    s = _Sums()
    for what, currency, amount, n, last_at, last_on in rows:
        if what == "won":
            s.add(s.won, currency, amount, n, local_day(last_at, tz))
        elif what == "paid":
            s.add(s.paid, currency, amount, n, last_on)
    return _input(s, local_day(now, tz), settings)


def account_input(
    session: Session, account_id: int, *, now: datetime, settings: Policy, tz: ZoneInfo
) -> tuple[RfmInput, frozenset[str]]:
    """One account's RFM inputs (as ``book_inputs`` has them) in one indexed statement."""
    rows = session.connection().execute(
        _ACCOUNT_MONEY, {"account_id": account_id, **window_params(now, settings, tz)}
    )
    return input_of(rows, now=now, settings=settings, tz=tz)


# --- the stored cut-points ---------------------------------------------------------------


def _rates(settings: Policy) -> dict[str, str]:
    return {c: str(r) for c, r in sorted(settings.fx_rates.items())}


def cuts_of(row: RfmCutpoints) -> RfmCuts:
    return RfmCuts(
        population=row.population,
        recency=tuple(row.recency),
        frequency=tuple(row.frequency),
        monetary=tuple(Decimal(m) for m in row.monetary),
    )


def compute_cutpoints(
    session: Session, *, now: datetime, settings: Policy, tz: ZoneInfo, scope: str = BOOK
) -> RfmCutpoints:
    """Rank the whole book (a job's work, never a request's); the row is not stored."""
    computed_at = db_now(session)
    book = book_inputs(session, now=now, settings=settings, tz=tz)
    cuts = rfm_cutpoints(book.inputs.values())
    return RfmCutpoints(
        scope=scope,
        day=local_day(now, tz),
        window_days=policy_of(settings).rfm_window_days,
        currency=settings.currency,
        fx_rates=_rates(settings),
        population=cuts.population,
        recency=list(cuts.recency),
        frequency=list(cuts.frequency),
        monetary=[str(m) for m in cuts.monetary],
        computed_at=computed_at,
    )


_STORED = ("day", "window_days", "currency", "fx_rates", "population", "recency",
           "frequency", "monetary", "computed_at")  # fmt: skip


def store_cutpoints(session: Session, row: RfmCutpoints) -> bool:
    """Insert or replace the scope's row in one statement; False when the stored row was
    computed from a newer read of the book (a slower concurrent run keeps its hands off).

    Two runs at once (two schedulers, an import and the nightly run) each write a
    whole row atomically, so the row is always one run's, and the newest read wins.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = {"scope": row.scope, **{name: getattr(row, name) for name in _STORED}}
    stmt = insert(RfmCutpoints).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["scope"],
        set_={name: stmt.excluded[name] for name in _STORED},
        where=RfmCutpoints.__table__.c.computed_at <= stmt.excluded.computed_at,
    )
    return session.execute(stmt.returning(RfmCutpoints.scope)).first() is not None


def stored_cutpoints(session: Session, scope: str = BOOK) -> RfmCutpoints | None:
    return session.get(RfmCutpoints, scope, populate_existing=True)


def matches(row: RfmCutpoints, settings: Policy) -> bool:
    """Whether the row was computed with the settings' currency, rates and window."""
    return (
        row.currency == settings.currency
        and row.window_days == policy_of(settings).rfm_window_days
        and dict(row.fx_rates) == _rates(settings)
    )


def is_current(row: RfmCutpoints | None, *, today: date, settings: Policy) -> bool:
    """Whether the row is today's and made with today's settings (the job skips then)."""
    return row is not None and row.day == today and matches(row, settings)


# --- one account ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRfm:
    """One account's RFM for ``/account`` and ``/ltv``; see the module for ``state``.

    ``inputs`` (None only when churned) are the account's own figures, known whether
    or not there are cut-points to score them against; ``as_of`` is the day the book
    was ranked on (set with ``as_of`` state).
    """

    state: str
    rfm: Rfm | None = None
    inputs: RfmInput | None = None
    unconverted: frozenset[str] = _NOTHING
    as_of: date | None = None


_CUTS = select(
    *(RfmCutpoints.__table__.c[name] for name in ("day", "window_days", "currency", "fx_rates",
                                                    "population", "recency", "frequency",
                                                    "monetary"))
).where(RfmCutpoints.scope == BOOK)  # fmt: skip
CUT_COLUMNS = tuple(_CUTS.selected_columns)
"""The stored cut-points' columns a request scores with (``rated``)."""


def account_rfm(
    session: Session, account: Account, *, now: datetime, settings: Policy, tz: ZoneInfo
) -> AccountRfm:
    """Score one account against the stored cut-points: two indexed statements."""
    if account.status in INACTIVE_STATUSES:
        return AccountRfm("churned")
    inputs, left_out = account_input(session, account.id, now=now, settings=settings, tz=tz)
    row = session.connection().execute(_CUTS).first()
    return rated(inputs, left_out, row, now=now, settings=settings, tz=tz)


def rated(
    inputs: RfmInput,
    left_out: frozenset[str],
    row: Any,
    *,
    now: datetime,
    settings: Policy,
    tz: ZoneInfo,
) -> AccountRfm:
    """An account's inputs scored against ``row`` — the stored cut-points (an
    ``RfmCutpoints`` or a row of ``CUT_COLUMNS``), None when there are none — as the
    module says by ``state``."""
    if row is None or not row.population:
        return AccountRfm("unranked", inputs=inputs, unconverted=left_out)
    if not matches(row, settings):
        return AccountRfm("other_settings", inputs=inputs, unconverted=left_out)
    age = (local_day(now, tz) - row.day).days
    rfm = score_rfm(inputs, cuts_of(row), age_days=age)
    state, as_of = ("as_of", row.day) if age > FRESH_DAYS else ("ranked", None)
    return AccountRfm(state, rfm=rfm, inputs=inputs, unconverted=left_out, as_of=as_of)
