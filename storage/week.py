"""What a week held for some people: the facts of the weekly report (周报).

Each function takes the people (``owner_ids``) and the week ``[start, end)`` and reads
only their rows, grouped in the database where it can: contacts logged per account and
kind, deal stage moves, next steps done, deals closing.  A person's week is a few
hundred rows at most, a team's a few thousand; nothing reads the whole book.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from domain.models import (
    CLOSED_STAGES,
    INACTIVE_STATUSES,
    Account,
    Deal,
    DealStageChange,
    Interaction,
    Task,
)


@dataclass(frozen=True)
class ContactCount:
    author_id: int
    account_id: int
    account: str
    kind: str
    n: int


@dataclass(frozen=True)
class StageMove:
    owner_id: int
    deal_id: int
    deal: str
    account: str
    from_stage: str | None
    to_stage: str
    amount: Decimal
    currency: str
    at: datetime


@dataclass(frozen=True)
class DoneTask:
    owner_id: int
    task_id: int
    text: str
    account: str
    done_at: datetime


@dataclass(frozen=True)
class ClosingDeal:
    owner_id: int
    deal: str
    account: str
    stage: str
    amount: Decimal
    currency: str
    close_date: date


def contacts(
    session: Session, owner_ids: Collection[int], start: datetime, end: datetime
) -> list[ContactCount]:
    """Interactions each person logged in the week, per account and kind, most first."""
    n = func.count().label("n")
    stmt = (
        select(Interaction.author_id, Account.id, Account.name, Interaction.kind, n)
        .join(Account, Account.id == Interaction.account_id)
        .where(
            Interaction.author_id.in_(list(owner_ids)),
            Interaction.happened_at >= start,
            Interaction.happened_at < end,
        )
        .group_by(Interaction.author_id, Account.id, Account.name, Interaction.kind)
        .order_by(Interaction.author_id, n.desc(), Account.name)
    )
    return [ContactCount(*row) for row in session.exec(stmt)]


def stage_moves(
    session: Session, owner_ids: Collection[int], start: datetime, end: datetime
) -> list[StageMove]:
    """Stage changes in the week of the deals these people own, in time order."""
    stmt = (
        select(
            Deal.owner_id,
            Deal.id,
            Deal.name,
            Account.name,
            DealStageChange.from_stage,
            DealStageChange.to_stage,
            Deal.amount,
            Deal.currency,
            DealStageChange.changed_at,
        )
        .join(Deal, Deal.id == DealStageChange.deal_id)
        .join(Account, Account.id == Deal.account_id)
        .where(
            Deal.owner_id.in_(list(owner_ids)),
            DealStageChange.changed_at >= start,
            DealStageChange.changed_at < end,
        )
        .order_by(Deal.owner_id, DealStageChange.changed_at, DealStageChange.id)
    )
    return [StageMove(*row) for row in session.exec(stmt)]


def tasks_done(
    session: Session, owner_ids: Collection[int], start: datetime, end: datetime
) -> list[DoneTask]:
    stmt = (
        select(Task.owner_id, Task.id, Task.text, Account.name, Task.done_at)
        .join(Account, Account.id == Task.account_id)
        .where(Task.owner_id.in_(list(owner_ids)), Task.done_at >= start, Task.done_at < end)
        .order_by(Task.owner_id, Task.done_at, Task.id)
    )
    return [DoneTask(*row) for row in session.exec(stmt)]


def deals_closing(
    session: Session, owner_ids: Collection[int], first: date, last: date
) -> list[ClosingDeal]:
    """Open deals these people own whose close date falls in ``[first, last]``."""
    stmt = (
        select(
            Deal.owner_id,
            Deal.name,
            Account.name,
            Deal.stage,
            Deal.amount,
            Deal.currency,
            Deal.close_date,
        )
        .join(Account, Account.id == Deal.account_id)
        .where(
            Deal.owner_id.in_(list(owner_ids)),
            Deal.stage.not_in(sorted(CLOSED_STAGES)),
            Deal.close_date >= first,
            Deal.close_date <= last,
            Account.status.not_in(INACTIVE_STATUSES),
        )
        .order_by(Deal.owner_id, Deal.close_date, Deal.id)
    )
    return [ClosingDeal(*row) for row in session.exec(stmt)]
