"""SQLite writers of one process queue on a Python lock, not in SQLite's busy handler
(storage.engine.WriterLock): released on every way out of a write transaction, bounded
by ``wait_ms``, one per database file, and other processes still get their turn."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from storage.engine import make_engine, writer_lock
from storage.session import unit_of_work

pytestmark = pytest.mark.skipif(
    bool(__import__("os").environ.get("KAM_TEST_DATABASE_URL")),
    reason="SQLite's write lock; PostgreSQL has row locks and no writer queue",
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sqlite_file(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
    engine.dispose()
    return url


def _insert(session, who: str) -> None:
    session.execute(text("INSERT INTO t (who) VALUES (:who)"), {"who": who})


def _count(engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM t").scalar()


def test_the_lock_is_let_go_after_an_exception(sqlite_file):
    engine = make_engine(sqlite_file)
    lock = writer_lock(engine)
    assert lock is not None
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        _insert(session, "lost")
        assert lock.locked()  # the transaction holds it
        raise RuntimeError("boom")
    assert not lock.locked()
    # and the next writer, with a short wait, gets it at once
    with unit_of_work(engine, wait_ms=200) as session:
        _insert(session, "kept")
    assert not lock.locked()
    assert _count(engine) == 1
    engine.dispose()


def test_a_failed_statement_or_a_read_does_not_keep_it(sqlite_file):
    engine = make_engine(sqlite_file)
    lock = writer_lock(engine)
    with pytest.raises(IntegrityError), unit_of_work(engine) as session:
        session.execute(text("INSERT INTO t (id, who) VALUES (1, 'a')"))
        session.execute(text("INSERT INTO t (id, who) VALUES (1, 'b')"))
    assert not lock.locked()
    with unit_of_work(engine, write=False) as session:
        session.execute(text("SELECT count(*) FROM t")).scalar()
        assert not lock.locked()  # a read takes no writer's turn
    engine.dispose()


def test_a_bounded_wait_ends_in_the_usual_locked_error(sqlite_file):
    engine = make_engine(sqlite_file)
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with unit_of_work(engine) as session:
            _insert(session, "holder")
            holding.set()
            done.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert holding.wait(10)
        locked = pytest.raises(OperationalError, match="database is locked")
        with locked, unit_of_work(engine, wait_ms=100) as session:
            _insert(session, "late")
    finally:
        done.set()
        t.join()
    with unit_of_work(engine, wait_ms=1000) as session:  # free again
        _insert(session, "after")
    assert _count(engine) == 2
    engine.dispose()


def test_two_files_do_not_share_a_lock(tmp_path, sqlite_file):
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    one, other = make_engine(sqlite_file), make_engine(other_url)
    with other.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
    assert writer_lock(one) is not writer_lock(other)
    assert writer_lock(one) is writer_lock(make_engine(sqlite_file))  # same file, same lock
    with unit_of_work(one) as session:
        _insert(session, "one")
        with unit_of_work(other, wait_ms=100) as inner:  # another file: no wait
            _insert(inner, "other")
    assert _count(one) == 1 and _count(other) == 1
    one.dispose()
    other.dispose()


def test_a_lock_held_by_another_connection_lets_go_after_a_failed_begin(sqlite_file):
    """Another process's write lock: BEGIN IMMEDIATE fails after ``wait_ms``; the
    Python lock must not stay taken by the failed attempt."""
    engine = make_engine(sqlite_file)
    outsider = make_engine(sqlite_file).raw_connection()
    outsider.driver_connection.isolation_level = None
    outsider.driver_connection.execute("BEGIN IMMEDIATE")
    try:
        locked = pytest.raises(OperationalError, match="database is locked")
        with locked, unit_of_work(engine, wait_ms=100) as session:
            _insert(session, "blocked")
        assert not writer_lock(engine).locked()
    finally:
        outsider.driver_connection.execute("ROLLBACK")
        outsider.close()
    with unit_of_work(engine, wait_ms=1000) as session:
        _insert(session, "free")
    assert _count(engine) == 1
    engine.dispose()


def test_threads_never_meet_in_sqlites_busy_handler(sqlite_file):
    """Every BEGIN IMMEDIATE that SQLite sees from this process comes after the
    previous write transaction ended: none of them waits in the busy handler.

    The statements are read from SQLite's own trace.  The first writer stays in its
    transaction until another thread has sent BEGIN IMMEDIATE (or 1 s went by): without
    the lock the other thread's BEGIN lands inside the first transaction."""
    engine = make_engine(sqlite_file)
    trace: list[str] = []
    guard = threading.Lock()
    someone_began = threading.Event()

    @event.listens_for(engine, "connect")
    def _trace(dbapi_conn, _record):
        def seen(statement: str) -> None:
            word = statement.strip().split()[0].upper()
            if statement.strip().upper() == "BEGIN IMMEDIATE" or word in ("COMMIT", "ROLLBACK"):
                with guard:
                    trace.append("BEGIN" if word == "BEGIN" else "END")
                    if word == "BEGIN" and trace.count("BEGIN") > 1:
                        someone_began.set()

        dbapi_conn.set_trace_callback(seen)

    threads, rounds = 8, 5
    barrier = threading.Barrier(threads)
    first = threading.Lock()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for r in range(rounds):
                with unit_of_work(engine) as session:
                    _insert(session, f"{n}-{r}")
                    if first.acquire(blocking=False):  # the very first writer lingers
                        someone_began.wait(1)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    pool = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    assert _count(engine) == threads * rounds
    assert trace.count("BEGIN") == threads * rounds  # the trace saw every writer
    overlapping = [i for i in range(1, len(trace)) if trace[i] == trace[i - 1] == "BEGIN"]
    assert overlapping == [], trace
    engine.dispose()


_WRITER = """
import sys
from sqlalchemy import text
from storage.engine import make_engine
from storage.session import unit_of_work
engine = make_engine(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
for i in range(int(sys.argv[3])):
    with unit_of_work(engine) as session:
        session.execute(text("INSERT INTO t (who) VALUES (:w)"), {"w": sys.argv[2]})
print("done", flush=True)
"""


def test_two_processes_both_commit(sqlite_file):
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    n = 150
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, sqlite_file, who, str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for who in ("p1", "p2")
    ]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    for p in procs:  # both start writing together
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        out, _err = p.communicate(timeout=120)
        assert p.returncode == 0
        assert out.strip() == "done"
    engine = make_engine(sqlite_file)
    with engine.connect() as conn:
        rows = dict(conn.exec_driver_sql("SELECT who, count(*) FROM t GROUP BY who").all())
    assert rows == {"p1": n, "p2": n}
    engine.dispose()
