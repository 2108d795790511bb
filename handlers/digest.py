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
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from domain.cadence import ContactStatus, contact_status
from domain.goals import GoalMetric, GoalProgress, PaceStatus, period_bounds, progress, progress_bar
from domain.health import assess_health, policy_of
from domain.models import Goal, Team
from domain.policy import Policy
from domain.risks import AccountSnapshot, DealSnapshot, Risk, Severity, assess
from handlers.i18n import Catalog
from handlers.replies import Action, Field, Reply
from handlers.replies import Severity as ReplySeverity
from handlers.views import describe_risk, fmt_date, fmt_money
from handlers.views.goals import metric_label
from storage import queries
from storage.goals import actuals
from storage.health import health_signals
from storage.queries import AccountRow, DealRow, IdRange, People

GROUP_LIMIT = 20
"""Accounts listed per severity in a pushed digest; the counts always cover them all."""

_ = Catalog("digest")

MARKS = {Severity.HIGH: "●", Severity.MEDIUM: "◐", Severity.LOW: "○"}

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


@dataclass
class AccountRisks:
    account: AccountRow
    owner: str
    risks: list[Risk]


@dataclass
class SeverityGroup:
    """The accounts with a risk of one severity: how many, and the first ``limit`` of
    them by name (``keys``: casefolded name and account id; ``items``: those accounts
    judged by the domain rules, filled in by ``gather_risks``)."""

    count: int = 0
    keys: list[tuple[str, int]] = field(default_factory=list)
    items: dict[int, AccountRisks] = field(default_factory=dict)

    def add(self, key: tuple[str, int], limit: int | None) -> None:
        self.count += 1
        self.keys.append(key)
        if limit is not None and len(self.keys) > 2 * limit + 16:
            self.keys = heapq.nsmallest(limit, self.keys)

    def first_ids(self, limit: int | None) -> list[int]:
        """The ids of the first ``limit`` accounts (None: all) by name, then id."""
        ordered = sorted(self.keys)
        return [i for _k, i in (ordered if limit is None else ordered[:limit])]

    def first(self, limit: int | None) -> list[AccountRisks]:
        """The first ``limit`` accounts (None: all) by name, then id."""
        return [self.items[i] for i in self.first_ids(limit) if i in self.items]


@dataclass
class TeamRisks:
    """One team's digest: account risks and team goals for everyone, reps' goals private.

    The account risks are counted in full (``flagged``, ``kinds``, ``owners``, each
    group's ``count``) but only the first ``limit`` accounts of each severity are kept,
    by name: a digest shows no more (``digest_reply``).
    """

    team: Team
    team_goals: list[GoalStatus] = field(default_factory=list)
    member_goals: list[GoalStatus] = field(default_factory=list)
    limit: int | None = GROUP_LIMIT
    flagged: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    owners: dict[str, tuple[int, tuple[str, int]]] = field(default_factory=dict)
    groups: dict[Severity, SeverityGroup] = field(
        default_factory=lambda: {s: SeverityGroup() for s in Severity}
    )

    def is_empty(self, *, private: bool) -> bool:
        return not (self.flagged or self.team_goals or (private and self.member_goals))

    def add(
        self,
        key: tuple[str, int],
        owner: str,
        codes: Iterable[str],
        severities: Iterable[Severity],
    ) -> None:
        """Count an account with risks (``key``: casefolded name and id), and keep it if
        it is among the first by name."""
        self.flagged += 1
        for kind in {DIGEST_CODES[c] for c in codes}:
            self.kinds[kind] += 1
        n, first = self.owners.get(owner, (0, key))
        self.owners[owner] = (n + 1, min(first, key))
        for severity in set(severities):
            self.groups[severity].add(key, self.limit)

    def shown_ids(self) -> set[int]:
        return {i for g in self.groups.values() for i in g.first_ids(self.limit)}

    def owner_counts(self) -> list[tuple[str, int]]:
        """Accounts with risks per owner, most first (ties: whose account comes first)."""
        ranked = sorted(self.owners.items(), key=lambda kv: (-kv[1][0], kv[1][1]))
        return [(name, n) for name, (n, _first) in ranked]


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


