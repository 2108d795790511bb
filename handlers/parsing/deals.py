"""Reading ``/deal`` (``/商机``) the way reps type it: the account, the deal's name, an
amount, a stage, a close date, a reason and free words, in any order, in English or
Chinese — into a ``DealCommand``.  Which of the account's deals a loosely typed name
means is ``handlers.parsing.deal_match`` (``match_deal``, re-exported here).

The text after the account is read in one pass of claims that never overlap (the
claimers of steps 3–5 are in ``handlers.parsing.deal_claims``):

1. ``new`` / ``新建`` forces a new deal; a quoted name is taken as written;
2. ``reason …`` / ``原因 …`` takes the rest of the line;
3. date phrases (``handlers.parsing.dates.find_dates``, leaning to the future) with the
   close words before or after them (``close end of Q1``, ``下月底成交``, ``目标3月中close``).
   A phrase the finder reads as pieces (``明年`` + ``月底`` of ``明年3月底``) is joined and
   read whole, or refused — never stored as one of its pieces;
4. amounts (``handlers.parsing.money.find_amounts``; a date's digits are never an amount);
5. stage words and verbs of both languages (``moved to proposal``, ``进入谈判``, ``黄了``,
   ``输给了西门子`` → lost, with the reason);
6. an unquoted name ends where the first of those begins (or at ``-``, ``,``, ``，``);
7. what is left is the deal's note (for a lost deal, the words after ``lost`` are its
   reason); a leftover that looks like an amount or a date is refused, named.

Refusals are worded here, with a correct example; ``handlers.commands.deal`` runs it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.errors import ParseError
from domain.policy import Policy
from handlers.context import ParseContext
from handlers.i18n import Catalog
from handlers.lookup import split_account
from handlers.paging import split_page
from handlers.parsing.deal_claims import (
    LOST,
    NO_CURRENCY,
    SEPARATOR,
    TRIM,
    Claim,
    Claims,
    check_keywords,
    claim_amounts,
    claim_dates,
    claim_stages,
    is_glued,
    lexicon,
)

# re-exported: the callers and tests import them from here
from handlers.parsing.deal_match import CLOSE as CLOSE
from handlers.parsing.deal_match import SURE as SURE
from handlers.parsing.deal_match import deal_score as deal_score
from handlers.parsing.deal_match import match_deal as match_deal
from handlers.parsing.money import is_currency_word
from handlers.parsing.text import fold

MAX_CLOSE_YEARS = 10
MAX_NAME = 200  # Deal.name
MAX_REASON = 500  # Deal.lost_reason
MAX_NOTE = 500

_ = Catalog("parsing.deals")


class DealCommand(BaseModel):
    command: str = "deal"
    account: str
    deal: str | None = None
    exact: bool = False  # the name was quoted: it is the name as written
    new: bool = False  # ``new "…"`` / ``新建``: create it, never match another
    amount: Decimal | None = None
    currency: str | None = None
    stage: str | None = None
    close_date: date | None = None
    reason: str | None = None
    note: str | None = None
    clauses: str = ""  # what followed the name, as typed (the choices' messages repeat it)
    page: int | None = Field(default=None, exclude=True)  # the list's page: "/deal Acme p 2"

    @property
    def changes(self) -> bool:
        return any(v is not None for v in (self.amount, self.stage, self.close_date, self.reason))


# --- words ------------------------------------------------------------------------

_REASON = re.compile(
    r"(?<![A-Za-z])(?:loss\s+reason|reason)\s*[:：]?|(?:输单原因|原因|理由)[:：]?",
    re.IGNORECASE,
)
# what follows "next:" / "下一步：" is a next step: kept in the note, never read as a field
_NEXT = re.compile(
    r"(?<![A-Za-z])(?:next\s*steps?|next|todo|to-?do|action\s*items?)\s*[:：]|(?:下一步|下步|待办|后续)\s*[:：]?",
    re.IGNORECASE,
)
_NEW = re.compile(
    r"^(?:new\s+deal\b|new(?=\s*[\"“「『'])|新建商机|新商机|新建)\s*[:：]?\s*", re.IGNORECASE
)
_MONEYISH = re.compile(
    r"(?:hk\$|us\$|jp¥|[¥$€£])\s*\d|\d(?:[\d.,]*\d)?\s*(?:k|m|mn|mil|million|b|bn|w|万|亿|千|百万|元|块)"
    r"(?![A-Za-z])|\d+(?:\.\d+){2,}",
    re.IGNORECASE,
)
_DATEISH = re.compile(
    r"\d{4}[-/.]\d|\d{1,2}[-/]\d{1,2}(?![\d.])|\d\s*[月号日]|[零一二两三四五六七八九十]+\s*月",
)
_FILLERS = frozenset(
    {"now", "is", "the", "deal", "and", "at", "with", "we're", "we", "are", "it's", "its"}
    | {"it", "also", "so", "stage", "phase", "currently", "just"}
    | {"了", "已", "已经", "现在", "目前", "商机", "这个", "该", "也"}
)


def stage_words(settings: Policy) -> dict[str, str]:
    """Every word that names a configured stage (casefolded), and the stage it names."""
    return {w.text: w.stage for w in lexicon(tuple(settings.deals.probabilities))}


def _lower(s: str) -> str:
    """Lower case, every character in its place (offsets keep)."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in s)


