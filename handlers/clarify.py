"""Asking instead of guessing: a command that is unsure between readings raises
``Choose`` with the choices, each a complete message that kam would run as typed.

    raise Choose(_("which_deal", lang), [Choice("Warehouse robotics pilot", '/deal Acme "…" 1.2m'),
                                         Choice("New deal “robotics pilot”", "/deal Acme new …")])

The dispatcher turns it into a reply with numbered choices (buttons where the platform
has them); nothing is written.  The person answers with a number (``1``, ``reply 1``,
``回复 1``) or a button, and kam runs the chosen message once.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import KamError


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
