"""``kam jobs list | run | status`` and ``kam scheduler``.

    kam jobs list                          each job, its slot and when it next runs
    kam jobs run lapse                     run one job now, for everyone, and print what it sent
    kam jobs run housekeeping --dry-run    any listed job runs by name
    kam jobs run digest --now 2026-11-18T09:05 --dry-run
                                           print what it would send at that time; send nothing
    kam jobs run tasks --scheduled         only the recipients whose slot is due right now
    kam jobs status                        what was sent, what is pending, what failed
    kam scheduler                          the scheduler alone, without the web server

A run outside the scheduler still goes through the delivery ledger: a message already
sent today is not sent again (``--dry-run`` shows what would go out).  The jobs come
from the one job table, which ``bot.bootstrap`` builds.
"""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from bot.config import Settings, load_settings
from domain.errors import KamError
from handlers.notify import Notifier, Recipient
from handlers.render.text import render_text
from handlers.replies import Reply

if TYPE_CHECKING:
    from schedules.registry import JobSpec, JobTable

jobs_app = typer.Typer(help="Scheduled jobs: list, run once, status.", no_args_is_help=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except KamError as exc:
        typer.echo(f"kam: {exc}", err=True)
        raise typer.Exit(2) from exc


def _find_job(jobs: JobTable, name: str) -> JobSpec:
    """The job called ``name``; else a clear error listing the jobs, with an example."""
    spec = jobs.find(name)
    if spec is None:
        typer.echo(
            f"kam: no job {name!r}. Jobs: {', '.join(jobs.names())}.\n"
            f"Example: kam jobs run {jobs.names()[0]} --dry-run",
            err=True,
        )
        raise typer.Exit(2)
    return spec


def _header(recipient: Recipient) -> str:
    return f"── to {recipient.key} ({recipient.platform}:{recipient.address}) ──"


class _Printing:
    """Sends through the app's notifier and prints what went out.

    What the app's notifier hands to its console fallback (a console user, or a
    platform that is not configured) is printed there already, so not twice here.
    """

    def __init__(self, inner: Notifier) -> None:
        self._inner = inner
        self._real = set(getattr(inner, "platforms", ())) - {"console"}

    def send(self, recipient: Recipient, reply: Reply) -> None:
        self._inner.send(recipient, reply)
        if recipient.platform in self._real or not hasattr(self._inner, "platforms"):
            typer.echo(_header(recipient))
            typer.echo(render_text(reply))
            typer.echo("")


def _parse_now(text: str | None, settings: Settings) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        typer.echo(f"kam: --now {text!r} is not an ISO date and time", err=True)
        raise typer.Exit(2) from exc
    return when if when.tzinfo else when.replace(tzinfo=settings.tz)


@jobs_app.command("list")
def list_jobs() -> None:
    """Each job, its slot and when it runs next."""
    from bot.bootstrap import build_jobs
    from schedules.scheduler import TICK_MINUTES, job_infos

    settings = _settings()
    now = datetime.now(UTC)
    tz = settings.tz
    infos = job_infos(build_jobs(), settings, now)
    width = max(12, *(len(info.name) for info in infos))
    for info in infos:
        nxt = info.next_slot.astimezone(tz).strftime("%a %Y-%m-%d %H:%M") if info.next_slot else "—"
        typer.echo(f"{info.name:<{width}} {info.when}")
        typer.echo(f"{'':<{width}} next: {nxt} {settings.timezone} — {info.summary}")
    typer.echo(
        f"\nThe scheduler checks every job every {TICK_MINUTES} minutes and sends to each "
        "recipient once their local time has reached the slot."
    )


@jobs_app.command("run")
def run_job(
    name: Annotated[str, typer.Argument(help="Which job: see `kam jobs list`")],
    now: Annotated[
        str | None, typer.Option(help="Run as of this ISO time (default: now; naive = kam's zone)")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be sent; send nothing")
    ] = False,
    scheduled: Annotated[
        bool,
        typer.Option(
            "--scheduled",
            help="Only recipients whose slot is due at that time, as the scheduler would",
        ),
    ] = False,
) -> None:
    """Run one job once and print what it sends (or, with --dry-run, would send)."""
    from bot.bootstrap import build_app, build_jobs
    from schedules.registry import run

    spec = _find_job(build_jobs(), name)
    settings = _settings()
    when = _parse_now(now, settings)
    kam = build_app(settings)
    try:
        report = run(
            kam.jobs[spec.name],
            kam.engine,
            settings,
            _Printing(kam.notifier),
            when,
            dry_run=dry_run,
            on_demand=not scheduled,
        )
        if dry_run:
            for message in report.messages:
                typer.echo(_header(message.recipient))
                typer.echo(render_text(message.reply))
                typer.echo("")
        for key, error, retry_at in report.failed:
            retry = f"; retry after {retry_at.isoformat()}" if retry_at else "; given up"
            typer.echo(f"failed: {key}: {error}{retry}", err=True)
        typer.echo(report.summary(), err=True)
    finally:
        kam.engine.dispose()
    if report.failed:
        raise typer.Exit(1)


@jobs_app.command("status")
def status(
    days: Annotated[int, typer.Option(help="Look back this many days")] = 7,
) -> None:
    """What the jobs sent, what is pending, and what failed (with the error)."""
    from bot.bootstrap import build_jobs
    from storage import heartbeat as beats
    from storage import ledger
    from storage.clock import db_now
    from storage.engine import make_engine
    from storage.migrate import ensure_schema
    from storage.session import unit_of_work

    settings = _settings()
    engine = make_engine(settings.database_url)
    ensure_schema(engine)
    now = datetime.now(UTC)
    stale = timedelta(minutes=settings.schedule.claim_timeout_minutes)
    tz = settings.tz
    try:
        with unit_of_work(engine, write=False) as session:
            counts = ledger.counts_since(session, now - timedelta(days=days))
            problems = ledger.problems(session, now=db_now(session), stale_after=stale)
            health = beats.health(session, now=db_now(session))
            runs = beats.job_runs(session)
    finally:
        engine.dispose()
    names = build_jobs().names()  # in the table's order; a job no longer there, last
    counts.sort(key=lambda c: (names.index(c.job) if c.job in names else len(names), c.job))
    width = max(12, *(len(name) for name in names))
    _echo_scheduler(health, runs, names, width, tz)
    typer.echo(f"Last {days} days:")
    if not counts:
        typer.echo("  nothing claimed")
    for c in counts:
        last = c.last_sent_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if c.last_sent_at else "—"
        typer.echo(
            f"  {c.job:<{width}} sent {c.sent:>5}  pending {c.pending:>3}  failed {c.failed:>3}"
            f"  last sent {last}"
        )
    if not problems:
        typer.echo("No failed or stuck deliveries.")
        return
    typer.echo("\nFailed or stuck:")
    for d in problems:
        key = f"{d.job}/{d.recipient}/{d.subject}/{d.period}"
        if d.status == ledger.PENDING:
            state = f"pending since {d.claimed_at.astimezone(tz):%Y-%m-%d %H:%M} by {d.claimed_by}"
        elif d.next_attempt_at is not None:
            state = f"retry after {d.next_attempt_at.astimezone(tz):%Y-%m-%d %H:%M}"
        else:
            state = "given up"
        typer.echo(f"  {key}  attempts {d.attempts}  {state}")
        if d.last_error:
            typer.echo(f"      {d.last_error}")


def _echo_scheduler(health, runs, names: list[str], width: int, tz) -> None:
    """The scheduler's last heartbeat, and each job's last run and last success."""

    def at(moment) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "—"

    if health.state == "never":
        typer.echo("Scheduler: no scheduler has ever run on this database (see kam doctor)")
    else:
        state = "running" if health.ok else "STOPPED"
        typer.echo(
            f"Scheduler: {state}, last heartbeat {at(health.last_beat)} "
            f"({int(health.age.total_seconds())} s ago, one every {health.interval} s)"
        )
    for name in names:
        run = runs.get(name)
        if run is None:
            typer.echo(f"  {name:<{width}} never run by a scheduler")
            continue
        line = f"  {name:<{width}} last run {at(run.last_run_at)}  last ok {at(run.last_ok_at)}"
        typer.echo(line + (f"  error: {run.last_error}" if run.last_error else ""))
    typer.echo("")


def scheduler_command(
    metrics_port: Annotated[
        int,
        typer.Option(help="Serve Prometheus metrics (jobs, ledger backlog) on this port; 0: off"),
    ] = 9464,
) -> None:
    """Run the scheduled jobs alone (no web server) until Ctrl-C or SIGTERM."""
    from bot.bootstrap import build_app, build_scheduler
    from bot.metrics import start_metrics_server
    from schedules.scheduler import TICK_MINUTES

    kam = build_app(_settings())
    scheduler = build_scheduler(kam)
    stop = threading.Event()

    def _stop(signum, _frame) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stop)
    metrics = None
    if metrics_port:
        metrics, _thread = start_metrics_server(
            kam.engine, kam.metrics, host=kam.settings.host, port=metrics_port
        )
    scheduler.start()
    typer.echo(
        f"kam scheduler: {len(kam.jobs)} jobs, checked every {TICK_MINUTES} minutes"
        + (f"; metrics on http://{kam.settings.host}:{metrics_port}/metrics" if metrics else "")
        + ". Ctrl-C to stop.",
        err=True,
    )
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)  # lets the job run in progress finish
        if metrics is not None:
            metrics.shutdown()
        kam.engine.dispose()
        typer.echo("kam scheduler: stopped", err=True)
