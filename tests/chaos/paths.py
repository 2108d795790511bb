"""The inbound paths of the chaos suite: how each message is made, sent, resent by its
platform, and judged (``tests.chaos.harness.Inbound``).

    slack-slash             /visit in a channel, answered at its response_url
    slack-slash-notifying   bob's /visit on 王磊's account: 王磊 is told on WeCom
    slack-dm-event          a DM to kam (message.im), answered by chat.postMessage
    slack-button            a question's button (block_actions): a deal is made
    slack-form              the visit form submitted (view_submission)
    wecom-text              /拜访 from 王磊: a passive reply, or message/send
    wecom-card-click        a question card's button (template_card_event): a deal
    wecom-subscribe         王磊 adds the app: kam's help, nothing written
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from bot.bootstrap import build_app
from bot.config import Settings
from bot.slack.views import ModalCommand, command_modal
from domain.models import Deal, Interaction
from handlers.commands import command_table
from handlers.dispatcher import Incoming
from handlers.notify import RecordingNotifier
from handlers.render.slack import render_blocks
from storage.engine import make_engine
from storage.session import unit_of_work
from tests.chaos.harness import (
    ALICE,
    BOB,
    CHANNEL,
    WANG,
    Attempt,
    Inbound,
    Platforms,
    Sealed,
    attempt,
    passive_texts,
    seal,
    slack_messages,
    wecom_sends,
)
from tests.e2e.fake_slack import TEAM_ID, SlackCaller
from tests.e2e.fake_wecom import WecomPeer


def _count(database_url: str, model: Any, *where: Any) -> int:
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine, write=False) as s:
            return s.exec(select(func.count()).select_from(model).where(*where)).one()
    finally:
        engine.dispose()


def _ask(database_url: str, actor: str, platform: str, text: str) -> dict[str, Any]:
    """Ask kam something it answers with a question (in this process, on the database
    kam run will use): the question's id and its first button, as kam rendered it."""
    engine = make_engine(database_url)
    try:
        kam = build_app(
            Settings(database_url=database_url), notifier=RecordingNotifier(), engine=engine
        )
        channel = CHANNEL if platform == "slack" else None
        reply = kam.dispatcher.handle(Incoming(text, actor, platform=platform, channel=channel))
        assert reply.question is not None, f"kam did not ask: {reply.title}"
        buttons = [
            element
            for message in render_blocks(reply)
            for block in message["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
        ]
        return {"question": reply.question, "button": buttons[0] if buttons else None}
    finally:
        engine.dispose()


class VisitPath(Inbound):
    """A visit with a note no other message has: its effect is the interaction rows."""

    expect = "Logged visit with Acme"
    table = "interaction"

    @property
    def note(self) -> str:
        return f"met Li Wei about chaos {self.tag}"

    def effect(self, database_url: str) -> int:
        return _count(database_url, Interaction, Interaction.notes == self.note)

    def answers(self, platforms: Platforms, attempts: list[Attempt]) -> int:
        return sum(self.expect in m for m in slack_messages(platforms.slack))


class SlackSlash(VisitPath):
    """``/visit Acme …`` in a channel; answered at its response_url.  Slack never
    resends a slash command: after a crash only kam's sweeper can finish it."""

    account, user = "Acme", ALICE

    def first(self, url: str, platforms: Platforms) -> Attempt:
        caller = SlackCaller(url)
        return attempt(
            "slash",
            lambda: caller.slash(
                "/visit",
                f"{self.account} {self.note}",
                user=self.user,
                channel=CHANNEL,
                response_url=platforms.slack.response_url(self.tag),
            ),
        )


class SlackSlashNotifying(SlackSlash):
    """Bob, their manager, logs a visit on 王磊's 华夏重工 with ``/visit`` on Slack: his
    answer goes to the response_url, and 王磊 is told on WeCom (message/send) — a
    notification to someone else, sent once however the run was cut."""

    account, user = "华夏重工", BOB
    expect = "Logged visit with 华夏重工"

    def notifications(self, platforms: Platforms) -> int:
        return sum(self.note in t for t in wecom_sends(platforms.wecom, WANG))


class SlackDirectMessage(VisitPath):
    """A DM to kam (``message.im`` event); answered by chat.postMessage.  Slack retries
    the same body with ``X-Slack-Retry-Num`` when it got no ack."""

    def __post_init__(self) -> None:
        self.event_id = f"Ev{self.tag.upper()}CHAOS"
        self.ts = f"{time.time():.6f}"

    def _send(self, url: str, retry: int | None) -> Attempt:
        caller = SlackCaller(url)
        event = {"type": "message", "channel_type": "im", "channel": "D" + ALICE,
                 "user": ALICE, "text": f"visit Acme {self.note}", "ts": self.ts}  # fmt: skip
        return attempt(
            f"event retry {retry}" if retry else "event",
            lambda: caller.event(event, event_id=self.event_id, retry_num=retry),
        )

    def first(self, url: str, platforms: Platforms) -> Attempt:
        return self._send(url, None)

    def replay(self, url: str, platforms: Platforms, first: Attempt) -> list[Attempt]:
        # Slack retries what it got no ack for (up to 3 times); an ack that came back
        # late (past 3 s) gets a retry too: send at least the first retry either way.
        sent = []
        for n in (1, 2, 3):
            sent.append(self._send(url, n))
            if sent[-1].acked:
                break
        return sent


class SlackButton(Inbound):
    """A click on the button of a question kam asked (``/deal Acme robotics pilot`` →
    "start a new deal?"): a block_actions interaction, answered at its response_url.
    The effect: the deal is made once.  Slack never resends an interaction."""

    deal = "robotics pilot"
    table = "deal"

    def prepare(self, database_url: str, platforms: Platforms) -> None:
        asked = _ask(database_url, ALICE, "slack", f"/deal Acme {self.deal}")
        self.button = asked["button"]
        assert self.button is not None

    def first(self, url: str, platforms: Platforms) -> Attempt:
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "kam-test"},
            "user": {"id": ALICE, "username": "alice", "team_id": TEAM_ID},
            "api_app_id": "A0KAM",
            "token": "deprecated-verification-token",
            "container": {"type": "message", "channel_id": CHANNEL, "is_ephemeral": True},
            "trigger_id": f"{self.tag}.1.click",
            "channel": {"id": CHANNEL, "name": "east"},
            "response_url": platforms.slack.response_url(self.tag),
            "actions": [{**self.button, "block_id": "kam", "action_ts": f"{time.time():.6f}"}],
        }
        caller = SlackCaller(url)
        return attempt("click", lambda: caller.interaction(payload))

    def effect(self, database_url: str) -> int:
        return _count(database_url, Deal, Deal.name == self.deal)

    def answers(self, platforms: Platforms, attempts: list[Attempt]) -> int:
        return sum(f"New deal “{self.deal}”" in m for m in slack_messages(platforms.slack))


