"""What needs attention, worded: lapsed accounts, and the risk digest of a team.

Shared by the scheduled pushes (``schedules.jobs``), ``/mine`` and ``/risks``, so the
chat answer and the morning message never disagree.

The risk digest of a team lists, grouped by severity, what the domain rules
(``domain.risks``) find on the team's accounts — lapsed or never-contacted A-tier
accounts, deals stalled in a stage or past their close date, overdue next steps, A-tier
accounts with too few contacts or no decision maker, accounts marked at risk,
complaints open longer than allowed — plus the goals behind pace.  Who may see what:

* the **group** digest (the team's chat) shows what every member of the team may read
  anyway: the team's accounts (``handlers.auth``) and the team's own goals;
* the **private** part — each rep's personal goals behind pace — goes only to the
  team's managers (and to them and admins through ``/risks``).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session

from domain.cadence import ContactStatus, contact_status
from domain.goals import GoalMetric, GoalProgress, PaceStatus, period_bounds, progress, progress_bar
from domain.health import ZERO, assess_health, policy_of
from domain.models import Goal, Team
from domain.policy import Policy
from domain.risks import AccountSnapshot, DealSnapshot, Risk, Severity, assess
from handlers.i18n import Catalog
from handlers.paging import Page, paged
from handlers.replies import Action, Reply
from handlers.replies import Severity as ReplySeverity
from handlers.views import describe_risk, fmt_date, fmt_money
from handlers.views.goals import metric_label
from storage import queries
from storage.digest import Exposure, Snapshot, briefs, exposures, latest_snapshot
from storage.goals import actuals
from storage.health import health_signals
from storage.queries import AccountRow, DealRow, IdRange, People

_ = Catalog("digest")

DIGEST_CODES = {
    "at_risk": "k_at_risk",
    "complaint_open": "k_complaint",
    "lapsed": "k_lapsed",
    "never_contacted": "k_lapsed",
    "deal_stalled": "k_stalled",
    "deal_overdue": "k_deal_overdue",
    "tasks_overdue": "k_tasks",
    "thin_coverage": "k_coverage",
    "no_decision_maker": "k_no_dm",
    "goal_behind": "k_goals",
    "csat_low": "k_csat",
    "csat_drop": "k_csat",
    "receivables_overdue": "k_receivables",
    "credit_limit_exceeded": "k_receivables",
}
"""Risk codes the digest reports (lapsed and never contacted for A tier only), and the
label each is counted under."""

_A_TIER_ONLY = {"lapsed", "never_contacted"}


# --- lapsed accounts ----------------------------------------------------------------


@dataclass(frozen=True)
class LapsedAccount:
    account: AccountRow
    status: ContactStatus

    @property
    def planned(self) -> bool:
        """An open next step is due from now on: someone means to act."""
        return self.account.next_planned is not None


def find_lapsed(
    rows: Iterable[AccountRow],
    *,
    settings: Policy,
    now: datetime,
    tz_of: Callable[[AccountRow], ZoneInfo],
) -> list[LapsedAccount]:
    """The rows past their tier's cadence (not snoozed), most urgent first.

    Days are counted in ``tz_of(row)``, the time zone of whoever is told.  A snooze
    holds through its last day.
    """
    out = []
    for row in rows:
        tz = tz_of(row)
        if row.snoozed_until is not None and row.snoozed_until >= now.astimezone(tz).date():
            continue
        status = contact_status(row.last_contact, row.tier, now, settings.cadence, tz)
        if status.lapsed:
            out.append(LapsedAccount(row, status))
    return urgency_order(out)


def urgency_order(items: Iterable[LapsedAccount]) -> list[LapsedAccount]:
    """Nothing planned before planned; then most overdue first; then by name."""
    return sorted(
        items, key=lambda i: (i.planned, -i.status.overdue_days, i.account.name.casefold())
    )


def lapsed_line(item: LapsedAccount, lang: str, tz: ZoneInfo) -> str:
    a, s = item.account, item.status
    if s.days_since is None:
        line = _("never", lang, name=a.name, tier=a.tier, cadence=s.cadence)
    else:
        line = _(
            "lapsed",
            lang,
            name=a.name,
            tier=a.tier,
            days=s.days_since,
            cadence=s.cadence,
            overdue=s.overdue_days,
        )
    if a.next_planned is not None:
        line += _(
            "planned", lang, date=fmt_date(a.next_planned, lang, tz), text=a.planned_text or "—"
        )
    return line


def log_visit(account_name: str, lang: str) -> Action:
    """The one-tap button: a form prefilled with ``/visit ACCOUNT``."""
    return Action(_("log_visit", lang, name=account_name), f"visit {account_name} ", kind="modal")


# --- deal rules alone ---------------------------------------------------------------


_NEUTRAL_CONTACT = ContactStatus(
    days_since=0, cadence=1, overdue_days=0, lapsed=False, escalate=False, due_in=1
)


def deal_snapshot(deal: DealRow, today: date, tz: ZoneInfo) -> DealSnapshot:
    days = max((today - deal.stage_changed_at.astimezone(tz).date()).days, 0)
    return DealSnapshot(deal.name, deal.stage, deal.amount, deal.currency, days, deal.close_date)


def deal_risks(deal: DealRow, settings: Policy, today: date, tz: ZoneInfo) -> list[Risk]:
    """What the deal rules of ``domain.risks`` say about one deal, on its own."""
    snapshot = AccountSnapshot(
        name=deal.account_name,
        tier="C",
        status="active",
        contact=_NEUTRAL_CONTACT,
        deals=[deal_snapshot(deal, today, tz)],
        has_decision_maker=True,
        contacts=settings.risks.min_contacts_a,
    )
    return assess(snapshot, settings.risks, today)


# --- goals --------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalStatus:
    goal: Goal
    who: str
    progress: GoalProgress

    @property
    def behind(self) -> bool:
        return self.progress.status is PaceStatus.BEHIND


def goal_statuses(
    session: Session,
    rows: list[tuple[Goal, str | None, int | None]],
    *,
    people: People,
    settings: Policy,
    today: date,
) -> list[GoalStatus]:
    """Progress of each goal over its year as of ``today`` (actuals set-based)."""
    goals = [g for g, _, _ in rows]
    if not goals:
        return []
    year = goals[0].year
    start, end = period_bounds(year)
    got = actuals(session, goals, start=start, end=end, tz=settings.tz, fx_rates=settings.fx_rates)
    out = []
    for goal, account_name, _owner in rows:
        if goal.scope == "user":
            who = people.name(goal.user_id)
        elif goal.scope == "team":
            team = people.teams.get(goal.team_id)
            who = team.name if team else "—"
        else:
            who = account_name or "—"
        quantum = GoalMetric(goal.metric).quantum
        p = progress(goal.target, got.get(goal.id, 0), start, end, today, quantum=quantum)
        out.append(GoalStatus(goal, who, p))
    return out


def goal_line(gs: GoalStatus, lang: str, settings: Policy, *, who: bool = True) -> str:
    """``Alice Chen · won revenue ███░░ 30% · ¥3M / ¥10M · expected 88%``."""
    metric = GoalMetric(gs.goal.metric)
    p = gs.progress
    if metric.is_money:
        currency = gs.goal.currency or settings.currency
        nums = f"{fmt_money(p.actual, currency, lang)} / {fmt_money(p.target, currency, lang)}"
    else:
        nums = f"{p.actual:.0f} / {p.target:.0f}"
    line = _(
        "goal_line",
        lang,
        metric=metric_label(metric, lang),
        bar=progress_bar(p.percent),
        nums=nums,
        expected=f"{p.expected_percent:.0f}",
    )
    return f"{gs.who} · {line}" if who else line


# --- the risk digest ----------------------------------------------------------------


BATCH = 2000
"""Accounts read per page of the book while gathering a digest: what a digest holds
follows this and the lines it shows, never the size of the book."""

SHOWN = 3
"""Accounts named per kind, and per change, in a digest."""

MAX_LINES = 15
"""Lines of a team digest (title included): it fits a phone."""

KINDS = tuple(dict.fromkeys(DIGEST_CODES.values()))
ALL = "all"
"""The pseudo-kind of every account with a risk (``/risks East all``)."""

KIND_WORDS: dict[str, tuple[str, ...]] = {
    "k_at_risk": ("atrisk", "at-risk", "marked", "标记"),
    "k_complaint": ("complaints", "complaint", "投诉"),
    "k_lapsed": ("lapsed", "lapse", "失联"),
    "k_stalled": ("stalled", "stall", "停滞"),
    "k_deal_overdue": ("overdue", "late", "逾期"),
    "k_tasks": ("tasks", "steps", "待办"),
    "k_coverage": ("coverage", "contacts", "联系人"),
    "k_no_dm": ("dm", "decision", "决策人"),
    "k_goals": ("goals", "目标"),
    "k_csat": ("csat", "unhappy", "满意度"),
    "k_receivables": ("receivables", "ar", "应收"),
    ALL: ("all", "全部"),
}
"""What ``/risks TEAM KIND`` understands for each kind (the first word is the one the
digest points to in English; the last in Chinese)."""

PIPELINE_KINDS = frozenset({"k_lapsed", "k_stalled", "k_deal_overdue", "k_at_risk"})
"""Kinds that put an account's open pipeline at risk (overdue receivables always are)."""


