"""The demo book, and a large synthetic book for benchmarks.

``seed_demo`` writes a small, realistic key-account book — two teams (``East`` on
Slack, ``华东`` on WeCom), seven people, about forty accounts in English and Chinese
with contacts, a year of interactions, deals in every stage, next steps and this
year's goals.  Every date is relative to ``today``, so the book always looks
current: some accounts are lapsed (one per tier, some past twice their cadence),
one is snoozed, one at risk, one churned; some deals have stalled or are past their
close date; birthdays (Gregorian and lunar) and a partnership anniversary fall in
the next days.  The content comes from ``random.Random`` seeded from 42 (one stream
per account and part, so no account's dice shift another's): the same ``today``
gives the same book.

Seeding is idempotent.  Rows are found by natural key before they are created
(team name, user handle, account name, alias, contact and deal by account and
name, task by account and text, goal by its unique key); interactions are written
only for an account that has none yet, and stage history only with a new deal.
A second run changes nothing.  The caller owns the transaction.

``generate_large`` fills a database with a big synthetic book through bulk inserts
(the driver's ``executemany`` on SQLite, ``COPY`` on PostgreSQL), for benchmarks:
50,000 accounts, a million interactions and 200,000 deals take about half a minute
on SQLite on a small machine.  It owns its own transaction (it takes the engine),
reuses its generated teams and reps, and numbers new accounts after the ones a
previous run left, so it can run on top of the demo book or of itself.
"""

from __future__ import annotations

import functools
import math
import random
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from lunardate import LunarDate
from sqlalchemy import Connection, Engine, Table, func, insert, select, text
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from domain.models import (
    Account,
    AccountAlias,
    AccountStatus,
    Contact,
    ContactRole,
    Deal,
    DealStage,
    DealStageChange,
    Goal,
    GoalScope,
    Interaction,
    InteractionContact,
    InteractionKind,
    Role,
    Task,
    Team,
    TeamManager,
    User,
    UserIdentity,
)
from domain.tiers import TierFactors, TierPolicy, score
from domain.types import UTCDateTime
from storage.tiering import apply_score

if TYPE_CHECKING:
    from domain.settings import Settings

SEED = 42
OPEN_STAGES = (DealStage.lead, DealStage.qualify, DealStage.proposal, DealStage.negotiation)


@dataclass(frozen=True)
class DemoSummary:
    """The demo book as it stands after seeding, and whether this run added anything.

    Counts are of the demo book's own rows (its teams, people, accounts and what
    hangs off those accounts), not of the whole database.
    """

    teams: int
    users: int
    accounts: int
    contacts: int
    interactions: int
    deals: int
    tasks: int
    goals: int
    created: bool
    new_rows: int = 0
    added: dict[str, int] = field(default_factory=dict)  # rows this run created, by kind

    def by_kind(self) -> list[tuple[str, int, int]]:
        """``(kind, created, unchanged)`` for each kind of the book; seeding never updates."""
        totals = {
            "teams": self.teams,
            "users": self.users,
            "accounts": self.accounts,
            "contacts": self.contacts,
            "interactions": self.interactions,
            "deals": self.deals,
            "tasks": self.tasks,
            "goals": self.goals,
        }
        return [
            (kind, self.added.get(kind, 0), n - self.added.get(kind, 0))
            for kind, n in totals.items()
        ]


# --- the plan: what the demo book holds, computed without a database -----------------


@dataclass(frozen=True)
class _TeamSpec:
    name: str
    slack_channel: str | None = None
    wecom_chat_id: str | None = None


@dataclass(frozen=True)
class _UserSpec:
    handle: str
    display_name: str
    role: str
    team: str | None
    language: str
    timezone: str = "Asia/Shanghai"
    slack_id: str | None = None
    wecom_id: str | None = None
    email: str | None = None
    manager: str | None = None
    manages: tuple[str, ...] = ()


TEAMS = (
    _TeamSpec("East", slack_channel="C0EAST0001"),
    _TeamSpec("华东", wecom_chat_id="wrEastChina001"),
)

USERS = (
    _UserSpec("admin", "Admin", Role.admin, None, "en", email="admin@kam.example"),
    _UserSpec(
        "bob",
        "Bob Zhang",
        Role.manager,
        "East",
        "en",
        slack_id="U0BOB00001",
        wecom_id="bob",
        email="bob@kam.example",
        manages=("East", "华东"),
    ),
    _UserSpec(
        "alice",
        "Alice Chen",
        Role.rep,
        "East",
        "en",
        slack_id="U0ALICE001",
        email="alice@kam.example",
        manager="bob",
    ),
    _UserSpec(
        "carol",
        "Carol Davis",
        Role.rep,
        "East",
        "en",
        timezone="America/New_York",
        slack_id="U0CAROL001",
        email="carol@kam.example",
        manager="bob",
    ),
    _UserSpec(
        "wang",
        "王磊",
        Role.rep,
        "华东",
        "zh",
        wecom_id="wanglei",
        email="wang.lei@kam.example",
        manager="bob",
    ),
    _UserSpec(
        "li",
        "李强",
        Role.rep,
        "华东",
        "zh",
        wecom_id="liqiang",
        email="li.qiang@kam.example",
        manager="bob",
    ),
    _UserSpec(
        "zhou",
        "周婷",
        Role.rep,
        "华东",
        "zh",
        wecom_id="zhouting",
        email="zhou.ting@kam.example",
        manager="bob",
    ),
)


@dataclass(frozen=True)
class _AccountSpec:
    name: str
    industry: str
    owner: str
    profile: str  # "A", "B", "C" or "P" (prospect): which factor ranges to draw from
    aliases: tuple[str, ...] = ()
    status: str = AccountStatus.active
    lapse: float | None = None  # last contact this many cadences ago (lapsed when > 1)
    last_days: int | None = None  # last contact exactly this many days ago
    snooze: tuple[int, str] | None = None  # (days from today, reason)
    override: tuple[str, str] | None = None  # (tier, reason)


E, Z = "East", "华东"

