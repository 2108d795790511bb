"""Contacts mentioned in a text: by full name or alias, surname + honorific, or a
lone first name / surname.

    match_contacts(text, contacts, exact_only=()) -> ContactMatches(linked, ambiguous, unknown)

Contacts whose keys are in ``exact_only`` (those who left the company) link only when
named in full (name or alias): a lone ``Sarah``, ``Mr. Miller`` or ``李经理`` is about
the people still there.  See :mod:`handlers.parsing.people` for when a mention links, is ambiguous or unknown.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .person_names import _familiar_ok
from .person_words import (
    _CN_FAMILIAR_RE,
    _CN_HONORIFIC_RE,
    _CN_HONORIFIC_SCAN,
    _EN_HONORIFIC,
    _EN_NOT_NAMES,
    _HAS_CJK,
    _WORD_FIRST_NAMES,
    COMPOUND_SURNAMES,
    _en_honorifics,
    _first_name,
    _fold,
    _is_surname,
    _words,
    chinese_surname,
    latin_surnames,
)
from .text import is_cjk, normalize

if TYPE_CHECKING:
    from .names import Candidate


@dataclass
class ContactMatches:
    """Contacts found in a text.

    ``linked``: keys of the contacts named, in order of first mention.
    ``ambiguous``: mentions that fit several contacts (``Mr. Li``, ``Sarah``).
    ``unknown``: honorific references that fit no contact (``王总`` with no 王).
    """

    linked: list[Any] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Book:
    """The account's contacts, indexed for matching (built once per set of names)."""

    regexes: tuple[tuple[str, str, str], ...]  # (first word, key, regex), longest first
    by_label: dict[str, list[int]]  # label key → contacts
    by_cn_surname: dict[str, list[int]]
    by_latin_surname: dict[str, list[int]]
    by_latin_word: dict[str, list[int]]  # surname or first name


def _label_key(text: str) -> str:
    return "".join(text.casefold().split())


def _label_regex(label: str) -> str | None:
    return _norm_regex(normalize(label))


def _norm_regex(norm: str) -> str | None:
    """``_label_regex`` of a label already normalised."""
    if not norm:
        return None
    body = r"\s*".join(re.escape(part) for part in norm.split(" "))
    left = "" if is_cjk(norm[0]) else r"(?<![^\W_])"
    right = "" if is_cjk(norm[-1]) else r"(?![^\W_])"
    return left + body + right


@lru_cache(maxsize=256)
def _book(names: tuple[tuple[str, ...], ...], exact: tuple[bool, ...] = ()) -> _Book:
    """``exact[i]``: contact ``i`` is found by full name or alias only."""
    by_label: dict[str, list[int]] = {}
    regexes: dict[str, str] = {}
    firsts: dict[str, str] = {}
    by_cn: dict[str, list[int]] = {}
    by_sur: dict[str, list[int]] = {}
    by_word: dict[str, list[int]] = {}
    for i, labels in enumerate(names):
        for label in labels:
            norm = normalize(label)
            regex = _norm_regex(norm)
            if regex is None:
                continue
            key = _label_key(norm)
            regexes.setdefault(key, regex)
            firsts.setdefault(key, norm.casefold().split(" ")[0][:2])
            owners = by_label.setdefault(key, [])
            if i not in owners:
                owners.append(i)
        if i < len(exact) and exact[i]:
            continue
        cn = chinese_surname(labels[0])
        if cn:
            by_cn.setdefault(cn, []).append(i)
        surnames = latin_surnames(labels[0])
        for sur in surnames:
            by_sur.setdefault(sur, []).append(i)
        first = _first_name(labels[0])
        for word in {*surnames, *([first] if first else [])}:
            by_word.setdefault(word, []).append(i)
    ordered = tuple(
        (firsts[key], key, rx) for key, rx in sorted(regexes.items(), key=lambda kv: -len(kv[0]))
    )
    return _Book(ordered, by_label, by_cn, by_sur, by_word)


@lru_cache(maxsize=1024)
def _labels_regex(regexes: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{rx})" for rx in regexes), re.IGNORECASE)


_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9'’])[A-Z][A-Za-z'’-]*(?![A-Za-z0-9])")
_SENTENCE_END = re.compile(r"(?:^|[.!?;:。！？；：\n]\s*)$")