def kind_of_word(word: str) -> str | None:
    w = word.strip().casefold()
    for kind, words in KIND_WORDS.items():
        if w in words:
            return kind
    return None


def kind_word(kind: str, lang: str) -> str:
    """The word ``/risks`` understands for ``kind``, in ``lang``."""
    return _(f"w_{kind}", lang)


@dataclass
class AccountRisks:
    """An account as the domain rules judge it: its digest risks."""

    account: AccountRow
    owner: str
    risks: list[Risk]


@dataclass(frozen=True)
class Entry:
    """One account with digest risks: its codes, the kinds they count under, its money."""

    id: int
    name: str
    owner_id: int
    tier: str
    codes: frozenset[str]
    new: frozenset[str]  # the kinds it was not in at the last digest (all: first digest)
    pipeline: Decimal = ZERO
    overdue: Decimal = ZERO

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(DIGEST_CODES[c] for c in self.codes)

    @property
    def value(self) -> Decimal:
        """What ranks it: its open pipeline and overdue receivables."""
        return self.pipeline + self.overdue

    @property
    def at_risk(self) -> Decimal:
        """The money its risks put at risk."""
        money = self.pipeline if self.kinds & PIPELINE_KINDS else ZERO
        return money + (self.overdue if "k_receivables" in self.kinds else ZERO)


