"""Reading a logged interaction the way reps type it: when it happened, the note, and
every next step with its own due date and owner.

    read_log("met Li Wei yesterday afternoon. next: send deck by Mon; @carol contract by Wed",
             now=…)
    → LogReading(note="met Li Wei yesterday afternoon.", when=<yesterday 14:00>,
                 steps=[Step("send deck", due=<Mon>), Step("contract", due=<Wed>, owner="carol")])

Pure text work (no database): ``handlers.commands.log`` turns a reading into replies,
refusals and writes.  Every span is found in ``fold(text)`` and every stored piece is
the original slice, so a note keeps the ``，`` that was typed.

The interaction date
--------------------
Date phrases in the note part are read looking back (``prefer="past"``).  Deadline-like
ones (``by Friday``, ``周五前``) are things said, not when it happened.  The first of
the others is the date: at the front of the note it is cut from the stored note, in the
middle of a sentence it stays there (it is part of what was said) but is still read.
A later date on another day is a second candidate: after a leading date it is just a
word in the note (listed in ``other_dates``) — unless the leading phrase is a whole
week or month (``上周``) — otherwise the reading is unsure
(``conflict``) and the command asks which day.  A time alone (``at 3pm``) after a day
without one gives that day its time.  A day ahead leading the note or in its first
clause (``tomorrow met Li Wei``, ``met Li Wei next week``) is when it would have
happened: ``future`` says so and the command refuses (it hasn't happened yet).  In a
later clause it is what was said (``电话沟通了预算，客户说下个月再定``): kept in the note,
named in ``ahead``, logged for today.  A day-and-month or a day without its month more
than three weeks back but nearer ahead (``Dec 9`` or ``20号`` said on Nov 18) counts
as ahead.

Next steps
----------
After a marker (``text.next_step_markers``: ``next:``, ``下一步``, ``todo:`` …) come the
steps.  Numbered items (``1. … 2. …``, ``1) ``, ``1、``, ``①``), bullets, ``;`` and line
breaks always separate steps; commas, ``、``, sentence ends, ``and`` / ``then`` / ``然后``
separate them only when each side has its own due date or owner (``send deck by Mon,
@carol to send the contract by Wed``); otherwise the clause stays with its neighbour
(``send deck and pricing by Wed`` is one step).  A step's due date (``prefer="future"``)
is its first deadline-like date phrase, else its first date phrase; at the start or end
of the step it is cut from the task text.  ``@handle`` (or a platform mention's token)
names the owner; a leading ``@carol to`` / ``@carol:`` / ``@carol 负责`` is cut too.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from .dates import DateHit, find_dates
from .text import fold, next_step_markers
from .unread import unread_phrases

__all__ = ["LogReading", "Step", "read_log", "unread_date_phrases"]

_SEP = " \t\n,.;:!?，。；：、！？-—–·•*"
_SEP_KEEP_STOP = " \t\n,;:，；：、-—–·•*"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
_CLAUSE_END = re.compile(r"[,;，；。!?！？]|\.(?=\s)|\s[-–—]\s")
# a leading phrase naming a whole week/month/year, not a day
_PERIOD = re.compile(r"(?:周|星期|礼拜|月|年|week|month|year)$", re.IGNORECASE)
# how far back a date without its month or year (``20号``, ``Dec 9``) may be read before
# a nearer reading ahead wins (a bare weekday is never that far back)
FLIP_DAYS = 21


@dataclass
class Step:
    """One next step: the task text as typed, its due date and owner (a handle)."""

    text: str
    clause: str  # the whole step as typed, for messages
    due: datetime | None = None
    due_phrase: str | None = None
    owners: list[str] = field(default_factory=list)  # handles named in the step
    unread: list[str] = field(default_factory=list)  # date-like phrases not read


@dataclass
class LogReading:
    note: str
    when: datetime | None = None  # None: no date in the note (today)
    date_phrase: str | None = None
    future: tuple[str, datetime] | None = None  # the only date is ahead
    conflict: list[tuple[str, datetime]] = field(default_factory=list)  # unsure: ask
    other_dates: list[str] = field(default_factory=list)  # kept in the note as text
    ahead: list[str] = field(default_factory=list)  # days ahead in a dateless note
    unread: list[str] = field(default_factory=list)  # date-like phrases in a dateless note
    steps: list[Step] = field(default_factory=list)
    empty_marker: bool = False  # "next:" with nothing after it
    empty_steps: list[str] = field(default_factory=list)  # steps that are only a date/owner


# ---------------------------------------------------------------------------
# Small helpers

_DEADLINE = re.compile(
    r"^(?:(?:due\s+)?(?:by|before|until|till)\b|due\b|no\s+later\s+than|deadline|"
    r"截止|截至|最晚|最迟)|(?:之前|以前|前)$",
    re.IGNORECASE,
)
_TIME_ONLY = re.compile(
    r"(?:at\s+|around\s+|@\s*)?(?:\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}"
    r"|noon|midnight)"
    r"|(?:上午|下午|中午|早上|晚上|傍晚|凌晨)?\s*\d{1,2}\s*(?:点|:|时)(?:半|\d{1,2}分?)?"
    r"|上午|下午|中午|早上|晚上|傍晚",
    re.IGNORECASE,
)


def _folded(text: str) -> str:
    """``fold(text)`` with its line breaks kept (a line per step is a layout)."""
    return "".join("\n" if ch in "\n\r" else c for ch, c in zip(text, fold(text), strict=True))


def _trim(f: str, start: int, end: int, *, keep_stop: bool = False) -> tuple[int, int]:
    """``start, end`` moved past separators; ``keep_stop`` keeps a note's final ``.``/``。``."""
    while start < end and f[start] in _SEP:
        start += 1
    tail = _SEP_KEEP_STOP if keep_stop else _SEP
    while end > start and f[end - 1] in tail:
        end -= 1
    return start, end