# --- parsing ----------------------------------------------------------------------


def parse_deal(args: str, pctx: ParseContext) -> DealCommand:
    lang = pctx.lang
    body, page = split_page(args)
    if page is not None and body:
        account, rest = split_account(body, pctx)
        if not rest.strip():
            return DealCommand(account=account, page=page)  # a page of the list
    account, rest = split_account(args, pctx)
    rest = rest.strip()
    s = fold(rest)
    low = _lower(s)
    cmd = DealCommand(account=account)

    pos = 0
    if m := _NEW.match(low):
        cmd.new, pos = True, m.end()
    name_end: int | None = None
    if pos < len(s) and s[pos] in _QUOTES:
        close = s.find(_QUOTES[s[pos]], pos + 1)
        if s[pos] == "“" and close < 0:
            close = s.find("“", pos + 1)
        if close < 0:
            close = len(s)
        cmd.deal = rest[pos + 1 : close].strip() or None
        cmd.exact = cmd.deal is not None
        pos = name_end = min(close + 1, len(s))

    # next: … and reason … to the end of the line
    end = len(s)
    tail = ""
    if m := _NEXT.search(low, pos):
        tail, end = rest[m.start() :].strip(), m.start()
    if m := _REASON.search(low, pos, end):
        reason = rest[m.end() : end].strip(TRIM)
        if reason:
            cmd.reason, end = reason, m.start()
        elif m.group().isascii():
            raise ParseError(_("empty_reason", lang))
        # else 价格原因: the word ends a phrase, it does not open one

    claims = Claims()
    claim_dates(s, low, pos, end, claims, pctx)
    claim_amounts(s, low, pos, end, claims, pctx)
    claim_stages(s, low, pos, end, claims, pctx)
    check_keywords(s, low, pos, end, claims, pctx, quoted=name_end is not None)

    if name_end is None:  # an unquoted name ends where the first clause begins
        name_end = _name_end(low, pos, end, claims)
        name = rest[pos:name_end].strip(TRIM)
        cmd.deal = name or None
    if cmd.deal is not None and len(cmd.deal) > MAX_NAME:
        raise ParseError(_("long_name", lang, n=MAX_NAME))
    cmd.clauses = rest[name_end:].strip(TRIM + '"”」』')

    _drop_stray_stage_words(low, name_end, claims)
    _apply(cmd, claims, pctx)
    _leftovers(cmd, rest, s, name_end, end, claims, pctx)
    if tail:
        cmd.note = f"{cmd.note}; {tail}" if cmd.note else tail

    if cmd.reason is not None:
        cmd.reason = cmd.reason.strip(TRIM) or None
        if cmd.reason and len(cmd.reason) > MAX_REASON:
            raise ParseError(_("long_reason", lang, n=MAX_REASON))
    if cmd.note is not None and len(cmd.note) > MAX_NOTE:
        raise ParseError(_("long_note", lang, n=MAX_NOTE))
    return cmd


_QUOTES = {'"': '"', "“": "”", "”": "”", "「": "」", "『": "』", "'": "'"}


def _name_end(low: str, pos: int, end: int, claims: Claims) -> int:
    stop = claims.next_start(pos, end)
    if sep := SEPARATOR.search(low, pos, stop):
        stop = sep.start()
    for pattern in (_MONEYISH, _DATEISH):
        found = (m for m in pattern.finditer(low, pos, stop) if not is_glued(low, m.end()))
        if m := next(found, None):  # an amount or date not understood
            stop = m.start()
            while stop > pos and low[stop - 1] in "$¥€£":
                stop -= 1
            if stop > pos and not low[stop - 1].isspace() and low[stop - 1].isascii():
                stop = low.rfind(" ", pos, stop) + 1 or pos  # inside a word: from its start
    return max(stop, pos)


