"""kam's benchmark, in one command: build the book, measure each phase in its own process.

    .venv/bin/python -m benchmarks.run                       # 50,000 accounts, SQLite
    .venv/bin/python -m benchmarks.run --database-url postgresql+psycopg://postgres@127.0.0.1:5432/kam_bench
    .venv/bin/python -m benchmarks.run --growth              # 5,000 → 50,000 → 200,000 accounts
    .venv/bin/python -m benchmarks.run --smoke               # 2,000 accounts, for CI

1. **build** — ``python -m benchmarks.book --accounts N --interactions 20N --deals 4N``
   into a database of its own: a new SQLite file in a temporary directory, or the
   PostgreSQL database the URL names, which is dropped and created afresh (its name
   must start with ``kam_bench``: the runner never touches any other database) and
   dropped at the end.  The book has health data (CSAT, complaints, invoices, payments),
   accounts at risk and churned, goals, reminders, a channel and a manager per team;
2. **the commands**, each phase a module ``benchmarks.<phase>_bench`` run in a child
   process: ``/account`` and its hand-written SQL floor, ``/visit``, a name miss against
   an in-memory floor (``names``), ``/account`` right after ``/paid`` (``rfm``), 16
   concurrent ``/visit`` (``concurrency``), ``kam run`` to /healthz (``startup``), and
   a cold ``kam say`` of ``/help`` and ``/account NAME`` (``say``: ``startup_bench``);
3. **the jobs** — every job of the job table on the same book, each in a process of its
   own (``benchmarks.jobs_bench``).

A phase whose module is not there is skipped with a note.  Every phase prints one JSON
line that the runner reads; the child's peak resident memory and CPU come from
``wait4``.  ``--growth`` builds each size once per engine and runs every phase on it;
the result is a Markdown table, one row per command or job and a column per size, and
the issue-16 targets judged from the figures (a figure nobody measured is "not
measured", never a pass).  ``--compare BEFORE.json`` puts an earlier run's figures
beside these (``before → after``).  ``--json FILE`` writes everything measured.

The exit code is 1 when something was wrong — a command failed, a write was lost,
SQLite said "database is locked" — and, with ``--strict``, when a target was missed.
``--smoke`` never judges times.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks import clean_env, run_child
from storage.engine import normalize_url

PHASES = (
    "build", "account", "visit", "names", "rfm", "concurrency", "startup", "say", "jobs",
)  # fmt: skip
INTERACTIONS_PER_ACCOUNT = 20
DEALS_PER_ACCOUNT = 4
GROWTH_SIZES = (5_000, 50_000, 200_000)


@dataclass(frozen=True)
class Plan:
    """How big the book is and how much each phase does."""

    accounts: int
    interactions: int
    deals: int
    samples: int = 200
    threads: int = 16
    rounds: int = 5
    startup_runs: int = 3
    say_runs: int = 3
    smoke: bool = False

    @classmethod
    def of(cls, accounts: int, **kw: Any) -> Plan:
        return cls(
            accounts=accounts,
            interactions=accounts * INTERACTIONS_PER_ACCOUNT,
            deals=accounts * DEALS_PER_ACCOUNT,
            **kw,
        )


SMOKE = Plan(
    accounts=2_000,
    interactions=40_000,
    deals=8_000,
    samples=30,
    threads=8,
    rounds=2,
    startup_runs=1,
    say_runs=1,
    smoke=True,
)


# --- where the book lives ------------------------------------------------------------


class BenchDatabase:
    """A database for the benchmark alone: created before, dropped after (unless kept)."""

    def __init__(self, url: str, *, workdir: Path, reuse: bool = False, keep: bool = False):
        self.url = normalize_url(url)
        self.workdir = workdir
        self.reuse, self.keep = reuse, keep
        parsed = make_url(self.url)
        self.backend = parsed.get_backend_name()
        self.name = parsed.database or ""
        if self.backend == "postgresql" and not self.name.startswith("kam_bench"):
            raise SystemExit(
                f"refusing to use database {self.name!r}: the benchmark drops and re-creates "
                "its database, so its name must start with kam_bench (e.g. …/kam_bench)"
            )
        if self.backend == "sqlite" and self.name in ("", ":memory:"):
            raise SystemExit("the benchmark needs a SQLite file, not an in-memory database")

    @classmethod
    def default(cls, workdir: Path) -> BenchDatabase:
        return cls(f"sqlite:///{workdir / 'kam_bench.db'}", workdir=workdir)

    def sibling(self, suffix: str) -> BenchDatabase:
        """Another database next to this one (same server or directory)."""
        if self.backend == "sqlite":
            path = Path(self.name)
            url = f"sqlite:///{path.with_name(path.stem + suffix + path.suffix)}"
        else:
            url = make_url(self.url).set(database=self.name + suffix).render_as_string(False)
        return BenchDatabase(url, workdir=self.workdir, reuse=self.reuse, keep=self.keep)

    def _admin(self):
        server = make_url(self.url).set(database="postgres")
        return create_engine(server, isolation_level="AUTOCOMMIT")

    def create(self) -> None:
        if self.reuse:
            return
        if self.backend == "sqlite":
            path = Path(self.name)
            if path.exists():
                raise SystemExit(f"{path} exists; pass --reuse to measure that book as it is")
            path.parent.mkdir(parents=True, exist_ok=True)
            return
        admin = self._admin()
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        finally:
            admin.dispose()

    def drop(self) -> None:
        if self.keep or self.reuse:
            return
        if self.backend == "sqlite":
            for extra in ("", "-wal", "-shm"):
                Path(self.name + extra).unlink(missing_ok=True)
            return
        admin = self._admin()
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        finally:
            admin.dispose()

    def server_version(self) -> str:
        if self.backend == "sqlite":
            return f"SQLite {sqlite3.sqlite_version}"
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return "PostgreSQL " + conn.execute(text("SHOW server_version")).scalar_one()
        finally:
            engine.dispose()


# --- the phases ----------------------------------------------------------------------


@dataclass
class Results:
    plan: Plan
    database: str
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": asdict(self.plan),
            "database": self.database,
            "phases": self.phases,
            "failures": self.failures,
            "skipped": self.skipped,
        }


class Skipped(Exception):
    """A phase that cannot run here (its module is not in this checkout)."""


def has_module(name: str) -> bool:
    return importlib.util.find_spec(f"benchmarks.{name}") is not None


def build(db: BenchDatabase, plan: Plan) -> dict[str, Any]:
    command = [
        "python", "-m", "benchmarks.book", "--accounts", str(plan.accounts),
        "--interactions", str(plan.interactions), "--deals", str(plan.deals),
    ]  # fmt: skip
    child = run_child([sys.executable, *command[1:]], env=clean_env(db.url), cwd=db.workdir)
    if child.code != 0:
        raise RuntimeError(f"building the book failed ({child.code}):\n{child.stderr[-2000:]}")
    rows = None
    for line in child.stdout.splitlines():
        if line.startswith("large book generated {"):
            rows = json.loads(line[line.index("{") : line.rindex("}") + 1].replace("'", '"'))
    return {
        "command": " ".join(command),
        "seconds": round(child.seconds, 1),
        "cpu_s": child.cpu_seconds,
        "rows": rows,
        "peak_rss_mb": child.peak_rss_mb,
    }


def measured(db: BenchDatabase, name: str, *args: str) -> dict[str, Any]:
    """``benchmarks.<name>`` in a child process: its JSON line, with its peak memory and CPU.

    The options are what the module took when this runner was written; a module that
    no longer takes them (exit 2, an argparse error) is run again with the URL alone."""
    if not has_module(name):
        raise Skipped(f"benchmarks.{name} is not in this checkout")
    cmd = [sys.executable, "-m", f"benchmarks.{name}", "--database-url", db.url]
    child = run_child([*cmd, *args], env=clean_env(db.url), cwd=db.workdir)
    if child.code == 2 and args and "usage:" in child.stderr:
        child = run_child(cmd, env=clean_env(db.url), cwd=db.workdir)
    if child.code != 0:
        raise RuntimeError(f"{name} failed ({child.code}):\n{child.stderr[-3000:]}")
    result = child.json()
    result["peak_rss_mb"] = max(result.get("peak_rss_mb", 0.0), child.peak_rss_mb)
    result["child_cpu_s"] = child.cpu_seconds
    result["child_wall_s"] = round(child.seconds, 3)
    return result


def first_account(db: BenchDatabase) -> tuple[str, str]:
    """The book's first account and its owner's handle (who asks about it)."""
    engine = create_engine(db.url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT a.name, u.handle FROM account a JOIN kam_user u ON u.id = a.owner_id "
                    "ORDER BY a.id LIMIT 1"
                )
            ).one()
    finally:
        engine.dispose()
    return row[0], row[1]


def jobs(db: BenchDatabase, plan: Plan) -> dict[str, Any]:
    """Every job of the job table on this book, each in a child of its own."""
    if not has_module("jobs_bench"):
        raise Skipped("benchmarks.jobs_bench is not in this checkout")
    from benchmarks.jobs_bench import run_all

    result = run_all(db.url, separate=not plan.smoke)
    result["peak_rss_mb"] = max((j["peak_rss_mb"] for j in result["jobs"].values()), default=0)
    return result


def measure(db: BenchDatabase, plan: Plan, phases: tuple[str, ...]) -> Results:
    results = Results(plan=plan, database=db.server_version())
    n = str(plan.samples)
    steps: dict[str, Callable[[], dict[str, Any]]] = {
        "build": lambda: build(db, plan),
        "account": lambda: measured(db, "account_bench", "--samples", n),
        "visit": lambda: measured(db, "visit_bench", "--samples", n),
        "names": lambda: measured(db, "names_bench", "--samples", n),
        "rfm": lambda: measured(db, "rfm_bench", "--samples", n),
        "concurrency": lambda: measured(
            db, "concurrency_bench", "--threads", str(plan.threads), "--rounds", str(plan.rounds)
        ),
        "startup": lambda: measured(
            db, "startup_bench", "--runs", str(plan.startup_runs), "--say-runs", "0"
        ),
        "say": lambda: measured(
            db, "startup_bench", "--runs", "0", "--say-runs", str(plan.say_runs)
        ),
        "jobs": lambda: jobs(db, plan),
    }
    for phase in phases:
        print(f"== {phase} ({plan.accounts:,} accounts, {results.database})", flush=True)
        started = time.perf_counter()
        try:
            result = steps[phase]()
        except Skipped as exc:
            results.skipped.append(f"{phase}: {exc}")
            print(f"   skipped: {exc}", flush=True)
            continue
        except Exception as exc:  # noqa: BLE001  (one broken phase must not hide the others)
            results.failures.append(f"{phase}: {exc}")
            print(f"   FAILED: {exc}", flush=True)
            continue
        result["load"] = _load()
        results.phases[phase] = result
        print("   " + json.dumps(result, ensure_ascii=False)[:2000], flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
        if result.get("errors"):
            results.failures.append(f"{phase}: {result.get('first_error')}")
        if result.get("locked"):
            results.failures.append(f"{phase}: {result['locked']} 'database is locked' errors")
    return results


# --- reading figures (tolerant: a module may name a figure differently, or not yet) ----


def dig(result: dict[str, Any] | None, *paths: str) -> float | None:
    """The first of ``paths`` (dotted) that is a number in ``result``; else None."""
    for path in paths:
        value: Any = result
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                value = None
                break
            value = value[part]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


P95 = ("e2e.p95_ms", "p95_ms", "latency.p95_ms")
NAMES_P95 = ("miss.p95_ms", "e2e.p95_ms", "misses.p95_ms", "p95_ms")
RFM_P95 = ("after_paid.p95_ms", "account_after_paid.p95_ms", "e2e.p95_ms", "p95_ms")


@dataclass(frozen=True)
class Metric:
    """One row of the growth table: a figure of one phase, at each size."""

    label: str
    phase: str
    paths: tuple[str, ...]
    unit: str  # ms, s, MiB, ×, n

    def value(self, phases: dict[str, Any]) -> float | None:
        return dig(phases.get(self.phase), *self.paths)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "n":
        return f"{value:,.0f}"
    if unit == "×":
        return f"{value:.1f}×"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    if unit == "s":
        return f"{value:.2f} s"
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def command_metrics() -> list[Metric]:
    return [
        Metric("build: time", "build", ("seconds",), "s"),
        Metric("build: peak RSS", "build", ("peak_rss_mb",), "MiB"),
        Metric("/account p95", "account", P95, "ms"),
        Metric("/account CPU p95", "account", ("e2e_cpu.p95_ms",), "ms"),
        Metric("/account floor p95", "account", ("floor.p95_ms",), "ms"),
        Metric("/account ÷ floor, p95", "account", ("ratio_p95",), "×"),
        Metric("/account statements", "account", ("statements",), "n"),
        Metric("/visit p95", "visit", P95, "ms"),
        Metric("/visit CPU p95", "visit", ("e2e_cpu.p95_ms",), "ms"),
        Metric("/visit ÷ floor, p95", "visit", ("ratio_p95",), "×"),
        Metric("/visit statements", "visit", ("statements",), "n"),
        Metric("name miss p95", "names", NAMES_P95, "ms"),
        Metric("name miss floor p95", "names", ("floor.p95_ms",), "ms"),
        Metric("name miss ÷ floor, p95", "names", ("ratio_p95",), "×"),
        Metric("name miss: peak RSS", "names", ("peak_rss_mb",), "MiB"),
        Metric("/account after /paid p95", "rfm", RFM_P95, "ms"),
        Metric("16 concurrent /visit p50", "concurrency", ("latency.median_ms",), "ms"),
        Metric("16 concurrent /visit p95", "concurrency", ("latency.p95_ms",), "ms"),
        Metric("16 concurrent /visit p99", "concurrency", ("latency.p99_ms",), "ms"),
        Metric("`kam run` to /healthz 200", "startup", ("healthz_s.median",), "s"),
        Metric("`kam run` peak RSS", "startup", ("server_peak_rss_mb",), "MiB"),
        Metric("cold `kam say /help`", "say", ("say_help.wall_s.median",), "s"),
        Metric("cold `kam say /help` CPU", "say", ("say_help.cpu_s.median",), "s"),
        Metric('cold `kam say "/account NAME"`', "say", ("say_account.wall_s.median",), "s"),
        Metric('cold `kam say "/account NAME"` CPU', "say", ("say_account.cpu_s.median",), "s"),
        Metric(
            'cold `kam say "/account NAME"` peak RSS', "say", ("say_account.peak_rss_mb",), "MiB"
        ),
    ]


def job_metrics(job_names: list[str]) -> list[Metric]:
    out = []
    for job in job_names:
        for what, path, unit in (
            ("wall", "wall_s", "s"),
            ("CPU", "cpu_s", "s"),
            ("peak RSS", "peak_rss_mb", "MiB"),
            ("statements", "statements", "n"),
            ("messages", "messages", "n"),
        ):
            out.append(Metric(f"job {job}: {what}", "jobs", (f"jobs.{job}.{path}",), unit))
    return out


def metrics_for(runs: dict[int, Results]) -> list[Metric]:
    names: list[str] = []
    for r in runs.values():
        for job in (r.phases.get("jobs") or {}).get("jobs", {}):
            if job not in names:
                names.append(job)
    return command_metrics() + job_metrics(names)


def growth_table(
    runs: dict[int, Results], before: dict[int, dict[str, Any]] | None = None
) -> list[str]:
    """One row per command/job figure, one column per size (``before → after`` cells
    when an earlier run is given); rows nobody measured are left out."""
    sizes = sorted(runs)
    database = next(iter(runs.values())).database if runs else "?"
    head = f"| {database} | " + " | ".join(f"{s:,} accounts" for s in sizes) + " |"
    lines = [head, "|---|" + "---:|" * len(sizes)]
    for metric in metrics_for(runs):
        cells, seen = [], False
        for size in sizes:
            now = metric.value(runs[size].phases)
            was = metric.value(before[size]) if before and size in before else None
            seen |= now is not None or was is not None
            cell = _fmt(now, metric.unit)
            if before is not None:
                cell = f"{_fmt(was, metric.unit)} → {cell}"
            cells.append(cell)
        if seen:
            lines.append(f"| {metric.label} | " + " | ".join(cells) + " |")
    return lines


# --- the issue-16 targets -----------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str  # the figure(s), or "not measured"
    ok: bool | None  # None: not measured (never a pass)


def _at(runs: dict[int, Results], size: int) -> dict[str, Any] | None:
    return runs[size].phases if size in runs else None


def _nearest(runs: dict[int, Results], size: int) -> int | None:
    """The measured size closest to ``size`` (a run at another size says something)."""
    return min(runs, key=lambda s: abs(s - size)) if runs else None


def targets(runs: dict[int, Results]) -> list[Verdict]:
    """Issue 16's targets, judged from the figures of one engine's runs by size."""
    sqlite = all("SQLite" in r.database for r in runs.values())
    out: list[Verdict] = []

    def check(
        target: str,
        size: int,
        metric: Metric,
        limit: float,
        *,
        exact: bool = False,
        cpu: str | None = None,
    ) -> None:
        at = size if size in runs else (None if exact else _nearest(runs, size))
        value = metric.value(runs[at].phases) if at is not None else None
        if at is None or value is None:
            out.append(Verdict(target, "not measured", None))
            return
        shown = _fmt(value, metric.unit)
        if cpu and (used := dig(runs[at].phases.get(metric.phase), cpu)) is not None:
            shown += f" (CPU {used:.2f} s)"
        if at != size:
            shown += f" (at {at:,})"
        out.append(Verdict(target, shown, value <= limit if at == size else None))

    miss = Metric("", "names", NAMES_P95, "ms")
    ratio = Metric("", "names", ("ratio_p95",), "×")
    check("name miss p95 ≤ 30 ms @50k", 50_000, miss, 30)
    check("name miss p95 ≤ 60 ms @200k", 200_000, miss, 60, exact=True)
    check("name miss ≤ 3× the rapidfuzz floor @50k", 50_000, ratio, 3)
    check("/account after /paid p95 ≤ 25 ms @50k", 50_000, Metric("", "rfm", RFM_P95, "ms"), 25)
    for job, limit_s, limit_mb in (("digest", 1.5, 150), ("tier-review", None, 150)):
        if limit_s is not None:
            check(
                f"{job} ≤ {limit_s} s @50k",
                50_000,
                Metric("", "jobs", (f"jobs.{job}.wall_s",), "s"),
                limit_s,
                cpu=f"jobs.{job}.cpu_s",
            )
        rss = Metric("", "jobs", (f"jobs.{job}.peak_rss_mb",), "MiB")
        check(f"{job} ≤ {limit_mb} MB RSS @50k", 50_000, rss, limit_mb * 1e6 / 2**20)
        check(f"{job} < 200 MB RSS @200k", 200_000, rss, 200 * 1e6 / 2**20, exact=True)
    account_ratio = Metric("", "account", ("ratio_p95",), "×")
    if sqlite:
        check("/account ≤ 8× floor (SQLite) @50k", 50_000, account_ratio, 8)
        check(
            "/visit ≤ 4× floor (SQLite) @50k", 50_000, Metric("", "visit", ("ratio_p95",), "×"), 4
        )
        check(
            "16 concurrent /visit p99 ≤ 100 ms (SQLite) @50k",
            50_000,
            Metric("", "concurrency", ("latency.p99_ms",), "ms"),
            100,
        )
    else:
        check("/account ≤ 2× floor (PostgreSQL) @50k", 50_000, account_ratio, 2)
    check(
        "cold `kam say /help` ≤ 0.5 s",
        50_000,
        Metric("", "say", ("say_help.wall_s.median",), "s"),
        0.5,
        cpu="help.cpu_s",
    )
    check(
        'cold `kam say "/account NAME"` ≤ 0.7 s @50k',
        50_000,
        Metric("", "say", ("say_account.wall_s.median",), "s"),
        0.7,
        cpu="account.cpu_s",
    )
    return out


def _mark(v: Verdict, smoke: bool) -> str:
    return "" if smoke or v.ok is None else ("✓" if v.ok else "✗")


def targets_table(
    runs: dict[int, Results], smoke: bool = False, before: dict[int, Results] | None = None
) -> list[str]:
    """A row per issue-16 target: the figure and ✓/✗ (with ``before``: both runs')."""
    database = next(iter(runs.values())).database if runs else "?"
    if before is None:
        lines = [f"| issue-16 target | {database} | |", "|---|---|---|"]
        for v in targets(runs):
            lines.append(f"| {v.target} | {v.measured} | {_mark(v, smoke)} |")
        return lines
    lines = [f"| issue-16 target ({database}) | before | after | |", "|---|---|---|---|"]
    was = {v.target: v for v in targets(before)}
    for v in targets(runs):
        old = was.get(v.target)
        before_cell = f"{old.measured} {_mark(old, smoke)}".strip() if old else "not measured"
        lines.append(f"| {v.target} | {before_cell} | {v.measured} | {_mark(v, smoke)} |")
    return lines


# --- reporting ---------------------------------------------------------------------


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> dict[str, str]:
    def first(path: str, key: str) -> str:
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "?"

    mem_kib = first("/proc/meminfo", "MemTotal").split()[0]
    return {
        "cpus": str(len(os.sched_getaffinity(0))),
        "cpu": first("/proc/cpuinfo", "model name"),
        "memory": f"{int(mem_kib) / 2**20:.1f} GiB" if mem_kib.isdigit() else "?",
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "date": datetime.now().astimezone().isoformat(timespec="minutes"),
        "load": _load(),
    }


def report(
    runs: dict[int, Results], info: dict[str, str], before: dict[int, Results] | None = None
) -> str:
    plans = [r.plan for r in runs.values()]
    smoke = any(p.smoke for p in plans)
    database = next(iter(runs.values())).database if runs else "?"
    out = [
        "",
        f"kam benchmark on {database}: "
        + ", ".join(
            f"{p.accounts:,} accounts / {p.interactions:,} interactions / {p.deals:,} deals"
            for p in plans
        )
        + (" (smoke: times not judged)" if smoke else ""),
        f"machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} RAM, {info['os']}, "
        f"Python {info['python']}; {info['date']}; "
        f"load average {info['load']} before, {info.get('load_after', '?')} after",
        "",
        *growth_table(runs, {k: r.phases for k, r in before.items()} if before else None),
        "",
        *targets_table(runs, smoke, before),
        "",
    ]
    for size, r in sorted(runs.items()):
        if r.skipped:
            out += [f"Skipped at {size:,}:", *(f"  - {s}" for s in r.skipped)]
        if r.failures:
            out += [f"FAILED at {size:,}:", *(f"  - {f}" for f in r.failures)]
    if grew := growing_statements(runs):
        out += ["Jobs whose statement count grows with the book:"]
        out += [f"  - {g}" for g in grew]
    missed = [v for v in targets(runs) if v.ok is False]
    if missed and not smoke:
        out += ["Targets missed:", *(f"  - {v.target}: {v.measured}" for v in missed)]
    return "\n".join(out)


def growing_statements(runs: dict[int, Results]) -> list[str]:
    """Jobs whose statement count differs between sizes: the book is scanned set-based
    and the messages go to the same people at every size, so it should not."""
    out = []
    for metric in metrics_for(runs):
        if metric.phase != "jobs" or not metric.label.endswith("statements"):
            continue  # (a command's median depends on the sample: which templates)
        counts = {}
        for size, r in runs.items():
            value = metric.value(r.phases)
            if value is not None:
                counts[size] = value
        if len(set(counts.values())) > 1:
            cells = " → ".join(f"{v:,.0f} at {k:,}" for k, v in sorted(counts.items()))
            out.append(f"{metric.label.removesuffix(' statements').rstrip(':')}: {cells}")
    return out


def load_runs(path: Path) -> tuple[dict[str, str], dict[int, Results]]:
    """An earlier ``--json`` file: its machine, and its results by size (either layout)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    sizes = data.get("sizes") or {
        str(data["plan"]["accounts"]): {"plan": data["plan"], "phases": data["phases"]}
    }
    runs = {}
    for size, r in sizes.items():
        results = Results(plan=Plan(**r["plan"]), database=data.get("database", "?"))
        results.phases = r["phases"]
        results.failures = r.get("failures", [])
        results.skipped = r.get("skipped", [])
        runs[int(size)] = results
    return data.get("machine", {}), runs


def load_all(paths: list[Path]) -> tuple[dict[str, str], dict[int, Results]]:
    """Several ``--json`` files of one engine (e.g. 5k+50k and 200k) as one run."""
    info: dict[str, str] = {}
    runs: dict[int, Results] = {}
    for path in paths:
        more_info, more = load_runs(path)
        info = info or more_info
        runs.update(more)
    return info, dict(sorted(runs.items()))


# --- the command ---------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--interactions", type=int, help="default: 20 per account")
    parser.add_argument("--deals", type=int, help="default: 4 per account")
    parser.add_argument(
        "--database-url",
        help="default: a new SQLite file in a temporary directory; a PostgreSQL database "
        "named kam_bench… is dropped, created, measured and dropped",
    )
    parser.add_argument("--smoke", action="store_true", help="2,000 accounts, quick; for CI")
    parser.add_argument(
        "--growth", action="store_true", help="every size of --sizes, each on a book of its own"
    )
    parser.add_argument(
        "--sizes", default=",".join(map(str, GROWTH_SIZES)), help="with --growth: account counts"
    )
    parser.add_argument("--samples", type=int, help="accounts asked about / visits logged")
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated subset")
    parser.add_argument("--reuse", action="store_true", help="measure the book already there")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument(
        "--compare", type=Path, nargs="+", help="earlier --json files: before → after"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--report",
        type=Path,
        nargs="+",
        help="measure nothing: print the tables of these --json files (one engine, any sizes)",
    )
    args = parser.parse_args(argv)
    before = load_all(args.compare)[1] if args.compare else None
    if args.report:
        info, runs = load_all(args.report)
        print(report(runs, {**machine(), **info}, before), flush=True)
        return 0

    phases = tuple(p for p in args.phases.split(",") if p)
    if unknown := set(phases) - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}; choose from {PHASES}")
    if args.reuse:
        if not args.database_url or args.growth:
            parser.error("--reuse needs --database-url (the book to measure), and one size")
        phases = tuple(p for p in phases if p != "build")
    if args.smoke:
        plans = [SMOKE]
    elif args.growth:
        plans = [Plan.of(int(s)) for s in args.sizes.split(",") if s]
    else:
        plan = Plan.of(args.accounts)
        plan = replace(
            plan,
            interactions=plan.interactions if args.interactions is None else args.interactions,
            deals=plan.deals if args.deals is None else args.deals,
        )
        plans = [plan]
    if args.samples:
        plans = [replace(p, samples=args.samples) for p in plans]

    workdir = Path(tempfile.mkdtemp(prefix="kam-bench-"))
    info = machine()
    runs: dict[int, Results] = {}
    try:
        for plan in plans:
            if args.database_url:
                db = BenchDatabase(
                    args.database_url, workdir=workdir, reuse=args.reuse, keep=args.keep
                )
                if args.growth and db.backend == "sqlite" and len(plans) > 1:
                    db = db.sibling(f"_{plan.accounts}")
            else:
                db = BenchDatabase.default(workdir)
                if len(plans) > 1:
                    db = db.sibling(f"_{plan.accounts}")
                db.keep = args.keep
            if args.keep and db.backend == "sqlite":
                print(f"the book is kept in {db.name}", flush=True)
            db.create()
            try:
                runs[plan.accounts] = measure(db, plan, phases)
            finally:
                db.drop()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    info["load_after"] = _load()
    print(report(runs, info, before), flush=True)
    if args.json:
        only = next(iter(runs.values()))
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "database": only.database,
                    # the first size's figures as before, for readers of the old layout
                    "plan": asdict(only.plan),
                    "phases": only.phases,
                    "failures": [f for r in runs.values() for f in r.failures],
                    "sizes": {str(k): r.as_dict() for k, r in runs.items()},
                    "targets": [asdict(v) for v in targets(runs)],
                },
                ensure_ascii=False,
                indent=2,
            ),
            encoding="utf-8",
        )
    if any(r.failures for r in runs.values()):
        return 1
    smoke = any(p.smoke for p in plans)
    missed = any(v.ok is False for v in targets(runs))
    return 1 if args.strict and missed and not smoke else 0


if __name__ == "__main__":
    raise SystemExit(main())