def _rank(entry: Entry) -> tuple:
    return (-entry.value, entry.name.casefold(), entry.id)


@dataclass
class KindGroup:
    """The accounts of one kind: how many, how many new, their money at risk, and the
    first ``limit`` of them by value (then name)."""

    count: int = 0
    new: int = 0
    money: Decimal = ZERO
    top: list[tuple[tuple, Entry]] = field(default_factory=list)

    def add(self, entry: Entry, money: Decimal, new: bool, limit: int | None) -> None:
        self.count += 1
        self.new += new
        self.money += money
        self.top.append((_rank(entry), entry))
        if limit is not None and len(self.top) > 2 * limit + 16:
            self.top = heapq.nsmallest(limit, self.top, key=lambda t: t[0])

    def first(self, limit: int | None) -> list[Entry]:
        ordered = sorted(self.top, key=lambda t: t[0])
        return [e for _k, e in (ordered if limit is None else ordered[:limit])]


@dataclass(frozen=True)
class Moved:
    name: str
    before: str
    after: str
    value: Decimal


@dataclass
class TeamRisks:
    """One team's digest: every account with a risk counted per kind, the first
    ``limit`` of each kind by value kept, and what changed since the last digest
    (``previous``).  ``marks``/``tiers``/``values`` are what the next digest compares
    against (``snapshot``): the accounts with risks only."""

    team: Team
    team_goals: list[GoalStatus] = field(default_factory=list)
    member_goals: list[GoalStatus] = field(default_factory=list)
    limit: int | None = SHOWN
    previous: Snapshot | None = None
    flagged: int = 0
    high: int = 0
    money: Decimal = ZERO
    kinds: dict[str, KindGroup] = field(default_factory=dict)
    new: KindGroup = field(default_factory=KindGroup)
    cleared: KindGroup = field(default_factory=KindGroup)
    cleared_kinds: dict[int, frozenset[str]] = field(default_factory=dict)
    moved: list[Moved] = field(default_factory=list)
    moved_count: int = 0
    marks: dict[int, frozenset[str]] = field(default_factory=dict)
    tiers: dict[int, str] = field(default_factory=dict)
    values: dict[int, Decimal] = field(default_factory=dict)

    def is_empty(self, *, private: bool) -> bool:
        return not (
            self.flagged
            or self.team_goals
            or (private and self.member_goals)
            or self.cleared.count
            or self.moved_count
        )

    @property
    def first_digest(self) -> bool:
        return self.previous is None

    def add(self, entry: Entry, high: bool) -> None:
        self.flagged += 1
        self.high += high
        self.money += entry.at_risk
        self.marks[entry.id] = entry.codes
        self.tiers[entry.id] = entry.tier
        if entry.value:
            self.values[entry.id] = entry.value
        for kind in entry.kinds:
            if kind in PIPELINE_KINDS:
                money = entry.pipeline
            elif kind == "k_receivables":
                money = entry.overdue
            else:
                money = ZERO
            group = self.kinds.setdefault(kind, KindGroup())
            group.add(entry, money, kind in entry.new, self.limit)
        self.kinds.setdefault(ALL, KindGroup()).add(
            entry, entry.at_risk, bool(entry.new), self.limit
        )
        if entry.new and not self.first_digest:
            self.new.add(entry, entry.at_risk, True, self.limit)

    def snapshot(self) -> dict:
        """What ``storage.digest.save_snapshot`` keeps of this digest."""
        return {"marks": self.marks, "tiers": self.tiers, "values": self.values}

    def ordered_kinds(self) -> list[tuple[str, KindGroup]]:
        """The kinds found, most money first, then most accounts."""
        found = [(k, self.kinds[k]) for k in KINDS if k in self.kinds]
        return sorted(found, key=lambda kg: (-kg[1].money, -kg[1].count, KINDS.index(kg[0])))


