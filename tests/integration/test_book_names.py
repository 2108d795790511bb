"""The in-memory name index follows the book: this process's writes at once, other
processes' within the fingerprint interval (handlers.book_names)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import Session

from domain.models import Account
from handlers.book_names import BookNames
from storage.session import unit_of_work
from tests import factories as f


def _names(index: BookNames, engine) -> set[str]:
    with Session(engine) as session:
        return set(index.get(session).names.values())


def test_a_name_written_here_is_found_at_once(engine):
    index = BookNames(ttl=3600)
    with unit_of_work(engine) as session:
        owner = f.user(session, "ann")
        f.account(session, "Acme", owner=owner)
    assert _names(index, engine) == {"Acme"}
    with unit_of_work(engine) as session:
        f.account(session, "Zenith Corp", owner=owner)
    assert _names(index, engine) == {"Acme", "Zenith Corp"}


def test_another_processs_change_is_seen_after_the_interval(engine):
    index = BookNames(ttl=0)  # check the fingerprint on every call
    with unit_of_work(engine) as session:
        owner = f.user(session, "ann")
        acme = f.account(session, "Acme", owner=owner)
    assert _names(index, engine) == {"Acme"}
    # written behind the ORM's back, as another process would
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE account SET name = 'Acme Holdings' WHERE id = :id"), {"id": acme.id}
        )
        conn.execute(
            text("INSERT INTO account_alias (account_id, alias) VALUES (:id, 'AH')"),
            {"id": acme.id},
        )
    book = None
    with Session(engine) as session:
        book = index.get(session)
    assert set(book.names.values()) == {"Acme Holdings"}
    assert [h.key for h in book.find("visited AH today")] == [acme.id]


def test_an_unchanged_book_is_not_rebuilt(engine):
    index = BookNames(ttl=0)
    with unit_of_work(engine) as session:
        ann = f.user(session, "ann")
        acme = f.account(session, "Acme", owner=ann)
    with Session(engine) as session:
        first = index.get(session)
        assert index.get(session) is first
    with unit_of_work(engine) as session:
        f.interaction(session, acme, author=ann, at=datetime.now(UTC))
        session.get(Account, acme.id).status = "at_risk"  # a change, but not to a name
    with Session(engine) as session:
        assert index.get(session) is first


def test_a_name_changed_through_kam_moves_the_shared_version_row(engine):
    with unit_of_work(engine) as session:
        acme = f.account(session, "Acme", owner=f.user(session, "ann"))
    with engine.connect() as conn:
        before = conn.execute(text("SELECT n FROM book_version WHERE name = 'names'")).scalar()
    with unit_of_work(engine) as session:
        session.get(Account, acme.id).name = "Acme Holdings"
    with unit_of_work(engine) as session:
        session.get(Account, acme.id).status = "at_risk"  # not a name: no move
    with engine.connect() as conn:
        after = conn.execute(text("SELECT n FROM book_version WHERE name = 'names'")).scalar()
    assert after == before + 1
