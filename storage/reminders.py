"""Recurring reminders (``/remind``): the ones a person sees, found in one query each.

When a reminder falls due is computed by ``domain.recurrence`` (``advance``,
``first_on_or_after``) from its start date and step.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, select

from domain.models import Account, Reminder
from domain.recurrence import Every
from storage import locks


@dataclass(frozen=True)
class ReminderLine:
    reminder: Reminder
    account_name: str
    owner_id: int


def step(reminder: Reminder) -> Every:
    """The reminder's recurrence step, for ``domain.recurrence``."""
    return Every(days=reminder.every_days, months=reminder.every_months)


def active_for(
    session: Session, *, user_id: int | None = None, account_id: int | None = None
) -> list[ReminderLine]:
    """Active reminders a user set or that go to them (as account owner), and/or of one
    account; soonest first."""
    query = (
        select(Reminder, Account.name, Account.owner_id)
        .join(Account, Account.id == Reminder.account_id)
        .where(Reminder.active.is_(True))
    )
    if user_id is not None:
        query = query.where(or_(Reminder.created_by_id == user_id, Account.owner_id == user_id))
    if account_id is not None:
        query = query.where(Reminder.account_id == account_id)
    query = query.order_by(Reminder.next_date, Reminder.id)
    return [ReminderLine(r, name, owner) for r, name, owner in session.exec(query)]


def with_accounts(
    session: Session, ids: Collection[int], *, lock: bool = False
) -> dict[int, tuple[Reminder, Account]]:
    """The reminders with these ids (missing ids are absent), each with its account.

    ``lock``: the reminders are locked (in id order) and read again, for a command that
    checks a reminder is active before cancelling it (``storage.locks``)."""
    if not ids:
        return {}
    query = (
        select(Reminder, Account)
        .join(Account, Account.id == Reminder.account_id)
        .where(Reminder.id.in_(list(ids)))
    )
    if lock:
        query = locks.locking(query, Reminder)
    return {r.id: (r, a) for r, a in session.exec(query)}


def active_with_text(session: Session, account_id: int, text: str) -> Reminder | None:
    """An active reminder of the account with the same text (ignoring case)."""
    return session.exec(
        select(Reminder).where(
            Reminder.account_id == account_id,
            Reminder.active.is_(True),
            func.lower(Reminder.text) == text.strip().lower(),
        )
    ).first()
