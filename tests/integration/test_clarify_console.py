"""The console answers kam's questions the same way: ``1`` or ``reply 1`` (it goes
through the same dispatcher), and shows the numbered choices, not button commands."""

from __future__ import annotations

from sqlmodel import func, select

from bot.bootstrap import build_app
from bot.config import Settings
from bot.console import _run_piped
from domain.models import Interaction
from storage.session import unit_of_work
from tests.harness import book
from tests.integration.test_clarify import ASK, ASK_SPEC


def _visits(engine) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(func.count()).select_from(Interaction)).one()


def _console(engine, lines: list[str], capsys) -> list[str]:
    kam = build_app(Settings(), engine=engine)
    kam.commands.add(ASK_SPEC)
    try:
        _run_piped(kam, "alice", "banner", [line + "\n" for line in lines])
    finally:
        kam.close()
    return capsys.readouterr().out.split("\n\n")


def test_the_console_asks_with_numbers_and_reply_1_answers(engine, capsys):
    book(engine)
    asked, answered, again = _console(engine, [ASK, "reply 1", "1"], capsys)
    assert asked.splitlines() == [
        "! Which did you mean?",
        "(read loosely)",
        "1. Acme met Li Wei about pricing",
        "2. Globex met Tom about pricing",
        "Reply with a number (1–2) to choose; nothing is saved until you do.",
        "The question stays open for 30 minutes.",
    ]
    assert "You chose 1. Acme met Li Wei about pricing" in answered
    assert again.strip() == "! That question was answered already.\nNothing was changed."
    assert _visits(engine) == 1


def test_a_bare_number_in_the_console_with_no_question_is_an_ordinary_message(engine, capsys):
    book(engine)
    [reply] = _console(engine, ["2"], capsys)
    assert not reply.startswith("! That question")
    assert _visits(engine) == 0