def _dates(text: str, start: int, end: int, now: datetime, prefer: str) -> list[DateHit]:
    """``find_dates`` over ``text[start:end]``, offsets into ``text``; circled item numbers
    (``①``, folded to ``1``) are blanked first so they never join a date."""
    piece = "".join(" " if ch in _CIRCLED else ch for ch in text[start:end])
    return _shift(find_dates(piece, now=now, prefer=prefer), start)  # type: ignore[arg-type]


def _is_deadline(phrase: str) -> bool:
    return bool(_DEADLINE.search(phrase.strip()))


def _shift(hits: list[DateHit], offset: int) -> list[DateHit]:
    return [DateHit(h.start + offset, h.end + offset, h.when, h.has_time) for h in hits]


# ---------------------------------------------------------------------------
# Phrases that look like dates but are not read: handlers.parsing.unread, here in its
# loose form (a note or a step, where a date was expected)


def unread_date_phrases(
    text: str, taken: list[tuple[int, int]], *, vague: bool = False
) -> list[tuple[int, int]]:
    """:func:`handlers.parsing.unread.unread_phrases` with ``loose`` on."""
    return unread_phrases(text, taken, loose=True, vague=vague)


# ---------------------------------------------------------------------------
# The interaction date


def _read_note(text: str, f: str, end: int, now: datetime, reading: LogReading) -> None:
    """Fill ``reading``'s date and note from ``text[:end]`` (``f``: it folded)."""
    start, stop = _trim(f, 0, end, keep_stop=True)
    past = _dates(text, start, stop, now, "past")
    today = now.date()
    candidates = [h for h in past if not _is_deadline(text[h.start : h.end])]
    behind = [h for h in candidates if h.when.date() <= today]
    ahead = [(h, h.when) for h in candidates if h.when.date() > today]
    if behind:
        # a day without its month or year nearer ahead than behind ("Dec 9", "20号")
        forward = {h.start: h for h in _dates(text, start, stop, now, "future")}
        for h in list(behind):
            other = forward.get(h.start)
            back = (today - h.when.date()).days
            if (
                other is not None
                and other.end == h.end
                and other.when.date() > today
                and back > FLIP_DAYS
                and (other.when.date() - today).days < back
            ):
                behind.remove(h)
                ahead.append((h, other.when))
        ahead.sort(key=lambda pair: pair[0].start)
    # a day ahead in the first clause is when it would have happened: not yet
    clause = _CLAUSE_END.search(f, start, stop)
    first_clause_end = clause.start() if clause else stop
    early = [(h, w) for h, w in ahead if h.start < first_clause_end]
    if early and (not behind or early[0][0].start < behind[0].start):
        h, w = early[0]
        reading.future = (text[h.start : h.end], w)
        return
    first: DateHit | None = behind[0] if behind else None
    if first is None:
        # later days ahead are what was said ("客户说下个月再定"): kept, and named
        reading.ahead = [text[h.start : h.end] for h, _w in ahead]
        reading.note = text[start:stop]
        taken = [(h.start - start, h.end - start) for h in past]
        reading.unread = [
            text[a + start : b + start] for a, b in unread_date_phrases(text[start:stop], taken)
        ]
        return
    when = first.when
    others: list[DateHit] = []
    for h in behind[1:]:
        phrase = f[h.start : h.end].strip()
        if not first.has_time and _TIME_ONLY.fullmatch(phrase) and h.when.date() == today:
            when = datetime.combine(when.date(), h.when.timetz())
            continue
        if h.when.date() != first.when.date():
            others.append(h)
    # a leading day says when; a leading week or month does not outrank a day said later
    leading = first.start == start and not (
        others and _PERIOD.search(f[first.start : first.end].strip())
    )
    reading.when = when
    reading.date_phrase = text[first.start : first.end]
    if leading:
        note_start, note_stop = _trim(f, first.end, stop, keep_stop=True)
        reading.note = text[note_start:note_stop] if note_start < note_stop else ""
        reading.other_dates = [text[h.start : h.end] for h in others]
    else:
        reading.note = text[start:stop]
        if others:
            reading.conflict = [(text[first.start : first.end], first.when)] + [
                (text[h.start : h.end], h.when) for h in others
            ]


