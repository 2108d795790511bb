"""Person names and job titles in text, found at a position.

    split_title(text) -> (title, end) | None       a job title at the start of text
    looks_like_name(text) -> bool                   all of text is one person's name
    leading_name(text) -> int | None                where a name at the start ends

Names and titles are read together: a Chinese title ends before a name
(``财务总监王建国``) and a name may end before a title (``周凯项目经理``), so the
two recognisers call each other.
"""

from __future__ import annotations

import re

from .person_words import (
    _CN_AFTER_NAME,
    _CN_COMMON_WORDS,
    _CN_FAMILIAR_WORDS,
    _CN_HONORIFIC_RE,
    _CN_NOT_NAMES,
    _CN_ORG,
    _CN_TITLE_RE,
    _EN_ACRONYMS,
    _EN_DEPARTMENTS,
    _EN_GROUP_WORDS,
    _EN_HONORIFIC,
    _EN_NOT_NAMES,
    _EN_TITLE_HEADS,
    _EN_TITLE_MODIFIERS,
    _NOT_GIVEN,
    _WORD_FIRST_NAMES,
    COMPOUND_SURNAMES,
    _fold,
    _is_surname,
    _words,
)
from .text import fold, is_cjk, normalize


def _familiar_ok(s: str, m: re.Match[str]) -> bool:
    """``老王`` / ``小李`` stand alone (``老师``, ``小时`` are words)."""
    end = m.end()
    if m.group(0) in _CN_FAMILIAR_WORDS or s[m.start() : end + 1] in _CN_FAMILIAR_WORDS:
        return False
    return end >= len(s) or not is_cjk(s[end]) or _CN_AFTER_NAME.match(s, end) is not None


# ---------------------------------------------------------------------------
# Titles


_EN_TITLE_WORD = re.compile(r"[A-Za-z][A-Za-z&/.'’-]*")


def _title_word_kind(word: str) -> str | None:
    w = word.casefold().rstrip(".")
    if w in _EN_TITLE_HEADS or w in _EN_ACRONYMS:
        return "head"
    if w in _EN_TITLE_MODIFIERS or w in _EN_DEPARTMENTS:
        return "mod"
    if w in ("of", "for", "&", "and", "/", "-", "to", "in"):
        return "join"
    if word[:1].isupper() and w not in _EN_NOT_NAMES:
        return "cap"
    return None


def _en_title_at(s: str, pos: int) -> tuple[str, int] | None:
    """An English job title starting at ``pos``: ``Head of Purchasing``, ``VP Sales``,
    ``procurement manager``, ``Director of Clinical Ops``.  (title, end) or None."""
    i = pos
    words: list[tuple[str, str, int, int]] = []  # word, kind, start, end
    while True:
        m = re.compile(r"\s*([A-Za-z][A-Za-z&/.'’-]*|&)").match(s, i)
        if m is None:
            break
        word = m.group(1).rstrip(".") if not m.group(1).endswith("Sr.") else m.group(1)
        kind = _title_word_kind(word)
        if kind is None:
            break
        if kind == "cap" and not words:
            break
        if kind == "cap" and not any(k == "join" for _w, k, _s, _e in words):
            break  # "CFO Li Wei": a name after the title; "Director of Clinical Ops": fine
        if word.casefold() == "and":
            nxt = re.compile(r"\s+([A-Za-z][A-Za-z&/'’-]*)").match(s, m.end())
            if nxt is None or nxt.group(1).casefold() not in _EN_DEPARTMENTS:
                break
        words.append((word, kind, m.start(1), m.start(1) + len(word)))
        i = m.end()
        if len(words) >= 7:
            break
    while words and words[-1][1] == "join":
        words.pop()
    if not any(k == "head" for _w, k, _s, _e in words):
        return None
    start, end = words[0][2], words[-1][3]
    return s[start:end], end


_CN_TITLE_BREAK = frozenset(
    "和与及、了的是在说谈聊见约对已也都还就等把给向今昨明天年月日号周吃喝开通"
)


