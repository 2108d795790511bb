"""The inbox's rules, on SQLite and PostgreSQL (``storage.inbound``, ``handlers.inbox``).

Kept before the ack; done in the command's own transaction; a rerun of a message that
already committed rolls back whole; a dead process's message is taken over once its
lease runs out, by one sweeper only; a message that keeps failing is given up, said so.
"""

from __future__ import annotations

import contextlib
import json
import threading
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from domain.models import InboundEvent, InboundState, Interaction
from handlers.dispatcher import Incoming
from handlers.inbox import (
    MAX_ATTEMPTS,
    Inbox,
    outcome_from_dict,
    reply_from_dict,
    reply_to_dict,
)
from handlers.replies import Action, Chart, Field, Reply, Section, Series, Severity, Visibility
from storage import inbound
from storage.inbound import AlreadyDone, Taken
from storage.session import unit_of_work
from tests.harness import Chat, book

LEASE = timedelta(seconds=30)


def _inbox(engine, lease: timedelta = LEASE, chat: Chat | None = None) -> Inbox:
    return Inbox(engine, (chat or Chat(engine)).dispatcher, lease)


def _visits(engine, note: str) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(
            select(func.count()).select_from(Interaction).where(Interaction.notes.contains(note))
        ).one()


def _row(engine, key: str) -> InboundEvent:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(InboundEvent).where(InboundEvent.event_key == key)).one()


def _visit(note: str) -> Incoming:
    return Incoming(text=f"/visit Acme {note}", actor="alice", platform="console")


def test_a_reply_survives_its_json_whole():
    reply = Reply(
        title="t",
        fields=[Field("a", "b")],
        sections=[Section("s", ("x", "y")), Section(None)],
        lines=["l"],
        actions=[Action("Done", "done 3", style="primary")],
        footer="f",
        severity=Severity.success,
        visibility=Visibility.public,
        question=7,
        chart=Chart(
            "stacked",
            "回款预测",
            ("1月", "2月"),
            (Series("确定", (1.5, 2.0)), Series("最佳", (0.5, 1.0), stacked=True)),
            alt="a",
            unit="¥",
            reference=(3.0, None),
            reference_label="目标",
        ),
    )
    assert reply_from_dict(json.loads(json.dumps(reply_to_dict(reply)))) == reply
    assert reply_from_dict(reply_to_dict(Reply(title="t"))).chart is None


def test_a_message_is_kept_run_once_and_answered(engine):
    book(engine)
    inbox = _inbox(engine)
    taken, kept = inbox.take("k1", _visit("kept k1"), {"user": "alice"})
    assert taken == Taken.new and _row(engine, "k1").state == InboundState.received
    reply = inbox.run(kept)
    assert reply is not None and reply.severity == Severity.success
    row = _row(engine, "k1")
    assert row.state == InboundState.done and outcome_from_dict(row.reply) == (reply, [])
    assert inbox.run(kept) is None  # a second run of it rolls back whole
    assert _visits(engine, "kept k1") == 1
    inbox.answered("console", "k1")
    row = _row(engine, "k1")
    assert row.state == InboundState.answered and row.payload is None and row.reply is None
    assert inbox.take("k1", _visit("kept k1"), {})[0] == Taken.finished


def test_a_message_whose_lease_holds_is_busy_and_then_resumed(engine):
    book(engine)
    inbox = _inbox(engine, timedelta(seconds=30))
    inbox.take("k2", _visit("busy k2"), {"user": "alice"})
    assert inbox.take("k2", _visit("busy k2"), {}) == (Taken.busy, None)
    with unit_of_work(engine) as s:  # the process died; its lease runs out
        row = s.exec(select(InboundEvent).where(InboundEvent.event_key == "k2")).one()
        row.lease_until = row.lease_until - timedelta(minutes=1)
    taken, kept = inbox.take("k2", _visit("busy k2"), {})
    assert taken == Taken.resume and kept.attempts == 2
    assert kept.incoming.text == "/visit Acme busy k2"
    inbox.run(kept)
    assert _visits(engine, "busy k2") == 1


def test_a_failed_command_is_done_with_its_error_and_changes_nothing(engine):
    book(engine)
    inbox = _inbox(engine)
    nowhere = Incoming(text="/visit Acme tomorrow x", actor="alice", platform="console")
    _taken, kept = inbox.take("k3", nowhere, {})
    reply = inbox.run(kept)
    assert reply.severity == Severity.error
    assert _row(engine, "k3").state == InboundState.done


def test_a_message_that_keeps_dying_is_given_up_and_said_so(engine):
    book(engine)
    inbox = _inbox(engine, timedelta(seconds=0))
    inbox.take("k4", _visit("poison k4"), {"user": "alice"})
    kept = None
    for _ in range(MAX_ATTEMPTS):
        [kept] = inbox.due(["console"])  # each run "died": nothing committed
    assert kept.attempts == MAX_ATTEMPTS + 1
    reply = inbox.run(kept)
    assert reply.severity == Severity.error and "again" in reply.lines[0]
    assert _visits(engine, "poison k4") == 0
    assert _row(engine, "k4").state == InboundState.done


