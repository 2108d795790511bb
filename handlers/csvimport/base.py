"""One importer per kind: parse the cells, check the rows against the book, plan, apply.

Names are matched the way chat matches them (``domain.names.name_key``: case, width
and spacing do not count; accounts also by alias): a file row ``ACME`` updates the
account ``Acme`` — it never creates a second account that would take over
``/account acme`` — and two rows whose names have one key are refused, with both
lines.  People (owners, managers) are given by handle or by display name.

A column left out of the file leaves that field alone; a column present but empty
clears an optional field, and gives a required one its default (role ``rep``, status
``active``, stage ``lead``…) when creating, or keeps it when updating.  An account's
empty team means its owner's team; a deal's empty owner means the account's owner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlmodel import Session, SQLModel, select

from domain.models import (
    Account,
    AccountAlias,
    User,
)
from domain.names import name_key
from domain.policy import Policy
from handlers.csvimport import cells as c
from handlers.csvimport.plan import Change, RowPlan
from storage import audit
from storage.csvio import (
    KEYS,
    Names,
    cell_text,
    cells_of,
)

CHANNEL = "csv"
"""The audit trail's channel for every change an import makes."""
AFTER_ROWS = "(after the rows)"
"""Where an entry's summary says a change came from when no one row made it: a re-score,
a reallocation (``import FILE (after the rows): …``)."""


@dataclass
class Row:
    line: int
    values: dict[str, Any]  # present columns only; None for an empty cell
    errors: list[str] = field(default_factory=list)
    ref: dict[str, Any] = field(default_factory=dict)  # resolved references

    def has(self, column: str) -> bool:
        return column in self.values

    def get(self, column: str) -> Any:
        return self.values.get(column)

    def bad(self, reason: str) -> None:
        self.errors.append(reason)


class People:
    """Users by handle or display name, as chat finds them (``name_key``)."""

    def __init__(self, users: list[User]) -> None:
        self.by_handle = {name_key(u.handle): u for u in users}
        self.by_name: dict[str, list[User]] = {}
        for u in users:
            self.by_name.setdefault(name_key(u.display_name), []).append(u)

    def find(self, typed: str) -> tuple[User | None, str | None]:
        """The user and None, or None and why not."""
        key = name_key(typed)
        if key in self.by_handle:
            return self.by_handle[key], None
        named = self.by_name.get(key, [])
        if len(named) == 1:
            return named[0], None
        if named:
            handles = ", ".join(sorted("@" + u.handle for u in named))
            return None, f"'{typed}' is the name of {handles}; give the handle"
        return None, f"'{typed}' is not a known user (handle or display name)"


def same_key(rows: list[Row], key: Callable[[Row], Any], what: str) -> None:
    """Rows naming one thing twice: both lines are told about each other."""
    first: dict[Any, Row] = {}
    for row in rows:
        k = key(row)
        if k is None:
            continue
        if k in first:
            other = first[k]
            row.bad(f"{what} already appears on line {other.line} (names match ignoring case)")
            other.bad(f"{what} appears again on line {row.line} (names match ignoring case)")
        else:
            first[k] = row


