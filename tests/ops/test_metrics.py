"""Metrics: what the dispatcher, the notifier and jobs record, and ``GET /metrics``
scraped over HTTP and parsed as Prometheus parses it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.bootstrap import build_app, build_scheduler
from bot.config import Settings
from bot.metrics import Metrics, MetricsNotifier, start_metrics_server
from domain.errors import Ambiguous, Forbidden, ParseError, Unavailable
from domain.models import Delivery
from handlers.dispatcher import Incoming
from handlers.notify import Recipient, RecordingNotifier, SendError
from handlers.observe import outcome_of
from handlers.replies import Reply
from schedules.scheduler import job_timer
from storage.engine import make_engine
from storage.session import unit_of_work
from tests.harness import Chat, book


def commands(metrics: Metrics, command: str, outcome: str) -> float:
    return metrics.value("kam_commands_total", command=command, outcome=outcome)


def latency_count(metrics: Metrics, command: str) -> float:
    return metrics.value("kam_command_duration_seconds_count", command=command)


def scrape(url: str) -> dict[str, dict[tuple, float]]:
    """``{sample name: {sorted label items: value}}`` of one scrape."""
    r = httpx.get(f"{url}/metrics", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def test_each_command_is_counted_by_name_and_outcome_and_timed(engine):
    book(engine)
    metrics = Metrics()
    chat = Chat(engine, on_command=metrics.observe_command)
    before = {
        key: commands(metrics, *key)
        for key in [
            ("account", "ok"),
            ("account", "user_error"),
            ("visit", "forbidden"),
            ("unknown", "user_error"),
            ("help", "forbidden"),
        ]
    }
    latency_before = latency_count(metrics, "account")

    chat.say("alice", "/account Acme")
    chat.say("alice", "/account new")  # no name: refused with an example
    chat.say("eve", "/visit Acme met Li Wei")  # Acme is East's; eve is West
    chat.say("alice", "/frobnicate")
    chat.say("stranger", "/help")  # not a kam user

    assert commands(metrics, "account", "ok") == before[("account", "ok")] + 1
    assert commands(metrics, "account", "user_error") == before[("account", "user_error")] + 1
    assert commands(metrics, "visit", "forbidden") == before[("visit", "forbidden")] + 1
    assert commands(metrics, "unknown", "user_error") == before[("unknown", "user_error")] + 1
    assert commands(metrics, "help", "forbidden") == before[("help", "forbidden")] + 1
    assert latency_count(metrics, "account") == latency_before + 2


def test_a_database_outage_is_counted_as_unavailable(engine, tmp_path):
    book(engine)
    gone = create_engine(f"sqlite:///{tmp_path}/missing/dir/kam.db")  # cannot be opened
    metrics = Metrics()
    chat = Chat(gone, on_command=metrics.observe_command)
    before = commands(metrics, "account", "unavailable")
    reply = chat.say("alice", "/account Acme")
    assert "try again in a minute" in reply.title
    assert commands(metrics, "account", "unavailable") == before + 1


def test_the_notifier_wrapper_counts_sent_retried_and_failed_by_channel():
    metrics = Metrics()
    inner = RecordingNotifier()
    notifier = MetricsNotifier(inner, metrics)
    slack = Recipient("slack", "user", "U1", "user:alice")
    wecom = Recipient("wecom", "user", "wang", "user:wang")

    notifier.send(slack, Reply(title="hello"))
    inner.fail_next = 1
    with pytest.raises(SendError):
        notifier.send(wecom, Reply(title="hello"))  # retryable by default

    class Refuses:
        def send(self, recipient, reply):
            raise SendError("channel_not_found", retryable=False)

    with pytest.raises(SendError):
        MetricsNotifier(Refuses(), metrics).send(slack, Reply(title="x"))

    assert metrics.value("kam_notifications_total", channel="slack", outcome="sent") == 1
    assert metrics.value("kam_notifications_total", channel="wecom", outcome="retried") == 1
    assert metrics.value("kam_notifications_total", channel="slack", outcome="failed") == 1
    assert metrics.value("kam_notifications_total", channel="wecom", outcome="sent") == 0
    assert len(inner.sent) == 1


def test_the_wrapper_still_offers_what_the_wrapped_notifier_offers():
    inner = RecordingNotifier()
    notifier = MetricsNotifier(inner, Metrics())
    notifier.send(Recipient("console", "user", "a", "user:a"), Reply(title="t"))
    assert notifier.to("user:a")[0].title == "t"


def test_jobs_record_duration_outcome_and_last_success():
    metrics = Metrics()
    metrics.observe_job("lapse", 1.5, ok=True)
    metrics.observe_job("lapse", 0.2, ok=False)
    assert metrics.value("kam_job_runs_total", job="lapse", outcome="ok") == 1
    assert metrics.value("kam_job_runs_total", job="lapse", outcome="error") == 1
    assert metrics.value("kam_job_duration_seconds_count", job="lapse") == 2
    assert metrics.value("kam_job_duration_seconds_sum", job="lapse") == pytest.approx(1.7)
    last = metrics.value("kam_job_last_success_timestamp_seconds", job="lapse")
    assert abs(last - datetime.now(UTC).timestamp()) < 60

    with pytest.raises(RuntimeError), job_timer("digest", metrics.observe_job):
        raise RuntimeError("boom")
    assert metrics.value("kam_job_runs_total", job="digest", outcome="error") == 1
    assert metrics.value("kam_job_last_success_timestamp_seconds", job="digest") == 0


def test_bootstrap_hands_the_apps_metrics_to_the_dispatcher_and_the_scheduler(engine):
    book(engine)
    kam = build_app(Settings(), notifier=RecordingNotifier(), engine=engine)
    kam.dispatcher.handle(Incoming(text="/account Acme", actor="alice"))
    assert kam.metrics.value("kam_commands_total", command="account", outcome="ok") == 1
    tasks = {job.name: job for job in build_scheduler(kam).get_jobs()}["tasks"]
    tasks.func(*tasks.args)  # one scheduled run, as APScheduler would make it
    assert kam.metrics.value("kam_job_runs_total", job="tasks", outcome="ok") == 1


def test_metrics_endpoint_is_prometheus_text_with_commands_jobs_and_ledger_backlog(
    start_server, engine
):
    book(engine)
    now = datetime.now(UTC)
    with unit_of_work(engine) as s:
        for i, status in enumerate(["pending", "pending", "failed", "sent", "sent", "sent"]):
            s.add(
                Delivery(
                    job="lapse",
                    recipient=f"user:u{i}",
                    subject="acct:1",
                    period="2026-11-18",
                    status=status,
                    claimed_at=now - timedelta(minutes=30 if i == 0 else 1),
                )
            )
    server = start_server()
    server.kam.dispatcher.handle(Incoming(text="/account Acme", actor="alice"))
    server.kam.metrics.observe_job("tasks", 0.5, True)

    samples = scrape(server.url)

    assert samples["kam_database_up"][()] == 1
    assert samples["kam_ledger_backlog"][(("status", "pending"),)] == 2
    assert samples["kam_ledger_backlog"][(("status", "failed"),)] == 1
    assert 29 * 60 < samples["kam_ledger_oldest_pending_age_seconds"][()] < 40 * 60
    assert samples["kam_commands_total"][(("command", "account"), ("outcome", "ok"))] >= 1
    buckets = samples["kam_command_duration_seconds_bucket"]
    assert buckets[(("command", "account"), ("le", "+Inf"))] >= 1
    assert samples["kam_job_runs_total"][(("job", "tasks"), ("outcome", "ok"))] >= 1
    assert (("job", "tasks"),) in samples["kam_job_last_success_timestamp_seconds"]


def test_metrics_still_answer_when_the_database_is_down(start_server, engine):
    server = start_server()
    server.kam.engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    samples = scrape(server.url)
    assert samples["kam_database_up"][()] == 0
    assert "kam_ledger_backlog" not in samples


def test_a_process_without_a_web_server_serves_its_metrics_on_a_thread(engine):
    metrics = Metrics()
    metrics.observe_job("digest", 2.0, True)
    server, thread = start_metrics_server(engine, metrics, port=0)
    try:
        samples = scrape(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert samples["kam_job_runs_total"][(("job", "digest"), ("outcome", "ok"))] >= 1
    assert samples["kam_database_up"][()] == 1
    assert samples["kam_ledger_backlog"][(("status", "pending"),)] == 0


def test_outcomes_tell_the_users_mistakes_from_outages_and_bugs():
    assert outcome_of(ParseError("no date")) == "user_error"
    assert outcome_of(Ambiguous("which one?")) == "user_error"
    assert outcome_of(Forbidden("not yours")) == "forbidden"
    assert outcome_of(Unavailable("down")) == "unavailable"
    assert outcome_of(OperationalError("SELECT 1", {}, Exception("gone"))) == "unavailable"
    assert outcome_of(IntegrityError("INSERT", {}, Exception("dup"))) == "error"
    assert outcome_of(ZeroDivisionError()) == "error"
