"""``/account`` with a name that is not quite a name, against a rapidfuzz floor.

People mistype account names: a letter more or less (``Acmee Corp``), two swapped
(``Acme Crop``), only the start (``Blue Harbor``), a Chinese name with a homophone
(``华厦重工`` for 华夏重工) or in pinyin, or a name that is not in the book at all.  Each
of those is a miss for the database's exact lookup and goes to the name index
(``handlers.book_names``).  This measures them end to end through
``Dispatcher.handle`` — median and p95 of wall and CPU time per kind — and checks
each answer (the right account, or "not found" for an unknown name).

The generated book's names are all ``Acct NNNNN Industry``: every one starts alike,
the worst case for a shortlist by first letters.  A few dozen names as people write
them (Latin and Chinese, some with aliases) are added once, through kam's own write
path, so the cases above have something to miss.

The floor is hand-written and calls nothing of kam: every name and alias read once
with one SQL statement, held in a list, and ``rapidfuzz.process.extract`` over it for
each typed name — WRatio with rapidfuzz's default processor (lower case, no
punctuation), as a fuzzy search over names is usually written; ``floor_ratio`` is the
stricter variant (plain ``ratio`` over names lower-cased in advance).

Cold: a fresh ``Dispatcher`` (an empty name index) answering first an exact name, then
(another fresh one) a typo; and ``kam say "/account <exact name>"`` in a new process.

    .venv/bin/python -m benchmarks.names_bench --database-url sqlite:///bench.db
"""

from __future__ import annotations

import argparse
import random
import subprocess
import time
from statistics import median
from typing import Any

from rapidfuzz import fuzz, process, utils
from sqlalchemy import Engine, text
from sqlmodel import select

from benchmarks import Stats, bench_settings, clean_env, cli, kam_command, sample_accounts
from bot.bootstrap import build_commands
from bot.config import Settings
from domain.models import Account, AccountAlias, User
from handlers.dispatcher import Dispatcher, Incoming
from handlers.notify import RecordingNotifier
from handlers.replies import Reply, Severity
from storage.engine import make_engine
from storage.session import unit_of_work

# names as people write them: (name, aliases)
NAMED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Acme Corp", ("Acme",)),
    ("Blue Harbor Shipping", ()),
    ("Initech", ()),
    ("Globex Corporation", ("Globex",)),
    ("Stark Industries", ()),
    ("Wayne Enterprises", ()),
    ("Umbrella Pharma", ()),
    ("Cyberdyne Systems", ()),
    ("Northwind Traders", ()),
    ("Contoso Retail", ()),
    ("Tyrell Robotics", ()),
    ("Soylent Foods", ()),
    ("华夏重工", ("华夏",)),
    ("长城物流", ()),
    ("东方电子", ()),
    ("海天食品", ()),
)

# (kind, typed, the account meant, or None: not in the book); asked by the named
# accounts' owner, the generated ones' typos by their own owners
CASES: tuple[tuple[str, str, str | None], ...] = (
    ("exact", "Acme Corp", "Acme Corp"),
    ("exact", "华夏重工", "华夏重工"),
    ("typo", "Acmee Corp", "Acme Corp"),
    ("typo", "Blue Harbr Shipping", "Blue Harbor Shipping"),
    ("typo", "Globex Corporaton", "Globex Corporation"),
    ("typo", "Northwnd Traders", "Northwind Traders"),
    ("transposed", "Acme Crop", "Acme Corp"),
    ("transposed", "Initehc", "Initech"),
    ("transposed", "Stark Industires", "Stark Industries"),
    ("prefix", "Blue Harbor", "Blue Harbor Shipping"),
    ("prefix", "Cyberdyne", "Cyberdyne Systems"),
    ("prefix", "Tyrell Rob", "Tyrell Robotics"),
    ("chinese", "华厦重工", "华夏重工"),  # a homophone
    ("chinese", "长城物", "长城物流"),  # the start
    ("chinese", "huaxia zhonggong", "华夏重工"),  # pinyin
    ("unknown", "Zyxwv Qqq", None),
    ("unknown", "Nonexistent Holdings", None),
    ("unknown", "不存在公司", None),
)
MISSES = ("typo", "transposed", "prefix", "chinese", "unknown")


