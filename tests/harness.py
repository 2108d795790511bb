"""Chat with kam in a test, on the same path as every platform.

``book`` builds a small crafted book every command test can rely on:

    teams   East (alice, carol; Slack C0EAST), 华东 (wang; WeCom chat wrEast), West (eve)
    users   alice (rep, East, en), wang (rep, 华东, zh, 王磊), carol (rep, East),
            bob (manager of East and 华东), eve (rep, West), admin (admin)
    accounts Acme (alice, A, alias "ACME Corp"), 华夏重工 (wang, B, alias 华夏),
            Globex (carol, East, C), Initech (eve, West, B)
    contacts Acme: Li Wei (CFO, decision maker), Tom Brown; 华夏重工: 王建国 (总经理), 李娜 (采购经理)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.config import Settings
from handlers.commands import command_table
from handlers.dispatcher import Dispatcher, Incoming
from handlers.notify import RecordingNotifier
from handlers.observe import CommandObserver, unobserved
from handlers.registry import CommandTable
from handlers.render.text import render_text
from handlers.replies import Reply
from storage.session import unit_of_work
from tests import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday morning in Shanghai.
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI)


@dataclass
class Chat:
    engine: Engine
    now: datetime = NOW
    settings: Settings = field(default_factory=Settings)
    notifier: RecordingNotifier = field(default_factory=RecordingNotifier)
    commands: CommandTable = field(default_factory=command_table)
    on_command: CommandObserver = unobserved
    directories: dict = field(default_factory=dict)  # bot.bootstrap.build_directories

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(
            self.engine,
            self.settings,
            self.notifier,
            clock=lambda: self.now,
            commands=self.commands,
            on_command=self.on_command,
            directories=self.directories,
        )

    def say(
        self, handle: str, text: str, *, platform: str = "console", mentions: tuple = ()
    ) -> Reply:
        return self.dispatcher.handle(
            Incoming(text=text, actor=handle, platform=platform, mentions=mentions)
        )

    def say_slack_markup(self, handle: str, text: str) -> Reply:
        """``text`` as Slack writes it (``<@U123|bob>``), read by kam's Slack adapter."""
        from bot.slack.markup import read

        plain, mentions = read(text)
        return self.say(handle, plain, mentions=mentions)

    def text(self, handle: str, text: str) -> str:
        return render_text(self.say(handle, text))


@dataclass
class Book:
    ids: dict[str, int]

    def __getitem__(self, key: str) -> int:
        return self.ids[key]


def book(engine: Engine) -> Book:
    with unit_of_work(engine) as s:
        east = f.team(s, "East", slack_channel="C0EAST")
        huadong = f.team(s, "华东", wecom_chat_id="wrEast")
        west = f.team(s, "West")
        bob = f.user(s, "bob", team=east, role="manager", manages=(east, huadong), slack_id="U0BOB")
        alice = f.user(
            s, "alice", team=east, manager=bob, slack_id="U0ALICE", display_name="Alice Chen"
        )
        carol = f.user(s, "carol", team=east, manager=bob, timezone="America/New_York")
        wang = f.user(
            s,
            "wang",
            team=huadong,
            manager=bob,
            language="zh",
            display_name="王磊",
            wecom_id="wanglei",
        )
        eve = f.user(s, "eve", team=west)
        admin = f.user(s, "admin", role="admin")
        acme = f.account(s, "Acme", owner=alice, tier="A", aliases=("ACME Corp",), score=80.0)
        huaxia = f.account(s, "华夏重工", owner=wang, tier="B", aliases=("华夏",), score=60.0)
        globex = f.account(s, "Globex", owner=carol, tier="C", score=30.0)
        initech = f.account(s, "Initech", owner=eve, tier="B", score=55.0)
        li = f.contact(
            s,
            acme,
            "Li Wei",
            title="CFO",
            role="decision_maker",
            birthday_month=11,
            birthday_day=25,
        )
        tom = f.contact(s, acme, "Tom Brown", title="IT Director", role="influencer")
        jianguo = f.contact(
            s, huaxia, "王建国", title="总经理", role="decision_maker",
            birthday_month=4, birthday_day=8, birthday_lunar=True,
        )  # fmt: skip
        lina = f.contact(s, huaxia, "李娜", title="采购经理", role="procurement")
        ids = {
            "east": east.id, "huadong": huadong.id, "west": west.id, "bob": bob.id,
            "alice": alice.id, "carol": carol.id, "wang": wang.id, "eve": eve.id,
            "admin": admin.id, "acme": acme.id, "huaxia": huaxia.id, "globex": globex.id,
            "initech": initech.id, "li_wei": li.id, "tom": tom.id, "jianguo": jianguo.id,
            "lina": lina.id,
        }  # fmt: skip
    return Book(ids)
