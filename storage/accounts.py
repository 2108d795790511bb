"""Finding accounts by what people type, and the per-account facts several views share."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, event, func, inspect
from sqlmodel import Session, select

from domain.models import Account, AccountAlias, BookVersion

NAMES = "names"  # the book_version row for account names and aliases


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


# ``find_exact``'s four lookups, built once: every command naming an account runs them.
_TEXT = bindparam("text")
_BY_NAME = select(Account).where(Account.name == _TEXT)
_BY_ALIAS = (
    select(Account)
    .join(AccountAlias, AccountAlias.account_id == Account.id)
    .where(AccountAlias.alias == _TEXT)
)
_BY_LOWER_NAME = select(Account).where(func.lower(Account.name) == _TEXT)
_BY_LOWER_ALIAS = (
    select(Account)
    .join(AccountAlias, AccountAlias.account_id == Account.id)
    .where(func.lower(AccountAlias.alias) == _TEXT)
)


def find_exact(session: Session, text: str) -> Account | None:
    """An account by exact name or alias, then the same case-insensitively."""
    text = text.strip()
    # Name, then alias, each in its own query: each is one lookup in its (lower())
    # index, where an OR across the outer join would read every account.
    for query, value in (
        (_BY_NAME, text),
        (_BY_ALIAS, text),
        (_BY_LOWER_NAME, text.lower()),
        (_BY_LOWER_ALIAS, text.lower()),
    ):
        account = session.exec(query, params={"text": value}).first()
        if account:
            return account
    return None


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
# In-memory name indexes (``handlers.book_names``) are rebuilt when a name or alias
# changes: this process's ORM writes move ``_generation`` at once; every write, by any
# process and any path (the ORM, SQLAlchemy Core, a bulk import, psql), moves the
# ``book_version`` row in its own transaction through the database's triggers
# (migration 0011), read in one lookup by the others.

_generation = 0


def _touches_names(session: Session) -> bool:
    if any(isinstance(o, Account | AccountAlias) for o in (*session.new, *session.deleted)):
        return True
    return any(
        isinstance(o, AccountAlias)
        or (isinstance(o, Account) and inspect(o).attrs.name.history.has_changes())
        for o in session.dirty
    )


@event.listens_for(Session, "before_flush")
def _names_touched(session: Session, _context: object, _instances: object) -> None:
    global _generation
    if _touches_names(session):
        _generation += 1


def names_generation() -> int:
    """Moves on whenever this process writes a change to an account's name or an alias."""
    return _generation


def names_fingerprint(session: Session) -> tuple[int, ...]:
    """Changes when any process changes a name or alias, however it writes: the
    ``book_version`` counter, moved by the database's triggers."""
    version = session.exec(select(BookVersion.n).where(BookVersion.name == NAMES)).first()
    return (int(version or 0),)
