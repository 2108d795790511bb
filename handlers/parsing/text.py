"""Small text helpers shared by the parsers.

``normalize`` is the first thing every parser does to its input: NFKC (full-width
digits, letters, ``，：；（）`` become ASCII), control characters removed, runs
of spaces collapsed.  Text returned as a "rest" by the extractors is normalised text.
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = [
    "as_typed",
    "cn_to_int",
    "fold",
    "is_cjk",
    "join_text",
    "next_step_markers",
    "normalize",
    "split_next_step",
    "tokenize_quoted",
]

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_SPACES = re.compile(r"[^\S\n]+")


def normalize(text: str) -> str:
    """NFKC, drop control characters (newlines kept), collapse spaces, strip.

    Tabs and other odd whitespace become single spaces; ``\\r\\n`` becomes ``\\n``.
    """
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch) != "Cc" else " " for ch in text)
    text = _SPACES.sub(" ", text)
    text = re.sub(r" ?\n ?", "\n", text)
    return text.strip()


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    if len(folded) != 1:
        return ch  # ligatures and the like keep their place: offsets must not move
    if folded.isspace() or unicodedata.category(folded) == "Cc":
        return " "
    return folded


def fold(text: str) -> str:
    """``text`` made easy to read — full-width letters, digits and ``，：；（）`` as ASCII,
    odd spaces as spaces — **with every character in its place**: ``fold(t)[i:j]`` is
    what the person wrote as ``t[i:j]``.  Parsers find spans in the folded text and
    store the original slice, so a note keeps the ``，`` that was typed.
    """
    return "".join(map(_fold_char, text))


def as_typed(part: str, typed: str) -> str:
    """The end of ``typed`` (a message as the person wrote it) that ``normalize``s to
    ``part`` (the end of the normalised message), so it can be stored as written:
    ``as_typed("见了王总,预算已批", "/拜访 华夏重工 见了王总，预算已批")`` →
    ``"见了王总，预算已批"``.  ``part`` itself when ``typed`` does not end that way.
    """
    typed = typed.rstrip()
    if not part or not typed or typed.endswith(part):
        return part
    want = len(part.replace(" ", "").replace("\n", ""))
    count = 0
    for i in range(len(typed) - 1, -1, -1):
        ch = typed[i]
        count += 0 if ch.isspace() else len(normalize(ch).replace(" ", ""))
        if count >= want:
            candidate = typed[i:].strip()
            return candidate if normalize(candidate) == part else part
    return part


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph (the characters Chinese names and words are made of)."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def join_text(left: str, right: str) -> str:
    """Join two pieces of text left over after cutting something out of the middle.

    Chinese needs no space between the pieces; everything else gets one.  Stray
    separators at the cut (``send proposal , then`` → ``send proposal, then``) and
    at both ends are tidied away.
    """
    left, right = left.rstrip(), right.lstrip()
    if not left or not right or is_cjk(left[-1]) or is_cjk(right[0]):
        glue = ""
    else:
        glue = " "
    text = left + glue + right
    text = re.sub(r"\s+([,.;:!?。，、；：])", r"\1", text)
    text = re.sub(r"([,;:，、；：])(?=[,;:，、；：.。])", "", text)
    return text.strip(" \t\n,;:，、；：-—")


# ---------------------------------------------------------------------------
# Chinese numerals

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}


def cn_to_int(text: str) -> int | None:
    """Read an integer written in ASCII digits or Chinese numerals; None if it isn't one.

    ``"12"`` → 12, ``"十二"`` → 12, ``"两百"`` → 200, ``"一百零五"`` → 105,
    ``"一百二十万"`` → 1,200,000, ``"二〇二六"`` → 2026 (digit by digit).
    """
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    if any(
        ch not in _CN_DIGITS and ch not in _CN_SMALL_UNITS and ch not in _CN_BIG_UNITS
        for ch in text
    ):
        return None
    if all(ch in _CN_DIGITS for ch in text):
        if len(text) == 1:
            return _CN_DIGITS[text]
        if "两" in text:
            return None
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total = 0  # everything before the last 亿
    section = 0  # the part below 万 (or between 万 and 亿)
    high = 0  # the 万 part of the current 亿 section
    digit: int | None = None
    last_small = 10_000
    last_big = 10**9
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None and digit != 0 and _CN_DIGITS[ch] != 0:
                return None  # two digits in a row: "一二百"
            digit = _CN_DIGITS[ch]
        elif ch in _CN_SMALL_UNITS:
            unit = _CN_SMALL_UNITS[ch]
            if unit >= last_small:
                return None  # "十百", "百百"
            if digit is None:
                if ch != "十" or section:
                    return None
                digit = 1  # "十二" = 12
            section += digit * unit
            digit = None
            last_small = unit
        else:
            unit = _CN_BIG_UNITS[ch]
            if unit >= last_big:
                return None
            section += digit or 0
            digit = None
            if not section and not high and not total:
                return None  # a bare "万"
            if unit == 10_000:
                high = section * 10_000
            else:
                total = (total + high + section) * 100_000_000
                high = 0
            section = 0
            last_small = 10_000
            last_big = unit
    return total + high + section + (digit or 0)


# ---------------------------------------------------------------------------
# Next step

# A marker that starts the next steps.  With a colon anywhere: ``next:``, ``next steps:``,
# ``todo:``, ``action items:``, ``follow-up:``, ``下一步：``, ``待办：``, ``跟进：``, ``后续：``.
# Without one: ``下一步`` anywhere (``下一步明天发报价``, ``下一步是…``), and ``next step(s)`` /
# ``todo`` where a sentence starts (``Budget approved. Next step send the deck``) — in the
# middle of a sentence (``discussed next steps with the CFO``) they are just words.
_SENTENCE_START = r"(?:^|(?<=[.!?;。！？；\n])\s*|(?<=[.!?;。！？；]\s))"
_NEXT_STEP = re.compile(
    r"(?:(?<![A-Za-z])(?:next\s*steps?|next|todo|to-?do|action\s*items?|follow[\s-]?ups?)"
    r"\s*[:：])"
    r"|(?:下一步|下步)(?:计划|安排|工作|行动)?(?:是|要|就是)?\s*[:：]"
    # without a colon where a clause starts, not "讨论了下一步合作" or "下一步的计划"
    r"|(?<![了的论量谈聊定排划确])(?:下一步|下步)(?:计划|安排|工作|行动)?(?:是|要|就是)?\s*(?![的了])"
    r"|(?:待办|后续跟进|后续|跟进)(?:事项)?\s*[:：]"
    rf"|{_SENTENCE_START}(?:next\s+steps?|todo|to-?do)"
    r"(?:\s+(?:is|are|will\s+be))?(?:\s*[-–—]\s*|\s+(?:to\s+)?)(?=\S)",
    re.IGNORECASE,
)


def next_step_markers(text: str) -> list[tuple[int, int]]:
    """Where next-step markers stand in ``text``: ``(start, end)`` of each, left to right."""
    return [m.span() for m in _NEXT_STEP.finditer(text)]


def split_next_step(text: str) -> tuple[str, str | None]:
    """Split a visit note at ``next:`` / ``next step:`` / ``todo:`` / ``下一步：``.

    Returns ``(note, next_step)``; ``next_step`` is None when there is no marker or
    nothing after it.  Only the first marker splits.  Separators at the cut are
    dropped, sentence-ending punctuation on the note is kept.  (``handlers.parsing.steps``
    reads several steps, each with its own due date and owner.)
    """
    m = _NEXT_STEP.search(text)
    if m is None:
        return text.strip(), None
    before = text[: m.start()].rstrip().rstrip(",;，；、").rstrip()
    after = text[m.end() :].strip()
    return before, (after or None)


# ---------------------------------------------------------------------------
# Quoted tokens

_QUOTES = {'"': '"', "“": "”", "”": "”", "「": "」", "『": "』", "«": "»"}


def tokenize_quoted(text: str) -> list[str]:
    """Split on whitespace, keeping quoted parts together; never raises.

    Understands ``"..."``, ``“...”``, ``「...」`` and ``『...』``.  Quotes may sit inside
    a token (``name="Acme Corp"`` → ``name=Acme Corp``).  An unclosed quote takes
    the rest of the text.  ``""`` gives an empty token.  Apostrophes are not quotes
    (``O'Brien``).
    """
    tokens: list[str] = []
    buf: list[str] = []
    in_token = False
    closing: str | None = None
    for ch in text:
        if closing is not None:
            if ch == closing or (closing == "”" and ch == "“"):
                closing = None
            else:
                buf.append(ch)
        elif ch in _QUOTES:
            closing = _QUOTES[ch]
            in_token = True
        elif ch.isspace():
            if in_token:
                tokens.append("".join(buf))
                buf = []
                in_token = False
        else:
            buf.append(ch)
            in_token = True
    if in_token:
        tokens.append("".join(buf))
    return tokens
