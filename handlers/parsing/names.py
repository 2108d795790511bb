"""Finding accounts and contacts by the names people type.

    resolve(query, candidates) -> Candidate        (raises NotFound / Ambiguous / ParseError)
    closest(query, candidates, n=3) -> list[str]
    split_account_and_rest(text, candidates) -> (Candidate, rest)
    match_contacts(text, contacts) -> ContactMatches(linked, ambiguous)
    extract_new_contacts(text) -> list[NewContact]

Surnames
--------
* Chinese names: the first character, or the first two when they are a compound
  surname (欧阳, 司马, 诸葛, 上官, 东方, 慕容, …).  ``王总``, ``李经理``, ``张总监``,
  ``刘工``, ``陈老师``, ``赵董``, ``孙主任``, ``周处``, ``吴局`` … link to the contact
  with that surname when exactly one of the account's contacts has it.
* Latin-script names: the last word; and the first word too when it is a common
  pinyin surname, because Chinese names are often written surname first (``Li
  Wei``: both ``Mr. Li`` and ``Mr. Wei`` find him; ``Tom Li``: only ``Mr. Li``;
  ``John Smith``: only ``Mr. Smith``).  Titles: Mr, Mrs, Ms, Miss, Dr, Prof, Mx.
* When two contacts share the surname the mention is reported as ambiguous, not
  linked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from domain.errors import Ambiguous, NotFound, ParseError
from domain.names import name_key

from .text import is_cjk, normalize

__all__ = [
    "COMPOUND_SURNAMES",
    "Candidate",
    "ContactMatches",
    "NewContact",
    "chinese_surname",
    "closest",
    "extract_new_contacts",
    "latin_surnames",
    "match_contacts",
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


@dataclass
class ContactMatches:
    """Contacts found in a text: linked keys, and mentions that fit several contacts."""

    linked: list[Any] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NewContact:
    """A person named in a visit note, maybe with a title: ``Li Wei, CFO``."""

    name: str
    title: str | None = None


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


# ---------------------------------------------------------------------------
# Surnames

COMPOUND_SURNAMES = _words(
    "欧阳 司马 诸葛 上官 东方 慕容 皇甫 尉迟 公孙 令狐 长孙 宇文 司徒 夏侯 端木 "
    "独孤 南宫 西门 轩辕 澹台 百里 呼延 万俟 申屠 闻人 赫连 钟离 闾丘 太史 第五"
)
_COMMON_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰"
    "焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲"
    "房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟"
    "应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_PINYIN_SURNAMES = _words(
    "wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo "
    "zheng liang xie song tang han feng deng cao peng zeng xiao tian dong yuan pan yu "
    "jiang cai du ye cheng su wei lu ding ren shen yao cui zhong tan fan jin shi liao jia "
    "xia fu fang bai zou meng xiong qin qiu yin xue yan duan lei hou long tao kong wen "
    "kang qiao gu mao hao gong shao qian dai mo chang niu ge xing an qi pang ni zhuang "
    "nie zhai geng guan lan jiao zuo gan zhu bao ning shang shu ruan ke ji mei tong ling "
    "bi shan pei huo tu miao sheng qu weng ran lan xin mu cen jing dang ou yi"
)
_CN_HONORIFICS = (
    "总经理|董事长|副总|总监|总裁|经理|主任|处长|局长|部长|科长|院长|校长|书记|主管|老师|老板|"
    "先生|女士|小姐|教授|博士|律师|会计|总|董|工|处|局|姐|哥"
)
_CN_HONORIFIC_RE = re.compile(
    r"(?P<sur>" + "|".join(sorted(COMPOUND_SURNAMES)) + r"|[\u4e00-\u9fff])"
    r"(?P<hon>" + _CN_HONORIFICS + r")"
)
_EN_HONORIFIC_RE = re.compile(
    r"(?<![A-Za-z])(?P<hon>Mrs|Mr|Ms|Miss|Dr|Prof|Mx)\.?\s+(?P<sur>[A-Za-z][A-Za-z'’-]*)",
    re.IGNORECASE,
)


def chinese_surname(name: str) -> str | None:
    """The surname of a name written in Chinese characters, else None."""
    name = normalize(name).replace(" ", "")
    if not name or not is_cjk(name[0]):
        return None
    if name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[0]


def latin_surnames(name: str) -> frozenset[str]:
    """The words of a Latin-script name that may be a surname (case-folded)."""
    words = [w for w in re.split(r"[\s,]+", normalize(name).casefold()) if w]
    words = [w for w in words if w.isascii() and any(ch.isalpha() for ch in w)]
    if not words:
        return frozenset()
    found = {words[-1]}
    if len(words) > 1 and words[0] in _PINYIN_SURNAMES:
        found.add(words[0])
    return frozenset(found)


# ---------------------------------------------------------------------------
# Contacts mentioned in a text


def _label_pattern(label: str) -> re.Pattern[str] | None:
    norm = normalize(label)
    if not norm:
        return None
    body = r"\s*".join(re.escape(part) for part in norm.split(" "))
    left = "" if is_cjk(norm[0]) else r"(?<![^\W_])"
    right = "" if is_cjk(norm[-1]) else r"(?![^\W_])"
    return re.compile(left + body + right, re.IGNORECASE)


def match_contacts(text: str, contacts: Sequence[Candidate]) -> ContactMatches:
    """The contacts ``text`` mentions, by full name/alias or surname + honorific.

    Full names and aliases match case-insensitively (whole words for Latin
    script).  ``王总``, ``李经理``, ``Mr. Li``, ``Dr. Chen`` … link when exactly one
    contact has that surname (see the module docstring); when several do, the
    mention goes to ``ambiguous`` instead.  Keys come in order of first mention.
    """
    s = normalize(text)
    result = ContactMatches()
    if not s:
        return result
    spans: list[tuple[int, int, str, list[int]]] = []
    found: list[tuple[int, int, int, str]] = []
    for i, contact in enumerate(contacts):
        for label in contact.labels:
            pattern = _label_pattern(label)
            if pattern is None:
                continue
            for m in pattern.finditer(s):
                found.append((m.start(), m.end(), i, m.group(0)))
    # Longest first, then leftmost; a later match that overlaps a taken one is dropped.
    found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
    for start, end, i, mention in found:
        same = [sp for sp in spans if sp[0] == start and sp[1] == end]
        if same:
            if i not in same[0][3]:
                same[0][3].append(i)
            continue
        if any(start < sp[1] and sp[0] < end for sp in spans):
            continue
        spans.append((start, end, mention, [i]))

    def free(start: int, end: int) -> bool:
        return not any(start < sp[1] and sp[0] < end for sp in spans)

    cn_surnames = [chinese_surname(c.name) for c in contacts]
    for m in _CN_HONORIFIC_RE.finditer(s):
        start = m.start()
        sur = m.group("sur")
        if len(sur) == 1 and start >= 1 and s[start - 1 : start + 1] in COMPOUND_SURNAMES:
            sur, start = s[start - 1 : start + 1], start - 1
        if not free(start, m.end()):
            continue
        owners = [i for i, cs in enumerate(cn_surnames) if cs == sur]
        if owners:
            spans.append((start, m.end(), s[start : m.end()], owners))
    en_surnames = [latin_surnames(c.name) for c in contacts]
    for m in _EN_HONORIFIC_RE.finditer(s):
        if not free(m.start(), m.end()):
            continue
        sur = m.group("sur").casefold()
        owners = [i for i, names in enumerate(en_surnames) if sur in names]
        if owners:
            spans.append((m.start(), m.end(), m.group(0), owners))

    for _start, _end, mention, owners in sorted(spans, key=lambda sp: sp[0]):
        if len(owners) == 1:
            key = contacts[owners[0]].key
            if key not in result.linked:
                result.linked.append(key)
        elif mention not in result.ambiguous:
            result.ambiguous.append(mention)
    return result


# ---------------------------------------------------------------------------
# New people named in a visit note

_EN_TRIGGER = re.compile(
    r"(?<![A-Za-z])(?:met\s+with|met|meeting\s+with|spoke\s+(?:with|to)|talked\s+(?:with|to)|"
    r"with)\s+",
    re.IGNORECASE,
)
_CN_TRIGGER = re.compile(r"见了|见到了|见到|拜访了|会见了|约了|拜会了|会见|拜访")
_EN_NAME_WORD = r"(?:(?:Mrs|Mr|Ms|Dr|Prof|Mx)\.|[A-Z][a-zA-Z'’-]*)"
_EN_NOT_NAMES = _words(
    "the a an and to about for re regarding on at in of our their his her team client "
    "customer budget"
)
_EN_TITLES = _words(
    "ceo cfo cto coo cio cmo cpo cso vp svp evp avp gm md president director manager head "
    "chief lead leader engineer officer chairman chairwoman chair founder cofounder "
    "co-founder owner partner buyer procurement purchasing sales finance it architect "
    "consultant analyst admin administrator secretary assistant specialist coordinator "
    "supervisor principal counsel controller treasurer deputy executive"
)
_CN_TITLE_SUFFIX = re.compile(
    r"(?:总经理|董事长|副总裁|总裁|副总|总监|经理|主任|处长|局长|部长|科长|主管|负责人|工程师|"
    r"书记|院长|校长|秘书|助理|采购|财务|总工|老板|CEO|CFO|CTO|COO|VP)$",
    re.IGNORECASE,
)
_CN_STOP_WORDS = _words(
    "和 与 及 跟 以及 一起 一同 谈 聊 讨论 沟通 商量 商谈 开会 吃饭 确认 介绍 汇报 "
    "了解 交流 签 说 表示 同意 关于 对 就 在 的 时 后 等 了 他 她 们 吧 啊 呢 已 也 都 还 又 很"
)
_CN_SEP = re.compile(r"\s*(?:、|,|，|和|与|及|跟|以及)\s*")


def _en_title(text: str) -> str | None:
    """``text`` if it reads like a job title (``CFO``, ``VP Sales``, ``Head of IT``)."""
    title = text.strip()
    words = title.split()
    if not words or len(words) > 5 or len(title) > 40:
        return None
    for word in words:
        bare = word.strip(".,").casefold()
        if bare in _EN_TITLES or (word.isupper() and 2 <= len(word) <= 5 and word.isalpha()):
            return title
    return None


def _en_people(s: str, pos: int) -> list[NewContact]:
    """People listed from ``pos`` on: ``Li Wei, CFO, and Tom Brown (CTO)``."""
    people: list[NewContact] = []
    name_re = re.compile(rf"{_EN_NAME_WORD}(?:\s+{_EN_NAME_WORD}){{0,2}}")
    while True:
        cjk = re.compile(r"[\u4e00-\u9fff]{2,4}").match(s, pos)
        m = cjk or name_re.match(s, pos)
        if m is None:
            break
        words = m.group(0).split()
        while words and words[-1].casefold().rstrip(".") in _EN_NOT_NAMES:
            words.pop()
        if not words or words[0].casefold().rstrip(".") in _EN_NOT_NAMES:
            break
        name = " ".join(words)
        if not cjk and len(words) == 1 and words[0].endswith("."):
            break  # only "Mr." with nothing after it
        pos = m.start() + len(name)
        title = None
        paren = re.compile(r"\s*[(（]([^()（）]{1,40})[)）]").match(s, pos)
        comma = re.compile(r"\s*,\s*([^,.;()!?\n]{1,40}?)(?=\s*(?:[,.;()!?\n]|\band\b|$))").match(
            s, pos
        )
        if paren:
            title, pos = paren.group(1).strip(), paren.end()
        elif comma and _en_title(comma.group(1)):
            title, pos = _en_title(comma.group(1)), comma.end()
        people.append(NewContact(name.rstrip("."), title))
        more = re.compile(
            rf"\s*(?:,\s*)?(?:and|&)\s+|\s*,\s*(?={_EN_NAME_WORD}\s+{_EN_NAME_WORD}|[\u4e00-\u9fff])"
        ).match(s, pos)
        if more is None:
            break
        pos = more.end()
    return people


def _cn_name_at(s: str, pos: int) -> tuple[str, str | None, int] | None:
    """A Chinese person at ``pos``: (name, title-before-name, end)."""
    m = _CN_HONORIFIC_RE.match(s, pos)
    if m is not None and (
        m.group("sur") in COMPOUND_SURNAMES or m.group("sur") in _COMMON_SURNAMES
    ):
        return m.group(0), None, m.end()
    run_end = pos
    while run_end < len(s) and is_cjk(s[run_end]):
        run_end += 1
    run = s[pos:run_end]
    cuts = [i for i in (run.find(word, 2) for word in _CN_STOP_WORDS) if i >= 2]
    if cuts:
        run_end = pos + min(cuts)
        run = s[pos:run_end]
    title_first = re.match(
        r"(.{0,4}?(?:总经理|董事长|总裁|总监|经理|主任|处长|局长|部长|科长|主管|负责人))(.{2,3})$",
        run,
    )
    if title_first and _is_cn_name(title_first.group(2)):
        return title_first.group(2), title_first.group(1), run_end
    if 2 <= len(run) <= 4 and _is_cn_name(run):
        return run, None, run_end
    return None


def _is_cn_name(text: str) -> bool:
    surname = chinese_surname(text)
    return surname is not None and (surname in COMPOUND_SURNAMES or surname in _COMMON_SURNAMES)


def _cn_people(s: str, pos: int) -> list[NewContact]:
    people: list[NewContact] = []
    while True:
        got = _cn_name_at(s, pos)
        if got is None:
            break
        name, title, pos = got
        paren = re.compile(r"\s*[(（]([^()（）]{1,20})[)）]").match(s, pos)
        comma = re.compile(r"\s*[,，]\s*([^,，。.;；、()（）\s]{1,12})").match(s, pos)
        if paren:
            title, pos = paren.group(1).strip(), paren.end()
        elif comma and _CN_TITLE_SUFFIX.search(comma.group(1)):
            title, pos = comma.group(1), comma.end()
        people.append(NewContact(name, title))
        sep = _CN_SEP.match(s, pos)
        if sep is None or sep.end() == pos:
            break
        pos = sep.end()
    return people


def extract_new_contacts(text: str) -> list[NewContact]:
    """People named after ``met`` / ``with`` / ``见了`` / ``拜访了`` / ``会见了`` / ``约了``.

    English names are one to three capitalised words (``Li Wei``, ``Tom Brown``);
    Chinese ones are two to four characters starting with a common surname, or a
    surname + honorific (``王总``, ``李经理``).  A title may follow in parentheses
    (``Li Wei (CFO)``, ``王建国（总经理）``) or after a comma when it reads like a
    title (``Li Wei, CFO``; ``王建国，总经理``), or come first in Chinese
    (``财务总监王建国``).  Lists with ``and`` / ``,`` / ``和`` / ``、`` give several
    people.  Names come once each, in order.
    """
    s = normalize(text)
    found: list[tuple[int, list[NewContact]]] = []
    for m in _EN_TRIGGER.finditer(s):
        found.append((m.start(), _en_people(s, m.end())))
    for m in _CN_TRIGGER.finditer(s):
        found.append((m.start(), _cn_people(s, m.end())))
    seen: set[str] = set()
    unique: list[NewContact] = []
    for person in (p for _pos, group in sorted(found, key=lambda f: f[0]) for p in group):
        if person.name not in seen:
            seen.add(person.name)
            unique.append(person)
    return unique
