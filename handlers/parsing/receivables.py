"""Reading ``/invoice`` (``/应收``) and ``/paid`` (``/回款``) lines into typed commands.

    /invoice Acme 300k due 2026-12-31 Q4 fee     /应收 华夏重工 30万 到期 2026-12-31
    /invoice Acme limit 2m                       /应收 华夏重工 额度 200万
    /paid Blue Harbor 1.2m yesterday #INV-001    回款 宁波港航 上周五 USD 52,000

The words after the account come in any order: the amount (``half a million``, ``35万美元``),
a date (a payment's in the past, a due date ahead), an invoice (kam's ``#12`` or the
finance system's ``#INV-001``) and the rest, kept as the note as typed.  Two amounts are
asked about; two dates, or a payment received in the future, are refused.

The commands are run by ``handlers.commands.receivables``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from domain.errors import ParseError
from handlers.clarify import Choice, Choose
from handlers.context import ParseContext
from handlers.i18n import Catalog
from handlers.lookup import MAX_NAME_WORDS, split_account
from handlers.parsing.dates import DateHit, Prefer, find_dates
from handlers.parsing.money import Money, find_amounts, leading_money, starts_negative
from handlers.parsing.text import fold, join_text
from handlers.views import fmt_day, fmt_money

MAX_NOTE = 200  # Invoice.note, Payment.note

_ = Catalog("receivables")


def _check_length(text: str, limit: int, lang: str) -> str:
    if len(text) > limit:
        raise ParseError(_("long_text", lang, n=len(text), limit=limit))
    return text


def _leading_money(text: str, currency: str, lang: str) -> tuple[Money | None, str]:
    """The amount at the start of ``text`` (or, failing that, the first one in it)."""
    if starts_negative(text):
        raise ParseError(_("negative", lang))
    return leading_money(text, default_currency=currency)


def _money_or_refuse(text: str, pctx: ParseContext, cmd: str, account: str) -> tuple[Money, str]:
    money, rest = _leading_money(text, pctx.currency, pctx.lang)
    if money is None:
        raise ParseError(_("no_amount", pctx.lang, cmd=cmd, account=account))
    if money.amount <= 0:
        raise ParseError(_("zero_amount", pctx.lang))
    return money, rest.strip()


# --- reading the line ---------------------------------------------------------------
#
# /invoice and /paid lines are read the way people type them: the account, then the
# amount, a date, an invoice and free words in any order (``/paid Acme 1.2m yesterday
# #INV-001``, ``回款 宁波港航 上周五 USD 52,000``).  Each reader claims its span of the
# line — invoice references and payment terms first, then the date, then the amount, so
# the 五 of 上周五 or the 1 of #1 is never an amount — and what none claimed is the note,
# kept as typed.  Two amounts or two dates are asked about or refused, never guessed.


# a document number (INV-001, FP20260901-0001, 12) — not an amount (300k, 50万)
_REF_BODY = (
    r"(?P<ref>[a-z]+-?[0-9][a-z0-9-]*|[0-9][a-z0-9]*-[a-z0-9-]+"
    r"|[0-9]{1,9}(?![0-9]|[.,][0-9]|\s*(?:[kmbw](?![a-z])|mil|grand|million|[万千亿元块])))(?![a-z0-9])"
)
_INVOICE_REF = re.compile(
    r"(?:#\s*|(?<![a-z])(?:invoice|inv)(?:\s*(?:no\.?|number))?\s*[#:：]?\s*"
    rf"|(?:发票|应收)(?:号码?)?\s*[#:：]?\s*){_REF_BODY}"
    r"|(?<![a-z0-9-])(?P<doc>(?:inv|fp|kam)-?[0-9][a-z0-9-]*)(?![a-z0-9])",
    re.IGNORECASE | re.ASCII,
)
_NEGATIVE = re.compile(r"(?:^|(?<=\s))[-−][$¥€£]?\d|负\s*\d")
# words that only say a payment came in or an invoice went out: no note when that is all
_FILLER = re.compile(
    r"(?:\b(?:finally|just|has|have|had|paid|pays|pay|received|in|payment|came|arrived|us|we|from"
    r"|invoiced|sent|issued|raised|an?|invoice|for|to|be|will)\b"
    r"|已经?|终于|收到|到账|回款|收款|付款|打款|支付|付了|付|开了|开具|开|发票|票|给|了|的|要|会|将"
    r"|[\s,.;:!，。；：！、-])*",
    re.IGNORECASE,
)
_DUE_WORDS = re.compile(
    r"(?:\bdue(?:\s+on)?|\bpayable(?:\s+by)?|到期日?|截止(?:日期)?|付款日)\s*[:：]?\s*",
    re.IGNORECASE,
)
_DUE_BEFORE = re.compile(_DUE_WORDS.pattern + "$", re.IGNORECASE)
_EMPTY_BRACKETS = re.compile(r"[(（\[【]\s*[)）\]】]")
_UNREAD = re.compile(r"[\d十百千万亿]")


def _collapse(raw: str) -> tuple[str, str]:
    """``raw`` and its folded reading (``fold``), both with runs of spaces made one and the
    ends stripped, and still the same length: a span of one is the same span of the other."""
    folded = fold(raw)
    keep_raw: list[str] = []
    keep: list[str] = []
    for r, f in zip(raw, folded, strict=True):
        if f == " " and (not keep or keep[-1] == " "):
            continue
        keep_raw.append(r)
        keep.append(f)
    while keep and keep[-1] == " ":
        keep.pop()
        keep_raw.pop()
    return "".join(keep_raw), "".join(keep)


class _Line:
    """The words of a command: ``text`` (folded) to read, ``raw`` as typed, and the spans
    the readers have claimed.  ``account`` is the account's span at the start."""

    def __init__(self, args: str, pctx: ParseContext) -> None:
        self.raw, self.text = _collapse(args)
        self.taken: list[tuple[int, int]] = []
        name, rest = split_account(self.text, pctx)
        self.name = name
        self.body = len(self.text) - len(rest)  # where the words after the account start
        quoted = self.text[:1] in "\"“「『'"
        # not a known name: the account may be all the words before the amount or date
        # (``Blue Harbr 300k``, ``宁波港航上周五USD52,000``); see ``settle_account``
        self.loose = not quoted and name.casefold() not in pctx.known_accounts([name])
        self.start = 0 if self.loose else self.body
        self.pctx = pctx
        at = self.text.casefold().find(name.casefold())
        if not quoted and at > 0 and self.text[:at].strip(" ,，:："):
            # the name stood after the date or amount ("last night half a million Stark")
            self.loose, self.start, self.body = False, 0, 0
            self.take(at, at + len(name))

    def take(self, start: int, end: int) -> None:
        self.taken.append((start, end))

    def masked(self) -> str:
        """The text with the account and the claimed spans blanked out."""
        chars = list(self.text)
        chars[: self.start] = " " * self.start
        for a, b in self.taken:
            chars[a:b] = " " * (b - a)
        return "".join(chars)

    def typed(self, start: int, end: int) -> str:
        return self.raw[start:end]

    def settle_account(self) -> str:
        """The account: as split, or — for a name not known — a known name among the words
        before the first claimed span (``payment from Initech came in, USD 80,000``), else
        all of those words (``Blue Harbr 300k``), so they are the name, not the note."""
        if self.loose and self.taken:
            first = min(a for a, _ in self.taken)
            head = self.text[:first].rstrip(" ,，:：;；")
            inner = self._known_inside(head)
            if inner is not None:
                a, b = inner
                self.name, self.body = self.text[a:b], 0
                self.taken.append((a, b))
            elif head and head != self.name and len(head.split()) <= MAX_NAME_WORDS:
                self.name, self.body = head.strip(), first
        self.start = self.body
        return self.name

    def _known_inside(self, head: str) -> tuple[int, int] | None:
        """The span of the longest known account name made of whole words of ``head``."""
        words = [(m.start(), m.end()) for m in re.finditer(r"[^\s,，:：;；]+", head)]
        if len(words) < 2 or len(words) > 2 * MAX_NAME_WORDS:
            return None
        spans = [
            (words[i][0], words[j][1])
            for i in range(len(words))
            for j in range(i, min(len(words), i + MAX_NAME_WORDS))
        ]
        known = self.pctx.known_accounts([head[a:b] for a, b in spans])
        found = [(a, b) for a, b in spans if head[a:b].casefold() in known]
        return max(found, key=lambda span: span[1] - span[0]) if found else None

    def rest(self, *, without: list[tuple[int, int]]) -> str:
        """The words after the account as typed, minus ``without`` (and the account)."""
        name = [t for t in self.taken if self.text[t[0] : t[1]] == self.name]
        return self._cut(self.body, sorted([*without, *name]))

    def note(self) -> str:
        """What no reader claimed, as typed."""
        return self._cut(self.body, sorted(self.taken))

    def _cut(self, start: int, cuts: list[tuple[int, int]]) -> str:
        out, pos = "", start
        for a, b in cuts:
            if a > pos:
                out = join_text(out, self.raw[pos:a])
            pos = max(pos, b)
        out = join_text(out, self.raw[pos:])
        out = _EMPTY_BRACKETS.sub("", out)  # "300k (300,000) via wire": the () is empty now
        return " ".join(out.split()).strip(" ,，;；、:：")