ACCOUNTS: tuple[_AccountSpec, ...] = (
    # --- East (English) -----------------------------------------------------------
    _AccountSpec("Acme", "Manufacturing", "alice", "A", ("Acme Corp",), last_days=3),
    _AccountSpec("Globex Logistics", "Logistics", "alice", "B", ("Globex",), lapse=1.5),
    _AccountSpec("Stark Energy", "Energy", "alice", "A", ("Stark",), lapse=1.5),
    _AccountSpec("Initech", "IT Services", "alice", "B"),
    _AccountSpec("Umbrella Health", "Healthcare", "alice", "A", ("Umbrella",)),
    _AccountSpec("Northwind Traders", "Wholesale", "alice", "B", ("NW Traders",)),
    _AccountSpec("Pioneer Steel", "Manufacturing", "alice", "C"),
    _AccountSpec(
        "Granite Construction Supply", "Construction", "alice", "C", ("Granite",), lapse=2.2
    ),
    _AccountSpec("Vertex Semiconductors", "Electronics", "alice", "P", status="prospect"),
    _AccountSpec(
        "Wayne Retail",
        "Retail",
        "alice",
        "A",
        override=("B", "Revenue is one-off project work; re-evaluate after Q4."),
    ),
    _AccountSpec("Contoso Pharma", "Healthcare", "carol", "A"),
    _AccountSpec("Blue Harbor Shipping", "Logistics", "carol", "B", status="at_risk", lapse=1.3),
    _AccountSpec(
        "Summit Foods",
        "Food & Beverage",
        "carol",
        "B",
        lapse=1.4,
        snooze=(21, "Plant closed for renovation; buyer is back next month."),
    ),
    _AccountSpec("Redwood Hospitals", "Healthcare", "carol", "B", ("Redwood",)),
    _AccountSpec("Helios Solar", "Energy", "carol", "C"),
    _AccountSpec("Atlas Freight", "Logistics", "carol", "C"),
    _AccountSpec(
        "Orion Aerospace",
        "Aerospace",
        "carol",
        "C",
        override=("A", "Flagship aerospace logo; the board sponsor asked for A coverage."),
    ),
    _AccountSpec("Evergreen Grocers", "Retail", "carol", "C"),
    _AccountSpec("Brightline Telecom", "Telecom", "bob", "B"),
    _AccountSpec("Cascade Water Utilities", "Utilities", "bob", "C"),
    # --- 华东 (Chinese) -------------------------------------------------------------
    _AccountSpec("华夏重工", "装备制造", "wang", "A", ("华夏",), last_days=2),
    _AccountSpec("长江能源", "能源", "wang", "A", ("长江",), lapse=2.5),
    _AccountSpec("东方物流", "物流", "wang", "B", ("东方",)),
    _AccountSpec("申城医药", "医疗健康", "wang", "A"),
    _AccountSpec("苏州精密机械", "制造", "wang", "B", ("苏州精机",)),
    _AccountSpec("宁波港航", "航运", "wang", "B", lapse=1.6),
    _AccountSpec("杭州云联科技", "软件", "wang", "C"),
    _AccountSpec("浙江绿源化工", "化工", "wang", "B"),
    _AccountSpec("明辉汽车零部件", "汽车零部件", "wang", "C"),
    _AccountSpec("启明电子", "电子", "wang", "P", status="prospect"),
    _AccountSpec("金陵百货", "零售", "li", "C", ("金陵",), lapse=1.25),
    _AccountSpec("海川电力", "能源", "li", "B"),
    _AccountSpec("上海仁和医院", "医疗健康", "li", "A", ("仁和",)),
    _AccountSpec("太湖食品", "食品", "li", "C"),
    _AccountSpec(
        "东海船舶", "船舶制造", "li", "B", override=("A", "集团战略客户，总部指定重点覆盖。")
    ),
    _AccountSpec("瑞丰农业", "农业", "li", "C"),
    _AccountSpec("江南纺织", "纺织", "zhou", "C", status="churned", last_days=150),
    _AccountSpec("安徽星火新材料", "新材料", "zhou", "B"),
    _AccountSpec("鑫源超市连锁", "零售", "zhou", "C"),
    _AccountSpec("博远建设", "建筑", "zhou", "C"),
)

