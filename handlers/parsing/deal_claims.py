"""The claims of a ``/deal`` line: the stage words of both languages and the claimers
that mark, without overlap, where its close date, amount and stage were typed
(``claim_dates``, ``claim_amounts``, ``claim_stages``), and ``check_keywords``, which
refuses a ``stage`` or ``close`` word whose value was not understood.
``handlers.parsing.deals`` runs them and reads what they leave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise

from rapidfuzz import fuzz, process

from domain.errors import ParseError
from domain.models import DealStage
from domain.policy import Policy
from handlers.context import ParseContext
from handlers.i18n import Catalog, languages
from handlers.parsing.dates import find_dates, parse_date
from handlers.parsing.money import Money, find_amounts
from handlers.parsing.text import is_cjk
from handlers.views import label

NO_CURRENCY = "XXX"  # ISO 4217 "no currency": the amount named none, keep the deal's own

_ = Catalog("parsing.deals")

LOST = DealStage.lost.value
WON = DealStage.won.value

# --- words ------------------------------------------------------------------------

# Words and phrases for each default stage besides its name and its Chinese label.
# Chinese words marked weak (short words that also occur in free text: 方案, 谈判) only
# count standing alone or with a stage verb (进入谈判, 阶段 方案, 方案阶段).
_STAGE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "lead": ("leads", "new lead", "prospect", "prospecting", "初步接洽", "初步沟通", "接洽"),
    "qualify": (
        "qualified",
        "qualified lead",
        "qualification",
        "qualifying",
        "discovery",
        "需求确认",
        "确认需求",
        "需求已确认",
        "已确认需求",
        "需求",
    ),
    "proposal": (
        "propose",
        "proposed",
        "proposal sent",
        "sent proposal",
        "sent the proposal",
        "sent a proposal",
        "quote sent",
        "sent the quote",
        "quoted",
        "报价",
        "方案已经提交",
        "方案已提交",
        "方案提交了",
        "已提交方案",
        "提交了方案",
        "已报价",
        "报价已发",
    ),
    "negotiation": (
        "negotiations",
        "neg",
        "nego",
        "in talks",
        "negotiate",
        "negotiating",
        "商务谈判",
        "价格谈判",
        "议价",
    ),
    "won": (
        "win",
        "closed won",
        "closed-won",
        "closed/won",
        "signed",
        "contract signed",
        "deal signed",
        "签单",
        "签约",
        "签了",
        "签下",
        "签下来了",
        "签合同了",
        "成交了",
        "已成交",
        "拿下",
        "拿下了",
        "中标",
        "中标了",
        "赢了",
    ),
    "lost": (
        "lose",
        "closed lost",
        "closed-lost",
        "closed/lost",
        "dead",
        "no go",
        "no-go",
        "丢单",
        "丢了",
        "黄了",
        "输了",
        "没戏了",
        "没戏",
        "凉了",
    ),
}
_WEAK_ZH = frozenset({"方案", "谈判", "线索", "接洽", "需求", "报价", "议价", "意向"})
# a stage verb before the stage word (absorbed into its claim): "moved to", 进入, 推进到 …
_EN_BEFORE = re.compile(
    r"(?<![A-Za-z'’])(?:(?:we(?:'re|’re|\s+are|'ve|\s+have)?|it(?:'s|’s|\s+is)|deal\s+is|deal's|is|now|currently|just|has|have)\s+)*"
    r"(?:(?:(?:moved|move|moving|advanced|advancing|progressed|pushed|went|got|is|now|has\s+moved)"
    r"\s+)?(?:in)?to\s+(?:the\s+)?|(?:now\s+)?(?:in|at)\s+(?:the\s+)?|stage\s*[:=]?\s*|阶段\s*[:：]?\s*)?$",
    re.IGNORECASE,
)
_EN_AFTER = re.compile(r"(?:\s+(?:stage|phase))?(?:\s+now)?(?![A-Za-z])", re.IGNORECASE)
_ZH_BEFORE = re.compile(
    r"(?:这单|这个单子|这个单|单子)?(?:已经|已|目前|现在|正在)?(?:进入到|进入了|进入|推进到了|推进到|推进至|推到|进到|转入|处于|到了|"
    r"阶段\s*[:：]?\s*|stage\s*[:：]?\s*)?$",
    re.IGNORECASE,
)
_STAGE_VERB = re.compile(r"进入|推进|推到|进到|转入|处于|到了|阶段|环节|中|stage", re.IGNORECASE)
_ZH_AFTER = re.compile(r"(?:阶段|环节)?(?:了|啦|中)?")
# lost to whom: the competitor's name runs to the next clause or separator
_LOST_TO = re.compile(
    r"(?<![A-Za-z])(?:(?:we|we've|we\s+have|we\s+just|just|have|has)\s+)*(?P<lost>lost)\s+(?:it\s+|the\s+deal\s+)?to\s+(?:(?:a|the)\s+)?"
    r"(?:competitor|competition|rival)?\s*|(?:输给了|输给|丢给了|丢给|败给了|败给)",
    re.IGNORECASE,
)

_TAKEN_BY = re.compile(
    r"被(?P<who>[^\s,，;；。]{1,20}?)(?:抢走了|抢了|抢走|拿走了|截胡了|截胡|拿下了)"
)
# a date without a close word is a close date only when it names a day of the calendar
# or a month's part (2027-03-31, 3月31日, 月底, end of Q1), never "by Friday" or "tomorrow"
_CALENDAR = re.compile(
    r"\d|[月年季底初旬]|q[1-4]|quarter|month|year|eo[mqy]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct"
    r"|nov|dec",
    re.IGNORECASE,
)
# what someone writing a date writes (refused, named, when not understood)
_DATE_TRY = re.compile(
    r"\d|[月年号日底周]|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|"
    r"\b(?:end|mid|early|late|next|this|eo[mqy]|q[1-4]|today|tomorrow|week|month|quarter|year|"
    r"someday|soon|asap|tbd)\b"
)
_DUE = re.compile(r"(?:by|before|until|till|due|截止|截至|最晚|最迟)", re.IGNORECASE)
# close words before a date: "close", "expected close", 预计成交, 目标 …
_CLOSE_BEFORE = re.compile(
    r"(?:(?<![A-Za-z])(?:(?:expected|expect|target(?:ed)?|est(?:imated)?\.?|planned|should|"
    r"will|to)\s+(?:to\s+)?)?(?:close[sd]?|closing|sign(?:ing|s)?)(?:\s+date)?"
    r"(?:\s+(?:by|on|in|at|around|for))?|(?<![A-Za-z])target|"
    r"预计成交日期|预计成交日|预计成交|成交日期|成交日|成交时间|成交|预计签约|预计签单|预计|目标|签约|关单)"
    r"\s*[:：]?\s*$",
    re.IGNORECASE,
)
_CLOSE_AFTER = re.compile(
    r"\s*(?:成交(?!了)|签约(?!了)|签单(?!了)|签合同(?!了)|签(?![了下])|关单|结单|落地|(?:to\s+)?close(?![A-Za-z])|closing(?![A-Za-z]))",
    re.IGNORECASE,
)
_CLOSE_WORD = re.compile(
    r"(?<![A-Za-z])(?:close\s+date|closing|closes|close)(?![A-Za-z])|预计成交|成交日期|成交时间|成交",
    re.IGNORECASE,
)
_AMOUNT_BEFORE = re.compile(
    r"(?<![A-Za-z])(?:(?:amount|value|deal\s+size|size|worth|budget)\s*(?:is|of|at|now|=|:)?\s*"
    r"(?:(?:up|down|now|revised|updated|changed)\s+)?(?:to\s+)?|"
    r"(?:upsized|downsized|increased|raised|reduced|lowered|cut|dropped|revised|updated|changed|"
    r"bumped|grew|grown|went\s+up|went\s+down|now)\s+(?:to\s+)?)\s*$|"
    r"(?:(?:金额|合同额|总额|总价|价值|预算)\s*[:：]?\s*(?:调整为|调整到|改为|改成|调到|更新为|变为|变成|是|为)?"
    r"|调整为|调整到|改为|改成|更新为)\s*[:：]?\s*$",
    re.IGNORECASE,
)
_FROM_TO = re.compile(
    r"\s*(?:→|->|=>|to|改为|改成|调到|调整为|调整到|变成|变为|到)\s*", re.IGNORECASE
)
_STAGE_WORD = re.compile(r"(?<![A-Za-z])stage(?![A-Za-z])\s*[:=]?\s*|阶段\s*[:：]?\s*", re.I)
SEPARATOR = re.compile(r"\s+[-–—]+\s*|\s*[—–]+\s*|[,;，；。!！?？\n]|:\s|：")
_PLAIN_AMOUNT = re.compile(r"(?<![\w.,/-])\d{5,13}(?:\.\d{1,2})?(?![\w.,/%-])")
_LONG_WORD = re.compile(r"(?<![A-Za-z])[a-z]{7,}(?![A-Za-z])")
_CN_NUMERAL = "0123456789零〇一二两三四五六七八九十"
TRIM = " \t\n,;:-—–.，；：。、!！"


@dataclass(frozen=True)
class _Word:
    text: str  # casefolded
    stage: str
    weak: bool
    ascii: bool


@lru_cache(maxsize=16)
def lexicon(stages: tuple[str, ...]) -> tuple[_Word, ...]:
    seen: dict[str, _Word] = {}
    for stage in stages:
        for word in (
            stage,
            *(label(stage, lang) for lang in languages()),
            *_STAGE_SYNONYMS.get(stage, ()),
        ):
            key = word.casefold()
            if key in seen:
                continue
            ascii_ = key.isascii()
            weak = key in _WEAK_ZH
            seen[key] = _Word(key, stage, weak, ascii_)
    return tuple(sorted(seen.values(), key=lambda w: len(w.text), reverse=True))


def _stage_list(settings: Policy, lang: str) -> str:
    sep = _("stage_sep", lang)
    return sep.join(label(s, lang) for s in settings.deals.probabilities)


# --- claims -----------------------------------------------------------------------


@dataclass
class Claim:
    start: int
    end: int
    kind: str  # date | amount | stage
    value: object = None
    text: str = ""  # what was typed (shown in refusals)
    reason: str | None = None  # lost to Siemens
    bare: bool = False  # a lone English word (proposal, won): a stage only as a clause


class Claims:
    def __init__(self) -> None:
        self.items: list[Claim] = []
        self.asides: list[tuple[int, int]] = []  # dates read as part of the note

    def free(self, start: int, end: int) -> bool:
        return all(end <= c.start or c.end <= start for c in self.items)

    def add(self, claim: Claim) -> None:
        self.items.append(claim)
        self.items.sort(key=lambda c: c.start)

    def next_start(self, pos: int, default: int) -> int:
        return min((c.start for c in self.items if c.start >= pos), default=default)

    def prev_end(self, pos: int, default: int) -> int:
        return max((c.end for c in self.items if c.end <= pos), default=default)


def claim_dates(s: str, low: str, pos: int, end: int, claims: Claims, pctx: ParseContext):
    """Date phrases and their close words; a phrase found in pieces is read whole."""
    hits = find_dates(s[pos:end], now=pctx.now, prefer="future")
    groups: list[list[int]] = []  # [start, end, pieces]
    for hit in hits:
        start, stop = pos + hit.start, pos + hit.end
        glued = not s[start].isascii()
        while glued and start > pos and s[start - 1] in _CN_NUMERAL:
            start -= 1  # 12 + 月底: the digits belong to the phrase
        if groups and not s[groups[-1][1] : start].strip():
            groups[-1][1] = stop  # 明年 + 3月底: one phrase
            groups[-1][2] += 1
        else:
            groups.append([start, stop, 1 if start == pos + hit.start else 2])
    for start, stop, pieces in groups:
        text = s[start:stop]
        if pieces > 1:
            day = parse_date(text, now=pctx.now, prefer="future")
            if day is None:
                raise ParseError(_("bad_date", pctx.lang, text=text.strip()))
        else:
            day = next(h.when.date() for h in hits if pos + h.start == start)
        c_start, c_stop = start, stop
        before = _CLOSE_BEFORE.search(low, claims.prev_end(start, pos), start)
        if before is not None:
            c_start = before.start()
        if after := _CLOSE_AFTER.match(low, stop, end):
            c_stop = after.end()
        if before is None and after is None:
            phrase = low[start:stop].strip()
            if not _CALENDAR.search(phrase) or _DUE.match(phrase) or is_glued(low, stop):
                claims.asides.append((start, stop))  # "call CFO Friday": the note's own date
                continue
        claims.add(Claim(c_start, c_stop, "date", day, text.strip()))


def claim_amounts(s: str, low: str, pos: int, end: int, claims: Claims, pctx: ParseContext):
    taken = [(c.start - pos, c.end - pos) for c in claims.items]
    for hit in find_amounts(s[pos:end], default_currency=NO_CURRENCY, taken=taken):
        start, stop = pos + hit.start, pos + hit.end
        while start < stop and s[start].isspace():
            start += 1
        text = s[start:stop]
        if before := _AMOUNT_BEFORE.search(low, claims.prev_end(start, pos), start):
            start = before.start()
        claims.add(Claim(start, stop, "amount", hit.money, text))
    for hit in find_amounts(s[pos:end], default_currency=NO_CURRENCY, taken=taken, plain=True):
        start, stop = (
            pos + hit.start,
            pos + hit.end,
        )  # 二期扩容30w: w is 万 where a deal's amount goes
        if s[stop - 1 : stop] in "wW" and claims.free(start, stop):
            claims.add(Claim(start, stop, "amount", hit.money, s[start:stop]))
    for m in _PLAIN_AMOUNT.finditer(s, pos, end):  # 1200000: a bare number that big is money
        if claims.free(m.start(), m.end()):
            money = Money(Decimal(m.group()), NO_CURRENCY)
            claims.add(Claim(m.start(), m.end(), "amount", money, m.group()))
    amounts = [c for c in claims.items if c.kind == "amount"]
    for first, then in pairwise(amounts):
        gap = low[first.end : then.start]
        joined = _FROM_TO.fullmatch(gap) or (not gap.strip() and _FROM_TO.match(low, then.start))
        if joined:  # 1.2m → 1.5m, 300万改为390万: the new amount
            claims.items.remove(first)
            then.start = first.start
            if m := re.search(r"(?:from|从|由)\s*$", low[pos : then.start], re.IGNORECASE):
                then.start = pos + m.start()


def _alone(low: str, i: int, j: int, claims: Claims, pos: int, end: int) -> bool:
    """Does the Chinese word ``low[i:j]`` stand alone (no ideograph glued to it that
    belongs to no other clause)?"""
    before = i <= pos or not is_cjk(low[i - 1]) or not claims.free(i - 1, i)
    after = j >= end or not is_cjk(low[j]) or not claims.free(j, j + 1)
    return before and after


def claim_stages(s: str, low: str, pos: int, end: int, claims: Claims, pctx: ParseContext):
    words = lexicon(tuple(pctx.settings.deals.probabilities))
    for m in _LOST_TO.finditer(low, pos, end):
        if not claims.free(m.start(), m.end()) or LOST not in pctx.settings.deals.probabilities:
            continue
        stop = SEPARATOR.search(low, m.end(), end)
        stop_at = min(stop.start() if stop else end, claims.next_start(m.end(), end))
        who = s[m.end() : stop_at].strip(TRIM)
        if not who:
            continue
        begin = m.start("lost") if m.group("lost") else m.start()
        reason = f"{s[begin : m.end()]}{who}".strip()
        claims.add(Claim(m.start(), stop_at, "stage", LOST, s[m.start() : m.end()], reason))
    for m in _TAKEN_BY.finditer(low, pos, end):  # 被西门子抢了: lost, to whom
        if claims.free(m.start(), m.end()) and LOST in pctx.settings.deals.probabilities:
            text = s[m.start() : m.end()]
            claims.add(Claim(m.start(), m.end(), "stage", LOST, text, text))
    for word in words:
        start = pos
        while (i := low.find(word.text, start, end)) >= 0:
            start = i + 1
            j = i + len(word.text)
            if not claims.free(i, j):
                continue
            if word.ascii:
                if (i > 0 and low[i - 1].isalnum()) or (j < len(low) and low[j].isalnum()):
                    continue
                b = _EN_BEFORE.search(low, claims.prev_end(i, pos), i)
                a = _EN_AFTER.match(low, j, end)
            else:
                b = _ZH_BEFORE.search(low, claims.prev_end(i, pos), i)
                a = _ZH_AFTER.match(low, j, end)
            c_start = b.start() if b is not None and b.group() else i
            c_stop = a.end() if a is not None else j
            verb = _STAGE_VERB.search(low, c_start, i) or _STAGE_VERB.search(low, j, c_stop)
            if word.weak and not verb and not _alone(low, i, j, claims, pos, end):
                continue  # 方案 inside 发方案给客户: a word of the note, not a stage
            if not claims.free(c_start, c_stop):
                c_start, c_stop = i, j
            bare = word.ascii and " " not in word.text and (c_start, c_stop) == (i, j)
            claims.add(Claim(c_start, c_stop, "stage", word.stage, s[i:j], bare=bare))
    long_words = {
        w.text: w.stage for w in words if w.ascii and w.text.isalpha() and len(w.text) >= 7
    }
    for m in _LONG_WORD.finditer(low, pos, end):  # a typo: negotation, propsal, qualifed
        if not claims.free(m.start(), m.end()) or m.group() in long_words:
            continue
        after = low[m.end() : claims.next_start(m.end(), end)]
        if after.strip() and not SEPARATOR.match(after):
            continue  # "Negotiator training": a word of a name, not a misspelt stage
        best = process.extractOne(m.group(), list(long_words), scorer=fuzz.ratio, score_cutoff=85)
        if best is not None:
            stage = long_words[best[0]]
            claims.add(Claim(m.start(), m.end(), "stage", stage, s[m.start() : m.end()], bare=True))


def check_keywords(
    s: str, low: str, pos: int, end: int, claims: Claims, pctx: ParseContext, *, quoted: bool
):
    """``stage``/``close`` words left unclaimed: their value was not understood.  At the
    start of an unquoted name they are the name's (“Close the loop”); in the free words
    after a separator, ``close`` is refused only before something date-like."""
    lang, settings = pctx.lang, pctx.settings

    def where(start: int) -> str:
        if start == pos and not quoted:
            return "name"
        seps = (m for m in SEPARATOR.finditer(low, pos, start) if claims.free(m.start(), m.end()))
        return "note" if next(seps, None) is not None else "clause"

    for m in _STAGE_WORD.finditer(low, pos, end):
        if not claims.free(m.start(), m.end()):
            continue
        place = where(m.start())
        if place == "name" or (place == "note" and not re.search("[:=：]", m.group())):
            continue  # "Stage lighting upgrade", "- at this stage they wait"
        value = _next_words(s, m.end(), end, claims, one=True)
        if not value:
            raise ParseError(_("no_stage", lang, stages=_stage_list(settings, lang)))
        raise ParseError(_("bad_stage", lang, text=value, stages=_stage_list(settings, lang)))
    for m in _CLOSE_WORD.finditer(low, pos, end):
        if not claims.free(m.start(), m.end()):
            continue
        value = _next_words(s, m.end(), end, claims)
        if m.group() == "成交" and not value:
            base = claims.prev_end(m.start(), pos)
            run = re.search(r"[\u3400-\u9fff]{1,10}$", low[base : m.start()])
            if run and _WHEN_TAIL.search(run.group()):  # 春节前成交: a date not understood
                raise ParseError(_("bad_date", lang, text=s[base + run.start() : m.start()]))
            if WON in settings.deals.probabilities:
                claims.add(Claim(m.start(), m.end(), "stage", WON, m.group()))  # …成交 = won
                continue
        if re.match(r"\s*(?:to|with|relationship|contact)\b", low[m.end() : end]):
            continue  # "close to signing", "close relationship": words of the note
        place = where(m.start())
        if place == "name" or (place == "note" and not _DATE_TRY.search(value.casefold())):
            continue
        if not value:
            raise ParseError(_("no_date", lang))
        raise ParseError(_("bad_date", lang, text=value))


def _next_words(s: str, start: int, end: int, claims: Claims, *, one: bool = False) -> str:
    stop = claims.next_start(start, end)
    sep = SEPARATOR.search(s, start, stop)
    text = s[start : sep.start() if sep else stop].strip(TRIM)
    if one and text:
        text = text.split()[0]
    return text[:30]


# the end of a Chinese time phrase (春节前, 下季度, 年中): before 成交 it is a close date
_WHEN_TAIL = re.compile(r"[前底初中末后内]$|[月节年季周号日旬]")
_DATE_TAIL = frozenset("底初中前后旬末份内左右")


def is_glued(low: str, j: int) -> bool:
    """Is the date-like text ending at ``j`` the start of a Chinese word (3号线, 5月促销),
    not a date?"""
    return (
        j < len(low)
        and is_cjk(low[j])
        and low[j] not in _DATE_TAIL
        and _CLOSE_AFTER.match(low, j) is None
    )