def _needs_attention(tier: str, status: str, looked_at: bool) -> bool:
    """Whether some rule of the digest looks at the account: A tier, marked at risk, or
    ``looked_at`` (an overdue step, a deal at risk, a goal of its own, an open complaint).
    Only these accounts are judged, so health risks alone do not bring an account in."""
    return tier == "A" or status == "at_risk" or looked_at


def _reported(code: str, tier: str) -> bool:
    """Whether the digest reports a risk (lapsed and never contacted for A tier only)."""
    return code in DIGEST_CODES and (code not in _A_TIER_ONLY or tier == "A")


def _digest_risks(risks: Iterable[Risk], tier: str) -> list[Risk]:
    """The risks the digest reports."""
    return [r for r in risks if _reported(r.code, tier)]


@dataclass(frozen=True)
class _Goals:
    behind: frozenset[int]  # accounts with a goal of their own behind pace
    own: frozenset[int]  # accounts with a goal of their own this year


def _new_kinds(codes: frozenset[str], before: frozenset[str] | None) -> frozenset[str]:
    kinds = frozenset(DIGEST_CODES[c] for c in codes)
    if before is None:
        return kinds
    return kinds - {DIGEST_CODES[c] for c in before if c in DIGEST_CODES}


def gather_risks(
    session: Session,
    *,
    settings: Policy,
    now: datetime,
    team_ids: Collection[int],
    limit: int | None = SHOWN,
    batch: int | None = None,
    today: date | None = None,
) -> list[TeamRisks]:
    """The digest of each team in ``team_ids`` (by team name), compared with each team's
    last digest before ``today`` (``storage.digest.latest_snapshot``).

    The book is classified in SQL a page of ``batch`` (``BATCH``) accounts at a time
    (``queries.risk_marks``); the money of each page's accounts with risks comes from
    two grouped statements (``storage.digest.exposures``).  Each team counts every
    account per kind and keeps the first ``limit`` of each kind by value (None: all).
    The statements grow with the pages, memory with the accounts that have risks.
    """
    tz = settings.tz
    today = today or now.astimezone(tz).date()
    team_ids = sorted(set(team_ids))
    people = queries.people(session)
    members = [u.id for u in people.users.values() if u.team_id in team_ids]
    goal_rows = queries.goals_of_year(session, today.year, user_ids=members, team_ids=team_ids)
    goals = goal_statuses(session, goal_rows, people=people, settings=settings, today=today)
    own_goals = frozenset(g.account_id for g, _n, _o in goal_rows if g.account_id is not None)

    by_team = {
        t: TeamRisks(
            people.teams[t], limit=limit, previous=latest_snapshot(session, t, before=today)
        )
        for t in team_ids
        if t in people.teams
    }
    behind_accounts: set[int] = set()
    for gs in goals:
        if not gs.behind:
            continue
        g = gs.goal
        if g.scope == "account":
            behind_accounts.add(g.account_id)
        elif g.scope == "team" and g.team_id in by_team:
            by_team[g.team_id].team_goals.append(gs)
        elif g.scope == "user":
            user = people.users.get(g.user_id)
            if user is not None and user.team_id in by_team:
                by_team[user.team_id].member_goals.append(gs)
    goal_sets = _Goals(frozenset(behind_accounts), own_goals)

    size = BATCH if batch is None else batch
    for page in classify_pages(
        session, settings=settings, now=now, team_ids=team_ids, goals=goal_sets, size=size
    ):
        money = exposures(
            session,
            [row.id for row, _m in page],
            today=today,
            house=settings.currency,
            rates=settings.fx_rates,
        )
        for row, marks in page:
            team = by_team.get(row.team_id)
            if team is None:
                continue
            codes = frozenset(c for c, _s in marks)
            before = None if team.previous is None else team.previous.marks.get(row.id, frozenset())
            exposure = money.get(row.id, Exposure())
            entry = Entry(
                row.id,
                row.name,
                row.owner_id,
                row.tier,
                codes,
                _new_kinds(codes, before),
                exposure.pipeline,
                exposure.overdue,
            )
            team.add(entry, any(s is Severity.HIGH for _c, s in marks))
    for team in by_team.values():
        _compare(session, team, size=size)
    return sorted(by_team.values(), key=lambda t: t.team.name)


