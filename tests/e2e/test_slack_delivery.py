"""Answering the asker (``bot.slack.delivery``) against the fake Web API: in place when
possible, by DM otherwise, and never a message twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import SlackSettings
from bot.slack.delivery import Origin, Responder
from bot.slack.notifier import SlackNotifier
from handlers.render.slack import render_blocks
from handlers.replies import Reply, Visibility
from tests.e2e.fake_slack import BOT_TOKEN, FakeSlack, running_fake

SUMMARY = Reply(title="Acme (ACME Corp)", lines=["Tier A · Alice Chen"])


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    yield from running_fake()


@pytest.fixture
def responder(fake) -> Responder:
    settings = SlackSettings(bot_token=BOT_TOKEN, api_url=fake.api_url)
    return Responder(SlackNotifier.from_settings(settings))


def long_reply() -> Reply:
    reply = Reply(title="All my accounts")
    for i in range(60):
        reply.add_section(f"Account {i:02d}", ["·" * 2500])
    assert len(render_blocks(reply)) == 2
    return reply


def test_private_in_a_channel_is_ephemeral_public_is_posted(fake, responder):
    origin = Origin("U0ALICE", "C0EAST", thread_ts="1700000000.000100")
    responder.answer(origin, SUMMARY)
    responder.answer(origin, Reply(title="Deal won", visibility=Visibility.public))

    [ephemeral] = fake.calls("chat.postEphemeral")
    assert (ephemeral.body["channel"], ephemeral.body["user"]) == ("C0EAST", "U0ALICE")
    assert ephemeral.body["thread_ts"] == "1700000000.000100"
    [posted] = fake.calls("chat.postMessage")
    assert posted.body["channel"] == "C0EAST"
    assert posted.blocks[0]["text"]["text"] == "Deal won"


def test_an_expired_response_url_falls_back_to_a_dm(fake, responder):
    fake.fail("response_url", status=404)
    responder.answer(Origin("U0ALICE", "C0EAST", response_url=fake.response_url()), SUMMARY)

    [dm] = fake.calls("chat.postMessage")
    assert dm.body["channel"] == "DU0ALICE"
    assert dm.blocks == render_blocks(SUMMARY)[0]["blocks"]


def test_when_part_of_a_long_answer_fails_only_the_rest_goes_by_dm(fake, responder):
    reply = long_reply()
    fake.fail("chat.postEphemeral", error="channel_not_found", after=1)
    responder.answer(Origin("U0ALICE", "C0GONE"), reply)

    first, second = render_blocks(reply)
    assert [c.blocks for c in fake.calls("chat.postEphemeral", ok=True)] == [first["blocks"]]
    assert [c.blocks for c in fake.calls("chat.postMessage")] == [second["blocks"]]


def test_with_nowhere_left_to_answer_the_failure_is_logged(fake, responder, caplog):
    fake.fail("chat.postEphemeral", error="not_in_channel")
    fake.fail("conversations.open", error="user_not_found")
    responder.answer(Origin("U0GONE", "C0EAST"), SUMMARY)  # does not raise
    assert "could not answer U0GONE" in caplog.text
    assert fake.calls("chat.postMessage") == []