# ---------------------------------------------------------------------------
# Next steps

_ITEM = re.compile(r"(?:^|(?<=[\s;,。、:]))(?:\(\d{1,2}\)|\d{1,2}[.)、](?!\d))\s*")
_BULLET = re.compile(r"(?:^|(?<=\n))\s*[-•*·]\s+")
_HARD = re.compile(r"\s*(?:;|；|\n)\s*|\s+/\s+")  # "A by Fri / B by Mon"
_SOFT = re.compile(
    r"\s*(?:,|、|。|[.!?](?=\s)|!)\s*(?:(?:and\s+)?then\s+|然后|接着)?"
    r"|\s+(?:and\s+then|and|then)\s+|\s*(?:然后|接着)\s*",
    re.IGNORECASE,
)
_MENTION = re.compile(
    r"(?<![A-Za-z0-9_.])@(?:[A-Za-z0-9_][A-Za-z0-9_.\-]*|[^\s@,.;:!?，。；：、]+)"
)
_DANGLING = re.compile(r"\s+(?:for|on|at|in|by|before|due|until|till)$|在$", re.IGNORECASE)
_OWNER_GLUE = re.compile(r"\s*(?:to\s+|:\s*|,\s*|负责\s*|来\s*|去\s*)?", re.IGNORECASE)


def _numbered(f: str, text: str, start: int, end: int) -> list[int]:
    """Cut points of numbered items 1, 2, 3 … (all or nothing) and bullets in ``f``."""
    cuts: list[int] = []
    expect = 1
    for m in _ITEM.finditer(f, start, end):
        number = int(re.match(r"\(?(\d+)", m.group(0)).group(1))  # type: ignore[union-attr]
        if number == expect:
            cuts.append(m.start())
            expect += 1
    if len(cuts) < 2:
        cuts = []
        expect = 1
        for i in range(start, end):
            if text[i] in _CIRCLED and _CIRCLED.index(text[i]) + 1 == expect:
                cuts.append(i)
                expect += 1
        if len(cuts) < 2:
            cuts = []
    cuts += [m.start() for m in _BULLET.finditer(f, start, end)]
    return sorted(set(cuts))


