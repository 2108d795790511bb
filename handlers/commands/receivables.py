"""``/invoice`` (``/应收``) and ``/paid`` (``/回款``): money owed, money received, credit limits.

    /invoice Acme 300k due 2026-12-31 Q4 fee     /应收 华夏重工 30万 到期 2026-12-31
    /invoice Acme limit 2m                       /应收 华夏重工 额度 200万
    /invoice Acme                                (receivables)
    /paid Acme 300k [#12] [yesterday]            /回款 华夏重工 30万

A payment goes to the invoice named first, then to the other open ones
(``domain.health.allocate``); what is left stays as a credit for the next invoice.
Whoever may change an account (``handlers.auth``) records its invoices and payments;
credit limits are for managers and admins.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel

from domain.errors import Forbidden, InvalidInput, NotFound, ParseError
from domain.health import (
    Balance,
    CurrencyMismatch,
    Receivables,
    allocate,
    convert,
    days_overdue,
    policy_of,
)
from domain.models import Account, Invoice, Payment
from handlers.auth import is_manager, require_read, require_write
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account, split_account
from handlers.parsing.dates import extract_due, extract_leading_when
from handlers.parsing.money import Money, leading_money, starts_negative
from handlers.parsing.text import normalize
from handlers.people import tell_owner_and_managers
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from handlers.views import fmt_day, fmt_money
from handlers.views.health import fmt_amounts, fmt_score
from storage import audit
from storage.health import account_receivables, invoices_of, payment_record_of, unapplied_payments

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


# --- /invoice -----------------------------------------------------------------------


_LIMIT_WORDS = ("credit limit", "信用额度", "limit", "credit", "额度")
_CLEAR_WORDS = {"none", "clear", "remove", "off", "无", "取消", "清除", "不限"}
_TERMS = re.compile(
    r"(?:\bnet\s*(?P<net>\d{1,4})\b(?:\s*days?)?|账期\s*(?P<zh>\d{1,4})\s*天?)", re.IGNORECASE
)
_DUE_WORDS = re.compile(r"^(?:due(?:\s+on)?|到期日?|截止(?:日期)?)\s*[:：]?\s*", re.IGNORECASE)


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

    @property
    def sets_limit(self) -> bool:
        return self.limit is not None or self.clear_limit


def parse_invoice(args: str, pctx: ParseContext) -> InvoiceCommand:
    lang = pctx.lang
    account, rest = split_account(normalize(args), pctx)
    cmd = InvoiceCommand(account=account)
    if not rest:
        return cmd
    lowered = rest.casefold()
    word = next((w for w in _LIMIT_WORDS if lowered.startswith(w)), None)
    if word is not None:
        value = rest[len(word) :].strip(" :：")
        if value.casefold() in _CLEAR_WORDS:
            cmd.clear_limit = True
            return cmd
        money, extra = _money_or_refuse(value, pctx, _("invoice_word", lang), account)
        if extra:
            raise ParseError(_("limit_extra", lang, text=extra, account=account))
        cmd.limit, cmd.limit_currency = money.amount, money.currency
        return cmd
    money, rest = _money_or_refuse(rest, pctx, _("invoice_word", lang), account)
    cmd.amount, cmd.currency = money.amount, money.currency
    terms = _TERMS.search(rest)
    if terms is not None:
        cmd.terms_days = int(terms["net"] or terms["zh"])
        rest = (rest[: terms.start()] + " " + rest[terms.end() :]).strip()
    else:
        due, rest = extract_due(rest, now=pctx.now)
        if due is not None:
            cmd.due_on = due.date()
    note = _DUE_WORDS.sub("", rest.strip()).strip(" ,，;；")
    cmd.note = _check_length(note, MAX_NOTE, lang)
    return cmd


@command(
    name="invoice",
    aliases=("应收", "receivable", "receivables", "ar"),
    parse=parse_invoice,
    writes=True,
    group="health",
)
def run_invoice(ctx: Context, cmd: InvoiceCommand) -> Reply:
    account = resolve_account(ctx, cmd.account)
    if cmd.sets_limit:
        if not is_manager(ctx.actor):
            raise Forbidden(_("managers_only_limit", ctx.lang))
        require_write(ctx.session, ctx.actor, account, ctx.lang)
        return _set_limit(ctx, account, cmd)
    if cmd.amount is None:
        require_read(ctx.session, ctx.actor, account, ctx.lang)
        return _receivables_view(ctx, account)
    require_write(ctx.session, ctx.actor, account, ctx.lang)
    return _add_invoice(ctx, account, cmd)


def _add_invoice(ctx: Context, account: Account, cmd: InvoiceCommand) -> Reply:
    lang, today = ctx.lang, ctx.now.date()
    policy = policy_of(ctx.settings)
    default_terms = cmd.due_on is None and cmd.terms_days is None
    due_on = cmd.due_on or today + timedelta(days=cmd.terms_days or policy.payment_terms_days)
    invoice = Invoice(
        account_id=account.id,
        amount=cmd.amount,
        currency=cmd.currency,
        issued_on=min(today, due_on),
        due_on=due_on,
        note=cmd.note,
        created_by_id=ctx.actor.id,
    )
    ctx.session.add(invoice)
    ctx.audit(
        "create",
        invoice,
        account_id=account.id,
        summary=f"invoice {cmd.currency} {cmd.amount} due {due_on.isoformat()}",
    )
    credit_used = _apply_credits(ctx, account, invoice)
    amount = fmt_money(invoice.amount, invoice.currency, lang)
    reply = Reply(
        title=_("invoice_added", lang, id=invoice.id, account=account.name, amount=amount,
                due=fmt_day(due_on, lang)),
        severity=Severity.success,
    )  # fmt: skip
    if default_terms:
        reply.lines.append(_("default_terms", lang, days=policy.payment_terms_days))
    if credit_used:
        reply.lines.append(
            _("credit_applied", lang, amount=fmt_money(credit_used, invoice.currency, lang))
        )
    r = account_receivables(ctx.session, account, today=today, settings=ctx.settings)
    _exposure_fields(ctx, reply, r)
    if r.over_limit is not None:
        reply.severity = Severity.warning
        _warn_over_limit(ctx, account, r)
    return reply


def _apply_credits(ctx: Context, account: Account, invoice: Invoice) -> Decimal:
    """Let earlier overpayments in the invoice's currency pay it; returns how much."""
    used = Decimal(0)
    for payment in unapplied_payments(ctx.session, account.id, invoice.currency):
        need = invoice.open_amount
        if need <= 0:
            break
        take = min(need, payment.unapplied)
        before = audit.snapshot(payment)
        payment.unapplied -= take
        ctx.session.add(payment)
        ctx.audit("update", payment, before=before, account_id=account.id,
                  summary=f"credit applied to invoice #{invoice.id}")  # fmt: skip
        before = audit.snapshot(invoice)
        invoice.paid_amount += take
        if invoice.open_amount <= 0:
            invoice.settled_on = ctx.now.date()
        ctx.session.add(invoice)
        ctx.audit("update", invoice, before=before, account_id=account.id,
                  summary=f"paid from credit {take}")  # fmt: skip
        used += take
    return used