Case = tuple[str, str, str | None, str]  # kind, typed, meant, who asks


def synthetic_cases(engine: Engine, n: int, seed: int) -> list[Case]:
    """Typos in the generated names (``Acct 01234 Logistics``), asked by the owner: a
    letter of the industry dropped, two swapped, and the number alone (a unique prefix);
    and the name typed right, the same screen without a miss, to compare with."""
    rng = random.Random(seed)
    out: list[Case] = []
    for a in sample_accounts(engine, n, seed):
        head, industry = a.name.rsplit(" ", 1)
        i = rng.randrange(1, len(industry) - 2)
        out.append(("typo", f"{head} {industry[:i]}{industry[i + 1 :]}", a.name, a.owner))
        out.append(("transposed", f"{head} {industry[:i]}{industry[i + 1]}{industry[i]}"
                    f"{industry[i + 2 :]}", a.name, a.owner))  # fmt: skip
        out.append(("prefix", head, a.name, a.owner))
        out.append(("exact", a.name, a.name, a.owner))  # the same screen, typed right
    return out


def ensure_named(engine: Engine) -> tuple[int, str]:
    """Add the people-written names (once); return how many were added and who asks."""
    with unit_of_work(engine) as session:
        owner = session.exec(select(User).order_by(User.id)).first()
        if owner is None:
            raise RuntimeError("the book has no users: build it first (python -m benchmarks.book)")
        have = set(
            session.exec(select(Account.name).where(Account.name.in_([n for n, _a in NAMED])))
        )
        added = 0
        for name, aliases in NAMED:
            if name in have:
                continue
            account = Account(name=name, owner_id=owner.id, team_id=owner.team_id, tier="B")
            session.add(account)
            session.flush()
            for alias in aliases:
                session.add(AccountAlias(account_id=account.id, alias=alias))
            added += 1
        return added, owner.handle


def right(reply: Reply, meant: str | None) -> bool:
    if meant is None:  # not found: refused, or asked whether to create it (issue 17)
        return reply.severity is Severity.error or reply.question is not None
    return reply.severity is not Severity.error and reply.title.startswith(meant)


def _incoming(typed: str, owner: str) -> Incoming:
    return Incoming(text=f"/account {typed}", actor=owner, platform="console")


def floor(engine: Engine, cases: list[Case], reps: int) -> dict[str, Any]:
    """rapidfuzz over every name and alias held in memory: the hand-written floor."""
    with engine.connect() as conn:
        names = list(
            conn.execute(text("SELECT name FROM account UNION ALL SELECT alias FROM account_alias"))
            .scalars()
            .all()
        )
    lowered = [utils.default_process(n) for n in names]
    wratio: list[float] = []
    wratio_cpu: list[float] = []
    ratio: list[float] = []
    for _kind, typed, _meant, _who in cases:
        for _ in range(reps):
            started, cpu = time.perf_counter(), time.thread_time()
            process.extract(
                typed, names, scorer=fuzz.WRatio, processor=utils.default_process, limit=3
            )
            wratio.append(time.perf_counter() - started)
            wratio_cpu.append(time.thread_time() - cpu)
            started = time.perf_counter()
            process.extract(utils.default_process(typed), lowered, scorer=fuzz.ratio, limit=3)
            ratio.append(time.perf_counter() - started)
    return {
        "names": len(names),
        "floor": Stats.of(wratio).as_dict(),
        "floor_cpu": Stats.of(wratio_cpu).as_dict(),
        "floor_ratio": Stats.of(ratio).as_dict(),
    }


def cold_in_process(engine: Engine, settings: Settings, owner: str) -> dict[str, Any]:
    """A fresh dispatcher's first answer: an exact name, then (another) a typo; and
    whether answering it built the whole name index."""
    out: dict[str, Any] = {}
    for label, typed in (("first_exact_ms", "Acme Corp"), ("first_typo_ms", "Acmee Corp")):
        dispatcher = Dispatcher(engine, settings, RecordingNotifier(), commands=build_commands())
        started = time.perf_counter()
        dispatcher.handle(_incoming(typed, owner))
        out[label] = round((time.perf_counter() - started) * 1000, 1)
        out[label.replace("_ms", "_built_index")] = not dispatcher.book_names.cold
    return out