class SlackForm(VisitPath):
    """The "Log visit" form submitted (view_submission): an empty ack closes it, the
    answer goes to the response_url it was opened with.  Never resent by Slack."""

    def first(self, url: str, platforms: Platforms) -> Attempt:
        metadata = {
            "channel": CHANNEL,
            "response_url": platforms.slack.response_url(self.tag),
            "bot_dm": False,
        }
        view = command_modal(
            ModalCommand("visit", "Acme", ""), command_table().find("visit"), "en", metadata
        )
        values = {"account": "Acme", "details": self.note}
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "kam-test"},
            "user": {"id": ALICE, "username": "alice", "team_id": TEAM_ID},
            "api_app_id": "A0KAM",
            "token": "deprecated-verification-token",
            "trigger_id": f"{self.tag}.2.submit",
            "view": {
                **view,
                "id": f"V{self.tag.upper()}",
                "team_id": TEAM_ID,
                "state": {
                    "values": {
                        block: {"value": {"type": "plain_text_input", "value": value}}
                        for block, value in values.items()
                    }
                },
            },
        }
        caller = SlackCaller(url)
        return attempt("submit", lambda: caller.interaction(payload))


class WecomPath(Inbound):
    """A WeCom callback, resent byte for byte while it goes unanswered (up to three
    more times, as WeCom does), and once after the restart in any case."""

    def sealed(self, peer: WecomPeer) -> Sealed:
        raise NotImplementedError

    def first(self, url: str, platforms: Platforms) -> Attempt:
        self.peer = WecomPeer(url)
        self.callback = self.sealed(self.peer)
        return attempt("callback", self.callback.post)

    def replay(self, url: str, platforms: Platforms, first: Attempt) -> list[Attempt]:
        target = f"{url}/wecom/callback"
        sent = []
        for n in (1, 2, 3):
            sent.append(attempt(f"redelivery {n}", lambda: self.callback.post(target)))
            if sent[-1].acked:
                break
        return sent

    def texts(self, platforms: Platforms, attempts: list[Attempt]) -> list[str]:
        return passive_texts(self.peer, attempts) + wecom_sends(platforms.wecom, WANG)


