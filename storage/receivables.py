"""Invoices and payments by their finance-system numbers, and how payments pay invoices.

This is the storage API the invoices/payments CSV import (``kam import invoices|payments``)
stands on.  Like every repository here it takes a ``Session`` and never commits: the
caller owns the transaction.

Numbers
    ``Invoice.number`` / ``Payment.number`` are the finance system's document numbers
    (发票号码 / 收款单号), unique per table, compared exactly after trimming spaces
    (``kam-000123`` is read as ``KAM-000123``).  A row
    recorded in chat gets ``KAM-000123`` (``domain.models.kam_number`` of its id) when it
    is inserted, so an export → import round trip finds every row again.  ``KAM-<digits>``
    is kam's own series: an import may use such a number only for the row that has it.

Look-ups
    ``invoice_by_number(session, number) -> Invoice | None``
    ``payment_by_number(session, number) -> Payment | None``

Upserts (one CSV row each)
    ``upsert_invoice(session, InvoiceIn, *, actor_id=None, dry_run=False) -> Change``
    ``upsert_payment(session, PaymentIn, *, actor_id=None, dry_run=False) -> Change``

    A row whose number is unknown is created, a known one updated in place (only the
    fields that differ), an identical one left alone: re-importing a file changes
    nothing the second time.  The returned ``Change`` says ``action`` ("create",
    "update", "unchanged"), ``fields`` ({name: (old, new)}; for a create every field
    with ``None`` as old), the ``row`` (``None`` on a dry-run create) and ``affected``:
    the ``(account_id, currency)`` books the change touches (both the old and the new
    one when a row moves), and for an update ``before``, the whole row as it was
    (``storage.audit.snapshot``, for the audit trail).  ``dry_run=True`` computes the same ``Change`` and writes
    nothing.  Only the finance facts are compared and written: ``paid_amount``,
    ``settled_on`` and ``unapplied`` are derived (below), never imported.
    ``PaymentIn.invoice`` names the invoice the receipt settles (核销单据号) by number; it
    must exist, belong to the same account and be in the same currency.
    Refusals raise ``InvalidInput`` (bad value, link across accounts or currencies, a
    foreign ``KAM-`` number) or ``NotFound`` (the named invoice does not exist).

    Upserts do **not** reallocate: after a batch, call ``reallocate_all(session,
    changes)`` (or ``reallocate`` for each key of ``change.affected``) before committing,
    so each account is reallocated once, not once per row.

Allocation
    ``reallocate(session, account_id, currency) -> None`` recomputes, for one account
    and one currency, every invoice's ``paid_amount`` and ``settled_on`` and every
    payment's ``unapplied`` from the payments alone (``allocation`` is the pure rule):

    1. payments are taken oldest first: by ``received_on``, then id;
    2. a payment that names an invoice (``invoice_id``) pays that invoice first, as far
       as it is still open;
    3. the rest pays the open invoices earliest due first (``due_on``, then id) — the
       order chat's ``/paid`` uses (``domain.health.allocate``);
    4. what is left is ``unapplied``, a credit;
    5. ``settled_on`` is the ``received_on`` of the payment that completed the invoice
       (None while it is open); an invoice of zero is settled on its issue day.

    It writes only values that differ, so a second call changes nothing, and it reads
    and writes that one account's rows in that currency only.  It sees every invoice
    at once, whereas chat applies a payment to the invoices open when it is recorded
    (and a later ``/invoice`` takes earlier credits on its own day): the two agree
    unless an invoice recorded *after* a payment is due *before* an invoice that
    payment went to, or a credit paid a later invoice in full (chat: settled the day the
    invoice was recorded; here: the day the credit was received).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from sqlmodel import Session, select

from domain.errors import InvalidInput, NotFound
from domain.models import Invoice, Payment
from storage import audit, locks

MAX_NUMBER = 64  # Invoice.number, Payment.number
MAX_NOTE = 200  # Invoice.note, Payment.note
KAM_SERIES = re.compile(r"KAM-\d+", re.IGNORECASE)
_CURRENCY = re.compile(r"[A-Z]{3}")
ZERO = Decimal("0.00")

Book = tuple[int, str]  # (account_id, currency)


# --- inputs and results -------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceIn:
    """One invoice as the finance system has it (a row of invoices.csv, resolved)."""

    number: str
    account_id: int
    amount: Decimal
    issued_on: date
    due_on: date
    currency: str = "CNY"
    note: str = ""


@dataclass(frozen=True)
class PaymentIn:
    """One receipt as the finance system has it (a row of payments.csv, resolved).

    ``invoice`` is the number of the invoice it settles, or None.
    """

    number: str
    account_id: int
    amount: Decimal
    received_on: date
    currency: str = "CNY"
    invoice: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Change:
    """What an upsert did (or, on a dry run, would do) to one row."""

    entity: Literal["invoice", "payment"]
    number: str
    action: Literal["create", "update", "unchanged"]
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    row: Invoice | Payment | None = None
    affected: frozenset[Book] = frozenset()
    before: dict[str, Any] | None = None  # the row as it was (audit.snapshot), for updates


# --- look-ups -----------------------------------------------------------------------


def clean_number(number: str) -> str:
    """The number as stored: trimmed; InvalidInput if empty or too long."""
    text = (number or "").strip()
    if not text:
        raise InvalidInput("a document number is required")
    if len(text) > MAX_NUMBER:
        raise InvalidInput(f"a document number is at most {MAX_NUMBER} characters", number=text)
    return text.upper() if KAM_SERIES.fullmatch(text) else text


def _lookup_key(number: str | None) -> str:
    text = (number or "").strip()
    return text.upper() if KAM_SERIES.fullmatch(text) else text


def invoice_by_number(session: Session, number: str) -> Invoice | None:
    text = _lookup_key(number)
    if not text:
        return None
    return session.exec(select(Invoice).where(Invoice.number == text)).first()


def payment_by_number(session: Session, number: str) -> Payment | None:
    text = _lookup_key(number)
    if not text:
        return None
    return session.exec(select(Payment).where(Payment.number == text)).first()


# --- upserts ------------------------------------------------------------------------


def upsert_invoice(
    session: Session, data: InvoiceIn, *, actor_id: int | None = None, dry_run: bool = False
) -> Change:
    number = clean_number(data.number)
    values = {
        "account_id": data.account_id,
        "amount": _amount(data.amount),
        "currency": _currency(data.currency),
        "issued_on": data.issued_on,
        "due_on": data.due_on,
        "note": _note(data.note),
    }
    if data.due_on < data.issued_on:
        raise InvalidInput("an invoice cannot be due before it is issued", number=number)
    if values["amount"] <= 0:
        raise InvalidInput("an invoice amount must be more than zero", number=number)
    existing = invoice_by_number(session, number)
    _lock(session, data.account_id, existing, dry_run)
    if existing is None:
        _refuse_kam_series(number)
        return _create(session, Invoice, "invoice", number, values, dry_run,
                       created_by_id=actor_id)  # fmt: skip
    return _update(session, existing, "invoice", number, values, dry_run)


def upsert_payment(
    session: Session, data: PaymentIn, *, actor_id: int | None = None, dry_run: bool = False
) -> Change:
    number = clean_number(data.number)
    values: dict[str, Any] = {
        "account_id": data.account_id,
        "amount": _amount(data.amount),
        "currency": _currency(data.currency),
        "received_on": data.received_on,
        "invoice_id": None,
        "note": _note(data.note),
    }
    if values["amount"] <= 0:
        raise InvalidInput("a payment amount must be more than zero", number=number)
    if data.invoice is not None and data.invoice.strip():
        target = invoice_by_number(session, data.invoice)
        if target is None:
            raise NotFound("no invoice with this number", number=data.invoice.strip())
        if target.account_id != data.account_id:
            raise InvalidInput(
                "the invoice belongs to another account", number=number, invoice=target.number
            )
        if target.currency != values["currency"]:
            raise InvalidInput(
                "the invoice is in another currency",
                number=number,
                invoice=target.number,
                currency=target.currency,
            )
        values["invoice_id"] = target.id
    existing = payment_by_number(session, number)
    _lock(session, data.account_id, existing, dry_run)
    if existing is None:
        _refuse_kam_series(number)
        change = _create(session, Payment, "payment", number, values, dry_run,
                         recorded_by_id=actor_id)  # fmt: skip
    else:
        change = _update(session, existing, "payment", number, values, dry_run)
    return _invoice_numbers(session, change)


def _lock(
    session: Session, account_id: int, existing: Invoice | Payment | None, dry_run: bool
) -> None:
    """Take the accounts a write touches (``storage.locks``), as chat's ``/invoice`` and
    ``/paid`` do: an import and a payment recorded in chat take turns per account; the
    row is then read again, as the command before left it."""
    if dry_run:
        return
    locks.accounts(session, {account_id} | ({existing.account_id} if existing else set()))
    if existing is not None:
        session.refresh(existing)


def _create(
    session: Session,
    model: type[Invoice] | type[Payment],
    entity: Literal["invoice", "payment"],
    number: str,
    values: dict[str, Any],
    dry_run: bool,
    **extra: Any,
) -> Change:
    fields = {name: (None, value) for name, value in values.items()}
    affected = frozenset({(values["account_id"], values["currency"])})
    if dry_run:
        return Change(entity, number, "create", fields, None, affected)
    row = model(number=number, **values, **extra)
    session.add(row)
    session.flush()
    return Change(entity, number, "create", fields, row, affected)


def _update(
    session: Session,
    row: Invoice | Payment,
    entity: Literal["invoice", "payment"],
    number: str,
    values: dict[str, Any],
    dry_run: bool,
) -> Change:
    fields = {
        name: (getattr(row, name), value)
        for name, value in values.items()
        if getattr(row, name) != value
    }
    if not fields:
        return Change(entity, number, "unchanged", {}, row, frozenset())
    affected = frozenset(
        {(row.account_id, row.currency), (values["account_id"], values["currency"])}
    )
    before = audit.snapshot(row)
    if not dry_run:
        for name, (_old, new) in fields.items():
            setattr(row, name, new)
        session.add(row)
        session.flush()
    return Change(entity, number, "update", fields, row, affected, before)


def _invoice_numbers(session: Session, change: Change) -> Change:
    """Show a payment's invoice link as invoice numbers (``invoice``), not ids."""
    if "invoice_id" not in change.fields:
        return change
    fields = dict(change.fields)
    old, new = fields.pop("invoice_id")
    fields["invoice"] = tuple(
        None if i is None else (session.get(Invoice, i).number) for i in (old, new)
    )
    return replace(change, fields=fields)


