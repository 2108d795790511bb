"""Next steps due today or overdue, to the owner of each step."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.config import Settings
from domain.models import Account, Task, User
from handlers.notify import RecordingNotifier
from handlers.render.slack import render_blocks
from handlers.render.text import render_text
from schedules.jobs import job_table
from schedules.registry import run
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import book

TASKS = job_table()["tasks"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 18, 9, 5, tzinfo=SHANGHAI)


@pytest.fixture
def ids(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        alice, wang, carol = (s.get(User, ids[k]) for k in ("alice", "wang", "carol"))
        acme, globex = s.get(Account, ids["acme"]), s.get(Account, ids["globex"])
        f.task(s, acme, "Send the proposal", owner=alice, due_at=AT - timedelta(days=3))
        f.task(s, acme, "Confirm the QBR date", owner=alice, due_at=AT - timedelta(hours=20))
        f.task(s, acme, "Call Li Wei", owner=alice, due_at=AT.replace(hour=17))
        f.task(s, acme, "Price review", owner=alice, due_at=AT + timedelta(days=1))  # tomorrow
        f.task(s, acme, "Done already", owner=alice, due_at=AT - timedelta(days=5), done_at=AT)
        f.task(s, acme, "Someday", owner=alice)  # no date
        # wang owns a step on alice's account: it is his to do
        f.task(s, acme, "Translate the contract", owner=wang, due_at=AT - timedelta(days=1))
        # carol (New York): due 23:00 on the 18th in New York — 12:00 on the 19th in Shanghai
        f.task(s, globex, "Sign the NDA", owner=carol,
               due_at=datetime(2026, 11, 18, 23, 0, tzinfo=NEW_YORK))  # fmt: skip
        gone = f.account(s, "Gone", owner=alice, status="churned")
        f.task(s, gone, "Nothing to do here", owner=alice, due_at=AT - timedelta(days=2))
    return ids


def test_each_owner_gets_their_overdue_and_due_today_steps(engine, ids):
    notifier = RecordingNotifier()
    run(TASKS, engine, Settings(), notifier, AT)
    assert sorted(rec.key for rec, _ in notifier.sent) == ["user:alice", "user:wang"]

    (alice,) = notifier.to("user:alice")
    assert alice.title == "Next steps: 2 overdue, 1 due today"
    overdue, today = alice.sections
    assert overdue.title == "Overdue"
    assert overdue.lines[0].endswith("Acme — Send the proposal · due Nov 15, 3 days ago")
    assert overdue.lines[1].endswith("Acme — Confirm the QBR date · due yesterday")
    assert today.lines == (f"#{overdue_id(alice, 2)} Acme — Call Li Wei",)
    # a Done per step, then (all at Acme) log a call (a form) and a week's pause
    assert [a.command.split()[0] for a in alice.actions] == ["done"] * 3 + ["call", "snooze"]
    assert [(a.label, a.kind, a.command) for a in alice.actions[3:]] == [
        ("Log a call: Acme", "modal", "call Acme "),
        ("Snooze Acme 1 week", "button", "snooze Acme 1w"),
    ]

    (wang,) = notifier.to("user:wang")
    assert wang.title == "待办：逾期 1 项，今天到期 0 项"
    assert wang.sections[0].lines[0].endswith("Acme — Translate the contract · 昨天到期")
    assert [a.label for a in wang.actions] == [
        f"完成 #{overdue_id(wang, 0)}",
        "记录电话：Acme",
        "Acme 暂停提醒一周",
    ]


def test_the_push_on_slack_has_buttons_not_commands_to_type(engine, ids):
    notifier = RecordingNotifier()
    run(TASKS, engine, Settings(), notifier, now=AT)
    (alice,) = notifier.to("user:alice")
    [message] = render_blocks(alice)
    text = json.dumps(message["blocks"], ensure_ascii=False)
    assert "/done" not in text  # no line to type: a button does it
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons][-2:] == ["Log a call: Acme", "Snooze Acme 1 week"]
    assert [json.loads(b["value"]) for b in buttons][:1] == [
        {"command": f"done {overdue_id(alice, 0)}", "kind": "button"}
    ]
    assert buttons[3]["action_id"].startswith("kam_modal_")  # the call opens the form
    # the text fallback (console, WeCom text) still says what to type, one short line each
    plain = render_text(alice)
    assert f"/done {overdue_id(alice, 0)}" in plain
    assert plain.count("/done ") == 3


def overdue_id(reply, index: int) -> int:
    return int(reply.actions[index].command.split()[1])


def test_due_today_is_judged_in_the_owners_timezone(engine, ids):
    notifier = RecordingNotifier()
    ny_morning = datetime(2026, 11, 18, 9, 5, tzinfo=NEW_YORK)
    run(TASKS, engine, Settings(), notifier, ny_morning)
    (carol,) = notifier.to("user:carol")
    assert carol.title == "Next steps: 0 overdue, 1 due today"
    assert carol.sections[0].lines[0].endswith("Globex — Sign the NDA")


def test_marking_a_step_done_takes_it_off_tomorrows_list(engine, ids):
    notifier = RecordingNotifier()
    run(TASKS, engine, Settings(), notifier, AT)
    with unit_of_work(engine) as s:
        for task in s.exec(select(Task).where(Task.owner_id == ids["alice"])):
            if task.text == "Send the proposal":
                task.done_at = AT
                s.add(task)
    run(TASKS, engine, Settings(), notifier, AT + timedelta(days=1))
    latest = notifier.to("user:alice")[-1]
    assert len(notifier.to("user:alice")) == 2
    assert not any("Send the proposal" in line for s in latest.sections for line in s.lines)
    # yesterday's "Call Li Wei" is overdue now, "Price review" due today
    assert latest.title == "Next steps: 2 overdue, 1 due today"