def _cn_title_at(s: str, pos: int, *, before_name: bool = True) -> tuple[str, int] | None:
    """A Chinese job title starting at ``pos``: ``项目经理``, ``财务总监``, ``采购``.

    It ends at the first title word followed by a break (punctuation, a verb, the
    end) or — with ``before_name`` — by a person's name (``财务总监王建国``); failing
    that, at the first title word."""
    window = s[pos : pos + 10]
    for cut, ch in enumerate(window):
        if not (is_cjk(ch) or (ch.isascii() and ch.isalpha())) or ch in _CN_TITLE_BREAK:
            window = window[:cut]
            break
    if _CN_TITLE_RE.search(window) is None:
        return None
    first: int | None = None
    for start in range(len(window)):
        m = _CN_TITLE_RE.match(window, start)
        if m is None:
            continue
        end = m.end()
        if first is None:
            first = end
        if (
            end >= len(window)
            or pos + end >= len(s)
            or not is_cjk(s[pos + end])
            or _CN_AFTER_NAME.match(s, pos + end)
            or (
                before_name
                and (
                    _cn_name_at(s, pos + end, titles=False) is not None
                    or _cn_honorific_at(s, pos + end) is not None
                )
            )
        ):
            first = end
            break
    if first is None:
        return None
    if any(ch.isascii() and ch.isalpha() for ch in window[:first]) and not window[:first].isascii():
        return None  # 王X经理: mixed scripts are not a title
    return s[pos : pos + first], pos + first


def split_title(text: str) -> tuple[str, int] | None:
    """A job title at the very start of ``text`` (English or Chinese), and where it ends."""
    s = _fold(text)
    pos = len(s) - len(s.lstrip())
    if pos < len(s) and is_cjk(s[pos]):
        return _cn_title_at(s, pos)
    return _en_title_at(s, pos)


_TITLE_LEAD = re.compile(r"\s*(?:[,，]|[-–—]+|[:：]|\s)\s*")
_PAREN = re.compile(r"\s*[(（]([^()（）]{1,60})[)）]")


def _title_after(s: str, pos: int) -> tuple[str | None, int]:
    """A title right after a name: ``(CFO)``, ``, Head of Purchasing``, `` — Director…``,
    ``，总经理``, `` 项目经理`` or ``项目经理`` (Chinese, nothing between)."""
    paren = _PAREN.match(s, pos)
    if paren:
        return normalize(paren.group(1)), paren.end()
    lead = _TITLE_LEAD.match(s, pos)
    starts = [pos] if pos < len(s) and is_cjk(s[pos]) else []
    if lead is not None and lead.end() > pos:
        starts.append(lead.end())
    for at in starts:
        if at >= len(s):
            continue
        got = _cn_title_at(s, at) if is_cjk(s[at]) else _en_title_at(s, at)
        if got is None:
            continue
        title, end = got
        # After a comma/dash the title must end the clause: "Li Wei, CFO, and …" yes,
        # "Li Wei, CFO Tom said" no.
        tail = s[end : end + 12]
        if (
            tail
            and not re.match(r"\s*(?:[,.;:!?()\-–—，。；：！？、（）]|and\b|&|$)", tail)
            and not is_cjk(tail[0])
            and not re.match(r"\s+[a-z]", tail)
        ):
            continue
        return normalize(title), end
    return None, pos


def _cn_honorific_at(s: str, pos: int) -> tuple[int, int] | None:
    m = _CN_HONORIFIC_RE.match(s, pos)
    if m is None or not _is_surname(m.group("sur")):
        return None
    return m.start(), m.end()


# ---------------------------------------------------------------------------
# Names


_EN_NAME_WORD = re.compile(r"[A-Z][A-Za-z'’-]*")
_EN_HONORIFIC_AT = re.compile(rf"{_EN_HONORIFIC}\.?\s+", re.IGNORECASE)


def _en_name_at(s: str, pos: int, *, org_check: bool = True) -> tuple[int, int] | None:
    """A Latin person-name phrase at ``pos``: 1–3 capitalised words that are not role,
    title or common words, optionally after Dr./Mr./Ms. …  (start, end) or None."""
    start = pos
    hon = _EN_HONORIFIC_AT.match(s, pos)
    if hon is not None and s[pos].isupper():
        pos = hon.end()
    count, end = 0, pos
    while count < 3:
        m = _EN_NAME_WORD.match(s, pos)
        if m is None:
            break
        word = m.group(0)
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        bare = word.casefold()
        if (word.isupper() and len(word) > 1) or len(word) < 2:
            break
        if bare in _EN_NOT_NAMES and not (
            bare in _WORD_FIRST_NAMES and count == 0 and _followed_by_name_word(s, m.end())
        ):
            break
        count, end = count + 1, m.start() + len(word)
        nxt = re.compile(r"[ \t]+(?=[A-Z])").match(s, end)
        if nxt is None:
            break
        pos = nxt.end()
    if count == 0:
        return None
    if count == 1 and start == pos and _companyish(s[pos:end]):
        return None
    # "Initech procurement", "Acme team": an organisation, not a person.
    group = re.compile(r"\s+([A-Za-z&/]+)(?:\s+([A-Za-z]+))?").match(s, end)
    if group is not None and org_check:
        first, second = (g.casefold() if g else "" for g in group.groups())
        if first in _EN_GROUP_WORDS or second in _EN_GROUP_WORDS:
            return None
        if first in _EN_DEPARTMENTS and _en_title_at(s, end) is None:
            return None
    return start, end