def _refuse_kam_series(number: str) -> None:
    if KAM_SERIES.fullmatch(number):
        raise InvalidInput(
            "KAM- numbers are the ones kam gives; this one is not in the book", number=number
        )


def _amount(value: Decimal) -> Decimal:
    try:
        amount = Decimal(value).quantize(Decimal("0.01"))
    except ArithmeticError as exc:
        raise InvalidInput("not an amount of money", value=value) from exc
    return amount


def _currency(value: str) -> str:
    code = (value or "").strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise InvalidInput("a currency is a three-letter code such as CNY", value=value)
    return code


def _note(value: str | None) -> str:
    text = (value or "").strip()
    if len(text) > MAX_NOTE:
        raise InvalidInput(f"a note is at most {MAX_NOTE} characters", value=text)
    return text


# --- allocation ---------------------------------------------------------------------


@dataclass(frozen=True)
class Owed:
    invoice_id: int
    amount: Decimal
    issued_on: date
    due_on: date


@dataclass(frozen=True)
class Received:
    payment_id: int
    amount: Decimal
    received_on: date
    invoice_id: int | None = None


@dataclass(frozen=True)
class Allocation:
    paid: dict[int, Decimal]  # invoice id → paid_amount
    settled_on: dict[int, date | None]  # invoice id → settled_on
    unapplied: dict[int, Decimal]  # payment id → unapplied


