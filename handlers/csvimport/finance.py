"""``kam import invoices|payments``: the finance system's documents, keyed by number.

Stands on ``storage.receivables`` (docs/finance.md): every row is resolved here (the
account as chat finds it, money and dates with the chat grammar) into an
``InvoiceIn``/``PaymentIn`` and handed to ``upsert_*`` — with ``dry_run=True`` to plan,
for real to apply.  After the rows, every account and currency the import touched is
reallocated (``reallocate``), and each invoice or payment whose paid amount, settled
day or credit moved is recorded in the audit trail too, so reverting the import puts
those figures back as well.

A column left out of the file keeps the row's value on update (currency: the house
currency when creating; note: empty; a payment's invoice: none).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlmodel import select

from domain.errors import KamError
from domain.models import Invoice, Payment
from handlers.csvimport import cells as c
from handlers.csvimport.base import AccountRefs, Importer, Row, same_key
from handlers.csvimport.plan import Change, RowPlan
from handlers.errors import error_text
from storage import audit
from storage.csvio import cell_text
from storage.receivables import Change as Upserted
from storage.receivables import (
    InvoiceIn,
    PaymentIn,
    invoice_by_number,
    payment_by_number,
    reallocate,
    upsert_invoice,
    upsert_payment,
)

_DERIVED = ("paid_amount", "settled_on", "unapplied")


def _cell_or_kept(row: Row, obj: Any, column: str, default: Any = None) -> Any:
    """The row's value of ``column``; the stored one when the file leaves the column out;
    ``default`` for an empty cell or a new row."""
    if row.has(column):
        value = row.get(column)
        return default if value is None else value
    return getattr(obj, column) if obj is not None else default


class _FinanceImporter(Importer):
    date_columns: ClassVar[tuple[str, ...]] = ()
    model_field: ClassVar[dict[str, str]] = {}

    def _find(self, number: str) -> Invoice | Payment | None:
        raise NotImplementedError

    def _data(self, row: Row, obj: Any) -> InvoiceIn | PaymentIn:
        raise NotImplementedError

    def _upsert(self, data: Any, *, dry_run: bool) -> Upserted:
        raise NotImplementedError

    def check(self, rows: list[Row]) -> None:
        AccountRefs(self.session).resolve(rows)
        same_key(rows, lambda r: r.get("number"), "this number")
        house = self.settings.currency
        for row in rows:
            obj = self._find(row.get("number") or "")
            row.ref["obj"] = obj
            money = row.get("amount")
            if money is not None:
                row.values["amount"] = money.amount
                currency = row.get("currency")
                if money.currency != "XXX":
                    if currency and currency != money.currency:
                        row.bad(f"amount is in {money.currency} but currency says {currency}")
                    row.values["currency"] = money.currency
            if not row.has("currency") and obj is None:
                row.values["currency"] = house
            for column in ("account", "amount", *self.date_columns):
                missing = row.get(column) is None and (obj is None or row.has(column))
                if missing and not any(column in e for e in row.errors):
                    row.bad(f"{column} is required")
            if row.errors:
                continue
            try:
                row.ref["data"] = self._data(row, obj)
                row.ref["planned"] = self._upsert(row.ref["data"], dry_run=True)
            except KamError as exc:
                detail = ", ".join(f"{v}" for k, v in exc.params.items() if k != "value")
                row.bad(
                    error_text(exc, "en") + (f" ({detail})" if detail else "")
                )  # reports: English

    def plan(self, row: Row) -> RowPlan:
        planned: Upserted = row.ref["planned"]
        plan = RowPlan(line=row.line, label=planned.number, obj=row.ref["obj"])
        plan.values = {"_data": row.ref["data"]}
        plan.action = {"create": "created", "update": "updated"}.get(planned.action, "unchanged")
        for name, (old, new) in planned.fields.items():
            column = {"account_id": "account"}.get(name, name)
            if column == "account":
                old = self.names.accounts.get(old) if old is not None else None
                new = self.names.accounts.get(new)
            plan.changes.append(Change(column, cell_text(old), cell_text(new)))
        if plan.action == "created":
            plan.changes = [ch for ch in plan.changes if ch.new]
        return plan

    def apply(self, plans: list[RowPlan]) -> None:
        books: set[tuple[int, str]] = set()
        for plan in plans:
            if plan.action == "unchanged":
                continue
            before = audit.snapshot(plan.obj) if plan.obj is not None else None
            done = self._upsert(plan.values["_data"], dry_run=False)
            books |= done.affected
            assert done.row is not None
            self.record("create" if before is None else "update", done.row, plan,
                        before=before, account_id=done.row.account_id)  # fmt: skip
        for account_id, currency in sorted(books):
            self._reallocate(account_id, currency)

    def _reallocate(self, account_id: int, currency: str) -> None:
        """``reallocate`` one book, recording every invoice and payment it changed."""
        rows: list[Invoice | Payment] = [
            *self.session.exec(
                select(Invoice).where(
                    Invoice.account_id == account_id, Invoice.currency == currency
                )
            ),
            *self.session.exec(
                select(Payment).where(
                    Payment.account_id == account_id, Payment.currency == currency
                )
            ),
        ]
        before = {(type(r).__name__, r.id): audit.snapshot(r) for r in rows}
        reallocate(self.session, account_id, currency)
        for r in rows:
            old = before[(type(r).__name__, r.id)]
            new = audit.snapshot(r)
            if old != new:
                moved = ", ".join(
                    f"{f} {old.get(f) or '—'} → {new.get(f) or '—'}"
                    for f in _DERIVED
                    if f in new and old.get(f) != new.get(f)
                )
                self.record("update", r, None, before=old, account_id=account_id,
                            what=f"{r.number} reallocated: {moved}")  # fmt: skip


class InvoiceImporter(_FinanceImporter):
    kind = "invoices"
    model = Invoice
    parsers: ClassVar[dict[str, Any]] = {
        "number": c.text,
        "account": c.text,
        "amount": c.money,
        "currency": c.currency,
        "issued_on": c.day,
        "due_on": c.day,
        "note": c.text,
    }
    date_columns = ("issued_on", "due_on")

    def _find(self, number: str) -> Invoice | None:
        return invoice_by_number(self.session, number)

    def _data(self, row: Row, obj: Any) -> InvoiceIn:
        def pick(column: str, default: Any = None) -> Any:
            return _cell_or_kept(row, obj, column, default)

        return InvoiceIn(
            number=row.get("number"),
            account_id=row.ref["_account"].id,
            amount=pick("amount"),
            issued_on=pick("issued_on"),
            due_on=pick("due_on"),
            currency=pick("currency", self.settings.currency),
            note=pick("note", ""),
        )

    def _upsert(self, data: Any, *, dry_run: bool) -> Upserted:
        return upsert_invoice(self.session, data, actor_id=self.actor_id, dry_run=dry_run)


class PaymentImporter(_FinanceImporter):
    kind = "payments"
    model = Payment
    parsers: ClassVar[dict[str, Any]] = {
        "number": c.text,
        "account": c.text,
        "amount": c.money,
        "currency": c.currency,
        "received_on": c.day,
        "invoice": c.text,
        "note": c.text,
    }
    date_columns = ("received_on",)

    def _find(self, number: str) -> Payment | None:
        return payment_by_number(self.session, number)

    def _data(self, row: Row, obj: Any) -> PaymentIn:
        def pick(column: str, default: Any = None) -> Any:
            return _cell_or_kept(row, obj, column, default)

        if row.has("invoice"):
            invoice = row.get("invoice")
        elif obj is not None and obj.invoice_id is not None:
            invoice = self.names.invoices.get(obj.invoice_id)
        else:
            invoice = None
        return PaymentIn(
            number=row.get("number"),
            account_id=row.ref["_account"].id,
            amount=pick("amount"),
            received_on=pick("received_on"),
            currency=pick("currency", self.settings.currency),
            invoice=invoice,
            note=pick("note", ""),
        )

    def _upsert(self, data: Any, *, dry_run: bool) -> Upserted:
        return upsert_payment(self.session, data, actor_id=self.actor_id, dry_run=dry_run)
