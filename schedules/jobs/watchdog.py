"""Tell the admins when the scheduler comes back after a gap (``storage.heartbeat``).

A scheduler process that starts, or beats again, after no scheduler beat for two
intervals marks the gap on its row.  Every tick this job looks for such marks; once
the catch-up ran (every ticking job has run since the scheduler resumed, or a tick's
time has passed), each admin is told — once per gap, through the delivery ledger —
how long no scheduler ran and what the catch-up sent.  A gap outside the pushes' grace
window also means some messages were not sent at all: the message says so.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from domain.models import Role
from domain.policy import Policy
from handlers.i18n import Catalog
from handlers.notify import Notifier, user_recipient
from handlers.replies import Reply, Severity
from schedules.delivery import JobReport, Outbound, deliver, ledger_name
from schedules.registry import JobSpec
from storage import heartbeat as beats
from storage import queries
from storage.ledger import DeliveryKey
from storage.session import unit_of_work

log = logging.getLogger(__name__)
_ = Catalog("watchdog")

WATCHDOG = "watchdog"
CATCH_UP_WAIT = timedelta(minutes=15)  # a tick: every job has had its turn by then


def run_watchdog(
    engine,
    settings: Policy,
    notifier: Notifier | None,
    now: datetime,
    *,
    dry_run: bool = False,
    on_demand: bool = False,
    worker: str | None = None,
) -> JobReport:
    report = JobReport(WATCHDOG, now, dry_run=dry_run)
    with unit_of_work(engine, write=False) as session:
        gaps = beats.unannounced_gaps(session)
        if not gaps:
            return report
        runs = beats.job_runs(session)
        people = queries.people(session)
        messages: list[Outbound] = []
        told: set[datetime] = set()
        for row in gaps:
            if row.gap_from in told:  # two processes came back together: one message
                continue
            told.add(row.gap_from)
            others = [r for name, r in runs.items() if name != WATCHDOG]
            caught_up = all(r.last_run_at >= row.resumed_at for r in others)
            if not (caught_up or now - row.resumed_at >= CATCH_UP_WAIT or on_demand):
                continue
            sent = beats.sent_since(session, row.resumed_at)
            sent.pop(WATCHDOG, None)
            for admin in (u for u in people.users.values() if u.role == Role.admin.value):
                recipient = user_recipient(admin, people.identities.get(admin.id, {}))
                key = DeliveryKey(
                    WATCHDOG,
                    ledger_name(recipient),
                    "resumed",
                    row.gap_from.isoformat(timespec="minutes"),
                )
                messages.append(Outbound(key, recipient, _reply(row, sent, settings, admin)))
    report.messages = messages
    report.due = len(messages)
    if dry_run or not messages:
        return report
    if notifier is None:
        raise ValueError("a notifier is needed to send")
    deliver(engine, settings, notifier, messages, now=now, report=report, worker=worker)
    return report


def _reply(row, sent: dict[str, int], settings: Policy, admin) -> Reply:
    from schedules.timing import zone

    lang, tz = admin.language or settings.language, zone(admin.timezone, settings)
    length = row.resumed_at - row.gap_from
    hours, minutes = divmod(int(length.total_seconds()) // 60, 60)
    reply = Reply(
        title=_("title", lang, hours=hours, minutes=minutes),
        severity=Severity.warning,
        once=True,
    )
    reply.lines.append(
        _(
            "gap",
            lang,
            start=row.gap_from.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            end=row.resumed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            zone=tz.key,
        )
    )
    if sent:
        caught = " · ".join(f"{job} {n}" for job, n in sorted(sent.items()))
        reply.lines.append(_("caught_up", lang, jobs=caught))
    else:
        reply.lines.append(_("nothing_due", lang))
    if length > timedelta(hours=settings.schedule.misfire_grace_hours):
        reply.lines.append(_("missed", lang, hours=settings.schedule.misfire_grace_hours))
    reply.lines.append(_("check", lang))
    return reply


JOB = JobSpec(
    name=WATCHDOG,
    summary="Tells the admins when the scheduler resumes after a gap, and what it caught up.",
    runner=run_watchdog,
    when=lambda settings: "every tick, after a gap in the scheduler's heartbeat",
    next_at=lambda now, settings: None,
)
