"""Set-based scans of the book for the scheduled pushes, ``/mine`` and ``/risks``.

Every function here runs a fixed number of SQL statements, however many accounts,
interactions or deals the book holds: one ``GROUP BY`` gives every account's last
contact, joins bring owners and names along, and filters that only the domain rules
can decide exactly (calendar days in a time zone, lunar birthdays) are narrowed in
SQL to a small superset and finished by the caller or below with ``domain``.

Scopes: most scans take ``owner_ids`` and/or ``team_ids`` (None means the whole
book).  They are applied in SQL; callers pass a handful of ids, never the book.

Pages: the scans the risk digest runs also take ``id_range``, a ``(first, last)`` pair
of account ids from ``account_pages``; the digest reads the book one page at a time,
so what it holds follows the page size, not the book (a fixed number of statements
per page).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property

from lunardate import LunarDate
from sqlalchemy import and_, bindparam, case, exists, extract, false, func, literal, null, or_
from sqlmodel import Session, select

from domain.calendar import Birthday, next_anniversary, next_occurrence
from domain.errors import InvalidInput
from domain.health import policy_of, receivables
from domain.models import (
    CLOSED_STAGES,
    INACTIVE_STATUSES,
    Account,
    AccountStatus,
    Complaint,
    Contact,
    ContactRole,
    CsatScore,
    Deal,
    Goal,
    Interaction,
    Invoice,
    Reminder,
    Task,
    Team,
    TeamManager,
    User,
)
from storage.clock import day_start
from storage.health import balances_by_account, credits_by_account
from storage.users import all_identities

EFFECTIVE_TIER = func.coalesce(Account.tier_override, Account.tier)


IdRange = tuple[int, int]
"""The first and last account id of a page (both included)."""


def _scoped(stmt, owner_col, team_col, owner_ids, team_ids):
    if owner_ids is not None:
        stmt = stmt.where(owner_col.in_(sorted(owner_ids)) if owner_ids else false())
    if team_ids is not None:
        stmt = stmt.where(team_col.in_(sorted(team_ids)) if team_ids else false())
    return stmt


def _paged(stmt, id_range: IdRange | frozenset[int] | None, *columns):
    """``stmt`` kept to the accounts of a page: each of ``columns`` (an account id, the
    account's own and a child table's, so either side's index serves) in the range, or
    among the ids of a set."""
    if id_range is None:
        return stmt
    if isinstance(id_range, frozenset):
        ids = sorted(id_range)
        return stmt.where(*(c.in_(ids) for c in columns))
    first, last = id_range
    return stmt.where(*(c.between(first, last) for c in columns))


def account_pages(
    session: Session,
    *,
    size: int,
    owner_ids: Collection[int] | None = None,
    team_ids: Collection[int] | None = None,
) -> Iterator[IdRange]:
    """Keyset pages over the accounts in scope (not churned), in id order: the first
    and last id of each run of ``size`` accounts.  One statement per page."""
    if size < 1:
        raise ValueError("size must be positive")
    after: int | None = None
    while True:
        stmt = (
            select(Account.id).where(Account.status.not_in(INACTIVE_STATUSES)).order_by(Account.id)
        )
        if after is not None:
            stmt = stmt.where(Account.id > after)
        stmt = _scoped(stmt, Account.owner_id, Account.team_id, owner_ids, team_ids)
        ids = session.exec(stmt.limit(size)).all()
        if not ids:
            return
        yield ids[0], ids[-1]
        if len(ids) < size:
            return
        after = ids[-1]


# --- people -------------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    """Every active user, every team, and who manages whom."""

    users: dict[int, User]
    teams: dict[int, Team]
    team_managers: dict[int, list[int]]
    identities: dict[int, dict[str, str]] = field(default_factory=dict)

    def managers_of(self, user_id: int) -> list[User]:
        """The user's line manager, else the managers of the user's team (never the user)."""
        user = self.users.get(user_id)
        if user is None:
            return []
        if user.manager_id is not None:
            manager = self.users.get(user.manager_id)
            return [manager] if manager is not None and manager.id != user_id else []
        ids = self.team_managers.get(user.team_id, []) if user.team_id is not None else []
        return [self.users[i] for i in ids if i in self.users and i != user_id]

    @cached_property
    def _managers(self) -> frozenset[int]:
        direct = {u.manager_id for u in self.users.values() if u.manager_id is not None}
        return frozenset(direct.union(*self.team_managers.values()))

    def is_manager(self, user_id: int) -> bool:
        """Whether anyone reports to the user, directly or as manager of their team."""
        return user_id in self._managers

    def managed_teams(self, user_id: int) -> list[int]:
        return sorted(t for t, ids in self.team_managers.items() if user_id in ids)

    def name(self, user_id: int | None) -> str:
        user = self.users.get(user_id) if user_id is not None else None
        return user.display_name if user is not None else "—"


def people(session: Session) -> People:
    """Four statements: active users, teams, team managers, chat identities."""
    users = {u.id: u for u in session.exec(select(User).where(User.active.is_(True)))}
    teams = {t.id: t for t in session.exec(select(Team))}
    managers: dict[int, list[int]] = {}
    for team_id, user_id in session.exec(
        select(TeamManager.team_id, TeamManager.user_id).order_by(
            TeamManager.team_id, TeamManager.user_id
        )
    ):
        managers.setdefault(team_id, []).append(user_id)
    identities = {u: ids for u, ids in all_identities(session).items() if u in users}
    return People(users, teams, managers, identities)


# --- accounts and their last contact ------------------------------------------------


@dataclass(frozen=True)
class AccountRow:
    id: int
    name: str
    tier: str  # effective: the override if any
    status: str
    owner_id: int
    team_id: int | None
    snoozed_until: date | None
    last_contact: datetime | None
    next_planned: datetime | None  # the earliest open next step due from now on
    planned_text: str | None


def account_rows(
    session: Session,
    *,
    now: datetime,
    owner_ids: Collection[int] | None = None,
    team_ids: Collection[int] | None = None,
    quiet_before: Mapping[str, datetime] | None = None,
    id_range: IdRange | frozenset[int] | None = None,
    planned_steps: bool = True,
) -> list[AccountRow]:
    """Accounts (not churned) with their last contact and next planned step.

    ``quiet_before`` (by effective tier) keeps only accounts of those tiers not
    contacted since then, or never;
    ``id_range`` keeps only a page of them.  Two statements: the accounts (with both
    aggregates joined in), and the text of the planned steps; ``planned_steps=False``
    leaves the planned steps out (None) for callers that do not show them: one statement.
    """
    last = _scoped(
        _paged(
            select(Interaction.account_id, func.max(Interaction.happened_at).label("last"))
            .join(Account, Account.id == Interaction.account_id)
            .group_by(Interaction.account_id),
            id_range,
            Interaction.account_id,
            Account.id,
        ),
        Account.owner_id,
        Account.team_id,
        owner_ids,
        team_ids,
    ).subquery("last_contact")
    planned = _scoped(
        _paged(
            select(Task.account_id, func.min(Task.due_at).label("next_due"))
            .join(Account, Account.id == Task.account_id)
            .where(Task.done_at.is_(None), Task.due_at >= now)
            .group_by(Task.account_id),
            id_range,
            Task.account_id,
            Account.id,
        ),
        Account.owner_id,
        Account.team_id,
        owner_ids,
        team_ids,
    ).subquery("planned")
    seek = id_range is not None and quiet_before is None
    if seek:  # a page: one index seek per account beats aggregating its interactions
        last_contact = (
            select(func.max(Interaction.happened_at))
            .where(Interaction.account_id == Account.id)
            .correlate(Account)
            .scalar_subquery()
        )
    else:
        last_contact = last.c.last
    stmt = select(
        Account.id,
        Account.name,
        EFFECTIVE_TIER,
        Account.status,
        Account.owner_id,
        Account.team_id,
        Account.snoozed_until,
        last_contact,
        planned.c.next_due if planned_steps else null(),
    )
    if not seek:
        stmt = stmt.outerjoin(last, last.c.account_id == Account.id)
    if planned_steps:
        stmt = stmt.outerjoin(planned, planned.c.account_id == Account.id)
    stmt = stmt.where(Account.status.not_in(INACTIVE_STATUSES)).order_by(Account.id)
    stmt = _scoped(stmt, Account.owner_id, Account.team_id, owner_ids, team_ids)
    stmt = _paged(stmt, id_range, Account.id)
    if quiet_before is not None:
        quiet = [
            and_(EFFECTIVE_TIER == tier, last.c.last < since)  # noqa: SIM300 (SQL)
            for tier, since in sorted(quiet_before.items())
        ]
        stmt = stmt.where(
            EFFECTIVE_TIER.in_(sorted(quiet_before)), or_(last.c.last.is_(None), *quiet)
        )
    rows = session.exec(stmt).all()

    texts: dict[int, str] = {}
    if any(r[8] is not None for r in rows):
        first_steps = _scoped(
            _paged(
                select(Task.account_id, Task.due_at, Task.text)
                .join(Account, Account.id == Task.account_id)
                .join(
                    planned,
                    and_(
                        planned.c.account_id == Task.account_id,
                        planned.c.next_due == Task.due_at,
                    ),
                )
                .where(Task.done_at.is_(None))
                .order_by(Task.id),
                id_range,
                Task.account_id,
                Account.id,
            ),
            Account.owner_id,
            Account.team_id,
            owner_ids,
            team_ids,
        )
        for account_id, _due, text in session.exec(first_steps):
            texts.setdefault(account_id, text)
    return [
        AccountRow(
            id=r[0],
            name=r[1],
            tier=r[2],
            status=r[3],
            owner_id=r[4],
            team_id=r[5],
            snoozed_until=r[6],
            last_contact=r[7],
            next_planned=r[8],
            planned_text=texts.get(r[0]),
        )
        for r in rows
    ]


# --- next steps ---------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRow:
    id: int
    text: str
    due_at: datetime
    owner_id: int
    account_id: int
    account_name: str
    team_id: int | None


def open_tasks_due(
    session: Session,
    *,
    before: datetime,
    owner_ids: Collection[int] | None = None,
    team_ids: Collection[int] | None = None,
) -> list[TaskRow]:
    """Open next steps due before ``before``, earliest first (one statement).

    Owners are the task's; teams the account's.  Pass the end of the latest local
    'today' among the recipients and cut per recipient with their own time zone.
    """
    stmt = (
        select(
            Task.id,
            Task.text,
            Task.due_at,
            Task.owner_id,
            Account.id,
            Account.name,
            Account.team_id,
        )
        .join(Account, Account.id == Task.account_id)
        .where(Task.done_at.is_(None), Task.due_at.is_not(None), Task.due_at < before)
        .where(Account.status.not_in(INACTIVE_STATUSES))
        .order_by(Task.due_at, Task.id)
    )
    stmt = _scoped(stmt, Task.owner_id, Account.team_id, owner_ids, team_ids)
    return [TaskRow(*row) for row in session.exec(stmt)]


def overdue_task_counts(
    session: Session,
    *,
    now: datetime,
    team_ids: Collection[int] | None = None,
    id_range: IdRange | frozenset[int] | None = None,
) -> dict[int, int]:
    """Open next steps past due, counted per account (one GROUP BY)."""
    stmt = (
        select(Task.account_id, func.count(Task.id))
        .join(Account, Account.id == Task.account_id)
        .where(Task.done_at.is_(None), Task.due_at < now, Account.status.not_in(INACTIVE_STATUSES))
        .group_by(Task.account_id)
    )
    stmt = _scoped(stmt, Account.owner_id, Account.team_id, None, team_ids)
    stmt = _paged(stmt, id_range, Task.account_id, Account.id)
    return {account_id: n for account_id, n in session.exec(stmt)}


def oldest_open_complaints(
    session: Session,
    *,
    team_ids: Collection[int] | None = None,
    id_range: IdRange | frozenset[int] | None = None,
) -> dict[int, datetime]:
    """When each account's oldest unresolved complaint was opened (one GROUP BY)."""
    stmt = (
        select(Complaint.account_id, func.min(Complaint.opened_at))
        .join(Account, Account.id == Complaint.account_id)
        .where(Complaint.resolved_at.is_(None), Account.status.not_in(INACTIVE_STATUSES))
        .group_by(Complaint.account_id)
    )
    stmt = _scoped(stmt, Account.owner_id, Account.team_id, None, team_ids)
    stmt = _paged(stmt, id_range, Complaint.account_id, Account.id)
    return {account_id: opened for account_id, opened in session.exec(stmt)}


# --- deals --------------------------------------------------------------------------


@dataclass(frozen=True)
class DealRow:
    id: int
    name: str
    stage: str
    amount: Decimal
    currency: str
    close_date: date | None
    stage_changed_at: datetime
    owner_id: int
    account_id: int
    account_name: str
    team_id: int | None


def deals_at_risk(
    session: Session,
    *,
    stalled_before: datetime,
    closing_before: date,
    owner_ids: Collection[int] | None = None,
    team_ids: Collection[int] | None = None,
    id_range: IdRange | frozenset[int] | None = None,
) -> list[DealRow]:
    """Open deals unchanged since ``stalled_before`` or due to close before a date.

    ``stalled_before`` should be the shortest stage limit ago: the caller applies each
    stage's own limit (``domain.risks``).  Owners are the deal's; teams the account's.
    """
    stmt = (
        select(
            Deal.id,
            Deal.name,
            Deal.stage,
            Deal.amount,
            Deal.currency,
            Deal.close_date,
            Deal.stage_changed_at,
            Deal.owner_id,
            Account.id,
            Account.name,
            Account.team_id,
        )
        .join(Account, Account.id == Deal.account_id)
        .where(
            Deal.stage.not_in(CLOSED_STAGES),
            Account.status.not_in(INACTIVE_STATUSES),
            or_(Deal.stage_changed_at < stalled_before, Deal.close_date < closing_before),
        )
        .order_by(Deal.id)
    )
    stmt = _scoped(stmt, Deal.owner_id, Account.team_id, owner_ids, team_ids)
    stmt = _paged(stmt, id_range, Deal.account_id, Account.id)
    return [DealRow(*row) for row in session.exec(stmt)]


# --- contacts -----------------------------------------------------------------------


def coverage(
    session: Session,
    *,
    team_ids: Collection[int] | None = None,
    tier: str | None = "A",
    id_range: IdRange | frozenset[int] | None = None,
) -> dict[int, tuple[int, bool]]:
    """Per account of ``tier``: how many contacts, and whether one is a decision maker.

    Accounts with no contact at all are absent (count them as (0, False)).
    """
    is_dm = case((Contact.role == ContactRole.decision_maker.value, 1), else_=0)
    stmt = (
        select(Contact.account_id, func.count(Contact.id), func.max(is_dm))
        .join(Account, Account.id == Contact.account_id)
        .where(Account.status.not_in(INACTIVE_STATUSES), Contact.left_at.is_(None))
        .group_by(Contact.account_id)
    )
    if tier is not None:
        stmt = stmt.where(EFFECTIVE_TIER == tier)  # noqa: SIM300 (an SQL expression)
    stmt = _scoped(stmt, Account.owner_id, Account.team_id, None, team_ids)
    stmt = _paged(stmt, id_range, Contact.account_id, Account.id)
    return {account_id: (n, bool(dm)) for account_id, n, dm in session.exec(stmt)}


@dataclass(frozen=True)
class BirthdayRow:
    contact_id: int
    name: str
    title: str | None
    role: str | None
    birthday: Birthday
    account_id: int
    account_name: str
    owner_id: int


def birthdays_on(
    session: Session,
    days: Iterable[date],
    *,
    owner_ids: Collection[int] | None = None,
) -> list[tuple[date, BirthdayRow]]:
    """Contacts whose birthday (Gregorian or lunar) falls on one of ``days``.

    SQL narrows the contacts to those whose stored month and day can map to one of
    the days — Feb 29 for a Feb 28 in a common year; for lunar dates the lunar
    month and day, and day 30 for the last day of a short month — and
    ``domain.calendar`` then decides exactly.  One statement.
    """
    days = sorted(set(days))
    if not days:
        return []
    gregorian: set[tuple[int, int]] = set()
    lunar: set[tuple[int, int]] = set()
    for day in days:
        gregorian.add((day.month, day.day))
        if (day.month, day.day) == (2, 28):
            gregorian.add((2, 29))
        try:
            here = LunarDate.from_solar_date(day.year, day.month, day.day)
            after = LunarDate.from_solar_date(*(day + timedelta(days=1)).timetuple()[:3])
        except ValueError:  # outside 1900-2099: no lunar birthday can be placed
            continue
        lunar.add((here.month, here.day))
        if here.day == 29 and after.day == 1:  # a short month: day 30 falls on day 29
            lunar.add((here.month, 30))

    def matches(pairs: set[tuple[int, int]], is_lunar: bool):
        return and_(
            Contact.birthday_lunar.is_(is_lunar),
            or_(
                *(
                    and_(Contact.birthday_month == m, Contact.birthday_day == d)
                    for m, d in sorted(pairs)
                )
            ),
        )

    stmt = (
        select(Contact, Account.name, Account.owner_id)
        .join(Account, Account.id == Contact.account_id)
        .where(Account.status.not_in(INACTIVE_STATUSES), Contact.left_at.is_(None))
        .where(or_(matches(gregorian, False), matches(lunar, True)))
        .order_by(Contact.id)
    )
    stmt = _scoped(stmt, Account.owner_id, Account.team_id, owner_ids, None)
    out: list[tuple[date, BirthdayRow]] = []
    for contact, account_name, owner_id in session.exec(stmt):
        try:
            b = Birthday(
                month=contact.birthday_month,
                day=contact.birthday_day,
                year=contact.birthday_year,
                lunar=contact.birthday_lunar,
                leap_month=contact.birthday_leap_month,
            )
        except InvalidInput:
            continue  # an impossible date typed long ago: nothing to celebrate
        row = BirthdayRow(
            contact.id,
            contact.name,
            contact.title,
            contact.role,
            b,
            contact.account_id,
            account_name,
            owner_id,
        )
        for day in days:
            try:
                if next_occurrence(b, day) == day:
                    out.append((day, row))
            except InvalidInput:
                break  # outside the years the lunar calendar is known for
    return sorted(out, key=lambda t: (t[0], t[1].account_name, t[1].name))


@dataclass(frozen=True)
class AnniversaryRow:
    account_id: int
    account_name: str
    owner_id: int
    start: date
    years: int


def anniversaries_on(
    session: Session,
    days: Iterable[date],
    *,
    owner_ids: Collection[int] | None = None,
) -> list[tuple[date, AnniversaryRow]]:
    """Accounts whose partnership turns a whole number of years on one of ``days``."""
    days = sorted(set(days))
    if not days:
        return []
    pairs: set[tuple[int, int]] = set()
    for day in days:
        pairs.add((day.month, day.day))
        if (day.month, day.day) == (2, 28):
            pairs.add((2, 29))
    month = extract("month", Account.partnership_start)
    day_of = extract("day", Account.partnership_start)
    stmt = (
        select(Account.id, Account.name, Account.owner_id, Account.partnership_start)
        .where(Account.status.not_in(INACTIVE_STATUSES), Account.partnership_start.is_not(None))
        .where(or_(*(and_(month == m, day_of == d) for m, d in sorted(pairs))))
        .order_by(Account.id)
    )
    stmt = _scoped(stmt, Account.owner_id, Account.team_id, owner_ids, None)
    out: list[tuple[date, AnniversaryRow]] = []
    for account_id, name, owner_id, start in session.exec(stmt):
        for day in days:
            if day <= start:
                continue
            when, years = next_anniversary(start, day)
            if when == day:
                out.append((day, AnniversaryRow(account_id, name, owner_id, start, years)))
    return sorted(out, key=lambda t: (t[0], t[1].account_name))


# --- goals and reminders ------------------------------------------------------------


def goals_of_year(
    session: Session,
    year: int,
    *,
    user_ids: Collection[int] | None = None,
    team_ids: Collection[int] | None = None,
) -> list[tuple[Goal, str | None, int | None]]:
    """The year's goals, each with its account's name and owner (account goals only).

    ``user_ids``/``team_ids`` keep user goals of those users, team goals of those
    teams and account goals of accounts they own or hold; None keeps all.
    """
    stmt = (
        select(Goal, Account.name, Account.owner_id)
        .outerjoin(Account, Account.id == Goal.account_id)
        .where(Goal.year == year)
        .order_by(Goal.scope, Goal.id)
    )
    if user_ids is not None or team_ids is not None:
        users = sorted(user_ids or ())
        teams = sorted(team_ids or ())
        stmt = stmt.where(
            or_(
                and_(Goal.scope == "user", Goal.user_id.in_(users)),
                and_(Goal.scope == "team", Goal.team_id.in_(teams)),
                and_(
                    Goal.scope == "account",
                    or_(Account.owner_id.in_(users), Account.team_id.in_(teams)),
                ),
            )
        )
    return [(g, name, owner) for g, name, owner in session.exec(stmt)]


@dataclass(frozen=True)
class ReminderRow:
    reminder: Reminder
    account_name: str
    owner_id: int


def reminders_due(
    session: Session, *, on_or_before: date, owner_ids: Collection[int] | None = None
) -> list[ReminderRow]:
    """Active reminders whose next date has come, with their account's owner."""
    stmt = (
        select(Reminder, Account.name, Account.owner_id)
        .join(Account, Account.id == Reminder.account_id)
        .where(Reminder.active.is_(True), Reminder.next_date <= on_or_before)
        .where(Account.status.not_in(INACTIVE_STATUSES))
        .order_by(Reminder.next_date, Reminder.id)
    )
    stmt = _scoped(stmt, Account.owner_id, Account.team_id, owner_ids, None)
    return [ReminderRow(r, name, owner) for r, name, owner in session.exec(stmt)]


# --- the risk digest, classified in SQL ---------------------------------------------


@dataclass(frozen=True)
class RiskMarks:
    """One account's digest risks as SQL judged them: ``(code, severity)`` pairs (the
    codes of ``domain.risks``/``domain.health``; one pair per code and severity, a code
    seen on several deals once per severity), and whether any rule of the digest looks
    at the account (``looked_at``: an overdue step, a deal past a stage limit or its
    close date, an open complaint; A tier, at risk and own goals are the caller's)."""

    id: int
    name: str
    tier: str
    status: str
    owner_id: int
    team_id: int | None
    looked_at: bool
    marks: tuple[tuple[str, str], ...]


def risk_marks(
    session: Session,
    *,
    now: datetime,
    settings,
    tz,
    team_ids: Collection[int] | None = None,
    size: int,
) -> Iterator[list[RiskMarks]]:
    """The accounts in scope (not churned), a keyset page of ``size`` at a time, each
    with the risks the digest's rules find on it, judged in SQL.

    Every rule is an exact comparison against a cut-off worked out here from the same
    policy numbers ``domain.risks``, ``domain.cadence`` and ``domain.health`` apply
    (days counted as calendar days in ``tz``: "more than N days" is "before the start
    of the day N days before today").  The credit limit (exposure converted to the house
    currency) is judged by ``domain.health`` itself, on the few accounts with a limit
    and an open invoice.  Two statements per page (the page's ids, then the accounts;
    two more when a page has accounts to check against a credit limit); every subquery
    keeps to the page, so no statement reads more than a page's rows of any table.
    ``tests/integration/test_digest_agreement.py`` holds SQL and the domain rules to
    the same answers.
    """
    if size < 1:
        raise ValueError("size must be positive")
    risks, health = settings.risks, policy_of(settings)
    today = now.astimezone(tz).date()

    def cut(days: int) -> datetime:
        """The start of the local day ``days`` days before today: an instant before it
        is more than ``days`` calendar days ago."""
        return day_start(today - timedelta(days=days), tz)

    a = Account
    is_a = EFFECTIVE_TIER == "A"
    lo, hi = bindparam("lo"), bindparam("hi")  # the page: PostgreSQL may hash a
    # subquery over its whole table instead of seeking per account, so each keeps to it
    open_deal = and_(
        Deal.account_id == a.id,
        Deal.account_id.between(lo, hi),
        Deal.stage.not_in(CLOSED_STAGES),
    )
    limits = sorted(risks.stalled_days.items())
    stalled_high = exists().where(
        open_deal,
        or_(*(and_(Deal.stage == s, Deal.stage_changed_at < cut(2 * n)) for s, n in limits)),
    )
    stalled_medium = exists().where(
        open_deal,
        or_(
            *(
                and_(
                    Deal.stage == s,
                    Deal.stage_changed_at < cut(n),
                    Deal.stage_changed_at >= cut(2 * n),
                )
                for s, n in limits
            )
        ),
    )
    deal_overdue = exists().where(open_deal, Deal.close_date < today)
    shortest = min((n for _s, n in limits), default=0)
    deal_looked_at = exists().where(
        open_deal,
        or_(Deal.stage_changed_at < now - timedelta(days=shortest), Deal.close_date < today),
    )
    open_complaint = and_(
        Complaint.account_id == a.id,
        Complaint.account_id.between(lo, hi),
        Complaint.resolved_at.is_(None),
    )
    complaint_old = exists().where(open_complaint, Complaint.opened_at < cut(risks.complaint_days))

    def unset(column):
        """``column IS NULL`` written so that no index serves it: SQLite would otherwise
        pick the open-rows index (``done_at``/``settled_on``, then the due day) over the
        account's own and scan the whole book's open rows for every account."""
        return case((column.is_(None), 1), else_=0) == 1

    overdue_step = exists().where(
        Task.account_id == a.id,
        Task.account_id.between(lo, hi),
        unset(Task.done_at),
        Task.due_at < now,
    )
    contacts = (
        select(func.count(Contact.id))
        .where(
            Contact.account_id == a.id,
            Contact.account_id.between(lo, hi),
            Contact.left_at.is_(None),
        )
        .scalar_subquery()
    )
    has_dm = exists().where(
        Contact.account_id == a.id,
        Contact.account_id.between(lo, hi),
        Contact.role == ContactRole.decision_maker.value,
        Contact.left_at.is_(None),
    )
    snoozed = and_(a.snoozed_until.is_not(None), a.snoozed_until >= today)
    lapsed = and_(
        is_a,
        ~snoozed,
        ~exists().where(
            Interaction.account_id == a.id,
            Interaction.account_id.between(lo, hi),
            Interaction.happened_at >= cut(settings.cadence.a),
        ),
    )
    since = now - timedelta(days=health.csat_window_days)

    def csat(offset: int):
        return (
            select(CsatScore.score)
            .where(
                CsatScore.account_id == a.id,
                CsatScore.account_id.between(lo, hi),
                CsatScore.recorded_at >= since,
            )
            .order_by(CsatScore.recorded_at.desc(), CsatScore.id.desc())
            .limit(1)
            .offset(offset)
            .scalar_subquery()
        )

    open_invoice = and_(
        Invoice.account_id == a.id,
        Invoice.account_id.between(lo, hi),
        unset(Invoice.settled_on),
        Invoice.amount > Invoice.paid_amount,
    )
    overdue_invoice = exists().where(open_invoice, Invoice.due_on < today)
    long_overdue = exists().where(
        open_invoice, Invoice.due_on < today - timedelta(days=health.overdue_high_days)
    )
    credit_check = and_(a.credit_limit.is_not(None), exists().where(open_invoice))

    def flag(cond):
        return case((cond, literal(1)), else_=literal(0))

    columns = (
        a.id,
        a.name,
        EFFECTIVE_TIER,
        a.status,
        a.owner_id,
        a.team_id,
        flag(or_(deal_looked_at, overdue_step, exists().where(open_complaint))),
        flag(lapsed),
        flag(stalled_high),
        flag(stalled_medium),
        flag(deal_overdue),
        flag(complaint_old),
        flag(overdue_step),
        case((is_a, contacts), else_=literal(risks.min_contacts_a)),
        case((is_a, flag(has_dm)), else_=literal(1)),
        csat(0),
        csat(1),
        flag(overdue_invoice),
        flag(long_overdue),
        flag(credit_check),
        a.credit_limit,
    )
    high, medium = "high", "medium"
    for first, last in account_pages(session, size=size, team_ids=team_ids):
        stmt = (
            select(*columns)
            .where(a.status.not_in(INACTIVE_STATUSES), a.id.between(lo, hi))
            .order_by(a.id)
        )
        stmt = _scoped(stmt, a.owner_id, a.team_id, None, team_ids)
        rows = session.exec(stmt, params={"lo": first, "hi": last}).all()
        over_limit = _over_credit_limit(
            session, [(r[0], r[20]) for r in rows if r[19]], today=today, settings=settings
        )
        page = []
        for r in rows:
            (aid, name, tier, status, owner, team, looked, lap, s_high, s_med, d_over) = r[:11]
            (c_old, steps, n_contacts, dm, last, previous, inv, inv_long) = r[11:19]
            marks: list[tuple[str, str]] = []
            if status == AccountStatus.at_risk.value:
                marks.append(("at_risk", high))
            if lap:
                marks.append(("lapsed", high))
            if d_over:
                marks.append(("deal_overdue", high))
            if s_high:
                marks.append(("deal_stalled", high))
            if s_med:
                marks.append(("deal_stalled", medium))
            if c_old:
                marks.append(("complaint_open", high))
            if steps:
                marks.append(("tasks_overdue", medium))
            if n_contacts < risks.min_contacts_a:
                marks.append(("thin_coverage", medium))
            if not dm:
                marks.append(("no_decision_maker", medium))
            if last is not None and last <= health.csat_low:
                marks.append(("csat_low", high))
            elif last is not None and previous is not None and previous - last >= health.csat_drop:
                marks.append(("csat_drop", medium))
            if inv:
                marks.append(("receivables_overdue", high if inv_long else medium))
            if aid in over_limit:
                marks.append(("credit_limit_exceeded", high))
            page.append(RiskMarks(aid, name, tier, status, owner, team, bool(looked), tuple(marks)))
        yield page


def _over_credit_limit(
    session: Session, limits: list[tuple[int, Decimal]], *, today: date, settings
) -> set[int]:
    """Of ``limits`` (account id, credit limit), the accounts whose exposure in the house
    currency is above their limit, as ``domain.health.receivables`` measures it."""
    if not limits:
        return set()
    ids = sorted(i for i, _limit in limits)
    where = Account.id.in_(ids)
    balances = balances_by_account(session, where=where)
    credits = credits_by_account(session, where=where)
    out = set()
    for account_id, limit in limits:
        r = receivables(
            balances.get(account_id, []),
            credits.get(account_id, {}),
            today=today,
            credit_limit=limit,
            house=settings.currency,
            rates=settings.fx_rates,
        )
        if r.over_limit is not None:
            out.add(account_id)
    return out
