"""``/undo`` (``/撤销``): take back my last change, if it is recent enough.

Every change a command makes is in the audit trail under the command's request id;
``/undo`` reverts all of the actor's most recent command (``storage.audit``), if it
was made within ``settings.undo_own_hours`` (48 by default: a wrong date is often
noticed the next day).  An import is bulk and has its own way back any time (``kam
import --revert``), so by chat it is taken back only within ``settings.undo_minutes``.
Only the actor's own commands are ever undone.  Sending ``/undo`` again takes back the
command before that one — an undo itself is never undone (it is recorded with the
action ``undo``, which ``last_command`` skips).

Undo refuses, changing nothing, when someone has changed the same rows since (a
colleague closed the next step you are un-logging) or when other records now depend
on a row it would delete; the reply names what is in the way.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from domain.models import AuditEntry, User
from handlers.context import Context, ParseContext
from handlers.csvimport.base import CHANNEL as IMPORT_CHANNEL
from handlers.i18n import Catalog
from handlers.registry import command
from handlers.replies import Reply, Severity
from handlers.views.changes import describe
from storage import audit, locks

_ = Catalog("undo")


class Undo(BaseModel):
    command: str = "undo"


def parse_undo(args: str, pctx: ParseContext) -> Undo:
    return Undo()


@command(
    name="undo",
    aliases=("撤销", "撤回"),
    parse=parse_undo,
    writes=True,
)
def run_undo(ctx: Context, cmd: Undo) -> Reply:
    lang, session = ctx.lang, ctx.session
    # One undo of theirs at a time (``storage.locks``): a second /undo sent at the same
    # moment waits, then takes back the command before, as it would a minute later.
    locks.rows(session, User, [ctx.actor.id])
    entries = audit.last_command(session, actor_id=ctx.actor.id, since=ctx.now - _own_window(ctx))
    if not entries or _too_old_import(ctx, entries):
        return _nothing(ctx)
    # and no colleague changes those accounts between the check below and the revert
    locks.accounts(session, {e.account_id for e in entries if e.account_id is not None})
    what = describe(ctx, entries)
    blocker = _changed_since(ctx, entries)
    if blocker is not None:
        return _refusal(ctx, _("changed_since", lang, what=what, by=blocker))
    try:
        audit.revert_command(
            session,
            entries,
            actor_id=ctx.actor.id,
            channel=ctx.platform,
            request_id=ctx.request_id,
            now=ctx.now,
            what=what,
        )
    except IntegrityError:
        return _refusal(ctx, _("in_use", lang, what=what))
    return Reply(
        title=_("undid", lang, what=what),
        lines=[_("next_undo", lang)],
        severity=Severity.success,
    )


def _own_window(ctx: Context) -> timedelta:
    return timedelta(hours=ctx.settings.undo_own_hours)


def _too_old_import(ctx: Context, entries: list[AuditEntry]) -> bool:
    """An import older than ``undo_minutes``: taken back with ``kam import --revert``."""
    old = ctx.now - entries[0].at > timedelta(minutes=ctx.settings.undo_minutes)
    return entries[0].channel == IMPORT_CHANNEL and old


def _nothing(ctx: Context) -> Reply:
    lang, minutes, hours = ctx.lang, ctx.settings.undo_minutes, ctx.settings.undo_own_hours
    older = audit.last_command(
        ctx.session, actor_id=ctx.actor.id, since=ctx.now - max(timedelta(days=7), _own_window(ctx))
    )
    if older:
        ago = _ago(ctx, older[0])
        what = describe(ctx, older)
        if older[0].channel == IMPORT_CHANNEL:  # an import has its own way back, any time
            line = _("too_old_import", lang, what=what, ago=ago, minutes=minutes,
                     request_id=older[0].request_id)  # fmt: skip
        else:
            line = _("too_old", lang, what=what, ago=ago, hours=hours)
    else:
        line = _("nothing_line", lang, hours=hours, minutes=minutes)
    return Reply(title=_("nothing", lang), lines=[line], severity=Severity.warning)


def _ago(ctx: Context, entry: AuditEntry) -> str:
    """How long ago, in the reader's words: minutes within two hours, then hours, days."""
    minutes = int((ctx.now - entry.at).total_seconds() // 60)
    if minutes < 120:
        return _("minutes_ago", ctx.lang, n=minutes)
    if minutes < 48 * 60:
        return _("hours_ago", ctx.lang, n=minutes // 60)
    return _("days_ago", ctx.lang, n=minutes // (24 * 60))


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
