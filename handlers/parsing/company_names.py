"""Company names as people write them: the legal form is not the name.

    core("Acme Corp.")               → "acme"
    core("华夏重工股份有限公司")        → "华夏重工"
    core("华夏重工集团")               → "华夏重工"
    short_of("华夏", "华夏重工股份有限公司") → True   (a Chinese short name)
    readings("Zenith Corp met the CEO") → ["Zenith Corp", "Zenith"]

``core`` is a name's compact form (``handlers.parsing.entities.compact``: case, width,
spaces and punctuation ignored) without its legal form — Corp, Inc, Ltd, Co., LLC,
GmbH, 有限公司, 股份有限公司, 集团, 公司… — so two spellings of one company meet.
``readings`` says where an unknown company's name may end in a sentence, best first:
kam does not know the name, so it offers them rather than guess.  Pure functions.
"""

from __future__ import annotations

import re

from domain.names import name_key

from .entities import compact
from .text import fold, is_cjk

__all__ = [
    "LEGAL_WORDS",
    "chinese_head",
    "core",
    "core_words",
    "pinyin_brand",
    "readings",
    "related",
    "short_of",
]

# Latin legal forms and the words that only say "a company" (as whole words, at the end)
LEGAL_WORDS = frozenset(
    [
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "co",
        "company",
        "companies",
        "llc",
        "llp",
        "lp",
        "plc",
        "gmbh",
        "ag",
        "kg",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "pte",
        "pty",
        "kk",
        "oy",
        "ab",
        "group",
        "holdings",
        "holding",
    ]
)
# Chinese ones, longest first (at the end; repeated: 集团股份有限公司)
_CJK_LEGAL = sorted(
    [
        "股份有限公司",
        "有限责任公司",
        "集团有限公司",
        "有限公司",
        "股份公司",
        "控股集团",
        "集团公司",
        "集团",
        "控股",
        "股份",
        "公司",
        "有限",
        "总公司",
        "分公司",
    ],
    key=len,
    reverse=True,
)
_WORD = re.compile(r"[^\W_]+")
MIN_CORE = 2  # a core shorter than this is no name: the compact form stands


def _latin_words(text: str) -> list[str]:
    return _WORD.findall(name_key(text))


def core_words(name: str) -> list[str]:
    """``name``'s words (case folded) without a legal form at the end or ``the`` first."""
    words = _latin_words(name)
    while words and words[-1] in LEGAL_WORDS and len(words) > 1:
        words.pop()
    if words and words[0] == "the" and len(words) > 1:
        words.pop(0)
    return words


def core(name: str) -> str:
    """``name`` compact, without its legal form (the compact name when that is all)."""
    short = "".join(core_words(name))
    changed = True
    while changed:
        changed = False
        for tail in _CJK_LEGAL:
            if short.endswith(tail) and len(short) - len(tail) >= MIN_CORE:
                short = short[: -len(tail)]
                changed = True
                break
    return short if len(short) >= MIN_CORE else compact(name)


def pinyin_brand(name: str) -> str:
    """A Chinese name's brand in toneless pinyin, as it is often written in Latin letters:
    its first two characters (华夏重工股份有限公司 → ``huaxia``, Huaxia Heavy Industries);
    "" for a name that does not start with Chinese.  pypinyin loads its dictionary on
    first use, so only a new Chinese name pays it."""
    short = core(name)
    if len(short) < MIN_CORE or not (is_cjk(short[0]) and is_cjk(short[1])):
        return ""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(short[:2])).lower()


def short_of(short: str, long: str) -> bool:
    """``short`` reads as a short form of ``long`` (either given as a name): the one's
    core starts the other's — as whole words for Latin names (Acme · Acme Widgets), as
    characters for Chinese ones (华夏 · 华夏重工股份有限公司)."""
    a, b = core(short), core(long)
    if a == b:
        return True
    if len(a) > len(b):
        a, b, short, long = b, a, long, short
    if not b.startswith(a) or len(a) < MIN_CORE:
        return False
    if is_cjk(a[0]):
        return True
    head = "".join(core_words(long)[: len(core_words(short))])
    return len(a) >= 3 and head == a


