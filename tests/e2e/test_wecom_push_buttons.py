"""Buttons on a push on WeCom, over HTTP with encrypted callbacks (issue 19): where the
app may send template cards, the next-steps push is its text (short "/done 3" lines,
the fallback) and a button_interaction card; a click runs the command as the clicker
once, and the card is marked once through message/update_template_card."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.config import WecomSettings
from domain.models import Account, AuditEntry, Task, User
from schedules.jobs import job_table
from schedules.registry import run
from storage.session import unit_of_work
from tests import factories as f
from tests.e2e.fake_wecom import FakeWecom, WecomPeer, running_fake, wecom_settings
from tests.harness import book

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    with running_fake() as fake:
        yield fake


def _start(start_server, engine, fake, *, cards: bool):
    ids = book(engine)
    settings = wecom_settings(fake)
    wecom = WecomSettings(**{**settings.wecom.model_dump(), "question_cards": cards})
    settings = settings.model_copy(update={"wecom": wecom})
    server = start_server(settings)
    with unit_of_work(engine) as s:
        huaxia, wang = s.get(Account, ids["huaxia"]), s.get(User, ids["wang"])
        at = datetime.now(SHANGHAI).replace(hour=9, minute=5, second=0, microsecond=0)
        task_id = f.task(s, huaxia, "发送报价", owner=wang, due_at=at - timedelta(days=1)).id
    run(job_table()["tasks"], engine, server.kam.settings, server.kam.notifier, now=at)
    return WecomPeer(server.url), task_id


def _done_entries(engine) -> int:
    with unit_of_work(engine, write=False) as s:
        return len(s.exec(select(AuditEntry).where(AuditEntry.entity == "task")).all())


def test_done_on_a_push_card_closes_the_step_once_and_updates_the_card_once(
    start_server, engine, fake
):
    peer, task_id = _start(start_server, engine, fake, cards=True)
    [text, card] = fake.wait_for("message/send", 2)
    assert f"/done {task_id}" in text["markdown"]["content"]  # the short fallback stays
    assert card["msgtype"] == "template_card"
    buttons = card["template_card"]["button_list"]
    assert [b["key"] for b in buttons] == [f"kam:done {task_id}", "kam:snooze 华夏重工 1w"]
    assert buttons[0]["text"] == f"完成 #{task_id}"
    task = card["template_card"]["task_id"]

    created = int(time.time())
    peer.post(peer.card_event("wanglei", task, buttons[0]["key"], created=created,
                              response_code="code-1"))  # fmt: skip
    [_, _, answer] = fake.wait_for("message/send", 3)
    assert "已完成" in answer["markdown"]["content"] and "发送报价" in answer["markdown"]["content"]
    [update] = fake.wait_for("message/update_template_card")
    assert update["response_code"] == "code-1" and update["userids"] == ["wanglei"]
    assert update["button"]["replace_name"].startswith("✓ 王磊 ")
    with unit_of_work(engine, write=False) as s:
        assert s.get(Task, task_id).done_at is not None
    assert _done_entries(engine) == 1

    # a second click on the card (another event, its own ResponseCode): nothing changes
    peer.post(peer.card_event("wanglei", task, buttons[0]["key"], created=created + 1,
                              response_code="code-2"))  # fmt: skip
    [*_, again] = fake.wait_for("message/send", 4)
    assert f"{task_id} 已由 王磊 于 " in again["markdown"]["content"]
    assert _done_entries(engine) == 1
    assert len(fake.delivered("message/update_template_card")) == 1


def test_without_cards_the_push_is_text_only(start_server, engine, fake):
    _peer, task_id = _start(start_server, engine, fake, cards=False)
    [text] = fake.wait_for("message/send")
    assert f"/done {task_id}" in text["markdown"]["content"]
    time.sleep(0.2)
    assert [c["msgtype"] for c in fake.delivered("message/send")] == ["markdown"]
