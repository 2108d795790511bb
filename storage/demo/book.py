"""The demo book's content, planned without a database (``seed_demo`` writes it).

A small, realistic key-account book — two teams (``East`` on Slack, ``华东`` on
WeCom), seven people, about forty accounts in English and Chinese with contacts, a
year of interactions, deals in every stage, next steps and this year's goals.  Every
date is relative to ``today``, so the book always looks current: some accounts are
lapsed (one per tier, some past twice their cadence), one is snoozed, one at risk,
one churned; some deals have stalled or are past their close date; birthdays
(Gregorian and lunar) and a partnership anniversary fall in the next days.  The
content comes from ``random.Random`` seeded from 42 (one stream per account and
part, so no account's dice shift another's): the same ``today`` gives the same book.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from lunardate import LunarDate

from domain.models import (
    AccountStatus,
    ContactRole,
    DealStage,
    GoalScope,
    InteractionKind,
    Role,
)
from domain.tiers import TierFactors, TierPolicy, score

if TYPE_CHECKING:
    from domain.policy import Policy

SEED = 42
OPEN_STAGES = (DealStage.lead, DealStage.qualify, DealStage.proposal, DealStage.negotiation)


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


@dataclass(frozen=True)
class _Words:
    """The demo book's sample data in one language: what its people would have typed
    (data, not kam's replies, so it stays here rather than in handlers/messages)."""

    lang: str
    titles: dict[ContactRole, tuple[str, ...]]
    notes: dict[InteractionKind, str]
    topics: tuple[str, ...]
    deal_names: tuple[str, ...]
    lost_reasons: tuple[str, ...]
    tasks: tuple[str, ...]
    joiner: str  # between the names of the contacts met together
    lunar_share: float  # of the birthdays kept in the lunar calendar


_WORDS = (
    _Words(
        lang="en",
        titles={
            ContactRole.decision_maker: ("CEO", "COO", "VP Operations", "General Manager"),
            ContactRole.influencer: ("IT Director", "Plant Manager", "Head of Engineering"),
            ContactRole.champion: ("Operations Manager", "Supply Chain Manager", "Project Lead"),
            ContactRole.user: ("Maintenance Supervisor", "Logistics Coordinator"),
            ContactRole.procurement: ("Procurement Manager", "Purchasing Lead"),
            ContactRole.blocker: ("Legal Counsel", "Internal Audit Lead"),
        },
        notes={
            InteractionKind.visit: "Visited {c} on site; walked the floor and discussed {t}.",
            InteractionKind.call: "Call with {c} about {t}.",
            InteractionKind.meeting: "Meeting with {c} and team: reviewed {t}.",
            InteractionKind.meal: "Lunch with {c}; informal chat about {t}.",
            InteractionKind.message: "Sent {c} a follow-up on {t}.",
        },
        topics=(
            *("next year's volumes", "renewal terms", "pricing for next year", "the service SLA"),
            *("a new project", "delivery delays", "the payment schedule", "expansion plans"),
            *("a quality issue on the last shipment", "the spare-parts forecast"),
        ),
        deal_names=(
            *("Annual supply agreement", "Line automation retrofit", "Fleet telematics rollout"),
            *("Cold-chain WMS", "Spare parts framework", "ERP integration"),
            *("Predictive maintenance pilot", "Packaging line upgrade", "Energy audit & retrofit"),
            *("Service contract renewal", "Warehouse robotics pilot", "Rooftop solar EPC"),
        ),
        lost_reasons=(
            "Lost on price to a local competitor",
            "Budget frozen",
            "Chose the incumbent",
        ),
        tasks=(
            "Send updated price list",
            "Book the quarterly business review",
            "Share the case study deck",
            "Check delivery status of the last order",
            "Introduce our solutions engineer",
        ),
        joiner=" and ",
        lunar_share=0.0,
    ),
    _Words(
        lang="zh",
        titles={
            ContactRole.decision_maker: ("董事长", "总经理", "副总经理"),
            ContactRole.influencer: ("技术总监", "厂长", "信息部经理"),
            ContactRole.champion: ("运营经理", "项目经理", "供应链经理"),
            ContactRole.user: ("设备主管", "仓储主管"),
            ContactRole.procurement: ("采购经理", "采购主管", "招标专员"),
            ContactRole.blocker: ("法务经理", "审计主管"),
        },
        notes={
            InteractionKind.visit: "拜访{c}，现场参观并沟通了{t}。",
            InteractionKind.call: "与{c}电话沟通{t}。",
            InteractionKind.meeting: "与{c}及团队开会，讨论{t}。",
            InteractionKind.meal: "与{c}共进午餐，聊了{t}。",
            InteractionKind.message: "微信跟进{c}，关于{t}。",
        },
        topics=(
            *("明年的采购计划", "续约条款", "付款进度", "新项目需求", "交付周期", "价格调整"),
            *("售后服务", "二期扩产", "上批货的质量问题", "备件需求预测"),
        ),
        deal_names=(
            *("年度框架采购", "产线自动化改造", "备品备件年度协议", "二期扩产设备"),
            *("能源管理系统", "仓储自动化项目", "售后服务续约", "数字化工厂试点"),
            *("储能项目", "物流外包合同"),
        ),
        lost_reasons=("价格高于竞争对手", "客户预算冻结", "客户选择了原供应商"),
        tasks=("发送最新报价单", "预约季度业务回顾", "分享成功案例资料", "确认上批订单交付情况"),
        joiner="、",
        lunar_share=0.4,
    ),
)


def _words(lang: str) -> _Words:
    return next(w for w in _WORDS if w.lang == lang)


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
            share = _words(lang).lunar_share
            lunar = share > 0 and rng.random() < share  # no draw at 0: the same book as before
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
        title = rng.choice(_words(lang).titles[role])
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
        topic = rng.choice(_words(lang).topics)
        who = _words(lang).joiner.join(c.name for c in picked)
        roll = rng.random()
        author = owner if roll < 0.85 else ("bob" if roll < 0.95 else rng.choice(teammates))
        out.append(
            _InteractionPlan(
                kind=kind,
                happened_at=clock.at(days, rng.randint(9, 17), rng.choice((0, 15, 30, 45))),
                notes=_words(lang).notes[kind].format(c=who, t=topic),
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
        lost_reason=rng.choice(_words(lang).lost_reasons) if stage == DealStage.lost else None,
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


def _plan(today: date, settings: Policy) -> _Book:
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
    names = [n for n in _words(plan.lang).deal_names if n not in {d.name for d in out}]
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
    for text_ in rng.sample(_words(plan.lang).tasks, rng.randint(0, 2)):
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