def _item_body(f: str, text: str, start: int, end: int) -> int:
    """Where an item's text begins after its number or bullet."""
    if start < end and text[start] in _CIRCLED:
        return start + 1
    m = _ITEM.match(f, start, end) or _BULLET.match(f, start, end)
    return m.end() if m else start


def _owners(
    f: str, start: int, end: int, tokens: Collection[str] = ()
) -> list[tuple[int, int, str]]:
    """``(start, end, handle)`` of each ``@handle`` in ``f[start:end]``.  A platform
    mention's token (``tokens``, casefolded) is taken whole even with words glued on
    (``@王磊负责发合同``); else the handle is the ASCII run (or the run up to a space)."""
    found = []
    for m in _MENTION.finditer(f, start, end):
        at = m.start() + 1
        glued = [t for t in tokens if f[at : at + len(t)].casefold() == t]
        if glued:
            stop = at + max(map(len, glued))
        else:
            stop = m.end()
            while stop > at + 1 and f[stop - 1] in ".-":
                stop -= 1
        found.append((m.start(), stop, f[at:stop]))
    return found


def _step(
    text: str, f: str, start: int, end: int, hits: list[DateHit], tokens: Collection[str]
) -> Step | None:
    start, end = _trim(f, start, end)
    if start >= end:
        return None
    clause = text[start:end]
    mine = [h for h in hits if start <= h.start and h.end <= end]
    due = next((h for h in mine if _is_deadline(f[h.start : h.end])), mine[0] if mine else None)
    mentions = _owners(f, start, end, tokens)
    owners = list(dict.fromkeys(handle for _s, _e, handle in mentions))
    s, e = start, end
    if mentions and mentions[0][0] == s:
        glue = _OWNER_GLUE.match(f, mentions[0][1], e)
        s = glue.end() if glue else mentions[0][1]
        s, e = _trim(f, s, e)
    elif mentions and mentions[-1][1] == e:
        s, e = _trim(f, s, mentions[-1][0])
    if due is not None:
        if due.start <= s < due.end or (s <= due.start and not f[s : due.start].strip(_SEP)):
            s, e = _trim(f, max(s, due.end), e)
        elif due.start < e <= due.end or (due.end <= e and not f[due.end : e].strip(_SEP)):
            s, e = _trim(f, s, min(e, due.start))
            dangling = _DANGLING.search(f, s, e)  # "book demo for [next Thu]"
            if dangling is not None and dangling.start() > s:
                s, e = _trim(f, s, dangling.start())
    step = Step(
        text=text[s:e] if s < e else "",
        clause=clause,
        due=due.when if due else None,
        due_phrase=text[due.start : due.end] if due else None,
        owners=owners,
    )
    if due is None:
        taken = [(h.start - start, h.end - start) for h in hits]
        step.unread = [clause[a:b] for a, b in unread_date_phrases(clause, taken, vague=True)]
    return step


