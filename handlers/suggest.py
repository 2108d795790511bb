"""Which command someone probably meant, when nothing in the message was understood.

    "hepl"        a short typo of a command word, with nothing else to go on → help
    "tsaks"                                                                  → tasks

Reached only after ``handlers.understand`` found neither an account nor a lexicon word
(verb forms, synonyms and longer typos are read there and applied); so this is a guess
from the first word alone, and the dispatcher never runs it: it answers "Did you mean
/help?" with the command's own example.
"""

from __future__ import annotations

from handlers.parsing.intents import CN_PARTICLES, first_word_guesses
from handlers.registry import CommandSpec, CommandTable

__all__ = ["CN_PARTICLES", "guess"]

MAX_SUGGESTIONS = 2


def guess(text: str, table: CommandTable) -> list[CommandSpec]:
    """The command(s) ``text``'s first word is one or two edits (or a sound) away from;
    empty when there is no good guess, at most two when two are equally close."""
    words = {w: spec.name for spec in table for w in (spec.name, *spec.aliases)}
    found: list[CommandSpec] = []
    for hit in first_word_guesses(text, words, min_len=3):
        spec = table.find(hit.command)
        if spec is not None and spec not in found:
            found.append(spec)
    return found[:MAX_SUGGESTIONS]
