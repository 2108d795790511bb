"""``pending_question``: migration 0006 up and down, and the claim that lets a question
be answered once (``storage.pending``), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import inspect

from domain.models import PendingQuestion
from storage import pending
from storage.engine import make_engine
from storage.migrate import alembic_config, upgrade
from storage.session import unit_of_work
from tests.harness import book

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


def _ask(engine, user_id: int, *, channel: str | None = None, now: datetime = NOW) -> int:
    with unit_of_work(engine) as s:
        return pending.ask(
            s, user_id=user_id, platform="slack", channel=channel, question="Which?",
            choices=[("A", "/visit Acme a"), ("B", "/visit Acme b")], now=now, minutes=30,
        ).id  # fmt: skip


def test_migration_0006_adds_and_drops_pending_question(empty_database_url):
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0005")
        assert "pending_question" not in inspect(engine).get_table_names()
        upgrade(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("pending_question")}
        assert columns == {"id", "user_id", "platform", "channel", "question", "choices",
                           "created_at", "expires_at", "answered_at", "answer"}  # fmt: skip
        indexes = {i["name"] for i in inspect(engine).get_indexes("pending_question")}
        assert "ix_pending_question_asker" in indexes
        command.downgrade(alembic_config(engine), "0005")
        assert "pending_question" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_question_is_claimed_once_and_not_after_it_expires(engine):
    b = book(engine)
    first, second = _ask(engine, b["alice"]), _ask(engine, b["alice"])
    with unit_of_work(engine) as s:
        assert pending.claim(s, first, answer=2, now=NOW + timedelta(minutes=1))
        assert not pending.claim(s, first, answer=1, now=NOW + timedelta(minutes=1))
        assert not pending.claim(s, second, answer=1, now=NOW + timedelta(minutes=30))
    with unit_of_work(engine, write=False) as s:
        row = s.get(PendingQuestion, first)
        assert (row.answer, row.answered_at) == (2, NOW + timedelta(minutes=1))
        assert row.choices == [{"label": "A", "text": "/visit Acme a"},
                               {"label": "B", "text": "/visit Acme b"}]  # fmt: skip


def test_the_latest_question_is_the_askers_own_in_that_channel(engine):
    b = book(engine)
    in_c1 = _ask(engine, b["alice"], channel="C1")
    in_c2 = _ask(engine, b["alice"], channel="C2", now=NOW + timedelta(seconds=5))
    _ask(engine, b["bob"], channel="C1", now=NOW + timedelta(seconds=9))
    with unit_of_work(engine, write=False) as s:

        def latest(channel, since=NOW):
            row = pending.latest(s, user_id=b["alice"], platform="slack", channel=channel,
                                 since=since)  # fmt: skip
            return row.id if row else None

        assert latest("C1") == in_c1
        assert latest("C2") == in_c2
        assert latest(None) == in_c2  # no channel (console, WeCom): the latest anywhere
        assert latest("C1", since=NOW + timedelta(seconds=1)) is None