def _quoted(account: str) -> str:
    return f'"{account}"' if any(ch.isspace() for ch in account) else account


def _claim_ref(line: _Line, lang: str) -> tuple[int | None, str | None]:
    """The invoice a payment names: ``#12``/``invoice 12`` (kam's id) or a number such as
    ``#INV-001``/``FP20260901-0001`` (the finance system's)."""
    refs = list(_INVOICE_REF.finditer(line.masked()))
    if len(refs) > 1:
        a, b = (line.typed(*m.span()) for m in refs[:2])
        raise ParseError(_("two_invoices", lang, a=a, b=b))
    if not refs:
        return None, None
    m = refs[0]
    line.take(*m.span())
    ref = m["ref"] or m["doc"]
    if ref.isdigit() and len(ref) <= 9:
        return int(ref), None
    return None, ref


def _claim_date(line: _Line, pctx: ParseContext, prefer: Prefer, example: str) -> DateHit | None:
    text = line.masked()
    dates = find_dates(text, now=pctx.now, prefer=prefer)
    # a date may not start inside an amount with a currency or separators (the 000 of
    # "USD 52,000 yesterday"): read the dates again with those amounts set aside
    amounts = [(h.start, h.end) for h in find_amounts(text) if not h.bare]
    if any(a < d.start < b for d in dates for a, b in amounts):
        chars = list(text)
        for a, b in amounts:
            chars[a:b] = " " * (b - a)
        dates = find_dates("".join(chars), now=pctx.now, prefer=prefer)
    if len(dates) > 1:
        a, b = (line.typed(d.start, d.end) for d in dates[:2])
        raise ParseError(_("two_dates", pctx.lang, a=a, b=b, example=example))
    if not dates:
        return None
    hit = dates[0]
    due = _DUE_BEFORE.search(line.text, line.start, hit.start)
    line.take(due.start() if due else hit.start, hit.end)
    return hit


