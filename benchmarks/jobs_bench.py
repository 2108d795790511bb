"""Every scheduled job over a large generated book: time, SQL statements, peak memory.

    .venv/bin/python -m benchmarks.jobs_bench                     # 5,000 then 50,000 accounts
    .venv/bin/python -m benchmarks.jobs_bench --sizes 1000 10000
    .venv/bin/python -m benchmarks.jobs_bench --database-url postgresql+psycopg://…/empty_db

The book comes from ``benchmarks.book.generate_large`` (100 reps in 10 regional teams,
about three contacts per account, five interactions and half a deal per account, a
next step on every other account), grown in place from one size to the next; on top
of it each team gets a Slack channel and a manager, every rep and team a revenue
goal, and every tenth account a reminder due today — so every job has work to do.

Each job runs on demand (every recipient due) as of 09:05 today: a dry run (the build
phase alone: the book scans), a real run into a notifier that only counts (the build,
then a claim and a mark per message, and for reminders the batch that moves them on),
and a dry run under ``tracemalloc`` for the peak of Python allocations (off while
timing: it slows every allocation).  The ledger is emptied before each job.
Statements are counted with a ``before_cursor_execute`` listener.

The statements that scan the book, and the statements per message delivered, must be
the same at every size — the script exits 1 if they are not.  How many messages there
are depends on how many people have something to be told (at most one per recipient
and job), not on the number of accounts.

The default database is a fresh SQLite file in a temporary directory; a PostgreSQL
URL must name an empty database (it is migrated, filled and left as it is).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, delete, event, func, insert, select, update

from benchmarks.book import generate_large
from bot.config import Settings
from domain.models import Account, Delivery, Goal, Reminder, Role, Team, TeamManager, User
from schedules.jobs import job_table
from schedules.registry import run
from storage.engine import make_engine
from storage.migrate import ensure_schema

INTERACTIONS_PER_ACCOUNT = 5
DEALS_PER_ACCOUNT = 0.5


class Counting:
    """A notifier that only counts what it is given."""

    def __init__(self) -> None:
        self.sent = 0

    def send(self, recipient, reply) -> None:
        self.sent += 1


class StatementCounter:
    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:
        self.count += 1


@dataclass
class Measure:
    job: str
    size: int
    build_seconds: float
    build_statements: int
    run_seconds: float
    run_statements: int
    messages: int
    peak_mib: float

    @property
    def per_message(self) -> float:
        """Statements the delivery took per message: claim, mark (and a follow-up)."""
        if not self.messages:
            return 0.0
        return (self.run_statements - self.build_statements) / self.messages


def grow(engine: Engine, settings: Settings, accounts: int, today) -> None:
    """Add ``accounts`` more to the book, then the channels, managers, goals, reminders."""
    started = time.perf_counter()
    counts = generate_large(
        engine,
        accounts=accounts,
        interactions=accounts * INTERACTIONS_PER_ACCOUNT,
        deals=int(accounts * DEALS_PER_ACCOUNT),
        settings=settings,
        today=today,
    )
    now = datetime.now(UTC)
    with engine.begin() as conn:
        teams = conn.execute(select(Team.id, Team.name).where(Team.name.like("Region %"))).all()
        for team_id, name in teams:
            channel = f"C{team_id:08d}"
            conn.execute(update(Team).where(Team.id == team_id).values(slack_channel=channel))
            handle = f"mgr{name[-2:]}"
            if conn.execute(select(User.id).where(User.handle == handle)).scalar() is None:
                manager = {
                    "handle": handle,
                    "display_name": f"Manager {name[-2:]}",
                    "role": Role.manager.value,
                    "team_id": team_id,
                    "timezone": settings.timezone,
                    "language": "en",
                    "active": True,
                    "created_at": now,
                }
                manager_id = conn.execute(insert(User).values(manager).returning(User.id)).scalar()
                conn.execute(insert(TeamManager).values(team_id=team_id, user_id=manager_id))
        if not conn.execute(select(func.count()).select_from(Goal)).scalar():
            goal = {"year": today.year, "metric": "won_revenue", "currency": settings.currency}
            goal["created_at"] = now
            reps = conn.execute(select(User.id).where(User.handle.like("rep%"))).scalars()
            rep_goal = {**goal, "scope": "user", "target": Decimal(5_000_000)}
            team_goal = {**goal, "scope": "team", "target": Decimal(50_000_000)}
            conn.execute(insert(Goal), [{**rep_goal, "user_id": r} for r in reps])
            conn.execute(insert(Goal), [{**team_goal, "team_id": t} for t, _name in teams])
        have = set(conn.execute(select(Reminder.account_id)).scalars())
        ids = conn.execute(select(Account.id).order_by(Account.id)).scalars().all()
        reminder = {
            "text": "Check the consignment stock",
            "every_days": 14,
            "active": True,
            "start_date": today - timedelta(days=14),
            "next_date": today,
            "created_at": now,
        }
        rows = [{**reminder, "account_id": a} for a in ids[::10] if a not in have]
        if rows:
            conn.execute(insert(Reminder), rows)
    took = time.perf_counter() - started
    print(f"  generated {counts.get('accounts', 0):,} accounts in {took:.0f}s", flush=True)


def measure(engine: Engine, settings: Settings, job: str, now: datetime, size: int) -> Measure:
    """Time a dry run and a real run, then measure a dry run's peak memory on its own
    (tracemalloc slows every allocation down, so it stays off while timing)."""
    counter = StatementCounter(engine)
    with engine.begin() as conn:
        conn.execute(delete(Delivery))

    counter.count = 0
    started = time.perf_counter()
    spec = job_table()[job]
    report = run(spec, engine, settings, None, now, dry_run=True, on_demand=True)
    build_seconds = time.perf_counter() - started
    build_statements = counter.count

    notifier = Counting()
    counter.count = 0
    started = time.perf_counter()
    run(spec, engine, settings, notifier, now, on_demand=True)
    run_seconds = time.perf_counter() - started
    run_statements = counter.count
    event.remove(engine, "before_cursor_execute", counter._count)
    assert notifier.sent == len(report.messages), (job, notifier.sent, len(report.messages))

    tracemalloc.start()
    run(spec, engine, settings, None, now, dry_run=True, on_demand=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return Measure(
        job=job,
        size=size,
        build_seconds=build_seconds,
        build_statements=build_statements,
        run_seconds=run_seconds,
        run_statements=run_statements,
        messages=notifier.sent,
        peak_mib=peak / 2**20,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes)

    settings = Settings()
    tmp = None
    url = args.database_url
    if url is None:
        tmp = tempfile.TemporaryDirectory(prefix="kam-bench-")
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    engine = make_engine(url)
    ensure_schema(engine)
    now = datetime.now(settings.tz).replace(hour=9, minute=5, second=0, microsecond=0)
    pushes = [spec.name for spec in job_table() if spec.push]
    results: list[Measure] = []
    have = 0
    try:
        for size in sizes:
            print(f"{size:,} accounts ({engine.dialect.name})", flush=True)
            grow(engine, settings, size - have, now.date())
            have = size
            for job in pushes:
                m = measure(engine, settings, job, now, size)
                results.append(m)
                print(
                    f"  {job:<10} build {m.build_seconds:6.2f}s {m.build_statements:3d} stmts"
                    f" | run {m.run_seconds:6.2f}s {m.messages:4d} msgs"
                    f" {m.per_message:5.1f} stmts/msg | peak {m.peak_mib:6.1f} MiB",
                    flush=True,
                )
    finally:
        engine.dispose()
        if tmp is not None:
            tmp.cleanup()

    print("\nStatements by size — scanning the book / delivering one message:")
    ok = True
    for job in pushes:
        mine = [m for m in results if m.job == job]
        builds = {m.build_statements for m in mine}
        per_message = {round(m.per_message, 2) for m in mine if m.messages}
        same = len(builds) == 1 and len(per_message) <= 1
        ok &= same
        cells = "  ".join(f"{m.size:>7,}: {m.build_statements} / {m.per_message:.1f}" for m in mine)
        print(f"  {job:<10} {cells}  {'constant' if same else 'GROWS WITH THE BOOK'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
