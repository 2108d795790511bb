"""Finding accounts and contacts by the names people type.

    resolve(query, candidates) -> Candidate        (raises NotFound / Ambiguous / ParseError)
    closest(query, candidates, n=3) -> list[str]
    split_account_and_rest(text, candidates) -> (Candidate, rest)

People in messages — ``match_contacts``, ``extract_new_contacts``, ``read_people``,
the surname helpers — live in :mod:`handlers.parsing.people` and are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from domain.errors import Ambiguous, NotFound, ParseError
from domain.names import name_key

from .people import (
    COMPOUND_SURNAMES,
    ContactMatches,
    NewContact,
    People,
    chinese_surname,
    extract_new_contacts,
    latin_surnames,
    match_contacts,
    read_people,
)
from .text import is_cjk, normalize

__all__ = [
    "COMPOUND_SURNAMES",
    "Candidate",
    "ContactMatches",
    "NewContact",
    "People",
    "chinese_surname",
    "closest",
    "extract_new_contacts",
    "latin_surnames",
    "match_contacts",
    "read_people",
    "resolve",
    "split_account_and_rest",
]

FUZZY_CUTOFF = 85.0
FUZZY_GAP = 5.0
MIN_PREFIX = 2


@dataclass(frozen=True)
class Candidate:
    """Something that can be named: an account, a contact, a user."""

    key: Any
    name: str
    aliases: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


# ---------------------------------------------------------------------------
# Keys


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _compact(text: str) -> str:
    """``name_key`` without spaces and punctuation: ``Acme-Corp`` = ``acme corp``."""
    return "".join(ch for ch in name_key(text) if ch.isalnum())


# ---------------------------------------------------------------------------
# resolve / closest


def _scores(query: str, candidates: Sequence[Candidate]) -> list[float]:
    """Best WRatio of ``query`` against each candidate's name and aliases."""
    best = [0.0] * len(candidates)
    query_key = name_key(query)
    if not query_key:
        return best
    choices: list[str] = []
    owners: list[int] = []
    for i, cand in enumerate(candidates):
        for label in cand.labels:
            choices.append(name_key(label))
            owners.append(i)
    for _choice, score, index in process.extract(
        query_key, choices, scorer=fuzz.WRatio, limit=None
    ):
        owner = owners[index]
        best[owner] = max(best[owner], float(score))
    return best


def _ranked(query: str, candidates: Sequence[Candidate]) -> list[tuple[float, int]]:
    scores = _scores(query, candidates)
    return sorted(
        ((score, i) for i, score in enumerate(scores)),
        key=lambda pair: (-pair[0], candidates[pair[1]].name),
    )


def _names(indices: Sequence[int], candidates: Sequence[Candidate], n: int = 3) -> list[str]:
    names: list[str] = []
    for i in indices:
        if candidates[i].name not in names:
            names.append(candidates[i].name)
        if len(names) == n:
            break
    return names


def closest(query: str, candidates: Sequence[Candidate], n: int = 3) -> list[str]:
    """The names of the ``n`` candidates that look most like ``query``, best first."""
    return _names([i for _score, i in _ranked(query, candidates)], candidates, n)


def _unique(query: str, hits: list[int], candidates: Sequence[Candidate]) -> Candidate | None:
    """One hit → it; several → Ambiguous (closest first); none → None."""
    distinct = list(dict.fromkeys(hits))
    if not distinct:
        return None
    if len(distinct) == 1:
        return candidates[distinct[0]]
    order = {i: rank for rank, (_s, i) in enumerate(_ranked(query, candidates))}
    distinct.sort(key=lambda i: order[i])
    raise Ambiguous(
        "name_ambiguous",  # worded by handlers.errors
        candidates=_names(distinct, candidates),
        query=query,
    )