class Importer:
    kind = ""
    model: type[SQLModel]
    parsers: ClassVar[dict[str, Callable[[str], Any]]] = {}
    # columns an empty cell cannot clear, and their defaults when creating
    required: ClassVar[dict[str, Any]] = {}

    def __init__(self, session: Session, settings: Policy, now: datetime, file: str) -> None:
        self.session, self.settings, self.now, self.file = session, settings, now, file
        self.names = Names(session)
        self.actor_id: int | None = None
        self.request_id = ""

    # --- reading ------------------------------------------------------------------

    def parse(self, line: int, cells: dict[str, str]) -> Row:
        row = Row(line, {})
        for column, cell in cells.items():
            if cell == "":
                row.values[column] = None
                continue
            try:
                row.values[column] = self.parsers[column](cell)
            except c.Bad as exc:
                row.bad(f"{column}: {exc}")
                row.values[column] = None
        for key in KEYS[self.kind]:
            if row.values.get(key) is None and not any(e.startswith(f"{key}:") for e in row.errors):
                row.bad(f"{key} is required")
        return row

    def check(self, rows: list[Row]) -> None:
        raise NotImplementedError

    # --- planning -----------------------------------------------------------------

    def existing(self, row: Row) -> Any:
        return row.ref.get("obj")

    def target(self, row: Row, obj: Any) -> dict[str, Any]:
        """The file's values for the row's present columns, as an export spells them."""
        out: dict[str, Any] = {}
        current = cells_of(self.kind, obj, self.names) if obj is not None else {}
        for column, value in row.values.items():
            if column in row.ref:
                value = row.ref[column]
            if value is None and column in self.required:
                out[column] = current.get(column) if obj is not None else self.required[column]
            else:
                out[column] = value
        return out

    def plan(self, row: Row) -> RowPlan:
        obj = self.existing(row)
        target = {k: cell_text(v) for k, v in self.target(row, obj).items()}
        values = {**row.values, **{f"_{k}": v for k, v in row.ref.items()}}
        plan = RowPlan(line=row.line, label=self.label_of(row, obj), obj=obj, values=values)
        if obj is None:
            plan.action = "created"
            plan.changes = [
                Change(col, "", new)
                for col, new in target.items()
                if new and col not in KEYS[self.kind]
            ]
        else:
            current = cells_of(self.kind, obj, self.names)
            plan.changes = [
                Change(col, current.get(col, ""), new)
                for col, new in target.items()
                if col not in KEYS[self.kind] and current.get(col, "") != new
            ]
            plan.action = "updated" if plan.changes else "unchanged"
        plan.changes = [
            Change(ch.column, masked(ch.old), masked(ch.new)) if ch.column in SECRET else ch
            for ch in plan.changes
        ]
        self.extra(row, plan)
        return plan

    def label_of(self, row: Row, obj: Any) -> str:
        if obj is not None:
            cells = cells_of(self.kind, obj, self.names)
            return " / ".join(cells[k] for k in KEYS[self.kind])
        return " / ".join(str(row.ref.get(k) or row.get(k)) for k in KEYS[self.kind])

    def extra(self, row: Row, plan: RowPlan) -> None:
        """Computed changes and conflicts (accounts)."""

    # --- applying -----------------------------------------------------------------

    def apply(self, plans: list[RowPlan]) -> None:
        raise NotImplementedError

    def record(
        self,
        action: str,
        obj: SQLModel,
        plan: RowPlan | None,
        *,
        before: dict[str, Any] | None = None,
        account_id: int | None = None,
        what: str = "",
    ) -> None:
        self.session.flush()
        if not what and plan is not None:
            what = describe_row(plan)
        where = f"line {plan.line}" if plan is not None else AFTER_ROWS
        entry = audit.record(
            self.session,
            action=action,
            obj=obj,
            actor_id=self.actor_id,
            channel=CHANNEL,
            request_id=self.request_id,
            before=before,
            account_id=account_id,
            summary=f"import {self.file} {where}: {what}",
        )
        entry.at = self.now


SECRET = {"wecom_webhook"}
"""Columns whose value is a secret: the plan, the output and the audit summary show
``https://…/send?key=…``, never the key (the audit snapshot keeps the row, as chat's)."""


def masked(url: str) -> str:
    if not url:
        return ""
    return url.split("?", 1)[0] + ("?key=…" if "?" in url else "")


def describe_row(plan: RowPlan) -> str:
    if plan.action == "created":
        fields = ", ".join(f"{ch.column} {ch.new}" for ch in plan.changes if not ch.computed)
        return f"{plan.label} created" + (f": {fields}" if fields else "")
    changes = "; ".join(
        f"{ch.column} {ch.old or '—'} → {ch.new or '—'}" for ch in plan.changes if not ch.computed
    )
    return f"{plan.label}: {changes}"


# --- users ---------------------------------------------------------------------------


class AccountRefs:
    """The account a contacts or deals row names, as chat finds it: name, alias, any case."""

    def __init__(self, session: Session) -> None:
        accounts = list(session.exec(select(Account)).all())
        by_id = {a.id: a for a in accounts}
        self.exact = {a.name: a for a in accounts}
        self.keyed = {name_key(a.name): a for a in accounts}
        for account_id, alias in session.exec(select(AccountAlias.account_id, AccountAlias.alias)):
            self.exact.setdefault(alias, by_id[account_id])
            self.keyed.setdefault(name_key(alias), by_id[account_id])

    def resolve(self, rows: list[Row]) -> None:
        for row in rows:
            text = row.get("account")
            if text is None:
                continue
            account = self.exact.get(text) or self.keyed.get(name_key(text))
            if account is None:
                row.bad(f"account '{text}' does not exist")
            else:
                row.ref["account"] = account.name
                row.ref["_account"] = account