def related(a: str, b: str) -> bool:
    """One company to kam, however spelled: the same core, or one the short form of the other."""
    return core(a) == core(b) or short_of(a, b)


# --- where an unknown name ends -------------------------------------------------------

MAX_WORDS = 5
_CJK_STOP = re.compile(
    r"大前天|大后天|前天|昨天|今天|明天|后天|昨晚|今晚|今早|明早|上午|下午|晚上|刚才|刚刚|"
    r"上周|下周|本周|这周|上个|下个|周[一二三四五六日天]|星期|礼拜|"
    r"[0-9一二三四五六七八九十两]+[天周月年号日点]|"
    r"见了|见到|拜访|会见|约了|拜会|聊了|谈了|打了|签了|吃了|开了"
)
_CONNECT = frozenset(("&", "and", "of", "de", "und", "et", "the"))
# words that lead to a name, never are one (``call with Nancy``)
_NOT_NAMES = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "in",
        "on",
        "at",
        "to",
        "by",
        "for",
        "from",
        "with",
        "without",
        "about",
        "our",
        "my",
        "your",
        "their",
        "this",
        "that",
        "today",
        "yesterday",
        "tomorrow",
    ]
)


def chinese_head(word: str) -> str:
    """The company name a run of Chinese starts with: up to its legal form
    (星海科技有限公司 in 星海科技有限公司今天见了李总), else up to a date or a verb (新星科技
    in 新星科技今天见了王总), else the whole run."""
    cut = next((m.start() for m in _CJK_STOP.finditer(word) if m.start() >= MIN_CORE), None)
    for tail in _CJK_LEGAL:
        at = word.find(tail)
        if at >= MIN_CORE and (cut is None or at <= cut):
            return word[: at + len(tail)]
    return word[:cut] if cut is not None else word


def _legal(word: str) -> bool:
    return fold(word).strip(".,").casefold() in LEGAL_WORDS


def _capital(word: str) -> bool:
    first = word[:1]
    return first.isupper() or first.isdigit() or (word.isupper() and len(word) > 1)


def readings(text: str, *, first: str = "") -> list[str]:
    """Where a company name at the start of ``text`` may end, best first (at most three).

    Latin: up to a legal form (``Zenith Corp``), the run of capitalised words (``Zenith
    Robotics``), and ``first`` (the parser's reading, often the first word).  Chinese:
    the characters before a date or a verb (新星科技 in 新星科技今天见了王总), up to a
    legal form if there is one."""
    text = text.strip()
    out: list[str] = []

    def add(name: str) -> None:
        name = name.strip().strip(",，.。:：;；!！?？、")
        if name.endswith((" Co", " co", " Inc", " Ltd", " Corp")) and text.startswith(name + "."):
            name += "."  # Co. / Inc. as written
        if name and name not in out and name.casefold() not in _NOT_NAMES:
            out.append(name)

    if not text:
        return []
    if is_cjk(text[0]):
        word = text.split()[0]
        add(chinese_head(word))
        cut = next((m.start() for m in _CJK_STOP.finditer(word) if m.start() >= MIN_CORE), None)
        add(word[:cut] if cut is not None else word)
        if first and not any(m.start() >= MIN_CORE for m in _CJK_STOP.finditer(first)):
            add(first)
        return out[:3]
    words = text.split()[: MAX_WORDS + 1]
    for n, word in enumerate(words[:MAX_WORDS], 1):
        if _legal(word) and n > 1:
            add(" ".join(words[:n]))
            break
    run: list[str] = []
    for word in words[:MAX_WORDS]:
        bare = word.strip(",，.。:：;；")
        if _capital(bare) or (_legal(bare) and run) or (run and bare.lower() in _CONNECT):
            run.append(word)
            if bare != word:  # a comma or full stop ends the name
                break
        else:
            break
    while run and run[-1].strip(",.").lower() in _CONNECT:
        run.pop()
    if run:
        add(" ".join(run))
    add(first or words[0])
    return out[:3]
