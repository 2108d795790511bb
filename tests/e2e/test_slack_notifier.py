"""SlackNotifier against the fake Web API: DMs, channels, Retry-After, and failures that
reach the caller instead of vanishing."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from bot.bootstrap import build_notifier
from bot.config import Settings, SlackSettings
from bot.slack.notifier import SlackNotifier
from handlers.notify import Recipient, SendError
from handlers.render.slack import render_blocks
from handlers.replies import Action, Reply
from tests.e2e.fake_slack import BOT_TOKEN, FakeSlack, running_fake

ALICE = Recipient("slack", "user", "U0ALICE", "user:alice")
EAST = Recipient("slack", "channel", "C0EAST", "team:East")
LAPSE = Reply(
    title="Acme: 20 days since the last contact",
    lines=["Tier A accounts are visited every 14 days."],
    actions=[Action("Log visit", "visit Acme ", kind="modal")],
)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    yield from running_fake()


@pytest.fixture
def notifier(fake) -> SlackNotifier:
    # SLACK_API_URL without its trailing slash works too.
    return SlackNotifier.from_settings(
        SlackSettings(bot_token=BOT_TOKEN, api_url=fake.api_url.rstrip("/"))
    )


def test_a_dm_opens_the_conversation_once_then_posts_the_blocks(fake, notifier):
    notifier.send(ALICE, LAPSE)
    notifier.send(ALICE, LAPSE)

    [opened] = fake.calls("conversations.open")
    assert opened.body["users"] == "U0ALICE"
    first, second = fake.calls("chat.postMessage")
    assert first.body["channel"] == second.body["channel"] == "DU0ALICE"
    assert first.blocks == render_blocks(LAPSE)[0]["blocks"]
    assert first.body["text"] == "Acme: 20 days since the last contact"
    assert first.token == BOT_TOKEN


def test_a_channel_message_posts_straight_to_the_channel(fake, notifier):
    notifier.send(EAST, LAPSE)
    [posted] = fake.calls("chat.postMessage")
    assert posted.body["channel"] == "C0EAST"
    assert fake.calls("conversations.open") == []


def test_a_long_reply_arrives_as_several_messages_in_order(fake, notifier):
    reply = Reply(title="Team digest")
    for i in range(60):
        reply.add_section(f"Account {i:02d}", ["x" * 2900])
    notifier.send(EAST, reply)

    posted = fake.calls("chat.postMessage")
    assert len(posted) == len(render_blocks(reply)) > 1
    assert all(len(p.blocks) <= 50 for p in posted)
    text = "\n".join(p.block_text() for p in posted)
    assert text.index("Account 00") < text.index("Account 59")


def test_429_is_retried_after_retry_after_and_sent_once(fake, notifier):
    fake.fail("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    notifier.send(EAST, LAPSE)

    assert time.monotonic() - started >= 1.0
    assert [c.status for c in fake.calls("chat.postMessage")] == [429, 200]
    assert len(fake.calls("chat.postMessage", ok=True)) == 1


def test_a_wait_longer_than_worth_holding_a_thread_is_reported_back_as_retryable(fake, notifier):
    fake.fail("chat.postMessage", status=429, retry_after=600)
    started = time.monotonic()
    with pytest.raises(SendError) as raised:
        notifier.send(EAST, LAPSE)
    assert raised.value.retryable
    assert time.monotonic() - started < 1.0
    assert fake.calls("chat.postMessage", ok=True) == []


@pytest.mark.parametrize(
    ("failure", "retryable"),
    [
        ({"error": "channel_not_found"}, False),
        ({"error": "is_archived"}, False),
        ({"error": "internal_error"}, True),
        ({"status": 503}, True),
    ],
)
def test_other_failures_raise_send_error_saying_whether_to_retry(fake, notifier, failure,
                                                                  retryable):  # fmt: skip
    fake.fail("chat.postMessage", **failure)
    with pytest.raises(SendError) as raised:
        notifier.send(EAST, LAPSE)
    assert raised.value.retryable is retryable
    assert "team:East" in str(raised.value)


def test_a_user_slack_cannot_open_a_dm_with_is_a_permanent_failure(fake, notifier):
    fake.fail("conversations.open", error="user_not_found")
    with pytest.raises(SendError) as raised:
        notifier.send(ALICE, LAPSE)
    assert not raised.value.retryable
    assert fake.calls("chat.postMessage") == []


def test_slack_being_unreachable_is_retryable():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    notifier = SlackNotifier.from_settings(
        SlackSettings(bot_token=BOT_TOKEN, api_url=f"http://127.0.0.1:{port}/api/")
    )
    with pytest.raises(SendError) as raised:
        notifier.send(EAST, LAPSE)
    assert raised.value.retryable


def test_not_a_slack_recipient_is_refused(notifier):
    with pytest.raises(SendError) as raised:
        notifier.send(Recipient("wecom", "user", "wanglei", "user:wang"), LAPSE)
    assert not raised.value.retryable


def test_the_app_routes_slack_recipients_to_slack(fake, engine):
    settings = Settings(slack=SlackSettings(bot_token=BOT_TOKEN, api_url=fake.api_url))
    build_notifier(settings, engine).send(EAST, LAPSE)
    [posted] = fake.calls("chat.postMessage")
    assert posted.body["channel"] == "C0EAST"
