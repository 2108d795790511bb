"""What a command changed, in one line: ``visit logged at Acme, next step #12, new
contact Li Wei`` (or in Chinese), from its audit entries.

``/undo`` says what it took back with it, ``/history`` what each command did.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from domain.models import AuditEntry
from handlers.context import Context
from handlers.csvimport.base import AFTER_ROWS
from handlers.csvimport.base import CHANNEL as IMPORT_CHANNEL
from handlers.i18n import Catalog
from handlers.views import clip, label
from storage import health

_ = Catalog("views.changes")

# Which changes lead the "Undid: …" sentence; link rows are part of their parent.
_ORDER = {
    "interaction": 0,
    "deal": 1,
    "account": 2,
    "kam_user": 2,
    "task": 3,
    "contact": 4,
    "reminder": 5,
}
IMPORT_PARTS = 3  # how many rows of an import its description names
COMMAND_PARTS = 8  # how many rows of any other command
_SILENT = {
    *("interaction_contact", "team_manager", "deal_stage_change", "account_alias"),
    "user_identity",
}


def describe(ctx: Context, entries: list[AuditEntry]) -> str:
    """``visit logged at Acme, next step #12, new contact Li Wei`` (or in Chinese)."""
    return describe_entries(entries, _account_names(ctx, entries), ctx.lang)


def describe_entries(entries: list[AuditEntry], names: Mapping[int, str], lang: str) -> str:
    """``describe`` with the names of the accounts the entries touch already known
    (the 360° file: they are all the one account's)."""
    parts: list[str] = []
    for entry in sorted(entries, key=lambda e: (_ORDER.get(e.entity, 9), e.id or 0)):
        if entry.entity in _SILENT:
            continue
        text = _one(entry, names, lang)
        if text and text not in parts:
            parts.append(text)
    if not parts:  # only link rows changed (e.g. who manages a team)
        parts = [_("other", lang, entity=entries[0].entity.replace("_", " "))]
    file = _import_file(entries)
    if file is not None and len(parts) > IMPORT_PARTS:  # a file of many rows: the first few
        parts = [*parts[:IMPORT_PARTS], _("more", lang, n=len(parts) - IMPORT_PARTS)]
    elif len(parts) > COMMAND_PARTS:  # a command of many rows (/handover): the first few
        parts = [*parts[: COMMAND_PARTS - 1], _("more", lang, n=len(parts) - COMMAND_PARTS + 1)]
    what = _("sep", lang).join(parts)
    return what if file is None else _("import", lang, file=file, what=what)


def _import_file(entries: list[AuditEntry]) -> str | None:
    """The file a ``kam import`` read: its entries say ``import FILE line N: …`` or
    ``import FILE (after the rows): …`` (``handlers.csvimport.base.Importer.record``)."""
    first = entries[0]
    if first.channel != IMPORT_CHANNEL:
        return None
    found = _IMPORT_SUMMARY.match(first.summary)
    return found[1] if found else None


_IMPORT_SUMMARY = re.compile(rf"import (.+?) (?:line \d+|{re.escape(AFTER_ROWS)}): ")


def _account_names(ctx: Context, entries: list[AuditEntry]) -> dict[int, str]:
    ids = {e.account_id for e in entries if e.account_id is not None}
    return health.account_names(ctx.session, ids)


def _one(entry: AuditEntry, names: Mapping[int, str], lang: str) -> str:
    row: dict[str, Any] = entry.after or entry.before or {}
    before: dict[str, Any] = entry.before or {}
    account = names.get(entry.account_id or row.get("account_id") or 0) or row.get("name", "?")
    kind, action = entry.entity, entry.action
    if kind == "interaction":
        return _("interaction", lang, kind=label(row.get("kind"), lang), account=account)
    if kind == "task":
        if action == "create":
            return _("task_new", lang, id=entry.entity_id)
        if row.get("done_at") and not before.get("done_at"):
            return _("task_done", lang, id=entry.entity_id)
        return _("task_edit", lang, id=entry.entity_id)
    if kind == "contact":
        key = {"create": "contact_new", "update": "contact_edit"}.get(action, "contact_gone")
        return _(key, lang, name=row.get("name", "?"))
    if kind == "account":
        if action == "create":
            return _("account_new", lang, account=row.get("name", account))
        if row.get("snoozed_until") != before.get("snoozed_until"):
            key = "snooze_on" if row.get("snoozed_until") else "snooze_off"
            return _(key, lang, account=row.get("name", account))
        return _("account_edit", lang, account=row.get("name", account))
    if kind == "reminder":
        key = "reminder_new" if action == "create" else "reminder_off"
        if action == "update" and row.get("active") == before.get("active"):
            key = "reminder_edit"  # still active: moved or handed over, not cancelled
        return _(key, lang, id=entry.entity_id)
    if kind == "deal":
        key = "deal_new" if action == "create" else "deal_edit"
        return _(key, lang, name=clip(str(row.get("name", "?")), 40))
    if kind == "kam_user":
        key = "user_new" if action == "create" else "user_edit"
        return _(key, lang, handle=row.get("handle", "?"))
    if kind == "team":
        return _("team_new", lang, name=row.get("name", "?"))
    if kind == "goal":
        return _("goal", lang)
    return entry.summary or _("other", lang, entity=kind.replace("_", " "))