def _read_steps(
    text: str, f: str, start: int, end: int, now: datetime, tokens: Collection[str]
) -> list[Step | None]:
    """The steps in ``text[start:end]`` (None for a step with nothing in it)."""
    hits = _dates(text, start, end, now, "future")

    def inside_date(pos: int) -> bool:
        return any(h.start <= pos < h.end for h in hits)

    pieces: list[tuple[int, int]] = []
    cuts = [c for c in _numbered(f, text, start, end) if not inside_date(c)]
    bounds = [start, *[c for c in cuts if c > start], end]
    for a, b in itertools.pairwise(bounds):
        a = _item_body(f, text, a, b) if a in cuts else a
        pos = a
        for m in _HARD.finditer(f, a, b):
            if inside_date(m.start()):
                continue
            pieces.append((pos, m.start()))
            pos = m.end()
        pieces.append((pos, b))

    steps: list[Step | None] = []
    for a, b in pieces:
        if not f[a:b].strip(_SEP):
            continue
        # soft clauses: each stands alone only with its own date or owner
        clauses: list[list[int]] = []
        pos = a
        for m in _SOFT.finditer(f, a, b):
            if m.end() == m.start() or inside_date(m.start()) or m.start() == a:
                continue
            clauses.append([pos, m.start()])
            pos = m.end()
        clauses.append([pos, b])

        def own(c: list[int]) -> bool:
            return any(c[0] <= h.start and h.end <= c[1] for h in hits) or bool(
                _owners(f, c[0], c[1], tokens)
            )

        merged: list[list[int]] = []
        for c in clauses:
            if not f[c[0] : c[1]].strip(_SEP):
                continue
            if merged and not (own(c) and own(merged[-1])):
                merged[-1][1] = c[1]  # joins its neighbour: one step
            else:
                merged.append(c)
        steps.extend(_step(text, f, c[0], c[1], hits, tokens) for c in merged)
    return steps


# ---------------------------------------------------------------------------


_CLAUSE = re.compile(r"(?:[.!?;]\s+|[。；！？\n]|[,，]\s*)")
_END_OF = re.compile(r"(?<![A-Za-z])(?:eo[dwmqy]|end of)(?![A-Za-z])|月底|年底|季度末", re.I)
# reported speech is what was said, not a step: "他说预算周五前批", "they said by Friday"
_SAID = re.compile(
    r"说|表示|称|觉得|认为|反馈|答应|承诺|(?<![A-Za-z])(?:said|says|told|mentioned|expects?|"
    r"promised|hopes?|thinks?|will)(?![A-Za-z])",
    re.IGNORECASE,
)


def _implicit_step(f: str, now: datetime) -> list[tuple[int, int]]:
    """A next step written without ``next:``: a later clause of the note with a deadline
    ahead (``… Send redlines by Wednesday``, ``…，下周三前把方案发过去``) or given to
    someone (``@bob please call him by Tuesday``).  Where it starts, as an empty marker."""
    cuts = [m.end() for m in _CLAUSE.finditer(f)]
    hits = find_dates(f, now=now, prefer="future")
    for start in cuts:
        end = next((c for c in cuts if c > start), len(f))
        clause = f[start:end]
        if not clause.strip(_SEP):
            continue
        owner = _MENTION.match(clause.lstrip())
        if _SAID.search(clause) and not owner:
            continue
        ahead = [
            h
            for h in hits
            if start <= h.start < end
            and h.when.date() >= now.date()
            and (_is_deadline(f[h.start : h.end]) or _END_OF.search(f[h.start : h.end]))
        ]
        if ahead or (owner and any(start <= h.start < end for h in hits)):
            return [(start, start)]
    return []


def read_log(text: str, *, now: datetime, mentions: Collection[str] = ()) -> LogReading:
    """Read a logged interaction's text (everything after the account name);
    ``mentions``: the tokens of the message's platform mentions (casefolded)."""
    tokens = [t.casefold() for t in mentions if t]
    f = _folded(text)
    markers = next_step_markers(f) or _implicit_step(f, now)
    note_end = markers[0][0] if markers else len(text)
    reading = LogReading(note="")
    _read_note(text, f, note_end, now, reading)
    for i, (_start, m_end) in enumerate(markers):
        region_end = markers[i + 1][0] if i + 1 < len(markers) else len(text)
        found = _read_steps(text, f, m_end, region_end, now, tokens)
        if not f[m_end:region_end].strip(_SEP):
            reading.empty_marker = True
        for step in found:
            if step is None:
                continue
            if not step.text:
                reading.empty_steps.append(step.clause)
            reading.steps.append(step)
    return reading