def gather_risks(
    session: Session,
    *,
    settings: Policy,
    now: datetime,
    team_ids: Collection[int],
    limit: int | None = GROUP_LIMIT,
    batch: int | None = None,
) -> list[TeamRisks]:
    """The digest of each team in ``team_ids`` (by team name).

    The book is classified in SQL a page of ``batch`` (``BATCH``) accounts at a time
    (``queries.risk_marks``: which risk codes and severities each account has); each
    team counts them all and keeps the first ``limit`` accounts of each severity by name
    (None: all).  Only those are then judged by the domain rules (``judge_accounts``),
    which give the risks shown.  About one statement per page, plus a few for people,
    goals and the accounts shown: the statements grow with the pages, memory does not.
    """
    tz = settings.tz
    today = now.astimezone(tz).date()
    team_ids = sorted(set(team_ids))
    people = queries.people(session)
    members = [u.id for u in people.users.values() if u.team_id in team_ids]
    goal_rows = queries.goals_of_year(session, today.year, user_ids=members, team_ids=team_ids)
    goals = goal_statuses(session, goal_rows, people=people, settings=settings, today=today)
    own_goals = frozenset(g.account_id for g, _n, _o in goal_rows if g.account_id is not None)

    by_team = {t: TeamRisks(people.teams[t], limit=limit) for t in team_ids if t in people.teams}
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
    for row, marks in classify_accounts(
        session, settings=settings, now=now, team_ids=team_ids, goals=goal_sets, size=size
    ):
        team = by_team.get(row.team_id)
        if team is not None:
            team.add(
                (row.name.casefold(), row.id),
                people.name(row.owner_id),
                (code for code, _s in marks),
                (s for _c, s in marks),
            )

    shown = sorted({i for t in by_team.values() for i in t.shown_ids()})
    judged: dict[int, AccountRisks] = {}
    for start in range(0, len(shown), size):
        for item in judge_accounts(
            session,
            settings=settings,
            now=now,
            team_ids=team_ids,
            goals=goal_sets,
            accounts=frozenset(shown[start : start + size]),
            people=people,
        ):
            judged[item.account.id] = item
    for team in by_team.values():
        for group in team.groups.values():
            group.items = {i: judged[i] for i in group.first_ids(limit) if i in judged}
    return sorted(by_team.values(), key=lambda t: t.team.name)


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
    for page in queries.risk_marks(
        session, now=now, settings=settings, tz=settings.tz, team_ids=team_ids, size=size
    ):
        for row in page:
            if not _needs_attention(row.tier, row.status, row.looked_at or row.id in goals.own):
                continue
            marks = [(c, Severity(s)) for c, s in row.marks]
            if row.id in goals.behind:
                marks.append(("goal_behind", Severity.MEDIUM))
            marks = [(c, s) for c, s in marks if _reported(c, row.tier)]
            if marks:
                yield row, marks


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


def digest_reply(
    teams: list[TeamRisks],
    *,
    lang: str,
    today: date,
    settings: Policy,
    private_teams: Collection[int] = (),
    limit: int | None = GROUP_LIMIT,
    pushed: bool = True,
    title: str | None = None,
) -> Reply:
    """The digest of one or more teams as a reply.

    ``private_teams`` are the teams whose reps' goals may be shown (the reader manages
    them); ``limit`` caps the accounts listed per severity (None: all), the counts
    always covering everything.
    """
    names = ", ".join(t.team.name for t in teams) or "—"
    key = "digest_title" if pushed else "risks_title"
    reply = Reply(title=title or _(key, lang, teams=names, date=fmt_date(today, lang)))
    many = len(teams) > 1
    joiner = _("joiner", lang)
    totals: Counter[Severity] = Counter()
    for team in teams:
        private = team.team.id in private_teams
        if team.is_empty(private=private):
            continue
        if team.limit is not None and (limit is None or limit > team.limit):
            raise ValueError(f"gathered {team.limit} accounts per severity, asked for {limit}")
        kinds = Counter(team.kinds)
        kinds["k_goals"] += len(team.team_goals) + (len(team.member_goals) if private else 0)
        summary = " · ".join(
            f"{_(k, lang)} {kinds[k]}" for k in dict.fromkeys(DIGEST_CODES.values()) if kinds[k]
        )
        if summary:
            reply.lines.append(f"{team.team.name}: {summary}" if many else summary)
        owners = team.owner_counts()
        if owners:
            owner_text = " · ".join(f"{name} {n}" for name, n in owners)
            reply.lines.append(_("owners", lang, owners=owner_text))
        for severity, group in team.groups.items():
            if not group.count:
                continue
            totals[severity] += group.count
            shown = []
            for item in group.first(limit):
                mine = [describe_risk(r, lang) for r in item.risks if r.severity is severity]
                shown.append(f"{item.account.name} · {item.owner} — {joiner.join(mine)}")
            if group.count > len(shown):
                rest = group.count - len(shown)
                more = _("more", lang, n=rest, team=team.team.name) if pushed else None
                shown = [*shown, more or _("more_here", lang, n=rest)]
            key = "team_severity_title" if many else "severity_title"
            severity_name = _(severity.value, lang)
            reply.add_section(
                _(
                    key,
                    lang,
                    team=team.team.name,
                    mark=MARKS[severity],
                    severity=severity_name,
                    n=group.count,
                ),
                shown,
            )
        if team.team_goals:
            heading = _("team_goals_of", lang, team=team.team.name) if many else None
            reply.add_section(
                heading or _("team_goals", lang),
                [goal_line(g, lang, settings) for g in team.team_goals],
            )
        if private and team.member_goals:
            key = "member_goals_of" if many else "member_goals"
            reply.add_section(
                _(key, lang, team=team.team.name),
                [goal_line(g, lang, settings) for g in team.member_goals],
            )
    for severity in Severity:
        if totals[severity]:
            reply.fields.append(Field(_(severity.value, lang), str(totals[severity])))
    if not reply.sections:
        reply.lines.append(_("all_clear", lang, teams=names))
        reply.severity = ReplySeverity.success
    elif totals[Severity.HIGH]:
        reply.severity = ReplySeverity.warning
    return reply
