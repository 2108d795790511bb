"""``/snooze`` (``/暂停提醒``): pause an account's contact reminders, with the reason.

    /snooze Acme 2w champion on leave          /暂停提醒 华夏重工 两周 对接人休假
    /snooze Acme until 2027-01-10 budget freeze /暂停提醒 华夏重工 到 1月10日 预算冻结
    /snooze Acme off                           /暂停提醒 华夏重工 取消

The account is snoozed through the last day (``snoozed_until`` is inclusive); the
reason shows in ``/account`` and in digests.  A reason is optional but asked for:
a manager reading the digest should not have to guess.  At most 180 days (``6
months`` / ``半年`` is accepted even when it is 181 or 184 days) — an account that
needs no contact for longer is better marked churned.  Write access to
the account is required; the owner is told when someone else snoozes it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from pydantic import BaseModel

from domain.errors import ParseError
from domain.models import User
from handlers.auth import require_write
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account, split_account
from handlers.parsing.dates import Span, extract_leading_when, parse_duration
from handlers.parsing.text import normalize
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from handlers.views import fmt_day
from storage import audit

MAX_DAYS = 180
MAX_REASON = 500

_ = Catalog("snooze")

OFF_WORDS = {"off", "cancel", "end", "stop", "resume", "none", "取消", "结束", "关闭", "恢复"}
_UNTIL = re.compile(r"^(?:until|till|til|to|through|thru|到|至|直到|截至|截止到)\s*", re.IGNORECASE)
_MAX_DURATION_WORDS = 3


class Snooze(BaseModel):
    command: str = "snooze"
    account: str
    off: bool = False
    until: date | None = None
    reason: str | None = None


def parse_snooze(args: str, pctx: ParseContext) -> Snooze:
    lang = pctx.lang
    account, rest = split_account(args, pctx)
    rest = normalize(rest)
    if rest.lower() in OFF_WORDS:
        return Snooze(account=account, off=True)
    today = pctx.now.date()
    until, reason = _read_until(rest, pctx)
    if until is None:
        raise ParseError(_("how_long", lang))
    if until <= today:
        raise ParseError(_("past", lang, until=fmt_day(until, lang)))
    days = (until - today).days
    if days > MAX_DAYS and until > Span(months=6).add_to(today):
        raise ParseError(_("too_long", lang, until=fmt_day(until, lang), days=days, max=MAX_DAYS))
    reason = reason.strip(" ,;:-—，；：、") or None
    if reason and len(reason) > MAX_REASON:
        raise ParseError(_("reason_long", lang, n=len(reason), max=MAX_REASON))
    return Snooze(account=account, until=until, reason=reason)


def _read_until(text: str, pctx: ParseContext) -> tuple[date | None, str]:
    """``2w reason`` / ``两周对接人休假`` / ``until Jan 10 reason`` → (last snoozed day, reason)."""
    m = _UNTIL.match(text)
    if m:
        when, rest = extract_leading_when(text[m.end() :], now=pctx.now, prefer="future")
        return (when.date() if when else None), rest
    today = pctx.now.date()
    words = text.split(" ")
    for n in range(min(_MAX_DURATION_WORDS, len(words)), 0, -1):
        span = _duration(" ".join(words[:n]))
        if span is not None:
            return span.add_to(today), " ".join(words[n:])
    first = words[0] if words else ""
    for cut in range(len(first) - 1, 0, -1):  # 两周对接人休假: Chinese typed without a space
        span = _duration(first[:cut])
        if span is not None:
            return span.add_to(today), (first[cut:] + " " + " ".join(words[1:])).strip()
    when, rest = extract_leading_when(text, now=pctx.now, prefer="future")
    if when is not None:
        return when.date(), rest
    return None, text


def _duration(text: str):
    try:
        return parse_duration(text)
    except (ParseError, ValueError):
        return None


@command(
    name="snooze",
    aliases=("暂停提醒", "暂停"),
    parse=parse_snooze,
    writes=True,
)
def run_snooze(ctx: Context, cmd: Snooze) -> Reply:
    lang, session = ctx.lang, ctx.session
    account = resolve_account(ctx, cmd.account)
    require_write(session, ctx.actor, account, lang)
    today = ctx.now.date()
    current = (
        account.snoozed_until if account.snoozed_until and account.snoozed_until >= today else None
    )
    view = Action(_("view", lang), f"account {account.name}")

    if cmd.off:
        if current is None:
            return Reply(title=_("not_snoozed", lang, account=account.name), actions=[view])
        before = audit.snapshot(account)
        account.snoozed_until = None
        account.snooze_reason = None
        account.updated_at = ctx.now
        session.add(account)
        ctx.audit("update", account, before=before, account_id=account.id, summary="snooze ended")
        _tell_owner(ctx, account, None)
        return Reply(
            title=_("ended", lang, account=account.name),
            lines=[_("ended_line", lang, old=fmt_day(current, lang))],
            footer=_("undo_hint", lang, hours=ctx.settings.undo_own_hours),
            actions=[view],
            severity=Severity.success,
        )

    assert cmd.until is not None
    before = audit.snapshot(account)
    account.snoozed_until = cmd.until
    account.snooze_reason = cmd.reason
    account.updated_at = ctx.now
    session.add(account)
    ctx.audit(
        "update",
        account,
        before=before,
        account_id=account.id,
        summary=f"snoozed until {cmd.until.isoformat()}",
    )
    until = fmt_day(cmd.until, lang)
    if current is not None and current != cmd.until:
        title = _("extended", lang, account=account.name, old=fmt_day(current, lang), until=until)
    else:
        title = _("snoozed", lang, account=account.name, until=until)
    reply = Reply(title=title, severity=Severity.success, actions=[view])
    if cmd.reason:
        reply.fields.append(Field(_("reason", lang), cmd.reason))
    reply.fields.append(Field(_("days", lang), str((cmd.until - today).days)))
    resume = fmt_day(cmd.until + timedelta(days=1), lang)
    reply.lines.append(_("resumes", lang, date=resume, account=account.name))
    if not cmd.reason:
        span = _("two_weeks", lang)
        reply.lines.append(_("no_reason", lang, account=account.name, span=span))
    reply.footer = _("undo_hint", lang, hours=ctx.settings.undo_own_hours)
    _tell_owner(ctx, account, cmd.until)
    return reply


def _tell_owner(ctx: Context, account, until: date | None) -> None:
    owner = ctx.session.get(User, account.owner_id)
    if owner is None or not owner.active:
        return
    lang = owner.language
    if until is None:
        title = _("told_owner_off", lang, actor=ctx.actor.display_name, account=account.name)
    else:
        title = _(
            "told_owner",
            lang,
            actor=ctx.actor.display_name,
            account=account.name,
            until=fmt_day(until, lang),
        )
    lines = [f"{_('reason', lang)}: {account.snooze_reason}"] if account.snooze_reason else []
    ctx.notify_user(
        owner.id,
        Reply(
            title=title, lines=lines, actions=[Action(_("view", lang), f"account {account.name}")]
        ),
    )