_EN_FIRST = (
    *("James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda"),
    *("David", "Elizabeth", "William", "Susan", "Richard", "Jessica", "Thomas", "Sarah"),
    *("Daniel", "Karen", "Matthew", "Nancy", "Anthony", "Lisa", "Mark", "Emily"),
    *("Steven", "Laura", "Paul", "Rachel", "Kevin", "Olivia"),
)
_EN_LAST = (
    *("Smith", "Johnson", "Williams", "Jones", "Garcia", "Miller", "Davis", "Wilson"),
    *("Anderson", "Taylor", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris"),
    *("Clark", "Lewis", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill"),
    *("Green", "Adams", "Baker", "Nelson"),
)
_ZH_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_ZH_GIVEN = (
    *("伟", "芳", "敏", "静", "丽", "强", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明"),
    *("超", "秀英", "霞", "平", "刚", "桂英", "建华", "志强", "海燕", "晓东", "文博"),
    *("雪梅", "国华", "春生"),
)
_TITLES = {
    "en": {
        ContactRole.decision_maker: ("CEO", "COO", "VP Operations", "General Manager"),
        ContactRole.influencer: ("IT Director", "Plant Manager", "Head of Engineering"),
        ContactRole.champion: ("Operations Manager", "Supply Chain Manager", "Project Lead"),
        ContactRole.user: ("Maintenance Supervisor", "Logistics Coordinator"),
        ContactRole.procurement: ("Procurement Manager", "Purchasing Lead"),
        ContactRole.blocker: ("Legal Counsel", "Internal Audit Lead"),
    },
    "zh": {
        ContactRole.decision_maker: ("董事长", "总经理", "副总经理"),
        ContactRole.influencer: ("技术总监", "厂长", "信息部经理"),
        ContactRole.champion: ("运营经理", "项目经理", "供应链经理"),
        ContactRole.user: ("设备主管", "仓储主管"),
        ContactRole.procurement: ("采购经理", "采购主管", "招标专员"),
        ContactRole.blocker: ("法务经理", "审计主管"),
    },
}
_NOTES = {
    "en": {
        InteractionKind.visit: "Visited {c} on site; walked the floor and discussed {t}.",
        InteractionKind.call: "Call with {c} about {t}.",
        InteractionKind.meeting: "Meeting with {c} and team: reviewed {t}.",
        InteractionKind.meal: "Lunch with {c}; informal chat about {t}.",
        InteractionKind.message: "Sent {c} a follow-up on {t}.",
    },
    "zh": {
        InteractionKind.visit: "拜访{c}，现场参观并沟通了{t}。",
        InteractionKind.call: "与{c}电话沟通{t}。",
        InteractionKind.meeting: "与{c}及团队开会，讨论{t}。",
        InteractionKind.meal: "与{c}共进午餐，聊了{t}。",
        InteractionKind.message: "微信跟进{c}，关于{t}。",
    },
}
_TOPICS = {
    "en": (
        *("next year's volumes", "renewal terms", "pricing for next year", "the service SLA"),
        *("a new project", "delivery delays", "the payment schedule", "expansion plans"),
        *("a quality issue on the last shipment", "the spare-parts forecast"),
    ),
    "zh": (
        *("明年的采购计划", "续约条款", "付款进度", "新项目需求", "交付周期", "价格调整"),
        *("售后服务", "二期扩产", "上批货的质量问题", "备件需求预测"),
    ),
}
_DEAL_NAMES = {
    "en": (
        *("Annual supply agreement", "Line automation retrofit", "Fleet telematics rollout"),
        *("Cold-chain WMS", "Spare parts framework", "ERP integration"),
        *("Predictive maintenance pilot", "Packaging line upgrade", "Energy audit & retrofit"),
        *("Service contract renewal", "Warehouse robotics pilot", "Rooftop solar EPC"),
    ),
    "zh": (
        *("年度框架采购", "产线自动化改造", "备品备件年度协议", "二期扩产设备"),
        *("能源管理系统", "仓储自动化项目", "售后服务续约", "数字化工厂试点"),
        *("储能项目", "物流外包合同"),
    ),
}
_LOST_REASONS = {
    "en": ("Lost on price to a local competitor", "Budget frozen", "Chose the incumbent"),
    "zh": ("价格高于竞争对手", "客户预算冻结", "客户选择了原供应商"),
}
_TASKS = {
    "en": (
        "Send updated price list",
        "Book the quarterly business review",
        "Share the case study deck",
        "Check delivery status of the last order",
        "Introduce our solutions engineer",
    ),
    "zh": ("发送最新报价单", "预约季度业务回顾", "分享成功案例资料", "确认上批订单交付情况"),
}
_KIND_WEIGHTS = (
    (InteractionKind.visit, 25),
    (InteractionKind.call, 30),
    (InteractionKind.meeting, 20),
    (InteractionKind.meal, 10),
    (InteractionKind.message, 15),
)


@dataclass
class _ContactPlan:
    name: str
    title: str
    role: str
    birthday: tuple[int, int, int | None, bool, bool] | None  # month, day, year, lunar, leap
    phone: str | None
    email: str | None


@dataclass
class _InteractionPlan:
    kind: str
    happened_at: datetime
    notes: str
    author: str
    channel: str
    contacts: tuple[str, ...]


@dataclass
class _DealPlan:
    name: str
    amount: Decimal
    stage: str
    close_date: date | None
    owner: str
    lost_reason: str | None
    created_at: datetime
    history: list[tuple[str | None, str, datetime]]

    @property
    def stage_changed_at(self) -> datetime:
        return self.history[-1][2]


@dataclass
class _TaskPlan:
    text: str
    due_at: datetime | None
    done_at: datetime | None
    created_at: datetime
    from_last_interaction: bool = False


@dataclass
class _AccountPlan:
    spec: _AccountSpec
    lang: str
    team: str
    factors: dict[str, Any]
    partnership_start: date | None
    created_at: datetime
    depth: int
    tier: str  # the effective tier: override, else computed
    contacts: list[_ContactPlan] = field(default_factory=list)
    interactions: list[_InteractionPlan] = field(default_factory=list)
    deals: list[_DealPlan] = field(default_factory=list)
    tasks: list[_TaskPlan] = field(default_factory=list)


@dataclass(frozen=True)
class _GoalPlan:
    metric: str
    scope: str
    target: Decimal
    currency: str | None
    user: str | None = None
    team: str | None = None
    account: str | None = None


@dataclass
class _Book:
    today: date
    accounts: list[_AccountPlan]
    goals: list[_GoalPlan]


class _Clock:
    """Local dates and times of the book, turned into UTC instants."""

    def __init__(self, today: date, tz: ZoneInfo) -> None:
        self.today = today
        self.tz = tz

    def at(self, days_ago: int, hour: int = 10, minute: int = 0) -> datetime:
        day = self.today - timedelta(days=days_ago)
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz).astimezone(UTC)

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)


def _draw_factors(rng: random.Random, profile: str) -> dict[str, Any]:
    """Factor columns for a profile, drawn narrowly enough that the tier holds."""

    def u(lo: float, hi: float, nd: int = 1) -> float:
        return round(rng.uniform(lo, hi), nd)

    def i(lo: int, hi: int) -> int:
        return rng.randint(lo, hi)

    def money(lo: float, hi: float) -> Decimal:
        return Decimal(round(rng.uniform(lo, hi), -4)).quantize(Decimal("0.01"))

    if profile == "A":
        return dict(
            annual_revenue=money(9e6, 40e6), margin_pct=u(24, 34), payment_days=i(30, 45),
            growth_pct=u(15, 30), cross_sell=i(65, 90), reference_value=i(65, 95),
            brand_value=i(60, 95), innovation_value=i(55, 90), years=u(4, 9),
            executive_contact=True, payment_record=i(85, 98), satisfaction=u(8.0, 9.5),
        )  # fmt: skip
    if profile == "B":
        return dict(
            annual_revenue=money(2.2e6, 4e6), margin_pct=u(18, 24), payment_days=i(45, 60),
            growth_pct=u(8, 14), cross_sell=i(45, 60), reference_value=i(45, 60),
            brand_value=i(40, 60), innovation_value=i(40, 55), years=u(2.5, 4.5),
            executive_contact=rng.random() < 0.5, payment_record=i(75, 88),
            satisfaction=u(7.0, 8.0),
        )  # fmt: skip
    if profile == "C":
        return dict(
            annual_revenue=money(1.5e5, 6e5), margin_pct=u(8, 16), payment_days=i(60, 100),
            growth_pct=u(-8, 6), cross_sell=i(10, 35), reference_value=i(10, 35),
            brand_value=i(15, 40), innovation_value=i(10, 35), years=u(0.8, 3),
            executive_contact=False, payment_record=i(50, 75), satisfaction=u(5.0, 7.0),
        )  # fmt: skip
    return dict(
        annual_revenue=None, margin_pct=None, payment_days=None, growth_pct=u(15, 40),
        cross_sell=i(30, 60), reference_value=i(20, 50), brand_value=i(20, 50),
        innovation_value=i(20, 50), years=None, executive_contact=False,
        payment_record=None, satisfaction=None,
    )  # fmt: skip


def _person(rng: random.Random, lang: str, taken: set[str]) -> str:
    while True:
        if lang == "en":
            name = f"{rng.choice(_EN_FIRST)} {rng.choice(_EN_LAST)}"
        else:
            name = rng.choice(_ZH_SURNAMES) + rng.choice(_ZH_GIVEN)
        if name not in taken:
            taken.add(name)
            return name


def _lunar_of(day: date) -> tuple[int, int, bool]:
    """Lunar month, day and whether the month is a leap month (闰月)."""
    lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
    return lunar.month, lunar.day, bool(lunar.is_leap_month)


def _soon_gregorian(clock: _Clock, first: int) -> tuple[int, int]:
    """A month/day ``first`` or a few more days ahead (never Feb 29)."""
    for offset in range(first, first + 3):
        day = clock.day(offset)
        if (day.month, day.day) != (2, 29):
            return day.month, day.day
    raise AssertionError("unreachable")


def _soon_lunar(clock: _Clock, offset: int) -> tuple[int, int, bool]:
    """The lunar month, day and leap flag of the day ``offset`` days ahead."""
    return _lunar_of(clock.day(offset))


def _contacts(rng: random.Random, plan: _AccountPlan, clock: _Clock) -> list[_ContactPlan]:
    spec, lang = plan.spec, plan.lang
    domain = re.sub(r"[^a-z]", "", spec.name.split()[0].lower()) or "client"
    taken: set[str] = set()
    fixed: list[_ContactPlan] = []
    if spec.name == "Acme":
        tom = _soon_gregorian(clock, 3)
        fixed = [
            _ContactPlan("Li Wei", "CFO", ContactRole.decision_maker, (9, 12, 1972, False, False),
                         "+86 21 5555 0101", "li.wei@acme.example.com"),
            _ContactPlan("Tom Brown", "VP Operations", ContactRole.champion,
                         (*tom, None, False, False), "+86 21 5555 0102",
                         "tom.brown@acme.example.com"),
            _ContactPlan("Sarah Miller", "Procurement Manager", ContactRole.procurement,
                         (2, 14, None, False, False), None, "sarah.miller@acme.example.com"),
            _ContactPlan("James Wilson", "IT Director", ContactRole.influencer, None,
                         "+86 21 5555 0104", None),
        ]  # fmt: skip
    elif spec.name == "华夏重工":
        lina = _soon_lunar(clock, 5)
        fixed = [
            _ContactPlan("王建国", "总经理", ContactRole.decision_maker, (4, 8, 1968, True, False),
                         "+86 139 0101 8888", None),
            _ContactPlan("李娜", "采购经理", ContactRole.procurement, (lina[0], lina[1], None, True, lina[2]),
                         "+86 138 0202 6666", "lina@huaxia-hi.example.cn"),
            _ContactPlan("赵刚", "设备部部长", ContactRole.champion, (11, 3, None, False, False),
                         "+86 137 0303 5555", None),
            _ContactPlan("陈静", "财务总监", ContactRole.influencer, None, None, None),
        ]  # fmt: skip
    elif spec.name == "东方物流":
        today_md = _soon_gregorian(clock, 0)
        fixed = [
            _ContactPlan("张伟", "总经理", ContactRole.decision_maker,
                         (*today_md, 1975, False, False), "+86 136 0404 1234", None),
        ]  # fmt: skip
    taken.update(c.name for c in fixed)

    size = {"A": 4, "B": 3, "C": 2, "P": 2}[spec.profile] + rng.randint(0, 1)
    roles = [ContactRole.decision_maker, ContactRole.procurement, ContactRole.champion]
    roles += [ContactRole.influencer, ContactRole.user, ContactRole.blocker]
    out = list(fixed)
    used_roles = {c.role for c in fixed}
    while len(out) < min(size, 5):
        free = [r for r in roles if r not in used_roles] or roles
        role = free[0] if rng.random() < 0.7 else rng.choice(roles)
        used_roles.add(role)
        name = _person(rng, lang, taken)
        birthday = None
        if rng.random() < 0.75:
            lunar = lang == "zh" and rng.random() < 0.4
            year = rng.randint(1962, 1990) if rng.random() < 0.5 else None
            birthday = (rng.randint(1, 12), rng.randint(1, 28), year, lunar, False)
        if lang == "en":
            phone = f"+86 21 5555 {rng.randint(1000, 9999)}"
            first, last = name.lower().split()
            email = f"{first}.{last}@{domain}.example.com"
        else:
            phone = (
                f"+86 1{rng.randint(30, 89)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
            )
            email = None
        title = rng.choice(_TITLES[lang][role])
        out.append(_ContactPlan(name, title, role, birthday, phone, email))
    return out


def _interactions(
    rng: random.Random, plan: _AccountPlan, clock: _Clock, cadence: int
) -> list[_InteractionPlan]:
    spec, lang = plan.spec, plan.lang
    if spec.last_days is not None:
        last = spec.last_days
    elif spec.lapse is not None:
        last = math.ceil(cadence * spec.lapse)
    else:
        last = rng.randint(1, max(1, cadence * 2 // 3))
    horizon = 365
    if spec.profile == "P":
        horizon = min(horizon, (clock.today - plan.created_at.astimezone(clock.tz).date()).days - 1)
    owner = spec.owner
    teammates = [u.handle for u in USERS if u.team == plan.team and u.handle != owner]
    kinds = [k for k, _ in _KIND_WEIGHTS]
    weights = [w for _, w in _KIND_WEIGHTS]
    channel = "slack" if plan.team == E else "wecom"
    out: list[_InteractionPlan] = []
    days = last
    while days <= horizon:
        kind = rng.choices(kinds, weights)[0]
        picked = rng.sample(plan.contacts, k=min(len(plan.contacts), rng.choice((1, 1, 2))))
        topic = rng.choice(_TOPICS[lang])
        who = (
            "、".join(c.name for c in picked)
            if lang == "zh"
            else " and ".join(c.name for c in picked)
        )
        roll = rng.random()
        author = owner if roll < 0.85 else ("bob" if roll < 0.95 else rng.choice(teammates))
        out.append(
            _InteractionPlan(
                kind=kind,
                happened_at=clock.at(days, rng.randint(9, 17), rng.choice((0, 15, 30, 45))),
                notes=_NOTES[lang][kind].format(c=who, t=topic),
                author=author,
                channel=channel if rng.random() < 0.9 else "console",
                contacts=tuple(c.name for c in picked),
            )
        )
        days += max(1, round(cadence * rng.uniform(0.35, 0.9)))
    return out


def _history(
    stage: str, created: datetime, changed: datetime, lost_from: str | None
) -> list[tuple[str | None, str, datetime]]:
    """Stage changes from lead to ``stage``: first at ``created``, last at ``changed``."""
    if stage == DealStage.won:
        path = [*OPEN_STAGES, DealStage.won]
    elif stage == DealStage.lost:
        stop = OPEN_STAGES.index(DealStage(lost_from or DealStage.qualify))
        path = [*OPEN_STAGES[: stop + 1], DealStage.lost]
    else:
        path = list(OPEN_STAGES[: OPEN_STAGES.index(DealStage(stage)) + 1])
    steps = len(path) - 1
    out: list[tuple[str | None, str, datetime]] = [(None, path[0].value, created)]
    for n in range(1, steps + 1):
        at = created + (changed - created) * n / steps
        out.append((path[n - 1].value, path[n].value, at))
    return out


def _deal(
    rng: random.Random,
    plan: _AccountPlan,
    clock: _Clock,
    name: str,
    stage: str,
    *,
    changed_days: int,
    close_offset: int | None = None,
    amount: Decimal | None = None,
) -> _DealPlan:
    lang = plan.lang
    scale = {"A": (8e5, 5e6), "B": (2e5, 1.5e6), "C": (5e4, 3e5), "P": (1e5, 8e5)}
    lo, hi = scale[plan.spec.profile]
    if amount is None:
        amount = Decimal(round(rng.uniform(lo, hi), -4)).quantize(Decimal("0.01"))
    changed = clock.at(changed_days, rng.randint(9, 17))
    age = changed_days + rng.randint(20, 120)
    created = clock.at(age, rng.randint(9, 17))
    lost_from = rng.choice(OPEN_STAGES[1:]).value if stage == DealStage.lost else None
    closed = stage in (DealStage.won, DealStage.lost)
    if closed:
        close_date = changed.astimezone(clock.tz).date()
    else:
        close_date = clock.day(close_offset if close_offset is not None else rng.randint(10, 120))
    return _DealPlan(
        name=name,
        amount=amount,
        stage=DealStage(stage).value,
        close_date=close_date,
        owner=plan.spec.owner,
        lost_reason=rng.choice(_LOST_REASONS[lang]) if stage == DealStage.lost else None,
        created_at=created,
        history=_history(stage, created, changed, lost_from),
    )


# Deals that must exist whatever the dice say: (account, name, stage, days since the last
# stage change, close date offset from today, amount).
_FIXED_DEALS: dict[str, tuple[tuple[str, str, int, int | None, str | None], ...]] = {
    "Acme": (
        ("Line 3 automation retrofit", DealStage.negotiation, 6, 20, "2400000"),
        ("Annual maintenance contract", DealStage.won, 40, None, "1800000"),
        ("Warehouse robotics pilot", DealStage.lead, 9, 75, "650000"),
    ),
    "华夏重工": (
        ("二期扩产设备采购", DealStage.proposal, 12, 35, "3600000"),
        ("年度备品备件协议", DealStage.won, 55, None, "1200000"),
    ),
    "Globex Logistics": (("Cold-chain WMS rollout", DealStage.proposal, 52, 30, None),),
    "长江能源": (("储能项目二期", DealStage.negotiation, 47, 15, None),),
    "Initech": (("Data center cooling upgrade", DealStage.negotiation, 18, -10, None),),
    "苏州精密机械": (("数控机床年度采购", DealStage.proposal, 21, -5, None),),
    "Blue Harbor Shipping": (("Port equipment service renewal", DealStage.lost, 25, None, None),),
    "江南纺织": (("框架协议续签", DealStage.lost, 140, None, None),),
}

_FIXED_TASKS: dict[str, tuple[tuple[str, int | None, int | None], ...]] = {
    # (text, due offset from today, done this many days ago)
    "Acme": (
        ("Send revised quote for the Line 3 retrofit to Li Wei", 2, None),
        ("Confirm payment terms with Li Wei", -3, None),
        ("Send thank-you note after the plant tour", -20, 19),
    ),
    "华夏重工": (
        ("准备二期扩产方案报价", 5, None),
        ("回访王总确认合同条款", -2, None),
        ("寄送节日礼品", -30, 31),
    ),
    "Stark Energy": (("Schedule QBR with the COO", -9, None),),
    "长江能源": (("约见总经理讨论二期进度", -12, None),),
}


def _plan(today: date, settings: Settings) -> _Book:
    clock = _Clock(today, settings.tz)
    policy: TierPolicy = settings.tiers
    team_of = {u.handle: u.team for u in USERS}
    accounts: list[_AccountPlan] = []
    for spec in ACCOUNTS:
        # One stream per account and part, so what one account draws never shifts
        # another's (a changed policy or cadence must not rename anybody's contacts).
        def rng(part: str, name: str = spec.name) -> random.Random:
            return random.Random(f"{SEED}/{name}/{part}")

        lang = "zh" if team_of[spec.owner] == Z else "en"
        factors = _draw_factors(rng("factors"), spec.profile)
        years = factors.pop("years")
        if spec.name == "华夏重工":
            # a partnership anniversary in the next few days
            soon = clock.day(4)
            if (soon.month, soon.day) == (2, 29):
                soon = clock.day(5)
            start: date | None = soon.replace(year=soon.year - 6)
        elif years is None:
            start = None
        else:
            start = today - timedelta(days=round(years * 365.25))
        factors["years_together"] = (
            None if start is None else round((today - start).days / 365.25, 1)
        )
        if start is not None:
            # in the book since before the year of history, even if partners for less
            created = clock.at(min(max((today - start).days, 400), 3 * 365), 9)
        else:  # a prospect: entered a few months ago, no longer than its deals run
            created = clock.at(rng("created").randint(160, 200), 9)
        plan = _AccountPlan(spec, lang, team_of[spec.owner] or E, factors, start, created, 0, "C")
        plan.contacts = _contacts(rng("contacts"), plan, clock)
        plan.depth = len({c.role for c in plan.contacts})
        computed = score(TierFactors(**factors, decision_chain_depth=plan.depth), policy).tier
        plan.tier = spec.override[0] if spec.override else computed
        cadence = settings.cadence.days_for(plan.tier)
        plan.interactions = _interactions(rng("interactions"), plan, clock, cadence)
        plan.deals = _deals(rng("deals"), plan, clock)
        plan.tasks = _tasks(rng("tasks"), plan, clock)
        accounts.append(plan)
    return _Book(today, accounts, _goals(settings.currency))


def _deals(rng: random.Random, plan: _AccountPlan, clock: _Clock) -> list[_DealPlan]:
    out = [
        _deal(
            rng,
            plan,
            clock,
            name,
            stage,
            changed_days=changed,
            close_offset=close,
            amount=None if amount is None else Decimal(amount).quantize(Decimal("0.01")),
        )
        for name, stage, changed, close, amount in _FIXED_DEALS.get(plan.spec.name, ())
    ]
    if plan.spec.status == AccountStatus.churned:
        return out
    extra = {"A": (1, 2), "B": (1, 2), "C": (0, 1), "P": (1, 1)}[plan.spec.profile]
    count = rng.randint(*extra)
    names = [n for n in _DEAL_NAMES[plan.lang] if n not in {d.name for d in out}]
    if plan.spec.profile == "P":
        stages = [DealStage.lead, DealStage.qualify]
    else:
        stages = list(DealStage)
    for name in rng.sample(names, count):
        stage = rng.choice(stages)
        closed = stage in (DealStage.won, DealStage.lost)
        changed = rng.randint(5, 200) if closed else rng.randint(2, 30)
        out.append(_deal(rng, plan, clock, name, stage, changed_days=changed))
    return out


def _tasks(rng: random.Random, plan: _AccountPlan, clock: _Clock) -> list[_TaskPlan]:
    out: list[_TaskPlan] = []
    for text_, due, done in _FIXED_TASKS.get(plan.spec.name, ()):
        out.append(_task(clock, text_, due, done, linked=done is None))
    if plan.spec.status == AccountStatus.churned:
        return out
    for text_ in rng.sample(_TASKS[plan.lang], rng.randint(0, 2)):
        state = rng.choice(("overdue", "future", "done"))
        if state == "overdue":
            out.append(_task(clock, text_, -rng.randint(1, 20), None))
        elif state == "future":
            out.append(_task(clock, text_, rng.randint(1, 30), None))
        else:
            due = -rng.randint(5, 60)
            out.append(_task(clock, text_, due, -due - rng.randint(0, 3)))
    return out


def _task(
    clock: _Clock, text_: str, due: int | None, done: int | None, *, linked: bool = False
) -> _TaskPlan:
    due_at = None if due is None else clock.at(-due, 18)
    created_days = max(-(due or 0), 0) + 7
    return _TaskPlan(
        text=text_,
        due_at=due_at,
        done_at=None if done is None else clock.at(done, 16),
        created_at=clock.at(created_days, 11),
        from_last_interaction=linked,
    )


def _goals(currency: str) -> list[_GoalPlan]:
    won, count = "won_revenue", "interactions"
    return [
        _GoalPlan(won, GoalScope.user, Decimal("10000000"), currency, user="alice"),
        _GoalPlan(won, GoalScope.user, Decimal("8000000"), currency, user="wang"),
        _GoalPlan(won, GoalScope.user, Decimal("6000000"), currency, user="carol"),
        _GoalPlan(won, GoalScope.user, Decimal("5000000"), currency, user="li"),
        _GoalPlan(won, GoalScope.team, Decimal("25000000"), currency, team="East"),
        _GoalPlan(won, GoalScope.team, Decimal("20000000"), currency, team="华东"),
        _GoalPlan(count, GoalScope.user, Decimal("200"), None, user="alice"),
        _GoalPlan(count, GoalScope.team, Decimal("600"), None, team="华东"),
        _GoalPlan(won, GoalScope.account, Decimal("3000000"), currency, account="Acme"),
    ]


# --- writing the plan ---------------------------------------------------------------


def seed_demo(session: Session, *, settings: Settings, today: date | None = None) -> DemoSummary:
    """Write the demo book (idempotently) and say what it holds.  Never commits."""
    today = today or datetime.now(settings.tz).date()
    book = _plan(today, settings)
    clock = _Clock(today, settings.tz)
    new: Counter[str] = Counter()

    teams: dict[str, Team] = {}
    for t in TEAMS:
        team = session.exec(sm_select(Team).where(Team.name == t.name)).first()
        if team is None:
            team = Team(name=t.name, slack_channel=t.slack_channel, wecom_chat_id=t.wecom_chat_id)
            session.add(team)
            new["teams"] += 1
        teams[t.name] = team
    session.flush()

    users: dict[str, User] = {}
    fresh: set[str] = set()
    for u in USERS:
        user = session.exec(sm_select(User).where(User.handle == u.handle)).first()
        if user is None:
            user = User(
                handle=u.handle,
                display_name=u.display_name,
                role=u.role,
                team_id=teams[u.team].id if u.team else None,
                timezone=u.timezone,
                language=u.language,
                email=u.email,
            )
            session.add(user)
            fresh.add(u.handle)
            new["users"] += 1
        users[u.handle] = user
    session.flush()
    for u in USERS:
        if u.handle in fresh:
            for platform, external_id in (("slack", u.slack_id), ("wecom", u.wecom_id)):
                if external_id:
                    session.add(UserIdentity(user_id=users[u.handle].id, platform=platform,
                                             external_id=external_id))  # fmt: skip
    for u in USERS:
        if u.handle in fresh and u.manager:
            users[u.handle].manager_id = users[u.manager].id
        for team_name in u.manages:
            key = (teams[team_name].id, users[u.handle].id)
            if session.get(TeamManager, key) is None:
                session.add(TeamManager(team_id=key[0], user_id=key[1]))
                new["team_managers"] += 1
    session.flush()

    account_ids: list[int] = []
    for plan in book.accounts:
        new += _write_account(session, plan, teams, users, settings, clock)
        account_ids.append(_account_id(session, plan.spec.name))

    for g in book.goals:
        new["goals"] += _write_goal(session, g, year=today.year, users=users, teams=teams)
    session.flush()

    def count(model: Any) -> int:
        return session.exec(
            sm_select(func.count()).select_from(model).where(col(model.account_id).in_(account_ids))
        ).one()

    return DemoSummary(
        teams=len(TEAMS),
        users=len(USERS),
        accounts=len(account_ids),
        contacts=count(Contact),
        interactions=count(Interaction),
        deals=count(Deal),
        tasks=count(Task),
        goals=len(book.goals),
        created=new.total() > 0,
        new_rows=new.total(),
        added=dict(new),
    )


def _account_id(session: Session, name: str) -> int:
    return session.exec(sm_select(Account.id).where(Account.name == name)).one()


def _write_account(
    session: Session,
    plan: _AccountPlan,
    teams: dict[str, Team],
    users: dict[str, User],
    settings: Settings,
    clock: _Clock,
) -> Counter[str]:
    spec = plan.spec
    new: Counter[str] = Counter()
    owner = users[spec.owner]
    account = session.exec(sm_select(Account).where(Account.name == spec.name)).first()
    if account is None:
        account = Account(
            name=spec.name,
            industry=spec.industry,
            owner_id=owner.id,
            team_id=teams[plan.team].id,
            status=AccountStatus(spec.status).value,
            partnership_start=plan.partnership_start,
            created_at=plan.created_at,
            updated_at=plan.created_at,
            **plan.factors,
        )
        if spec.override:
            account.tier_override, account.tier_override_reason = spec.override
            account.tier_override_by_id = users["bob"].id
            account.tier_override_at = clock.at(30, 15)
        if spec.snooze:
            days, reason = spec.snooze
            account.snoozed_until, account.snooze_reason = clock.day(days), reason
        apply_score(account, settings.tiers, decision_chain_depth=plan.depth)
        account.updated_at = plan.created_at
        session.add(account)
        session.flush()
        new["accounts"] += 1
    assert account.id is not None

    for alias in spec.aliases:
        if session.exec(sm_select(AccountAlias).where(AccountAlias.alias == alias)).first() is None:
            session.add(AccountAlias(account_id=account.id, alias=alias))
            new["aliases"] += 1

    contacts: dict[str, Contact] = {
        c.name: c
        for c in session.exec(sm_select(Contact).where(Contact.account_id == account.id)).all()
    }
    for c in plan.contacts:
        if c.name in contacts:
            continue
        contact = Contact(
            account_id=account.id,
            name=c.name,
            title=c.title,
            role=c.role,
            phone=c.phone,
            email=c.email,
            created_by_id=owner.id,
            created_at=plan.created_at,
        )
        if c.birthday:
            (
                contact.birthday_month,
                contact.birthday_day,
                contact.birthday_year,
                contact.birthday_lunar,
                contact.birthday_leap_month,
            ) = c.birthday
        session.add(contact)
        contacts[c.name] = contact
        new["contacts"] += 1
    session.flush()

    last_interaction: Interaction | None = None
    has_interactions = session.exec(
        sm_select(Interaction.id).where(Interaction.account_id == account.id).limit(1)
    ).first()
    if has_interactions is None and plan.interactions:
        rows = [
            Interaction(
                account_id=account.id,
                kind=i.kind,
                happened_at=i.happened_at,
                notes=i.notes,
                author_id=users[i.author].id,
                channel=i.channel,
                created_at=i.happened_at + timedelta(minutes=20),
            )
            for i in plan.interactions
        ]
        session.add_all(rows)
        session.flush()
        for row, i in zip(rows, plan.interactions, strict=True):
            for name in i.contacts:
                session.add(InteractionContact(interaction_id=row.id, contact_id=contacts[name].id))
        new["interactions"] += len(rows)
        new["interaction_contacts"] += sum(len(i.contacts) for i in plan.interactions)
        last_interaction = rows[0]  # plans run newest first

    existing_deals = set(
        session.exec(sm_select(Deal.name).where(Deal.account_id == account.id)).all()
    )
    for d in plan.deals:
        if d.name in existing_deals:
            continue
        deal = Deal(
            account_id=account.id,
            name=d.name,
            amount=d.amount,
            currency=settings.currency,
            stage=d.stage,
            close_date=d.close_date,
            owner_id=users[d.owner].id,
            lost_reason=d.lost_reason,
            stage_changed_at=d.stage_changed_at,
            closed_at=d.stage_changed_at if d.stage in ("won", "lost") else None,
            created_at=d.created_at,
            updated_at=d.stage_changed_at,
        )
        session.add(deal)
        session.flush()
        for from_stage, to_stage, at in d.history:
            session.add(
                DealStageChange(
                    deal_id=deal.id,
                    from_stage=from_stage,
                    to_stage=to_stage,
                    changed_at=at,
                    changed_by_id=users[d.owner].id,
                )
            )
        new["deals"] += 1
        new["stage_changes"] += len(d.history)

    existing_tasks = set(
        session.exec(sm_select(Task.text).where(Task.account_id == account.id)).all()
    )
    for t in plan.tasks:
        if t.text in existing_tasks:
            continue
        link = last_interaction.id if (t.from_last_interaction and last_interaction) else None
        session.add(
            Task(
                account_id=account.id,
                owner_id=owner.id,
                text=t.text,
                due_at=t.due_at,
                done_at=t.done_at,
                interaction_id=link,
                created_at=min(t.created_at, last_interaction.happened_at)
                if link and last_interaction
                else t.created_at,
            )
        )
        new["tasks"] += 1
    session.flush()
    return new


def _write_goal(
    session: Session,
    g: _GoalPlan,
    *,
    year: int,
    users: dict[str, User],
    teams: dict[str, Team],
) -> int:
    user_id = users[g.user].id if g.user else None
    team_id = teams[g.team].id if g.team else None
    account_id = _account_id(session, g.account) if g.account else None
    found = session.exec(
        sm_select(Goal.id).where(
            Goal.year == year,
            Goal.metric == g.metric,
            Goal.scope == g.scope,
            Goal.user_id == user_id if user_id else col(Goal.user_id).is_(None),
            Goal.team_id == team_id if team_id else col(Goal.team_id).is_(None),
            Goal.account_id == account_id if account_id else col(Goal.account_id).is_(None),
        )
    ).first()
    if found is not None:
        return 0
    session.add(
        Goal(
            year=year,
            metric=g.metric,
            scope=GoalScope(g.scope).value,
            user_id=user_id,
            team_id=team_id,
            account_id=account_id,
            target=g.target,
            currency=g.currency,
            created_by_id=users["bob"].id,
        )
    )
    return 1


# --- the large synthetic book -------------------------------------------------------

LARGE_TEAMS = 10
LARGE_REPS = 100
BATCH = 10_000
DAY = 86_400
_INDUSTRIES = (
    *("Manufacturing", "Logistics", "Retail", "Energy", "Healthcare", "Chemicals"),
    *("Automotive", "Electronics", "Construction", "Food", "Telecom", "Utilities"),
    *("Pharma", "Textiles", "Aerospace", "Shipping", "Agriculture", "Software"),
)
_STAGE_WEIGHTS = (
    (DealStage.lead, 20),
    (DealStage.qualify, 15),
    (DealStage.proposal, 15),
    (DealStage.negotiation, 10),
    (DealStage.won, 25),
    (DealStage.lost, 15),
)
_FACTOR_COLUMNS = (
    *("annual_revenue", "margin_pct", "payment_days", "growth_pct", "cross_sell"),
    *("reference_value", "brand_value", "innovation_value", "years_together"),
    *("executive_contact", "payment_record", "satisfaction"),
)
_LARGE_MODELS = (Team, User, Account, Contact, Interaction, InteractionContact, Deal)
_LARGE_MODELS += (DealStageChange, Task)
_ACCT_NAME = re.compile(r"^Acct (\d+) ")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SQLITE_CACHE_KIB = -256 * 1024


class _SqliteInstants:
    """Epoch seconds as SQLite holds a ``UTCDateTime``: naive UTC text.

    Built from a day prefix and a time-of-day suffix, both cached: formatting a
    million datetimes one by one is where most of the time would otherwise go.
    """

    def __init__(self) -> None:
        self.days: dict[int, str] = {}
        self.times = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(DAY)]

    def __call__(self, seconds: int) -> str:
        day, rest = divmod(seconds, DAY)
        prefix = self.days.get(day)
        if prefix is None:
            prefix = self.days[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d ")
        return prefix + self.times[rest]


@functools.cache
def _sqlite_instants() -> _SqliteInstants:
    return _SqliteInstants()


def _aware(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


class _Bulk:
    """Appends rows (tuples in ``columns`` order) to one table, writing in batches.

    ``UTCDateTime`` columns take whole epoch seconds.  SQLite gets the driver's
    ``executemany`` with values converted by the columns' own bind processors, except
    those instants, formatted from a cache (and checked against the processor first).
    PostgreSQL with psycopg gets ``COPY … FROM STDIN``; anything else a Core insert.
    ``after`` is a table our rows reference: its pending rows are written first.
    """

    def __init__(
        self,
        conn: Connection,
        table: Table,
        columns: Sequence[str],
        *,
        after: _Bulk | None = None,
    ) -> None:
        self.conn, self.table, self.columns = conn, table, tuple(columns)
        self.after = after
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        dialect = conn.dialect
        names = ", ".join(self.columns)
        types = [table.c[c].type for c in self.columns]
        if dialect.name == "sqlite":
            self.mode = "sqlite"
            self.sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(types))})"
            self.procs = [_sqlite_processor(t, dialect) for t in types]
        else:
            copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
            self.mode = "copy" if copy else "core"
            self.sql = f"COPY {table.name} ({names}) FROM STDIN"
            self.procs = [_aware if isinstance(t, UTCDateTime) else None for t in types]

    def add(self, *row: Any) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.after is not None:
            self.after.flush()
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        self.written += len(rows)
        if any(self.procs):
            columns: list[Any] = list(zip(*rows, strict=True))
            for i, proc in enumerate(self.procs):
                if proc is not None:
                    columns[i] = [None if v is None else proc(v) for v in columns[i]]
            rows = list(zip(*columns, strict=True))
        dbapi = self.conn.connection.driver_connection
        if self.mode == "sqlite":
            dbapi.cursor().executemany(self.sql, rows)
        elif self.mode == "copy":
            with dbapi.cursor() as cur, cur.copy(self.sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            values = [dict(zip(self.columns, row, strict=True)) for row in rows]
            self.conn.execute(insert(self.table), values)


def _sqlite_processor(type_: Any, dialect: Any) -> Any:
    processor = type_._cached_bind_processor(dialect)
    if isinstance(type_, UTCDateTime):
        fast = _sqlite_instants()
        sample = 981_173_106  # 2001-02-03 04:05:06 UTC
        if processor(_aware(sample)) == fast(sample):
            return fast
        return lambda seconds: processor(_aware(seconds))
    return processor


def generate_large(
    engine: Engine,
    *,
    accounts: int,
    interactions: int,
    deals: int,
    seed: int = SEED,
    settings: Settings,
    today: date | None = None,
) -> dict[str, int]:
    """Bulk-insert a synthetic book; return how many rows of each kind were written.

    Accounts are named ``Acct 00001 <Industry>``, numbered after any a previous run
    left; they are owned by ``rep001``…``rep100`` in teams ``Region 01``…``Region 10``
    (created when missing, reused otherwise).  Each account gets two to four contacts;
    interactions spread over the last year, a few accounts taking most of them and
    about one in six gone quiet for weeks or months (lapsed); deals spread over every
    stage, each with its stage history; every other account has a next step.

    Ids are assigned here, after the current maximum, so run it alone (on PostgreSQL
    the id sequences are moved past them afterwards).  One transaction, committed.
    """
    if min(accounts, interactions, deals) < 0:
        raise ValueError("counts must not be negative")
    if accounts == 0 and (interactions or deals):
        raise ValueError("interactions and deals need accounts")
    with engine.connect() as conn:
        conn = conn.execution_options(sqlite_immediate=True)
        with _large_page_cache(conn), conn.begin():
            counts = _write_large(
                conn,
                accounts=accounts,
                interactions=interactions,
                deals=deals,
                rng=random.Random(seed),
                settings=settings,
                today=today or datetime.now(settings.tz).date(),
            )
        _analyze(conn)
        return counts


def _analyze(conn: Connection) -> None:
    """Fresh planner statistics for the tables just filled, on PostgreSQL.

    A bulk load leaves none until autovacuum gets to it (never, where it is off), and
    without them the planner guesses a few rows per table and hash-joins whole tables
    where an index lookup would do: 50 ms instead of 0.2 ms for one /account query.
    """
    if conn.dialect.name != "postgresql":
        return
    with conn.begin():
        for model in _LARGE_MODELS:
            conn.exec_driver_sql(f"ANALYZE {model.__tablename__}")  # type: ignore[attr-defined]


@contextmanager
def _large_page_cache(conn: Connection) -> Iterator[None]:
    """On SQLite, a bigger page cache while the indexes grow, put back afterwards."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size={_SQLITE_CACHE_KIB}")
    conn.commit()
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")
        conn.commit()


def _write_large(
    conn: Connection,
    *,
    accounts: int,
    interactions: int,
    deals: int,
    rng: random.Random,
    settings: Settings,
    today: date,
) -> dict[str, int]:
    rand = rng.random
    tz = settings.tz
    now = int(datetime.now(UTC).timestamp())
    midnight = int(datetime.combine(today, time(0), tzinfo=tz).timestamp())
    year = 365 * DAY
    tables: dict[str, Table] = {m.__tablename__: m.__table__ for m in _LARGE_MODELS}  # type: ignore[attr-defined]
    next_id = {
        name: (conn.execute(select(func.max(t.c.id))).scalar() or 0) + 1
        for name, t in tables.items()
        if "id" in t.c
    }

    def bulk(name: str, *columns: str, after: _Bulk | None = None) -> _Bulk:
        return _Bulk(conn, tables[name], columns, after=after)

    # teams and reps: reuse what an earlier run made
    teams = bulk("team", "id", "name", "created_at")
    team_ids: list[int] = []
    for n in range(1, LARGE_TEAMS + 1):
        name = f"Region {n:02d}"
        found = conn.execute(select(Team.id).where(Team.name == name)).scalar()
        if found is None:
            found = next_id["team"]
            next_id["team"] += 1
            teams.add(found, name, now)
        team_ids.append(found)
    teams.flush()

    reps = bulk(
        "kam_user", "id", "handle", "display_name", "email", "role", "team_id",
        "timezone", "language", "active", "created_at", after=teams,
    )  # fmt: skip
    rep_ids: list[int] = []
    rep_team: dict[int, int | None] = {}
    for n in range(1, LARGE_REPS + 1):
        handle = f"rep{n:03d}"
        found_row = conn.execute(select(User.id, User.team_id).where(User.handle == handle)).first()
        if found_row is None:
            rep_id, team_id = next_id["kam_user"], team_ids[(n - 1) % LARGE_TEAMS]
            next_id["kam_user"] += 1
            reps.add(
                rep_id, handle, f"Rep {n:03d}", f"{handle}@bench.example",
                Role.rep.value, team_id, settings.timezone, "zh" if n % 2 else "en",
                True, now,
            )  # fmt: skip
        else:
            rep_id, team_id = found_row
        rep_ids.append(rep_id)
        rep_team[rep_id] = team_id
    reps.flush()

    # accounts, numbered after the last generated one
    last_number = 0
    for (name,) in conn.execute(select(Account.name).where(Account.name.like("Acct %"))):
        if m := _ACCT_NAME.match(name):
            last_number = max(last_number, int(m[1]))
    account_rows = bulk(
        "account", "id", "name", "industry", "owner_id", "team_id", "status",
        "partnership_start", "tier", "score", "score_current", "score_potential",
        "score_strategic", "score_relationship", *_FACTOR_COLUMNS, "created_at",
        "updated_at", after=reps,
    )  # fmt: skip
    first_account = next_id["account"]
    owners: list[int] = []
    policy: TierPolicy = settings.tiers
    for k in range(accounts):
        owner = rep_ids[k % LARGE_REPS]
        factors = _draw_factors(rng, rng.choice("ABBCCC"))
        years = factors.pop("years")
        factors["years_together"] = years
        depth = rng.randint(1, 4)
        result = score(TierFactors(**factors, decision_chain_depth=depth), policy)
        start = None if years is None else today - timedelta(days=round(years * 365.25))
        industry = _INDUSTRIES[k % len(_INDUSTRIES)]
        dims = result.dimensions
        account_rows.add(
            first_account + k, f"Acct {last_number + k + 1:05d} {industry}", industry,
            owner, rep_team[owner], AccountStatus.active.value, start, result.tier,
            result.total, dims.current, dims.potential, dims.strategic,
            dims.relationship, *(factors[c] for c in _FACTOR_COLUMNS), now, now,
        )  # fmt: skip
        owners.append(owner)
    account_rows.flush()

    # contacts: two to four per account, roles along the decision chain
    contacts = bulk(
        "contact", "id", "account_id", "name", "role", "birthday_month",
        "birthday_day", "birthday_lunar", "birthday_leap_month", "created_at",
        after=account_rows,
    )  # fmt: skip
    roles = [r.value for r in ContactRole]
    contact_id = next_id["contact"]
    contacts_of: list[tuple[int, int]] = []  # (first id, how many)
    for k in range(accounts):
        n = rng.choice((2, 3, 3, 4))
        contacts_of.append((contact_id, n))
        for j in range(n):
            contacts.add(
                contact_id, first_account + k, f"Contact {last_number + k + 1}-{j + 1}",
                roles[j], rng.randint(1, 12), rng.randint(1, 28), rand() < 0.2,
                False, now,
            )  # fmt: skip
            contact_id += 1
    contacts.flush()

    # interactions: a few accounts take most, about one in six has gone quiet
    quiet = [rng.randint(20, 200) * DAY if rand() < 0.17 else 0 for _ in range(accounts)]
    weights = [rng.paretovariate(1.5) for _ in range(accounts)]
    picks = sorted(rng.choices(range(accounts), weights=weights, k=interactions))
    kinds = rng.choices(
        [k.value for k, _ in _KIND_WEIGHTS], [w for _, w in _KIND_WEIGHTS], k=interactions
    )
    rows = bulk(
        "interaction", "id", "account_id", "kind", "happened_at", "notes", "author_id",
        "channel", "created_at", after=contacts,
    )  # fmt: skip
    links = bulk("interaction_contact", "interaction_id", "contact_id", after=rows)
    first_interaction = next_id["interaction"]
    for n, k in enumerate(picks):
        # at least an hour before today's midnight, at most a year
        back = quiet[k] + 3600
        at = midnight - back - int(rand() * (year - back))
        iid = first_interaction + n
        rows.add(iid, first_account + k, kinds[n], at, "", owners[k], "console", at)
        first_contact, count = contacts_of[k]
        links.add(iid, first_contact + n % count)
    links.flush()

    # deals, each with its stage history from lead
    deal_rows = bulk(
        "deal", "id", "account_id", "name", "amount", "currency", "stage", "close_date",
        "owner_id", "lost_reason", "stage_changed_at", "closed_at", "created_at",
        "updated_at", after=links,
    )  # fmt: skip
    changes = bulk(
        "deal_stage_change", "id", "deal_id", "from_stage", "to_stage", "changed_at",
        "changed_by_id", after=deal_rows,
    )  # fmt: skip
    stages = rng.choices([s for s, _ in _STAGE_WEIGHTS], [w for _, w in _STAGE_WEIGHTS], k=deals)
    open_names = [s.value for s in OPEN_STAGES]
    first_deal, change_id = next_id["deal"], next_id["deal_stage_change"]
    for n in range(deals):
        k = int(rand() * accounts)
        stage = stages[n].value
        created = midnight - DAY - int(rand() * (year - DAY))
        changed = created + int(rand() * (midnight - created))
        if stage == "won":
            path = [*open_names, "won"]
        elif stage == "lost":
            path = [*open_names[: rng.randint(2, 4)], "lost"]
        else:
            path = open_names[: open_names.index(stage) + 1]
        if len(path) == 1:
            changed = created  # still a lead: it never moved
        closed = stage in ("won", "lost")
        deal_id = first_deal + n
        if closed:
            close_date = datetime.fromtimestamp(changed, tz).date()
        else:
            close_date = today + timedelta(days=rng.randint(-30, 150))
        deal_rows.add(
            deal_id, first_account + k, f"Deal {deal_id:07d}",
            Decimal(rng.randint(5, 500) * 10_000), settings.currency, stage, close_date,
            owners[k], "Lost on price" if stage == "lost" else None, changed,
            changed if closed else None, created, changed,
        )  # fmt: skip
        steps = len(path) - 1
        changes.add(change_id, deal_id, None, path[0], created, owners[k])
        for step in range(1, steps + 1):
            at = created + (changed - created) * step // steps
            changes.add(change_id + step, deal_id, path[step - 1], path[step], at, owners[k])
        change_id += steps + 1
    changes.flush()

    # a next step on every other account, some overdue, some done
    tasks = bulk(
        "task", "id", "account_id", "owner_id", "text", "due_at", "done_at",
        "created_at", after=changes,
    )  # fmt: skip
    task_id = next_id["task"]
    for k in range(0, accounts, 2):
        due = midnight + rng.randint(-20, 30) * DAY + 10 * 3600
        done = due if rand() < 0.3 else None
        tasks.add(
            task_id, first_account + k, owners[k], "Follow up on the last meeting",
            due, done, min(now, due - 7 * DAY),
        )  # fmt: skip
        task_id += 1
    tasks.flush()

    if conn.dialect.name == "postgresql":
        for name in next_id:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
                )
            )
    return {
        "teams": teams.written,
        "users": reps.written,
        "accounts": account_rows.written,
        "contacts": contacts.written,
        "interactions": rows.written,
        "interaction_contacts": links.written,
        "deals": deal_rows.written,
        "deal_stage_changes": changes.written,
        "tasks": tasks.written,
    }
