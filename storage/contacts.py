"""Contacts of an account: finding one by name, listing the decision chain."""

from __future__ import annotations

from sqlalchemy import Row, bindparam, func
from sqlmodel import Session, select

from domain.models import Account, Contact


def by_name(session: Session, account_id: int, name: str) -> Contact | None:
    """The account's contact called ``name`` (compared case-insensitively)."""
    return session.exec(
        select(Contact)
        .where(Contact.account_id == account_id, func.lower(Contact.name) == name.strip().lower())
        .order_by(Contact.id)
    ).first()


_NAMES = (
    select(Contact.id, Contact.name)
    .where(Contact.account_id == bindparam("account_id"))
    .order_by(Contact.id)
)


def names_of_account(session: Session, account_id: int) -> list[Row[tuple[int, str]]]:
    """(id, name) of the account's contacts, in id order: what logging a visit matches
    its note against (one prebuilt statement, no entities)."""
    return list(session.connection().execute(_NAMES, {"account_id": account_id}).all())


def of_account(session: Session, account_id: int) -> list[Contact]:
    return list(
        session.exec(
            select(Contact).where(Contact.account_id == account_id).order_by(Contact.id)
        ).all()
    )


def keys_of_account(session: Session, account_id: int) -> list[tuple[int, str | None, str]]:
    """(id, role, name) of every contact of the account: enough to order and page them
    without loading every row (``page`` then loads one page)."""
    return list(
        session.exec(
            select(Contact.id, Contact.role, Contact.name).where(Contact.account_id == account_id)
        ).all()
    )


def by_ids(session: Session, ids: list[int]) -> list[Contact]:
    """The contacts with these ids, in the order given."""
    if not ids:
        return []
    found = {c.id: c for c in session.exec(select(Contact).where(Contact.id.in_(ids))).all()}  # type: ignore[union-attr]
    return [found[i] for i in ids if i in found]


def of_owner(session: Session, owner_id: int) -> list[tuple[int, int, str]]:
    """(account id, contact id, name) of every contact on the accounts ``owner_id`` owns."""
    return list(
        session.exec(
            select(Contact.account_id, Contact.id, Contact.name)
            .join(Account, Account.id == Contact.account_id)
            .where(Account.owner_id == owner_id)
        )
    )