def _claim_amount(line: _Line, pctx: ParseContext, cmd: str, example_key: str) -> tuple[Money, str]:
    """The one amount in the line and how it was typed; asks which when there are two,
    refuses (quoting what it could not read) when there is none."""
    lang = pctx.lang
    text = line.masked()
    if _NEGATIVE.search(text):
        raise ParseError(_("negative", lang))
    hits = find_amounts(text, default_currency=pctx.currency, plain=True)
    for hit in hits:
        line.take(hit.start, hit.end)
    account = line.settle_account()
    example = _(example_key, lang, account=_quoted(account))
    if not hits:
        left = line.note()
        if _UNREAD.search(left):
            raise ParseError(_("unread_amount", lang, text=left, example=example))
        raise ParseError(_("no_amount", lang, cmd=cmd, account=account))
    if len({h.money for h in hits}) == 1:
        hits = hits[:1]  # "300k (300,000)": one amount, said twice
    if len(hits) > 1:
        choices = []
        for hit in hits[:5]:
            others = [(h.start, h.end) for h in hits if h is not hit]
            shown = fmt_money(hit.money.amount, hit.money.currency, lang)
            text = f"/{cmd} {_quoted(account)} {line.rest(without=others)}".strip()
            choices.append(
                Choice(
                    _("amount_choice", lang, amount=shown, typed=line.typed(hit.start, hit.end)),
                    text,
                )
            )
        typed = ", ".join(f"“{line.typed(h.start, h.end)}”" for h in hits)
        raise Choose(
            _("which_amount", lang), choices, lines=[_("two_amounts", lang, amounts=typed)]
        )
    hit = hits[0]
    if hit.money.amount <= 0:
        raise ParseError(_("zero_amount", lang))
    return hit.money, line.typed(hit.start, hit.end)


# --- /invoice -----------------------------------------------------------------------


_LIMIT_WORDS = ("credit limit", "信用额度", "limit", "credit", "额度")
_CLEAR_WORDS = {"none", "clear", "remove", "off", "无", "取消", "清除", "不限"}
_TERMS = re.compile(
    r"(?:\bnet\s*(?P<net>\d{1,4})\b(?:\s*days?)?|账期\s*(?P<zh>\d{1,4})\s*天?)", re.IGNORECASE
)


class InvoiceCommand(BaseModel):
    command: str = "invoice"
    account: str
    amount: Decimal | None = None
    currency: str | None = None
    due_on: date | None = None
    terms_days: int | None = None
    note: str = ""
    limit: Decimal | None = None
    limit_currency: str | None = None
    clear_limit: bool = False
    amount_typed: str = ""
    due_typed: str = ""
    issued_on: date | None = None
    issued_typed: str = ""

    @property
    def sets_limit(self) -> bool:
        return self.limit is not None or self.clear_limit


