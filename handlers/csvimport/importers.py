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
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, ClassVar

from sqlmodel import Session, SQLModel, select

from domain.calendar import Birthday
from domain.errors import InvalidInput
from domain.models import (
    CLOSED_STAGES,
    Account,
    AccountAlias,
    AccountStatus,
    AuditEntry,
    Contact,
    ContactRole,
    Deal,
    DealStage,
    DealStageChange,
    Role,
    Team,
    TeamManager,
    User,
)
from domain.names import name_key
from domain.settings import Settings
from domain.tiers import TierFactors, score
from handlers.csvimport import cells as c
from handlers.csvimport.plan import Change, Conflict, RowPlan
from storage import audit
from storage import users as user_store
from storage.csvio import (
    FACTOR_COLUMNS,
    KEYS,
    Names,
    cell_text,
    cells_of,
    limit_of,
)
from storage.tiering import decision_chain_depth, rescore
from storage.users import IDENTITY_COLUMNS

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


def _same_key(rows: list[Row], key: Callable[[Row], Any], what: str) -> None:
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

    def __init__(self, session: Session, settings: Settings, now: datetime, file: str) -> None:
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
            Change(ch.column, _masked(ch.old), _masked(ch.new)) if ch.column in SECRET else ch
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
            what = _describe(plan)
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


def _masked(url: str) -> str:
    if not url:
        return ""
    return url.split("?", 1)[0] + ("?key=…" if "?" in url else "")


def _describe(plan: RowPlan) -> str:
    if plan.action == "created":
        fields = ", ".join(f"{ch.column} {ch.new}" for ch in plan.changes if not ch.computed)
        return f"{plan.label} created" + (f": {fields}" if fields else "")
    changes = "; ".join(
        f"{ch.column} {ch.old or '—'} → {ch.new or '—'}" for ch in plan.changes if not ch.computed
    )
    return f"{plan.label}: {changes}"


# --- users ---------------------------------------------------------------------------


