"""Asking instead of guessing: a command that is unsure between readings raises
``Choose`` with the choices, each a complete message that kam would run as typed.

    raise Choose(_("which_deal", lang), [Choice("Warehouse robotics pilot", '/deal Acme "…" 1.2m'),
                                         Choice("New deal “robotics pilot”", "/deal Acme new …")])

The dispatcher keeps the question (``storage.pending``: asker, platform, channel, the
choices, a short expiry — ``settings.question_minutes``) and replies with numbered
choices and buttons (Slack Block Kit; a WeCom template card when
``wecom.question_cards``); nothing else is written.  The person answers with a number
(``1``, ``reply 1``, ``回复 1``, ``选 1``, ``#1``) or a button, whose command is bound to
the question (``answer <id> <n>``, never the raw text).  The answer claims the question
in the transaction that runs the chosen message, so it runs exactly once however often
the button is clicked or the reply delivered; a chosen message may ask again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from domain.errors import KamError
from domain.models import PendingQuestion
from handlers.i18n import Catalog
from handlers.parsing.text import fold
from handlers.replies import Reply, Severity

_ = Catalog("clarify")


@dataclass(frozen=True)
class Choice:
    """One reading kam could take: what the person sees, and the message it runs."""

    label: str
    text: str


class Choose(KamError):
    """Unsure between readings: ask, with ``choices`` (at most five, best first)."""

    def __init__(self, question: str, choices: list[Choice], *, lines: list[str] | None = None):
        super().__init__(question)
        self.question = question
        self.choices = list(choices)[:5]
        self.lines = list(lines or [])


@dataclass(frozen=True)
class Answer:
    """A message that answers a question: the choice's ``number`` (1-based), and the
    question's id when it came from a button (``answer <id> <n>``)."""

    number: int
    question_id: int | None = None


# A button's command: bound to its question, so a second click finds it answered.
_BOUND = re.compile(r"^answer\s+(\d{1,12})\s+(\d{1,2})$", re.IGNORECASE)
# What people type to pick one: 1, #1, reply 1, 回复 1, 选 1, 选第1个, 1.
_NUMBER = re.compile(
    r"^(?:(?:reply|answer|choose|pick|option|回复|选择|选|答)\s*)?"
    r"(?:#|no\.?\s*|第)?\s*(\d{1,2}|[一二三四五])\s*(?:个|项)?\s*[.。!！]?$",
    re.IGNORECASE,
)
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}


def answer_command(question_id: int, number: int) -> str:
    """What a choice's button runs: the answer bound to its question."""
    return f"answer {question_id} {number}"


def read_answer(text: str) -> Answer | None:
    """The answer ``text`` gives, or None when it is not just a choice."""
    folded = fold(text).strip().lstrip("/").strip()
    if len(folded) > 40:
        return None
    if m := _BOUND.match(folded):
        return Answer(int(m.group(2)), int(m.group(1)))
    if m := _NUMBER.match(folded):
        digits = m.group(1)
        return Answer(_CN_DIGITS.get(digits) or int(digits))
    return None


def answered_card(session: Session, question_id: int, lang: str) -> Reply | None:
    """What a question's message becomes once answered: the question and the choice
    taken, without its buttons (None while it is open, or if there is no such question)."""
    question = session.get(PendingQuestion, question_id)
    if question is None or question.answered_at is None or not question.answer:
        return None
    label = question.choices[question.answer - 1]["label"]
    return Reply(
        title=question.question,
        lines=[_("chosen", lang, n=question.answer, label=label)],
        severity=Severity.success,
        question=question.id,
    )
