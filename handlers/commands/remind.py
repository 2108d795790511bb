"""``/remind`` (``/提醒``): recurring reminders about an account, sent to its owner.

    /remind Acme "quarterly business review" every 3 months from 2027-01-15
    /提醒 华夏重工 "季度回顾" 每3个月 从 2027-01-15
    /remind Acme renewal check monthly        (quotes are optional; starts today)
    /remind                                   my reminders (set by me or for my accounts)
    /remind Acme                              the account's reminders
    /remind cancel 3                          /提醒 取消 3

Occurrences are counted from the start date (``domain.recurrence``): a reminder
started on Jan 31 every month falls on Feb 28 and then Mar 31 again.  ``next_date``
is the first occurrence on or after today; the scheduler sends it to the account's
owner and moves it on.  One-off things to do belong in a next step (``next:`` in
``/visit``), so a recurrence is required.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel

from domain.errors import Forbidden, InvalidInput, NotFound, ParseError
from domain.models import Reminder, User
from domain.recurrence import Every, first_on_or_after
from handlers.auth import can_write, require_read, require_write
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account, split_account
from handlers.parsing.dates import Span, extract_leading_when, parse_recurrence
from handlers.parsing.text import normalize
from handlers.registry import command
from handlers.replies import Field, Reply, Severity
from handlers.views import clip, fmt_day
from storage import audit
from storage.reminders import ReminderLine, active_for, active_with_text, with_accounts

MAX_TEXT = 500
MAX_IDS = 20
MAX_LINES = 40

_ = Catalog("remind")

LIST_WORDS = {"list", "ls", "列表", "全部"}
CANCEL_WORDS = {"cancel", "stop", "delete", "remove", "取消", "删除", "停止"}
_START = re.compile(
    r"(?:^|\s)(?:from|starting(?:\s+on|\s+from)?|beginning|start(?:ing)?\s+on)\s+"
    r"|(?:从|自|起始于|开始于)\s*",
    re.IGNORECASE,
)
_START_TAIL = re.compile(r"^\s*(?:开始|起)?\s*$")
_QUOTES = {'"': '"', "“": "”", "「": "」", "『": "』"}
_ID_SPLIT = re.compile(r"[\s,，、;；]+")


class RemindCommand(BaseModel):
    command: str = "remind"
    action: Literal["create", "list", "cancel"]
    account: str | None = None
    text: str | None = None
    every_days: int = 0
    every_months: int = 0
    start_date: date | None = None
    ids: list[int] = []


def describe_every(days: int, months: int, lang: str) -> str:
    """``every 3 months`` / ``每3个月``, ``every week`` / ``每周``, ``every quarter`` / ``每季度``…"""
    parts: list[tuple[int, str]] = []  # (count, unit)
    if months:
        parts.append((months // 12, "year") if months % 12 == 0 else (months, "month"))
    if days:
        parts.append((days // 7, "week") if days % 7 == 0 else (days, "day"))
    if parts == [(3, "month")]:
        return _("every_quarter", lang)
    spans = [_(f"one_{u}", lang) if n == 1 else _(f"many_{u}", lang, n=n) for n, u in parts]
    if len(spans) == 2:
        return _("every_two", lang, span=spans[0], span2=spans[1])
    return _("every_span", lang, span=spans[0])


def parse_remind(args: str, pctx: ParseContext) -> RemindCommand:
    lang = pctx.lang
    args = normalize(args)
    words = args.split(" ") if args else []
    if not words or (len(words) == 1 and words[0].lower() in LIST_WORDS):
        return RemindCommand(action="list")
    if words[0].lower() in CANCEL_WORDS:
        return RemindCommand(action="cancel", ids=_parse_ids(args[len(words[0]) :], lang))
    account, rest = split_account(args, pctx)
    if not rest:
        return RemindCommand(action="list", account=account)
    text, span, start = _split_reminder(rest, pctx)
    if not text:
        raise ParseError(_("what", lang))
    if len(text) > MAX_TEXT:
        raise ParseError(_("too_long", lang, n=len(text), max=MAX_TEXT))
    return RemindCommand(
        action="create",
        account=account,
        text=text,
        every_days=span.days,
        every_months=span.months,
        start_date=start or pctx.now.date(),
    )


def _parse_ids(text: str, lang: str) -> list[int]:
    tokens = [t for t in _ID_SPLIT.split(text.strip()) if t]
    if not tokens:
        raise ParseError(_("ids_needed", lang))
    ids = []
    for token in tokens:
        digits = token.lstrip("#＃")
        if not (digits.isascii() and digits.isdigit()) or int(digits) == 0:
            raise ParseError(_("bad_id", lang, token=token))
        ids.append(int(digits))
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_IDS:
        raise ParseError(_("bad_id", lang, token=str(ids[MAX_IDS])))
    return ids


def _split_reminder(rest: str, pctx: ParseContext) -> tuple[str, Span, date | None]:
    """``"QBR" every 3 months from 2027-01-15`` → (text, step, start date)."""
    lang = pctx.lang
    text: str | None = None
    if rest[0] in _QUOTES:
        close = rest.find(_QUOTES[rest[0]], 1)
        if close > 0:
            text, rest = rest[1:close].strip(), rest[close + 1 :].strip()
    rest, start, unread = _take_start(rest, pctx)
    if text is not None:
        span = _try_recurrence(rest) if rest else None
        if span is not None:
            return text, span, start
    else:  # unquoted: the text runs up to the longest tail that reads as a recurrence
        if _try_recurrence(rest) is not None:
            raise ParseError(_("what", lang))
        words = rest.split(" ")
        for i in range(1, len(words)):
            span = _try_recurrence(" ".join(words[i:]))
            if span is not None:
                return " ".join(words[:i]).strip(" ,;，；"), span, start
        for m in re.finditer("每", rest):  # 季度回顾每3个月: no space before 每
            span = _try_recurrence(rest[m.start() :])
            if span is not None and m.start() > 0:
                return rest[: m.start()].strip(" ,;，；"), span, start
    if unread is not None:
        raise ParseError(_("bad_start", lang, text=unread))
    raise ParseError(_("how_often", lang))


def _take_start(rest: str, pctx: ParseContext) -> tuple[str, date | None, str | None]:
    """Cut a trailing ``from DATE`` / ``从 DATE 开始`` (the last one that reads as a date).

    Returns the text before it, the date, and — when a ``from`` was there but its date
    could not be read — that unread text, for the error message.
    """
    unread = None
    for m in reversed(list(_START.finditer(rest))):
        tail = rest[m.end() :]
        when, after = extract_leading_when(tail, now=pctx.now, prefer="future")
        if when is not None and _START_TAIL.match(after):
            return rest[: m.start()].strip(), when.date(), None
        if m.group(0).strip().isascii() or tail[:1].isdigit():
            unread = unread or tail.strip()
    return rest, None, unread


def _try_recurrence(text: str) -> Span | None:
    try:
        span = parse_recurrence(text)
    except (ParseError, ValueError):
        return None
    return span if (span.days or span.months) else None


@command(
    name="remind",
    aliases=("提醒", "reminder", "reminders"),
    parse=parse_remind,
    writes=True,
)
def run_remind(ctx: Context, cmd: RemindCommand) -> Reply:
    if cmd.action == "list":
        return _list(ctx, cmd.account)
    if cmd.action == "cancel":
        return _cancel(ctx, cmd.ids)
    return _create(ctx, cmd)


def _create(ctx: Context, cmd: RemindCommand) -> Reply:
    lang, session = ctx.lang, ctx.session
    account = resolve_account(ctx, cmd.account or "")
    require_write(session, ctx.actor, account, lang)
    assert cmd.text is not None and cmd.start_date is not None
    every = describe_every(cmd.every_days, cmd.every_months, lang)
    same = active_with_text(session, account.id, cmd.text)
    if same is not None:
        raise InvalidInput(
            _(
                "duplicate",
                lang,
                account=account.name,
                id=same.id,
                text=same.text,
                every=describe_every(same.every_days, same.every_months, lang),
            )
        )
    step = Every(days=cmd.every_days, months=cmd.every_months)
    reminder = Reminder(
        account_id=account.id,
        text=cmd.text,
        every_days=cmd.every_days,
        every_months=cmd.every_months,
        start_date=cmd.start_date,
        next_date=first_on_or_after(step, cmd.start_date, ctx.now.date()),
        created_by_id=ctx.actor.id,
    )
    session.add(reminder)
    ctx.audit("create", reminder, account_id=account.id, summary=f"reminder: {cmd.text}")
    owner = session.get(User, account.owner_id)
    reply = Reply(
        title=_("created", lang, id=reminder.id, account=account.name), severity=Severity.success
    )
    reply.fields += [
        Field(_("text", lang), reminder.text),
        Field(_("every", lang), every),
        Field(_("starts", lang), fmt_day(reminder.start_date, lang)),
        Field(_("next", lang), fmt_day(reminder.next_date, lang)),
        Field(_("to", lang), owner.display_name if owner else "—"),
    ]
    reply.lines.append(_("cancel_hint", lang, id=reminder.id))
    reply.footer = _("undo_hint", lang, hours=ctx.settings.undo_own_hours)
    return reply


def _list(ctx: Context, account_name: str | None) -> Reply:
    lang = ctx.lang
    if account_name:
        account = resolve_account(ctx, account_name)
        require_read(ctx.session, ctx.actor, account, lang)
        lines = active_for(ctx.session, account_id=account.id)
        title = _("account_list", lang, account=account.name, n=len(lines))
        empty = _("none_account", lang, account=account.name)
    else:
        lines = active_for(ctx.session, user_id=ctx.actor.id)
        title = _("mine", lang, n=len(lines))
        empty = _("none_mine", lang)
    if not lines:
        return Reply(title=empty, lines=[_("create_hint", lang)])
    shown = [_line(line, lang, with_account=not account_name) for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        shown.append(_("more", lang, n=len(lines) - MAX_LINES))
    return Reply(title=title, lines=shown)


def _line(line: ReminderLine, lang: str, *, with_account: bool = True) -> str:
    r = line.reminder
    return _(
        "line",
        lang,
        id=r.id,
        account=f"{line.account_name} · " if with_account else "",
        text=clip(r.text, 80),
        every=describe_every(r.every_days, r.every_months, lang),
        next=fmt_day(r.next_date, lang),
    )


def _cancel(ctx: Context, ids: list[int]) -> Reply:
    lang, session = ctx.lang, ctx.session
    found = with_accounts(session, ids, lock=True)  # cancelled once, whoever asks at once
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(_("unknown_ids", lang, ids=", ".join(f"#{i}" for i in missing)))
    for rid in ids:
        reminder, account = found[rid]
        if reminder.created_by_id != ctx.actor.id and not can_write(session, ctx.actor, account):
            raise Forbidden(_("not_yours", lang, id=rid, account=account.name))
    cancelled, already = [], []
    for rid in ids:
        reminder, account = found[rid]
        if not reminder.active:
            already.append(_("already", lang, id=rid))
            continue
        before = audit.snapshot(reminder)
        reminder.active = False
        session.add(reminder)
        ctx.audit(
            "update",
            reminder,
            before=before,
            account_id=account.id,
            summary=f"reminder cancelled: {reminder.text}",
        )
        cancelled.append((reminder, account))
    if not cancelled:
        return Reply(title=_("nothing", lang), lines=already)
    if len(cancelled) == 1:
        r, _a = cancelled[0]
        reply = Reply(title=_("cancelled_one", lang, id=r.id, text=clip(r.text, 80)))
    else:
        reply = Reply(title=_("cancelled_many", lang, n=len(cancelled)))
        reply.lines += [_line(ReminderLine(r, a.name, a.owner_id), lang) for r, a in cancelled]
    reply.severity = Severity.success
    reply.lines += already
    reply.footer = _("undo_hint", lang, hours=ctx.settings.undo_own_hours)
    return reply
