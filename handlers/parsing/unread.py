"""Phrases that look like a date but were not read, to be quoted back ("couldn't read
'after the fair' as a date").  Two strengths, one place:

* strict (``unread_date_phrases``, for any text): event words next to before/after/by,
  month names with a number or a date word, weekday look-alikes, Chinese month and
  holiday forms — never a bare ``may``, ``march`` or ``by the way``;
* loose (``unread_phrases(…, loose=True)``, where a date was expected: a logged note, a
  next step): also ``by the end of the project``, ``2月30号``, ``13/45``, ``展会后``; with
  ``vague``, ``asap`` / ``尽快`` too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .text import fold

__all__ = ["unread_date_phrases", "unread_phrases"]


def unread_phrases(
    text: str, taken: Iterable[tuple[int, int]], *, loose: bool = False, vague: bool = False
) -> list[tuple[int, int]]:
    """The unread date-like spans of ``text`` overlapping none of ``taken``."""
    if loose:
        return _loose(text, list(taken), vague=vague)
    return _strict(text, taken)


def unread_date_phrases(text: str, taken: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The strict reading (see the module doc)."""
    return _strict(text, taken)


# --- strict ---------------------------------------------------------------------------


_EVENT_EN = (
    r"fair|expo|exhibition|trade\s*show|show|conference|summit|convention|festival|holidays?"
    r"|vacation|break|launch|roadshow|tender|offsite|kick-?off|trip|audit|inspection"
)
_MONTH_WORD = (
    r"january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
_UNREAD_PATTERNS = [
    # "after the fair", "by the expo", "before the Canton fair", "ahead of our trip"
    re.compile(
        r"(?<![a-z])(?:before|after|by|until|till|around|ahead\s+of|in\s+time\s+for)\s+"
        r"(?:the|next|this|our|their|your)\s+(?:[a-z0-9&'-]+\s+){0,2}?(?:" + _EVENT_EN + r")s?"
        r"(?![a-z])",
        re.IGNORECASE,
    ),
    # a month with a trigger or a number: "in December", "by Jan", "Sept 31st", "early Q3"
    re.compile(
        r"(?<![a-z])(?:(?:in|by|before|after|until|till|since|early|mid|late|end\s+of|"
        r"beginning\s+of|start\s+of|from|due|next|this|last)[\s-]+(?:the\s+)?(?:"
        + _MONTH_WORD
        + r")\.?(?:\s+\d{1,4}(?:st|nd|rd|th)?)?"
        r"|(?:" + _MONTH_WORD + r")\.?\s+\d{1,4}(?:st|nd|rd|th)?)(?![a-z0-9])",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?<![a-z])(?:by|before|after|until|till|early|mid|late|end\s+of|start\s+of)"
        r"[\s-]+(?:the\s+)?q[1-4](?![a-z0-9])",
        re.IGNORECASE,
    ),
    # a weekday word that was not read: "Friday-ish", "Thursdayy"
    re.compile(
        r"(?<![a-z])(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:-?ish|(?!s(?![a-z]))[a-z]{1,2})?"
        r"(?![a-z])",
        re.IGNORECASE,
    ),
    # 下次展会后, 广交会前, 放假前
    re.compile(
        r"(?:下次|这次|本次|上次|下届|这届|本届|明年的?|今年的?)?"
        r"(?:展会|会展|展览会?|博览会|交易会|广交会|进博会|峰会|大会|年会|订货会|发布会|招标|投标"
        r"|开标|假期|放假|长假|开学|出差回来)"
        r"(?:结束)?(?:之前|以前|前|之后|以后|后)"
    ),
    # 3月份, 12月 (a month with no day), 年前 / 节后 (the holiday, colloquially)
    re.compile(
        r"(?<![0-9零〇一二两三四五六七八九十个几每第多])(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月份?"
        r"(?![0-9零〇一二两三四五六七八九十个度薪报租费息刊])"
    ),
    re.compile(r"(?<![\u4e00-\u9fff0-9])(?:过)?[年节](?:之前|以前|前|之后|以后|后)(?!天|年)"),
]


