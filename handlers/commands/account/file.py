"""``/account Acme all`` (``/客户 华夏重工 全部`` / ``档案``): the whole 360° file, paged
for a phone.

    /account Acme all                 page 1: the profile, tier factors and the index
    /account Acme all 5               page 5 of the file (a section: here, the deals)
    /account Acme all deals           one section by name (``/客户 华夏重工 全部 商机``)
    /account Acme all deals 2         its second page (``page 2``, ``more``, ``第2页`` too)

Each section is a page of its own (``handlers.views.account_file.SECTIONS``); a long
one shows ``ROWS`` rows a page with the command for the next.  Nothing is remembered
between messages: the page is in the command.  Reading only, with ``/account``'s read
permission; every section reads one bounded page (``storage.account_file``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel

from domain.errors import InvalidInput
from domain.goals import period_bounds
from domain.models import Account
from handlers.auth import require_read
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account
from handlers.paging import Page, footer, page_of
from handlers.replies import Action, Reply, Severity
from handlers.views import account_file as view
from handlers.views.health import fmt_score
from storage import account_file as facts
from storage.account_file import FileCounts

FILE_WORDS = view.FILE_WORDS
ROWS = 10  # rows of a long section on one page
CHAIN_PEOPLE = 15  # people of the decision chain shown; the rest are in the contacts
LEFT_SHOWN = 5  # contacts who left, the latest
YEAR = timedelta(days=365)  # the interactions and CSAT average of "a year"

_ = Catalog("account.file")


class AccountFile(BaseModel):
    command: str = "account_file"
    account: str
    section: str | None = None  # one of ``view.SECTIONS``; None: ``page`` is the file's page
    page: int | None = None


def parse_file(name: str, rest: str, pctx: ParseContext) -> AccountFile:
    """``rest`` is what follows the file word: a section, a page, both or nothing."""
    ask = view.read_file_ask(rest)
    if ask.unknown is not None:
        lang = pctx.lang
        known = _("sep", lang).join(view.words(s, lang)[0] for s in view.SECTIONS)
        raise InvalidInput(
            _("unknown_section", lang, word=ask.unknown, sections=known,
              example=view.file_command(name, lang, "deals") + " 2")
        )  # fmt: skip
    return AccountFile(account=name, section=ask.section, page=ask.page)


def run_file(ctx: Context, cmd: AccountFile) -> Reply:
    account = resolve_account(ctx, cmd.account)
    require_read(ctx.session, ctx.actor, account, ctx.lang)
    counts = facts.file_counts(
        ctx.session,
        account,
        since=ctx.now - YEAR,
        today=ctx.now.date(),
        year=ctx.now.year,
    )
    if cmd.section is None:
        number = max(1, min(cmd.page or 1, len(view.SECTIONS)))
        section, page = view.SECTIONS[number - 1], None
    else:
        section, page = cmd.section, cmd.page
    sheet = _Sheet(ctx, account, counts, section)
    _PAGES[section](sheet, page)
    return sheet.finish()


@dataclass
class _Sheet:
    """One page of the file being built."""

    ctx: Context
    account: Account
    counts: FileCounts
    section: str

    def __post_init__(self) -> None:
        lang = self.ctx.lang
        self.reply = Reply(title=view.page_title(self.account.name, self.section, lang))
        self.more: Page | None = None

    @property
    def lang(self) -> str:
        return self.ctx.lang

    def page(self, number: int | None, size: int = ROWS) -> Page:
        total = self.counts.of(self.section) or 0
        self.more = page_of(total, number, size)
        return self.more

    def rows(self, lines: list[str], title: str | None = None) -> None:
        if lines:
            self.reply.add_section(title, lines)
        else:
            self.reply.lines.append(_("empty", self.lang))

    def finish(self) -> Reply:
        """The page's paging line, the way back to the index, and a button for the next
        section that holds something (with its count)."""
        lang, name, reply = self.lang, self.account.name, self.reply
        here = view.file_command(name, lang, self.section)
        bottom = []
        if self.more is not None:
            text = footer(self.more, lang, here)
            if text:
                bottom.append(text)
        after = view.SECTIONS[view.SECTIONS.index(self.section) + 1 :]
        following = next((s for s in after if self.counts.of(s)), None)
        if following is not None:
            number = view.SECTIONS.index(following) + 1
            command = f"{view.file_command(name, lang)} {number}"
            what = _("next_section", lang, section=view.title(following, lang),
                     count=view.count_text(following, self.counts, lang))  # fmt: skip
            reply.actions.append(Action(what, command.lstrip("/")))
        if self.section != "profile":
            bottom.append(_("to_index", lang, command=view.file_command(name, lang)))
        reply.footer = "\n".join(bottom) or None
        return reply


# --- the pages --------------------------------------------------------------------------


def _profile(s: _Sheet, _page: int | None) -> None:
    ctx, a, lang = s.ctx, s.account, s.lang
    if s.counts.aliases:
        s.reply.title = view.page_title(
            f"{a.name} ({' / '.join(s.counts.aliases)})", "profile", lang
        )
    s.reply.fields += view.profile_fields(a, s.counts, lang, ctx.tz, ctx.now.date())
    s.reply.add_section(_("contents", lang), view.index_lines(s.counts, lang))
    s.reply.add_section(_("factors", lang), view.factor_lines(a, lang, ctx.settings.currency))


def _chain(s: _Sheet, _page: int | None) -> None:
    ctx, lang = s.ctx, s.lang
    chain = facts.chain(ctx.session, s.account.id, size=CHAIN_PEOPLE, left=LEFT_SHOWN)
    gaps = view.chain_gaps(chain.by_role, chain.current)
    if gaps:
        s.reply.lines += [f"! {view.gap_text(g, lang)}" for g in gaps]
        s.reply.severity = Severity.warning
    lines = view.chain_lines(chain, lang)
    if chain.current > len(chain.people):
        where = view.file_command(s.account.name, lang, "contacts")
        lines.append(_("all_contacts", lang, n=chain.current, command=where))
    s.reply.add_section(None, lines)
    if chain.left:
        lines = [view.left_line(row, lang, ctx.tz) for row in chain.left]
        if s.counts.left > len(chain.left):
            where = view.file_command(s.account.name, lang, "contacts")
            lines.append(_("more_at", lang, n=s.counts.left - len(chain.left), where=where))
        s.reply.add_section(_("left_title", lang, n=s.counts.left), lines)


def _contacts(s: _Sheet, page: int | None) -> None:
    p = s.page(page)
    rows = facts.contacts(s.ctx.session, s.account.id, offset=p.offset, size=p.size)
    s.rows([view.contact_line(r, s.lang, s.ctx.tz) for r in rows])


def _interactions(s: _Sheet, page: int | None) -> None:
    ctx = s.ctx
    p = s.page(page)
    rows = facts.interactions(
        ctx.session, s.account.id, since=ctx.now - YEAR, offset=p.offset, size=p.size
    )
    s.rows([view.interaction_line(i, s.lang, ctx.tz) for i in rows])


def _deals(s: _Sheet, page: int | None) -> None:
    ctx, lang = s.ctx, s.lang
    p = s.page(page)
    if p.number == 1 and p.total:
        s.reply.lines += view.deal_totals_lines(facts.deal_totals(ctx.session, s.account.id), lang)
    rows = facts.deals(ctx.session, s.account.id, offset=p.offset, size=p.size)
    s.rows([view.deal_line(r, lang, ctx.now.date(), ctx.tz) for r in rows])


def _receivables(s: _Sheet, page: int | None) -> None:
    ctx, lang, today = s.ctx, s.lang, s.ctx.now.date()
    p = s.page(page)
    owed = facts.owed(ctx.session, s.account.id, today=today) if p.number == 1 else None
    if owed is not None and (owed.open or owed.credit):
        s.reply.fields += view.owed_fields(
            owed, s.account.credit_limit, lang, today,
            house=ctx.settings.currency, rates=ctx.settings.fx_rates,
        )  # fmt: skip
    rows = facts.open_invoices(ctx.session, s.account.id, offset=p.offset, size=p.size)
    s.rows([view.invoice_line(r, lang, today) for r in rows], _("open_invoices", lang))
    if s.counts.invoices_overdue:
        s.reply.severity = Severity.warning


def _payments(s: _Sheet, page: int | None) -> None:
    p = s.page(page)
    rows = facts.payments(s.ctx.session, s.account.id, offset=p.offset, size=p.size)
    s.rows([view.payment_line(r, s.lang) for r in rows])


def _csat(s: _Sheet, page: int | None) -> None:
    lang, c = s.lang, s.counts
    p = s.page(page)
    if c.csat_average is not None:
        s.reply.lines.append(_("csat_year", lang, avg=fmt_score(c.csat_average), n=c.csat_year))
    rows = facts.csat(s.ctx.session, s.account.id, offset=p.offset, size=p.size)
    s.rows([view.csat_line(r, lang, s.ctx.tz) for r in rows])


def _complaints(s: _Sheet, page: int | None) -> None:
    ctx = s.ctx
    p = s.page(page)
    rows = facts.complaints(ctx.session, s.account.id, offset=p.offset, size=p.size)
    s.rows([view.complaint_line(r, s.lang, ctx.now.date(), ctx.tz) for r in rows])
    if s.counts.complaints_open:
        s.reply.severity = Severity.warning


def _goals(s: _Sheet, _page: int | None) -> None:
    ctx = s.ctx
    start, end = period_bounds(ctx.now.year)
    found = facts.goals(
        ctx.session, s.account.id, year=ctx.now.year, start=start, end=end, tz=ctx.tz,
        fx_rates=ctx.settings.fx_rates,
    )  # fmt: skip
    s.rows(view.goal_lines(found, s.lang, ctx.now.date(), ctx.settings.currency),
           _("goals_year", s.lang, year=ctx.now.year))  # fmt: skip


def _tasks(s: _Sheet, page: int | None) -> None:
    ctx = s.ctx
    p = s.page(page)
    rows = facts.tasks(ctx.session, s.account.id, offset=p.offset, size=p.size)
    s.rows([view.task_line(r, s.lang, ctx.now, ctx.tz) for r in rows])


def _reminders(s: _Sheet, page: int | None) -> None:
    p = s.page(page)
    rows = facts.reminders(s.ctx.session, s.account.id, offset=p.offset, size=p.size)
    s.rows([view.reminder_line(r, s.lang) for r in rows])


def _team(s: _Sheet, page: int | None) -> None:
    p = s.page(page)
    s.reply.lines.append(view.owner_line(s.counts, s.lang))
    rows = facts.members(s.ctx.session, s.account.id, offset=p.offset, size=p.size)
    if rows:
        s.reply.add_section(None, [view.member_line(r, s.lang, s.ctx.tz) for r in rows])
    else:
        s.reply.lines.append(_("no_members", s.lang))


def _changes(s: _Sheet, page: int | None) -> None:
    p = s.page(page)
    groups = facts.changes(s.ctx.session, s.account.id, offset=p.offset, size=p.size)
    s.rows([view.change_line(g, s.account, s.lang, s.ctx.tz) for g in groups])


_PAGES: dict[str, Callable[[_Sheet, int | None], None]] = {
    "profile": _profile,
    "chain": _chain,
    "contacts": _contacts,
    "interactions": _interactions,
    "deals": _deals,
    "receivables": _receivables,
    "payments": _payments,
    "csat": _csat,
    "complaints": _complaints,
    "goals": _goals,
    "tasks": _tasks,
    "reminders": _reminders,
    "team": _team,
    "changes": _changes,
}
