"""``/history Acme`` (``/历史 华夏重工``): who changed what on an account, newest first.

For managers and admins (a manager sees the accounts of the teams they read).  One
line per command, read back from the audit trail and worded as ``/undo`` words it;
a command someone took back is marked so.  The full trail, with filters by user and
date, is ``kam audit`` on the server.
"""

from __future__ import annotations

from pydantic import BaseModel

from domain.models import AuditEntry
from handlers.auth import require_read
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account, split_account
from handlers.registry import command
from handlers.replies import Reply
from handlers.views import fmt_date
from handlers.views.changes import describe
from storage import audit

LIMIT = 15

_ = Catalog("history")


class HistoryQuery(BaseModel):
    command: str = "history"
    account: str


def parse_history(args: str, pctx: ParseContext) -> HistoryQuery:
    name, rest = split_account(args, pctx)
    if rest:  # an unknown multi-word name: keep it whole for the fuzzy match
        name = f"{name} {rest}".strip()
    return HistoryQuery(account=name)


@command(
    name="history",
    aliases=("历史", "hist"),
    parse=parse_history,
    roles=frozenset({"manager", "admin"}),
)
def run_history(ctx: Context, cmd: HistoryQuery) -> Reply:
    lang = ctx.lang
    account = resolve_account(ctx, cmd.account)
    require_read(ctx.session, ctx.actor, account, lang)
    commands = audit.recent_commands(ctx.session, account_id=account.id, limit=LIMIT)
    if not commands:
        return Reply(
            title=_("title", lang, account=account.name),
            lines=[_("empty", lang, account=account.name)],
        )
    reply = Reply(
        title=_("title", lang, account=account.name),
        lines=[_line(ctx, group) for group in commands],
    )
    if len(commands) == LIMIT:
        reply.footer = _("footer", lang, n=LIMIT)
    return reply


def _line(ctx: Context, group: list[audit.TrailEntry]) -> str:
    """``Nov 18 10:05 · Alice Chen (slack) · visit logged at Acme, next step #12``."""
    lang, tz = ctx.lang, ctx.tz
    first = group[0]
    entries: list[AuditEntry] = [item.entry for item in group]
    when = max(e.at for e in entries).astimezone(tz)
    who = first.actor_name or first.actor_handle or _("kam", lang)
    undo = next((e for e in entries if e.action == "undo"), None)
    if undo is not None:
        what = _("undid", lang, what=undo.summary.partition(": ")[2] or undo.summary)
    else:
        what = describe(ctx, entries)
        if all(e.undone_at is not None for e in entries):
            what += _("undone", lang)
    return f"{fmt_date(when, lang)} {when:%H:%M} · {who} ({first.entry.channel}) · {what}"
