"""A question kam asks on Slack, over real HTTP: Block Kit buttons bound to the
question, answered once by the asker's click, the question's message then showing the
choice taken (chat.update, or the response_url for an ephemeral one)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlmodel import func, select

from domain.models import Interaction, PendingQuestion
from storage.session import unit_of_work
from tests.e2e.fake_slack import FakeSlack, SlackEnv, new_trigger_id, running_fake, slack_env
from tests.e2e.test_slack_interactive import buttons, click, wait_until
from tests.integration.test_clarify import ASK, ASK_SPEC

ALICE, BOB = "U0ALICE", "U0BOB"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    yield from running_fake()


@pytest.fixture
def env(fake, start_server, engine) -> SlackEnv:
    env = slack_env(fake, start_server, engine)
    env.server.kam.commands.add(ASK_SPEC)  # a command that always asks
    return env


def _visits(engine) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(func.count()).select_from(Interaction)).one()


def _dm_click(env: SlackEnv, user: str, button: dict, *, ts: str) -> None:
    """A click on a button of a message kam posted in the asker's DM (not ephemeral)."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T0KAM"},
        "user": {"id": user, "username": user.lower()},
        "api_app_id": "A0KAM",
        "container": {
            "type": "message",
            "channel_id": "D" + ALICE,
            "message_ts": ts,
            "is_ephemeral": False,
        },
        "trigger_id": new_trigger_id(),
        "channel": {"id": "D" + ALICE, "name": "directmessage"},
        "response_url": env.fake.response_url(f"click-{user}"),
        "actions": [{**button, "block_id": "kam", "action_ts": "1.2"}],
    }
    assert env.slack.interaction(payload).status_code == 200


def test_a_question_in_the_dm_is_answered_by_a_button_once_and_its_message_updated(env, engine):
    env.slack.dm(ALICE, ASK)
    [question] = env.fake.wait_for("chat.postMessage")
    choices = buttons(question)
    with unit_of_work(engine, write=False) as s:
        [row] = s.exec(select(PendingQuestion)).all()
    assert [json.loads(b["value"])["command"] for b in choices] == [
        f"answer {row.id} 1",
        f"answer {row.id} 2",
    ]
    assert choices[0]["text"]["text"] == "1. Acme met Li Wei about pricing"

    _dm_click(env, ALICE, choices[0], ts="1700000000.000100")
    [update] = env.fake.wait_for("chat.update")
    assert update.body["ts"] == "1700000000.000100"
    assert update.body["channel"] == "D" + ALICE
    assert "✓ Chosen: 1. Acme met Li Wei about pricing" in update.block_text()
    assert not any(b["type"] == "actions" for b in update.blocks)  # the buttons are gone
    assert _visits(engine) == 1

    _dm_click(env, ALICE, choices[1], ts="1700000000.000100")  # a second click, another button
    wait_until(lambda: len(env.fake.calls("response_url")) >= 2)
    refusal = env.fake.calls("response_url")[-1]
    assert "That question was answered already." in refusal.block_text()
    assert _visits(engine) == 1


def test_only_the_asker_can_click_and_nothing_is_updated_for_someone_else(env, engine):
    env.slack.slash("/kam", ASK, user=ALICE, response_url=env.fake.response_url("ask"))
    [question] = env.fake.wait_for("response_url")
    first = buttons(question)[0]

    click(env, BOB, first, response_url=env.fake.response_url("bob"))
    wait_until(lambda: len(env.fake.calls("response_url")) >= 2)
    refusal = env.fake.calls("response_url")[-1]
    assert "asked of someone else" in refusal.block_text()
    assert _visits(engine) == 0

    click(env, ALICE, first, response_url=env.fake.response_url("alice"))
    # the answer, then the ephemeral question replaced through its response_url
    wait_until(lambda: any(c.body.get("replace_original") for c in env.fake.calls("response_url")))
    [replaced] = [c for c in env.fake.calls("response_url") if c.body.get("replace_original")]
    assert "✓ Chosen: 1. Acme met Li Wei about pricing" in replaced.block_text()
    assert env.fake.calls("chat.update") == []
    assert _visits(engine) == 1