def match_contacts(
    text: str, contacts: Sequence[Candidate], exact_only: Collection[Any] = ()
) -> ContactMatches:
    """The contacts ``text`` mentions: by full name or alias, surname + honorific, or
    a lone first name / surname.

    Full names and aliases match case-insensitively (whole words for Latin
    script).  ``王总``, ``李经理``, ``小王``, ``Mr. Li``, ``Dr. Chen`` … and a capitalised
    lone ``Sarah`` / ``Miller`` link when exactly one contact fits (see the module
    docstring); when several do the mention goes to ``ambiguous``; a surname +
    honorific that fits nobody goes to ``unknown``.  Keys come in order of first mention.
    The contacts whose keys are in ``exact_only`` link by full name or alias alone.
    """
    s = _fold(text)
    result = ContactMatches()
    if not s.strip():
        return result
    exact = tuple(c.key in exact_only for c in contacts) if exact_only else ()
    book = _book(tuple(c.labels for c in contacts), exact)
    spans: list[tuple[int, int, str, list[int]]] = []
    # Only the labels whose letters are in the text, as they would match (case and
    # spaces aside), go into the regex: most notes name none or one of the contacts,
    # so most compile nothing, or a one-label pattern.
    low = _label_key(s)
    present = tuple(rx for _first, key, rx in book.regexes if key in low)
    if present:
        for m in _labels_regex(present).finditer(s):
            owners = book.by_label.get(_label_key(m.group(0)))
            if owners:
                spans.append((m.start(), m.end(), m.group(0), owners))

    def free(start: int, end: int) -> bool:
        return not any(start < sp[1] and sp[0] < end for sp in spans)

    unknown: list[tuple[int, str]] = []
    if _HAS_CJK.search(s):
        for regex in (_CN_HONORIFIC_RE, _CN_FAMILIAR_RE):
            hits = (
                (_CN_HONORIFIC_RE.match(s, h.start()) for h in _CN_HONORIFIC_SCAN.finditer(s))
                if regex is _CN_HONORIFIC_RE
                else regex.finditer(s)
            )
            for m in hits:
                if m is None:
                    continue
                if regex is _CN_FAMILIAR_RE and not _familiar_ok(s, m):
                    continue
                start, sur = m.start("sur"), m.group("sur")
                if len(sur) == 1 and start >= 1 and s[start - 1 : start + 1] in COMPOUND_SURNAMES:
                    sur, start = s[start - 1 : start + 1], start - 1
                start = min(start, m.start())
                if not free(start, m.end()) or s[max(0, start - 1) : start + 1] in _ENDS_IN_SURNAME:
                    continue
                owners = book.by_cn_surname.get(sur)
                if owners:
                    spans.append((start, m.end(), s[start : m.end()], owners))
                elif _is_surname(sur) and regex is _CN_HONORIFIC_RE:
                    unknown.append((start, s[start : m.end()]))
    if book.by_latin_word:
        for m in _en_honorifics(s):
            if not free(m.start(), m.end()):
                continue
            owners = book.by_latin_surname.get(m.group("sur").casefold())
            if owners:
                spans.append((m.start(), m.end(), m.group(0), owners))
        # A lone capitalised first name or surname: "met Li Wei and Sarah".
        for m in _LATIN_WORD.finditer(s):
            start, end = m.start(), m.end()
            word = m.group(0)
            if word.endswith(("'s", "’s")):
                word, end = word[:-2], end - 2
            folded = word.casefold()
            owners = book.by_latin_word.get(folded)
            if not owners or folded in _EN_NOT_NAMES or word.isupper() or not free(start, end):
                continue
            if _in_longer_name(s, start, end):
                continue
            if _AFTER_HONORIFIC.search(s[max(0, start - 8) : start]):
                continue  # "Mrs. John": after an honorific only a surname counts
            if folded in _WORD_FIRST_NAMES and _SENTENCE_END.search(s[:start]):
                continue
            spans.append((start, end, word, owners))

    for _start, _end, mention, owners in sorted(spans, key=lambda sp: sp[0]):
        if len(owners) == 1:
            key = contacts[owners[0]].key
            if key not in result.linked:
                result.linked.append(key)
        elif mention not in result.ambiguous:
            result.ambiguous.append(mention)
    for _start, mention in sorted(unknown):
        if mention not in result.unknown:
            result.unknown.append(mention)
    return result


_AFTER_HONORIFIC = re.compile(rf"(?<![A-Za-z]){_EN_HONORIFIC}\.?\s+$", re.IGNORECASE)


def _in_longer_name(s: str, start: int, end: int) -> bool:
    """True when the capitalised word at ``start:end`` is part of a longer name phrase
    (``Tom`` in ``Tom Brown``), which is somebody else when it is not a contact."""
    after = re.match(r"\s([A-Z][A-Za-z'’-]*)", s[end : end + 30])
    if after and after.group(1).casefold() not in _EN_NOT_NAMES and not after.group(1).isupper():
        return True
    before = re.search(r"([A-Z][A-Za-z'’-]*)\s$", s[max(0, start - 30) : start])
    if before:
        word = before.group(1).casefold().rstrip(".")
        if word not in _EN_NOT_NAMES and not before.group(1).isupper():
            return not _SENTENCE_END.search(s[: start - len(before.group(0))])
    return False


# Words that end in a surname character: 对方老板 is not 方老板, 大区经理 not 区经理.
_ENDS_IN_SURNAME = _words(
    "对方 双方 甲方 乙方 买方 卖方 各方 我方 他方 大区 片区 园区 小区 地区 社区 新区"
)
