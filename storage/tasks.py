"""Next steps (tasks): the open ones to show, and several by id to close.

Each function is one query however many tasks or accounts there are.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from domain.models import Account, Task, User
from storage import locks


@dataclass(frozen=True)
class TaskLine:
    """An open task with the names a list shows next to it."""

    task: Task
    account_name: str
    owner_name: str


def open_tasks(
    session: Session,
    *,
    owner_ids: Collection[int] | None = None,
    account_id: int | None = None,
    limit: int | None = None,
) -> list[TaskLine]:
    """Open tasks of these owners and/or this account: earliest due first, undated last."""
    query = (
        select(Task, Account.name, User.display_name)
        .join(Account, Account.id == Task.account_id)
        .join(User, User.id == Task.owner_id)
        .where(Task.done_at.is_(None))
    )
    if owner_ids is not None:
        query = query.where(Task.owner_id.in_(list(owner_ids)))
    if account_id is not None:
        query = query.where(Task.account_id == account_id)
    query = query.order_by(Task.due_at.is_(None), Task.due_at, Task.id)
    if limit is not None:
        query = query.limit(limit)
    return [TaskLine(task, account, owner) for task, account, owner in session.exec(query)]


def count_open(
    session: Session,
    *,
    owner_ids: Collection[int] | None = None,
    account_id: int | None = None,
) -> int:
    query = select(func.count(Task.id)).where(Task.done_at.is_(None))
    if owner_ids is not None:
        query = query.where(Task.owner_id.in_(list(owner_ids)))
    if account_id is not None:
        query = query.where(Task.account_id == account_id)
    return session.exec(query).one()


def with_accounts(
    session: Session, ids: Collection[int], *, lock: bool = False
) -> dict[int, tuple[Task, Account]]:
    """The tasks with these ids (missing ids are simply absent), each with its account.

    ``lock``: the tasks are locked (in id order) and read again, for a command that
    checks a task is open before closing it (``storage.locks``)."""
    if not ids:
        return {}
    query = (
        select(Task, Account)
        .join(Account, Account.id == Task.account_id)
        .where(Task.id.in_(list(ids)))
    )
    if lock:
        query = locks.locking(query, Task)
    return {task.id: (task, account) for task, account in session.exec(query)}


def closed_by(session: Session, task: Task, account_id: int) -> User | None:
    """Who closed ``task`` (its latest ``done`` audit entry, not undone); None when the
    audit does not say (closed by a script, or before the audit kept it)."""
    from domain.models import AuditEntry

    entry = session.exec(
        select(AuditEntry)
        .where(
            AuditEntry.account_id == account_id,  # indexed; the rest narrows its few rows
            AuditEntry.entity == Task.__tablename__,
            AuditEntry.entity_id == task.id,
            AuditEntry.summary.startswith("done:"),
            AuditEntry.undone_at.is_(None),
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    ).first()
    if entry is None or entry.actor_id is None:
        return None
    return session.get(User, entry.actor_id)
