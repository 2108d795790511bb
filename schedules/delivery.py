"""Delivering a job's messages: each once, whatever other processes are doing.

    claim (commit) ──► send ──► mark sent + follow-up (commit)
                         └────► mark failed, retry after a backoff (commit)

Each step is its own short transaction and nothing else happens between the send and
its ``sent`` mark: ``storage.ledger`` explains the guarantee and the one window that
remains.  Claims are stamped and judged by the database's clock (``storage.clock``),
never this process's, and a heartbeat thread renews the claim while the send is in
flight, every third of the claim timeout: a slow send keeps its claim, a dead process
loses it after the timeout.  The failpoints ``job.claimed``, ``job.sent`` and
``job.marked`` (``handlers.failpoints``) sit after each step, for ``tests/chaos``.  A follow-up (a reminder moving on to its next date) commits with the mark,
inside a savepoint: if it fails, the mark still stands — a message is never sent twice
for a follow-up's sake.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from domain.policy import Policy
from handlers import failpoints
from handlers.notify import Notifier, Recipient, SendError
from handlers.replies import Reply
from storage import ledger
from storage.clock import db_now
from storage.ledger import Claim, DeliveryKey
from storage.session import unit_of_work

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outbound:
    """One message: its ledger key, where it goes, what it says, what follows a send."""

    key: DeliveryKey
    recipient: Recipient
    reply: Reply
    after_sent: Callable[[Session, datetime], None] | None = None


@dataclass
class JobReport:
    """What a run built and what became of each message.

    ``due`` counts the recipients whose slot had come and whose key was still open;
    ``skipped`` are keys another process had sent or was sending; ``failed`` holds the
    error and when the key may be retried (None: given up).  A job that sends nothing
    (housekeeping) says what it did in ``note``.
    """

    job: str
    now: datetime
    dry_run: bool = False
    due: int = 0
    messages: list[Outbound] = field(default_factory=list)
    sent: list[Outbound] = field(default_factory=list)
    skipped: list[DeliveryKey] = field(default_factory=list)
    failed: list[tuple[DeliveryKey, str, datetime | None]] = field(default_factory=list)
    note: str = ""

    def summary(self) -> str:
        if self.note:
            return f"{self.job}: {self.note}"
        if self.dry_run:
            return (
                f"{self.job}: {len(self.messages)} message(s) would be sent "
                f"({self.due} recipient(s) due)"
            )
        if not (self.messages or self.sent or self.skipped or self.failed):
            return f"{self.job}: nothing to send ({self.due} recipient(s) due)"
        parts = [f"{len(self.sent)} sent"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} already sent or in progress elsewhere")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return f"{self.job}: " + ", ".join(parts) + f" ({self.due} recipient(s) due)"


def ledger_name(recipient: Recipient) -> str:
    """The recipient part of a delivery key: a user, or one chat of a team.

    A team may have a Slack channel *and* a WeCom chat under the same ``team:X`` key;
    each is its own delivery.
    """
    if recipient.kind == "user":
        return recipient.key
    return f"{recipient.key}:{recipient.platform}:{recipient.kind}"


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class _Clock:
    """``now`` as the run was asked for, moving on as the run takes real time.

    This is the *job's* time (what a follow-up such as a reminder's next date is
    reckoned from); claims never use it — they take the database's clock.
    """

    def __init__(self, now: datetime) -> None:
        self._start = now
        self._t0 = time.monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


class _Heartbeat:
    """Renews ``held`` every ``every`` while a send is in flight, from its own thread.

    A renewal that finds the claim gone (taken over: this process was cut off from the
    database for longer than the timeout) stops and says so; a renewal that fails (the
    database is unreachable) is logged and tried again at the next beat.
    """

    def __init__(self, engine: Engine, held: Claim, every: timedelta) -> None:
        self._engine, self._held = engine, held
        self._every = max(every.total_seconds(), 0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"kam-claim-{held.id}", daemon=True)
        self.renewals = 0
        self.lost = False

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._every):
            try:
                with unit_of_work(self._engine) as session:
                    kept = ledger.renew(session, self._held, now=db_now(session))
            except Exception as exc:  # noqa: BLE001 - the send goes on; the next beat retries
                log.warning("could not renew the claim on %s: %s", self._held.key, exc)
                continue
            if not kept:
                self.lost = True
                log.warning(
                    "%s: the claim was taken over while sending (renewals failed for "
                    "longer than the claim timeout)",
                    self._held.key,
                )
                return
            self.renewals += 1


def deliver(
    engine: Engine,
    settings: Policy,
    notifier: Notifier,
    messages: list[Outbound],
    *,
    now: datetime,
    report: JobReport,
    worker: str | None = None,
) -> None:
    """Claim, send, mark: each message once, whatever other processes are doing."""
    cfg = settings.schedule
    stale_after = timedelta(minutes=cfg.claim_timeout_minutes)
    worker = worker or worker_id()
    clock = _Clock(now)
    for message in messages:
        with unit_of_work(engine) as session:
            held = ledger.claim(
                session,
                message.key,
                now=db_now(session),
                worker=worker,
                stale_after=stale_after,
                max_attempts=cfg.max_attempts,
            )
        if held is None:
            report.skipped.append(message.key)
            continue
        failpoints.hit("job.claimed")
        try:
            with _Heartbeat(engine, held, stale_after / 3):
                notifier.send(message.recipient, replace(message.reply, once=True))
        except SendError as exc:
            error, retryable = str(exc) or type(exc).__name__, exc.retryable
        except Exception as exc:  # a notifier bug must not leave the claim hanging
            log.exception("sending %s failed unexpectedly", message.key)
            error, retryable = f"{type(exc).__name__}: {exc}", True
        else:
            failpoints.hit("job.sent")
            with unit_of_work(engine) as session:
                marked = ledger.mark_sent(session, held, now=db_now(session))
                if marked and message.after_sent is not None:
                    _follow_up(session, message, clock())
            failpoints.hit("job.marked")
            if not marked:
                log.warning(
                    "%s: the claim was taken over while sending; "
                    "the message may have gone out twice",
                    message.key,
                )
            report.sent.append(message)
            continue
        with unit_of_work(engine) as session:
            retry_at = ledger.mark_failed(
                session,
                held,
                now=db_now(session),
                error=error,
                retryable=retryable,
                max_attempts=cfg.max_attempts,
            )
        log.warning("%s not sent (attempt %d): %s", message.key, held.attempts, error)
        report.failed.append((message.key, error, retry_at))


def _follow_up(session: Session, message: Outbound, now: datetime) -> None:
    """What follows a send, committed with its ``sent`` mark — or, if it fails, without
    it (a savepoint): the message must never be sent again for a follow-up's sake."""
    try:
        with session.begin_nested():
            message.after_sent(session, now)
    except Exception:
        log.exception("after sending %s", message.key)