def _exposure_fields(ctx: Context, reply: Reply, r: Receivables) -> None:
    lang, currency = ctx.lang, ctx.settings.currency
    if r.open:
        reply.fields.append(Field(_("open", lang), fmt_amounts(r.open, lang)))
    if r.overdue:
        reply.fields.append(
            Field(
                _("overdue", lang),
                _("overdue_value", lang, amounts=fmt_amounts(r.overdue, lang),
                  days=r.oldest_overdue_days),
            )
        )  # fmt: skip
    if r.credit:
        reply.fields.append(Field(_("credit", lang), fmt_amounts(r.credit, lang)))
    if r.exposure is None:
        value = _("unconverted", lang, currencies=", ".join(sorted(r.unconverted)))
    elif r.credit_limit is None:
        value = _("no_limit", lang, exposure=fmt_money(r.exposure, currency, lang))
    else:
        value = _(
            "exposure_value",
            lang,
            exposure=fmt_money(r.exposure, currency, lang),
            limit=fmt_money(r.credit_limit, currency, lang),
        )
    reply.fields.append(Field(_("exposure", lang), value))
    if r.over_limit is not None:
        reply.lines.append(
            _(
                "over_limit",
                lang,
                exposure=fmt_money(r.exposure, currency, lang),
                limit=fmt_money(r.credit_limit, currency, lang),
                excess=fmt_money(r.over_limit, currency, lang),
            )
        )


