"""Finding accounts by what people type, and the per-account facts several views share."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, func, inspect
from sqlmodel import Session, select

from domain.models import Account, AccountAlias


def known_names(session: Session, names: Iterable[str]) -> set[str]:
    """Which of ``names`` are an account name or alias (compared case-insensitively).

    One query however many candidates: the parser asks with every prefix of a message
    to find where a multi-word account name ends.
    """
    wanted = sorted({n.strip().lower() for n in names if n.strip()})
    if not wanted:
        return set()
    found = set(
        session.exec(select(func.lower(Account.name)).where(func.lower(Account.name).in_(wanted)))
    )
    found |= set(
        session.exec(
            select(func.lower(AccountAlias.alias)).where(func.lower(AccountAlias.alias).in_(wanted))
        )
    )
    return {name.lower() for name in found}


def find_exact(session: Session, text: str) -> Account | None:
    """An account by exact name or alias, then the same case-insensitively."""
    text = text.strip()
    account = session.exec(select(Account).where(Account.name == text)).first()
    if account:
        return account
    account = session.exec(
        select(Account)
        .join(AccountAlias, AccountAlias.account_id == Account.id)
        .where(AccountAlias.alias == text)
    ).first()
    if account:
        return account
    # Name, then alias, in two queries: each is one lookup in its lower() index, where
    # an OR across the outer join would read every account.
    low = text.lower()
    account = session.exec(select(Account).where(func.lower(Account.name) == low)).first()
    if account:
        return account
    return session.exec(
        select(Account)
        .join(AccountAlias, AccountAlias.account_id == Account.id)
        .where(func.lower(AccountAlias.alias) == low)
    ).first()


def name_candidates(session: Session) -> list[tuple[int, str, tuple[str, ...]]]:
    """Every account's id, name and aliases (for fuzzy matching after an exact miss)."""
    aliases: dict[int, list[str]] = {}
    for account_id, alias in session.exec(select(AccountAlias.account_id, AccountAlias.alias)):
        aliases.setdefault(account_id, []).append(alias)
    return [
        (account_id, name, tuple(aliases.get(account_id, ())))
        for account_id, name in session.exec(select(Account.id, Account.name))
    ]


def aliases_of(session: Session, account_id: int) -> list[str]:
    return list(
        session.exec(select(AccountAlias.alias).where(AccountAlias.account_id == account_id)).all()
    )


def count_owned(session: Session, owner_id: int) -> int:
    """How many accounts ``owner_id`` owns (any status)."""
    return session.exec(select(func.count(Account.id)).where(Account.owner_id == owner_id)).one()


# --- knowing when names change --------------------------------------------------------
#
# In-memory name indexes (``handlers.book_names``) are rebuilt when this process writes
# an account or alias (the generation below moves on flush) and, for other processes'
# writes, when the fingerprint changes (checked every few seconds).

_generation = 0


@event.listens_for(Session, "after_flush")
def _names_touched(session: Session, _context: object) -> None:
    global _generation
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, Account | AccountAlias):
            _generation += 1
            return
    for obj in session.dirty:
        if isinstance(obj, AccountAlias) or (
            isinstance(obj, Account) and inspect(obj).attrs.name.history.has_changes()
        ):
            _generation += 1
            return


def names_generation() -> int:
    """Moves on whenever this process flushes a change to an account or an alias."""
    return _generation


def names_fingerprint(session: Session) -> tuple[int, ...]:
    """Changes when any process adds, removes or renames an account or alias (one scan
    of two narrow tables; a rename to a name of the same length is caught in-process
    only)."""
    a = session.exec(
        select(func.count(Account.id), func.max(Account.id), func.sum(func.length(Account.name)))
    ).one()
    b = session.exec(
        select(
            func.count(AccountAlias.id),
            func.max(AccountAlias.id),
            func.sum(func.length(AccountAlias.alias)),
        )
    ).one()
    return tuple(int(v or 0) for v in (*a, *b))
