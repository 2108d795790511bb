"""Account teams (协同): the supporting members of an account and their roles there.

The one accountable owner stays ``Account.owner_id``; an ``AccountMember`` row says
that someone else works the account too (tech, service, legal, finance, an executive
sponsor…).  Every function is one indexed query (``ix_account_member_account_id``,
``ix_account_member_user_id`` and the unique ``(account_id, user_id)``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from domain.models import INACTIVE_STATUSES, Account, AccountMember, Invoice, User


@dataclass(frozen=True)
class Member:
    """A member of an account's team, with the person."""

    row: AccountMember
    user: User

    @property
    def role(self) -> str:
        return self.row.role


def membership(session: Session, account_id: int, user_id: int) -> AccountMember | None:
    """``user_id``'s place on ``account_id``'s team, if they have one."""
    return session.exec(
        select(AccountMember).where(
            AccountMember.account_id == account_id, AccountMember.user_id == user_id
        )
    ).first()


def members_of(session: Session, account_id: int) -> list[Member]:
    """The account's team, in the order they were added."""
    rows = session.exec(
        select(AccountMember, User)
        .join(User, User.id == AccountMember.user_id)
        .where(AccountMember.account_id == account_id)
        .order_by(AccountMember.created_at, AccountMember.id)
    ).all()
    return [Member(row, user) for row, user in rows]


def member_ids_with_role(session: Session, account_id: int, roles: Collection[str]) -> list[int]:
    """The active people on the account's team in one of ``roles``."""
    if not roles:
        return []
    return list(
        session.exec(
            select(AccountMember.user_id)
            .join(User, User.id == AccountMember.user_id)
            .where(
                AccountMember.account_id == account_id,
                AccountMember.role.in_(sorted(roles)),
                User.active.is_(True),
            )
            .order_by(AccountMember.user_id)
        ).all()
    )


def accounts_by_member(
    session: Session, user_ids: Collection[int], role: str, *, limit: int
) -> dict[int, list[int]]:
    """For each of ``user_ids``: the active accounts they are on in ``role`` (at most
    ``limit`` each, oldest first).  One statement per person, each bounded."""
    out: dict[int, list[int]] = {}
    for user_id in sorted(user_ids):
        ids = session.exec(
            select(AccountMember.account_id)
            .join(Account, Account.id == AccountMember.account_id)
            .where(
                AccountMember.user_id == user_id,
                AccountMember.role == role,
                Account.status.not_in(INACTIVE_STATUSES),
            )
            .order_by(AccountMember.account_id)
            .limit(limit)
        ).all()
        if ids:
            out[user_id] = list(ids)
    return out


def who_has_role(session: Session, role: str, user_ids: Collection[int]) -> set[int]:
    """Which of ``user_ids`` are on some active account's team in ``role`` (one query)."""
    if not user_ids:
        return set()
    return set(
        session.exec(
            select(AccountMember.user_id)
            .join(Account, Account.id == AccountMember.account_id)
            .where(
                AccountMember.role == role,
                AccountMember.user_id.in_(sorted(user_ids)),
                Account.status.not_in(INACTIVE_STATUSES),
            )
            .distinct()
        ).all()
    )


@dataclass(frozen=True)
class OverdueInvoice:
    account_id: int
    account_name: str
    number: str | None
    open_amount: Decimal
    currency: str
    due_on: date


def overdue_invoices_of_member(
    session: Session, user_id: int, role: str, *, today: date, limit: int
) -> tuple[list[OverdueInvoice], int]:
    """The open invoices past due at the accounts ``user_id`` is on in ``role``: the
    oldest ``limit`` of them, and how many there are in all (two bounded statements)."""
    accounts = select(AccountMember.account_id).where(
        AccountMember.user_id == user_id, AccountMember.role == role
    )
    where = (
        Invoice.account_id.in_(accounts),
        Invoice.settled_on.is_(None),
        Invoice.due_on < today,
        Invoice.amount > Invoice.paid_amount,
        Account.status.not_in(INACTIVE_STATUSES),
    )
    rows = session.exec(
        select(
            Invoice.account_id,
            Account.name,
            Invoice.number,
            Invoice.amount,
            Invoice.paid_amount,
            Invoice.currency,
            Invoice.due_on,
        )
        .join(Account, Account.id == Invoice.account_id)
        .where(*where)
        .order_by(Invoice.due_on, Invoice.id)
        .limit(limit)
    ).all()
    total = len(rows)
    if total >= limit:
        total = session.exec(
            select(func.count(Invoice.id))
            .join(Account, Account.id == Invoice.account_id)
            .where(*where)
        ).one()
    return [
        OverdueInvoice(account_id, name, number, Decimal(amount) - Decimal(paid), currency, due)
        for account_id, name, number, amount, paid, currency, due in rows
    ], total
