"""Housekeeping: forget what kam no longer needs to remember (nightly, 03:30 in kam's
time zone).

Ledger rows of messages sent long ago (their periods will not come back), and inbound
records — Slack event ids, WeCom MsgIds and nonces — older than any redelivery.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from sqlalchemy import Engine

from domain.policy import Policy
from handlers.notify import Notifier
from schedules.delivery import JobReport
from schedules.registry import JobSpec
from storage import inbound, ledger
from storage.session import unit_of_work

log = logging.getLogger(__name__)

KEEP_SENT = timedelta(days=90)
INBOUND_KEEP = timedelta(days=2)
"""Slack retries an event for about an hour, WeCom a callback for seconds; nonces matter
for ten minutes.  Two days of inbound records is ample."""


def run_housekeeping(
    engine: Engine,
    settings: Policy,
    notifier: Notifier | None,
    now: datetime,
    *,
    dry_run: bool = False,
    on_demand: bool = False,
    worker: str | None = None,
) -> JobReport:
    """Forget old ledger rows and inbound records; ``dry_run`` counts them and keeps them.

    Sends nothing, so ``notifier``, ``on_demand`` and ``worker`` do not matter.
    """
    if dry_run:  # a read-only transaction: no write lock taken, nothing to roll back
        with unit_of_work(engine, write=False) as session:
            events = inbound.count_before(session, now - INBOUND_KEEP)
            sent = ledger.count_sent_before(session, now - KEEP_SENT)
    else:
        with unit_of_work(engine) as session:
            events = inbound.forget_before(session, now - INBOUND_KEEP)
            sent = ledger.forget_sent_before(session, now - KEEP_SENT)
    verb = "would forget" if dry_run else "forgot"
    report = JobReport(JOB.name, now, dry_run=dry_run)
    report.note = f"{verb} {sent} delivered message(s) and {events} inbound record(s)"
    log.info("%s", report.summary())
    return report


JOB = JobSpec(
    name="housekeeping",
    summary="Forget ledger rows of messages sent over 90 days ago, and inbound records.",
    runner=run_housekeeping,
    daily_at=time(3, 30),
)