def _warn_over_limit(ctx: Context, account: Account, r: Receivables) -> None:
    currency = ctx.settings.currency

    def note(reader_lang: str) -> Reply:
        return Reply(
            title=_(
                "over_limit_told",
                reader_lang,
                account=account.name,
                exposure=fmt_money(r.exposure, currency, reader_lang),
                limit=fmt_money(r.credit_limit, currency, reader_lang),
            ),
            severity=Severity.warning,
            actions=[Action(_("receivables_button", reader_lang), f"invoice {account.name}")],
        )

    tell_owner_and_managers(ctx, account, note, managers=True)


def _set_limit(ctx: Context, account: Account, cmd: InvoiceCommand) -> Reply:
    lang, house = ctx.lang, ctx.settings.currency
    limit = None
    if not cmd.clear_limit:
        try:
            limit = convert(cmd.limit, cmd.limit_currency, house, house=house,
                            rates=ctx.settings.fx_rates).quantize(Decimal("0.01"))  # fmt: skip
        except CurrencyMismatch as exc:
            raise InvalidInput(
                _("limit_no_rate", lang, house=house, currency=cmd.limit_currency),
                hint=exc.hint,
            ) from exc
    if limit == account.credit_limit:
        shown = fmt_money(limit, house, lang) if limit is not None else "—"
        return Reply(title=_("limit_unchanged", lang, account=account.name, limit=shown))
    before = audit.snapshot(account)
    was = account.credit_limit
    account.credit_limit = limit
    account.updated_at = ctx.now
    ctx.session.add(account)
    ctx.audit("update", account, before=before, account_id=account.id,
              summary=f"credit limit {was} → {limit}")  # fmt: skip
    if limit is None:
        reply = Reply(
            title=_("limit_cleared", lang, account=account.name), severity=Severity.success
        )
    else:
        reply = Reply(
            title=_("limit_set", lang, account=account.name, limit=fmt_money(limit, house, lang)),
            severity=Severity.success,
        )
    if was is not None:
        reply.fields.append(Field(_("limit_was", lang), fmt_money(was, house, lang)))
    r = account_receivables(ctx.session, account, today=ctx.now.date(), settings=ctx.settings)
    _exposure_fields(ctx, reply, r)
    if r.over_limit is not None:
        reply.severity = Severity.warning
    return reply


def _receivables_view(ctx: Context, account: Account) -> Reply:
    lang, today = ctx.lang, ctx.now.date()
    reply = Reply(title=_("receivables_title", lang, account=account.name))
    r = account_receivables(ctx.session, account, today=today, settings=ctx.settings)
    _exposure_fields(ctx, reply, r)
    policy = policy_of(ctx.settings)
    record = payment_record_of(
        ctx.session, account.id, since=today - timedelta(days=policy.rfm_window_days), today=today
    )
    if record.due:
        days = (
            _("days_to_pay", lang, days=fmt_score(record.days_to_pay))
            if record.days_to_pay is not None
            else ""
        )
        reply.fields.append(
            Field(_("on_time", lang),
                  _("on_time_value", lang, on_time=record.on_time, due=record.due, days=days))
        )  # fmt: skip
    invoices = invoices_of(ctx.session, account.id)
    if not invoices:
        reply.lines.append(_("no_invoices", lang))
    reply.add_section(_("invoices", lang), [_invoice_line(i, lang, today) for i in invoices])
    if r.overdue or r.over_limit is not None:
        reply.severity = Severity.warning
    return reply


def _invoice_line(i: Invoice, lang: str, today: date) -> str:
    late = days_overdue(i.due_on, today)
    return _(
        "invoice_line",
        lang,
        id=i.id,
        open=fmt_money(i.open_amount, i.currency, lang),
        amount=fmt_money(i.amount, i.currency, lang),
        due=fmt_day(i.due_on, lang),
        late=_("late", lang, days=late) if late else "",
        note=f" · {i.note}" if i.note else "",
    )


# --- /paid --------------------------------------------------------------------------


_INVOICE_REF = re.compile(
    r"(?:(?<!\S)#|\b(?:invoice|inv)\s*#?|发票\s*#?|应收\s*#?)(?P<id>\d{1,9})\b", re.IGNORECASE
)


class PaidCommand(BaseModel):
    command: str = "paid"
    account: str
    amount: Decimal
    currency: str
    invoice_id: int | None = None
    received_on: date
    note: str = ""


