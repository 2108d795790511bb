"""Finding the book's names anywhere in a message: ``NameBook``.

    book = NameBook([(7, "Acme", ("Acme Corp",)), (9, "华夏重工", ("华夏",)), …])
    book.find("visited acme corp yesterday")   → [NameHit(8, 17, key=7, label="Acme Corp")]
    book.find("拜访华夏重工昨天见了王总")          → [NameHit(2, 6, key=9, label="华夏重工")]
    book.fuzzy("Acme Crop")                     → [(7, "Acme Corp", 94.7)]

Names are compared on their *compact* form: ``name_key`` (NFKC, case folded) with
every space and punctuation mark dropped, so ``Acme-Corp``, ``ACME corp`` and
``acmecorp`` are one name and Chinese typed without spaces is found inside a
sentence.  One Aho-Corasick automaton (pyahocorasick) holds every name and alias:
a message is scanned once, whatever the size of the book.  A Latin name must stand
as whole words (``Acme`` is not found in ``Acmeville``); a Chinese one needs nothing
around it.  Overlapping hits keep the leftmost, then the longest.

``fuzzy`` scores a phrase against compact names with rapidfuzz, after a cheap
shortlist: the names that start as the phrase does — its first character, or as many
first characters as it takes to bring the shortlist under ``SHORTLIST`` names (a slice
of the sorted names, found by bisection: no pass over the book) — or, in a small book,
names sharing a three-letter run (a typo in the first letter); for typos in names
(``Acme Crop``, ``Blue Harbr``: a long name's first words count too).  Pure: the book's rows are handed in, and the
caller (``handlers.book_names``) rebuilds the book when names change.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ahocorasick
from rapidfuzz import fuzz, process

from domain.names import name_key

from .text import fold

__all__ = ["NameBook", "NameHit", "compact", "compact_map"]

FUZZY_CUTOFF = 84.0
RESEMBLES = 50.0  # below this WRatio a name does not look like the phrase at all
PREFIX_PENALTY = 4.0
SHORTLIST = 5_000  # names starting alike beyond which one more first character must match
BIG_BOOK = 20_000  # names; beyond, suggestions come from the names that start alike


_NOT_ALNUM = re.compile(r"[\W_]+")
_ALNUM = re.compile(r"[^\W_]")


def compact(text: str) -> str:
    """``name_key`` without spaces or punctuation: the form names are compared in."""
    return _NOT_ALNUM.sub("", name_key(text))


def compact_map(text: str) -> tuple[str, list[int]]:
    """``text``'s compact form, and for each of its characters the index in ``text``."""
    low = fold(text).lower()
    if len(low) == len(text) and low == low.casefold():  # the usual case: one C-level pass
        found = _ALNUM.findall(low)
        return "".join(found), [m.start() for m in _ALNUM.finditer(low)]
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(fold(text)):
        folded = ch.casefold()
        if len(folded) == 1 and folded.isalnum():
            chars.append(folded)
            where.append(i)
    return "".join(chars), where


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True)
class NameHit:
    """``text[start:end]`` names ``key`` (an account id) by ``label`` (its name or an alias)."""

    start: int
    end: int
    key: Any
    label: str


