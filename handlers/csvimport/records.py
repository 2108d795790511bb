"""Importing contacts and deals: rows that name their account by name or alias."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, ClassVar

from sqlmodel import select

from domain.calendar import Birthday
from domain.models import (
    CLOSED_STAGES,
    Account,
    Contact,
    ContactRole,
    Deal,
    DealStage,
    DealStageChange,
    User,
)
from domain.names import name_key
from handlers.csvimport import cells as c
from handlers.csvimport.base import (
    AccountRefs,
    Importer,
    People,
    Row,
    same_key,
)
from handlers.csvimport.plan import RowPlan
from storage import audit
from storage.tiering import rescore


def _birthday_cell(b: Birthday) -> str:
    text = f"{b.month:02d}-{b.day:02d}"
    if b.year:
        text = f"{b.year:04d}-{text}"
    if b.lunar:
        return ("lunar:leap:" if b.leap_month else "lunar:") + text
    return text


class ContactImporter(Importer):
    kind = "contacts"
    model = Contact
    parsers: ClassVar[dict[str, Callable[[str], Any]]] = {
        "account": c.text,
        "name": c.text,
        "title": c.text,
        "role": c.choice(r.value for r in ContactRole),
        "birthday": c.birthday,
        "phone": c.text,
        "email": c.email,
    }

    def check(self, rows: list[Row]) -> None:
        AccountRefs(self.session).resolve(rows)
        existing: dict[tuple[int, str], Contact] = {}
        for contact in self.session.exec(select(Contact).order_by(Contact.id)).all():
            existing.setdefault((contact.account_id, name_key(contact.name)), contact)

        def key(r: Row) -> tuple[int, str] | None:
            account = r.ref.get("_account")
            return (account.id, name_key(r.get("name"))) if account and r.get("name") else None

        same_key(rows, key, "this contact")
        for row in rows:
            k = key(row)
            row.ref["obj"] = existing.get(k) if k else None
            if row.ref["obj"] is not None:
                row.ref["name"] = row.ref["obj"].name
            if row.get("birthday") is not None:
                row.ref["birthday"] = _birthday_cell(row.get("birthday"))

    def apply(self, plans: list[RowPlan]) -> None:
        touched: dict[int, Account] = {}
        for plan in plans:
            if plan.action == "unchanged":
                continue
            account: Account = plan.values["__account"]
            contact: Contact | None = plan.obj
            before = audit.snapshot(contact) if contact is not None else None
            if contact is None:
                contact = Contact(
                    account_id=account.id, name=plan.values["name"], created_by_id=self.actor_id
                )
            changes = {ch.column for ch in plan.changes}
            for column in ("title", "role", "phone", "email"):
                if column in changes:
                    setattr(contact, column, plan.values.get(column))
            if "birthday" in changes:
                b: Birthday | None = plan.values.get("birthday")
                contact.birthday_month = b.month if b else None
                contact.birthday_day = b.day if b else None
                contact.birthday_year = b.year if b else None
                contact.birthday_lunar = b.lunar if b else False
                contact.birthday_leap_month = b.leap_month if b else False
            self.session.add(contact)
            self.record("create" if before is None else "update", contact, plan,
                        before=before, account_id=account.id)  # fmt: skip
            touched[account.id] = account  # type: ignore[index]
        self.session.flush()
        for account in touched.values():  # the decision chain may have changed
            before = audit.snapshot(account)
            rescore(self.session, account, self.settings.tiers)
            if audit.snapshot(account) != before:
                self.session.add(account)
                self.record("update", account, None, before=before, account_id=account.id,
                            what=f"{account.name} re-scored after its contacts changed")  # fmt: skip


class DealImporter(Importer):
    kind = "deals"
    model = Deal
    parsers: ClassVar[dict[str, Callable[[str], Any]]] = {
        "account": c.text,
        "name": c.text,
        "amount": c.money,
        "currency": c.currency,
        "stage": c.choice(s.value for s in DealStage),
        "close_date": c.day,
        "owner": c.person,
        "lost_reason": c.text,
    }

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.required = {  # type: ignore[misc]
            "amount": "0.00",
            "currency": self.settings.currency,
            "stage": DealStage.lead.value,
        }

    def check(self, rows: list[Row]) -> None:
        people = People(list(self.session.exec(select(User)).all()))
        AccountRefs(self.session).resolve(rows)
        existing = {
            (d.account_id, name_key(d.name)): d for d in self.session.exec(select(Deal)).all()
        }

        def key(r: Row) -> tuple[int, str] | None:
            account = r.ref.get("_account")
            return (account.id, name_key(r.get("name"))) if account and r.get("name") else None

        same_key(rows, key, "this deal")
        for row in rows:
            k = key(row)
            obj = existing.get(k) if k else None
            row.ref["obj"] = obj
            if obj is not None:
                row.ref["name"] = obj.name
            money = row.get("amount")
            if money is not None:
                row.values["amount"] = money.amount
                if money.currency != "XXX":
                    if row.get("currency") and row.get("currency") != money.currency:
                        row.bad(
                            f"amount is in {money.currency} but currency says {row.get('currency')}"
                        )
                    elif not row.get("currency"):
                        row.values["currency"] = money.currency
            owner = row.get("owner")
            account = row.ref.get("_account")
            if owner:
                user, why = people.find(owner)
                if why:
                    row.bad(f"owner: {why}")
                else:
                    row.ref["owner"] = user.handle
            elif (row.has("owner") or obj is None) and account is not None:
                row.values["owner"] = None
                row.ref["owner"] = self.names.handles.get(account.owner_id)

    def apply(self, plans: list[RowPlan]) -> None:
        users = {u.handle: u for u in self.session.exec(select(User)).all()}
        for plan in plans:
            if plan.action == "unchanged":
                continue
            account: Account = plan.values["__account"]
            deal: Deal | None = plan.obj
            before = audit.snapshot(deal) if deal is not None else None
            changes = {ch.column: ch for ch in plan.changes}
            if deal is None:
                deal = Deal(
                    account_id=account.id,
                    name=plan.values["name"],
                    owner_id=account.owner_id,
                    stage=DealStage.lead.value,
                    stage_changed_at=self.now,
                    created_at=self.now,
                    updated_at=self.now,
                )
            old_stage = None if before is None else deal.stage
            for column, ch in changes.items():
                if column == "owner":
                    deal.owner_id = users[ch.new].id
                elif column == "amount":
                    deal.amount = Decimal(ch.new)
                elif column in ("currency", "stage"):
                    setattr(deal, column, ch.new)
                else:
                    setattr(deal, column, plan.values.get(column))
            stage_changed = before is None or deal.stage != old_stage
            if stage_changed:
                at = _stage_time(deal.stage, deal.close_date, self.now)
                deal.stage_changed_at = at
                deal.closed_at = at if deal.stage in CLOSED_STAGES else None
            if before is not None:
                deal.updated_at = self.now
            self.session.add(deal)
            self.record("create" if before is None else "update", deal, plan,
                        before=before, account_id=account.id)  # fmt: skip
            if stage_changed:
                change = DealStageChange(
                    deal_id=deal.id,
                    from_stage=old_stage,
                    to_stage=deal.stage,
                    changed_at=deal.stage_changed_at,
                    changed_by_id=self.actor_id,
                )
                self.session.add(change)
                self.record("create", change, plan, account_id=account.id,
                            what=f"{deal.name}: stage {old_stage or '—'} → {deal.stage}")  # fmt: skip


def _stage_time(stage: str, close_date: date | None, now: datetime) -> datetime:
    """When a deal reached ``stage``: a closed deal's past close date, else now.

    Noon UTC falls on the same calendar date from UTC-11 to UTC+11, so the close
    date reads the same in every team's timezone.
    """
    if stage in CLOSED_STAGES and close_date is not None and close_date < now.date():
        return datetime.combine(close_date, time(12), tzinfo=UTC)
    return now
