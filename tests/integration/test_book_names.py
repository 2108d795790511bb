"""The in-memory name index follows the book: this process's writes at once, other
processes' within the fingerprint interval (handlers.book_names)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, insert, text
from sqlmodel import Session

from domain.models import Account
from handlers.book_names import BookNames
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import Chat

ROOT = Path(__file__).resolve().parents[2]


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


_RENAME = """
import sys
from sqlalchemy import update
from domain.models import Account
from storage.engine import make_engine
engine = make_engine(sys.argv[1])
with engine.begin() as conn:  # SQLAlchemy Core: no ORM flush, no new row, no new id
    conn.execute(update(Account).where(Account.id == int(sys.argv[2])).values(name=sys.argv[3]))
engine.dispose()
"""


def test_a_rename_by_another_process_through_core_is_seen_within_seconds(engine, database_url):
    index = BookNames(ttl=0.2)
    with unit_of_work(engine) as session:
        owner = f.user(session, "ann")
        acme = f.account(session, "Acme", owner=owner)
        f.account(session, "Zenith Corp", owner=owner)
    assert _names(index, engine) == {"Acme", "Zenith Corp"}
    done = subprocess.run(
        [sys.executable, "-c", _RENAME, database_url, str(acme.id), "Apex Holdings"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 10
    seen = _names(index, engine)
    while seen != {"Apex Holdings", "Zenith Corp"} and time.monotonic() < deadline:
        time.sleep(0.05)
        seen = _names(index, engine)
    assert seen == {"Apex Holdings", "Zenith Corp"}


def test_every_way_of_writing_a_name_moves_the_counter(engine):
    """Core and raw SQL, on account and account_alias; a change to another column not."""
    with unit_of_work(engine) as session:
        acme = f.account(session, "Acme", owner=f.user(session, "ann"))

    def version() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT n FROM book_version WHERE name = 'names'")).scalar()

    steps = [
        ("UPDATE account SET name = 'Acme Two' WHERE id = :id", 1),
        ("UPDATE account SET status = 'at_risk' WHERE id = :id", 0),
        ("INSERT INTO account_alias (account_id, alias) VALUES (:id, 'A2')", 1),
        ("UPDATE account_alias SET alias = 'A3' WHERE account_id = :id", 1),
        ("DELETE FROM account_alias WHERE account_id = :id", 1),
    ]
    for sql, moves in steps:
        before = version()
        with engine.begin() as conn:
            conn.execute(text(sql), {"id": acme.id})
        assert version() == before + moves, sql


def test_an_exact_name_in_a_fresh_process_does_not_build_the_index(engine):
    """The first ``/account Acme Corp`` of a process reads the name from the database;
    the name index is built only when a typo needs it."""
    with unit_of_work(engine) as session:
        ann = f.user(session, "ann")
        f.account(session, "Acme Corp", owner=ann)
        f.account(session, "Zenith", owner=ann)
    chat = Chat(engine)
    index = chat.dispatcher.book_names
    built: list[int] = []
    listen = event.listens_for(engine, "before_cursor_execute")

    @listen
    def _whole_book(_conn, _cursor, statement, *_args):
        flat = " ".join(statement.lower().split())
        if flat.startswith("select account.id, account.name") and "where" not in flat:
            built.append(1)  # every account's name: the index being built

    exact = chat.say("ann", "/account Acme Corp")
    assert exact.title.startswith("Acme Corp")
    assert index.cold and built == []
    typo = chat.say("ann", "/account Acme Crop")
    assert typo.title.startswith("Acme Corp")
    assert not index.cold and built == [1]  # the typo built it, once


def test_threads_that_all_need_the_first_index_build_it_once(engine):
    with unit_of_work(engine) as session:
        owner = f.user(session, "ann")
        team_id = owner.team_id
    rows = [
        {"name": f"Firm {i:04d} Trading", "owner_id": owner.id, "team_id": team_id, "tier": "B"}
        for i in range(3000)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Account), rows)
    builds: list[int] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _whole_book(_conn, _cursor, statement, *_args):
        flat = " ".join(statement.lower().split())
        if flat.startswith("select account.id, account.name") and "where" not in flat:
            builds.append(1)

    index = BookNames()
    threads = 8
    barrier = threading.Barrier(threads)
    sizes: list[int] = []

    def ask() -> None:
        barrier.wait()
        with Session(engine) as session:
            sizes.append(len(index.get(session)))

    pool = [threading.Thread(target=ask) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert sizes == [3000] * threads
    assert builds == [1]
