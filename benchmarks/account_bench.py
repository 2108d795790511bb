"""``/account NAME`` end to end, against a raw-SQL floor written by hand.

For each sampled account, asked by its owner (in the owner's language):

1. a capture run (untimed): every statement the command sends to the database is
   recorded by a ``before_cursor_execute`` listener (``statements``: how many);
2. the end-to-end run, timed: ``Dispatcher.handle`` (parse → queries → the view) plus
   ``render_blocks`` (Slack Block Kit);
3. the raw-SQL floor, timed: ``benchmarks.floor`` — the minimal statements, written by
   hand against the schema, that fetch what the screen shows, on a DBAPI connection,
   every row fetched, then rolled back (``floor_statements``: how many);
4. for comparison, kam's own captured statements replayed on a DBAPI connection
   (``replay``): what kam's choice of statements costs the database alone.

The timed runs find the same warm caches (the RFM cache is warm: the whole-book ranking
is not on this path once computed), so the ratio is what kam adds on top of the
minimal SQL: its statements, parsing, the ORM, the domain rules and rendering.  Generated books have
no goals, so each sampled account gets a revenue and an interactions goal for the
year first (the goal lines and ``actuals`` are part of the screen).

    .venv/bin/python -m benchmarks.account_bench --database-url sqlite:///bench.db
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from statistics import median
from typing import Any

from sqlalchemy import Engine, event, select

from benchmarks import Sampled, Stats, bench_settings, cli, sample_accounts
from benchmarks.floor import Floor
from bot.bootstrap import build_commands
from bot.config import Settings
from domain.goals import GoalMetric
from domain.models import Goal, GoalScope, User
from handlers.dispatcher import Dispatcher, Incoming
from handlers.notify import RecordingNotifier
from handlers.render.slack import render_blocks
from handlers.replies import Reply, Severity
from storage.engine import make_engine
from storage.session import unit_of_work

_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class StatementLog:
    """Records what an engine sends to its driver while ``recording`` is on."""

    engine: Engine
    recording: bool = False
    statements: list[tuple[str, Any, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        event.listen(self.engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, parameters, _context, executemany) -> None:
        if self.recording:
            self.statements.append((statement, parameters, executemany))

    def capture(self, fn) -> list[tuple[str, Any, bool]]:
        self.statements = []
        self.recording = True
        try:
            fn()
        finally:
            self.recording = False
        return self.statements

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def queries(statements: list[tuple[str, Any, bool]]) -> int:
    """How many of the statements are queries (not BEGIN/COMMIT)."""
    return sum(
        1 for s, _, _ in statements if not s.lstrip().upper().startswith(_TRANSACTION_CONTROL)
    )


def replay(engine: Engine, statements: list[tuple[str, Any, bool]]) -> float:
    """Run the statements directly on a DBAPI connection; return the seconds it took."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        for statement, parameters, many in statements:
            if many:
                cursor.executemany(statement, parameters)
            else:
                cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
        raw.rollback()
        took = time.perf_counter() - started
        cursor.close()
        return took
    finally:
        raw.close()


def ensure_goals(engine: Engine, accounts: list[Sampled], settings: Settings) -> int:
    """A revenue and an interactions goal for this year on each account that lacks them."""
    year = datetime.now(settings.tz).year
    ids = [a.account_id for a in accounts]
    wanted = {
        GoalMetric.WON_REVENUE.value: (Decimal(2_000_000), settings.currency),
        GoalMetric.INTERACTIONS.value: (Decimal(24), None),
    }
    with unit_of_work(engine) as session:
        have = {
            (account_id, metric)
            for account_id, metric in session.exec(
                select(Goal.account_id, Goal.metric).where(
                    Goal.scope == GoalScope.account.value,
                    Goal.year == year,
                    Goal.account_id.in_(ids),
                )
            )
        }
        added = 0
        for account_id in ids:
            for metric, (target, currency) in wanted.items():
                if (account_id, metric) not in have:
                    session.add(
                        Goal(
                            year=year,
                            metric=metric,
                            scope=GoalScope.account.value,
                            account_id=account_id,
                            target=target,
                            currency=currency,
                        )
                    )
                    added += 1
    return added


