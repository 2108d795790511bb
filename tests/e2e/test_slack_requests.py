"""Slack → kam over real HTTP: signed requests to ``kam run``'s server, a fake Web API."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from domain.models import AuditEntry, Interaction, InteractionContact, User
from storage.session import unit_of_work
from tests import factories as f
from tests.e2e.fake_slack import (
    BOT_TOKEN,
    Call,
    FakeSlack,
    SlackCaller,
    SlackEnv,
    running_fake,
    slack_env,
)

ALICE = "U0ALICE"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    yield from running_fake()


@pytest.fixture
def env(fake, start_server, engine) -> SlackEnv:
    return slack_env(fake, start_server, engine)


def count(engine, model) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def header(call: Call) -> str:
    return call.blocks[0]["text"]["text"]


@pytest.mark.parametrize(("command", "text"), [("/kam", "account Acme"), ("/account", "Acme")])
def test_slash_command_is_acknowledged_at_once_and_the_summary_follows(env, command, text):
    started = time.monotonic()
    r = env.slack.slash(command, text, user=ALICE, response_url=env.fake.response_url("a"))
    assert r.status_code == 200
    assert time.monotonic() - started < 3.0

    [answer] = env.fake.wait_for("response_url")
    assert answer.path == "/response/a"
    assert answer.body["response_type"] == "ephemeral"  # account data, asked in a channel
    assert header(answer) == "Acme (ACME Corp)"
    assert "Alice Chen · East" in answer.block_text()
    assert answer.body["text"]  # the plain-text fallback for notifications
    buttons = [b for b in answer.blocks if b["type"] == "actions"]
    assert buttons, "the summary offers its Log visit button"


def test_slash_command_in_the_bots_own_dm_answers_as_a_normal_message(env):
    r = env.slack.slash(
        "/kam",
        "account Acme",
        user=ALICE,
        channel="D" + ALICE,
        response_url=env.fake.response_url(),
    )
    assert r.status_code == 200
    [answer] = env.fake.wait_for("response_url")
    assert answer.body["response_type"] == "in_channel"


@pytest.mark.parametrize("tamper", ["wrong secret", "stale timestamp", "no signature"])
def test_a_badly_signed_request_gets_401_and_changes_nothing(env, engine, tamper):
    body = env.slack.slash_body(
        "/visit",
        "Acme met Li Wei, budget approved",
        user=ALICE,
        response_url=env.fake.response_url(),
    )
    if tamper == "wrong secret":
        r = SlackCaller(env.url, secret="not-the-secret").post(body, FORM)
    elif tamper == "stale timestamp":  # correctly signed, but six minutes old: a replay
        r = env.slack.post(body, FORM, timestamp=int(time.time()) - 6 * 60)
    else:
        r = env.slack.post(body, FORM, signature="")
    assert r.status_code == 401

    # The server still works; once a later request is answered, the bad one did nothing.
    ok = env.slack.slash("/kam", "help", user=ALICE, response_url=env.fake.response_url("help"))
    assert ok.status_code == 200
    env.fake.wait_for("response_url")
    assert [c.path for c in env.fake.calls("response_url")] == ["/response/help"]
    assert count(engine, Interaction) == 0
    assert count(engine, AuditEntry) == 0


def test_a_redelivered_event_is_handled_once(env, engine, caplog):
    caplog.set_level(logging.INFO, logger="bot.slack.app")
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "D" + ALICE,
        "user": ALICE,
        "text": "visit Acme met Li Wei, budget approved",
        "ts": "1763430000.000200",
    }
    assert env.slack.event(event, event_id="Ev0VISIT0001").status_code == 200
    retry = env.slack.event(event, event_id="Ev0VISIT0001", retry_num=1)
    assert retry.status_code == 200

    [reply] = env.fake.wait_for("chat.postMessage")
    wait_until(lambda: "Ev0VISIT0001" in caplog.text)  # the redelivery was seen and dropped
    assert reply.body["channel"] == "D" + ALICE
    assert header(reply) == "Logged visit with Acme"
    assert count(engine, Interaction) == 1
    assert len(env.fake.calls("chat.postMessage")) == 1


def test_a_rate_limited_reply_is_retried_after_retry_after_and_arrives_once(env):
    env.fake.fail("chat.postMessage", status=429, retry_after=1)
    env.slack.dm(ALICE, "account Acme")

    env.fake.wait_for("chat.postMessage", timeout=10)
    first, second = env.fake.calls("chat.postMessage")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0
    assert header(second) == "Acme (ACME Corp)"
    assert len(env.fake.calls("chat.postMessage", ok=True)) == 1


def test_an_unknown_slack_user_changes_nothing_and_is_told_how_to_get_added(env, engine):
    users_before = count(engine, User)
    env.slack.dm("U0STRANGER", "visit Acme met Li Wei, budget approved")

    [reply] = env.fake.wait_for("chat.postMessage")
    assert reply.body["channel"] == "DU0STRANGER"
    assert header(reply) == "You are not registered in kam yet"
    assert "kam user add @you" in reply.block_text()
    assert "Nothing was changed." in reply.block_text()
    assert count(engine, Interaction) == 0
    assert count(engine, User) == users_before
    assert count(engine, AuditEntry) == 0


def test_user_text_is_escaped_in_blocks(env, engine):
    with unit_of_work(engine) as s:
        from domain.models import Account

        acme = s.get(Account, env.book["acme"])
        alice = s.get(User, env.book["alice"])
        contact = f.contact(s, acme, "<!channel> & <b>")
        visit = f.interaction(s, acme, author=alice, at=datetime.now(UTC) - timedelta(days=1))
        s.add(InteractionContact(interaction_id=visit.id, contact_id=contact.id))

    env.slack.slash("/kam", "account Acme", user=ALICE, response_url=env.fake.response_url())
    [answer] = env.fake.wait_for("response_url")
    text = answer.block_text()
    assert "&lt;!channel&gt; &amp; &lt;b&gt;" in text
    assert "<!channel>" not in json.dumps(answer.body)


def test_text_from_slack_is_unescaped_before_kam_reads_it(env, engine):
    # Slack sends "<b> & Co" typed by a person as "&lt;b&gt; &amp; Co".
    env.slack.dm(ALICE, "visit Acme talked pricing &lt;b&gt; &amp; Co")
    env.fake.wait_for("chat.postMessage")
    with unit_of_work(engine, write=False) as s:
        [notes] = s.exec(select(Interaction.notes)).all()
    assert notes == "talked pricing <b> & Co"


def test_a_mention_in_a_channel_answers_privately_and_falls_back_to_a_dm(env):
    env.fake.fail("chat.postEphemeral", error="not_in_channel")
    mention = {
        "type": "app_mention",
        "channel": "C0SALES",
        "user": ALICE,
        "text": "<@UKAMBOT> account Acme",
        "ts": "1763430000.000300",
    }
    assert env.slack.event(mention).status_code == 200

    [dm] = env.fake.wait_for("chat.postMessage")
    [ephemeral] = env.fake.calls("chat.postEphemeral")
    assert (ephemeral.body["channel"], ephemeral.body["user"]) == ("C0SALES", ALICE)
    assert env.fake.calls("conversations.open")[0].body["users"] == ALICE
    assert dm.body["channel"] == "D" + ALICE
    assert header(dm) == "Acme (ACME Corp)"


def test_every_web_api_call_carries_the_bot_token(env):
    env.slack.dm(ALICE, "account Acme")
    env.fake.wait_for("chat.postMessage")
    api_calls = [c for c in env.fake.calls() if c.method != "response_url"]
    assert api_calls and all(c.token == BOT_TOKEN for c in api_calls)


def test_acks_stay_fast_while_every_worker_is_busy_with_slow_commands(env):
    """Slow work (a long digest) must never delay the ack of the next request."""
    server_dispatcher = env.server.kam.dispatcher
    release = threading.Event()
    real_handle = server_dispatcher.handle

    def slow_handle(incoming):
        release.wait(10)  # a command that takes as long as the test wants
        return real_handle(incoming)

    server_dispatcher.handle = slow_handle
    try:
        with ThreadPoolExecutor(8) as pool:  # more slow messages than kam has workers
            acks = list(pool.map(lambda i: env.slack.dm(ALICE, f"help {i}"), range(24)))
        assert all(r.status_code == 200 for r in acks)
        started = time.monotonic()
        r = env.slack.slash(
            "/kam", "account Acme", user=ALICE, response_url=env.fake.response_url()
        )
        assert r.status_code == 200
        assert time.monotonic() - started < 1.0
    finally:
        release.set()
    env.fake.wait_for("response_url", timeout=10)
