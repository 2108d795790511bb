"""kam's benchmarks: the book at scale, measured end to end and against the raw-SQL floor.

    .venv/bin/python -m benchmarks.run                      # 50,000 accounts on SQLite
    .venv/bin/python -m benchmarks.run --database-url postgresql+psycopg://postgres@127.0.0.1:5432/kam_bench
    .venv/bin/python -m benchmarks.run --smoke              # 2,000 accounts, for CI

Each measurement is a module with ``run(...) -> dict`` (used in-process by the smoke
test) and a ``main()`` that prints the same dict as JSON, so ``benchmarks.run`` can
give every phase its own process and read its peak memory (``ru_maxrss``) alone:

    account_bench      /account end to end, and the same SQL replayed through the driver
    visit_bench        /visit end to end (parse with dates → write → commit)
    concurrency_bench  simultaneous /visit commands from threads (SQLite: no "locked")
    startup_bench      ``kam run`` to /healthz 200; importing the handlers
    jobs_bench         every job of the job table on the book, each in its own process
                       (time, CPU, statements, peak memory)
    names_bench        a typo'd account name against an in-memory rapidfuzz floor
    rfm_bench          /account right after /paid

This module holds what they share: summary statistics, peak memory, a reproducible
sample of accounts with their owners, and the settings they run with.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from bot.config import Settings
from domain.models import Account, User


@dataclass(frozen=True)
class Stats:
    """Latencies of ``n`` runs, in milliseconds."""

    n: int
    median_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Stats:
        if not seconds:
            raise ValueError("no samples")
        ms = sorted(s * 1000 for s in seconds)
        return cls(
            n=len(ms),
            median_ms=round(percentile(ms, 50), 3),
            p95_ms=round(percentile(ms, 95), 3),
            p99_ms=round(percentile(ms, 99), 3),
            max_ms=round(ms[-1], 3),
        )

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of sorted values (nearest rank: always a real sample)."""
    if not ordered:
        raise ValueError("no values")
    rank = math.ceil(q / 100 * len(ordered))
    return ordered[min(max(rank, 1), len(ordered)) - 1]


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kib / 1024, 1)


ROOT = Path(__file__).resolve().parent.parent
_SETTINGS_PREFIXES = ("KAM_", "SLACK_", "WECOM_")


def clean_env(database_url: str) -> dict[str, str]:
    """The environment for a child process: kam's and the platforms' settings removed
    but the database, and this checkout importable (``python -m benchmarks.…``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SETTINGS_PREFIXES)}
    env["KAM_DATABASE_URL"] = database_url
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def kam_command() -> list[str]:
    """The ``kam`` console script next to this interpreter (else ``python -m bot.cli``)."""
    script = Path(sys.executable).with_name("kam")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


@dataclass
class Child:
    """A finished child process: its output, how long it ran, its CPU and peak memory."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float = 0.0

    def json(self) -> dict[str, Any]:
        """The last line of stdout that is a JSON object (a bench module's result)."""
        for line in reversed(self.stdout.splitlines()):
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError("no result line")


def run_child(
    cmd: list[str], *, env: dict[str, str], cwd: Path | None = None, echo: bool = False
) -> Child:
    """Run ``cmd`` to the end; stdout is read (and echoed, indented, when ``echo``).

    Peak memory and CPU are the child's own, from ``wait4`` (its ``rusage``)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=err, text=True, encoding="utf-8",
        )  # fmt: skip
        out: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)
            if echo:
                print("    " + line.rstrip(), flush=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        err.seek(0)
        return Child(
            proc.returncode,
            "".join(out),
            err.read(),
            seconds,
            round(usage.ru_maxrss / 1024, 1),
            round(usage.ru_utime + usage.ru_stime, 3),
        )


def bench_settings(database_url: str) -> Settings:
    """kam's defaults: a local kam.toml or KAM_* variables must not colour the figures."""
    return Settings(database_url=database_url)


@dataclass(frozen=True)
class Sampled:
    account_id: int
    name: str
    owner: str  # the owner's handle: who asks about, or logs against, the account


def sample_accounts(engine: Engine, n: int, seed: int) -> list[Sampled]:
    """``n`` accounts drawn at random (reproducibly, by ``seed``), with their owners.

    Two queries whatever the size of the book: every id, then the drawn rows.
    """
    with engine.connect() as conn:
        ids = conn.execute(select(Account.id).order_by(Account.id)).scalars().all()
        if not ids:
            raise RuntimeError(
                "the book has no accounts: build it first (python -m benchmarks.book --accounts N)"
            )
        drawn = random.Random(seed).sample(ids, min(n, len(ids)))
        rows = conn.execute(
            select(Account.id, Account.name, User.handle)
            .join(User, User.id == Account.owner_id)
            .where(Account.id.in_(drawn))
        ).all()
    by_id = {account_id: Sampled(account_id, name, handle) for account_id, name, handle in rows}
    return [by_id[i] for i in drawn]


def cli(
    description: str,
    add_arguments: Callable[[argparse.ArgumentParser], None],
    run: Callable[[argparse.Namespace], dict[str, Any]],
    argv: Sequence[str] | None = None,
) -> int:
    """The ``main()`` of a bench module: parse, run, print the result as one JSON line."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", required=True)
    add_arguments(parser)
    args = parser.parse_args(argv)
    result = run(args)
    result["peak_rss_mb"] = peak_rss_mb()
    json.dump(result, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
