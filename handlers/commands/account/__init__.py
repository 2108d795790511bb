"""``/account Acme`` (``/客户 华夏重工``): one phone screen about one account.

``/account`` is also the door to the rest of the account's life, each in a module of
its own, chosen here from the words after the name:

    /account new Zenith Corp …        create (``account.create``; also /新客户 …)
    /account Acme set industry …      edit (``account.edit``)
    /account Acme all                 the whole 360° file, paged (``account.file``)
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from domain.cadence import contact_status
from domain.goals import GoalMetric, period_bounds, progress, progress_bar
from domain.health import assess_health, policy_of
from domain.models import INACTIVE_STATUSES
from domain.risks import AccountSnapshot, DealSnapshot, Risk, assess
from handlers.auth import require_read
from handlers.commands.account import create, edit, file
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account, split_account
from handlers.paging import bounded
from handlers.parsing.text import fold
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from handlers.views import (
    clip,
    describe_risk,
    fmt_date,
    fmt_day,
    fmt_money,
    format_birthday,
    interaction_line,
    label,
    status_label,
    upcoming_birthdays,
)
from handlers.views.goals import metric_label
from handlers.views.health import health_lines
from handlers.views.team import team_line
from handlers.views.tiers import tier_label
from storage.health import HealthFacts, health_facts
from storage.summary import AccountFacts, account_facts, days_in_stage

BIRTHDAY_DAYS = 14
_MARKS = {"high": "●", "medium": "◐", "low": "○"}

SECTION_LINES = 5  # a section of the card; the full list is its own command
_ = Catalog("account")


class AccountQuery(BaseModel):
    command: str = "account"
    account: str


def parse_account(args: str, pctx: ParseContext) -> BaseModel:
    if create.is_new(args) and not _named(args, pctx):
        return create.parse_new(create.after_new_word(args), pctx)
    name, rest = split_account(args, pctx)
    if rest:
        word, more = _first_word(rest)
        if word in file.FILE_WORDS:
            return file.parse_file(name, more, pctx)
        if word in edit.SET_WORDS:
            return edit.parse_set(name, more, pctx)
        # `/account Acme owner @wang`: understood as a set, or refused with an example
        change = edit.parse_trailing(name, rest, pctx)
        if change is not None:
            return change
        name = f"{name} {rest}".strip()  # `/account Acme Corp`, unknown: kept whole
    return AccountQuery(account=name)


def _named(args: str, pctx: ParseContext) -> bool:
    """``New Horizons``: the words are an account's name, not ``new`` and a name."""
    name = args.strip()
    if pctx.find_account is not None and pctx.find_account(name) is not None:
        return True
    book = pctx.names
    if book is None or getattr(book, "cold", False):
        return False
    first = len(name.split(" ", 1)[0])
    return any(hit.start == 0 and hit.end > first for hit in book.find(name))


def _first_word(text: str) -> tuple[str, str]:
    word, _sep, more = text.strip().partition(" ")
    return fold(word).strip(), more.strip()


def account_writes(args: str) -> bool:
    """``/account new …`` and ``/account Acme set …`` change the book; a summary reads."""
    return create.is_new(args) or edit.mentions_set(args)


@command(
    name="account",
    aliases=("客户", "acct", "a"),
    parse=parse_account,
    writes=account_writes,
    slash=True,
)
def run_account(ctx: Context, cmd: BaseModel) -> Reply:
    if isinstance(cmd, create.AccountNew):
        return create.run_new(ctx, cmd)
    if isinstance(cmd, edit.AccountSet):
        return edit.run_set(ctx, cmd)
    if isinstance(cmd, file.AccountFile):
        return file.run_file(ctx, cmd)
    assert isinstance(cmd, AccountQuery)
    return run_summary(ctx, cmd)


def parse_new_account(args: str, pctx: ParseContext) -> BaseModel:
    """``/新客户 新星科技 …``: the words after ``/account new``."""
    if create.is_new(args):  # /新客户 新建 …
        args = create.after_new_word(args)
    return create.parse_new(args, pctx)


