"""``/complaint`` (``/投诉``): open a complaint, resolve it, list the open ones.

    /complaint Acme late delivery                /投诉 华夏重工 交货延迟
    /complaint resolve 12 replaced the batch     /投诉 解决 12 已补发
    /complaint [Acme]                            (open complaints)

Whoever may contribute to an account (``handlers.auth.can_contribute``: those who may
change it, and the members of its team) opens and resolves its complaints; the owner,
their managers and the team's service members hear of a new one.  One open longer than
``risks.complaint_days`` shows as a risk.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from domain.errors import InvalidInput, NotFound, ParseError
from domain.models import Account, Complaint, MemberRole, Role
from handlers.auth import require_contribute, require_read
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account, split_account
from handlers.parsing.text import normalize
from handlers.people import tell_owner_and_managers
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from handlers.views import clip, fmt_day
from storage import audit, users
from storage.health import (
    account_names,
    complaint_age,
    complaints_of,
    open_complaints,
    owned_or_held,
)

MAX_COMMENT = 1000  # Complaint.text, Complaint.resolution
LIST_LIMIT = 20

SERVICE = (MemberRole.service.value,)  # the account-team members told of complaints

_ = Catalog("complaint")


def _check_length(text: str, limit: int, lang: str) -> str:
    if len(text) > limit:
        raise ParseError(_("long_text", lang, n=len(text), limit=limit))
    return text


def _readable(ctx: Context):
    """A condition on ``Account``: the accounts the actor may read (None: all)."""
    if ctx.actor.role == Role.admin:
        return None
    return owned_or_held(ctx.actor.id, users.visible_team_ids(ctx.session, ctx.actor))


# --- /complaint ---------------------------------------------------------------------


_RESOLVE_WORDS = {
    "resolve",
    "resolved",
    "close",
    "closed",
    "fix",
    "fixed",
    "解决",
    "已解决",
    "关闭",
    "结案",
}
_ID = re.compile(r"^#?(?P<id>\d{1,9})\b[\s,，:：.。-]*(?P<rest>.*)$", re.DOTALL)


class ComplaintCommand(BaseModel):
    command: str = "complaint"
    action: Literal["open", "resolve", "list"]
    account: str | None = None
    number: int | None = None
    text: str = ""


def parse_complaint(args: str, pctx: ParseContext) -> ComplaintCommand:
    lang = pctx.lang
    args = normalize(args).strip()
    if not args:
        return ComplaintCommand(action="list")
    first, _sep, after = args.partition(" ")
    glued = next((w for w in _RESOLVE_WORDS if not w.isascii() and first.startswith(w)), None)
    if first.casefold() in _RESOLVE_WORDS or glued:
        rest = (first[len(glued) :] + " " + after).strip() if glued else after.strip()
        m = _ID.match(rest)
        if m is None:
            raise ParseError(_("resolve_which", lang))
        number, how = int(m["id"]), m["rest"].strip()
        if not how:
            raise ParseError(_("resolve_how", lang, id=number))
        return ComplaintCommand(
            action="resolve", number=number, text=_check_length(how, MAX_COMMENT, lang)
        )
    account, rest = split_account(args, pctx)
    if not rest:
        return ComplaintCommand(action="list", account=account)
    return ComplaintCommand(
        action="open", account=account, text=_check_length(rest, MAX_COMMENT, lang)
    )


@command(
    name="complaint",
    aliases=("投诉",),
    parse=parse_complaint,
    writes=True,
    group="health",
)
def run_complaint(ctx: Context, cmd: ComplaintCommand) -> Reply:
    if cmd.action == "resolve":
        return _resolve_complaint(ctx, cmd)
    if cmd.action == "list":
        return _list_complaints(ctx, cmd.account)
    account = resolve_account(ctx, cmd.account or "")
    require_contribute(ctx.session, ctx.actor, account, ctx.lang)
    return _open_complaint(ctx, account, cmd.text)


def _open_complaint(ctx: Context, account: Account, text: str) -> Reply:
    lang = ctx.lang
    complaint = Complaint(
        account_id=account.id, text=text, opened_at=ctx.now, opened_by_id=ctx.actor.id
    )
    ctx.session.add(complaint)
    ctx.audit("create", complaint, account_id=account.id, summary=f"complaint: {clip(text, 200)}")
    reply = Reply(
        title=_("complaint_opened", lang, id=complaint.id, account=account.name),
        severity=Severity.success,
    )
    reply.fields.append(Field(_("complaint", lang), text))
    limit = ctx.settings.risks.complaint_days
    reply.lines.append(_("complaint_limit", lang, days=limit, id=complaint.id))
    reply.actions.append(
        Action(
            _("resolve_button", lang, id=complaint.id),
            f"{_('resolve_command', lang)} {complaint.id} ",
            kind="modal",
        )
    )

    def note(reader_lang: str) -> Reply:
        return Reply(
            title=_(
                "complaint_told",
                reader_lang,
                who=ctx.actor.display_name,
                id=complaint.id,
                account=account.name,
                text=clip(text, 300),
            ),
            severity=Severity.warning,
            actions=[Action(_("view_account", reader_lang), f"account {account.name}")],
        )

    tell_owner_and_managers(ctx, account, note, managers=True, roles=SERVICE)
    return reply


def _resolve_complaint(ctx: Context, cmd: ComplaintCommand) -> Reply:
    lang = ctx.lang
    complaint = ctx.session.get(Complaint, cmd.number)
    if complaint is None:
        raise NotFound(_("no_such_complaint", lang, id=cmd.number))
    account = ctx.session.get(Account, complaint.account_id)
    require_contribute(ctx.session, ctx.actor, account, lang)
    ctx.session.refresh(complaint)  # read again under the account lock: resolved meanwhile?
    if complaint.resolved_at is not None:
        raise InvalidInput(
            _(
                "already_resolved",
                lang,
                id=complaint.id,
                date=fmt_day(complaint.resolved_at, lang, ctx.tz),
                text=complaint.resolution or "—",
            )
        )
    before = audit.snapshot(complaint)
    complaint.resolved_at = ctx.now
    complaint.resolved_by_id = ctx.actor.id
    complaint.resolution = cmd.text
    ctx.session.add(complaint)
    ctx.audit(
        "update",
        complaint,
        before=before,
        account_id=account.id,
        summary=f"complaint #{complaint.id} resolved: {clip(cmd.text, 200)}",
    )
    days = complaint_age(complaint.opened_at, ctx.now.date(), ctx.tz)
    reply = Reply(
        title=_("complaint_resolved", lang, id=complaint.id, account=account.name, days=days),
        severity=Severity.success,
    )
    reply.fields.append(Field(_("complaint", lang), complaint.text))
    reply.fields.append(Field(_("resolution", lang), cmd.text))
    reply.fields.append(Field(_("opened", lang), fmt_day(complaint.opened_at, lang, ctx.tz)))

    def note(reader_lang: str) -> Reply:
        return Reply(
            title=_(
                "complaint_told_resolved",
                reader_lang,
                who=ctx.actor.display_name,
                id=complaint.id,
                account=account.name,
                text=clip(cmd.text, 300),
            ),
            severity=Severity.success,
        )

    tell_owner_and_managers(ctx, account, note, managers=False, roles=SERVICE)
    return reply


def _list_complaints(ctx: Context, account_name: str | None) -> Reply:
    lang, today = ctx.lang, ctx.now.date()
    if account_name:
        account = resolve_account(ctx, account_name)
        require_read(ctx.session, ctx.actor, account, lang)
        found = complaints_of(ctx.session, account.id)
        names = {account.id: account.name}
        reply = Reply(title=_("complaints_of", lang, account=account.name))
    else:
        found = open_complaints(ctx.session, where=_readable(ctx), limit=LIST_LIMIT + 1)
        names = account_names(ctx.session, {c.account_id for c in found})
        reply = Reply(title=_("complaints_title", lang))
    if not found:
        reply.lines.append(_("no_complaints", lang))
        reply.severity = Severity.success
        return reply
    limit = ctx.settings.risks.complaint_days
    lines = []
    for c in found[:LIST_LIMIT]:
        days = complaint_age(c.opened_at, today, ctx.tz)
        mark = "● " if days > limit else ""
        lines.append(
            mark
            + _(
                "complaint_line",
                lang,
                id=c.id,
                account=names.get(c.account_id, "—"),
                days=days,
                text=clip(c.text, 80),
            )
        )
    if len(found) > LIST_LIMIT:
        lines.append(_("more_complaints", lang))
    reply.add_section(None, lines)
    reply.actions = [
        Action(
            _("resolve_button", lang, id=c.id),
            f"{_('resolve_command', lang)} {c.id} ",
            kind="modal",
        )
        for c in found[:5]
    ]
    return reply
