"""Everything ``/account`` shows about one account, in a fixed handful of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from domain.models import (
    CLOSED_STAGES,
    Account,
    Contact,
    Deal,
    Goal,
    Interaction,
    InteractionContact,
    Task,
    Team,
    User,
)
from storage.accounts import aliases_of


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
    owner: User
    team: Team | None
    aliases: list[str]
    last_contact: datetime | None
    recent: list[InteractionLine]
    open_deals: list[Deal]
    open_tasks: list[Task]
    contacts: list[Contact]
    goals: list[Goal] = field(default_factory=list)
    interactions_total: int = 0


def account_facts(
    session: Session, account: Account, *, year: int, recent: int = 3
) -> AccountFacts:
    """Gather the facts; the caller (a handler) judges them with the domain rules."""
    owner = session.get(User, account.owner_id)
    team = session.get(Team, account.team_id) if account.team_id else None
    last_contact, total = session.exec(
        select(func.max(Interaction.happened_at), func.count(Interaction.id)).where(
            Interaction.account_id == account.id
        )
    ).one()
    rows = session.exec(
        select(Interaction, User.display_name)
        .join(User, User.id == Interaction.author_id)
        .where(Interaction.account_id == account.id)
        .order_by(Interaction.happened_at.desc(), Interaction.id.desc())
        .limit(recent)
    ).all()
    names: dict[int, list[str]] = {}
    if rows:
        for interaction_id, name in session.exec(
            select(InteractionContact.interaction_id, Contact.name)
            .join(Contact, Contact.id == InteractionContact.contact_id)
            .where(InteractionContact.interaction_id.in_([i.id for i, _ in rows]))
        ):
            names.setdefault(interaction_id, []).append(name)
    lines = [
        InteractionLine(i.id, i.kind, i.happened_at, author, i.notes, tuple(names.get(i.id, ())))
        for i, author in rows
    ]
    deals = session.exec(
        select(Deal)
        .where(Deal.account_id == account.id, Deal.stage.not_in(CLOSED_STAGES))
        .order_by(Deal.close_date.is_(None), Deal.close_date, Deal.id)
    ).all()
    tasks = session.exec(
        select(Task)
        .where(Task.account_id == account.id, Task.done_at.is_(None))
        .order_by(Task.due_at.is_(None), Task.due_at, Task.id)
    ).all()
    contacts = session.exec(
        select(Contact).where(Contact.account_id == account.id).order_by(Contact.id)
    ).all()
    goals = session.exec(select(Goal).where(Goal.account_id == account.id, Goal.year == year)).all()
    return AccountFacts(
        account=account,
        owner=owner,
        team=team,
        aliases=aliases_of(session, account.id),
        last_contact=last_contact,
        recent=lines,
        open_deals=list(deals),
        open_tasks=list(tasks),
        contacts=list(contacts),
        goals=list(goals),
        interactions_total=total or 0,
    )


def days_in_stage(deal: Deal, today: date, tz) -> int:
    return max((today - deal.stage_changed_at.astimezone(tz).date()).days, 0)
