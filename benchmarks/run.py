"""kam's benchmark, in one command: build the book, measure each phase in its own process.

    .venv/bin/python -m benchmarks.run                       # 50,000 accounts, SQLite
    .venv/bin/python -m benchmarks.run --database-url postgresql+psycopg://postgres@127.0.0.1:5432/kam_bench
    .venv/bin/python -m benchmarks.run --smoke               # 2,000 accounts, for CI

1. **build** — ``python -m benchmarks.book --accounts N --interactions N --deals N`` into a database of
   its own: a new SQLite file in a temporary directory, or the PostgreSQL database the
   URL names, which is dropped and created afresh (its name must start with
   ``kam_bench``: the runner never touches any other database) and dropped at the end;
2. **/account** — end to end over random accounts, and its raw-SQL floor (``account_bench``);
3. **/visit** — end to end, parse with dates → write → commit (``visit_bench``);
4. **concurrent /visit** — commands from 20 threads at once (``concurrency_bench``);
5. **daily jobs** — ``benchmarks.jobs_bench`` on a book of its own, grown from a tenth
   of the size to the full size so the statement counts can be compared;
6. **start-up** — ``kam run`` to /healthz 200, and the handlers' import (``startup_bench``).

Every phase prints one JSON line that the runner reads, together with the child's peak
resident memory (``wait4``).  The result is a Markdown table with the machine, to paste
into BENCHMARKS.md, and with ``--json`` a file of everything measured.  The exit code
is 1 when something was wrong — a command failed, a write was lost, SQLite said
"database is locked", a job's statement count grew with the book — and, with
``--strict``, when a time or memory target was missed.  ``--smoke`` never judges times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks import clean_env
from storage.engine import normalize_url

PHASES = ("build", "account", "visit", "concurrency", "jobs", "startup")
TARGETS = {
    "account_p95_ms": 30.0,
    "account_ratio": 3.0,
    "visit_p95_ms": 30.0,
    "job_s": 5.0,
    "memory_mb": 300.0,
    "ready_s": 2.0,
    "say_help_s": 0.5,
    "say_account_s": 0.7,
}


@dataclass(frozen=True)
class Plan:
    """How big the book is and how much each phase does."""

    accounts: int
    interactions: int
    deals: int
    samples: int = 200
    threads: int = 20
    rounds: int = 5
    startup_runs: int = 3
    say_runs: int = 5
    smoke: bool = False

    @property
    def job_sizes(self) -> tuple[int, int]:
        return (max(self.accounts // 10, 100), self.accounts)


SMOKE = Plan(
    accounts=2_000,
    interactions=40_000,
    deals=8_000,
    samples=50,
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
        return BenchDatabase(url, workdir=self.workdir, keep=self.keep)

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


# --- children ------------------------------------------------------------------------


@dataclass
class Child:
    """A finished child process: its output, how long it ran and its peak memory."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float

    def json(self) -> dict[str, Any]:
        for line in reversed(self.stdout.splitlines()):
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError("no result line")


def run_child(cmd: list[str], *, env: dict[str, str], cwd: Path, echo: bool = False) -> Child:
    """Run ``cmd`` to the end; stdout is read (and echoed, indented, when ``echo``)."""
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
            proc.returncode, "".join(out), err.read(), seconds, round(usage.ru_maxrss / 1024, 1)
        )


def bench_module(name: str, url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", f"benchmarks.{name}", "--database-url", url, *args]


# --- the phases ----------------------------------------------------------------------

_GENERATED = re.compile(r"generated (\{.*\}) in ([\d.]+)s")
_JOBS_SIZE = re.compile(r"^([\d,]+) accounts \((\w+)\)")
# jobs_bench's lines: "  lapse  build 0.20s 8 stmts | run 1.54s 110 msgs … | peak 17.3 MiB"
_JOBS_LINE = re.compile(
    r"^\s+(?P<job>\w+)\s+build\s+(?P<build_s>[\d.]+)s\s+(?P<build_statements>\d+) stmts"
    r"\s+\|\s+run\s+(?P<run_s>[\d.]+)s\s+(?:(?P<run_statements>\d+) stmts\s+)?"
    r"(?P<messages>\d+) msgs.*\|\s+peak\s+(?P<peak_mib>[\d.]+) MiB"
)


@dataclass
class Results:
    plan: Plan
    database: str
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)