class WecomText(WecomPath):
    """``/拜访 华夏重工 …`` from 王磊: a passive reply, or message/send."""

    table = "interaction"

    @property
    def note(self) -> str:
        return f"见了王建国 混沌测试 {self.tag}"

    def sealed(self, peer: WecomPeer) -> Sealed:
        msg_id = 7_600_000_000_000_000_000 + int(self.tag, 16)
        return seal(peer, peer.text(WANG, f"/拜访 华夏重工 {self.note}", msg_id=msg_id))

    def effect(self, database_url: str) -> int:
        return _count(database_url, Interaction, Interaction.notes == self.note)

    def answers(self, platforms: Platforms, attempts: list[Attempt]) -> int:
        return sum("已记录拜访" in t for t in self.texts(platforms, attempts))


class WecomCardClick(WecomPath):
    """A click on a question card's button (template_card_event): the question kam
    asked about ``/商机 华夏重工 机器人项目``, answered "1" — the deal is made once; the
    answer goes by message/send (the passive reply only renames the button)."""

    deal = "机器人项目"
    table = "deal"

    def prepare(self, database_url: str, platforms: Platforms) -> None:
        asked = _ask(database_url, WANG, "wecom", f"/商机 华夏重工 {self.deal}")
        self.task_id = f"kamq{asked['question']}-{self.tag}"  # as bot.wecom.callback makes it

    def sealed(self, peer: WecomPeer) -> Sealed:
        return seal(peer, peer.card_event(WANG, self.task_id, "1"))

    def effect(self, database_url: str) -> int:
        return _count(database_url, Deal, Deal.name == self.deal)

    def answers(self, platforms: Platforms, attempts: list[Attempt]) -> int:
        return sum(f"已新建商机“{self.deal}”" in t for t in self.texts(platforms, attempts))


class WecomSubscribe(WecomPath):
    """王磊 adds kam's app (a subscribe event): kam answers with its help.  Nothing is
    written, so the effect is the answer alone — and a command that writes nothing has
    no transaction to die in: ``command.inside`` and ``command.committed`` are only on
    the paths of commands that write (``handlers.dispatcher``)."""

    steps = ("inbound.received", "reply.sent")

    def sealed(self, peer: WecomPeer) -> Sealed:
        return seal(peer, peer.event(WANG, "subscribe"))

    def effect(self, database_url: str) -> None:
        return None

    def answers(self, platforms: Platforms, attempts: list[Attempt]) -> int:
        return sum("kam 命令一览" in t for t in self.texts(platforms, attempts))


PATHS: dict[str, type[Inbound]] = {
    "slack-slash": SlackSlash,
    "slack-slash-notifying": SlackSlashNotifying,
    "slack-dm-event": SlackDirectMessage,
    "slack-button": SlackButton,
    "slack-form": SlackForm,
    "wecom-text": WecomText,
    "wecom-card-click": WecomCardClick,
    "wecom-subscribe": WecomSubscribe,
}


def new_path(name: str) -> Inbound:
    return PATHS[name](name)


def cases() -> list[tuple[str, str]]:
    """Every (path, failpoint) the path passes through."""
    return [(name, step) for name, kind in PATHS.items() for step in kind.steps]


def writers() -> list[str]:
    """The paths whose command writes a table (one the test can hold locked)."""
    return [name for name, kind in PATHS.items() if kind.table is not None]