class NameBook:
    """Every name and alias of the book, ready to be found in any message."""

    def __init__(self, rows: Iterable[tuple[Any, str, tuple[str, ...]]]) -> None:
        self._labels: dict[str, list[tuple[Any, str]]] = {}
        self.names: dict[Any, str] = {}
        for key, name, aliases in rows:
            self.names[key] = name
            for label in (name, *aliases):
                short = compact(label)
                if short:
                    owners = self._labels.setdefault(short, [])
                    if all(k != key for k, _ in owners):
                        owners.append((key, label))
        self._keys = list(self._labels)
        self._sorted = sorted(self._keys)  # prefix lookups by bisection
        self._alphabetical: list[Any] | None = None  # for suggestions, built on first need
        self._auto = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for index, short in enumerate(self._keys):
            self._auto.add_word(short, index)
        if self._labels:
            self._auto.make_automaton()

    def __len__(self) -> int:
        return len(self.names)

    # -- exact, anywhere -------------------------------------------------------------

    def find(self, text: str) -> list[NameHit]:
        """Every name or alias standing in ``text``; leftmost, then longest, first.

        A hit naming several accounts (two accounts share an alias) gives one
        ``NameHit`` per account at the same place; callers ask which."""
        if not self._labels:
            return []
        short, where = compact_map(text)
        folded = fold(text)
        found: list[tuple[int, int, str, list[tuple[Any, str]]]] = []
        for end_c, index in self._auto.iter(short):
            label_key = self._keys[index]
            owners = self._labels[label_key]
            start_c = end_c - len(label_key) + 1
            start, end = where[start_c], where[end_c] + 1
            if _latin(folded[start]) and start > 0 and _latin(folded[start - 1]):
                continue
            if _latin(folded[end - 1]) and end < len(folded) and _latin(folded[end]):
                continue
            found.append((start, end, label_key, owners))
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        hits: list[NameHit] = []
        taken_until = -1
        for start, end, _label_key, owners in found:
            if start < taken_until:
                continue
            hits += [NameHit(start, end, key, label) for key, label in owners]
            taken_until = end
        return hits

    def exact(self, phrase: str) -> list[tuple[Any, str]]:
        """The accounts whose name or alias is ``phrase`` (compared compactly)."""
        return list(self._labels.get(compact(phrase), ()))

    def prefixed(self, phrase: str, limit: int = 4) -> list[tuple[Any, str]]:
        """Accounts with a name or alias that starts with ``phrase`` (two letters at least)."""
        short = compact(phrase)
        if len(short) < 2:
            return []
        out: list[tuple[Any, str]] = []
        for label_key in self._starting(short, limit + 1):
            out += [o for o in self._labels[label_key] if o not in out]
        return out

    def continued(
        self, head: str, phrase: str, cutoff: float = FUZZY_CUTOFF
    ) -> list[tuple[Any, str, float]]:
        """Longer names that start with ``head`` (a name found whole) and look like
        ``phrase`` (that name and the words after it): ``Acme`` + ``Acme Crop`` → Acme Corp."""
        start, short = compact(head), compact(phrase)
        best: dict[Any, tuple[Any, str, float]] = {}
        for label_key in self._starting(start, 200):
            if len(label_key) > len(start) and (score := fuzz.ratio(short, label_key)) >= cutoff:
                for key, label in self._labels[label_key]:
                    if key not in best or best[key][2] < score:
                        best[key] = (key, label, float(score))
        return sorted(best.values(), key=lambda t: (-t[2], t[1]))

    def _range(self, prefix: str) -> tuple[int, int]:
        """Where the compact names starting with ``prefix`` lie in ``_sorted``."""
        start = bisect.bisect_left(self._sorted, prefix)
        return start, bisect.bisect_left(self._sorted, prefix + "\U0010ffff", start)

    def _starting(self, short: str, limit: int) -> list[str]:
        i = bisect.bisect_left(self._sorted, short)
        out: list[str] = []
        while i < len(self._sorted) and self._sorted[i].startswith(short) and len(out) < limit:
            out.append(self._sorted[i])
            i += 1
        return out

    # -- fuzzy -----------------------------------------------------------------------

    def fuzzy(
        self, phrase: str, *, limit: int = 3, cutoff: float = FUZZY_CUTOFF, prefix: bool = True
    ) -> list[tuple[Any, str, float]]:
        """Names that look like ``phrase`` (a typo), best first: (key, label, score).
        With ``prefix``, a long name's first words may be what was meant."""
        short = compact(phrase)
        if len(short) < 3 or not self._keys:
            return []
        pool = self._shortlist(short)
        scores: dict[str, float] = {}
        for label_key, score, _i in process.extract(
            short, pool, scorer=fuzz.ratio, score_cutoff=cutoff, limit=limit * 4
        ):
            scores[label_key] = float(score)
        if prefix:  # a typo in the first words of a long name: its head of the same length
            longer = [k for k in pool if len(k) > len(short) + 1]
            heads = [k[: len(short)] for k in longer]
            for _head, score, i in process.extract(
                short,
                heads,
                scorer=fuzz.ratio,
                score_cutoff=cutoff + PREFIX_PENALTY,
                limit=limit * 4,
            ):
                key = longer[i]
                scores[key] = max(scores.get(key, 0.0), float(score) - PREFIX_PENALTY)
        best: dict[Any, tuple[Any, str, float]] = {}
        for label_key, score in scores.items():
            if score < cutoff:
                continue
            for key, label in self._labels[label_key]:
                if key not in best or best[key][2] < score:
                    best[key] = (key, label, score)
        return sorted(best.values(), key=lambda t: (-t[2], t[1]))[:limit]

    def closest(self, phrase: str, n: int = 3) -> list[str]:
        """The names of the ``n`` accounts that look most like ``phrase``, however little
        (for "Closest: …" after a miss); ties in name order."""
        short = compact(phrase)
        if not short or not self._keys:
            return []
        # a big book: the names that start alike are enough to suggest from
        pool = (
            self._keys if len(self._keys) <= BIG_BOOK else self._shortlist(short) or self._keys[:0]
        )
        scored = process.extract(short, pool, scorer=fuzz.ratio, limit=n * 4 + 8)
        best: dict[Any, float] = {}
        for label_key, score, _i in scored:
            score = score if score >= RESEMBLES else 0.0
            for key, _label in self._labels[label_key]:
                best[key] = max(best.get(key, 0.0), float(score))
        top = sorted(best.items(), key=lambda kv: (-kv[1], self.names[kv[0]]))
        if len(top) < n:  # nothing looks alike: the first names, alphabetically
            if self._alphabetical is None:
                self._alphabetical = sorted(self.names, key=self.names.__getitem__)
            rest = [k for k in self._alphabetical[: n + len(best)] if k not in best]
            top += [(k, 0.0) for k in rest[: n - len(top)]]
        return [self.names[k] for k, _s in top[:n]]

    def _shortlist(self, short: str) -> list[str]:
        """Compact names worth scoring: the same first character (the first two, three, …
        where that is more than ``SHORTLIST`` names), or in a small book sharing a
        3-letter run (a typo in the first letter); none much shorter than the phrase."""
        lo = len(short) * 2 // 3
        depth = 1
        start, end = self._range(short[:1])
        while end - start > SHORTLIST and depth < len(short):
            depth += 1
            start, end = self._range(short[:depth])
        # a phrase that thousands of names start with (``Acct``) singles none of them
        # out: the first few thousand are enough to say so, or to suggest from
        pick = [k for k in self._sorted[start : min(end, start + SHORTLIST)] if lo <= len(k)]
        if len(pick) < 50 and len(self._keys) <= 20_000:
            grams = {short[i : i + 3] for i in range(len(short) - 2)}
            seen = set(pick)
            pick += [
                k
                for k in self._keys
                if k not in seen and lo <= len(k) and any(g in k for g in grams)
            ]
        return pick