def _compare(session: Session, team: TeamRisks, *, size: int) -> None:
    """What cleared and which accounts moved tier since the team's last digest: the
    accounts of the last snapshot only (their names and tiers read ``size`` at a time)."""
    previous = team.previous
    if previous is None:
        return
    cleared: dict[int, frozenset[str]] = {}
    for account_id, codes in previous.marks.items():
        then = {DIGEST_CODES[c] for c in codes if c in DIGEST_CODES}
        still = {DIGEST_CODES[c] for c in team.marks.get(account_id, ())}
        if then - still:
            cleared[account_id] = frozenset(then - still)
    unknown = {i for i, t in previous.tiers.items() if team.tiers.get(i, "") != t}
    current = briefs(session, cleared.keys() | unknown, size=size)
    for account_id, kinds in cleared.items():
        brief = current.get(account_id)
        if brief is None:  # deleted since
            continue
        value = previous.values.get(account_id, ZERO)
        entry = Entry(account_id, brief.name, 0, brief.tier, frozenset(), frozenset(), value)
        team.cleared.add(entry, ZERO, False, team.limit)
        team.cleared_kinds[account_id] = kinds
    moved: list[Moved] = []
    for account_id, tier_then in previous.tiers.items():
        brief = current.get(account_id)
        tier_now = team.tiers.get(account_id) or (brief.tier if brief else None)
        if tier_now is None or tier_now == tier_then:
            continue
        team.moved_count += 1
        name = brief.name if brief else f"#{account_id}"
        value = team.values.get(account_id, previous.values.get(account_id, ZERO))
        moved.append(Moved(name, tier_then, tier_now, value))
        moved = sorted(moved, key=lambda m: (-m.value, m.name.casefold()))[:SHOWN]
    team.moved = moved


def classify_pages(
    session: Session,
    *,
    settings: Policy,
    now: datetime,
    team_ids: Collection[int],
    goals: _Goals,
    size: int,
) -> Iterable[list[tuple[queries.RiskMarks, list[tuple[str, Severity]]]]]:
    """A page at a time: each account of the teams the digest reports on, with the
    ``(code, severity)`` of its digest risks, as SQL finds them
    (``queries.risk_marks``); accounts without any are left out."""
    for page in queries.risk_marks(
        session, now=now, settings=settings, tz=settings.tz, team_ids=team_ids, size=size
    ):
        out = []
        for row in page:
            if not _needs_attention(row.tier, row.status, row.looked_at or row.id in goals.own):
                continue
            marks = [(c, Severity(s)) for c, s in row.marks]
            if row.id in goals.behind:
                marks.append(("goal_behind", Severity.MEDIUM))
            marks = [(c, s) for c, s in marks if _reported(c, row.tier)]
            if marks:
                out.append((row, marks))
        yield out


