"""``/undo`` (``/撤销``): take back my last change, if it is recent enough.

Every change a command makes is in the audit trail under the command's request id;
``/undo`` reverts all of the actor's most recent command (``storage.audit``), if it
was made within ``settings.undo_minutes``.  Sending ``/undo`` again takes back the
command before that one — an undo itself is never undone (it is recorded with the
action ``undo``, which ``last_command`` skips).

Undo refuses, changing nothing, when someone has changed the same rows since (a
colleague closed the next step you are un-logging) or when other records now depend
on a row it would delete; the reply names what is in the way.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from domain.models import Account, AuditEntry, User
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.registry import command
from handlers.replies import Reply, Severity
from handlers.views import clip, label
from storage import audit

_ = Catalog(
    {
        "undid": {"en": "Undid: {what}", "zh": "已撤销：{what}"},
        "nothing": {"en": "Nothing to undo", "zh": "没有可撤销的操作"},
        "nothing_line": {
            "en": "/undo takes back your own changes from the last {minutes} minutes.",
            "zh": "/撤销 只能撤回你自己最近 {minutes} 分钟内的修改。",
        },
        "too_old": {
            "en": "Your last change ({what}, {ago} minutes ago) is older than {minutes} "
            "minutes; change it by hand instead.",
            "zh": "你上一次的修改（{what}，{ago} 分钟前）已超过 {minutes} 分钟，请手动修改。",
        },
        "changed_since": {
            "en": "Can't undo {what}: {by} changed it since.",
            "zh": "无法撤销{what}：{by} 之后修改过它。",
        },
        "in_use": {
            "en": "Can't undo {what}: other records now depend on it.",
            "zh": "无法撤销{what}：已有其他记录依赖它。",
        },
        "someone": {"en": "someone", "zh": "他人"},
        "cannot": {"en": "Can't undo that", "zh": "无法撤销"},
        "unchanged": {"en": "Nothing was changed.", "zh": "没有做任何修改。"},
        "next_undo": {
            "en": "Sending /undo again takes back the change before.",
            "zh": "再次发送 /撤销 会撤回更早的一次修改。",
        },
        # what was undone
        "interaction": {"en": "{kind} logged at {account}", "zh": "{account} 的{kind}记录"},
        "task_new": {"en": "next step #{id}", "zh": "下一步 #{id}"},
        "task_done": {"en": "#{id} marked done", "zh": "#{id} 的完成标记"},
        "task_edit": {"en": "change to next step #{id}", "zh": "待办 #{id} 的修改"},
        "contact_new": {"en": "new contact {name}", "zh": "新联系人 {name}"},
        "contact_edit": {"en": "change to contact {name}", "zh": "联系人 {name} 的修改"},
        "contact_gone": {"en": "removal of contact {name}", "zh": "联系人 {name} 的删除"},
        "snooze_on": {"en": "snooze of {account}", "zh": "{account} 的暂停提醒"},
        "snooze_off": {"en": "end of the snooze on {account}", "zh": "{account} 的取消暂停"},
        "account_edit": {"en": "change to {account}", "zh": "{account} 的修改"},
        "account_new": {"en": "new account {account}", "zh": "新客户 {account}"},
        "reminder_new": {"en": "reminder #{id}", "zh": "提醒 #{id}"},
        "reminder_off": {"en": "cancelling reminder #{id}", "zh": "提醒 #{id} 的取消"},
        "deal_new": {"en": "new deal {name}", "zh": "新商机 {name}"},
        "deal_edit": {"en": "change to deal {name}", "zh": "商机 {name} 的修改"},
        "user_new": {"en": "new user @{handle}", "zh": "新用户 @{handle}"},
        "user_edit": {"en": "change to @{handle}", "zh": "@{handle} 的修改"},
        "team_new": {"en": "new team {name}", "zh": "新团队 {name}"},
        "goal": {"en": "goal change", "zh": "目标修改"},
        "import": {"en": "import of {file}: {what}", "zh": "导入 {file}：{what}"},
        "more": {"en": "{n} more", "zh": "另 {n} 项"},
        "other": {"en": "{entity} change", "zh": "{entity} 修改"},
        "sep": {"en": ", ", "zh": "，"},
    }
)

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
_SILENT = {
    *("interaction_contact", "team_manager", "deal_stage_change", "account_alias"),
    "user_identity",
}


class Undo(BaseModel):
    command: str = "undo"


def parse_undo(args: str, pctx: ParseContext) -> Undo:
    return Undo()


@command(
    name="undo",
    aliases=("撤销", "撤回"),
    summary={"en": "Take back my last change", "zh": "撤销我的上一次修改"},
    usage={"en": "/undo", "zh": "/撤销"},
    example={"en": "/undo", "zh": "/撤销"},
    parse=parse_undo,
    writes=True,
)
def run_undo(ctx: Context, cmd: Undo) -> Reply:
    lang, session = ctx.lang, ctx.session
    minutes = ctx.settings.undo_minutes
    entries = audit.last_command(
        session, actor_id=ctx.actor.id, since=ctx.now - timedelta(minutes=minutes)
    )
    if not entries:
        return _nothing(ctx)
    what = describe(ctx, entries)
    blocker = _changed_since(ctx, entries)
    if blocker is not None:
        return _refusal(ctx, _("changed_since", lang, what=what, by=blocker))
    try:
        with session.begin_nested():
            audit.revert(session, entries, now=ctx.now)
    except IntegrityError:
        return _refusal(ctx, _("in_use", lang, what=what))
    accounts = {e.account_id for e in entries}
    session.add(
        AuditEntry(
            at=ctx.now,
            actor_id=ctx.actor.id,
            channel=ctx.platform,
            request_id=ctx.request_id,
            action="undo",
            entity=entries[0].entity,
            entity_id=entries[0].entity_id,
            account_id=accounts.pop() if len(accounts) == 1 else None,
            summary=f"undid {entries[0].request_id}: {what}"[:1000],
            after={"request_id": entries[0].request_id, "entries": [e.id for e in entries]},
        )
    )
    return Reply(
        title=_("undid", lang, what=what),
        lines=[_("next_undo", lang)],
        severity=Severity.success,
    )


def _nothing(ctx: Context) -> Reply:
    lang, minutes = ctx.lang, ctx.settings.undo_minutes
    older = audit.last_command(
        ctx.session, actor_id=ctx.actor.id, since=ctx.now - timedelta(days=7)
    )
    if older:
        ago = int((ctx.now - older[0].at).total_seconds() // 60)
        line = _("too_old", lang, what=describe(ctx, older), ago=ago, minutes=minutes)
    else:
        line = _("nothing_line", lang, minutes=minutes)
    return Reply(title=_("nothing", lang), lines=[line], severity=Severity.warning)


# --- what is in the way ------------------------------------------------------------


def _refusal(ctx: Context, line: str) -> Reply:
    return Reply(
        title=_("cannot", ctx.lang),
        lines=[line, _("unchanged", ctx.lang)],
        severity=Severity.warning,
    )


def _changed_since(ctx: Context, entries: list[AuditEntry]) -> str | None:
    """Who, if anyone, changed a row this undo would revert, in a later command not undone."""
    later = audit.changed_since(ctx.session, entries)
    if later is None:
        return None
    by = ctx.session.get(User, later.actor_id) if later.actor_id else None
    return by.display_name if by else _("someone", ctx.lang)


# --- describing a command ------------------------------------------------------------


def describe(ctx: Context, entries: list[AuditEntry]) -> str:
    """``visit logged at Acme, next step #12, new contact Li Wei`` (or in Chinese)."""
    lang = ctx.lang
    names = _account_names(ctx, entries)
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
    what = _("sep", lang).join(parts)
    return what if file is None else _("import", lang, file=file, what=what)


def _import_file(entries: list[AuditEntry]) -> str | None:
    """The file a ``kam import`` read (its entries say ``import FILE line N: …``)."""
    first = entries[0]
    if first.channel != "csv" or not first.summary.startswith("import "):
        return None
    rest = first.summary.removeprefix("import ")
    for marker in (" line ", " (after the rows):"):
        if marker in rest:
            return rest.split(marker, 1)[0]
    return None


def _account_names(ctx: Context, entries: list[AuditEntry]) -> dict[int, str]:
    ids = {e.account_id for e in entries if e.account_id is not None}
    if not ids:
        return {}
    rows = ctx.session.exec(select(Account.id, Account.name).where(Account.id.in_(ids)))
    return dict(rows.all())


def _one(entry: AuditEntry, names: dict[int, str], lang: str) -> str:
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
