"""``/tasks`` (``/待办``): open next steps; ``/done 12 13`` (``/完成 12``): close them.

    /tasks              my open next steps, overdue first, then by due date
    /tasks Acme         everyone's open next steps at one account
    /tasks @alice       a report's next steps (their manager, or an admin)
    /done 12 13         mark #12 and #13 done

Due dates read relative to the reader's today: ``3d overdue`` / ``逾期3天``, ``today``
/ ``今天``, ``tomorrow`` / ``明天``, ``in 4d`` / ``4天后``, then the date.  A task is
closed by its owner or by anyone who may change its account (``handlers.auth``);
unknown ids refuse the whole command, so nothing is half done.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from domain.errors import Forbidden, NotFound, ParseError
from domain.models import User
from handlers.auth import can_write, may_see_person, require_read
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account
from handlers.people import looks_like_user_ref, parse_user_ref, resolve_user
from handlers.registry import command
from handlers.replies import Action, Reply, Severity
from handlers.views import clip, fmt_date, fmt_day
from storage import audit
from storage.tasks import TaskLine, closed_by, count_open, open_tasks, with_accounts

MAX_LINES = 30  # one phone screen or two; the rest is counted
MAX_IDS = 20
DONE_BUTTONS = 5

_ = Catalog("tasks")


# --- /tasks -------------------------------------------------------------------------


class TasksQuery(BaseModel):
    command: str = "tasks"
    account: str | None = None
    user: str | None = None


def parse_tasks(args: str, pctx: ParseContext) -> TasksQuery:
    args = args.strip()
    if not args:
        return TasksQuery()
    if looks_like_user_ref(args):
        return TasksQuery(user=args)
    return TasksQuery(account=args)


def due_label(due_at: datetime | None, today: date, tz: ZoneInfo, lang: str) -> str:
    """``3d overdue`` / ``today`` / ``tomorrow`` / ``in 4d`` / ``Dec 1`` (and Chinese)."""
    if due_at is None:
        return _("due_none", lang)
    day = due_at.astimezone(tz).date()
    delta = (day - today).days
    if delta < 0:
        return _("due_overdue", lang, n=-delta)
    if delta == 0:
        return _("due_today", lang)
    if delta == 1:
        return _("due_tomorrow", lang)
    if delta < 7:
        return _("due_in", lang, n=delta)
    return fmt_date(day, lang) if day.year == today.year else fmt_day(day, lang)


@command(
    name="tasks",
    aliases=("待办", "todo"),
    parse=parse_tasks,
    slash=True,
)
def run_tasks(ctx: Context, cmd: TasksQuery) -> Reply:
    lang = ctx.lang
    if cmd.account is not None:
        account = resolve_account(ctx, cmd.account)
        require_read(ctx.session, ctx.actor, account, lang)
        scope = {"account_id": account.id}
        title_key, name, by_owner = "account", account.name, True
    else:
        person = ctx.actor
        if cmd.user is not None:
            person = resolve_user(ctx, parse_user_ref(cmd.user, lang))
            _require_report(ctx, person)
        scope = {"owner_ids": [person.id]}
        mine = person.id == ctx.actor.id
        title_key, name, by_owner = ("mine" if mine else "theirs"), person.display_name, False

    lines = open_tasks(ctx.session, limit=MAX_LINES + 1, **scope)
    total = len(lines) if len(lines) <= MAX_LINES else count_open(ctx.session, **scope)
    if not lines:
        return Reply(
            title=_("none_" + title_key, lang, name=name),
            lines=[_("add_hint", lang)],
            severity=Severity.success,
        )
    shown = lines[:MAX_LINES]
    reply = Reply(title=_(title_key, lang, name=name, n=total))
    today = ctx.now.date()
    groups: dict[str, list[str]] = {"overdue": [], "upcoming": [], "undated": []}
    for line in shown:
        due = line.task.due_at
        if due is None:
            group = "undated"
        elif due.astimezone(ctx.tz).date() < today:
            group = "overdue"
        else:
            group = "upcoming"
        groups[group].append(_task_line(ctx, line, today, by_owner=by_owner))
    for group, texts in groups.items():
        reply.add_section(f"{_(group, lang)} ({len(texts)})", texts)
    if total > len(shown):
        reply.lines.append(_("more", lang, n=total - len(shown)))
    closable = [line.task.id for line in shown if line.task.owner_id == ctx.actor.id]
    for task_id in closable[:DONE_BUTTONS]:
        reply.actions.append(Action(_("done_button", lang, id=task_id), f"done {task_id}"))
    reply.footer = _("footer", lang, id=shown[0].task.id)
    if groups["overdue"]:
        reply.severity = Severity.warning
    return reply


def _task_line(ctx: Context, line: TaskLine, today: date, *, by_owner: bool) -> str:
    due = due_label(line.task.due_at, today, ctx.tz, ctx.lang)
    where = line.owner_name if by_owner else line.account_name
    return f"#{line.task.id} {where} · {clip(line.task.text, 80)} · {due}"


def _require_report(ctx: Context, person: User) -> None:
    if may_see_person(ctx.session, ctx.actor, person):
        return
    raise Forbidden(_("not_report", ctx.lang, name=person.display_name))


# --- /done --------------------------------------------------------------------------

_ID_SPLIT = re.compile(r"[\s,，、;；]+")


class DoneTasks(BaseModel):
    command: str = "done"
    ids: list[int] = Field(min_length=1)


def parse_done(args: str, pctx: ParseContext) -> DoneTasks:
    tokens = [t for t in _ID_SPLIT.split(args.strip()) if t]
    if not tokens:
        raise ParseError(_("ids_needed", pctx.lang))
    ids: list[int] = []
    for token in tokens:
        digits = token.lstrip("#＃")
        if not (digits.isascii() and digits.isdigit()) or int(digits) == 0:
            raise ParseError(_("bad_id", pctx.lang, token=token))
        ids.append(int(digits))
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_IDS:
        raise ParseError(_("too_many", pctx.lang, n=MAX_IDS))
    return DoneTasks(ids=ids)


@command(
    name="done",
    aliases=("完成",),
    parse=parse_done,
    writes=True,
)
def run_done(ctx: Context, cmd: DoneTasks) -> Reply:
    lang, session = ctx.lang, ctx.session
    found = with_accounts(session, cmd.ids, lock=True)  # closed once, whoever asks at once
    missing = [i for i in cmd.ids if i not in found]
    if missing:
        raise NotFound(_("unknown_ids", lang, ids=", ".join(f"#{i}" for i in missing)))
    for task_id in cmd.ids:
        task, account = found[task_id]
        if task.owner_id != ctx.actor.id and not can_write(session, ctx.actor, account):
            owner = session.get(User, task.owner_id)
            raise Forbidden(
                _(
                    "not_yours",
                    lang,
                    id=task.id,
                    owner=owner.display_name if owner else "?",
                    account=account.name,
                )
            )

    closed, already = [], []
    for task_id in cmd.ids:
        task, account = found[task_id]
        if task.done_at is not None:
            when = (
                fmt_day(task.done_at, lang, ctx.tz)
                + " "
                + f"{task.done_at.astimezone(ctx.tz):%H:%M}"
            )
            who = closed_by(session, task, account.id)
            already.append(
                _("already_by", lang, id=task.id, who=who.display_name, date=when)
                if who is not None
                else _("already", lang, id=task.id, date=when)
            )
            continue
        before = audit.snapshot(task)
        task.done_at = ctx.now
        session.add(task)
        ctx.audit(
            "update", task, before=before, account_id=account.id, summary=f"done: {task.text}"
        )
        closed.append((task, account))
        if task.owner_id != ctx.actor.id:
            _tell_owner(ctx, task, account.name)

    if not closed:
        return Reply(title=_("nothing_closed", lang), lines=already, severity=Severity.info)
    if len(closed) == 1:
        task, _account = closed[0]
        reply = Reply(
            title=_("closed_one", lang, id=task.id, text=clip(task.text, 80)),
            severity=Severity.success,
        )
    else:
        reply = Reply(title=_("closed_many", lang, n=len(closed)), severity=Severity.success)
        reply.lines += [
            _("closed_line", lang, id=t.id, account=a.name, text=clip(t.text, 80))
            for t, a in closed
        ]
    reply.lines += already
    left = count_open(session, owner_ids=[ctx.actor.id])
    reply.lines.append(_("remaining", lang, n=left) if left else _("all_done", lang))
    reply.footer = _("undo_hint", lang, hours=ctx.settings.undo_own_hours)
    return reply


def _tell_owner(ctx: Context, task, account_name: str) -> None:
    owner = ctx.session.get(User, task.owner_id)
    if owner is None or not owner.active:
        return
    ctx.notify_user(
        owner.id,
        Reply(
            title=_(
                "told_owner",
                owner.language,
                actor=ctx.actor.display_name,
                account=account_name,
                id=task.id,
                text=clip(task.text, 80),
            )
        ),
    )