def allocation(invoices: Sequence[Owed], payments: Sequence[Received]) -> Allocation:
    """The allocation rule of the module docstring, on plain values (one currency)."""
    by_due = sorted(invoices, key=lambda i: (i.due_on, i.invoice_id))
    owed = {i.invoice_id: i for i in invoices}
    paid = {i.invoice_id: ZERO for i in invoices}
    settled: dict[int, date | None] = {
        i.invoice_id: (i.issued_on if i.amount <= 0 else None) for i in invoices
    }
    unapplied: dict[int, Decimal] = {}
    first_open = 0  # invoices before this one in due order are paid in full

    def pay(invoice_id: int, left: Decimal, on: date) -> Decimal:
        take = min(left, owed[invoice_id].amount - paid[invoice_id])
        if take <= 0:
            return left
        paid[invoice_id] += take
        if paid[invoice_id] >= owed[invoice_id].amount:
            settled[invoice_id] = on
        return left - take

    for p in sorted(payments, key=lambda p: (p.received_on, p.payment_id)):
        left = p.amount
        if p.invoice_id in owed:
            left = pay(p.invoice_id, left, p.received_on)
        while left > 0 and first_open < len(by_due):
            target = by_due[first_open]
            left = pay(target.invoice_id, left, p.received_on)
            if paid[target.invoice_id] >= target.amount:
                first_open += 1
        unapplied[p.payment_id] = left
    return Allocation(paid=paid, settled_on=settled, unapplied=unapplied)


def reallocate(session: Session, account_id: int, currency: str) -> None:
    invoices = list(
        session.exec(
            select(Invoice).where(Invoice.account_id == account_id, Invoice.currency == currency)
        )
    )
    payments = list(
        session.exec(
            select(Payment).where(Payment.account_id == account_id, Payment.currency == currency)
        )
    )
    result = allocation(
        [Owed(i.id, i.amount, i.issued_on, i.due_on) for i in invoices],
        [Received(p.id, p.amount, p.received_on, p.invoice_id) for p in payments],
    )
    for i in invoices:
        paid, settled_on = result.paid[i.id], result.settled_on[i.id]
        if i.paid_amount != paid or i.settled_on != settled_on:
            i.paid_amount, i.settled_on = paid, settled_on
            session.add(i)
    for p in payments:
        if p.unapplied != result.unapplied[p.id]:
            p.unapplied = result.unapplied[p.id]
            session.add(p)
    session.flush()


def reallocate_all(session: Session, changes: Iterable[Change | Book]) -> None:
    """``reallocate`` each book the changes touched, once."""
    books: set[Book] = set()
    for c in changes:
        books |= c.affected if isinstance(c, Change) else {c}
    for account_id, currency in sorted(books):
        reallocate(session, account_id, currency)