def build(db: BenchDatabase, plan: Plan) -> dict[str, Any]:
    child = run_child(
        [
            sys.executable, "-m", "benchmarks.book", "--accounts", str(plan.accounts),
            "--interactions", str(plan.interactions), "--deals", str(plan.deals),
        ],
        env=clean_env(db.url), cwd=db.workdir,
    )  # fmt: skip
    if child.code != 0:
        raise RuntimeError(f"building the book failed ({child.code}):\n{child.stderr[-2000:]}")
    m = _GENERATED.search(child.stdout)
    return {
        "command": f"python -m benchmarks.book --accounts {plan.accounts} "
        f"--interactions {plan.interactions} "
        f"--deals {plan.deals}",
        "seconds": round(child.seconds, 1),
        "generate_seconds": float(m[2]) if m else None,
        "rows": json.loads(m[1].replace("'", '"')) if m else None,
        "peak_rss_mb": child.peak_rss_mb,
        "errors": 0,
    }


def measured(db: BenchDatabase, name: str, *args: str) -> dict[str, Any]:
    child = run_child(bench_module(name, db.url, *args), env=clean_env(db.url), cwd=db.workdir)
    if child.code != 0:
        raise RuntimeError(f"{name} failed ({child.code}):\n{child.stderr[-3000:]}")
    result = child.json()
    result["peak_rss_mb"] = max(result.get("peak_rss_mb", 0.0), child.peak_rss_mb)
    return result


def daily_jobs(db: BenchDatabase, plan: Plan) -> dict[str, Any]:
    """``benchmarks.jobs_bench``'s ``main`` on a book of its own, which it grows from the
    small size to the large one; in a process of its own, like every phase, so its
    memory is its own.  Its figures are read back from the lines it prints."""
    try:
        from benchmarks.jobs_bench import main as _jobs_main  # noqa: F401  (the entry point)
    except ImportError as exc:
        raise RuntimeError(f"benchmarks.jobs_bench has no main(): {exc}") from exc
    own = db.sibling("_jobs")
    own.create()
    try:
        args = ["--sizes", *map(str, plan.job_sizes), "--database-url", own.url]
        child = run_child(
            [sys.executable, "-m", "benchmarks.jobs_bench", *args],
            env=clean_env(own.url),
            cwd=db.workdir,
            echo=True,
        )
    finally:
        own.drop()
    jobs: dict[str, dict[str, Any]] = {}
    size = None
    for line in child.stdout.splitlines():
        if m := _JOBS_SIZE.match(line):
            size = int(m[1].replace(",", ""))
        elif (m := _JOBS_LINE.match(line)) and size is not None:
            jobs.setdefault(m["job"], {})[str(size)] = {
                k: (float(v) if "." in v else int(v))
                for k, v in m.groupdict().items()
                if k != "job" and v is not None
            }
    if child.code not in (0, 1):
        raise RuntimeError(f"jobs_bench failed ({child.code}):\n{child.stderr[-3000:]}")
    return {
        "sizes": list(plan.job_sizes),
        "jobs": jobs,
        "statements_constant": child.code == 0,
        "peak_rss_mb": child.peak_rss_mb,
        "seconds": round(child.seconds, 1),
        "errors": 0 if child.code == 0 else 1,
        "first_error": None if child.code == 0 else "a job's statement count grows with the book",
    }


