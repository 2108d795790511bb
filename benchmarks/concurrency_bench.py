"""Simultaneous ``/visit`` commands from threads: every one commits, none sees a lock error.

Slack's Socket Mode and the HTTP server run listeners on a thread pool, so a busy
morning is many writers at once on one engine.  Each round starts ``--threads``
threads at a barrier, each logging a visit to a different account as its owner.  On
SQLite the engine runs in WAL mode with a busy timeout and takes the write lock up
front (``BEGIN IMMEDIATE``), so writers queue instead of failing; this checks it: any
``database is locked`` seen by the engine (an ``handle_error`` listener) or any reply
that is not a success is counted, and the book must hold one new interaction per
command.

    .venv/bin/python -m benchmarks.concurrency_bench --database-url sqlite:///bench.db
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

from sqlalchemy import Engine, event

from benchmarks import Stats, bench_settings, cli, percentile, sample_accounts
from benchmarks.visit_bench import first_contacts, interactions, messages
from bot.bootstrap import build_commands
from bot.config import Settings
from handlers.dispatcher import Dispatcher, Incoming
from handlers.notify import RecordingNotifier
from handlers.replies import Severity
from storage.engine import is_sqlite, make_engine


class LockErrors:
    """Counts every "database is locked" (or "busy") error the engine meets."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.seen = engine, []
        self._lock = threading.Lock()
        event.listen(engine, "handle_error", self._check)

    def _check(self, context) -> None:
        message = str(context.original_exception).lower()
        if "locked" in message or "busy" in message:
            with self._lock:
                self.seen.append(message)

    def close(self) -> None:
        event.remove(self.engine, "handle_error", self._check)


class BusyWaits:
    """``BEGIN IMMEDIATE`` statements SQLite saw while another write transaction of this
    process was open: each of those waited in SQLite's busy handler (read from SQLite's
    own statement trace, so it counts the same however busy the machine is)."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.waits, self.writes = engine, 0, 0
        self._writing: set[int] = set()
        self._lock = threading.Lock()
        if is_sqlite(engine):
            event.listen(engine, "connect", self._connect)
            engine.dispose()  # connections opened from now on are traced

    def _connect(self, dbapi_conn, _record) -> None:
        key = id(dbapi_conn)

        def seen(statement: str) -> None:
            word = statement.strip().upper()
            with self._lock:
                if word == "BEGIN IMMEDIATE":
                    self.writes += 1
                    self.waits += bool(self._writing)
                    self._writing.add(key)
                elif word.startswith(("COMMIT", "ROLLBACK")):
                    self._writing.discard(key)

        dbapi_conn.set_trace_callback(seen)

    def close(self) -> None:
        if is_sqlite(self.engine):
            event.remove(self.engine, "connect", self._connect)


def sqlite_pragmas(engine: Engine) -> dict[str, Any]:
    """The settings that make concurrent writes safe, read back from a connection."""
    if not is_sqlite(engine):
        return {}
    with engine.connect() as conn:
        return {
            "journal_mode": conn.exec_driver_sql("PRAGMA journal_mode").scalar(),
            "busy_timeout_ms": conn.exec_driver_sql("PRAGMA busy_timeout").scalar(),
        }


def tail(seconds: list[float]) -> dict[str, float]:
    """Median, p95 and p99 of ``seconds``, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    return {f"p{q}_ms": round(percentile(ms, q), 3) for q in (50, 95, 99)}


def run(
    engine: Engine, settings: Settings, *, threads: int = 16, rounds: int = 10, seed: int = 10
) -> dict[str, Any]:
    accounts = sample_accounts(engine, threads * rounds + 1, seed)
    contacts = first_contacts(engine, [a.account_id for a in accounts])
    work = list(messages(accounts, contacts))
    warm_owner, warm_text = work.pop()  # one /visit first, alone and not counted: a
    # running server has its name index and compiled statements already
    dispatcher = Dispatcher(engine, settings, RecordingNotifier(), commands=build_commands())
    dispatcher.handle(Incoming(text=warm_text, actor=warm_owner.owner, platform="console"))
    locks = LockErrors(engine)
    busy = BusyWaits(engine)
    latencies: list[float] = []
    failures: list[str] = []
    walls: list[float] = []
    guard = threading.Lock()
    before = interactions(engine)
    cpu = time.process_time()

    def one(barrier: threading.Barrier, owner: str, text: str) -> None:
        barrier.wait()
        started = time.perf_counter()
        try:
            reply = dispatcher.handle(Incoming(text=text, actor=owner, platform="console"))
            failed = None if reply.severity is Severity.success else f"{reply.title} {reply.lines}"
        except Exception as exc:  # noqa: BLE001  (a crash in a thread is a failure, counted)
            failed = f"{type(exc).__name__}: {exc}"
        took = time.perf_counter() - started
        with guard:
            latencies.append(took)
            if failed:
                failures.append(f"{text}: {failed}")

    try:
        for r in range(rounds):
            batch = work[r * threads : (r + 1) * threads]
            barrier = threading.Barrier(len(batch) + 1)
            pool = [
                threading.Thread(target=one, args=(barrier, a.owner, text), daemon=True)
                for a, text in batch
            ]
            for t in pool:
                t.start()
            barrier.wait()
            started = time.perf_counter()
            for t in pool:
                t.join()
            walls.append(time.perf_counter() - started)
    finally:
        locks.close()
        busy.close()
    cpu = time.process_time() - cpu
    written = interactions(engine) - before
    return {
        "database": engine.dialect.name,
        **sqlite_pragmas(engine),
        "threads": threads,
        "rounds": rounds,
        "commands": len(work),
        "ok": len(work) - len(failures),
        "written": written,
        "locked": len(locks.seen),
        **({"busy_waits": busy.waits, "write_begins": busy.writes} if is_sqlite(engine) else {}),
        "errors": len(failures) + abs(written - (len(work) - len(failures))),
        "first_error": failures[0] if failures else (locks.seen[0] if locks.seen else None),
        "latency": Stats.of(latencies).as_dict(),
        "per_command": {"visit": {"n": len(latencies), **tail(latencies)}},
        "round_wall": Stats.of(walls).as_dict(),
        "cpu_s": round(cpu, 3),
    }


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=10, help="which accounts are drawn")


def _main(args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(args.database_url)
    try:
        return run(
            engine,
            bench_settings(args.database_url),
            threads=args.threads,
            rounds=args.rounds,
            seed=args.seed,
        )
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    return cli(__doc__.splitlines()[0], _arguments, _main, argv)


if __name__ == "__main__":
    raise SystemExit(main())
