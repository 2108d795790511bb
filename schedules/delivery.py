"""Delivering a job's messages: each once, whatever other processes are doing.

    claim (commit) ──► send ──► mark sent + follow-up (commit)
                         └────► mark failed, retry after a backoff (commit)

Each step is its own short transaction and nothing else happens between the send and
its ``sent`` mark: ``storage.ledger`` explains the guarantee and the one window that
remains.  A follow-up (a reminder moving on to its next date) commits with the mark,
inside a savepoint: if it fails, the mark still stands — a message is never sent twice
for a follow-up's sake.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from domain.policy import Policy
from handlers.notify import Notifier, Recipient, SendError
from handlers.replies import Reply
from storage import ledger
from storage.ledger import DeliveryKey
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

    Claims must carry the time they were made (another process judges them stale
    from it), yet a run for a frozen ``now`` must stay at that ``now``.
    """

    def __init__(self, now: datetime) -> None:
        self._start = now
        self._t0 = time.monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


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
                now=clock(),
                worker=worker,
                stale_after=stale_after,
                max_attempts=cfg.max_attempts,
            )
        if held is None:
            report.skipped.append(message.key)
            continue
        try:
            notifier.send(message.recipient, replace(message.reply, once=True))
        except SendError as exc:
            error, retryable = str(exc) or type(exc).__name__, exc.retryable
        except Exception as exc:  # a notifier bug must not leave the claim hanging
            log.exception("sending %s failed unexpectedly", message.key)
            error, retryable = f"{type(exc).__name__}: {exc}", True
        else:
            with unit_of_work(engine) as session:
                marked = ledger.mark_sent(session, held, now=clock())
                if marked and message.after_sent is not None:
                    _follow_up(session, message, clock())
            if not marked:
                log.warning(
                    "%s: the claim expired while sending and was taken over; "
                    "the message may have gone out twice (raise claim_timeout_minutes)",
                    message.key,
                )
            report.sent.append(message)
            continue
        with unit_of_work(engine) as session:
            retry_at = ledger.mark_failed(
                session,
                held,
                now=clock(),
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
