"""Locks for commands that read, check, then write (PostgreSQL; a no-op on SQLite).

Under PostgreSQL's READ COMMITTED each statement sees what was committed when it
began, so two commands can both read "no contact called Li Wei" (or "invoice #1 is
open", "task #12 is not done") and both write: eight contacts, six payments for one
invoice.  SQLite never gets there: a write unit of work takes its one write lock first
(``BEGIN IMMEDIATE``, ``storage.session``), so writers run one after another.

The rule, for PostgreSQL: **lock what the check hangs on, then check**.  A command
waits for the lock; by then the command before it has committed, and the check's
query (a new statement) sees what it wrote.

* ``account``/``accounts`` — everything under an account (contacts, deals, invoices,
  payments, reminders, complaints, the account's own columns).  ``handlers.auth.
  require_write`` takes it, so every command that changes an account takes its turn.
  ``FOR NO KEY UPDATE``: rows that merely reference the account (a new contact's
  foreign key) are not held up by it.
* ``rows`` — rows closed or decided by id (a task done, a reminder cancelled, a tier
  proposal decided), or what a goal is for (a person, a team): locked, and read
  again, before their state is checked.
* ``name`` — a name that has no row to lock yet (a new person's handle, a team's
  name), or a rule over many rows ("admins": the last admin is never removed): a
  transaction-scoped advisory lock.

Locks are taken in one order, so two commands never wait for each other: the actor's
own row (``/undo``), then names, then accounts by id, then the rows under them by id.
Every lock lasts until the transaction ends.  Unique constraints (migration 0008) stay
as the last word; ``handlers.dispatcher`` answers a breach "send it again".
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar
from zlib import crc32

from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from domain.models import Account

T = TypeVar("T", bound=SQLModel)
Q = TypeVar("Q")  # a select

# the first key of a name lock: which kind of name (pg_advisory_xact_lock(int, int))
NAME_KINDS = {"user_handle": 1, "team_name": 2, "admins": 3}


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def accounts(session: Session, ids: Collection[int]) -> list[Account]:
    """Lock these accounts (in id order) and return them as they are now."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return []
    return list(
        session.exec(
            select(Account)
            .where(Account.id.in_(wanted))
            .order_by(Account.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        ).all()
    )


def account(session: Session, target: Account) -> Account:
    """Lock one account; ``target`` (the session's own copy) is read again, fresh.

    On SQLite nothing is sent: a write unit of work holds the write lock from its
    ``BEGIN IMMEDIATE``, so ``target`` was read in it as the last writer left it."""
    if _postgres(session):
        accounts(session, [target.id])
    return target


def rows(session: Session, model: type[T], ids: Collection[int]) -> list[T]:
    """Lock the rows of ``model`` with these ids, in id order, and read them again."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    pk = model.__table__.c.id  # type: ignore[attr-defined]
    return list(session.exec(locking(select(model).where(pk.in_(wanted)), model)).all())


def locking(query: Q, model: type[SQLModel]) -> Q:
    """``query``, locking the ``model`` rows it reads in id order (``FOR NO KEY UPDATE``)
    and reading them afresh, so the check after it sees what was committed last."""
    pk = model.__table__.c.id  # type: ignore[attr-defined]
    return (
        query.order_by(pk)
        .with_for_update(of=model, key_share=True)
        .execution_options(populate_existing=True)
    )


def name(session: Session, kind: str, value: str) -> None:
    """Hold ``value`` (compared ignoring case) of this kind of name until the
    transaction ends: whoever else is about to create the same name waits."""
    if not _postgres(session):
        return
    key = crc32(value.strip().casefold().encode()) - 2**31  # a signed 32-bit int
    session.execute(
        text("SELECT pg_advisory_xact_lock(:kind, :key)"),
        {"kind": NAME_KINDS[kind], "key": key},
    )