def languages(engine: Engine, handles: set[str]) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(User.handle, User.language).where(User.handle.in_(handles)))
        return {handle: language for handle, language in rows}


def answered(reply: Reply, account: Sampled) -> bool:
    return reply.severity is not Severity.error and reply.title.startswith(account.name)


def run(
    engine: Engine, settings: Settings, *, samples: int = 200, seed: int = 8, warmup: int = 10
) -> dict[str, Any]:
    accounts = sample_accounts(engine, samples, seed)
    goals_added = ensure_goals(engine, accounts, settings)
    lang = languages(engine, {a.owner for a in accounts})
    dispatcher = Dispatcher(engine, settings, RecordingNotifier(), commands=build_commands())
    hand = Floor(engine)

    def incoming(a: Sampled) -> Incoming:
        word = "/客户" if lang.get(a.owner) == "zh" else "/account"
        return Incoming(text=f"{word} {a.name}", actor=a.owner, platform="console")

    for a in accounts[:warmup]:  # imports, compiled-statement caches, the pool
        dispatcher.handle(incoming(a))

    for a in accounts[:warmup]:  # the floor's first connection and plans, too
        hand.account(a.owner, a.name, now=dispatcher.clock(), tz=settings.tz)

    log = StatementLog(engine)
    e2e: list[float] = []
    cpu: list[float] = []  # this process's CPU: what is left when the machine is busy
    floor: list[float] = []
    floor_cpu: list[float] = []
    replayed: list[float] = []
    counts: list[int] = []
    floor_counts: list[int] = []
    failures: list[str] = []
    try:
        for a in accounts:
            message = incoming(a)
            statements = log.capture(lambda m=message: dispatcher.handle(m))
            started, cpu_started = time.perf_counter(), time.thread_time()
            reply = dispatcher.handle(message)
            render_blocks(reply)
            e2e.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - cpu_started)
            if not answered(reply, a):
                failures.append(f"{message.text}: {reply.title} {reply.lines[:1]}")
            took, took_cpu, n = hand.account(
                a.owner, a.name, now=dispatcher.clock(), tz=settings.tz
            )
            floor_cpu.append(took_cpu)
            floor.append(took)
            floor_counts.append(n)
            replayed.append(replay(engine, statements))
            counts.append(queries(statements))
    finally:
        log.close()

    end_to_end, raw, again = Stats.of(e2e), Stats.of(floor), Stats.of(replayed)
    return {
        "database": engine.dialect.name,
        "samples": len(accounts),
        "goals_added": goals_added,
        "statements": int(median(counts)),  # what kam sends
        "floor_statements": int(median(floor_counts)),
        "e2e": end_to_end.as_dict(),
        "e2e_cpu": Stats.of(cpu).as_dict(),
        "floor": raw.as_dict(),
        "floor_cpu": Stats.of(floor_cpu).as_dict(),
        "replay": again.as_dict(),
        "ratio_median": round(end_to_end.median_ms / raw.median_ms, 1),
        "ratio_p95": round(end_to_end.p95_ms / raw.p95_ms, 1),
        # CPU over CPU: the ratio that a busy machine does not blur
        "ratio_cpu_median": round(Stats.of(cpu).median_ms / Stats.of(floor_cpu).median_ms, 1),
        "replay_ratio_median": round(end_to_end.median_ms / again.median_ms, 1),
        "errors": len(failures),
        "first_error": failures[0] if failures else None,
    }


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=8, help="which accounts are drawn")
    parser.add_argument("--warmup", type=int, default=10)


def _main(args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(args.database_url)
    try:
        return run(
            engine,
            bench_settings(args.database_url),
            samples=args.samples,
            seed=args.seed,
            warmup=args.warmup,
        )
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    return cli(__doc__.splitlines()[0], _arguments, _main, argv)


if __name__ == "__main__":
    raise SystemExit(main())