def classify_accounts(
    session: Session,
    *,
    settings: Policy,
    now: datetime,
    team_ids: Collection[int],
    goals: _Goals,
    size: int,
) -> Iterable[tuple[queries.RiskMarks, list[tuple[str, Severity]]]]:
    """Each account of the teams the digest reports on, with the ``(code, severity)``
    of its digest risks, as SQL finds them (``queries.risk_marks``); accounts without
    any are left out."""
    for page in classify_pages(
        session, settings=settings, now=now, team_ids=team_ids, goals=goals, size=size
    ):
        yield from page


def judge_accounts(
    session: Session,
    *,
    settings: Policy,
    now: datetime,
    team_ids: Collection[int],
    goals: _Goals,
    accounts: IdRange | frozenset[int],
    people: People,
) -> list[AccountRisks]:
    """The digest risks of ``accounts`` (a page ``(first, last)`` or a set of ids) as
    the domain rules (``domain.risks.assess``, ``domain.health.assess_health``) judge
    them; accounts the digest does not look at, or without risks, are left out.
    Seven statements."""
    tz = settings.tz
    today = now.astimezone(tz).date()
    limits = settings.risks.stalled_days.values()
    stalled_before = now - timedelta(days=min(limits, default=0))
    rows = queries.account_rows(
        session, now=now, team_ids=team_ids, id_range=accounts, planned_steps=False
    )
    deals: dict[int, list[DealRow]] = {}
    for deal in queries.deals_at_risk(
        session,
        stalled_before=stalled_before,
        closing_before=today,
        team_ids=team_ids,
        id_range=accounts,
    ):
        deals.setdefault(deal.account_id, []).append(deal)
    overdue = queries.overdue_task_counts(session, now=now, team_ids=team_ids, id_range=accounts)
    complaints = queries.oldest_open_complaints(session, team_ids=team_ids, id_range=accounts)
    found = goals.own | overdue.keys() | deals.keys() | complaints.keys()
    rows = [r for r in rows if _needs_attention(r.tier, r.status, r.id in found)]
    if not rows:
        return []
    if isinstance(accounts, tuple):
        health = health_signals(
            session, now=now, settings=settings, tz=tz, team_ids=team_ids, id_range=accounts
        )
    else:
        health = health_signals(
            session, now=now, settings=settings, tz=tz, team_ids=team_ids, account_ids=accounts
        )
    cover = queries.coverage(session, team_ids=team_ids, id_range=accounts)
    health_policy = policy_of(settings)
    out = []
    for row in rows:
        contacts, has_dm = cover.get(row.id, (0, False))
        snapshot = AccountSnapshot(
            name=row.name,
            tier=row.tier,
            status=row.status,
            contact=contact_status(row.last_contact, row.tier, now, settings.cadence, tz),
            snoozed_until=row.snoozed_until,
            deals=[deal_snapshot(d, today, tz) for d in deals.get(row.id, [])],
            overdue_tasks=overdue.get(row.id, 0),
            contacts=contacts,
            has_decision_maker=has_dm,
            goal_behind=row.id in goals.behind,
            oldest_complaint_days=(
                (today - complaints[row.id].astimezone(tz).date()).days
                if row.id in complaints
                else None
            ),
        )
        found_risks = assess(snapshot, settings.risks, today)
        if row.id in health:
            found_risks += assess_health(health[row.id], health_policy)
        risks = _digest_risks(found_risks, row.tier)
        if risks:
            out.append(AccountRisks(row, people.name(row.owner_id), risks))
    return out


def private_title(teams: list[TeamRisks], lang: str, today: date) -> str:
    names = ", ".join(t.team.name for t in teams)
    return _("private_title", lang, teams=names, date=fmt_date(today, lang))


def _money(amount: Decimal, settings: Policy, lang: str) -> str:
    return fmt_money(amount, settings.currency, lang)


