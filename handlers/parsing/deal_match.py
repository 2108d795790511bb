"""Which of an account's deals a loosely typed name means: ``deal_score`` and
``match_deal`` (``SURE`` / ``CLOSE``), for ``/deal`` (``/商机``).
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from handlers.parsing.text import fold

# --- which deal -------------------------------------------------------------------

SURE = "sure"
CLOSE = "close"

_TOKEN = re.compile(r"[0-9a-z\u00c0-\u024f]+|[\u3400-\u9fff\uf900-\ufaff]")


def _tokens(name: str) -> list[str]:
    return _TOKEN.findall(fold(name).casefold())


def _same_word(a: str, b: str) -> float:
    if a == b:
        return 100.0
    if any(ch.isdigit() for ch in a + b) or len(a) == 1 or len(b) == 1:
        return 0.0  # Line 2 is not Line 3; 二期 is not 三期
    score = fuzz.ratio(a, b)
    return score if score >= 75 else 0.0


_STOP = frozenset({"the", "a", "an", "our", "deal", "opp", "opportunity", "商机", "的"})


def _coverage(words: list[str], other: list[str], *, by_length: bool) -> float:
    words = [w for w in words if w not in _STOP or w in other] or words
    if not words:
        return 0.0
    total = sum(len(w) if by_length else 1 for w in words)
    got = sum(
        (len(w) if by_length else 1) * max((_same_word(w, o) for o in other), default=0.0)
        for w in words
    )
    return got / total


def deal_score(typed: str, name: str) -> tuple[float, float]:
    """(how much of what was typed is in the deal's name, how much of the name was typed),
    0–100 each: word order and case do not count, a typo costs little, a different
    number everything (``Line 2`` is not ``Line 3``)."""
    t, d = _tokens(typed), _tokens(name)
    if t == d:
        return 100.0, 100.0
    if fuzz.ratio("".join(t), "".join(d)) >= 92:  # "roll out" / "rollout"
        return 95.0, 95.0
    return _coverage(t, d, by_length=True), _coverage(d, t, by_length=False)


def match_deal(typed: str, names: list[tuple[str, bool]]) -> list[tuple[int, str, float]]:
    """Which of the account's deals (``(name, is_open)``, open ones first) ``typed`` means:
    ``(index, SURE|CLOSE, score)``, best first.  SURE: all that was typed is in the name
    (allowing a typo) and at least a third of the name was typed — an open deal.  CLOSE:
    the grey band (extra words, a different number, or a closed deal) — ask.  Nothing:
    no deal is near; a new one may be made."""
    found: list[tuple[int, str, float]] = []
    numbers = {w for w in _tokens(typed) if any(ch.isdigit() for ch in w)}
    for i, (name, is_open) in enumerate(names):
        typed_in, name_in = deal_score(typed, name)
        other_number = not numbers <= set(_tokens(name))  # "pilot 2" is not "pilot"
        if typed_in >= 90 and name_in >= 33 and not other_number:
            kind = SURE if is_open else CLOSE
        elif typed_in >= 60 or (name_in >= 80 and typed_in >= 30):
            kind = CLOSE
        else:
            continue
        found.append((i, kind, typed_in + name_in / 10 + (5 if is_open else 0)))
    found.sort(key=lambda f: (f[1] != SURE, -f[2]))
    return found
