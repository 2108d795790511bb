"""Importing users and teams: people by handle or display name, teams with their managers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from sqlmodel import select

from domain.models import (
    Role,
    Team,
    TeamManager,
    User,
)
from domain.names import name_key
from handlers.csvimport import cells as c
from handlers.csvimport.base import (
    Importer,
    People,
    Row,
    same_key,
)
from handlers.csvimport.plan import RowPlan
from handlers.i18n import languages
from storage import audit
from storage import users as user_store
from storage.csvio import (
    limit_of,
)
from storage.users import IDENTITY_COLUMNS


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
        "language": c.choice(languages()),  # one per message file
        **dict.fromkeys(IDENTITY_COLUMNS, c.text),
        "email": c.email,
    }
    required: ClassVar[dict[str, Any]] = {"display_name": None, "role": "rep"}

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        # a new user without these lives in the house's time zone and language, as one
        # added with /user does (not the model's fixed defaults)
        self.required = {
            **type(self).required,
            "timezone": self.settings.timezone,
            "language": self.settings.language,
        }

    def check(self, rows: list[Row]) -> None:
        users = list(self.session.exec(select(User)).all())
        people = People(users)
        teams = {name_key(t.name): t for t in self.session.exec(select(Team)).all()}
        same_key(rows, lambda r: name_key(r.get("handle") or "") or None, "this handle")
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
            same_key(rows, lambda r, p=column: r.get(p), column)
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
                user = User(
                    handle=plan.values["handle"],
                    display_name=changes["display_name"],
                    timezone=self.settings.timezone,
                    language=self.settings.language,
                )
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
        same_key(rows, lambda r: name_key(r.get("name") or "") or None, "this team")
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