def parse_paid(args: str, pctx: ParseContext) -> PaidCommand:
    lang = pctx.lang
    account, rest = split_account(normalize(args), pctx)
    money, rest = _money_or_refuse(rest, pctx, _("paid_word", lang), account)
    invoice_id = None
    ref = _INVOICE_REF.search(rest)
    if ref is not None:
        invoice_id = int(ref["id"])
        rest = (rest[: ref.start()] + " " + rest[ref.end() :]).strip()
    when, rest = extract_leading_when(rest, now=pctx.now, prefer="past")
    received_on = pctx.now.date()
    if when is not None:
        if when.date() > pctx.now.date():
            raise ParseError(_("future_payment", lang, date=fmt_day(when.date(), lang)))
        received_on = when.date()
    note = _check_length(rest.strip(" ,，;；"), MAX_NOTE, lang)
    return PaidCommand(
        account=account,
        amount=money.amount,
        currency=money.currency,
        invoice_id=invoice_id,
        received_on=received_on,
        note=note,
    )


@command(
    name="paid",
    aliases=("回款", "payment", "收款"),
    parse=parse_paid,
    writes=True,
    group="health",
)
def run_paid(ctx: Context, cmd: PaidCommand) -> Reply:
    lang = ctx.lang
    account = resolve_account(ctx, cmd.account)
    require_write(ctx.session, ctx.actor, account, lang)
    invoices = invoices_of(ctx.session, account.id)
    by_id = {i.id: i for i in invoices}
    first: list[Invoice] = []
    if cmd.invoice_id is not None:
        target = by_id.get(cmd.invoice_id)
        if target is None:
            raise NotFound(_("no_such_invoice", lang, account=account.name, id=cmd.invoice_id))
        if target.currency != cmd.currency:
            raise InvalidInput(_("invoice_currency", lang, id=target.id, currency=target.currency))
        first = [target]
    applied, left = allocate(cmd.amount, cmd.currency, _balances(first))
    rest = [i for i in invoices if i not in first]
    more, left = allocate(left, cmd.currency, _balances(rest))
    applied += more
    payment = Payment(
        account_id=account.id,
        amount=cmd.amount,
        currency=cmd.currency,
        received_on=cmd.received_on,
        unapplied=left,
        invoice_id=cmd.invoice_id,  # the invoice it names pays first, in every reallocation
        note=cmd.note,
        recorded_by_id=ctx.actor.id,
    )
    ctx.session.add(payment)
    ctx.audit("create", payment, account_id=account.id,
              summary=f"payment {cmd.currency} {cmd.amount}")  # fmt: skip
    amount = fmt_money(cmd.amount, cmd.currency, lang)
    reply = Reply(
        title=_("paid_recorded", lang, amount=amount, account=account.name),
        severity=Severity.success,
    )
    reply.fields.append(Field(_("received", lang), fmt_day(cmd.received_on, lang)))
    lines = []
    for invoice_id, take in applied:
        invoice = by_id[invoice_id]
        before = audit.snapshot(invoice)
        invoice.paid_amount += take
        if invoice.open_amount <= 0:
            invoice.settled_on = cmd.received_on
        ctx.session.add(invoice)
        ctx.audit("update", invoice, before=before, account_id=account.id,
                  summary=f"paid {take} by payment #{payment.id}")  # fmt: skip
        lines.append(_applied_line(invoice, take, lang))
    reply.add_section(_("applied", lang), lines)
    if left > 0:
        reply.lines.append(
            _("unapplied", lang, amount=fmt_money(left, cmd.currency, lang), currency=cmd.currency)
        )
    r = account_receivables(ctx.session, account, today=ctx.now.date(), settings=ctx.settings)
    _exposure_fields(ctx, reply, r)

    def note(reader_lang: str) -> Reply:
        return Reply(
            title=_("paid_told", reader_lang, who=ctx.actor.display_name,
                    amount=fmt_money(cmd.amount, cmd.currency, reader_lang),
                    account=account.name),
            severity=Severity.success,
        )  # fmt: skip

    tell_owner_and_managers(ctx, account, note, managers=False)
    return reply


def _balances(invoices: list[Invoice]) -> list[Balance]:
    return [Balance(i.id, i.open_amount, i.currency, i.due_on) for i in invoices]


def _applied_line(invoice: Invoice, take: Decimal, lang: str) -> str:
    if invoice.settled_on is None:
        state = _("still_open", lang, open=fmt_money(invoice.open_amount, invoice.currency, lang))
    else:
        late = days_overdue(invoice.due_on, invoice.settled_on)
        state = _("settled_late", lang, days=late) if late else _("settled", lang)
    return _("applied_line", lang, id=invoice.id, amount=fmt_money(take, invoice.currency, lang),
             state=state)  # fmt: skip
