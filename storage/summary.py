"""Everything ``/account`` shows about one account, in a fixed handful of queries.

A read-only screen asked many times a day: its statements are built once, here at
import, with bound parameters, and run through SQLAlchemy Core on the session's
connection (the same transaction), so each answer pays neither for building a
``select()`` nor for loading ORM entities.  Rows keep the columns' names and types
(``Deal`` rows have ``.name``, ``.amount`` as Decimal, ``.stage_changed_at`` aware).

Six statements, seven with goals: the header (owner, team, aliases, the account team
(协同) with roles, last contact and count), the last interactions with their authors and contacts, open deals, open tasks,
contacts, goals, and the goals' actuals for the year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, String, bindparam, cast, func, literal, null, select, union_all
from sqlmodel import Session

from domain.goals import GoalMetric, period_bounds
from domain.models import (
    CLOSED_STAGES,
    Account,
    AccountAlias,
    AccountMember,
    Contact,
    Deal,
    DealStage,
    Goal,
    Interaction,
    InteractionContact,
    Task,
    Team,
    User,
)
from storage.goals import local_bounds, sum_actuals

RECENT = 3  # interactions on the card
_SEP = "\x1f"  # between aliases in the header's one string (a control character no name has)
_FIELD = "\x1e"  # between a team member's name, role and row id in that string


@dataclass(frozen=True)
class InteractionLine:
    id: int
    kind: str
    happened_at: datetime
    author: str
    notes: str
    contacts: tuple[str, ...]


@dataclass
class AccountFacts:
    account: Account
    owner_name: str
    team_name: str | None
    aliases: list[str]
    team: list[tuple[str, str]]  # the account team (协同): (name, role), as added
    last_contact: datetime | None
    recent: list[InteractionLine]
    open_deals: Sequence[Row[Any]]  # ``DEAL_COLUMNS`` of ``Deal``
    open_tasks: Sequence[Row[Any]]  # ``TASK_COLUMNS`` of ``Task``
    contacts: Sequence[Row[Any]]  # ``CONTACT_COLUMNS`` of ``Contact``
    goals: Sequence[Row[Any]] = field(default_factory=list)  # ``GOAL_COLUMNS`` of ``Goal``
    actuals: dict[int, Decimal] = field(default_factory=dict)  # by goal id, this year
    interactions_total: int = 0


_ID = bindparam("account_id")
_HEADER = select(
    select(User.display_name)
    .where(User.id == bindparam("owner_id"))
    .scalar_subquery()
    .label("owner"),
    select(Team.name).where(Team.id == bindparam("team_id")).scalar_subquery().label("team"),
    select(func.aggregate_strings(AccountAlias.alias, _SEP))
    .where(AccountAlias.account_id == _ID)
    .scalar_subquery()
    .label("aliases"),
    select(
        func.aggregate_strings(
            User.display_name
            + _FIELD
            + AccountMember.role
            + _FIELD
            + cast(AccountMember.id, String),
            _SEP,
        )
    )
    .select_from(AccountMember)
    .join(User, User.id == AccountMember.user_id)
    .where(AccountMember.account_id == _ID, User.active.is_(True))
    .scalar_subquery()
    .label("members"),
    select(func.max(Interaction.happened_at))
    .where(Interaction.account_id == _ID)
    .scalar_subquery()
    .label("last"),
    select(func.count(Interaction.id))
    .where(Interaction.account_id == _ID)
    .scalar_subquery()
    .label("total"),
)

_last = (
    select(
        Interaction.id,
        Interaction.kind,
        Interaction.happened_at,
        Interaction.notes,
        Interaction.author_id,
    )
    .where(Interaction.account_id == _ID)
    .order_by(Interaction.happened_at.desc(), Interaction.id.desc())
    .limit(RECENT)
    .subquery()
)
_RECENT = (
    select(_last, User.display_name.label("author"), Contact.name.label("contact"))
    .join(User, User.id == _last.c.author_id)
    .outerjoin(InteractionContact, InteractionContact.interaction_id == _last.c.id)
    .outerjoin(Contact, Contact.id == InteractionContact.contact_id)
    .order_by(_last.c.happened_at.desc(), _last.c.id.desc(), InteractionContact.contact_id)
)
# What the card shows of each row, no more (every timestamp read costs a conversion).
DEAL_COLUMNS = ("id", "name", "amount", "currency", "stage", "close_date", "stage_changed_at")
TASK_COLUMNS = ("id", "text", "due_at")
CONTACT_COLUMNS = ("id", "name", "title", "role", "birthday_month", "birthday_day",
                   "birthday_year", "birthday_lunar", "birthday_leap_month")  # fmt: skip
GOAL_COLUMNS = ("id", "metric", "scope", "user_id", "team_id", "account_id", "target", "currency")


def _columns(model, names: Sequence[str]) -> list[Any]:
    return [model.__table__.c[name] for name in names]


_DEALS = (
    select(*_columns(Deal, DEAL_COLUMNS))
    # each closed stage its own ``!=``: ``NOT IN (…)`` would be expanded at every run
    .where(Deal.account_id == _ID, *(Deal.stage != stage for stage in sorted(CLOSED_STAGES)))
    .order_by(Deal.close_date.is_(None), Deal.close_date, Deal.id)
)
_TASKS = (
    select(*_columns(Task, TASK_COLUMNS))
    .where(Task.account_id == _ID, Task.done_at.is_(None))
    .order_by(Task.due_at.is_(None), Task.due_at, Task.id)
)
_CONTACTS = (
    select(*_columns(Contact, CONTACT_COLUMNS))
    .where(Contact.account_id == _ID, Contact.left_at.is_(None))  # the current ones
    .order_by(Contact.id)
)
_GOALS = select(*_columns(Goal, GOAL_COLUMNS)).where(
    Goal.account_id == _ID, Goal.year == bindparam("year")
)

# The account goals' actuals in one statement: won deals by currency (revenue and
# count), then the year's interactions and new contacts — ``storage.goals.actuals``
# for one account, with the same rules (``sum_actuals``).
_lo, _hi = bindparam("lo", type_=Deal.closed_at.type), bindparam("hi", type_=Deal.closed_at.type)
_ACTUALS = union_all(
    select(
        literal("won").label("what"),
        Deal.currency,
        func.sum(Deal.amount).label("amount"),
        func.count(Deal.id).label("n"),
    )
    .where(
        Deal.account_id == _ID,
        Deal.stage == DealStage.won.value,
        Deal.closed_at >= _lo,
        Deal.closed_at < _hi,
    )
    .group_by(Deal.currency),
    select(literal("interactions"), null(), null(), func.count(Interaction.id)).where(
        Interaction.account_id == _ID, Interaction.happened_at >= _lo, Interaction.happened_at < _hi
    ),
    select(literal("contacts"), null(), null(), func.count(Contact.id)).where(
        Contact.account_id == _ID, Contact.created_at >= _lo, Contact.created_at < _hi
    ),
)


def account_facts(
    session: Session,
    account: Account,
    *,
    year: int,
    tz: ZoneInfo,
    fx_rates: Mapping[str, Decimal] | None = None,
) -> AccountFacts:
    """Gather the facts; the caller (a handler) judges them with the domain rules."""
    conn = session.connection()
    ids = {"account_id": account.id}
    owner, team, aliases, members, last_contact, total = conn.execute(
        _HEADER, {**ids, "owner_id": account.owner_id, "team_id": account.team_id}
    ).one()
    lines: dict[int, InteractionLine] = {}
    for row in conn.execute(_RECENT, ids):
        line = lines.get(row.id)
        if line is None:
            line = InteractionLine(
                row.id, row.kind, row.happened_at, row.author, row.notes, contacts=()
            )
        if row.contact is not None:
            line = InteractionLine(**{**line.__dict__, "contacts": (*line.contacts, row.contact)})
        lines[row.id] = line
    goals = conn.execute(_GOALS, {**ids, "year": year}).all()
    return AccountFacts(
        account=account,
        owner_name=owner,
        team_name=team,
        aliases=aliases.split(_SEP) if aliases else [],
        team=_team(members),
        last_contact=last_contact,
        recent=list(lines.values()),
        open_deals=conn.execute(_DEALS, ids).all(),
        open_tasks=conn.execute(_TASKS, ids).all(),
        contacts=conn.execute(_CONTACTS, ids).all(),
        goals=goals,
        actuals=_actuals(conn, account.id, goals, year, tz, fx_rates) if goals else {},
        interactions_total=total or 0,
    )


def _team(joined: str | None) -> list[tuple[str, str]]:
    """The header's one string of members back as (name, role), in the order added."""
    if not joined:
        return []
    parts = [m.split(_FIELD) for m in joined.split(_SEP)]
    return [(name, role) for name, role, _id in sorted(parts, key=lambda p: int(p[2]))]


def _actuals(conn, account_id: int, goals, year: int, tz, fx_rates) -> dict[int, Decimal]:
    start, end = period_bounds(year)
    lo, hi = local_bounds(start, end, tz)
    grouped: dict[str, dict[tuple[int, str | None], Decimal]] = {}
    for what, currency, amount, n in conn.execute(
        _ACTUALS, {"account_id": account_id, "lo": lo, "hi": hi}
    ):
        if what == "won":
            revenue = grouped.setdefault(GoalMetric.WON_REVENUE.value, {})
            revenue[(account_id, currency)] = Decimal(amount or 0)
            deals = grouped.setdefault(GoalMetric.WON_DEALS.value, {})
            deals[(account_id, None)] = deals.get((account_id, None), Decimal(0)) + n
        else:
            metric = GoalMetric.INTERACTIONS if what == "interactions" else GoalMetric.NEW_CONTACTS
            grouped[metric.value] = {(account_id, None): Decimal(n or 0)}
    return sum_actuals(
        goals, {(m, "account"): values for m, values in grouped.items()}, fx_rates or {}
    )


def days_in_stage(deal: Deal | Row[Any], today: date, tz) -> int:
    return max((today - deal.stage_changed_at.astimezone(tz).date()).days, 0)