def parse_invoice(args: str, pctx: ParseContext) -> InvoiceCommand:
    lang = pctx.lang
    line = _Line(args, pctx)
    rest = line.text[line.body :]
    cmd = InvoiceCommand(account=line.name)
    if not rest:
        return cmd
    lowered = rest.casefold()
    word = next((w for w in _LIMIT_WORDS if lowered.startswith(w)), None)
    if word is not None:
        value = rest[len(word) :].strip(" :：")
        if value.casefold() in _CLEAR_WORDS:
            cmd.clear_limit = True
            return cmd
        money, extra = _money_or_refuse(value, pctx, _("invoice_word", lang), line.name)
        if extra:
            raise ParseError(_("limit_extra", lang, text=extra, account=line.name))
        cmd.limit, cmd.limit_currency = money.amount, money.currency
        return cmd
    terms = _TERMS.search(line.masked())
    if terms is not None:
        cmd.terms_days = int(terms["net"] or terms["zh"])
        line.take(*terms.span())
    example = _("invoice_example", lang, account=_quoted(line.name))
    due = _claim_date(line, pctx, "future", example)
    money, cmd.amount_typed = _claim_amount(line, pctx, _("invoice_word", lang), "invoice_example")
    cmd.account = line.name
    cmd.amount, cmd.currency = money.amount, money.currency
    if due is not None and _issue_date(line, due, pctx):
        # "invoiced Acme 1.2m today, net 45": the day it was issued, due after the terms
        cmd.issued_on, cmd.issued_typed = due.when.date(), line.typed(due.start, due.end)
    elif due is not None:
        if cmd.terms_days is not None:
            terms_typed = line.typed(*terms.span()) if terms else ""
            due_typed = line.typed(due.start, due.end)
            raise ParseError(_("terms_and_due", lang, terms=terms_typed, due=due_typed))
        cmd.due_on, cmd.due_typed = due.when.date(), line.typed(due.start, due.end)
    note = _DUE_WORDS.sub("", line.note()).strip(" ,，;；")
    if _FILLER.fullmatch(note):
        note = ""  # "开了发票", "invoiced": the invoice itself, not a note
    cmd.note = _check_length(note, MAX_NOTE, lang)
    return cmd


_DUE_MARK = re.compile(
    r"^(?:due|by|before|until|till|no\s+later|deadline|payable|截止|截至|最晚|最迟|到期|在)"
    r"|(?:前|之前|以前)$",
    re.IGNORECASE,
)
_DUE_AFTER = re.compile(r"\s*(?:到期|前|之前|due\b)", re.IGNORECASE)


def _issue_date(line: _Line, hit: DateHit, pctx: ParseContext) -> bool:
    """Is the date of an /invoice line the day it was issued (today or before, said
    without due/by/到期/前), rather than the day it is due?"""
    if hit.when.date() > pctx.now.date():
        return False
    typed = line.text[hit.start : hit.end].strip()
    if _DUE_MARK.search(typed) or _DUE_BEFORE.search(line.text, line.start, hit.start):
        return False
    return _DUE_AFTER.match(line.text, hit.end) is None


# --- /paid --------------------------------------------------------------------------


class PaidCommand(BaseModel):
    command: str = "paid"
    account: str
    amount: Decimal
    currency: str
    invoice_id: int | None = None
    invoice_number: str | None = None  # the finance system's (#INV-001), matched when run
    received_on: date
    note: str = ""
    amount_typed: str = ""
    date_typed: str = ""


def parse_paid(args: str, pctx: ParseContext) -> PaidCommand:
    lang = pctx.lang
    line = _Line(args, pctx)
    invoice_id, invoice_number = _claim_ref(line, lang)
    example = _("paid_example", lang, account=_quoted(line.name))
    when = _claim_date(line, pctx, "past", example)
    money, typed = _claim_amount(line, pctx, _("paid_word", lang), "paid_example")
    received_on = pctx.now.date()
    date_typed = ""
    if when is not None:
        date_typed = line.typed(when.start, when.end)
        if when.when.date() > pctx.now.date():
            raise ParseError(
                _("future_payment", lang, date=fmt_day(when.when.date(), lang), typed=date_typed)
            )
        received_on = when.when.date()
    note = line.note()
    if _FILLER.fullmatch(note):
        note = ""  # "finally paid", "已经到账": the payment itself, not a note
    return PaidCommand(
        account=line.name,
        amount=money.amount,
        currency=money.currency,
        invoice_id=invoice_id,
        invoice_number=invoice_number,
        received_on=received_on,
        note=_check_length(note, MAX_NOTE, lang),
        amount_typed=typed,
        date_typed=date_typed,
    )
