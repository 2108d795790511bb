"""The job table is the one list of jobs: every listed job runs by name, the table is
exactly the modules in ``schedules/jobs/``, and the scheduler, ``kam jobs list`` and the
README all show what the table holds."""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

import schedules.jobs
from bot.bootstrap import build_app, build_scheduler
from bot.cli import app
from bot.config import Settings
from handlers.notify import RecordingNotifier
from schedules import scheduler
from schedules.delivery import JobReport
from schedules.jobs import job_table
from schedules.registry import JobSpec, JobTable
from tests.harness import book

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def kam(engine, database_url, tmp_path, monkeypatch):
    """``kam …`` in this process, on the test's database with the test book."""
    book(engine)
    for name in list(os.environ):
        if name.startswith(("KAM_", "SLACK_", "WECOM_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KAM_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)  # no kam.toml

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


def listed(output: str) -> list[str]:
    """The job names ``kam jobs list`` prints (each job's first line starts with it)."""
    head = output.split("\n\n")[0]
    return [line.split()[0] for line in head.splitlines() if line and not line[0].isspace()]


def test_every_listed_job_runs_by_name(kam):
    listing = kam("jobs", "list")
    assert listing.exit_code == 0, listing.output
    names = listed(listing.output)
    assert "housekeeping" in names and "tier-review" in names and len(names) >= 8
    for name in names:
        done = kam("jobs", "run", name, "--now", "2026-11-18T09:05", "--dry-run")
        assert done.exit_code == 0, f"kam jobs run {name}: {done.output}"
        assert f"{name}: " in done.output  # the run's summary


def test_an_unknown_job_lists_the_jobs_with_an_example_that_runs(kam):
    done = kam("jobs", "run", "nope")
    assert done.exit_code == 2
    assert "no job 'nope'" in done.output
    names = (
        "lapse, birthdays, tasks, reminders, goals, week, week-team, digest, tier-review, "
        "housekeeping, rfm, watchdog, team"
    )
    assert f"Jobs: {names}." in done.output
    (example,) = re.findall(r"Example: kam (.+)", done.output)
    again = kam(*shlex.split(example))
    assert again.exit_code == 0, again.output


def test_the_table_is_exactly_the_modules_in_schedules_jobs():
    modules = [m.name for m in pkgutil.iter_modules(schedules.jobs.__path__)]
    assert "lapse" in modules and "housekeeping" in modules
    declared = [importlib.import_module(f"schedules.jobs.{m}").JOB for m in modules]
    table = job_table()
    assert sorted(spec.name for spec in declared) == sorted(table.names())
    assert all(table[spec.name] is spec for spec in declared)  # the module's own declaration


def test_a_job_added_to_the_table_is_scheduled_and_listed(engine):
    def runner_(engine, settings, notifier, now, **_kw) -> JobReport:
        return JobReport("hello", now)

    hello = JobSpec(name="hello", summary="Says hello.", runner=runner_, when=lambda s: "often")
    jobs = JobTable([*job_table(), hello])
    sched = scheduler.create_scheduler(jobs, engine, Settings(), RecordingNotifier())
    assert "kam.hello" in {job.id for job in sched.get_jobs()}
    infos = scheduler.job_infos(jobs, Settings(), datetime(2026, 11, 18, tzinfo=UTC))
    assert [(i.name, i.when, i.summary) for i in infos][-1] == ("hello", "often", "Says hello.")


def test_bootstrap_hands_the_table_to_the_scheduler(engine):
    kam = build_app(Settings(), notifier=RecordingNotifier(), engine=engine)
    assert kam.jobs.names() == job_table().names()
    sched = build_scheduler(kam)
    assert sorted(job.id for job in sched.get_jobs()) == sorted(
        [f"kam.{name}" for name in kam.jobs.names()] + ["kam.heartbeat"]
    )


def test_a_job_is_declared_once():
    spec = job_table()["lapse"]
    with pytest.raises(ValueError, match="declared twice"):
        JobTable([spec, spec])
    with pytest.raises(ValueError, match="either build"):
        JobSpec(name="x", summary="Neither.")


def test_the_readme_lists_the_jobs_of_the_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Scheduled jobs", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([\w-]+)` \| (.+?) \| (.+?) \|$", section, re.MULTILINE)
    table = job_table()
    assert [name for name, _when, _what in rows] == table.names()
    for name, when, what in rows:
        assert (when, what) == (table[name].describe(Settings()), table[name].summary), name