@command(
    name="newaccount",
    aliases=("新客户", "新建客户", "new-account"),
    parse=parse_new_account,
    writes=True,
)
def run_new_account(ctx: Context, cmd: create.AccountNew) -> Reply:
    return create.run_new(ctx, cmd)


def run_summary(ctx: Context, cmd: AccountQuery) -> Reply:
    account = resolve_account(ctx, cmd.account)
    require_read(ctx.session, ctx.actor, account, ctx.lang)
    facts = account_facts(
        ctx.session, account, year=ctx.now.year, tz=ctx.tz, fx_rates=ctx.settings.fx_rates
    )
    health = health_facts(
        ctx.session,
        account,
        now=ctx.now,
        settings=ctx.settings,
        tz=ctx.tz,
    )
    return AccountView(ctx, facts, health).reply()


@dataclass
class AccountView:
    ctx: Context
    facts: AccountFacts
    health: HealthFacts

    def reply(self) -> Reply:
        ctx, f, lang = self.ctx, self.facts, self.ctx.lang
        a = f.account
        today = ctx.now.date()
        status = contact_status(
            f.last_contact, a.effective_tier, ctx.now, ctx.settings.cadence, ctx.tz
        )
        goal_lines, goal_behind = self._goals()
        risks = assess(self._snapshot(status, goal_behind), ctx.settings.risks, today)
        health_risks = assess_health(self.health.signals, policy_of(ctx.settings))

        title = a.name + (f" ({' / '.join(f.aliases)})" if f.aliases else "")
        reply = Reply(title=title)
        tier = f"{a.effective_tier} {tier_label(a.effective_tier, lang)} · {a.score:.0f}"
        if a.tier_override:
            tier += _("override", lang, reason=a.tier_override_reason or "—")
        reply.fields.append(Field(_("tier", lang), tier))
        owner = f.owner_name + (f" · {f.team_name}" if f.team_name else "")
        reply.fields.append(Field(_("owner", lang), owner))
        if f.team:  # the account team (协同, ``/team``)
            reply.fields.append(Field(_("team", lang), team_line(f.team, lang)))
        reply.fields.append(Field(_("contact", lang), self._contact_text(status)))
        status_text = status_label(a.status, lang)
        if a.status in INACTIVE_STATUSES and a.status_reason:
            status_text += f" — {a.status_reason}"
        reply.fields.append(Field(_("status", lang), status_text))
        reply.lines.append(
            _(
                "dims",
                lang,
                c=f"{a.score_current:.0f}",
                p=f"{a.score_potential:.0f}",
                s=f"{a.score_strategic:.0f}",
                r=f"{a.score_relationship:.0f}",
            )
        )
        if a.snoozed_until and a.snoozed_until >= today:
            reply.lines.append(
                _(
                    "snoozed",
                    lang,
                    date=fmt_day(a.snoozed_until, lang),
                    reason=a.snooze_reason or "—",
                )
            )
        reply.add_section(_("recent", lang), self._recent() or [_("none_yet", lang)])
        deals_at = _("deals_command", lang, account=a.name)
        reply.add_section(_("deals", lang), bounded(self._deals(), SECTION_LINES, lang, deals_at))
        reply.add_section(_("goals", lang, year=ctx.now.year), goal_lines)
        reply.add_section(_("tasks", lang), self._tasks())
        reply.add_section(_("birthdays", lang), bounded(self._birthdays(), SECTION_LINES, lang))
        reply.add_section(_("health", lang), health_lines(self.health, lang, a.name))
        risks = sorted([*risks, *health_risks], key=lambda r: r.severity.rank)
        reply.add_section(_("risks", lang), [self._risk_line(r) for r in risks])
        visit = _("visit_command", lang, account=a.name)
        reply.actions.append(Action(_("log_visit", lang), visit, kind="modal"))
        if any(r.severity.value == "high" for r in risks):
            reply.severity = Severity.warning
        return reply

    def _contact_text(self, status) -> str:
        lang = self.ctx.lang
        if status.days_since is None:
            return _("never", lang, cadence=status.cadence)
        text = _("days_ago", lang, days=status.days_since, cadence=status.cadence)
        if status.lapsed:
            text += _("overdue", lang, n=status.overdue_days)
        return text

    def _recent(self) -> list[str]:
        lang, tz = self.ctx.lang, self.ctx.tz
        return [interaction_line(i, lang, tz) for i in self.facts.recent]

    def _deals(self) -> list[str]:
        lang, today, tz = self.ctx.lang, self.ctx.now.date(), self.ctx.tz
        return [
            _(
                "deal_line",
                lang,
                name=d.name,
                stage=label(d.stage, lang),
                amount=fmt_money(d.amount, d.currency, lang),
                close=fmt_day(d.close_date, lang),
                days=days_in_stage(d, today, tz),
            )
            for d in self.facts.open_deals
        ]

    def _goals(self) -> tuple[list[str], bool]:
        ctx, lang = self.ctx, self.ctx.lang
        goals = self.facts.goals
        if not goals:
            return [], False
        start, end = period_bounds(ctx.now.year)
        got = self.facts.actuals
        lines, behind = [], False
        for g in goals:
            metric = GoalMetric(g.metric)
            p = progress(g.target, got[g.id], start, end, ctx.now.date())
            behind |= p.status.value == "behind"
            if metric.is_money:
                nums = (
                    f"{fmt_money(p.actual, g.currency or ctx.settings.currency, lang)} / "
                    + fmt_money(p.target, g.currency or ctx.settings.currency, lang)
                )
            else:
                nums = f"{p.actual:.0f} / {p.target:.0f}"
            lines.append(f"{metric_label(metric, lang)} {progress_bar(p.percent)} · {nums}")
        return lines, behind

    def _tasks(self, limit: int = 3) -> list[str]:
        lang = self.ctx.lang
        tasks = self.facts.open_tasks
        out = [f"#{t.id} {clip(t.text, 60)} · {self._due(t)}" for t in tasks[:limit]]
        if len(tasks) > limit:
            out.append(_("more_tasks", lang, n=len(tasks) - limit))
        return out

    def _due(self, task) -> str:
        lang, tz, now = self.ctx.lang, self.ctx.tz, self.ctx.now
        if task.due_at is None:
            return _("no_due", lang)
        day = fmt_day(task.due_at, lang, tz)
        late = (now.date() - task.due_at.astimezone(tz).date()).days
        return (
            _("overdue_task", lang, days=late, date=day) if late > 0 else _("due", lang, date=day)
        )

    def _birthdays(self) -> list[str]:
        lang = self.ctx.lang
        return [
            f"{fmt_date(when, lang)} {c.name}"
            + (f" ({c.title})" if c.title else "")
            + f" · {format_birthday(b, lang)}"
            for when, c, b in upcoming_birthdays(
                self.facts.contacts, self.ctx.now.date(), BIRTHDAY_DAYS
            )
        ]

    def _snapshot(self, status, goal_behind: bool) -> AccountSnapshot:
        f, today, tz = self.facts, self.ctx.now.date(), self.ctx.tz
        overdue = sum(1 for t in f.open_tasks if t.due_at is not None and t.due_at < self.ctx.now)
        return AccountSnapshot(
            name=f.account.name,
            tier=f.account.effective_tier,
            status=f.account.status,
            contact=status,
            snoozed_until=f.account.snoozed_until,
            deals=[
                DealSnapshot(
                    d.name, d.stage, d.amount, d.currency, days_in_stage(d, today, tz), d.close_date
                )
                for d in f.open_deals
            ],
            overdue_tasks=overdue,
            contacts=len(f.contacts),
            has_decision_maker=any(c.role == "decision_maker" for c in f.contacts),
            goal_behind=goal_behind,
            oldest_complaint_days=self.health.oldest_complaint_days,
        )

    def _risk_line(self, risk: Risk) -> str:
        return f"{_MARKS[risk.severity.value]} {describe_risk(risk, self.ctx.lang)}"
