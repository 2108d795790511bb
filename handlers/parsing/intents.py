"""What a message is about, wherever the word stands: ``find_intents``.

    find_intents("Acme: visited today, met Li Wei")   → [visit "visited" (strong), meet "met" (weak)]
    find_intents("给华夏重工开了发票 50万")              → [invoice "开了发票"]
    find_intents("vist Acme")                          → [visit "vist" (typo)]
    find_intents("拜坊华夏重工")                         → [visit "拜坊" (sound: bai fang)]

The lexicon maps what people write — verbs in any tense, nouns, synonyms, stage
words, in English and Chinese — to a command.  Each entry has a *strength*:

* ``strong``  the message is this command (``visited``, ``拜访``, ``paid``, ``回款``);
* ``stage``   a deal's stage or outcome (``in negotiation``, ``赢单``, ``黄了``): a deal
  update, and the words stay in the text for the deal's own parser;
* ``money``   a payment only when the message also has an amount (``received``, ``回了``);
* ``weak``    words a note is made of (``met``, ``talked``, ``见了``, ``聊了``): they
  say something happened, not what.

A word that is none of these but is one or two edits from a single-word entry
(``vist``, ``visted``, ``invoce``), or a Chinese word that *sounds* like one (an IME
slip: ``拜坊`` for ``拜访``, via pypinyin), is offered as ``typo``/``sound`` — only for
the message's first word, where a command word would stand; the caller echoes it.
Pure: no database; ``understand`` decides what to do with the hits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from .text import fold, is_cjk

__all__ = ["CN_PARTICLES", "LEXICON", "IntentHit", "find_intents", "first_word_guesses"]


@dataclass(frozen=True)
class IntentHit:
    start: int
    end: int
    command: str
    strength: str  # strong | stage | money | weak | typo | sound
    word: str  # what the lexicon knows it as (for typos and sounds: the word meant)


# (command, strength, surfaces).  English surfaces are whole words, case-insensitive;
# Chinese ones are found anywhere, with a trailing 了/过 taken along.
LEXICON: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "visit",
        "strong",
        (
            "visit",
            "visited",
            "visiting",
            "visits",
            "site visit",
            "on-site visit",
            "onsite",
            "on-site",
            "on site",
            "went to",
            "went over to",
            "dropped by",
            "stopped by",
            "popped in at",
            "popped by",
            "swung by",
            "drove to",
            "拜访",
            "上门拜访",
            "拜会",
            "上门",
            "走访",
            "登门",
            "到访",
            "去了趟",
            "去了一趟",
            "跑了一趟",
            "跑了趟",
            "去拜访",
            "实地考察",
            "现场拜访",
            "拜见",
            "登门拜访",
            "上门了",
            "去了",
            "去拜访了",
            "跑了",
            "走访了",
            "实地走访",
            "dropped in",
            "went to see",
            "in person",
            "face to face",
            "f2f",
            "on-site at",
            "site walk",
            "walked the site",
            "toured",
        ),
    ),
    (
        "call",
        "strong",
        (
            "call",
            "called",
            "calling",
            "phone call",
            "phoned",
            "rang",
            "rang up",
            "dialed",
            "dialled",
            "on the phone",
            "over the phone",
            "call with",
            "calls",
            "电话",
            "通了电话",
            "打了电话",
            "打电话",
            "通电话",
            "通话",
            "来电",
            "电联",
            "致电",
            "打了个电话",
            "通了个电话",
            "回电",
            "微信电话",
            "语音电话",
            "打了个电话给",
            "电话联系",
            "phone",
            "phone with",
            "rang them",
            "calls with",
            "called up",
            "spoke on the phone",
        ),
    ),
    (
        "meet",
        "strong",
        (
            "meeting",
            "meetings",
            "had a meeting",
            "met with",
            "video call",
            "zoom",
            "workshop",
            "qbr",
            "review meeting",
            "会议",
            "开会",
            "开了会",
            "开了个会",
            "会面",
            "会谈",
            "碰头",
            "碰了个头",
            "见面",
            "视频会",
            "线上会",
            "腾讯会议",
            "见了个面",
            "约见",
            "面谈",
            "洽谈",
            "会晤",
            "视频会议",
            "电话会议",
            "线上会议",
            "开了个会",
            "teams call",
            "teams meeting",
            "zoom call",
            "video meeting",
            "conference call",
            "kickoff",
            "kick-off",
        ),
    ),
    (
        "meal",
        "strong",
        (
            "meal",
            "lunch",
            "dinner",
            "breakfast",
            "coffee",
            "drinks",
            "dined",
            "lunched",
            "took them to lunch",
            "took them to dinner",
            "吃饭",
            "吃了饭",
            "吃了个饭",
            "饭局",
            "宴请",
            "请客",
            "请吃饭",
            "聚餐",
            "喝茶",
            "喝咖啡",
            "午餐",
            "晚餐",
            "晚饭",
            "午饭",
            "吃了顿饭",
            "请吃饭了",
            "喝了咖啡",
            "喝了茶",
            "吃了午饭",
            "吃了晚饭",
            "宴请了",
            "happy hour",
            "had coffee",
            "grabbed coffee",
            "took them out",
        ),
    ),
    (
        "deal",
        "strong",
        ("deal", "opp", "oppty", "opportunity", "商机", "新商机"),
    ),
    (
        "deal",
        "stage",
        (
            "in negotiation",
            "negotiating",
            "negotiation",
            "closed won",
            "closed lost",
            "won the deal",
            "lost the deal",
            "deal won",
            "deal lost",
            "is dead",
            "lost to",
            "moved to proposal",
            "moved to negotiation",
            "moved to qualify",
            "proposal stage",
            "赢单",
            "签单",
            "签约了",
            "丢单",
            "输单",
            "黄了",
            "输给了",
            "进入谈判",
            "商务谈判",
            "推进到",
            "方案已提交",
            "方案已经提交",
            "进入方案",
            "进入报价",
            "立项",
            "close",
            "closing",
            "expected close",
            "won",
            "lost",
            "qualified",
            "proposal sent",
            "negotiating",
            "signed",
            "verbal yes",
            "dead",
            "成交",
            "签了",
            "签约",
            "赢了",
            "输了",
            "丢了",
            "初步接洽",
            "谈判中",
            "报价阶段",
            "方案阶段",
            "预计成交",
            "中标",
            "没中标",
            "流标",
        ),
    ),
    (
        "paid",
        "strong",
        (
            "paid",
            "payment",
            "payment received",
            "received payment",
            "wired",
            "remitted",
            "collected",
            "cash in",
            "settled",
            "payment came in",
            "transferred",
            "got paid",
            "paid us",
            "sent us",
            "回款",
            "收款",
            "收到款",
            "收到回款",
            "到账",
            "打款",
            "付款",
            "付了款",
            "回了款",
            "款到了",
            "打了款",
            "汇款",
            "汇了款",
            "转了账",
            "转了款",
            "结了款",
            "结款",
            "款已到",
            "已到账",
        ),
    ),
    (
        # a payment only when the message has an amount: "received the feedback" is not
        "paid",
        "money",
        (
            "received",
            "came in",
            "money came in",
            "got the money",
            "wire came in",
            "transfer came in",
            "收到了",
            "到款",
            "回了",
            "打过来了",
            "转过来了",
            "付了",
            "汇了",
            "转账",
        ),
    ),
    (
        "invoice",
        "strong",
        (
            "invoice",
            "invoiced",
            "billed",
            "sent an invoice",
            "sent the invoice",
            "issued an invoice",
            "raised an invoice",
            "发票",
            "开票",
            "开了发票",
            "开了票",
            "开具发票",
            "开发票",
        ),
    ),
    (
        "contact",
        "strong",
        ("new contact", "add contact", "新联系人", "加联系人", "添加联系人", "新增联系人"),
    ),
    (
        "meet",
        "weak",
        (
            "met",
            "talked",
            "talked to",
            "talked with",
            "spoke",
            "spoke to",
            "spoke with",
            "caught up",
            "catch up",
            "sync",
            "synced",
            "discussed",
            "见了",
            "见到",
            "聊了",
            "谈了",
            "沟通",
            "沟通了",
            "交流",
            "交流了",
            "碰了",
        ),
    ),
)

CN_PARTICLES = ("了", "过")  # 拜访了 = visited: never part of a command word


def _entries() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    latin, cjk = [], []
    for command, strength, surfaces in LEXICON:
        for surface in surfaces:
            (cjk if is_cjk(surface[0]) else latin).append((surface, command, strength))
    return latin, cjk


_LATIN, _CJK = _entries()
_LATIN_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    + "|".join(
        re.escape(s).replace(r"\ ", r"\s+")
        for s, _c, _s in sorted(_LATIN, key=lambda e: -len(e[0]))
    )
    + r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_LATIN_BY_KEY = {" ".join(s.split()): (c, st) for s, c, st in _LATIN}
_CJK_RE = re.compile(
    "(?:" + "|".join(re.escape(s) for s, _c, _s in sorted(_CJK, key=lambda e: -len(e[0]))) + ")"
)
_CJK_BY_KEY = {s: (c, st) for s, c, st in _CJK}


def find_intents(text: str) -> list[IntentHit]:
    """Every lexicon word in ``text``, left to right (offsets index ``text``)."""
    s = fold(text)
    hits: list[IntentHit] = []
    for m in _LATIN_RE.finditer(s):
        key = " ".join(m.group(0).lower().split())
        command, strength = _LATIN_BY_KEY[key]
        hits.append(IntentHit(m.start(), m.end(), command, strength, key))
    for m in _CJK_RE.finditer(s):
        end = m.end()
        if s[end : end + 1] and s[end] in CN_PARTICLES:
            end += 1
        command, strength = _CJK_BY_KEY[m.group(0)]
        hits.append(IntentHit(m.start(), end, command, strength, m.group(0)))
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    return hits


# --- the first word: typos and sound-alikes ------------------------------------------

_FIRST_LATIN = re.compile(r"\s*([A-Za-z][A-Za-z'-]*)")
SHORT_WORD = 6  # a typo is one edit up to six letters, two beyond


@cache
def _single_words() -> tuple[tuple[str, str], ...]:
    """Single-word English entries worth matching typos against (4 letters or more)."""
    out = {}
    for surface, command, strength in _LATIN:
        if " " not in surface and "-" not in surface and len(surface) >= 4 and strength != "weak":
            out.setdefault(surface, command)
    return tuple(out.items())


def _pinyin(text: str) -> str:
    """``拜访`` → ``bai fang``.  pypinyin loads its phrase dictionary on import (a
    third of a second), so only a Chinese first word that is no command word pays it."""
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(text))


@cache
def _sounds() -> dict[str, tuple[str, str]]:
    """Chinese entries by their toneless pinyin: ``bai fang`` → (拜访, visit)."""
    out: dict[str, tuple[str, str]] = {}
    for surface, command, strength in _CJK:
        if strength != "weak" and len(surface) >= 2:
            out.setdefault(_pinyin(surface), (surface, command))
    return out


def first_word_guesses(
    text: str, extra: dict[str, str] | None = None, *, min_len: int = 4
) -> list[IntentHit]:
    """The command the message's first word was probably meant as, when it is no
    lexicon word: one or two edits from one (``vist``), or a Chinese word that sounds
    like one (``拜坊``).  ``extra`` adds command words (``{"visit": "visit", "拜访":
    "visit"}``, from the command table).  A word shorter than ``min_len`` is none
    (``all``, ``pad``: three letters are a typo only right before a name, the caller
    knows).  Empty, one, or two equally close guesses.
    """
    s = fold(text)
    words = dict(_single_words())
    for word, command in (extra or {}).items():
        if word.isascii() and len(word) >= 4:
            words.setdefault(word, command)
    m = _FIRST_LATIN.match(s)
    if m:
        word = m.group(1).lower()
        if word in words or word in _LATIN_BY_KEY or len(word) < min_len:
            return []
        limit = 1 if len(word) <= SHORT_WORD else 2
        close = sorted(
            (OSA.distance(word, w), -fuzz.ratio(word, w), w, c)
            for w, c in words.items()
            if abs(len(w) - len(word)) <= limit
        )
        if not close or close[0][0] > limit:
            return []
        best = close[0][:2]
        commands = list(dict.fromkeys(c for d, r, _w, c in close if (d, r) == best))
        meant = next(w for d, r, w, _c in close if (d, r) == best)
        return [IntentHit(m.start(1), m.end(1), c, "typo", meant) for c in commands[:2]]
    start = len(s) - len(s.lstrip())
    head = s[start : start + 4]
    if not head or not is_cjk(head[0]):
        return []
    sounds = _sounds()
    for size in (4, 3, 2):
        piece = head[:size]
        if len(piece) < size or not all(is_cjk(ch) for ch in piece) or piece in _CJK_BY_KEY:
            continue
        found = sounds.get(_pinyin(piece))
        if found is not None:
            surface, command = found
            return [IntentHit(start, start + size, command, "sound", surface)]
    return []
