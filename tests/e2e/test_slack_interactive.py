"""Slack's interactive surfaces over real HTTP: the Home tab, buttons, the visit form,
and filling a newly registered user's profile from users.info."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from domain.models import Account, AuditEntry, Deal, Interaction, Task, User
from storage import users
from storage.session import unit_of_work
from tests import factories as f
from tests.e2e.fake_slack import (
    TEAM_ID,
    Call,
    FakeSlack,
    SlackEnv,
    new_trigger_id,
    running_fake,
    slack_env,
)

ALICE, BOB = "U0ALICE", "U0BOB"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    yield from running_fake()


@pytest.fixture
def env(fake, start_server, engine) -> SlackEnv:
    return slack_env(fake, start_server, engine)


def wait_until(check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
    return result


def buttons(call: Call) -> list[dict[str, Any]]:
    return [e for b in call.blocks if b["type"] == "actions" for e in b["elements"]]


def click(env: SlackEnv, user: str, button: dict[str, Any], *, response_url: str,
          channel: str = "C0EAST") -> str:  # fmt: skip
    """Click ``button`` as Slack does; the click's trigger_id."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "kam-test"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0KAM",
        "token": "deprecated-verification-token",
        "container": {"type": "message", "channel_id": channel, "is_ephemeral": True},
        "trigger_id": new_trigger_id(),
        "channel": {"id": channel, "name": "east"},
        "response_url": response_url,
        "actions": [{**button, "block_id": "kam", "action_ts": f"{time.time():.6f}"}],
    }
    assert env.slack.interaction(payload).status_code == 200
    return payload["trigger_id"]


def submit(env: SlackEnv, user: str, view: dict[str, Any], values: dict[str, str]) -> None:
    """Submit a modal the way Slack does, with ``values`` typed into its inputs."""
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "kam-test"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0KAM",
        "token": "deprecated-verification-token",
        "trigger_id": new_trigger_id(),
        "view": {
            **view,
            "id": "V0FORM",
            "team_id": TEAM_ID,
            "state": {
                "values": {
                    block: {"value": {"type": "plain_text_input", "value": value}}
                    for block, value in values.items()
                }
            },
        },
    }
    r = env.slack.interaction(payload)
    assert r.status_code == 200 and r.text == ""  # an empty ack closes the form


def form_inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def test_the_home_tab_shows_my_accounts_and_open_tasks_when_opened(env, engine):
    with unit_of_work(engine) as s:
        acme, alice = s.get(Account, env.book["acme"]), s.get(User, env.book["alice"])
        f.task(s, acme, "send the renewal proposal", owner=alice,
               due_at=datetime.now(UTC) + timedelta(days=2))  # fmt: skip
    event = {"type": "app_home_opened", "user": ALICE, "channel": "D" + ALICE, "tab": "home"}
    assert env.slack.event(event).status_code == 200

    [published] = env.fake.wait_for("views.publish")
    assert published.body["user_id"] == ALICE
    view = published.body["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = published.block_text()
    assert "Acme" in text  # /mine
    assert "send the renewal proposal" in text  # /tasks
    assert "Unknown command" not in text


def test_opening_the_messages_tab_publishes_nothing(env):
    event = {"type": "app_home_opened", "user": ALICE, "channel": "D" + ALICE, "tab": "messages"}
    env.slack.event(event)
    env.slack.dm(ALICE, "help")  # a later event, answered: the first was done by then
    env.fake.wait_for("chat.postMessage")
    assert env.fake.calls("views.publish") == []


def test_an_unknown_user_opening_home_is_told_how_to_get_added(env):
    event = {"type": "app_home_opened", "user": "U0STRANGER", "channel": "DX", "tab": "home"}
    env.slack.event(event)
    [published] = env.fake.wait_for("views.publish")
    assert "You are not registered in kam yet" in published.block_text()


def test_log_visit_button_opens_a_prefilled_form_and_its_submission_logs_the_visit(env, engine):
    env.slack.slash("/account", "Acme", user=ALICE, response_url=env.fake.response_url("acct"))
    [summary] = env.fake.wait_for("response_url")
    [log_visit] = [b for b in buttons(summary) if b["text"]["text"] == "Log visit"]

    trigger_id = click(env, ALICE, log_visit, response_url=env.fake.response_url("click"))
    [opened] = env.fake.wait_for("views.open")
    assert opened.body["trigger_id"] == trigger_id
    view = opened.body["view"]
    inputs = form_inputs(view)
    assert inputs["account"]["initial_value"] == "Acme"
    assert "initial_value" not in inputs["details"]

    typed = {"account": "Acme", "details": "met Li Wei, budget approved. next: send proposal"}
    submit(env, ALICE, view, typed)

    answers = env.fake.wait_for("response_url", 2)
    assert answers[1].path == "/response/click"  # answered where the button was
    assert answers[1].blocks[0]["text"]["text"] == "Logged visit with Acme"
    with unit_of_work(engine, write=False) as s:
        [visit] = s.exec(select(Interaction)).all()
        [task] = s.exec(select(Task)).all()
    assert (visit.account_id, visit.kind, visit.channel) == (env.book["acme"], "visit", "slack")
    assert visit.notes == "met Li Wei, budget approved."
    assert task.text == "send proposal"


def test_a_contact_cards_button_fills_in_account_and_contact_and_answers_in_the_dm(env, engine):
    env.slack.dm(ALICE, "contact Acme Li Wei")
    [card] = env.fake.wait_for("chat.postMessage")
    [log_visit] = buttons(card)

    click(env, ALICE, log_visit, response_url=env.fake.response_url("dm"), channel="D" + ALICE)
    [opened] = env.fake.wait_for("views.open")
    view = opened.body["view"]
    inputs = form_inputs(view)
    assert inputs["account"]["initial_value"] == "Acme"
    assert inputs["details"]["initial_value"] == "met Li Wei"

    submit(env, ALICE, view, {"account": "Acme", "details": "met Li Wei about the renewal"})
    [answer] = env.fake.wait_for("response_url")
    assert answer.body["response_type"] == "in_channel"  # the DM with kam: a normal message
    assert answer.blocks[0]["text"]["text"] == "Logged visit with Acme"
    with unit_of_work(engine, write=False) as s:
        [visit] = s.exec(select(Interaction)).all()
    assert visit.notes == "met Li Wei about the renewal"


def test_a_form_opened_from_the_home_tab_answers_by_dm(env, engine):
    env.slack.event({"type": "app_home_opened", "user": ALICE, "channel": "D" + ALICE,
                     "tab": "home"})  # fmt: skip
    [home] = env.fake.wait_for("views.publish")
    [log_visit] = [b for b in buttons(home) if b["action_id"].startswith("kam_modal")]

    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "kam-test"},
        "user": {"id": ALICE, "username": "alice", "team_id": TEAM_ID},
        "api_app_id": "A0KAM",
        "token": "deprecated-verification-token",
        "container": {"type": "view", "view_id": "V0HOME"},
        "trigger_id": "5555.6666.home",
        "view": home.body["view"],
        "actions": [{**log_visit, "block_id": "kam", "action_ts": f"{time.time():.6f}"}],
    }
    assert env.slack.interaction(payload).status_code == 200
    [opened] = env.fake.wait_for("views.open")
    submit(env, ALICE, opened.body["view"], {"account": "Acme", "details": "quick call"})

    [answer] = env.fake.wait_for("chat.postMessage")
    assert answer.body["channel"] == "D" + ALICE
    assert answer.blocks[0]["text"]["text"] == "Logged visit with Acme"
    assert env.fake.calls("response_url") == []