def measure(db: BenchDatabase, plan: Plan, phases: tuple[str, ...]) -> Results:
    results = Results(plan=plan, database=db.server_version())
    steps = {
        "build": lambda: build(db, plan),
        "account": lambda: measured(db, "account_bench", "--samples", str(plan.samples)),
        "visit": lambda: measured(db, "visit_bench", "--samples", str(plan.samples)),
        "concurrency": lambda: measured(
            db, "concurrency_bench", "--threads", str(plan.threads), "--rounds", str(plan.rounds)
        ),
        "jobs": lambda: daily_jobs(db, plan),
        "startup": lambda: measured(
            db, "startup_bench", "--runs", str(plan.startup_runs), "--say-runs", str(plan.say_runs)
        ),
    }
    for phase in phases:
        print(f"== {phase}", flush=True)
        started = time.perf_counter()
        try:
            result = steps[phase]()
        except Exception as exc:  # noqa: BLE001  (one broken phase must not hide the others)
            results.failures.append(f"{phase}: {exc}")
            print(f"   FAILED: {exc}", flush=True)
            continue
        results.phases[phase] = result
        print("   " + json.dumps(result, ensure_ascii=False), flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
        if result.get("errors"):
            results.failures.append(f"{phase}: {result.get('first_error')}")
        if result.get("locked"):
            results.failures.append(f"{phase}: {result['locked']} 'database is locked' errors")
    judge(results)
    return results


# --- judging and reporting ----------------------------------------------------------


def judge(results: Results) -> None:
    """Times and memory against the targets (recorded, never a failure by themselves)."""
    p, missed = results.phases, results.missed
    if a := p.get("account"):
        if a["e2e"]["p95_ms"] > TARGETS["account_p95_ms"]:
            missed.append(f"/account p95 {a['e2e']['p95_ms']:.1f} ms > 30 ms")
        if a["ratio_p95"] > TARGETS["account_ratio"]:
            missed.append(f"/account p95 is {a['ratio_p95']}× its raw-SQL floor (> 3×)")
    if (v := p.get("visit")) and v["e2e"]["p95_ms"] > TARGETS["visit_p95_ms"]:
        missed.append(f"/visit p95 {v['e2e']['p95_ms']:.1f} ms > 30 ms")
    if j := p.get("jobs"):
        largest = str(j["sizes"][-1])
        for job, by_size in j["jobs"].items():
            at = by_size.get(largest)
            if at and at["run_s"] > TARGETS["job_s"]:
                missed.append(f"job {job} {at['run_s']:.1f} s > 5 s")
            if at and at["peak_mib"] > TARGETS["memory_mb"]:
                missed.append(f"job {job} peak {at['peak_mib']:.0f} MiB > 300 MiB")
    if (s := p.get("startup")) and s["healthz_s"]["median"] > TARGETS["ready_s"]:
        missed.append(f"kam run to /healthz {s['healthz_s']['median']:.2f} s > 2 s")
    for key, what in (("say_help", "/help"), ("say_account", "/account")):
        if (s := p.get("startup", {}).get(key)) and s["wall_s"]["median"] > TARGETS[f"{key}_s"]:
            missed.append(
                f"cold kam say {what} {s['wall_s']['median']:.2f} s > {TARGETS[f'{key}_s']} s"
            )
    for phase in ("account", "visit", "concurrency", "startup"):
        if (r := p.get(phase)) and r.get("peak_rss_mb", 0) > TARGETS["memory_mb"]:
            missed.append(f"{phase} peak memory {r['peak_rss_mb']:.0f} MiB > 300 MiB")
    if (s := p.get("startup")) and s.get("server_peak_rss_mb", 0) > TARGETS["memory_mb"]:
        missed.append(f"kam run peak memory {s['server_peak_rss_mb']:.0f} MiB > 300 MiB")


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
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _ms(stats: dict[str, float]) -> str:
    return f"{stats['median_ms']:.1f} / {stats['p95_ms']:.1f} ms"


def _mark(ok: bool | None) -> str:
    return "" if ok is None else ("✓" if ok else "✗")


def table(results: Results) -> list[str]:
    """The Markdown table: one row per figure, with its target and whether it was met."""
    p = results.phases
    rows: list[tuple[str, str, str, bool | None]] = []
    if b := p.get("build"):
        rows.append(
            (
                f"build: `{b['command']}` (time, peak memory)",
                f"{b['seconds']:.1f} s, {b['peak_rss_mb']:.0f} MiB",
                "—",
                None,
            )
        )
    if a := p.get("account"):
        rows.append(
            (
                f"/account end to end, median / p95 ({a['samples']} accounts)",
                _ms(a["e2e"]),
                "p95 ≤ 30 ms",
                a["e2e"]["p95_ms"] <= TARGETS["account_p95_ms"],
            )
        )
        rows.append(
            (f"/account raw-SQL floor ({a['statements']} statements)", _ms(a["floor"]), "—", None)
        )
        rows.append(
            (
                "/account ÷ floor, median / p95",
                f"{a['ratio_median']}× / {a['ratio_p95']}×",
                "≤ 3×",
                a["ratio_p95"] <= TARGETS["account_ratio"],
            )
        )
    if v := p.get("visit"):
        rows.append(
            (
                f"/visit end to end, median / p95 ({v['statements']} statements)",
                _ms(v["e2e"]),
                "p95 ≤ 30 ms",
                v["e2e"]["p95_ms"] <= TARGETS["visit_p95_ms"],
            )
        )
    if c := p.get("concurrency"):
        rows.append(
            (
                f"{c['threads']} concurrent /visit × {c['rounds']}: ok, locked; latency p95",
                f"{c['ok']}/{c['commands']}, {c['locked']} locked; {c['latency']['p95_ms']:.0f} ms",
                "0 locked",
                c["locked"] == 0 and c["errors"] == 0,
            )
        )
    if j := p.get("jobs"):
        small, large = (str(s) for s in j["sizes"])
        for job, by in j["jobs"].items():
            if large not in by:
                continue
            at, before = by[large], by.get(small, {})
            scans = f"{before.get('build_statements', '?')} → {at['build_statements']}"
            rows.append(
                (
                    f"job {job}: time; statements at {int(small):,} → {int(large):,} accounts; peak",
                    f"{at['run_s']:.2f} s; {scans}; {at['peak_mib']:.0f} MiB",
                    "≤ 5 s; constant; ≤ 300 MiB",
                    at["run_s"] <= TARGETS["job_s"]
                    and at["peak_mib"] <= TARGETS["memory_mb"]
                    and before.get("build_statements") == at["build_statements"],
                )
            )
        if not j["jobs"]:
            rows.append(("daily jobs (see jobs_bench's output above)", "—", "—", None))
        rows.append(
            (
                "daily jobs: statement counts the same at every size (jobs_bench)",
                "yes" if j["statements_constant"] else "NO",
                "constant",
                j["statements_constant"],
            )
        )
    if s := p.get("startup"):
        rows.append(
            (
                "`kam run` to /healthz 200, median (max)",
                f"{s['healthz_s']['median']:.2f} s ({s['healthz_s']['max']:.2f} s)",
                "≤ 2 s",
                s["healthz_s"]["median"] <= TARGETS["ready_s"],
            )
        )
        for key, what in (("say_help", "/help"), ("say_account", "/account NAME")):
            if c := s.get(key):
                rows.append(
                    (
                        f"cold `kam say {what}`, median wall (max) / CPU, peak memory",
                        f"{c['wall_s']['median']:.2f} s ({c['wall_s']['max']:.2f} s) / "
                        f"{c['cpu_s']['median']:.2f} s, {c['peak_rss_mb']:.0f} MiB",
                        f"≤ {TARGETS[f'{key}_s']} s",
                        c["wall_s"]["median"] <= TARGETS[f"{key}_s"],
                    )
                )
        rows.append(
            (
                "`import handlers.dispatcher`",
                f"{s['import_handlers']['median_ms']:.0f} ms",
                "—",
                None,
            )
        )
        rows.append(
            (
                "`kam run` peak memory",
                f"{s['server_peak_rss_mb']:.0f} MiB",
                "≤ 300 MiB",
                s["server_peak_rss_mb"] <= TARGETS["memory_mb"],
            )
        )
    peaks = {k: r["peak_rss_mb"] for k, r in p.items() if k != "build" and r.get("peak_rss_mb")}
    if peaks:
        worst = max(peaks, key=peaks.__getitem__)
        rows.append(
            (
                f"peak memory of a benchmark process (worst: {worst})",
                f"{peaks[worst]:.0f} MiB",
                "≤ 300 MiB",
                peaks[worst] <= TARGETS["memory_mb"],
            )
        )
    judged = not results.plan.smoke
    lines = [f"| {results.database} | result | target | |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {_mark(d if judged else None)} |" for a, b, c, d in rows]
    return lines


def report(results: Results, info: dict[str, str]) -> str:
    plan = results.plan
    out = [
        "",
        f"kam benchmark — {plan.accounts:,} accounts, {plan.interactions:,} interactions, "
        f"{plan.deals:,} deals on {results.database}"
        + (" (smoke: times not judged)" if plan.smoke else ""),
        f"machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} RAM, {info['os']}, "
        f"Python {info['python']}; {info['date']}; "
        f"load average {info['load']} before, {info.get('load_after', '?')} after",
        "",
        *table(results),
        "",
    ]
    if results.failures:
        out += ["FAILED:", *(f"  - {f}" for f in results.failures)]
    if results.missed and not plan.smoke:
        out += ["Targets missed:", *(f"  - {m}" for m in results.missed)]
    return "\n".join(out)


# --- the command ---------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument(
        "--database-url",
        help="default: a new SQLite file in a temporary directory; a PostgreSQL database "
        "named kam_bench… is dropped, created, measured and dropped",
    )
    parser.add_argument("--smoke", action="store_true", help="2,000 accounts, quick; for CI")
    parser.add_argument("--samples", type=int, help="accounts asked about / visits logged")
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated subset")
    parser.add_argument("--reuse", action="store_true", help="measure the book already there")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    phases = tuple(p for p in args.phases.split(",") if p)
    if unknown := set(phases) - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}; choose from {PHASES}")
    if args.reuse:
        if not args.database_url:
            parser.error("--reuse needs --database-url (the book to measure)")
        phases = tuple(p for p in phases if p != "build")
    plan = (
        SMOKE
        if args.smoke
        else Plan(accounts=args.accounts, interactions=args.interactions, deals=args.deals)
    )
    if args.samples:
        plan = replace(plan, samples=args.samples)

    workdir = Path(tempfile.mkdtemp(prefix="kam-bench-"))
    db = (
        BenchDatabase(args.database_url, workdir=workdir, reuse=args.reuse, keep=args.keep)
        if args.database_url
        else BenchDatabase.default(workdir)
    )
    if args.keep and not args.database_url:
        print(f"the book is kept in {db.name}", flush=True)
    info = machine()
    db.create()
    try:
        results = measure(db, plan, phases)
    finally:
        db.drop()
        if not (args.keep and not args.database_url):
            shutil.rmtree(workdir, ignore_errors=True)
    info["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(report(results, info), flush=True)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "database": results.database,
                    "plan": asdict(plan),
                    "phases": results.phases,
                    "failures": results.failures,
                    "missed": results.missed,
                },
                ensure_ascii=False,
                indent=2,
            ),
            encoding="utf-8",
        )
    if results.failures:
        return 1
    return 1 if args.strict and results.missed and not plan.smoke else 0


if __name__ == "__main__":
    raise SystemExit(main())