def resolve(query: str, candidates: Sequence[Candidate]) -> Candidate:
    """The one candidate ``query`` names.

    Tried in order, the first step with any hit decides: exact name; exact alias;
    name or alias ignoring case, width and spacing (NFKC + casefold); the same
    ignoring punctuation too; a unique prefix of a name or alias (at least two
    characters); fuzzy match (rapidfuzz WRatio ≥ 85 and at least 5 points ahead of
    the runner-up).  Several hits in one step raise ``Ambiguous``, nothing at all
    raises ``NotFound``; both carry the three closest names as ``candidates``.
    An empty query raises ``ParseError``.
    """
    query = query.strip()
    if not name_key(query):
        raise ParseError("name_missing")
    steps = (
        lambda c: c.name == query,
        lambda c: query in c.aliases,
        lambda c: any(name_key(label) == name_key(query) for label in c.labels),
        lambda c: (
            bool(_compact(query)) and any(_compact(label) == _compact(query) for label in c.labels)
        ),
    )
    for matches in steps:
        found = _unique(query, [i for i, c in enumerate(candidates) if matches(c)], candidates)
        if found is not None:
            return found
    query_key = name_key(query)
    if len(query_key) >= MIN_PREFIX:
        hits = [
            i
            for i, c in enumerate(candidates)
            if any(name_key(label).startswith(query_key) for label in c.labels)
        ]
        found = _unique(query, hits, candidates)
        if found is not None:
            return found
    ranked = _ranked(query, candidates)
    if ranked and ranked[0][0] >= FUZZY_CUTOFF:
        top = ranked[0][0]
        close = [i for score, i in ranked if score > top - FUZZY_GAP]
        found = _unique(query, close, candidates)
        if found is not None:
            return found
    raise NotFound(
        "name_not_found",  # worded by handlers.errors
        candidates=_names([i for _s, i in ranked], candidates),
        query=query,
    )


# ---------------------------------------------------------------------------
# Account name at the start of a command

_OPEN_QUOTES = {'"': '"', "“": "”", "”": "”", "「": "」", "『": "』"}
_SEPARATORS = " \t\n,，、:：;；-—"
_CJK_CUTS = re.compile(
    r"大前天|大后天|前天|昨天|今天|明天|后天|昨晚|今晚|明早|上周|下周|本周|这周|上个|下个|"
    r"周[一二三四五六日天]|星期|礼拜|[0-9一二三四五六七八九十两]+[天周月年号日]|"
    r"见了|见到|拜访|会见|约了|拜会|和|与|跟"
)


def _boundary_ok(text: str, end: int) -> bool:
    if end >= len(text):
        return True
    last, nxt = text[end - 1], text[end]
    if is_cjk(last):
        return True
    return not (nxt.isalnum() and not is_cjk(nxt))


def split_account_and_rest(text: str, candidates: Sequence[Candidate]) -> tuple[Candidate, str]:
    """Split ``Acme Corp yesterday met …`` into the named account and the rest.

    A quoted name (``"Acme Corp" …``, ``“华夏重工” …``, ``「…」``) is resolved as is.
    Otherwise the longest prefix of the text that is a candidate's name or alias
    (ignoring case and width) wins; a name ending in a Latin letter or digit must
    be followed by a space or punctuation, a Chinese one needs nothing
    (``华夏重工昨天见了王总`` works).  Failing that, the first word is resolved
    with :func:`resolve` (Chinese text is cut before a date or ``见了``), which
    raises NotFound / Ambiguous with suggestions.  The rest is normalised text.
    """
    s = normalize(text)
    if not s:
        raise ParseError("name_missing")
    if s[0] in _OPEN_QUOTES:
        close = s.find(_OPEN_QUOTES[s[0]], 1)
        if close == -1 and s[0] == "“":
            close = s.find("“", 1)
        name, rest = (s[1:], "") if close == -1 else (s[1:close], s[close + 1 :])
        return resolve(name, candidates), rest.strip(_SEPARATORS)
    folded = s.casefold()
    best_len = 0
    best: list[int] = []
    for i, cand in enumerate(candidates):
        for label in cand.labels:
            norm = normalize(label)
            if not norm:
                continue
            size = len(norm)
            if size < best_len or folded[:size] != norm.casefold():
                continue
            if not _boundary_ok(s, size):
                continue
            if size > best_len:
                best_len, best = size, [i]
            elif i not in best:
                best.append(i)
    if best:
        found = _unique(s[:best_len], best, candidates)
        assert found is not None
        return found, s[best_len:].lstrip(_SEPARATORS)
    first = s.split(maxsplit=1)[0]
    if any(is_cjk(ch) for ch in first):
        cut = next((m.start() for m in _CJK_CUTS.finditer(first) if m.start() > 0), None)
        if cut is not None:
            first = first[:cut]
    return resolve(first, candidates), s[len(first) :].lstrip(_SEPARATORS)
