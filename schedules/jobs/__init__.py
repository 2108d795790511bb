"""Every scheduled job, one module each, and the table built from them.

    lapse         daily    owners: their accounts past the tier's cadence; managers:
                           those past twice the cadence
    birthdays     daily    owners: contacts' birthdays (Gregorian and lunar) and
                           partnership anniversaries, days ahead and on the day
    tasks         daily    owners: next steps due today or overdue
    team          daily    account-team members (协同): finance — overdue receivables;
                           executive sponsors — their strategic accounts past the cadence
    reminders     daily    owners: their /remind reminders whose day has come
    goals         weekly   everyone with goals: progress; managers: their teams' table
    week          weekly   everyone: their week (周报), Fridays 16:00, drafted from the book
    week_team     weekly   managers: their teams' last week, a line per person, Mondays
    digest        weekdays team chats: the risk digest; managers: what only they may see
    tier_review   quarterly  managers: the tier changes to accept or reject
    housekeeping  nightly  forgets old ledger rows and inbound records
    rfm           nightly  ranks the book's RFM and stores the quintile cut-points that
                           /account and /ltv score one account against (sends nothing)
    watchdog      each tick  admins: the scheduler is back after a gap, and what it caught up

Each module declares ``JOB = JobSpec(...)`` (``schedules.registry``); ``job_table()``
lists them explicitly — importing a module registers nothing.  Every run goes through
``schedules.registry.run(spec, engine, settings, notifier, now, *, dry_run, on_demand)``
and returns a ``JobReport``; every message is one per recipient, job and period.

A push's run has two phases:

1. **build** (one read-only transaction): find the recipients whose local slot is due
   (``schedules.timing``), drop those whose message for the period is settled in the
   ledger, and — only if anyone is left — scan the book set-based
   (``storage.queries``) and word one ``Outbound`` message per key (``schedules.plan``);
2. **deliver** (``schedules.delivery``): per message, claim the key, send, mark it
   sent.  A failed send is marked for retry with backoff; a later tick inside the
   slot's window rebuilds the message from the current book and tries again.

A recipient with nothing to be told gets no message, and their key stays open: a later
tick inside the window looks again, so what comes up meanwhile still goes out, once.
"""

from __future__ import annotations

from schedules.jobs import (
    birthdays,
    digest,
    goals,
    housekeeping,
    lapse,
    reminders,
    rfm,
    tasks,
    team,
    tier_review,
    watchdog,
    week,
    week_team,
)
from schedules.registry import JobTable


def job_table() -> JobTable:
    """Every job, in the order ``kam jobs list`` shows them."""
    return JobTable(
        [
            lapse.JOB,
            birthdays.JOB,
            tasks.JOB,
            reminders.JOB,
            goals.JOB,
            week.JOB,
            week_team.JOB,
            digest.JOB,
            tier_review.JOB,
            housekeeping.JOB,
            rfm.JOB,
            watchdog.JOB,
            team.JOB,
        ]
    )