def _named(entries: list[Entry], settings: Policy, lang: str, kind: str = ALL) -> str:
    """``Acme ¥6.2M, Stark, …``: names, with the money ``kind`` puts at risk on each
    (overdue receivables, open pipeline) or, for other kinds, its value."""

    def money(e: Entry) -> Decimal:
        if kind == "k_receivables":
            return e.overdue
        return e.pipeline if kind in PIPELINE_KINDS else e.value

    parts = [
        f"{e.name} {_money(money(e), settings, lang)}" if money(e) else e.name for e in entries
    ]
    return _("list_joiner", lang).join(parts)


def _kind_names(kinds: Iterable[str], lang: str) -> str:
    return _("list_joiner", lang).join(_(k, lang) for k in KINDS if k in set(kinds))


def _changes(team: TeamRisks, lang: str, settings: Policy, *, pushed: bool) -> list[str]:
    """What changed since the team's last digest, in at most ``SHOWN + 3`` lines (the
    first pushed digest says so; ``/risks`` before any digest says nothing)."""
    if team.previous is None:
        return [_("first_digest", lang)] if team.flagged and pushed else []
    since = fmt_date(team.previous.day, lang)
    if not (team.new.count or team.cleared.count or team.moved_count):
        return [_("nothing_new", lang, date=since)]
    parts = []
    if team.new.count:
        parts.append(_("n_new", lang, n=team.new.count))
    if team.cleared.count:
        parts.append(_("n_cleared", lang, n=team.cleared.count))
    if team.moved_count:
        parts.append(_("n_moved", lang, n=team.moved_count))
    out = [_("since", lang, date=since, changes=" · ".join(parts))]
    for e in team.new.first(SHOWN):
        money = f" {_money(e.value, settings, lang)}" if e.value else ""
        out.append(_("new_line", lang, name=e.name, money=money, kinds=_kind_names(e.new, lang)))
    if team.cleared.count:
        shown = team.cleared.first(SHOWN)
        names = _("list_joiner", lang).join(
            f"{e.name} ({_kind_names(team.cleared_kinds[e.id], lang)})" for e in shown
        )
        rest = team.cleared.count - len(shown)
        out.append(_("cleared_line", lang, names=names) + (_("plus", lang, n=rest) if rest else ""))
    if team.moved:
        names = _("list_joiner", lang).join(f"{m.name} {m.before}→{m.after}" for m in team.moved)
        rest = team.moved_count - len(team.moved)
        out.append(_("moved_line", lang, names=names) + (_("plus", lang, n=rest) if rest else ""))
    return out


def _kind_line(kind: str, group: KindGroup, team: TeamRisks, lang: str, settings: Policy) -> str:
    head = f"{_(kind, lang)} {group.count}"
    if group.new and not team.first_digest:
        head += _("kind_new", lang, n=group.new)
    if group.money:
        head += f" · {_money(group.money, settings, lang)}"
    shown = group.first(SHOWN)
    names = _named(shown, settings, lang, kind)
    if group.count > len(shown):
        names += _("list_joiner", lang) + "…"
    return _("kind_line", lang, head=head, names=names)


def team_lines(
    team: TeamRisks,
    *,
    lang: str,
    settings: Policy,
    budget: int,
    command: str,
    pushed: bool = True,
) -> list[str]:
    """A team's digest in at most ``budget`` lines: what changed, then the standing
    risks as counts per kind with the first few by value, then where the details are."""
    out = _changes(team, lang, settings, pushed=pushed)
    if team.flagged and team.money:
        out.append(_("standing", lang, n=team.flagged, money=_money(team.money, settings, lang)))
    elif team.flagged:
        out.append(_("standing_count", lang, n=team.flagged))
    kinds = [_kind_line(k, g, team, lang, settings) for k, g in team.ordered_kinds() if k != ALL]
    goals = [_("team_goal_line", lang, goal=goal_line(g, lang, settings)) for g in team.team_goals]
    body = kinds + goals
    room = budget - len(out) - 1  # the last line says where the details are
    if len(body) > room:
        keep = max(room - 1, 0)
        rest = [(k, g) for k, g in team.ordered_kinds() if k != ALL][keep:]
        also = [f"{_(k, lang)} {g.count}" for k, g in rest[: max(0, len(kinds) - keep)]]
        hidden_goals = len(goals) - max(keep - len(kinds), 0)
        if hidden_goals > 0:
            also.append(f"{_('k_goals', lang)} {hidden_goals}")
        body = [*body[:keep], _("also", lang, kinds=" · ".join(also))]
    out += body
    if team.flagged:
        example = next((k for k, _g in team.ordered_kinds() if k != ALL), ALL)
        out.append(
            _(
                "details",
                lang,
                example=f"{command} {team.team.name} {kind_word(example, lang)}",
                all=f"{command} {team.team.name} {kind_word(ALL, lang)}",
            )
        )
    return out[:budget]


