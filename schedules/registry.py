"""The job table: one declaration per scheduled job drives everything about it.

From each ``JobSpec`` come ``kam jobs list`` (its slot in words, when it runs next, its
summary), ``kam jobs run NAME`` and the error listing the jobs, ``kam jobs status``, the
scheduler's jobs (``schedules.scheduler``) and the README's job table.  Every run —
scheduled or by hand — goes through ``run(spec, …)``.

A job is one of two kinds:

* a **push** gives a ``slot`` and a ``build(plan)``: ``run`` opens one read-only
  transaction, lets the builder find who is due and word one ``Outbound`` message per
  open ledger key (``schedules.plan``), then delivers each once (``schedules.delivery``);
* a job with steps of its own (the tier review, housekeeping) gives a ``runner`` with
  ``run``'s arguments, and says in words when it acts.

``daily_at`` is how the scheduler triggers it: None (every push, the tier review) ticks
every few minutes and the job picks who is due; a time runs the job once a day at that
time in kam's time zone.  The table is built explicitly in ``schedules.jobs``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time
from typing import Protocol

from sqlalchemy import Engine

from domain.policy import Policy
from handlers.notify import Notifier
from schedules.delivery import JobReport, Outbound, deliver
from schedules.plan import Plan
from schedules.timing import Slot, next_slot, work_calendar
from storage.session import unit_of_work

log = logging.getLogger(__name__)

_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class Runner(Protocol):
    def __call__(
        self,
        engine: Engine,
        settings: Policy,
        notifier: Notifier | None,
        now: datetime,
        *,
        dry_run: bool = False,
        on_demand: bool = False,
        worker: str | None = None,
    ) -> JobReport: ...


@dataclass(frozen=True)
class JobSpec:
    name: str
    summary: str  # one line: `kam jobs list` and the README
    slot: Callable[[Policy], Slot] | None = None  # a push: its time of day
    build: Callable[[Plan], list[Outbound]] | None = None  # a push: its messages
    runner: Runner | None = None  # or: a job with steps of its own
    when: Callable[[Policy], str] | None = None  # in words (default: from slot/daily_at)
    next_at: Callable[[datetime, Policy], datetime | None] | None = None  # (default: slot)
    daily_at: time | None = None  # None: ticks; else once a day then, in kam's time zone

    def __post_init__(self) -> None:
        if (self.build is None) == (self.runner is None):
            raise ValueError(f"job {self.name!r}: give either build (a push) or runner")
        if self.build is not None and self.slot is None:
            raise ValueError(f"job {self.name!r}: a push needs a slot")

    @property
    def push(self) -> bool:
        """Whether it is a push: a slot, and messages built per recipient."""
        return self.build is not None

    @property
    def ticks(self) -> bool:
        """Whether the scheduler runs it every tick (else once a day, ``daily_at``)."""
        return self.daily_at is None

    def describe(self, settings: Policy) -> str:
        """When it runs, in words (``kam jobs list``)."""
        if self.when is not None:
            return self.when(settings)
        if self.daily_at is not None:
            return f"daily {self.daily_at:%H:%M} in {settings.timezone}"
        slot = self.slot(settings)
        at = slot.at.strftime("%H:%M")
        if slot.weekly:
            day = f"{_WEEKDAY_NAMES[slot.weekday]} {at}"
        else:
            day = f"working days {at}" if slot.weekdays_only else f"daily {at}"
        return day + " in each recipient's time zone"

    def next_slot(self, now: datetime, settings: Policy) -> datetime | None:
        """When it next acts, in kam's time zone; None when only the scheduler knows
        (``daily_at``: its trigger's next fire time)."""
        if self.next_at is not None:
            return self.next_at(now, settings)
        if self.slot is not None:
            calendar = work_calendar(settings, settings.tz)
            return next_slot(now, settings.tz, self.slot(settings), settings.schedule, calendar)
        return None


class JobTable:
    """The jobs by name, in the order ``kam jobs list`` shows them."""

    def __init__(self, specs: Iterable[JobSpec] = ()) -> None:
        self._specs: dict[str, JobSpec] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: JobSpec) -> JobSpec:
        if spec.name in self._specs:
            raise ValueError(f"job {spec.name!r} is declared twice")
        self._specs[spec.name] = spec
        return spec

    def find(self, name: str) -> JobSpec | None:
        return self._specs.get(name)

    def __getitem__(self, name: str) -> JobSpec:
        return self._specs[name]

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def names(self) -> list[str]:
        return list(self._specs)

    def __iter__(self) -> Iterator[JobSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)


def run(
    spec: JobSpec,
    engine: Engine,
    settings: Policy,
    notifier: Notifier | None,
    now: datetime,
    *,
    dry_run: bool = False,
    on_demand: bool = False,
    worker: str | None = None,
) -> JobReport:
    """Run one job as of ``now``: build its messages and deliver each one once.

    ``on_demand`` (``kam jobs run``) treats every recipient as due now, whatever the
    time of day, quiet hours or weekend; the ledger still sends each key once.
    ``dry_run`` builds and reports what would be sent, without claiming or sending.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if spec.runner is not None:
        return spec.runner(
            engine, settings, notifier, now, dry_run=dry_run, on_demand=on_demand, worker=worker
        )
    with unit_of_work(engine, write=False) as session:
        plan = Plan(session, settings, now, spec.slot(settings), on_demand, job=spec.name)
        messages = spec.build(plan)
    report = JobReport(spec.name, now, dry_run=dry_run, due=plan.due_count, messages=messages)
    if dry_run:
        return report
    if messages:
        if notifier is None:
            raise ValueError("a notifier is needed to send")
        deliver(engine, settings, notifier, messages, now=now, report=report, worker=worker)
    log.info("%s", report.summary())
    return report
