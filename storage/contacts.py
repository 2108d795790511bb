"""Contacts of an account: finding one by name, listing the decision chain, the
interaction links a merge moves.

A contact who left the company (``left_at`` set) stays with the account and with every
interaction that names her; she is no longer part of the decision chain, so the
queries that count the chain (``current``) leave her out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, bindparam, case, func
from sqlmodel import Session, select

from domain.models import Account, Contact, ContactRole, InteractionContact

current = Contact.left_at.is_(None)  # still with the company: part of the decision chain


def by_name(session: Session, account_id: int, name: str) -> Contact | None:
    """The account's contact called ``name`` (compared case-insensitively), left or not."""
    return session.exec(
        select(Contact)
        .where(Contact.account_id == account_id, func.lower(Contact.name) == name.strip().lower())
        .order_by(Contact.id)
    ).first()


_NAMES = (
    select(Contact.id, Contact.name, Contact.left_at)
    .where(Contact.account_id == bindparam("account_id"))
    .order_by(Contact.id)
)


def names_of_account(session: Session, account_id: int) -> list[Row[tuple[int, str, datetime]]]:
    """(id, name, left_at) of the account's contacts, in id order: what logging a visit
    matches its note against (one prebuilt statement, no entities).  Those who left are
    there too: named in full they are linked, as history."""
    return list(session.connection().execute(_NAMES, {"account_id": account_id}).all())


def of_account(session: Session, account_id: int) -> list[Contact]:
    return list(
        session.exec(
            select(Contact).where(Contact.account_id == account_id).order_by(Contact.id)
        ).all()
    )


def keys_of_account(
    session: Session, account_id: int
) -> list[tuple[int, str | None, str, datetime | None]]:
    """(id, role, name, left_at) of every contact of the account: enough to order and
    page them without loading every row (``page`` then loads one page)."""
    return list(
        session.exec(
            select(Contact.id, Contact.role, Contact.name, Contact.left_at).where(
                Contact.account_id == account_id
            )
        ).all()
    )


def by_ids(session: Session, ids: list[int]) -> list[Contact]:
    """The contacts with these ids, in the order given."""
    if not ids:
        return []
    found = {c.id: c for c in session.exec(select(Contact).where(Contact.id.in_(ids))).all()}  # type: ignore[union-attr]
    return [found[i] for i in ids if i in found]


def of_owner(session: Session, owner_id: int) -> list[tuple[int, int, str]]:
    """(account id, contact id, name) of every current contact (not left) on the accounts
    ``owner_id`` owns: who "刚跟王总通了电话" may be about."""
    return list(
        session.exec(
            select(Contact.account_id, Contact.id, Contact.name)
            .join(Account, Account.id == Contact.account_id)
            .where(Account.owner_id == owner_id, current)
        )
    )


def chain(session: Session, account_id: int) -> tuple[int, bool]:
    """How many current contacts the account has, and whether one is a decision maker."""
    is_dm = case((Contact.role == ContactRole.decision_maker.value, 1), else_=0)
    n, dm = session.exec(
        select(func.count(Contact.id), func.max(is_dm)).where(
            Contact.account_id == account_id, current
        )
    ).one()
    return n, bool(dm)


def links_of(session: Session, contact_id: int) -> list[InteractionContact]:
    """The interaction links naming the contact, in interaction order."""
    return list(
        session.exec(
            select(InteractionContact)
            .where(InteractionContact.contact_id == contact_id)
            .order_by(InteractionContact.interaction_id)
        ).all()
    )


def interaction_ids(session: Session, contact_id: int) -> set[int]:
    """The interactions that name the contact."""
    return set(
        session.exec(
            select(InteractionContact.interaction_id).where(
                InteractionContact.contact_id == contact_id
            )
        ).all()
    )


def interaction_count(session: Session, contact_id: int) -> int:
    return session.exec(
        select(func.count()).where(InteractionContact.contact_id == contact_id)
    ).one()
