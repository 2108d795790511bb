"""Handing a person's accounts to another (``/handover``): what moves, read set-based.

Whatever the number of accounts, each kind of row is read in one statement (per
thousand accounts, to stay under every database's limit on bound parameters): the
accounts (locked, ``storage.locks``), the open deals and open next steps the previous
owner holds on them, their active reminders, the receiver's supporting memberships
and, for a brief, the open complaints and who has left.  The command changes the rows
it gets back and records each in the audit trail; the session writes them in one
flush (a batch per table), so no statement is sent per row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, SQLModel, select

from domain.models import (
    CLOSED_STAGES,
    Account,
    AccountMember,
    AuditEntry,
    Complaint,
    Contact,
    Deal,
    Goal,
    GoalScope,
    Reminder,
    Task,
)
from storage import audit, locks

CHUNK = 1000  # ids per statement


def _chunks(ids: Collection[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def owned_ids(session: Session, owner_id: int) -> list[int]:
    """The ids of every account ``owner_id`` owns (any status), in id order."""
    return list(
        session.exec(select(Account.id).where(Account.owner_id == owner_id).order_by(Account.id))
    )


def owned(session: Session, owner_id: int) -> list[Account]:
    """Every account ``owner_id`` owns (any status), in id order."""
    return list(
        session.exec(select(Account).where(Account.owner_id == owner_id).order_by(Account.id))
    )


def lock_accounts(session: Session, ids: Collection[int]) -> list[Account]:
    """Lock these accounts (in id order) and read them again, as the last writer left them."""
    out: list[Account] = []
    for chunk in _chunks(ids):
        out += locks.accounts(session, chunk)
    return out


@dataclass
class Linked:
    """What hangs off the accounts being handed over and moves with them."""

    deals: list[Deal] = field(default_factory=list)  # open, owned by the previous owner
    tasks: list[Task] = field(default_factory=list)  # open, owned by the previous owner
    reminders: list[Reminder] = field(default_factory=list)  # active, any creator
    memberships: list[AccountMember] = field(default_factory=list)  # the receiver's own


def linked(session: Session, account_ids: Collection[int], *, owner_id: int, to_id: int) -> Linked:
    """The open deals and next steps ``owner_id`` holds on these accounts, their active
    reminders, and ``to_id``'s supporting memberships of them (an owner is no member)."""
    out = Linked()
    for chunk in _chunks(account_ids):
        out.deals += session.exec(
            select(Deal)
            .where(
                Deal.account_id.in_(chunk),
                Deal.owner_id == owner_id,
                Deal.stage.not_in(sorted(CLOSED_STAGES)),
            )
            .order_by(Deal.id)
        ).all()
        out.tasks += session.exec(
            select(Task)
            .where(Task.account_id.in_(chunk), Task.owner_id == owner_id, Task.done_at.is_(None))
            .order_by(Task.id)
        ).all()
        out.reminders += session.exec(
            select(Reminder)
            .where(Reminder.account_id.in_(chunk), Reminder.active.is_(True))
            .order_by(Reminder.id)
        ).all()
        out.memberships += session.exec(
            select(AccountMember)
            .where(AccountMember.account_id.in_(chunk), AccountMember.user_id == to_id)
            .order_by(AccountMember.id)
        ).all()
    return out


def user_goals(session: Session, user_ids: Collection[int], *, from_year: int) -> list[Goal]:
    """The people's own goals (scope user) of ``from_year`` and later, locked."""
    query = select(Goal).where(
        Goal.scope == GoalScope.user.value,
        Goal.user_id.in_(sorted(user_ids)),
        Goal.year >= from_year,
    )
    return list(session.exec(locks.locking(query, Goal)).all())


def account_goal_count(session: Session, account_ids: Collection[int], *, from_year: int) -> int:
    """How many account goals (of ``from_year`` and later) these accounts have."""
    n = 0
    for chunk in _chunks(account_ids):
        n += session.exec(
            select(func.count(Goal.id)).where(
                Goal.scope == GoalScope.account.value,
                Goal.account_id.in_(chunk),
                Goal.year >= from_year,
            )
        ).one()
    return n


@dataclass(frozen=True)
class Holdings:
    """What a person still holds: accounts, open deals, open next steps, reminders set."""

    accounts: int
    deals: int
    tasks: int
    reminders: int


def holdings(session: Session, user_id: int) -> Holdings:
    """What ``user_id`` still holds, in one statement."""
    row = session.exec(
        select(
            select(func.count(Account.id)).where(Account.owner_id == user_id).scalar_subquery(),
            select(func.count(Deal.id))
            .where(Deal.owner_id == user_id, Deal.stage.not_in(sorted(CLOSED_STAGES)))
            .scalar_subquery(),
            select(func.count(Task.id))
            .where(Task.owner_id == user_id, Task.done_at.is_(None))
            .scalar_subquery(),
            select(func.count(Reminder.id))
            .where(Reminder.created_by_id == user_id, Reminder.active.is_(True))
            .scalar_subquery(),
        )
    ).one()
    return Holdings(*(int(n or 0) for n in row))


def record_changes(
    session: Session,
    changes: Sequence[tuple[str, SQLModel, dict[str, Any], int | None]],
    *,
    actor_id: int | None,
    channel: str,
    request_id: str,
    at: datetime,
    summary: str,
) -> None:
    """Write the changed rows, then one audit entry per row in one batch: ``(action,
    row, before, account id)`` as ``storage.audit.record`` would make them, so ``/undo``
    reverts them like any command's (the ORM would insert the entries one by one)."""
    session.flush()
    entries = []
    for action, obj, before, account_id in changes:
        if action not in ("update", "delete"):
            raise ValueError(action)
        pk = sa_inspect(obj).identity or ()
        entries.append(
            {
                "at": at,
                "actor_id": actor_id,
                "channel": channel,
                "request_id": request_id,
                "action": action,
                "entity": type(obj).__tablename__,
                "entity_id": pk[0] if len(pk) == 1 else None,
                "account_id": account_id,
                "summary": summary[:1000],
                "before": before,
                "after": None if action == "delete" else audit.snapshot(obj),
            }
        )
    if entries:
        session.execute(insert(AuditEntry), entries)


@dataclass(frozen=True)
class ComplaintLine:
    account_id: int
    text: str
    opened_at: datetime


@dataclass
class BriefExtras:
    """What a handover brief shows beyond ``/account``'s facts, for several accounts."""

    complaints: dict[int, list[ComplaintLine]] = field(default_factory=dict)
    left: set[int] = field(default_factory=set)  # contacts who left their company


def brief_extras(session: Session, account_ids: Sequence[int]) -> BriefExtras:
    """The open complaints (oldest first) and the contacts who left, of these accounts:
    two statements however many accounts."""
    out = BriefExtras()
    if not account_ids:
        return out
    ids = sorted(set(account_ids))
    for account_id, text, opened_at in session.exec(
        select(Complaint.account_id, Complaint.text, Complaint.opened_at)
        .where(Complaint.account_id.in_(ids), Complaint.resolved_at.is_(None))
        .order_by(Complaint.opened_at, Complaint.id)
    ):
        out.complaints.setdefault(account_id, []).append(ComplaintLine(account_id, text, opened_at))
    out.left = set(
        session.exec(
            select(Contact.id).where(Contact.account_id.in_(ids), Contact.left_at.is_not(None))
        )
    )
    return out