def _strict(text: str, taken: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of ``text`` that look like a date or time phrase but are not among ``taken``
    (the spans a caller read, e.g. :func:`find_dates`'s): ``after the fair``, ``by the
    expo``, ``in December``, ``Friday-ish``, ``下次展会后``, ``3月份``, ``节后``.  Callers
    quote them back ("couldn't read 'after the fair' as a date").

    Precision over recall: only event words next to before/after/by, month names with a
    number or a date word next to them (never a bare ``may`` or ``march``), weekday names
    and Chinese month/holiday forms; ordinary words are never flagged.
    """
    s = fold(text)
    claimed = sorted(taken)
    found: list[tuple[int, int]] = []
    for pattern in _UNREAD_PATTERNS:
        for m in pattern.finditer(s):
            start, end = m.span()
            if any(a < end and start < b for a, b in claimed):
                continue
            claimed.append((start, end))
            found.append((start, end))
    return sorted(found)


# --- loose ----------------------------------------------------------------------------


_EVENT_NOUNS = (
    r"fair|expo|show|trade\s+show|conference|summit|launch|trip|meeting|call|demo|review|"
    r"audit|holidays?|break|festival|cny|chinese\s+new\s+year|new\s+year|christmas|xmas|"
    r"golden\s+week|lunch|dinner|breakfast|weekend\s+trip|board\s+meeting|budget\s+cycle|"
    r"tender|bid|pilot|trial|rollout|go-?live|signing|renewal|visit"
)
_UNREAD_EN = re.compile(
    r"(?<![A-Za-z])(?:"
    r"(?:by\s+|before\s+|at\s+)?(?:the\s+)?(?:end|beginning|start|middle)\s+of\s+(?:the\s+)?"
    r"[a-z][\w'-]*|"
    rf"(?:after|before|until|till|around|ahead\s+of|prior\s+to|post)\s+(?:(?:the|our|their|"
    rf"next|this|his|her)\s+)?(?:{_EVENT_NOUNS})"
    r"|(?:after|before|until|till|by)\s+(?:the|our|their)\s+[a-z][\w'-]*"
    r"|(?:mid|early|late)[\s-]+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
    r"|(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}"
    r"(?:st|nd|rd|th)?"
    r"|\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{4}-\d{1,2}-\d{1,2}"
    r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_UNREAD_ZH = re.compile(
    r"\d{1,2}月\d{1,2}[日号]?|(?<![\d月.])\d{1,2}[日号]|(?<![\d.])\d{1,2}\.\d{1,2}(?:[日号]|之?前)"
    r"|(?:展会|展览会?|会议|开会|开完会|出差|招标|投标|评审|审批|上线|验收|交付|放假|假期|"
    r"节假日|过节|过年|年会|会)(?:之后|以后|过后|后|之前|以前|前)"
    r"|节后|年后|会后|改天|回头|过几天|过两天|这几天|近期"
)
# vague words that only matter where a due date was expected
_VAGUE = re.compile(
    r"(?<![A-Za-z])(?:asap|a\.s\.a\.p\.?|soon|later|sometime|tbd|tbc|next\s+time)(?![A-Za-z])"
    r"|尽快|尽早|抓紧|下次|稍后|有空",
    re.IGNORECASE,
)


def _loose(
    text: str, taken: list[tuple[int, int]], *, vague: bool = False
) -> list[tuple[int, int]]:
    """Spans of ``text`` that look like dates (``after the fair``, ``2月30号``, ``13/45``,
    ``展会后``; with ``vague``, also ``asap`` / ``尽快``) and overlap none of ``taken``."""
    f = fold(text)
    found: list[tuple[int, int]] = []
    patterns = (_UNREAD_EN, _UNREAD_ZH, _VAGUE) if vague else (_UNREAD_EN, _UNREAD_ZH)
    for pattern in patterns:
        for m in pattern.finditer(f):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken) or any(
                s < fe and fs < e for fs, fe in found
            ):
                continue
            found.append((s, e))
    return sorted(found)