def _drop_stray_stage_words(low: str, name_end: int, claims: Claims) -> None:
    """A lone English stage word inside free words is a word of the note: "- CFO wants a
    new proposal" moves nothing; "1.2m proposal", "pilot - proposal" do."""
    keep: list[Claim] = []
    for claim in claims.items:
        if claim.kind == "stage" and claim.bare and claim.start >= name_end:
            start = max([name_end, *(c.end for c in keep if c.end <= claim.start)])
            for sep in SEPARATOR.finditer(low, start, claim.start):
                start = sep.end()
            stop = min([len(low), *(c.start for c in claims.items if c.start >= claim.end)])
            if sep := SEPARATOR.search(low, claim.end, stop):
                stop = sep.start()
            words = [w.strip(TRIM) for w in low[start : claim.start].split()]
            in_note = SEPARATOR.search(low, name_end, claim.start) is not None
            if in_note and claim.value != LOST:  # "lost on price": words after are the reason
                words += [w.strip(TRIM) for w in low[claim.end : stop].split()]
            if any(w and w not in _FILLERS for w in words):
                continue
        keep.append(claim)
    claims.items = keep


def _apply(cmd: DealCommand, claims: Claims, pctx: ParseContext) -> None:
    lang = pctx.lang
    seen: dict[str, Claim] = {}
    for claim in claims.items:
        if claim.kind in seen:
            first = seen[claim.kind]
            if claim.kind == "stage" and first.value == claim.value:
                if claim.reason and cmd.reason is None:
                    cmd.reason = claim.reason  # "is dead, lost to Vertiv": the reason counts
                continue  # "closed won - signed": one stage said twice
            what = {"date": "what_date", "amount": "what_amount", "stage": "what_stage"}
            raise ParseError(
                _("two", lang, what=_(what[claim.kind], lang), a=first.text, b=claim.text)
            )
        seen[claim.kind] = claim
        if claim.kind == "date":
            day = claim.value
            assert isinstance(day, date)
            if day > pctx.now.date() + timedelta(days=365 * MAX_CLOSE_YEARS):
                raise ParseError(_("far_date", lang, date=day.isoformat(), years=MAX_CLOSE_YEARS))
            cmd.close_date = day
        elif claim.kind == "amount":
            money = claim.value
            cmd.amount = money.amount  # type: ignore[attr-defined]
            currency = money.currency  # type: ignore[attr-defined]
            cmd.currency = None if currency == NO_CURRENCY else currency
        else:
            cmd.stage = str(claim.value)
            if claim.reason and cmd.reason is None:
                cmd.reason = claim.reason  # lost to Siemens


def _leftovers(
    cmd: DealCommand,
    rest: str,
    s: str,
    name_end: int,
    end: int,
    claims: Claims,
    pctx: ParseContext,
) -> None:
    """The words no clause claimed: refused when they look like an amount or a date,
    the lost reason right after ``lost``, the deal's note otherwise."""
    lang = pctx.lang
    notes: list[str] = []
    cursor = name_end
    after: Claim | None = None
    for claim in [*(c for c in claims.items if c.start >= name_end), None]:
        stop = end if claim is None else min(claim.start, end)
        if stop > cursor:
            piece = rest[cursor:stop].strip(TRIM)
            masked = list(fold(rest[cursor:stop]).casefold())
            for a, b in claims.asides:
                for k in range(max(a, cursor), min(b, stop)):
                    masked[k - cursor] = " "
            folded = "".join(masked).strip(TRIM)
            plain = fold(piece).casefold().split()
            wordy = any(ch.isalnum() for ch in piece)  # "🎉", "!!!" are not a note
            if wordy and not all(w.strip(TRIM) in _FILLERS for w in plain):
                if _MONEYISH.search(folded) or is_currency_word(folded.strip()):
                    raise ParseError(_("bad_amount", lang, text=_word_at(piece, _MONEYISH)))
                if any(not is_glued(folded, m.end()) for m in _DATEISH.finditer(folded)):
                    raise ParseError(_("bad_date", lang, text=_word_at(piece, _DATEISH)))
                if (
                    after is not None
                    and after.kind == "stage"
                    and after.value == LOST
                    and cmd.reason is None
                ):
                    cmd.reason = piece  # lost on price
                else:
                    notes.append(piece)
        if claim is None:
            break
        cursor = max(cursor, claim.end)
        after = claim
    if notes:
        cmd.note = "; ".join(notes)


def _word_at(piece: str, pattern: re.Pattern[str]) -> str:
    m = pattern.search(fold(piece).casefold())
    if m is None:
        return piece
    start = piece.rfind(" ", 0, m.start()) + 1
    stop = piece.find(" ", m.end())
    return piece[start : stop if stop >= 0 else len(piece)]
