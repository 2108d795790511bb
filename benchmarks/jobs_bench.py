"""Every scheduled job on the realistic book, each in a process of its own: time, CPU,
SQL statements and the process's peak resident memory.

    .venv/bin/python -m benchmarks.jobs_bench --database-url sqlite:///bench.db            # every job
    .venv/bin/python -m benchmarks.jobs_bench --database-url sqlite:///bench.db --job digest

The book is the one ``python -m benchmarks.book`` builds (20 interactions and 4 deals
per account, CSAT scores, complaints, invoices and payments, accounts at risk and
churned, a channel and a manager per team, goals, reminders due today), so every job
has work to do.  The jobs are the job table's (``schedules.jobs.job_table``), not a
list of ours: a job added there is measured here.

Each job runs once, on demand (every recipient due), as of 09:05 today in kam's time
zone, into a notifier that sends nothing but renders every message as its platform
would (Slack Block Kit, WeCom markdown, plain text): formatting is part of the cost.
The ledger is emptied first, so every message is built and delivered.  Measured in
the job's own process: wall time and CPU time (``time.process_time``) of the run,
statements sent (a ``before_cursor_execute`` listener), messages and rendered
characters, and peak resident memory (``ru_maxrss``) — the whole process's, imports
included, beside the same figure just before the run (``baseline_rss_mb``).

Without ``--job`` every job is started in turn as ``--job NAME`` in a child process;
the result is one JSON line with the figures of each.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, event

from benchmarks import bench_settings, clean_env, peak_rss_mb, run_child
from handlers.notify import Recipient
from handlers.replies import Reply

RUN_AT = (9, 5)


class RenderingNotifier:
    """Sends nothing; renders each message as its platform would, and counts."""

    def __init__(self) -> None:
        self.sent = 0
        self.chars = 0

    def send(self, recipient: Recipient, reply: Reply) -> None:
        from handlers.render.slack import render_blocks
        from handlers.render.text import render_text
        from handlers.render.wecom import render_markdown

        if recipient.platform == "slack":
            rendered = json.dumps(render_blocks(reply), ensure_ascii=False)
        elif recipient.platform == "wecom":
            rendered = "".join(render_markdown(reply))
        else:
            rendered = render_text(reply)
        self.sent += 1
        self.chars += len(rendered)


def job_names() -> list[str]:
    """Every job in the job table, in ``kam jobs list`` order."""
    from schedules.jobs import job_table

    return job_table().names()


def run_job(engine: Engine, settings: Any, job: str, now: datetime | None = None) -> dict[str, Any]:
    """Run one job on demand into a rendering notifier; its figures."""
    from domain.models import Delivery
    from schedules.jobs import job_table
    from schedules.registry import run

    spec = job_table()[job]
    if now is None:
        now = datetime.now(settings.tz).replace(
            hour=RUN_AT[0], minute=RUN_AT[1], second=0, microsecond=0
        )
    with engine.begin() as conn:
        conn.execute(delete(Delivery))
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    notifier = RenderingNotifier()
    baseline = peak_rss_mb()
    event.listen(engine, "before_cursor_execute", count)
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        report = run(spec, engine, settings, notifier, now, on_demand=True)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return {
        "job": job,
        "database": engine.dialect.name,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "statements": statements,
        "messages": notifier.sent,
        "built": len(report.messages),
        "rendered_chars": notifier.chars,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_all(
    database_url: str, jobs: list[str] | None = None, *, separate: bool = True
) -> dict[str, Any]:
    """Each job in a child process of its own (``--job NAME``); their figures by name.

    A job that fails is reported with its error and does not stop the others.  With
    ``separate=False`` (the CI smoke run: shapes, not figures) every job runs in one
    child, one after the other, so their peak memories are not their own."""
    out: dict[str, Any] = {}
    errors: list[str] = []
    if not separate:
        cmd = [sys.executable, "-m", "benchmarks.jobs_bench", "--database-url", database_url]
        child = run_child(
            [*cmd, "--job", ",".join(jobs or job_names())], env=clean_env(database_url)
        )
        if child.code != 0:
            message = f"jobs: exit {child.code}: {child.stderr.strip()[-500:]}"
            return {"jobs": {}, "errors": 1, "first_error": message}
        return {"jobs": child.json()["jobs"], "errors": 0, "first_error": None}
    for job in jobs or job_names():
        cmd = [sys.executable, "-m", "benchmarks.jobs_bench", "--database-url", database_url]
        child = run_child([*cmd, "--job", job], env=clean_env(database_url))
        if child.code != 0:
            errors.append(f"{job}: exit {child.code}: {child.stderr.strip()[-500:]}")
            continue
        result = child.json()
        result["peak_rss_mb"] = max(result.get("peak_rss_mb", 0.0), child.peak_rss_mb)
        result["child_cpu_s"] = round(child.cpu_seconds, 3)
        out[job] = result
    return {
        "jobs": out,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument(
        "--job", help="run this job only, in this process (several, comma-separated: in turn)"
    )
    parser.add_argument("--jobs", help="comma-separated subset (default: the job table)")
    parser.add_argument("--list", action="store_true", help="print the job names and stop")
    args = parser.parse_args(argv)
    if args.list:
        result: dict[str, Any] = {"jobs": job_names()}
    elif args.job and "," not in args.job:
        from storage.engine import make_engine

        engine = make_engine(args.database_url)
        try:
            result = run_job(engine, bench_settings(args.database_url), args.job)
        finally:
            engine.dispose()
        result["peak_rss_mb"] = peak_rss_mb()
        result["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    elif args.job:  # several, one after the other in this process
        from storage.engine import make_engine

        engine = make_engine(args.database_url)
        settings = bench_settings(args.database_url)
        try:
            result = {"jobs": {j: run_job(engine, settings, j) for j in args.job.split(",")}}
        finally:
            engine.dispose()
    else:
        jobs = [j for j in (args.jobs or "").split(",") if j] or None
        result = run_all(args.database_url, jobs)
    json.dump(result, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 1 if result.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
