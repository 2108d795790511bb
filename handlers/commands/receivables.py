"""``/invoice`` (``/应收``) and ``/paid`` (``/回款``): money owed, money received, credit limits.

    /invoice Acme 300k due 2026-12-31 Q4 fee     /应收 华夏重工 30万 到期 2026-12-31
    /invoice Acme limit 2m                       /应收 华夏重工 额度 200万
    /invoice Acme                                (receivables)
    /paid Acme 300k [#12] [yesterday]            /回款 华夏重工 30万
    /paid Blue Harbor 1.2m yesterday #INV-001    回款 宁波港航 上周五 USD 52,000

The words after the account come in any order: the amount (``half a million``, ``35万美元``),
a date (a payment's in the past, a due date ahead), an invoice (kam's ``#12`` or the
finance system's ``#INV-001``) and the rest, kept as the note as typed.  Two amounts are
asked about; two dates, or a payment received in the future, are refused.

A payment goes to the invoice named first, then to the other open ones
(``domain.health.allocate``); what is left stays as a credit for the next invoice.
Whoever may change an account (``handlers.auth``) records its invoices and payments;
credit limits are for managers and admins.

The line is read by ``handlers.parsing.receivables``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from domain.errors import Forbidden, InvalidInput, NotFound
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
from handlers.context import Context
from handlers.i18n import Catalog
from handlers.lookup import resolve_account
from handlers.paging import bounded
from handlers.parsing.receivables import (
    InvoiceCommand,
    PaidCommand,
    parse_invoice,
    parse_paid,
)
from handlers.people import tell_owner_and_managers
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from handlers.views import fmt_day, fmt_money
from handlers.views.health import fmt_amounts, fmt_score
from storage import audit
from storage.health import account_receivables, invoices_of, payment_record_of, unapplied_payments

__all__ = [
    "InvoiceCommand",
    "PaidCommand",
    "parse_invoice",
    "parse_paid",
    "run_invoice",
    "run_paid",
]

INVOICES_SHOWN = 20  # on an account's receivables card
_ = Catalog("receivables")


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
    issued = cmd.issued_on or today
    due_on = cmd.due_on or issued + timedelta(days=cmd.terms_days or policy.payment_terms_days)
    invoice = Invoice(
        account_id=account.id,
        amount=cmd.amount,
        currency=cmd.currency,
        issued_on=min(issued, due_on),
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
    if cmd.issued_typed:
        value = _("as_typed", lang, value=fmt_day(issued, lang), typed=cmd.issued_typed)
        reply.fields.append(Field(_("issued_field", lang), value))
    if cmd.due_typed:
        reply.fields.append(
            Field(_("due_field", lang), _("as_typed", lang, value=fmt_day(due_on, lang),
                                          typed=cmd.due_typed))
        )  # fmt: skip
    if cmd.note:
        reply.fields.append(Field(_("note_field", lang), cmd.note))
    if due_on < today:  # an invoice entered late: say so, never quietly
        reply.lines.append(_("due_past", lang, due=fmt_day(due_on, lang)))
        reply.severity = Severity.warning
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
    reply.add_section(
        _("invoices", lang),
        bounded([_invoice_line(i, lang, today) for i in invoices[:INVOICES_SHOWN + 1]],
                INVOICES_SHOWN, lang, more=len(invoices)),
    )  # fmt: skip
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
    invoice_id = cmd.invoice_id
    if cmd.invoice_number is not None:
        wanted = cmd.invoice_number.casefold()
        target = next((i for i in invoices if (i.number or "").casefold() == wanted), None)
        if target is None:
            raise NotFound(
                _("no_such_invoice_number", lang, account=account.name, number=cmd.invoice_number)
            )
        invoice_id = target.id
    if invoice_id is not None:
        target = by_id.get(invoice_id)
        if target is None:
            raise NotFound(_("no_such_invoice", lang, account=account.name, id=invoice_id))
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
        invoice_id=invoice_id,  # the invoice it names pays first, in every reallocation
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
    # what was understood, so a wrong reading is seen at once
    received = fmt_day(cmd.received_on, lang)
    if cmd.date_typed:
        received = _("as_typed", lang, value=received, typed=cmd.date_typed)
    reply.fields.append(Field(_("received", lang), received))
    if invoice_id is not None:
        target = by_id[invoice_id]
        shown = f"#{target.id}" + (f" · {target.number}" if target.number else "")
        reply.fields.append(Field(_("invoice_field", lang), shown))
    if cmd.note:
        reply.fields.append(Field(_("note_field", lang), cmd.note))
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