_CJK_RUN = re.compile("[\u4e00-\u9fff\u3400-\u4dbf]+")


def _followed_by_name_word(s: str, end: int) -> bool:
    """``Will Smith``, ``Dean Lee``: a first name that is also a word, then a surname."""
    nxt = re.compile(r"[ \t]+([A-Z][A-Za-z'’-]+)").match(s, end)
    return nxt is not None and nxt.group(1).casefold() not in _EN_NOT_NAMES


_COMPANY_ENDINGS = re.compile(
    r"(?:soft|tech|tec|tek|corp|ware|labs?|bank|systems|group|works|ify|mart|pharma|medica|"
    r"book|box|hub|base|link|point|force|cloud|data|logic|motors|airlines|foods|energy)$",
    re.IGNORECASE,
)
_CAMEL_OK = re.compile(r"(?:Mc|Mac|De|Di|Da|Du|La|Le|Van|Von|O['’])[A-Z]")
_COMPANIES = _words(
    "microsoft google apple amazon oracle siemens cisco huawei tencent alibaba baidu intel "
    "dell samsung sony tesla meta facebook salesforce accenture deloitte kpmg pwc mckinsey "
    "starbucks walmart nike adobe nvidia bosch philips honeywell schneider boeing airbus "
    "shell unilever nestle pfizer novartis roche bayer basf lenovo xiaomi bytedance "
    "meituan haier midea byd geely toyota honda ford volkswagen bmw audi mercedes ikea "
    "costco target acme globex initech hooli umbrella"
)


def _companyish(word: str) -> bool:
    """A lone capitalised word that reads like a company (``Initech``, ``MetLife``,
    ``Microsoft``): as the whole phrase after ``called`` / ``met with`` it is not a person."""
    if word.casefold() in _COMPANIES or _COMPANY_ENDINGS.search(word):
        return True
    return bool(re.search(r"[a-z][A-Z]", word)) and not _CAMEL_OK.match(word)


def _cn_given_ok(given: str) -> bool:
    return _CJK_RUN.fullmatch(given) is not None and _NOT_GIVEN.isdisjoint(given)


def _cn_name_at(s: str, pos: int, *, titles: bool = True) -> tuple[int, int] | None:
    """A Chinese person name at ``pos`` (surname + 1–2 given characters that end
    where a verb, a particle, a separator or a title begins).  (start, end) or None."""
    sur = s[pos : pos + 2] if s[pos : pos + 2] in COMPOUND_SURNAMES else s[pos : pos + 1]
    if not _is_surname(sur):
        return None
    after_sur = pos + len(sur)
    if _CN_ORG.match(s, pos) or s[pos : pos + 2] in _CN_COMMON_WORDS:
        return None
    for size in (2, 1):
        end = after_sur + size
        if end > len(s):
            continue
        given = s[after_sur:end]
        name = s[pos:end]
        if not _cn_given_ok(given) or name in _CN_NOT_NAMES or name in _CN_COMMON_WORDS:
            continue
        if size == 2 and (given in _CN_COMMON_WORDS or s[pos + 1 : end] in _CN_COMMON_WORDS):
            continue
        if end == len(s) or not is_cjk(s[end]) or _CN_AFTER_NAME.match(s, end):
            return pos, end
        if titles and _cn_title_at(s, end, before_name=False) is not None:
            return pos, end
    return None


def looks_like_name(text: str) -> bool:
    """True when all of ``text`` reads as one person's name (``Li Wei``, ``王建国``,
    ``Dr. Chen``), not a role or a word."""
    s = fold(text).strip()
    if not s:
        return False
    if is_cjk(s[0]):
        got = _cn_name_at(s, 0)
    else:
        got = _en_name_at(s, 0)
    return got is not None and got[1] == len(s)


def leading_name(text: str) -> int | None:
    """Where the person name at the very start of ``text`` ends (``Zhang Min Head of
    Purchasing`` → 9, ``周凯项目经理`` → 2), or None when it does not start with one."""
    s = _fold(text)
    if not s or s[0].isspace():
        return None
    got = _cn_name_at(s, 0) if is_cjk(s[0]) else _en_name_at(s, 0, org_check=False)
    return None if got is None else got[1]
