"""Buttons on a push, over real HTTP (issue 19): Done on a next step pushed to its
owner's DM closes it once however often it is clicked, and the push then shows who did
it in place of the button (one chat.update); a second click says who closed it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from domain.models import Account, AuditEntry, Task, User
from handlers.render.slack import render_blocks
from handlers.replies import Action, Reply
from storage.session import unit_of_work
from tests import factories as f
from tests.e2e.fake_slack import FakeSlack, SlackEnv, new_trigger_id, running_fake, slack_env
from tests.e2e.test_slack_interactive import wait_until

ALICE = "U0ALICE"
TS = "1700000000.000200"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    yield from running_fake()


@pytest.fixture
def env(fake, start_server, engine) -> SlackEnv:
    return slack_env(fake, start_server, engine)


def _push(task_id: int) -> dict[str, Any]:
    """The next-steps push as kam posts it (schedules.jobs.tasks' actions)."""
    reply = Reply(
        title="Next steps: 1 overdue, 0 due today",
        lines=[f"#{task_id} Acme — send the renewal proposal · due yesterday"],
        actions=[
            Action(f"Done #{task_id}", f"done {task_id}", style="primary"),
            Action("Log a call: Acme", "call Acme ", kind="modal"),
            Action("Snooze Acme 1 week", "snooze Acme 1w"),
        ],
    )
    [message] = render_blocks(reply)
    return {"type": "message", "ts": TS, **message}


def _click(env: SlackEnv, message: dict[str, Any], index: int, name: str) -> None:
    button = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]][index]
    payload = {
        "type": "block_actions",
        "team": {"id": "T0KAM"},
        "user": {"id": ALICE, "username": "alice"},
        "api_app_id": "A0KAM",
        "container": {
            "type": "message",
            "channel_id": "D" + ALICE,
            "message_ts": TS,
            "is_ephemeral": False,
        },
        "trigger_id": new_trigger_id(),
        "channel": {"id": "D" + ALICE, "name": "directmessage"},
        "message": message,
        "response_url": env.fake.response_url(name),
        "actions": [{**button, "block_id": "kam", "action_ts": "1.2"}],
    }
    assert env.slack.interaction(payload).status_code == 200


def test_done_on_a_push_closes_the_step_once_and_marks_the_message_once(env, engine):
    with unit_of_work(engine) as s:
        acme, alice = s.get(Account, env.book["acme"]), s.get(User, env.book["alice"])
        task_id = f.task(s, acme, "send the renewal proposal", owner=alice,
                         due_at=datetime.now(UTC) - timedelta(days=1)).id  # fmt: skip
    push = _push(task_id)

    _click(env, push, 0, "first")
    [update] = env.fake.wait_for("chat.update")
    assert (update.body["channel"], update.body["ts"]) == ("D" + ALICE, TS)
    labels = [e["text"]["text"] for b in update.blocks if b["type"] == "actions"
              for e in b["elements"]]  # fmt: skip
    assert labels == ["Log a call: Acme", "Snooze Acme 1 week"]  # Done gone, the rest kept
    [mark] = [b for b in update.blocks if b["type"] == "context"]
    assert mark["elements"][0]["text"].startswith(f"✓ Done #{task_id} — Alice Chen ")
    with unit_of_work(engine, write=False) as s:
        task = s.get(Task, task_id)
        assert task.done_at is not None
    wait_until(lambda: len(env.fake.calls("response_url")) >= 1)
    assert (
        f"Done: #{task_id} send the renewal proposal"
        in env.fake.calls("response_url")[0].block_text()
    )

    _click(env, push, 0, "second")  # a double tap, before the update reached her phone
    wait_until(lambda: len(env.fake.calls("response_url")) >= 2)
    again = env.fake.calls("response_url")[-1].block_text()
    assert f"#{task_id} was already done by Alice Chen on " in again
    assert len(env.fake.calls("chat.update")) == 1  # marked once
    with unit_of_work(engine, write=False) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.entity == "task")).all()
        assert len(entries) == 1  # closed once
        assert s.get(Task, task_id).done_at == task.done_at


def test_snooze_on_a_push_pauses_the_account_for_a_week_and_marks_it(env, engine):
    with unit_of_work(engine) as s:
        acme, alice = s.get(Account, env.book["acme"]), s.get(User, env.book["alice"])
        task_id = f.task(s, acme, "call back", owner=alice).id
    push = _push(task_id)
    _click(env, push, 2, "snooze")
    [update] = env.fake.wait_for("chat.update")
    labels = [e["text"]["text"] for b in update.blocks if b["type"] == "actions"
              for e in b["elements"]]  # fmt: skip
    assert labels == [f"Done #{task_id}", "Log a call: Acme"]
    assert "✓ Snooze Acme 1 week — Alice Chen " in json.dumps(update.blocks, ensure_ascii=False)
    with unit_of_work(engine, write=False) as s:
        assert s.get(Account, env.book["acme"]).snoozed_until is not None