class UserImporter(Importer):
    kind = "users"
    model = User
    parsers: ClassVar[dict[str, Callable[[str], Any]]] = {
        "handle": c.handle,
        "display_name": c.text,
        "role": c.choice(r.value for r in Role),
        "team": c.text,
        "manager": c.person,
        "timezone": c.timezone,
        "language": c.choice(("en", "zh")),
        **dict.fromkeys(IDENTITY_COLUMNS, c.text),
        "email": c.email,
    }
    required: ClassVar[dict[str, Any]] = {
        "display_name": None,
        "role": "rep",
        "timezone": "Asia/Shanghai",
        "language": "en",
    }

    def check(self, rows: list[Row]) -> None:
        users = list(self.session.exec(select(User)).all())
        people = People(users)
        teams = {name_key(t.name): t for t in self.session.exec(select(Team)).all()}
        _same_key(rows, lambda r: name_key(r.get("handle") or "") or None, "this handle")
        in_file = {name_key(r.get("handle")): r for r in rows if r.get("handle")}
        names_in_file: dict[str, list[Row]] = {}
        for r in rows:
            if r.get("display_name"):
                names_in_file.setdefault(name_key(r.get("display_name")), []).append(r)
        for row in rows:
            key = name_key(row.get("handle") or "")
            obj = people.by_handle.get(key)
            row.ref["obj"] = obj
            if obj is not None:
                row.ref["handle"] = obj.handle
            elif not row.get("display_name"):
                row.bad("display_name is required for a new user")
            team = row.get("team")
            if team:
                found = teams.get(name_key(team))
                if found is None:
                    row.bad(f"team '{team}' does not exist")
                else:
                    row.ref["team"] = found.name
            manager = row.get("manager")
            if manager:
                mkey = name_key(manager)
                if mkey in in_file:
                    handle = in_file[mkey].ref.get("handle") or in_file[mkey].get("handle")
                elif mkey in people.by_handle:
                    handle = people.by_handle[mkey].handle
                elif len(names_in_file.get(mkey, [])) == 1 and mkey not in people.by_name:
                    handle = names_in_file[mkey][0].get("handle")
                else:
                    user, why = people.find(manager)
                    handle = user.handle if user else None
                    if why:
                        row.bad(f"manager: {why}")
                if handle is not None:
                    if name_key(handle) == key:
                        row.bad("a user cannot be their own manager")
                    row.ref["manager"] = handle
        handles = {u.id: u.handle for u in users}
        for column, platform in IDENTITY_COLUMNS.items():
            owners = {
                ids[platform]: handles[user_id]
                for user_id, ids in self.names.identities.items()
                if ids.get(platform) and user_id in handles
            }
            _same_key(rows, lambda r, p=column: r.get(p), column)
            for row in rows:
                value, handle = row.get(column), name_key(row.get("handle") or "")
                if value and value in owners and name_key(owners[value]) != handle:
                    row.bad(f"{column} {value} already belongs to @{owners[value]}")

    def apply(self, plans: list[RowPlan]) -> None:
        by_handle = {name_key(u.handle): u for u in self.session.exec(select(User)).all()}
        teams = {t.name: t for t in self.session.exec(select(Team)).all()}
        pending: list[tuple[RowPlan, User]] = []
        for plan in plans:
            if plan.action == "unchanged":
                continue
            changes = {ch.column: ch.new for ch in plan.changes}
            user = plan.obj
            before = audit.snapshot(user) if user is not None else None
            if user is None:
                user = User(handle=plan.values["handle"], display_name=changes["display_name"])
                by_handle[name_key(user.handle)] = user
            identities: dict[str, str | None] = {}
            for column, new in changes.items():
                if column in IDENTITY_COLUMNS:
                    identities[IDENTITY_COLUMNS[column]] = new or None
                elif column == "team":
                    user.team_id = teams[new].id if new else None
                elif column == "manager":
                    if new:
                        pending.append((plan, user))
                    else:
                        user.manager_id = None
                else:
                    setattr(user, column, new or None)
            self.session.add(user)
            self.record("create" if before is None else "update", user, plan, before=before)
            for platform, external_id in identities.items():
                self._set_identity(user, platform, external_id, plan)
        # managers last: a manager may be a later row of the same file
        for plan, user in pending:
            manager = by_handle[
                name_key(next(ch.new for ch in plan.changes if ch.column == "manager"))
            ]
            before = audit.snapshot(user)
            user.manager_id = manager.id
            self.session.add(user)
            self.record("update", user, plan, before=before, what=f"@{user.handle}: manager")

    def _set_identity(
        self, user: User, platform: str, external_id: str | None, plan: RowPlan
    ) -> None:
        what = f"@{user.handle}: {platform} identity"
        if external_id:
            row, before = user_store.set_identity(self.session, user, platform, external_id)
            action = "create" if before is None else "update"
            self.record(action, row, plan, before=before, what=what)
            return
        row = user_store.identity_row(self.session, user.id, platform)
        if row is not None:
            before = audit.snapshot(row)
            user_store.clear_identity(self.session, user, platform)
            self.record("delete", row, plan, before=before, what=what)


# --- teams ---------------------------------------------------------------------------


class TeamImporter(Importer):
    kind = "teams"
    model = Team
    parsers: ClassVar[dict[str, Callable[[str], Any]]] = {
        "name": c.text,
        "managers": c.names_list(limit_of("teams", "managers")),
        "slack_channel": c.text,
        "wecom_chat_id": c.text,
        "wecom_webhook": c.text,
    }

    def check(self, rows: list[Row]) -> None:
        people = People(list(self.session.exec(select(User)).all()))
        teams = {name_key(t.name): t for t in self.session.exec(select(Team)).all()}
        _same_key(rows, lambda r: name_key(r.get("name") or "") or None, "this team")
        for row in rows:
            row.ref["obj"] = teams.get(name_key(row.get("name") or ""))
            handles = []
            for typed in row.get("managers") or ():
                user, why = people.find(typed)
                if user is None:
                    row.bad(f"managers: {why}")
                else:
                    handles.append(user.handle)
            if row.has("managers"):
                row.ref["managers"] = sorted(set(handles))
            webhook = row.get("wecom_webhook")
            if webhook and not webhook.startswith("https://"):
                row.bad("wecom_webhook: not an https:// URL")

    def apply(self, plans: list[RowPlan]) -> None:
        users = {u.handle: u for u in self.session.exec(select(User)).all()}
        for plan in plans:
            if plan.action == "unchanged":
                continue
            changes = {ch.column: ch for ch in plan.changes}
            team = plan.obj
            before = audit.snapshot(team) if team is not None else None
            if team is None:
                team = Team(name=plan.values["name"])
            for column in ("slack_channel", "wecom_chat_id", "wecom_webhook"):
                if column in changes:  # the file's value: a webhook's change is masked
                    setattr(team, column, plan.values.get(column))
            self.session.add(team)
            self.record("create" if before is None else "update", team, plan, before=before)
            if "managers" in changes:
                old = set(filter(None, changes["managers"].old.split("|")))
                new = set(filter(None, changes["managers"].new.split("|")))
                for handle in sorted(old - new):
                    link = self.session.get(TeamManager, (team.id, users[handle].id))
                    snap = audit.snapshot(link)
                    self.session.delete(link)
                    self.record(
                        "delete",
                        link,
                        plan,
                        before=snap,
                        what=f"@{handle} no longer manages {team.name}",
                    )
                for handle in sorted(new - old):
                    link = TeamManager(team_id=team.id, user_id=users[handle].id)
                    self.session.add(link)
                    self.record("create", link, plan, what=f"@{handle} manages {team.name}")


