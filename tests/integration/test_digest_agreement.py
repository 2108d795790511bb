"""The digest classifies the book in SQL (``storage.queries.risk_marks``) and runs the
domain rules only on the accounts it shows (issue 16).  The two must agree: on a
generated book, at instants chosen to fall on and around the day boundaries the rules
count in, every account gets from SQL exactly the risk codes and severities that
``domain.risks.assess`` and ``domain.health.assess_health`` give it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from benchmarks.book import generate_large
from bot.config import Settings
from handlers import digest
from handlers.digest import _Goals, classify_accounts, gather_risks, judge_accounts
from storage import queries
from storage.session import unit_of_work

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 18, 9, 5, tzinfo=SHANGHAI)


def _as_kinds(marks) -> set[tuple[str, str]]:
    """Never contacted and lapsed are one rule to SQL (no contact since the cut-off)."""
    return {("lapsed" if c == "never_contacted" else c, str(s)) for c, s in marks}


@pytest.fixture
def generated(engine):
    settings = Settings()
    generate_large(
        engine, accounts=400, interactions=6000, deals=1600, settings=settings, today=AT.date()
    )
    return settings


@pytest.mark.parametrize(
    "now",
    [
        AT,
        AT.replace(hour=0, minute=0, second=1),  # just after midnight
        AT.replace(hour=23, minute=59, second=59),  # just before the next day
        AT + timedelta(days=1),
        AT + timedelta(days=15),
        AT + timedelta(days=45),
    ],
    ids=str,
)
def test_sql_and_the_domain_rules_judge_every_account_alike(engine, generated, now):
    settings = generated
    with unit_of_work(engine, write=False) as s:
        people = queries.people(s)
        teams = sorted(people.teams)
        goal_rows = queries.goals_of_year(s, now.year, team_ids=teams)
        own = frozenset(g.account_id for g, _n, _o in goal_rows if g.account_id is not None)
        goals = _Goals(behind=frozenset(sorted(own)[::2]), own=own)
        by_sql = {
            row.id: _as_kinds(marks)
            for row, marks in classify_accounts(
                s, settings=settings, now=now, team_ids=teams, goals=goals, size=97
            )
        }
        by_domain = {}
        for page in queries.account_pages(s, size=97, team_ids=teams):
            for item in judge_accounts(
                s, settings=settings, now=now, team_ids=teams, goals=goals, accounts=page,
                people=people,
            ):  # fmt: skip
                by_domain[item.account.id] = _as_kinds((r.code, r.severity) for r in item.risks)
    assert len(by_domain) > 100  # the book has risks of every kind to judge
    codes = {c for marks in by_domain.values() for c, _s in marks}
    assert codes >= {"lapsed", "deal_stalled", "deal_overdue", "tasks_overdue",
                     "receivables_overdue", "csat_low", "complaint_open"}  # fmt: skip
    differ = {
        i: (by_sql.get(i), by_domain.get(i))
        for i in by_sql.keys() | by_domain.keys()
        if by_sql.get(i) != by_domain.get(i)
    }
    assert not differ


def test_the_digest_lists_what_the_domain_rules_say(engine, generated):
    """Every account shown carries, in its lines, the risks of the severity it is listed
    under, and the counts are those of the whole book."""
    settings = generated
    with unit_of_work(engine, write=False) as s:
        teams = sorted(queries.people(s).teams)
        full = gather_risks(s, settings=settings, now=AT, team_ids=teams, limit=None)
        cut = gather_risks(s, settings=settings, now=AT, team_ids=teams, limit=5, batch=50)
    for whole, part in zip(full, cut, strict=True):
        assert whole.flagged == part.flagged > 0
        assert whole.money == part.money
        assert whole.marks == part.marks
        for kind, group in whole.kinds.items():
            shown = group.first(None)
            assert len(shown) == group.count == part.kinds[kind].count
            assert group.money == part.kinds[kind].money
            assert [e.id for e in part.kinds[kind].first(5)] == [e.id for e in shown[:5]]
            values = [e.value for e in shown]
            assert values == sorted(values, reverse=True)  # by value
    assert digest.SHOWN == 3
