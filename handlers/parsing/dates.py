"""Dates, durations and recurrences in English and Chinese chat text.

Public functions::

    find_dates(text, *, now, prefer)            -> [DateHit(start, end, when, has_time,
                                                             direction_ok)]
    unread_date_phrases(text, taken)            -> [(start, end)]
    parse_when(text, *, now, prefer)            -> datetime | None
    parse_date(text, *, now, prefer)            -> date | None
    extract_leading_when(text, *, now, prefer)  -> (datetime | None, rest)
    extract_due(text, *, now)                   -> (datetime | None, rest)
    parse_duration(text)                        -> Span    (raises ParseError)
    parse_recurrence(text)                      -> Span    (raises ParseError)

The rules live in ``dates_zh`` (Chinese), ``festivals`` (holidays) and ``dates_en``
(numeric and English), built from ``date_rules``; durations and recurrences in
``spans`` (re-exported here).

How a phrase becomes a date
---------------------------
Phrases are read by our own rules first (all Chinese forms, weekdays, ``today`` /
``昨天``, numeric dates, ``end of month`` / ``月底``, parts of months and quarters,
holidays, times of day) and only the remaining English phrases (``in 2 weeks``,
``2 days ago``, ``Mar 31``, ``next month`` …) go to ``dateparser``.  Before dateparser
sees an English phrase every word of it must be a date word (month, weekday, unit,
number, ``in``/``ago``/``next``…) and the phrase must contain an anchor (a weekday, a
month *with* a number, ``in N days``, ``N days ago``, a numeric date or a time):
dateparser happily reads ``may``, ``a``, ``5``, ``1st`` or ``yesterday met`` (``met`` is
a time zone to it) as dates.  It is slow, so it is only asked for a phrase longer than
what the rules read at the same place.

``find_dates`` tries the rules only where a phrase can begin (a digit, a character a
Chinese rule starts with, an English date word), and at each such place only the rules
whose pattern can start with that character (read from the compiled patterns with
``re._parser``; if that ever fails every rule is tried): a 120-character message takes
about 0.2–0.3 ms.

Choices
-------
* ``now`` should be timezone-aware; results are in ``now``'s zone (naive in, naive out).
* Weeks run Monday to Sunday.
* A bare weekday (``Friday``, ``周五``, ``星期五``, ``礼拜五``) is the nearest such day
  *including today*: with ``prefer="future"`` the coming one, with ``"past"`` the
  most recent one.  ``by Friday`` said on a Friday is today.
* ``next Friday`` / ``下周五`` = Friday of next calendar week (said on a Wednesday:
  nine days later, not two).  ``this Friday`` / ``本周五`` / ``这周五`` = Friday of this
  week (or the coming one, see Direction).  ``上周五`` = Friday of last calendar week;
  English ``last Friday`` = the most recent Friday before today.
* ``周末`` / ``weekend`` = Saturday.  ``月底`` / ``end of month`` / ``EOM`` = last day of
  this month; ``下个月`` / ``next month`` = same day next month (clamped).  ``下周`` /
  ``next week`` = a week from today.
* A date without a year (``12月5日``, ``3/31``, ``Mar 31``) is this year's or the
  next/previous one, following ``prefer``.  ``3/31`` is month/day.
* Time of day when the phrase gives none: due dates (``prefer="future"``) get
  18:00, the end of the working day; past events get 12:00, except ``today`` /
  ``今天``, which keeps ``now``'s time.  Explicit times (``下午3点``, ``3pm``,
  ``15:00``) and hour offsets (``2 hours ago``) are kept.  Parts of the day:
  ``morning``/``上午`` 09:00, ``中午``/``noon`` 12:00, ``afternoon``/``下午`` 14:00,
  ``evening``/``晚上`` 19:00; ``今晚``/``昨晚`` 20:00, ``明早`` 09:00.

Direction (``prefer``)
----------------------
* A phrase that can be read either way is read in ``prefer``'s direction: a bare weekday,
  a month/day without a year (``12/8``, ``12.8``, ``3月底``, ``end of March``, ``mid
  January``, ``Q1底``, ``end of Q1``), a day of the month (``3号``, ``3日``, ``by the
  15th``), a part of a month without the month (``月初``, ``下旬``, ``月底`` said looking
  back = last month's) and holidays (the next one, today included, for the future; the
  last one for the past).
* ``this``/``本``/``这`` + weekday is this week's day, or the coming one when that is
  already past (``by this fri`` on a Sunday = the next Friday; looking back, ``this
  Friday`` said on a Wednesday = last Friday).  ``EOW`` / ``end of week`` = this week's
  Friday, on a weekend the coming Friday.  ``by this week`` / ``本周内`` = Friday (18:00)
  of this week when said Monday–Friday, else next week's Friday; looking back, today.
  ``下周内`` = next week's Friday; ``本月内`` = the month's last day, ``年内`` = Dec 31;
  ``this month`` / ``this quarter`` / ``this year`` as a due date = its last day, looking
  back today.
* ``DateHit.direction_ok`` is False when a hit is still on the wrong side of ``now``
  (``yesterday`` as a due date, ``明年3月底`` as a visit, ``this afternoon`` said at
  19:30 as a due date): a phrase with a time is compared to ``now``, one without to
  today.  Callers flag or refuse it instead of storing it quietly.

Parts of months and quarters, holidays
--------------------------------------
* Early / ``月初`` / ``上旬`` = the 5th (the middle of the 1st–10th); mid / ``月中`` /
  ``中旬`` = the 15th; late / ``下旬`` = the 25th; ``beginning/start of`` = the 1st; end /
  ``月底`` / ``月末`` = the last day.  ``明年3月底`` = 2027-03-31 said in 2026.
* ``Q1底`` / ``一季度末`` / ``end of Q1`` = March 31; ``季度末`` / ``EOQ`` = this quarter's
  last day.  ``early/mid/late next week`` = its Monday / Wednesday / Friday.
* ``yday`` = yesterday; ``last night`` = yesterday 20:00; ``this morning`` = today 09:00,
  ``this afternoon`` 14:00, ``this evening`` 19:00; ``EOD`` / ``COB`` = today 18:00.
* ``12.8`` is December 8 only with ``前``/``号``/``日`` after it, ``by``/``截止``/``在``
  before it, or standing alone, and never before ``万``/``元``/``k``/``%`` (``12.8万``).
  ``3日前`` as a due date is "before the 3rd", looking back "three days ago".
  ``3号楼``, ``3号线``, ``一日游``, ``the 5th floor``, ``Q3 revenue``, ``2w`` are not dates.
* Holidays (``festivals``): 元旦, 春节 (正月初一), 除夕, 元宵 (正月十五), 清明 (the
  solar term), 五一/劳动节, 端午 (五月初五), 中秋 (八月十五), 国庆/十一长假, 圣诞 and
  English New Year, Chinese New Year / CNY, Lantern Festival, Qingming, Labor Day
  (May 1), Dragon Boat, Mid-Autumn, National Day, Christmas.  ``春节前`` / ``before CNY``
  = the day before; ``国庆后`` / ``after National Day`` = the first working day after the
  public holiday (国庆 → Oct 8, 五一 → May 6, 春节 → 正月初八, others the day after).

Phrases not read
----------------
``unread_date_phrases`` finds what looks like a date but was not read — ``after the
fair``, ``by the expo``, ``in December``, ``Friday-ish``, ``下次展会后``, ``3月份``,
``年前``/``节后`` — so callers can quote it back.  It prefers precision: ``may``,
``march forward``, ``a second``, ``Q3 revenue`` are never flagged.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

try:  # the first characters a rule can start with (see ``_dispatch``)
    import re._parser as re_parser
except ImportError:  # pragma: no cover - then every rule is tried everywhere
    re_parser = None  # type: ignore[assignment]

from . import dates_en, dates_zh, festivals
from .date_rules import (
    _EN_ANCHOR,
    _EN_MONTH_WITH_NUMBER,
    _EN_TOKEN_SHAPES,
    _EN_VOCAB,
    _EN_WEEKDAY_WORD,
    _NUMERIC_DATE,
    DUE_DEFAULT_TIME,
    PAST_DEFAULT_TIME,
    Prefer,
    _Ctx,
    _Hit,
)
from .spans import Span, parse_duration, parse_recurrence
from .text import fold, is_cjk, join_text, normalize
from .unread import unread_date_phrases

__all__ = [
    "DateHit",
    "Prefer",
    "Span",
    "extract_due",
    "extract_leading_when",
    "find_dates",
    "parse_date",
    "parse_duration",
    "parse_recurrence",
    "parse_when",
    "unread_date_phrases",
]


# ---------------------------------------------------------------------------
# Matching

# Chinese first, then numeric and English: of two equally long matches the first wins.
_RULES = (*dates_zh.RULES, *festivals.RULES, *dates_en.RULES)

# Where a date phrase can begin: a digit, a character a Chinese rule starts with (see
# ``_BY_FIRST`` below), or an English word a rule (or a phrase for dateparser) starts with.
# Only there are the rules tried: scanning a message stays cheap.
# (tests/unit/test_dates_phrases.py checks that a full scan finds nothing more.)
_EN_STARTS = _EN_VOCAB | frozenset(
    [
        "the",
        "day",
        "yday",
        "yest",
        "eod",
        "early",
        "mid",
        "middle",
        "late",
        "beginning",
        "start",
        "q",
        "within",
        "after",
        "post",
        "pre",
        "chinese",
        "lunar",
        "new",
        "spring",
        "cny",
        "lantern",
        "qingming",
        "tomb",
        "labor",
        "labour",
        "may",
        "dragon",
        "moon",
        "national",
        "christmas",
        "xmas",
        "weekend",
        "at",
        "noon",
        "midnight",
        "by",
        "on",
        "before",
        "until",
        "till",
        "due",
        "deadline",
        "cob",
        "eob",
        "close",
    ]
)


def _candidates(s: str) -> Iterator[int]:
    for m in _CANDIDATE.finditer(s):
        word = m.group()
        if word[0].isascii() and word[0].isalpha() and word.lower() not in _EN_STARTS:
            continue
        yield m.start()


def _first_chars(items: list[tuple[object, object]]) -> tuple[set[str] | None, bool]:
    """The characters a parsed pattern can begin with (None: any) and whether it can
    match the empty string.  Zero-width assertions are ignored (a superset is safe)."""
    chars: set[str] = set()
    for op, av in items:
        got, nullable = _first_of(op, av)
        if got is None:
            return None, False
        chars |= got
        if not nullable:
            return chars, False
    return chars, True


def _first_of(op: object, av: object) -> tuple[set[str] | None, bool]:
    name = str(op)
    if name == "LITERAL":
        return {chr(av)}, False  # type: ignore[arg-type]
    if name == "IN":
        chars: set[str] = set()
        for kind, value in av:  # type: ignore[attr-defined]
            kind = str(kind)
            if kind == "LITERAL":
                chars.add(chr(value))
            elif kind == "RANGE" and value[1] - value[0] < 512:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            elif kind == "CATEGORY" and str(value) == "CATEGORY_DIGIT":
                chars.update("0123456789")
            else:
                return None, False
        return chars, False
    if name == "SUBPATTERN":
        return _first_chars(av[3])  # type: ignore[index]
    if name == "BRANCH":
        chars, nullable = set(), False
        for branch in av[1]:  # type: ignore[index]
            got, empty = _first_chars(branch)
            if got is None:
                return None, False
            chars |= got
            nullable = nullable or empty
        return chars, nullable
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _, inner = av  # type: ignore[misc]
        got, empty = _first_chars(inner)
        return got, empty or low == 0
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return set(), True
    return None, False


def _dispatch(
    rules: tuple[tuple[re.Pattern[str], object], ...],
) -> tuple[dict[str, tuple[int, ...]], tuple[int, ...]]:
    """For each character, the indexes of the rules that can start with it (in order), and
    the rules that can start with anything: ``_match_rules`` tries only those."""
    by_char: dict[str, list[int]] = {}
    anywhere: list[int] = []
    for index, (pattern, _) in enumerate(rules):
        try:
            parsed = re_parser.parse(pattern.pattern, pattern.flags).data  # type: ignore[union-attr]
            chars, nullable = _first_chars(parsed)
        except Exception:  # noqa: BLE001 - an unreadable pattern is tried everywhere
            chars, nullable = None, True
        if chars is None or nullable:
            anywhere.append(index)
            continue
        for ch in chars:
            for variant in {ch, ch.lower(), ch.upper()}:
                if len(variant) == 1:
                    by_char.setdefault(variant, []).append(index)
    table = {ch: tuple(sorted({*found, *anywhere})) for ch, found in by_char.items()}
    return table, tuple(anywhere)


_BY_FIRST, _ANYWHERE = _dispatch(_RULES)
# ``_cn_time_only`` can start anywhere as far as ``_dispatch`` knows: its parts of the day.
_CN_STARTS = "".join(sorted({ch for ch in _BY_FIRST if not ch.isascii()} | set("凌早上中下傍晚夜")))
_CANDIDATE = re.compile(rf"(?<![0-9])[0-9]|[{_CN_STARTS}]|(?<![a-z0-9])[a-z]+", re.IGNORECASE)


def _match_rules(s: str, pos: int, ctx: _Ctx) -> tuple[int, _Hit] | None:
    """The longest rule match starting exactly at ``pos`` that resolves."""
    best: tuple[int, _Hit] | None = None
    if pos >= len(s):
        return None
    if s.startswith(("上", "下"), pos) and s[pos - 1 : pos] == "一":
        return None  # "看一下周报", "一上午" are not dates
    for index in _BY_FIRST.get(s[pos], _ANYWHERE):
        pattern, resolve = _RULES[index]
        m = pattern.match(s, pos)
        if m is None or m.end() == pos:
            continue
        end = m.end()
        # keep only what the rule meant: trailing spaces are not part of the phrase
        while end > pos and s[end - 1].isspace():
            end -= 1
        if best is not None and end <= best[0]:
            continue
        hit = resolve(m, ctx)
        if hit is not None:
            best = (end, hit)
    return best


_LEAD_TRIGGER = re.compile(
    r"^(?:(?:due\s+)?(?:by|before|until|till|on)|due|no\s+later\s+than|deadline:?)\s+"
    r"|^(?:截止到|截止|截至|最晚|最迟)",
    re.IGNORECASE,
)
_TRAIL_BY = re.compile(r"\s*(?:之前|以前|前)$")


def _finish(hit: _Hit, ctx: _Ctx) -> datetime:
    tz = ctx.now.tzinfo
    if hit.exact is not None:
        return hit.exact
    assert hit.day is not None
    if hit.at is not None:
        at = hit.at
    elif hit.keeps_now and ctx.prefer == "past":
        return datetime.combine(hit.day, ctx.now.timetz())
    else:
        at = PAST_DEFAULT_TIME if ctx.prefer == "past" else DUE_DEFAULT_TIME
    return datetime.combine(hit.day, at, tzinfo=tz)


def _en_words_ok(phrase: str) -> bool:
    """Every word is date vocabulary and the phrase has an anchor (see module doc)."""
    words = phrase.lower().replace(",", " ").split()
    if not words or len(words) > 6:
        return False
    for word in words:
        word = word.rstrip(".")
        if word not in _EN_VOCAB and not _EN_TOKEN_SHAPES.fullmatch(word):
            return False
    low = " ".join(words)
    if _EN_ANCHOR.search(low):
        return True
    return bool(_EN_MONTH_WITH_NUMBER.search(low))


def _tz_name(now: datetime) -> str | None:
    tz = now.tzinfo
    if tz is None:
        return None
    key = getattr(tz, "key", None)
    if key:
        return key
    offset = now.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


_HAS_TIME = re.compile(
    r"\d(?:am|pm)\b|\d\s+(?:am|pm)\b|\d:\d\d|\bnoon\b|\bmidnight\b"
    r"|\b(?:hours?|hrs?|minutes?|mins?)\b",
    re.IGNORECASE,
)


def _dateparser(phrase: str, ctx: _Ctx) -> _Hit | None:
    """Ask dateparser, for phrases our rules don't cover; None unless it's sure.

    Imported here, not at the top: most messages never get this far, and a command
    line run (``kam say``) should not pay for loading it."""
    import dateparser

    settings: dict[str, object] = {
        "RELATIVE_BASE": ctx.now.replace(tzinfo=None),
        "PREFER_DATES_FROM": ctx.prefer,
        "DATE_ORDER": "MDY",
    }
    tz = _tz_name(ctx.now)
    if tz is not None:
        settings["TIMEZONE"] = tz
        settings["RETURN_AS_TIMEZONE_AWARE"] = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = dateparser.parse(phrase, languages=["en", "zh"], settings=settings)
    except (ValueError, OverflowError, TypeError, AttributeError, KeyError, IndexError):
        return None
    if found is None:
        return None
    if ctx.now.tzinfo is not None and found.tzinfo is not None:
        found = found.astimezone(ctx.now.tzinfo)
    elif ctx.now.tzinfo is None:
        found = found.replace(tzinfo=None)
    else:
        found = found.replace(tzinfo=ctx.now.tzinfo)
    if _HAS_TIME.search(phrase):
        return _Hit(exact=found)
    return _Hit(day=found.date())


def _parse_with_triggers(s: str, ctx: _Ctx, *, rules: bool = True) -> _Hit | None:
    """The whole of ``s`` (already normalised) as one date phrase.

    Our rules are tried on the text as given and without a leading ``by``/``截止``
    or a trailing ``前`` (unless ``rules`` is False: a caller that already tried them
    where the phrase stands, since some look at the words around it); only then dateparser, and never for a phrase with a
    weekday in it (dateparser's ``Friday`` skips today and its ``next Friday`` is
    the coming one, both unlike ours) or a numeric date (it reads ``13/1`` as
    day/month when month/day fails).
    """
    if not s:
        return None
    stripped = _TRAIL_BY.sub("", _LEAD_TRIGGER.sub("", s, count=1).strip()).strip()
    phrases = [s] if stripped in ("", s) else [s, stripped]
    for phrase in phrases if rules else ():
        got = _match_rules(phrase, 0, ctx)
        if got is not None and got[0] == len(phrase):
            return got[1]
    phrase = phrases[-1]
    if (
        phrase.isascii()
        and _en_words_ok(phrase)
        and not _EN_WEEKDAY_WORD.search(phrase)
        and not _NUMERIC_DATE.search(phrase)
        # a rule that matches but refuses (``tomorrow 13pm``) has the last word
        and not any(pattern.fullmatch(p) for pattern, _ in _RULES for p in phrases)
    ):
        return _dateparser(phrase, ctx)
    return None


def _check_now(now: datetime) -> None:
    if not isinstance(now, datetime):
        raise TypeError("now must be a datetime")


def parse_when(text: str, *, now: datetime, prefer: Prefer) -> datetime | None:
    """Read ``text`` as one date/time phrase relative to ``now``; None if it isn't one.

    ``prefer`` says which way an open phrase leans: ``"past"`` for when something
    happened (visits), ``"future"`` for due dates.  See the module docstring for the
    default times and the weekday rules.  ``by Friday`` / ``周五前`` read as Friday.
    """
    _check_now(now)
    ctx = _Ctx(now, prefer)
    hit = _parse_with_triggers(normalize(text), ctx)
    return None if hit is None else _finish(hit, ctx)


def parse_date(text: str, *, now: datetime, prefer: Prefer) -> date | None:
    """Like :func:`parse_when` but only the calendar day."""
    found = parse_when(text, now=now, prefer=prefer)
    return None if found is None else found.date()


_SEPARATORS = " \t\n,，、:：;；-—"
_WORD_TOKEN = re.compile(r"\S+")


def _token_match(
    s: str, pos: int, ctx: _Ctx, max_tokens: int = 5, beyond: int = 0
) -> tuple[int, _Hit] | None:
    """Longest run of 1..max_tokens whitespace tokens from ``pos`` that is an English date
    and ends after ``beyond`` (what the rules already read: dateparser is slow)."""
    tokens = []
    for m in _WORD_TOKEN.finditer(s, pos):
        tokens.append(m)
        if len(tokens) == max_tokens:
            break
    if not tokens or tokens[0].start() != pos:
        return None
    first = tokens[0].group().lower().rstrip(",.;:!?")
    if first not in _EN_VOCAB and not _EN_TOKEN_SHAPES.fullmatch(first):
        return None
    for k in range(len(tokens), 0, -1):
        end = tokens[k - 1].end()
        while end > pos and (s[end - 1] in ",.;:!?" or s[end - 1].isspace()):
            end -= 1
        if end <= beyond:
            break
        phrase = s[pos:end]
        if not phrase.isascii() or not _en_words_ok(phrase):
            continue
        # the rules where the phrase stands (they may look at what follows: "may 5 people")
        lead = _LEAD_TRIGGER.match(phrase)
        if lead is not None:
            got = _match_rules(s, pos + lead.end(), ctx)
            if got is not None and got[0] == end:
                return end, got[1]
        hit = _parse_with_triggers(phrase, ctx, rules=False)
        if hit is not None:
            return end, hit
    return None


def _match_at(s: str, pos: int, ctx: _Ctx) -> tuple[int, _Hit] | None:
    """The longest date phrase starting at ``pos`` (rules, then English tokens)."""
    best = _match_rules(s, pos, ctx)
    if pos >= 2 and s[pos - 1] in "-'" and _ascii_alnum(s[pos - 2]):
        return None  # the end of a word: "Mon-Fri", "o'clock"
    if s[pos].isascii() and (pos == 0 or not s[pos - 1].isalnum()):
        tok = _token_match(s, pos, ctx, beyond=0 if best is None else best[0])
        if tok is not None:
            best = tok
    if best is None:
        return None
    end = best[0]
    if end < len(s) and _ascii_alnum(s[end - 1]):
        rest = s[end : end + 2]
        if _ascii_alnum(rest[0]) or (rest[:1] in "-'" and len(rest) == 2 and rest[1].isalpha()):
            return None  # stopped inside a word: "Mondayish", "Monday-ish"
    return best


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def extract_leading_when(
    text: str, *, now: datetime, prefer: Prefer
) -> tuple[datetime | None, str]:
    """A date phrase at the very start of ``text``, and the rest (normalised, stripped).

    ``yesterday met Li Wei`` → (yesterday, ``met Li Wei``); ``昨天见了王总`` →
    (yesterday, ``见了王总``); ``met Li Wei`` → (None, ``met Li Wei``).  The longest
    phrase wins; English words are only taken when they are date words.
    """
    _check_now(now)
    s = normalize(text)
    if not s:
        return None, s
    ctx = _Ctx(now, prefer)
    got = _match_at(s, 0, ctx)
    if got is None:
        return None, s
    end, hit = got
    by = _TRAILING_BY.match(s, end)
    if by and _takes_trailing_by(s[end - 1]):
        end = by.end()
    return _finish(hit, ctx), s[end:].lstrip(_SEPARATORS)


_TRAILING_BY = re.compile(r"\s*(?:之前|以前|前)(?!天)")


def _takes_trailing_by(last: str) -> bool:
    """``周五前``, ``3号前``, ``12/8前``: a 前 after Chinese or a digit belongs to the date."""
    return is_cjk(last) or last.isdigit()


_DUE_BEFORE = re.compile(
    r"(?:(?<![A-Za-z])(?:(?:due\s+)?(?:by|before|until|till|on)|due|no\s+later\s+than|"
    r"deadline:?)\s+(?:the\s+)?|截止到|截止|截至|最晚|最迟|在)$",
    re.IGNORECASE,
)


def extract_due(text: str, *, now: datetime) -> tuple[datetime | None, str]:
    """Find a due date anywhere in a next-step text; returns it and the text without it.

    ``send proposal by Friday`` → (Friday 18:00, ``send proposal``); ``周五前发方案``
    → (Friday 18:00, ``发方案``); ``tomorrow call back`` → (tomorrow 18:00, ``call
    back``).  The leftmost phrase wins, with its ``by``/``before``/``due``/``截止``
    in front and ``前``/``之前``/``以前`` behind.  (None, text) when there is none.
    """
    _check_now(now)
    s = normalize(text)
    ctx = _Ctx(now, "future")
    for pos, ch in enumerate(s):
        if ch.isspace():
            continue
        if _ascii_alnum(ch) and pos and _ascii_alnum(s[pos - 1]):
            continue
        got = _match_at(s, pos, ctx)
        if got is None:
            continue
        end, hit = got
        start = pos
        before = _DUE_BEFORE.search(s, 0, pos)
        if before is not None:
            start = before.start()
        by = re.match(r"\s*(?:之前|以前|前)(?!天)", s[end:])
        if by:
            end += by.end()
        else:
            within = re.match(r"\s*(?:以内|之内)", s[end:])
            if within:
                end += within.end()
        return _finish(hit, ctx), join_text(s[:start], s[end:])
    return None, s


@dataclass(frozen=True)
class DateHit:
    """A date phrase found in a text: ``text[start:end]`` (offsets into the caller's
    text: the phrase is searched in ``fold(text)``, which keeps every character in
    place) and what it means.  ``has_time`` says whether the phrase gave a time of day.
    ``direction_ok`` is False when the date is on the wrong side of ``now`` for
    ``prefer`` even after re-reading (``yesterday`` as a due date, ``tomorrow`` as a
    visit): callers flag or refuse it rather than store it quietly.
    """

    start: int
    end: int
    when: datetime
    has_time: bool = False
    direction_ok: bool = True


def _direction_ok(when: datetime, has_time: bool, ctx: _Ctx) -> bool:
    """Future: today or later (a time earlier today is past); past: today or earlier
    (a time later today is future)."""
    if has_time:
        now = ctx.now
        if when.tzinfo is not None and now.tzinfo is None:
            now = now.replace(tzinfo=when.tzinfo)
        elif when.tzinfo is None and now.tzinfo is not None:
            now = now.replace(tzinfo=None)
        return when >= now if ctx.prefer == "future" else when <= now
    day = when.date()
    return day >= ctx.today if ctx.prefer == "future" else day <= ctx.today


def find_dates(text: str, *, now: datetime, prefer: Prefer) -> list[DateHit]:
    """Every date phrase in ``text``, left to right, none overlapping; each with its
    ``by``/``before``/``due``/``截止`` in front and ``前``/``之前``/``以前`` behind.
    Offsets index ``text``.  A phrase is read in ``prefer``'s direction where it allows
    it (see the module doc); ``DateHit.direction_ok`` says whether it ended up there.
    The same text is often searched by several readers of one message: remembered.
    """
    return list(_find_dates(text, now, prefer))


@functools.lru_cache(maxsize=512)
def _find_dates(text: str, now: datetime, prefer: Prefer) -> tuple[DateHit, ...]:
    return tuple(_search_dates(text, now=now, prefer=prefer))


def _search_dates(text: str, *, now: datetime, prefer: Prefer) -> list[DateHit]:
    _check_now(now)
    s = fold(text)
    ctx = _Ctx(now, prefer)
    hits: list[DateHit] = []
    done = 0
    for pos in _candidates(s):
        if pos < done:
            continue
        got = _match_at(s, pos, ctx)
        if got is None:
            continue
        end, hit = got
        start = pos
        before = _DUE_BEFORE.search(s, max(done, pos - 24), pos)
        if before is not None:
            start = before.start()
        by = _TRAILING_BY.match(s, end)
        if by and _takes_trailing_by(s[end - 1]):
            end = by.end()
        when = _finish(hit, ctx)
        has_time = hit.exact is not None or hit.at is not None
        while end > start + 1 and s[end - 1] in ".,;":  # "by Fri." ends a sentence too
            end -= 1
        hits.append(DateHit(start, end, when, has_time, _direction_ok(when, has_time, ctx)))
        done = end
    return hits
