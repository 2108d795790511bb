"""Writing the demo book (``storage.demo.book``) into the database.

Seeding is idempotent.  Rows are found by natural key before they are created
(team name, user handle, account name, alias, contact and deal by account and
name, task by account and text, goal by its unique key); interactions are written
only for an account that has none yet, and stage history only with a new deal.
A second run changes nothing.  The caller owns the transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from domain.models import (
    Account,
    AccountAlias,
    AccountStatus,
    Contact,
    Deal,
    DealStageChange,
    Goal,
    GoalScope,
    Interaction,
    InteractionContact,
    Task,
    Team,
    TeamManager,
    User,
    UserIdentity,
)
from storage.rfm import compute_cutpoints, store_cutpoints
from storage.tiering import apply_score

if TYPE_CHECKING:
    from domain.policy import Policy
from storage.demo.book import TEAMS, USERS, _AccountPlan, _Clock, _GoalPlan, _plan


@dataclass(frozen=True)
class DemoSummary:
    """The demo book as it stands after seeding, and whether this run added anything.

    Counts are of the demo book's own rows (its teams, people, accounts and what
    hangs off those accounts), not of the whole database.
    """

    teams: int
    users: int
    accounts: int
    contacts: int
    interactions: int
    deals: int
    tasks: int
    goals: int
    created: bool
    new_rows: int = 0
    added: dict[str, int] = field(default_factory=dict)  # rows this run created, by kind

    def by_kind(self) -> list[tuple[str, int, int]]:
        """``(kind, created, unchanged)`` for each kind of the book; seeding never updates."""
        totals = {
            "teams": self.teams,
            "users": self.users,
            "accounts": self.accounts,
            "contacts": self.contacts,
            "interactions": self.interactions,
            "deals": self.deals,
            "tasks": self.tasks,
            "goals": self.goals,
        }
        return [
            (kind, self.added.get(kind, 0), n - self.added.get(kind, 0))
            for kind, n in totals.items()
        ]


# --- writing the plan ---------------------------------------------------------------


def seed_demo(session: Session, *, settings: Policy, today: date | None = None) -> DemoSummary:
    """Write the demo book (idempotently) and say what it holds.  Never commits."""
    today = today or datetime.now(settings.tz).date()
    book = _plan(today, settings)
    clock = _Clock(today, settings.tz)
    new: Counter[str] = Counter()

    teams: dict[str, Team] = {}
    for t in TEAMS:
        team = session.exec(sm_select(Team).where(Team.name == t.name)).first()
        if team is None:
            team = Team(name=t.name, slack_channel=t.slack_channel, wecom_chat_id=t.wecom_chat_id)
            session.add(team)
            new["teams"] += 1
        teams[t.name] = team
    session.flush()

    users: dict[str, User] = {}
    fresh: set[str] = set()
    for u in USERS:
        user = session.exec(sm_select(User).where(User.handle == u.handle)).first()
        if user is None:
            user = User(
                handle=u.handle,
                display_name=u.display_name,
                role=u.role,
                team_id=teams[u.team].id if u.team else None,
                timezone=u.timezone,
                language=u.language,
                email=u.email,
            )
            session.add(user)
            fresh.add(u.handle)
            new["users"] += 1
        users[u.handle] = user
    session.flush()
    for u in USERS:
        if u.handle in fresh:
            for platform, external_id in (("slack", u.slack_id), ("wecom", u.wecom_id)):
                if external_id:
                    session.add(UserIdentity(user_id=users[u.handle].id, platform=platform,
                                             external_id=external_id))  # fmt: skip
    for u in USERS:
        if u.handle in fresh and u.manager:
            users[u.handle].manager_id = users[u.manager].id
        for team_name in u.manages:
            key = (teams[team_name].id, users[u.handle].id)
            if session.get(TeamManager, key) is None:
                session.add(TeamManager(team_id=key[0], user_id=key[1]))
                new["team_managers"] += 1
    session.flush()

    account_ids: list[int] = []
    for plan in book.accounts:
        new += _write_account(session, plan, teams, users, settings, clock)
        account_ids.append(_account_id(session, plan.spec.name))

    for g in book.goals:
        new["goals"] += _write_goal(session, g, year=today.year, users=users, teams=teams)
    session.flush()
    # The scheduler ranks the book's RFM nightly; the demo ranks it now, so /account
    # shows RFM from the start (an upsert: not counted as a new row).
    end_of_day = datetime.combine(today, time(23, 59, 59), settings.tz)
    store_cutpoints(session, compute_cutpoints(session, now=end_of_day, settings=settings,
                                               tz=settings.tz))  # fmt: skip

    def count(model: Any) -> int:
        return session.exec(
            sm_select(func.count()).select_from(model).where(col(model.account_id).in_(account_ids))
        ).one()

    return DemoSummary(
        teams=len(TEAMS),
        users=len(USERS),
        accounts=len(account_ids),
        contacts=count(Contact),
        interactions=count(Interaction),
        deals=count(Deal),
        tasks=count(Task),
        goals=len(book.goals),
        created=new.total() > 0,
        new_rows=new.total(),
        added=dict(new),
    )


def _account_id(session: Session, name: str) -> int:
    return session.exec(sm_select(Account.id).where(Account.name == name)).one()


def _write_account(
    session: Session,
    plan: _AccountPlan,
    teams: dict[str, Team],
    users: dict[str, User],
    settings: Policy,
    clock: _Clock,
) -> Counter[str]:
    spec = plan.spec
    new: Counter[str] = Counter()
    owner = users[spec.owner]
    account = session.exec(sm_select(Account).where(Account.name == spec.name)).first()
    if account is None:
        account = Account(
            name=spec.name,
            industry=spec.industry,
            owner_id=owner.id,
            team_id=teams[plan.team].id,
            status=AccountStatus(spec.status).value,
            partnership_start=plan.partnership_start,
            created_at=plan.created_at,
            updated_at=plan.created_at,
            **plan.factors,
        )
        if spec.override:
            account.tier_override, account.tier_override_reason = spec.override
            account.tier_override_by_id = users["bob"].id
            account.tier_override_at = clock.at(30, 15)
        if spec.snooze:
            days, reason = spec.snooze
            account.snoozed_until, account.snooze_reason = clock.day(days), reason
        apply_score(account, settings.tiers, decision_chain_depth=plan.depth)
        account.updated_at = plan.created_at
        session.add(account)
        session.flush()
        new["accounts"] += 1
    assert account.id is not None

    for alias in spec.aliases:
        if session.exec(sm_select(AccountAlias).where(AccountAlias.alias == alias)).first() is None:
            session.add(AccountAlias(account_id=account.id, alias=alias))
            new["aliases"] += 1

    contacts: dict[str, Contact] = {
        c.name: c
        for c in session.exec(sm_select(Contact).where(Contact.account_id == account.id)).all()
    }
    for c in plan.contacts:
        if c.name in contacts:
            continue
        contact = Contact(
            account_id=account.id,
            name=c.name,
            title=c.title,
            role=c.role,
            phone=c.phone,
            email=c.email,
            created_by_id=owner.id,
            created_at=plan.created_at,
        )
        if c.birthday:
            (
                contact.birthday_month,
                contact.birthday_day,
                contact.birthday_year,
                contact.birthday_lunar,
                contact.birthday_leap_month,
            ) = c.birthday
        session.add(contact)
        contacts[c.name] = contact
        new["contacts"] += 1
    session.flush()

    last_interaction: Interaction | None = None
    has_interactions = session.exec(
        sm_select(Interaction.id).where(Interaction.account_id == account.id).limit(1)
    ).first()
    if has_interactions is None and plan.interactions:
        rows = [
            Interaction(
                account_id=account.id,
                kind=i.kind,
                happened_at=i.happened_at,
                notes=i.notes,
                author_id=users[i.author].id,
                channel=i.channel,
                created_at=i.happened_at + timedelta(minutes=20),
            )
            for i in plan.interactions
        ]
        session.add_all(rows)
        session.flush()
        for row, i in zip(rows, plan.interactions, strict=True):
            for name in i.contacts:
                session.add(InteractionContact(interaction_id=row.id, contact_id=contacts[name].id))
        new["interactions"] += len(rows)
        new["interaction_contacts"] += sum(len(i.contacts) for i in plan.interactions)
        last_interaction = rows[0]  # plans run newest first

    existing_deals = set(
        session.exec(sm_select(Deal.name).where(Deal.account_id == account.id)).all()
    )
    for d in plan.deals:
        if d.name in existing_deals:
            continue
        deal = Deal(
            account_id=account.id,
            name=d.name,
            amount=d.amount,
            currency=settings.currency,
            stage=d.stage,
            close_date=d.close_date,
            owner_id=users[d.owner].id,
            lost_reason=d.lost_reason,
            stage_changed_at=d.stage_changed_at,
            closed_at=d.stage_changed_at if d.stage in ("won", "lost") else None,
            created_at=d.created_at,
            updated_at=d.stage_changed_at,
        )
        session.add(deal)
        session.flush()
        for from_stage, to_stage, at in d.history:
            session.add(
                DealStageChange(
                    deal_id=deal.id,
                    from_stage=from_stage,
                    to_stage=to_stage,
                    changed_at=at,
                    changed_by_id=users[d.owner].id,
                )
            )
        new["deals"] += 1
        new["stage_changes"] += len(d.history)

    existing_tasks = set(
        session.exec(sm_select(Task.text).where(Task.account_id == account.id)).all()
    )
    for t in plan.tasks:
        if t.text in existing_tasks:
            continue
        link = last_interaction.id if (t.from_last_interaction and last_interaction) else None
        session.add(
            Task(
                account_id=account.id,
                owner_id=owner.id,
                text=t.text,
                due_at=t.due_at,
                done_at=t.done_at,
                interaction_id=link,
                created_at=min(t.created_at, last_interaction.happened_at)
                if link and last_interaction
                else t.created_at,
            )
        )
        new["tasks"] += 1
    session.flush()
    return new


def _write_goal(
    session: Session,
    g: _GoalPlan,
    *,
    year: int,
    users: dict[str, User],
    teams: dict[str, Team],
) -> int:
    user_id = users[g.user].id if g.user else None
    team_id = teams[g.team].id if g.team else None
    account_id = _account_id(session, g.account) if g.account else None
    found = session.exec(
        sm_select(Goal.id).where(
            Goal.year == year,
            Goal.metric == g.metric,
            Goal.scope == g.scope,
            Goal.user_id == user_id if user_id else col(Goal.user_id).is_(None),
            Goal.team_id == team_id if team_id else col(Goal.team_id).is_(None),
            Goal.account_id == account_id if account_id else col(Goal.account_id).is_(None),
        )
    ).first()
    if found is not None:
        return 0
    session.add(
        Goal(
            year=year,
            metric=g.metric,
            scope=GoalScope(g.scope).value,
            user_id=user_id,
            team_id=team_id,
            account_id=account_id,
            target=g.target,
            currency=g.currency,
            created_by_id=users["bob"].id,
        )
    )
    return 1