def cold_process(database_url: str, owner: str, runs: int) -> dict[str, Any]:
    """``kam say "/account Acme Corp"`` in a new process, start to exit."""
    took: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [*kam_command(), "say", "--as", owner, "/account Acme Corp"],
            env=clean_env(database_url),
            capture_output=True,
            text=True,
            timeout=120,
        )
        took.append(time.perf_counter() - started)
        if done.returncode != 0 or "Acme Corp" not in done.stdout:
            return {"error": (done.stdout + done.stderr)[-300:]}
    return {"kam_say_exact_ms": round(median(took) * 1000, 1), "runs": runs}


def run(
    engine: Engine,
    settings: Settings,
    *,
    reps: int = 5,
    synthetic: int = 5,
    seed: int = 16,
    database_url: str | None = None,
    cold_runs: int = 3,
) -> dict[str, Any]:
    added, owner = ensure_named(engine)
    cases = [(*c, owner) for c in CASES] + synthetic_cases(engine, synthetic, seed)
    result: dict[str, Any] = {"database": engine.dialect.name, "named_added": added}
    result["cold"] = cold_in_process(engine, settings, owner)
    dispatcher = Dispatcher(engine, settings, RecordingNotifier(), commands=build_commands())
    for _kind, typed, _meant, who in cases:  # warm: the index, statements, the pool
        dispatcher.handle(_incoming(typed, who))
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    wrong: list[str] = []
    for kind, typed, meant, who in cases:
        for rep in range(reps):
            started, cpu = time.perf_counter(), time.thread_time()
            reply = dispatcher.handle(_incoming(typed, who))
            walls.setdefault(kind, []).append(time.perf_counter() - started)
            cpus.setdefault(kind, []).append(time.thread_time() - cpu)
            if rep == 0 and not right(reply, meant):
                wrong.append(f"{kind} {typed!r} → {reply.title} {reply.lines[:1]}")
    missed = [s for k in MISSES for s in walls.get(k, [])]
    missed_cpu = [s for k in MISSES for s in cpus.get(k, [])]
    result["kinds"] = {
        k: {"wall": Stats.of(walls[k]).as_dict(), "cpu": Stats.of(cpus[k]).as_dict()} for k in walls
    }
    result["miss"] = Stats.of(missed).as_dict()
    # what a miss adds to the same command with the name typed exactly
    result["miss_over_exact_p95_ms"] = round(
        result["miss"]["p95_ms"] - result["kinds"]["exact"]["wall"]["p95_ms"], 1
    )
    result["miss_cpu"] = Stats.of(missed_cpu).as_dict()
    result.update(floor(engine, [c for c in cases if c[0] in MISSES], reps))
    result["ratio_p95"] = round(result["miss"]["p95_ms"] / result["floor"]["p95_ms"], 2)
    result["ratio_p95_cpu"] = round(result["miss_cpu"]["p95_ms"] / result["floor_cpu"]["p95_ms"], 2)
    result["cases"] = len(cases)
    result["wrong"] = wrong
    if database_url and cold_runs:
        result["cold"].update(cold_process(database_url, owner, cold_runs))
    return result


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reps", type=int, default=5, help="runs of each case")
    parser.add_argument("--synthetic", type=int, default=5, help="generated names mistyped")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--cold-runs", type=int, default=3, help="kam say in a new process")


def _main(args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(args.database_url)
    try:
        return run(
            engine,
            bench_settings(args.database_url),
            reps=args.reps,
            synthetic=args.synthetic,
            seed=args.seed,
            database_url=args.database_url,
            cold_runs=args.cold_runs,
        )
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    return cli(__doc__.splitlines()[0], _arguments, _main, argv)


if __name__ == "__main__":
    raise SystemExit(main())