def digest_reply(
    teams: list[TeamRisks],
    *,
    lang: str,
    today: date,
    settings: Policy,
    private_teams: Collection[int] = (),
    pushed: bool = True,
    title: str | None = None,
    max_lines: int = MAX_LINES,
) -> Reply:
    """The digest of one or more teams as a reply: per team at most ``max_lines`` lines
    (title included) of account risks and team goals, then — for ``private_teams``, the
    teams the reader manages — their reps' goals behind pace, a few lines."""
    names = ", ".join(t.team.name for t in teams) or "—"
    key = "digest_title" if pushed else "risks_title"
    reply = Reply(title=title or _(key, lang, teams=names, date=fmt_date(today, lang)))
    command = _("command", lang)
    many = len(teams) > 1
    high = 0
    for team in teams:
        private = team.team.id in private_teams
        if team.is_empty(private=private):
            continue
        high += team.high
        if team.flagged or team.team_goals or team.cleared.count or team.moved_count:
            budget = max_lines - (0 if many else 1)
            lines = team_lines(
                team, lang=lang, settings=settings, budget=budget, command=command, pushed=pushed
            )
            if many:
                reply.add_section(team.team.name, lines[: budget - 1])
            else:
                reply.lines.extend(lines)
        if private and team.member_goals:
            key = "member_goals_of" if many else "member_goals"
            goals = [goal_line(g, lang, settings) for g in team.member_goals]
            if len(goals) > SHOWN + 1:
                rest = len(goals) - SHOWN
                goals = [
                    *goals[:SHOWN],
                    _("more", lang, n=rest, where=f"{command} {team.team.name}"),
                ]
            reply.add_section(_(key, lang, team=team.team.name), goals)
    if not reply.lines and not reply.sections:
        reply.lines.append(_("all_clear", lang, teams=names))
        reply.severity = ReplySeverity.success
    elif high:
        reply.severity = ReplySeverity.warning
    return reply


def detail_reply(
    team: TeamRisks,
    kind: str,
    items: list[tuple[Entry, str, list[Risk]]],
    *,
    page: Page,
    lang: str,
    today: date,
    settings: Policy,
) -> Reply:
    """One kind of one team's risks, a page of accounts by value: each with its owner,
    its money and what the domain rules say (``judge_accounts``)."""
    group = team.kinds.get(kind, KindGroup())
    label = _("k_all", lang) if kind == ALL else _(kind, lang)
    reply = Reply(
        title=_("detail_title", lang, team=team.team.name, kind=label, date=fmt_date(today, lang))
    )
    if not group.count:
        reply.lines.append(_("none_of_kind", lang, team=team.team.name, kind=label))
        reply.severity = ReplySeverity.success
        return reply
    summary = _("detail_count", lang, n=group.count)
    if group.money:
        summary += f" · {_money(group.money, settings, lang)}"
    if group.new and not team.first_digest:
        summary += _("kind_new", lang, n=group.new)
    reply.lines.append(summary)
    joiner = _("joiner", lang)
    people = []
    for entry, owner, risks in items:
        mine = [r for r in risks if kind == ALL or DIGEST_CODES.get(r.code) == kind]
        money = f" · {_money(entry.value, settings, lang)}" if entry.value else ""
        is_new = (kind in entry.new or (kind == ALL and entry.new)) and not team.first_digest
        mark = _("new_mark", lang) if is_new else ""
        text = joiner.join(describe_risk(r, lang) for r in mine) or _kind_names(entry.kinds, lang)
        people.append(f"{mark}{entry.name} · {owner}{money} — {text}")
    reply.lines.extend(people)
    command = _("command", lang)
    word = kind_word(kind, lang)
    paged(reply, page, lang, f"{command} {team.team.name} {word}")
    if team.high:
        reply.severity = ReplySeverity.warning
    return reply