def test_next_stage_button_moves_the_deal(env, engine):
    with unit_of_work(engine) as s:
        acme, alice = s.get(Account, env.book["acme"]), s.get(User, env.book["alice"])
        f.deal(s, acme, "2027 renewal", owner=alice, stage="proposal")
    env.slack.slash("/deal", 'Acme "2027 renewal" 1.2m', user=ALICE,
                    response_url=env.fake.response_url("deal"))  # fmt: skip
    [card] = env.fake.wait_for("response_url")
    [next_stage] = [b for b in buttons(card) if b["text"]["text"].startswith("Next stage")]

    click(env, ALICE, next_stage, response_url=env.fake.response_url("next"))
    env.fake.wait_for("response_url", 2)
    with unit_of_work(engine, write=False) as s:
        [deal] = s.exec(select(Deal)).all()
    assert deal.stage == "negotiation"


def test_a_registered_slack_user_gets_name_timezone_and_email_from_slack(env, engine):
    env.fake.add_user("U0DANA", name="dana", real_name="Dana Scully",
                      tz="America/New_York", email="dana@acme.example")  # fmt: skip
    env.slack.slash("/kam", "user add <@U0DANA|dana> rep team East", user=BOB,
                    response_url=env.fake.response_url("add"))  # fmt: skip
    [added] = env.fake.wait_for("response_url")
    assert "Added" in added.blocks[0]["text"]["text"]

    def dana():
        with unit_of_work(engine, write=False) as s:
            user = users.user_by_identity(s, "slack", "U0DANA")
            return user if user.email else None

    user = wait_until(dana)
    assert (user.display_name, user.timezone, user.email) == (
        "Dana Scully",
        "America/New_York",
        "dana@acme.example",
    )
    assert [c.body["user"] for c in env.fake.calls("users.info")] == ["U0DANA"]
    with unit_of_work(engine, write=False) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.entity == "kam_user")).all()
    assert len({e.request_id for e in entries}) == 1  # one command, so one /undo
    assert entries[-1].before["email"] is None and entries[-1].after["email"]

    env.slack.slash("/kam", "undo", user=BOB, response_url=env.fake.response_url("undo"))
    env.fake.wait_for("response_url", 2)
    with unit_of_work(engine, write=False) as s:
        assert users.user_by_identity(s, "slack", "U0DANA") is None


def test_what_the_admin_said_explicitly_wins_over_the_slack_profile(env, engine):
    env.fake.add_user("U0DANA", name="dana", real_name="Dana Scully",
                      tz="America/New_York", email="dana@acme.example")  # fmt: skip
    env.slack.slash("/kam", 'user add <@U0DANA> rep team East tz Europe/Berlin name "D. Scully"',
                    user=BOB, response_url=env.fake.response_url())  # fmt: skip
    env.fake.wait_for("response_url")

    def dana():
        with unit_of_work(engine, write=False) as s:
            user = users.user_by_identity(s, "slack", "U0DANA")
            return user if user.email else None

    user = wait_until(dana)
    assert (user.display_name, user.timezone) == ("D. Scully", "Europe/Berlin")