# --- accounts ------------------------------------------------------------------------

_MONEY_COLUMNS = ("annual_revenue", "credit_limit", "acquisition_cost")


class AccountImporter(Importer):
    kind = "accounts"
    model = Account
    parsers: ClassVar[dict[str, Callable[[str], Any]]] = {
        "name": c.text,
        "aliases": c.names_list(limit_of("accounts", "aliases")),
        "industry": c.text,
        "owner": c.person,
        "team": c.text,
        "status": c.choice(s.value for s in AccountStatus),
        "partnership_start": c.day,
        "tier_override": c.tier,
        "tier_override_reason": c.text,
        "annual_revenue": c.money,
        "margin_pct": c.number,
        "payment_days": c.whole,
        "growth_pct": c.number,
        "cross_sell": c.whole,
        "reference_value": c.whole,
        "brand_value": c.whole,
        "innovation_value": c.whole,
        "years_together": c.number,
        "executive_contact": c.boolean,
        "payment_record": c.whole,
        "satisfaction": c.number,
        "credit_limit": c.money,
        "acquisition_cost": c.money,
        "expected_years": c.number,
        "snoozed_until": c.day,
        "snooze_reason": c.text,
    }
    required: ClassVar[dict[str, Any]] = {"status": AccountStatus.active.value, "owner": None}

    def check(self, rows: list[Row]) -> None:
        users = list(self.session.exec(select(User)).all())
        people = People(users)
        teams = {name_key(t.name): t for t in self.session.exec(select(Team)).all()}
        team_names = {t.id: t.name for t in teams.values()}
        accounts = list(self.session.exec(select(Account)).all())
        by_key = {name_key(a.name): a for a in accounts}
        by_id = {a.id: a for a in accounts}
        alias_holder = {
            name_key(alias): by_id[account_id]
            for account_id, alias in self.session.exec(
                select(AccountAlias.account_id, AccountAlias.alias)
            )
        }
        house = self.settings.currency
        _same_key(rows, lambda r: name_key(r.get("name") or "") or None, "this account")
        file_keys = {name_key(r.get("name")): r for r in rows if r.get("name")}
        alias_rows: dict[str, int] = {}
        for row in rows:
            name = row.get("name") or ""
            key = name_key(name)
            obj = by_key.get(key)
            row.ref["obj"] = obj
            if obj is None and key in alias_holder:
                holder = alias_holder[key].name
                row.bad(f"'{name}' is an alias of {holder}; name the account {holder}")
            for column in _MONEY_COLUMNS:
                money = row.get(column)
                if money is not None:
                    if money.currency not in (house, "XXX"):
                        row.bad(f"{column}: '{money}' must be in {house}, the house currency")
                    row.values[column] = money.amount
            owner_user = None
            owner = row.get("owner")
            if owner:
                owner_user, why = people.find(owner)
                if why:
                    row.bad(f"owner: {why}")
                else:
                    row.ref["owner"] = owner_user.handle
            elif obj is None:
                row.bad("owner is required for a new account")
            if owner_user is None and obj is not None:
                owner_user = next((u for u in users if u.id == obj.owner_id), None)
            team = row.get("team")
            if team:
                found = teams.get(name_key(team))
                if found is None:
                    row.bad(f"team '{team}' does not exist")
                else:
                    row.ref["team"] = found.name
            elif row.has("team") or obj is None:  # empty: the owner's team
                row.values["team"] = None
                row.ref["team"] = team_names.get(owner_user.team_id) if owner_user else None
            for alias in row.get("aliases") or ():
                akey = name_key(alias)
                if akey == key:
                    continue
                holder = alias_holder.get(akey) or by_key.get(akey)
                if holder is not None and holder is not obj:
                    row.bad(f"alias '{alias}' already belongs to {holder.name}")
                elif akey in file_keys and file_keys[akey] is not row:
                    row.bad(f"alias '{alias}' is the name on line {file_keys[akey].line}")
                elif akey in alias_rows:
                    row.bad(f"alias '{alias}' already appears on line {alias_rows[akey]}")
                else:
                    alias_rows[akey] = row.line
            if row.has("aliases"):
                row.ref["aliases"] = sorted(
                    a for a in (row.get("aliases") or ()) if name_key(a) != key
                )
            self._check_override(row, obj)
            self._check_factors(row, obj)

    @staticmethod
    def _check_override(row: Row, obj: Account | None) -> None:
        if row.has("tier_override") and row.get("tier_override") is None:
            if row.get("tier_override_reason"):
                row.bad("tier_override_reason is given but tier_override is empty")
            row.values["tier_override_reason"] = None  # clearing an override clears its reason
            return
        tier = row.get("tier_override") if row.has("tier_override") else None
        tier = tier or (obj.tier_override if obj else None)
        reason = (
            row.get("tier_override_reason")
            if row.has("tier_override_reason")
            else (obj.tier_override_reason if obj else None)
        )
        if tier and not reason:
            row.bad(
                f"a tier override ({tier}) needs a reason: fill tier_override_reason "
                "(as /tier ACCOUNT A REASON does in chat)"
            )

    @staticmethod
    def _check_factors(row: Row, obj: Account | None) -> None:
        values = {
            col: row.get(col) if row.has(col) else (getattr(obj, col) if obj else None)
            for col in FACTOR_COLUMNS
        }
        try:
            TierFactors(**values)
        except InvalidInput as exc:
            name, low, high = (exc.params.get(k) for k in ("field", "low", "high"))
            if low is not None and high is not None:
                bounds = f"between {low} and {high}"
            else:
                bounds = f"at least {low}" if low is not None else f"at most {high}"
            row.bad(f"{name} must be {bounds}")
        for col in ("credit_limit", "acquisition_cost", "expected_years"):
            value = row.get(col)
            if value is not None and value < 0:
                row.bad(f"{col} cannot be negative")

    def extra(self, row: Row, plan: RowPlan) -> None:
        obj: Account | None = plan.obj
        if plan.action == "unchanged":
            return
        factors = {
            col: row.get(col) if row.has(col) else (getattr(obj, col) if obj else None)
            for col in FACTOR_COLUMNS
        }
        depth = decision_chain_depth(self.session, obj.id) if obj is not None else 0
        new_tier = score(
            TierFactors(**factors, decision_chain_depth=depth), self.settings.tiers
        ).tier
        old_tier = obj.tier if obj is not None else ""
        if new_tier != old_tier:
            plan.changes.append(Change("tier", old_tier, new_tier, computed=True))
        if obj is None:
            return
        changed = {ch.column: ch for ch in plan.changes}
        if "owner" in changed:
            entry = self._by_hand(obj, ("owner_id",))
            if entry is not None:
                plan.conflicts.append(
                    Conflict(
                        "owner",
                        changed["owner"].old,
                        changed["owner"].new,
                        self.names.handles.get(entry.actor_id or 0),
                        entry.at,
                    )
                )
        if obj.tier_override and ({"tier_override", "tier_override_reason"} & set(changed)):
            entry = self._by_hand(obj, ("tier_override", "tier_override_reason"))
            hand = entry is not None or (
                obj.tier_override_by_id is not None and not self._by_import(obj)
            )
            if hand:
                by = entry.actor_id if entry is not None else obj.tier_override_by_id
                at = entry.at if entry is not None else obj.tier_override_at
                new = (
                    changed["tier_override"].new
                    if "tier_override" in changed
                    else obj.tier_override
                )
                plan.conflicts.append(
                    Conflict(
                        "tier_override",
                        obj.tier_override,
                        new,
                        self.names.handles.get(by or 0),
                        at,
                        obj.tier_override_reason,
                    )
                )

    def _history(self, obj: Account, fields: tuple[str, ...]) -> AuditEntry | None:
        """The latest change (not undone) to any of ``fields`` of the account."""
        entries = self.session.exec(
            select(AuditEntry)
            .where(
                AuditEntry.entity == "account",
                AuditEntry.entity_id == obj.id,
                AuditEntry.undone_at.is_(None),
                AuditEntry.action.in_(("create", "update")),
            )
            .order_by(AuditEntry.id.desc())
        ).all()
        for entry in entries:
            before, after = entry.before or {}, entry.after or {}
            if any(before.get(f) != after.get(f) for f in fields):
                return entry
        return None

    def _by_hand(self, obj: Account, fields: tuple[str, ...]) -> AuditEntry | None:
        """The latest change to ``fields`` if someone made it in chat (not an import)."""
        entry = self._history(obj, fields)
        return entry if entry is not None and entry.channel != CHANNEL else None

    def _by_import(self, obj: Account) -> bool:
        entry = self._history(obj, ("tier_override",))
        return entry is not None and entry.channel == CHANNEL

    def apply(self, plans: list[RowPlan]) -> None:
        users = {u.handle: u for u in self.session.exec(select(User)).all()}
        teams = {t.name: t for t in self.session.exec(select(Team)).all()}
        for plan in plans:
            if plan.action == "unchanged":
                continue
            changes = {ch.column: ch for ch in plan.changes if not ch.computed}
            account: Account | None = plan.obj
            before = audit.snapshot(account) if account is not None else None
            if account is None:
                owner = users[changes["owner"].new]
                account = Account(name=plan.values["name"], owner_id=owner.id)
            for column, ch in changes.items():
                if column == "owner":
                    account.owner_id = users[ch.new].id
                elif column == "team":
                    account.team_id = teams[ch.new].id if ch.new else None
                elif column == "aliases":
                    continue
                elif column == "tier_override":
                    account.tier_override = ch.new or None
                    account.tier_override_by_id = self.actor_id if ch.new else None
                    account.tier_override_at = self.now if ch.new else None
                else:  # an empty required cell (status) keeps or defaults: take the plan's
                    value = plan.values.get(column)
                    setattr(account, column, value if value is not None else (ch.new or None))
            if before is not None:
                account.updated_at = self.now
            self.session.add(account)
            self.session.flush()
            rescore(self.session, account, self.settings.tiers)
            self.record("create" if before is None else "update", account, plan,
                        before=before, account_id=account.id)  # fmt: skip
            if "aliases" in changes:
                self._aliases(account, changes["aliases"], plan)

    def _aliases(self, account: Account, ch: Change, plan: RowPlan) -> None:
        old = set(filter(None, ch.old.split("|")))
        new = set(filter(None, ch.new.split("|")))
        for row in self.session.exec(
            select(AccountAlias).where(AccountAlias.account_id == account.id)
        ).all():
            if row.alias in old - new:
                snap = audit.snapshot(row)
                self.session.delete(row)
                self.record("delete", row, plan, before=snap, account_id=account.id,
                            what=f"{account.name}: alias {row.alias} removed")  # fmt: skip
        self.session.flush()
        for alias in sorted(new - old):
            link = AccountAlias(account_id=account.id, alias=alias)
            self.session.add(link)
            self.record("create", link, plan, account_id=account.id,
                        what=f"{account.name}: alias {alias} added")  # fmt: skip


# --- contacts and deals --------------------------------------------------------------


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

        _same_key(rows, key, "this contact")
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

        _same_key(rows, key, "this deal")
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


def importers() -> dict[str, type[Importer]]:
    from handlers.csvimport.finance import InvoiceImporter, PaymentImporter

    return {
        "users": UserImporter,
        "teams": TeamImporter,
        "accounts": AccountImporter,
        "contacts": ContactImporter,
        "deals": DealImporter,
        "invoices": InvoiceImporter,
        "payments": PaymentImporter,
    }
