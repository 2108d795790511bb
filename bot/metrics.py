"""What kam is doing, in numbers: the Prometheus metrics behind ``GET /metrics``.

    kam_commands_total{command, outcome}           outcome: ok | asked | user_error | forbidden |
                                                   unavailable | error
    kam_command_duration_seconds{command}          histogram, whole message to reply
    kam_notifications_total{channel, outcome}      outcome: sent | retried | failed
    kam_job_runs_total{job, outcome}               outcome: ok | error
    kam_job_duration_seconds{job}                  histogram
    kam_job_last_success_timestamp_seconds{job}    unix time of the last good run
    kam_ledger_backlog{status}                     delivery rows pending | failed  ┐ read from
    kam_ledger_oldest_pending_age_seconds          oldest pending claim            ├ the database
    kam_database_up                                1 if the scrape could read it   ┘ at scrape time

``kam run`` serves them at ``GET /metrics``; ``start_metrics_server`` serves them from a
process without a web server (``kam scheduler``, where the job metrics are recorded).
The dispatcher and the scheduler know nothing of Prometheus: ``bot.bootstrap`` hands
them ``Metrics.observe_command`` and ``Metrics.observe_job`` as their observers.

``command`` is a name from the command table (or ``unknown``), never what someone
typed, so the number of series stays small.  A notification that failed but will be
tried again (``SendError.retryable``) counts as ``retried``; one that will not, as
``failed``.

The counters live in the app's ``Metrics`` (``App.metrics``, built by ``bot.bootstrap``)
with its own ``CollectorRegistry`` (never prometheus_client's global one).  Each replica counts for itself and is
scraped on its own; the ledger figures come from the shared database, so every
replica reports the same backlog.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from domain.models import Delivery, DeliveryStatus
from handlers.notify import Notifier, Recipient, SendError
from handlers.observe import OUTCOMES
from handlers.replies import Reply
from storage.clock import db_now

log = logging.getLogger(__name__)

COMMAND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
BACKLOG = (DeliveryStatus.pending.value, DeliveryStatus.failed.value)


class Metrics:
    """kam's metrics in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.commands = Counter(
            "kam_commands", "Chat commands handled, by outcome.", ["command", "outcome"], registry=r
        )
        self.command_seconds = Histogram(
            "kam_command_duration_seconds",
            "Time from a message to its reply, including the database.",
            ["command"],
            buckets=COMMAND_BUCKETS,
            registry=r,
        )
        self.notifications = Counter(
            "kam_notifications",
            "Pushed messages: sent, failed for good, or failed and to be retried.",
            ["channel", "outcome"],
            registry=r,
        )
        self.job_runs = Counter(
            "kam_job_runs", "Scheduled job runs, by outcome.", ["job", "outcome"], registry=r
        )
        self.job_seconds = Histogram(
            "kam_job_duration_seconds",
            "How long a scheduled job run took.",
            ["job"],
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.job_last_success = Gauge(
            "kam_job_last_success_timestamp_seconds",
            "Unix time when the job last finished without error.",
            ["job"],
            registry=r,
        )

    # -- recording ---------------------------------------------------------------------

    def observe_command(self, command: str, outcome: str, seconds: float) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown command outcome {outcome!r}")
        self.commands.labels(command, outcome).inc()
        self.command_seconds.labels(command).observe(seconds)

    def observe_notification(self, channel: str, outcome: str) -> None:
        if outcome not in ("sent", "retried", "failed"):
            raise ValueError(f"unknown notification outcome {outcome!r}")
        self.notifications.labels(channel, outcome).inc()

    def observe_job(self, name: str, seconds: float, ok: bool) -> None:
        self.job_runs.labels(name, "ok" if ok else "error").inc()
        self.job_seconds.labels(name).observe(seconds)
        if ok:
            self.job_last_success.labels(name).set(time.time())

    # -- reading -----------------------------------------------------------------------

    def value(self, name: str, **labels: str) -> float:
        """One sample's current value (0 when it has not been recorded yet)."""
        return self.registry.get_sample_value(name, labels) or 0.0

    def exposition(self, engine: Engine | None = None) -> tuple[bytes, str]:
        """The Prometheus text format and its content type; with ``engine``, the ledger too."""
        collectors: list[_Collector] = [self.registry]
        if engine is not None:
            collectors.append(LedgerCollector(engine))
        return generate_latest(_Together(collectors)), CONTENT_TYPE_LATEST


class _Collector(Protocol):  # all generate_latest needs of a registry
    def collect(self) -> Iterable[Metric]: ...


@dataclass(frozen=True)
class _Together:
    parts: list[_Collector]

    def collect(self) -> Iterator[Metric]:
        for part in self.parts:
            yield from part.collect()


@dataclass(frozen=True)
class LedgerCollector:
    """The delivery ledger's backlog, counted in one query when Prometheus scrapes."""

    engine: Engine

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "kam_database_up", "1 if this scrape could read kam's database, else 0."
        )
        backlog = GaugeMetricFamily(
            "kam_ledger_backlog",
            "Scheduled messages not yet delivered: pending (claimed) or failed.",
            labels=["status"],
        )
        oldest = GaugeMetricFamily(
            "kam_ledger_oldest_pending_age_seconds",
            "Age of the oldest pending claim (0 when there is none).",
        )
        query = (
            select(Delivery.status, func.count(), func.min(Delivery.claimed_at))
            .where(Delivery.status.in_(BACKLOG))
            .group_by(Delivery.status)
        )
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
                now = db_now(conn)  # claims are stamped by the database's clock
        except (SQLAlchemyError, PoolTimeout) as exc:
            log.warning("metrics: ledger not readable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        counts = {status: (n, first) for status, n, first in rows}
        for status in BACKLOG:
            backlog.add_metric([status], counts.get(status, (0, None))[0])
        first_pending = counts.get(DeliveryStatus.pending.value, (0, None))[1]
        age = (now - first_pending).total_seconds() if first_pending else 0.0
        oldest.add_metric([], max(age, 0.0))
        yield from (up, backlog, oldest)


def start_metrics_server(
    engine: Engine, metrics: Metrics, *, host: str = "127.0.0.1", port: int = 9464
) -> tuple[WSGIServer, threading.Thread]:
    """Serve ``metrics`` (and the ledger) on a background thread: for ``kam scheduler``,
    which has no web server of its own.  ``port=0`` picks a free port
    (``server.server_port``); stop it with ``server.shutdown()``."""
    collector = _Together([metrics.registry, LedgerCollector(engine)])
    return start_http_server(port, host, registry=collector)


class MetricsNotifier:
    """Wraps any ``Notifier`` and counts what became of each send, by platform."""

    def __init__(self, inner: Notifier, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    def send(self, recipient: Recipient, reply: Reply) -> None:
        channel = recipient.platform
        try:
            self.inner.send(recipient, reply)
        except SendError as exc:
            self.metrics.observe_notification(channel, "retried" if exc.retryable else "failed")
            raise
        except BaseException:
            self.metrics.observe_notification(channel, "failed")
            raise
        self.metrics.observe_notification(channel, "sent")
        log.info(
            "notification sent",
            extra={"channel": channel, "recipient": recipient.key, "kind": recipient.kind},
        )

    def __getattr__(self, name: str):
        # RoutingNotifier.platforms and the like stay reachable through the wrapper.
        return getattr(self.inner, name)
