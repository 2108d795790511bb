"""What Slack and WeCom are told while the database is down, so that nothing is lost.

A private PostgreSQL (the ``private_pg`` fixture of ``test_outage``) is stopped under a
running server that has both platforms configured against their fakes:

* a Slack event (a DM) cannot be taken in — its id cannot be claimed — so the answer
  is a 503 instead of the ack, and Slack delivers it again later;
* a Slack slash command is never redelivered by Slack: it is acknowledged, and the
  user is told to try again in a minute;
* a WeCom callback is a 503 too, and WeCom delivers it again.

When the database is back, the redeliveries — the very same requests — take effect
exactly once, and a second redelivery changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.bootstrap import App, build_app
from bot.config import SlackSettings
from bot.server import BotServer
from domain.models import InboundEvent, Interaction
from storage.session import unit_of_work
from tests.e2e.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, SlackCaller, dm_event
from tests.e2e.fake_wecom import FakeWecom, WecomPeer, wecom_settings
from tests.harness import book
from tests.ops import test_outage
from tests.ops.test_outage import wait_healthy

private_pg = test_outage.private_pg  # the private PostgreSQL server, a module fixture

ALICE = "U0ALICE"
TRY_AGAIN = "kam can't reach its database right now — try again in a minute"


@dataclass
class Platforms:
    kam: App
    server: BotServer
    slack: SlackCaller
    fake_slack: FakeSlack
    wecom: WecomPeer
    fake_wecom: FakeWecom


@pytest.fixture
def platforms(private_pg) -> Iterator[Platforms]:
    if not private_pg.running():
        private_pg.start()
    url = private_pg.create_database("kam_platforms_outage")
    with FakeSlack() as fake_slack:
        fake_wecom = FakeWecom().start()
        slack = SlackSettings(
            bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake_slack.api_url
        )
        kam = build_app(wecom_settings(fake_wecom, slack=slack, database_url=url))
        book(kam.engine)
        server = BotServer(kam).start_in_thread()
        try:
            yield Platforms(
                kam, server, SlackCaller(server.url), fake_slack, WecomPeer(server.url), fake_wecom
            )
        finally:
            server.stop()
            kam.engine.dispose()
            fake_wecom.stop()


def notes(kam: App) -> list[str]:
    with unit_of_work(kam.engine, write=False) as s:
        return sorted(s.exec(select(Interaction.notes)).all())


def claimed(kam: App, platform: str) -> int:
    with unit_of_work(kam.engine, write=False) as s:
        query = select(func.count()).select_from(InboundEvent)
        return s.exec(query.where(InboundEvent.platform == platform)).one()


def header(call) -> str:
    return call.blocks[0]["text"]["text"]


def test_platforms_are_told_to_retry_and_their_retries_take_effect_once(private_pg, platforms):
    p = platforms
    slack_visit = dm_event(ALICE, "visit Acme budget approved, during the outage")
    wecom_visit = p.wecom.text("wanglei", "/拜访 华夏重工 停机期间谈了预算")
    nonce, timestamp = "20261118", int(time.time())

    private_pg.stop()

    # Slack, Events API: no ack, so Slack delivers the event again.
    refused = p.slack.event(slack_visit, event_id="Ev0OUTAGE001")
    assert refused.status_code == 503
    # Slack, slash command: acknowledged, and the user is told what is going on.
    ack = p.slack.slash(
        "/visit", "Acme pricing call", user=ALICE, response_url=p.fake_slack.response_url("s")
    )
    assert ack.status_code == 200
    [answer] = p.fake_slack.wait_for("response_url", timeout=15)
    assert header(answer) == TRY_AGAIN
    # WeCom: a 503, so WeCom delivers the callback again.
    assert p.wecom.post(wecom_visit, nonce=nonce, timestamp=timestamp).status_code == 503
    assert p.fake_slack.calls("chat.postMessage") == []
    assert p.fake_wecom.delivered("message/send") == []

    private_pg.start()
    wait_healthy(p.server)
    assert notes(p.kam) == []  # nothing of the outage's requests was written
    assert claimed(p.kam, "slack") == claimed(p.kam, "wecom") == 0

    # Slack's retry of the refused event, now taken in.
    assert p.slack.event(slack_visit, event_id="Ev0OUTAGE001", retry_num=1).status_code == 200
    [dm] = p.fake_slack.wait_for("chat.postMessage", timeout=15)
    assert dm.body["channel"] == "D" + ALICE
    assert header(dm) == "Logged visit with Acme"
    # WeCom's redelivery: the same nonce and timestamp, and now a passive reply.
    again = p.wecom.post(wecom_visit, nonce=nonce, timestamp=timestamp)
    assert again.status_code == 200
    assert "已记录拜访" in p.wecom.open_reply(again)["Content"]

    # One more redelivery of each, after they were taken in: acknowledged, not repeated.
    assert p.slack.event(slack_visit, event_id="Ev0OUTAGE001", retry_num=2).status_code == 200
    twice = p.wecom.post(wecom_visit)  # signed afresh, the same MsgId
    assert (twice.status_code, twice.content) == (200, b"")
    time.sleep(0.3)  # room for a wrongly accepted retry to run
    assert notes(p.kam) == ["budget approved, during the outage", "停机期间谈了预算"]
    assert len(p.fake_slack.calls("chat.postMessage")) == 1
