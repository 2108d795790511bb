"""Asking instead of guessing: a raised ``Choose`` is kept as a pending question, and
its answer (a number, ``reply 1``, ``回复 1``, ``#1`` or a button) runs the chosen
message exactly once, in the transaction that claims the question."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import func, select

from domain.models import Interaction, PendingQuestion
from handlers.clarify import Choice, Choose
from handlers.commands import command_table
from handlers.dispatcher import Incoming
from handlers.registry import CommandSpec
from handlers.replies import Severity
from storage.session import unit_of_work
from tests.harness import Chat, book


def _parse_ask(args: str, pctx) -> list[str]:
    separator = " ; " if " ; " in args else "|"  # ";" asks between questions
    return [part.strip() for part in args.split(separator)]


def _run_ask(ctx, texts: list[str]):
    raise Choose("Which did you mean?", [Choice(t.split(" ", 1)[-1], t) for t in texts],
                 lines=["(read loosely)"])  # fmt: skip


# ``ask A | B``: a command that asks between its texts (``ask A ; B`` when a text is
# itself a question).  Nothing in kam's own table raises Choose on every call.
ASK_SPEC = CommandSpec("ask", (), _parse_ask, _run_ask, writes=True)


def asking_table():
    """Every command, plus ``ask``."""
    table = command_table()
    table.add(ASK_SPEC)
    return table


@pytest.fixture
def chat(engine) -> Chat:
    return Chat(engine, commands=asking_table())


VISIT_ACME = "/visit Acme met Li Wei about pricing"
VISIT_GLOBEX = "/visit Globex met Tom about pricing"
ASK = f"ask {VISIT_ACME} | {VISIT_GLOBEX}"


def _visits(engine) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(func.count()).select_from(Interaction)).one()


def _questions(engine) -> list[PendingQuestion]:
    with unit_of_work(engine, write=False) as s:
        return list(s.exec(select(PendingQuestion).order_by(PendingQuestion.id)).all())


def _ordinary(reply) -> bool:
    """The ordinary answer to a message kam did not understand (not about a question)."""
    return reply.title.startswith(("I didn't understand", "Did you mean")) and not reply.actions


def test_a_question_is_kept_and_asked_with_numbers_and_buttons(engine, chat):
    b = book(engine)
    reply = chat.say("alice", ASK)
    assert reply.severity == Severity.warning
    assert reply.title == "Which did you mean?"
    assert reply.lines[:3] == [
        "(read loosely)",
        "1. Acme met Li Wei about pricing",
        "2. Globex met Tom about pricing",
    ]
    assert "Reply with a number (1–2)" in reply.lines[3]
    [q] = _questions(engine)
    assert (q.user_id, q.platform, q.channel) == (b["alice"], "console", None)
    assert [c["text"] for c in q.choices] == [VISIT_ACME, VISIT_GLOBEX]
    assert q.expires_at - q.created_at == timedelta(minutes=30)
    assert q.answered_at is None
    assert reply.question == q.id
    # buttons answer the question by its id, never run the raw text
    assert [a.command for a in reply.actions] == [f"answer {q.id} 1", f"answer {q.id} 2"]
    assert _visits(engine) == 0


@pytest.mark.parametrize("answer", ["1", "reply 1", "回复 1", "回复1", "选 1", "#1", "＃１", "1."])
def test_a_typed_number_runs_the_chosen_message_once(engine, chat, answer):
    book(engine)
    chat.say("alice", ASK)
    reply = chat.say("alice", answer)
    assert reply.severity == Severity.success, reply.plain_lines()
    assert reply.lines[0] == "You chose 1. Acme met Li Wei about pricing"
    assert _visits(engine) == 1
    assert _questions(engine)[0].answer == 1
    again = chat.say("alice", answer)
    assert again.title == "That question was answered already."
    assert again.lines == ["Nothing was changed."]
    assert _visits(engine) == 1


def test_the_button_answers_its_own_question_and_a_second_click_is_refused(engine, chat):
    book(engine)
    asked = chat.say("alice", ASK)
    first = chat.say("alice", asked.actions[1].command)
    assert first.severity == Severity.success
    assert first.lines[0] == "You chose 2. Globex met Tom about pricing"
    second = chat.say("alice", asked.actions[1].command)
    third = chat.say("alice", asked.actions[0].command)
    assert second.title == third.title == "That question was answered already."
    assert _visits(engine) == 1


def test_only_the_asker_can_answer(engine, chat):
    book(engine)
    asked = chat.say("alice", ASK)
    refused = chat.say("carol", asked.actions[0].command)
    assert refused.title == "That question was asked of someone else; only they can answer it."
    assert _visits(engine) == 0
    # carol's own bare number does not reach alice's question: an ordinary message
    assert _ordinary(chat.say("carol", "1"))
    assert chat.say("alice", "1").severity == Severity.success
    assert _visits(engine) == 1


def test_an_expired_question_changes_nothing(engine, chat):
    book(engine)
    asked = chat.say("alice", ASK)
    chat.now += timedelta(minutes=31)
    reply = chat.say("alice", "2")
    assert reply.title == "That question has expired; send the message again."
    assert reply.lines == ["Nothing was changed."]
    assert chat.say("alice", asked.actions[0].command).title == reply.title
    assert _visits(engine) == 0
    assert _questions(engine)[0].answered_at is None


def test_a_number_without_a_question_is_an_ordinary_message(engine, chat):
    book(engine)
    assert _ordinary(chat.say("alice", "1"))
    chat.say("alice", ASK)
    chat.now += timedelta(days=2)  # forgotten: no longer "expired", just a number
    assert _ordinary(chat.say("alice", "1"))


def test_a_number_out_of_range_asks_again(engine, chat):
    book(engine)
    chat.say("alice", ASK)
    reply = chat.say("alice", "3")
    assert reply.title == "Which did you mean?"
    assert "Reply with a number (1–2)" in reply.lines[-1]
    assert _questions(engine)[0].answered_at is None
    assert chat.say("alice", "2").severity == Severity.success


def test_the_latest_question_is_answered(engine, chat):
    book(engine)
    chat.say("alice", ASK)
    chat.say("alice", f"ask {VISIT_GLOBEX} | {VISIT_ACME}")
    assert chat.say("alice", "1").lines[0] == "You chose 1. Globex met Tom about pricing"


def test_a_chosen_text_may_ask_again(engine, chat):
    book(engine)
    chat.say("alice", f"ask {ASK} ; /visit Acme nothing")
    second = chat.say("alice", "1")
    assert second.title == "Which did you mean?"
    first, follow_up = _questions(engine)
    assert first.answer == 1 and first.answered_at is not None
    assert follow_up.answered_at is None
    assert chat.say("alice", "2").lines[0] == "You chose 2. Globex met Tom about pricing"
    assert _visits(engine) == 1


def test_a_chosen_text_that_fails_leaves_the_question_open(engine, chat):
    book(engine)
    chat.say("alice", "ask /visit Acme tomorrow met someone | /visit Acme met Li Wei")
    failed = chat.say("alice", "1")
    assert failed.severity == Severity.error
    assert _questions(engine)[0].answered_at is None
    assert chat.say("alice", "2").severity == Severity.success


def test_chinese_reader_is_asked_and_answered_in_chinese(engine, chat):
    book(engine)
    asked = chat.say("wang", "ask /拜访 华夏重工 见了王建国 | /拜访 华夏重工 见了李娜")
    assert "回复编号（1–2）" in asked.lines[-2]
    reply = chat.say("wang", "回复 2")
    assert reply.lines[0] == "你选择了 2. 华夏重工 见了李娜"
    assert chat.say("wang", "回复 2").title == "这个问题已经回答过了。"


def test_same_channel_only(engine, chat):
    book(engine)
    chat.dispatcher.handle(Incoming(text=ASK, actor="U0ALICE", platform="slack", channel="C1"))
    elsewhere = chat.dispatcher.handle(
        Incoming(text="1", actor="U0ALICE", platform="slack", channel="C2")
    )
    assert _ordinary(elsewhere)
    there = chat.dispatcher.handle(
        Incoming(text="1", actor="U0ALICE", platform="slack", channel="C1")
    )
    assert there.severity == Severity.success
    assert _visits(engine) == 1


@pytest.mark.parametrize("how", ["button", "typed"])
def test_the_same_answer_four_times_at_once_runs_it_once(engine, chat, how):
    """Four deliveries of the same click or reply, in threads: one runs it, the others
    are refused (PostgreSQL: a second UPDATE waits for the first and finds the row taken)."""
    book(engine)
    asked = chat.say("alice", ASK)
    text = asked.actions[0].command if how == "button" else "回复 1"
    replies = []
    barrier = threading.Barrier(4)

    def click() -> None:
        barrier.wait()
        replies.append(chat.say("alice", text))

    threads = [threading.Thread(target=click) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.severity for r in replies].count(Severity.success) == 1
    refused = [r.title for r in replies if r.severity != Severity.success]
    assert refused == ["That question was answered already."] * 3
    assert _visits(engine) == 1


def test_a_chosen_text_is_read_as_a_message_is(engine, chat):
    """A choice may be any message kam runs as typed: a bare account name is its summary."""
    book(engine)
    chat.say("alice", "ask Acme | Globex")
    reply = chat.say("alice", "2")
    assert reply.lines[0] == "You chose 2. Globex"
    assert reply.title.startswith("Globex")
    assert _questions(engine)[0].answer == 2
