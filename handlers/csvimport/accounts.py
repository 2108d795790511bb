"""Importing accounts: names the way chat matches them, tiers re-scored, hand-set overrides guarded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from sqlmodel import select

from domain.errors import InvalidInput
from domain.models import (
    Account,
    AccountAlias,
    AccountStatus,
    AuditEntry,
    Team,
    User,
)
from domain.names import name_key
from domain.tiers import TierFactors, score
from handlers.csvimport import cells as c
from handlers.csvimport.base import (
    CHANNEL,
    Importer,
    People,
    Row,
    same_key,
)
from handlers.csvimport.plan import Change, Conflict, RowPlan
from storage import audit
from storage.csvio import (
    FACTOR_COLUMNS,
    limit_of,
)
from storage.tiering import decision_chain_depths, rescore

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
        self.trails: dict[int | None, list[AuditEntry]] = {}  # per account, read when needed
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
        same_key(rows, lambda r: name_key(r.get("name") or "") or None, "this account")
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
        # the decision-chain depth of every account the file names, in one query (the
        # dry run's tier preview needs it per row)
        self.depths = decision_chain_depths(
            self.session, [row.ref["obj"].id for row in rows if row.ref.get("obj") is not None]
        )

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
        depth = self.depths.get(obj.id, 0) if obj is not None else 0
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
        for entry in self._trail(obj.id):
            before, after = entry.before or {}, entry.after or {}
            if any(before.get(f) != after.get(f) for f in fields):
                return entry
        return None

    def _trail(self, account_id: int | None) -> list[AuditEntry]:
        """The account's creates and updates, newest first: read once per account."""
        if account_id not in self.trails:
            self.trails[account_id] = list(
                self.session.exec(
                    select(AuditEntry)
                    .where(
                        AuditEntry.entity == "account",
                        AuditEntry.entity_id == account_id,
                        AuditEntry.undone_at.is_(None),
                        AuditEntry.action.in_(("create", "update")),
                    )
                    .order_by(AuditEntry.id.desc())
                ).all()
            )
        return self.trails[account_id]

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