def test_two_sweepers_never_take_the_same_message(engine):
    book(engine)
    inbox = _inbox(engine, timedelta(seconds=0))
    for i in range(6):
        inbox.take(f"s{i}", _visit(f"sweep s{i}"), {})
    inbox.lease = timedelta(seconds=30)
    taken: list[list[str]] = []
    barrier = threading.Barrier(2)

    def sweep() -> None:
        barrier.wait()
        taken.append([kept.key for kept in inbox.due(["console"])])

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keys = [key for batch in taken for key in batch]
    assert sorted(keys) == [f"s{i}" for i in range(6)]  # each once, between them


def test_concurrent_runs_of_one_message_take_effect_once(engine):
    """Two processes both think the message is theirs (a lease ran out under a slow
    command): the second to commit finds it done and rolls back, visit included."""
    book(engine)
    inbox = _inbox(engine)
    _taken, kept = inbox.take("c1", _visit("concurrent c1"), {})
    barrier = threading.Barrier(4)
    replies: list[object] = []

    def run() -> None:
        barrier.wait()
        replies.append(inbox.run(kept))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _visits(engine, "concurrent c1") == 1
    assert sum(reply is not None for reply in replies) == 1


def test_complete_moves_only_a_received_row(engine):
    with unit_of_work(engine) as s:
        inbound.take_in(s, "slack", "x1", {"incoming": {}}, LEASE)
    with unit_of_work(engine) as s:
        inbound.complete(s, "slack", "x1", {"title": "ok"}, LEASE)
    try:
        with unit_of_work(engine) as s:
            inbound.complete(s, "slack", "x1", {"title": "again"}, LEASE)
    except AlreadyDone:
        pass
    else:
        raise AssertionError("a done message was completed twice")
    assert _row(engine, "x1").reply == {"title": "ok"}


def test_housekeeping_keeps_what_is_not_answered(engine):
    from datetime import UTC, datetime

    with unit_of_work(engine) as s:
        inbound.take_in(s, "slack", "old-unanswered", {"incoming": {}}, LEASE)
        inbound.claim_event(s, "slack", "old-answered")
    later = datetime.now(UTC) + timedelta(days=3)
    with unit_of_work(engine) as s:
        assert inbound.count_before(s, later) == 1
        assert inbound.forget_before(s, later) == 1
    assert _row(engine, "old-unanswered").state == InboundState.received


class _Killed(BaseException):
    """The process dies here (nothing after it runs, nothing catches it)."""


def test_notifications_a_dead_process_did_not_send_are_sent_by_whoever_finishes(
    engine, monkeypatch
):
    """bob logs a visit on wang's account; kam dies after the commit, before telling wang.
    The finisher sends wang's notification, then the answer; a second finish sends
    nothing again."""
    book(engine)
    chat = Chat(engine)
    inbox = _inbox(engine, timedelta(seconds=0), chat)
    visit = Incoming(text="/visit 华夏重工 今天 电话沟通交付 o1", actor="bob", platform="console")
    _taken, kept = inbox.take("o1", visit, {})
    with monkeypatch.context() as m:
        m.setattr(type(chat.dispatcher), "send_outbox", lambda self, outbox: _raise(_Killed()))
        with contextlib.suppress(_Killed):
            inbox.run(kept)
    assert chat.notifier.sent == [] and _visits(engine, "o1") == 1
    [again] = inbox.due(["console"])
    assert again.reply is not None and [to.key for to, _r in again.outbox] == ["user:wang"]
    answer = inbox.answer(again)
    assert answer == again.reply
    [(recipient, note)] = chat.notifier.sent
    assert recipient.key == "user:wang" and "华夏重工" in note.title
    [third] = inbox.due(["console"])  # killed again before it was marked answered
    assert third.outbox == () and inbox.answer(third) == answer
    assert len(chat.notifier.sent) == 1 and _visits(engine, "o1") == 1


def test_a_bug_in_a_command_is_answered_once_and_not_retried(engine, monkeypatch):
    book(engine)
    chat = Chat(engine)
    inbox = _inbox(engine, timedelta(seconds=0), chat)
    _taken, kept = inbox.take("b1", _visit("bug b1"), {})
    monkeypatch.setattr(type(chat.dispatcher), "_run", lambda *a: _raise(ZeroDivisionError()))
    reply = inbox.run(kept)
    assert reply.severity == Severity.error and "unexpected" in reply.title
    assert _row(engine, "b1").state == InboundState.done
    assert inbox.due(["console"])[0].reply == reply  # answered, never run again


def _raise(exc: BaseException):
    raise exc
