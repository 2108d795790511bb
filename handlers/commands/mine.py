"""``/mine`` (``/我的``): my accounts that need attention today, most urgent first.

    lapsed            past the tier's cadence, most overdue first (planned ones last)
    due soon          contact due within the next few days
    next steps        mine, overdue or due today
    deals at risk     mine, stalled in a stage or past their close date
    today             contacts' birthdays and partnership anniversaries

The same rules and scans as the scheduled pushes (``handlers.digest``,
``storage.queries``), for one owner: a fixed handful of statements.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from domain.cadence import contact_status
from domain.errors import ParseError
from handlers.context import Context, ParseContext
from handlers.digest import deal_risks, find_lapsed, lapsed_line, log_visit
from handlers.i18n import Catalog
from handlers.paging import bounded
from handlers.registry import command
from handlers.replies import Reply, Severity
from handlers.views import fmt_date
from handlers.views.risks import describe
from storage import queries
from storage.queries import AccountRow, TaskRow

DUE_SOON_DAYS = 3
MAX_BUTTONS = 5
SECTION_LINES = 10  # per section of /mine; the heading counts them all

_ = Catalog("mine")


class MineQuery(BaseModel):
    command: str = "mine"


def parse_mine(args: str, pctx: ParseContext) -> MineQuery:
    if args.strip():
        raise ParseError(_("no_args", pctx.lang))
    return MineQuery()


@command(
    name="mine",
    aliases=("我的", "my"),
    parse=parse_mine,
    slash=True,
)
def run_mine(ctx: Context, cmd: MineQuery) -> Reply:
    session, lang, tz, now, settings = ctx.session, ctx.lang, ctx.tz, ctx.now, ctx.settings
    me = [ctx.actor.id]
    today = now.date()
    start_of_today = datetime.combine(today, datetime.min.time(), tz)

    rows = queries.account_rows(session, now=now, owner_ids=me)
    lapsed = find_lapsed(rows, settings=settings, now=now, tz_of=lambda _row: tz)
    soon = _due_soon(rows, {item.account.id for item in lapsed}, ctx)
    tasks = queries.open_tasks_due(session, before=start_of_today + timedelta(days=1), owner_ids=me)
    deals = _deal_lines(ctx)
    today_lines = [
        _(
            "birthday",
            lang,
            name=row.name,
            title=_("title_suffix", lang, title=row.title) if row.title else "",
            account=row.account_name,
        )
        for _day, row in queries.birthdays_on(session, [today], owner_ids=me)
    ] + [
        _(
            "anniversary_one" if row.years == 1 else "anniversary",
            lang,
            account=row.account_name,
            years=row.years,
        )
        for _day, row in queries.anniversaries_on(session, [today], owner_ids=me)
    ]

    total = len(lapsed) + len(soon) + len(tasks) + len(deals) + len(today_lines)
    if total == 0:
        return Reply(
            title=_("clear", lang), lines=[_("clear_line", lang)], severity=Severity.success
        )
    reply = Reply(title=_("title", lang, n=total))
    # Each section shows its first SECTION_LINES; its heading keeps the full count.
    reply.add_section(
        _("lapsed", lang, n=len(lapsed)),
        bounded([lapsed_line(item, lang, tz) for item in lapsed[: SECTION_LINES + 1]],
                SECTION_LINES, lang, more=len(lapsed)),
    )  # fmt: skip
    reply.add_section(
        _("due_soon", lang, n=len(soon)),
        bounded([line for _row, line in soon], SECTION_LINES, lang),
    )
    reply.add_section(
        _("tasks", lang, n=len(tasks)),
        bounded([_task_line(t, start_of_today, ctx) for t in tasks[: SECTION_LINES + 1]],
                SECTION_LINES, lang, more=len(tasks)),
    )  # fmt: skip
    reply.add_section(_("deals", lang, n=len(deals)), bounded(deals, SECTION_LINES, lang))
    reply.add_section(
        _("today", lang, n=len(today_lines)), bounded(today_lines, SECTION_LINES, lang)
    )
    urgent = [item.account.name for item in lapsed] + [row.name for row, _line in soon]
    reply.actions = [log_visit(name, lang) for name in urgent[:MAX_BUTTONS]]
    if lapsed or any(t.due_at < start_of_today for t in tasks):
        reply.severity = Severity.warning
    return reply


def _due_soon(
    rows: list[AccountRow], lapsed: set[int], ctx: Context
) -> list[tuple[AccountRow, str]]:
    """Accounts whose contact falls due within ``DUE_SOON_DAYS``, soonest first."""
    lang, today = ctx.lang, ctx.now.date()
    found = []
    for row in rows:
        if row.id in lapsed or (row.snoozed_until and row.snoozed_until >= today):
            continue
        status = contact_status(row.last_contact, row.tier, ctx.now, ctx.settings.cadence, ctx.tz)
        if status.due_in is None or status.due_in > DUE_SOON_DAYS:
            continue
        names = {"name": row.name, "tier": row.tier, "cadence": status.cadence}
        line = (
            _("due_now", lang, **names)
            if status.due_in == 0
            else _("due_in", lang, days=status.due_in, **names)
        )
        found.append((status.due_in, row.name.casefold(), row, line))
    return [(row, line) for _due, _name, row, line in sorted(found, key=lambda t: t[:2])]


def _deal_lines(ctx: Context) -> list[str]:
    """My open deals stalled in their stage or past their close date, worst first."""
    lang, today, settings = ctx.lang, ctx.now.date(), ctx.settings
    limits = settings.risks.stalled_days.values()
    deals = queries.deals_at_risk(
        ctx.session,
        stalled_before=ctx.now - timedelta(days=min(limits, default=0)),
        closing_before=today,
        owner_ids=[ctx.actor.id],
    )
    found = []
    for deal in deals:
        risks = deal_risks(deal, settings, today, ctx.tz)
        if risks:
            text = _("risk_sep", lang).join(describe(r, lang) for r in risks)
            rank = min(r.severity.rank for r in risks)
            found.append((rank, deal.account_name.casefold(), f"{deal.account_name} — {text}"))
    return [line for _rank, _name, line in sorted(found)]


def _task_line(t: TaskRow, start_of_today: datetime, ctx: Context) -> str:
    lang, tz = ctx.lang, ctx.tz
    if t.due_at >= start_of_today:
        return _("task_today", lang, id=t.id, account=t.account_name, text=t.text)
    days = (ctx.now.date() - t.due_at.astimezone(tz).date()).days
    return _(
        "task_overdue",
        lang,
        id=t.id,
        account=t.account_name,
        text=t.text,
        date=fmt_date(t.due_at, lang, tz),
        days=days,
    )
