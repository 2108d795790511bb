"""RFM: rank the book once a day and store the quintile cut-points (sends nothing).

    run_rfm(engine, settings, notifier, now, *, dry_run=False, on_demand=False)
    refresh(engine, settings, now) -> RfmCutpoints       (after a CSV import)

``/account`` and ``/ltv`` score one account against the stored cut-points
(``storage.rfm``), so no request ranks the whole book.  The job ticks with the others:
a tick whose stored cut-points are today's and were made with today's currency,
exchange rates and RFM window does nothing (one row read); otherwise — the first tick
after local midnight, the first after a start with nothing stored or with changed
settings — it ranks the book.  ``kam jobs run rfm`` (on demand) always ranks.

Ranking reads the book in one read-only transaction (a consistent snapshot: SQLite's
read transaction, PostgreSQL's REPEATABLE READ) and writes the row in a short write
transaction of its own, so no writer waits while the book is ranked.  Two schedulers
running it at once each write a whole row in one upsert, and a row from an older read
of the book never replaces one from a newer read (``storage.rfm.store_cutpoints``).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine

from domain.models import RfmCutpoints
from domain.policy import Policy
from handlers.notify import Notifier
from schedules.delivery import JobReport
from schedules.registry import JobSpec
from storage.clock import day_start, local_day
from storage.rfm import compute_cutpoints, is_current, store_cutpoints, stored_cutpoints
from storage.session import unit_of_work

log = logging.getLogger(__name__)

RFM = "rfm"


def _snapshot(engine: Engine) -> Engine:
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ")
    return engine


def refresh(engine: Engine, settings: Policy, now: datetime) -> tuple[RfmCutpoints, bool]:
    """Rank the book as of ``now`` and store the cut-points; the row, and whether it was
    stored (False: a concurrent run had stored one from a newer read)."""
    with unit_of_work(_snapshot(engine), write=False) as session:
        row = compute_cutpoints(session, now=now, settings=settings, tz=settings.tz)
    with unit_of_work(engine) as session:
        stored = store_cutpoints(session, row)
    return row, stored


def run_rfm(
    engine: Engine,
    settings: Policy,
    notifier: Notifier | None,
    now: datetime,
    *,
    dry_run: bool = False,
    on_demand: bool = False,
    worker: str | None = None,
) -> JobReport:
    """Rank the book when the stored cut-points are not today's (always, ``on_demand``).

    ``dry_run`` ranks and reports, storing nothing.  Sends nothing, so ``notifier`` and
    ``worker`` do not matter.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    report = JobReport(RFM, now, dry_run=dry_run)
    today = local_day(now, settings.tz)
    if not on_demand:
        with unit_of_work(engine, write=False) as session:
            current = is_current(stored_cutpoints(session), today=today, settings=settings)
        if current:
            report.note = f"the book's RFM cut-points of {today} are stored already"
            return report
    started = time.perf_counter()
    if dry_run:
        with unit_of_work(_snapshot(engine), write=False) as session:
            row = compute_cutpoints(session, now=now, settings=settings, tz=settings.tz)
        verb = "would store"
    else:
        row, stored = refresh(engine, settings, now)
        verb = "stored" if stored else "ranked, but kept a newer run's"
    took = time.perf_counter() - started
    report.note = (
        f"{verb} the RFM cut-points of {row.population} account(s) as of {row.day} "
        f"({row.currency}, {row.window_days}-day window) in {took:.1f} s"
    )
    log.info("%s", report.summary())
    return report


def _describe(settings: Policy) -> str:
    return f"daily, the first tick after 00:00 in {settings.timezone}"


def _next_midnight(now: datetime, settings: Policy) -> datetime:
    return day_start(local_day(now, settings.tz) + timedelta(days=1), settings.tz)


JOB = JobSpec(
    name=RFM,
    summary="Rank the book's RFM and store the quintile cut-points /account scores against.",
    runner=run_rfm,
    when=_describe,
    next_at=_next_midnight,
)
