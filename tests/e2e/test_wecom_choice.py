"""A question kam asks on WeCom, over HTTP with encrypted callbacks: the numbered text
("回复 1") by default, a button_interaction template card when the deployment allows
it, answered through the callback's template_card_event exactly once."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.config import WecomSettings
from domain.models import Interaction, PendingQuestion
from storage.session import unit_of_work
from tests import factories as f
from tests.e2e.fake_wecom import FakeWecom, WecomPeer, running_fake, wecom_settings
from tests.harness import book
from tests.integration.test_clarify import ASK_SPEC

ASK = "ask /拜访 华夏重工 见了王建国 | /拜访 华夏重工 见了李娜"


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    with running_fake() as fake:
        yield fake


def _start(start_server, engine, fake, *, cards: bool) -> WecomPeer:
    book(engine)
    settings = wecom_settings(fake)
    if cards:
        wecom = WecomSettings(**{**settings.wecom.model_dump(), "question_cards": True})
        settings = settings.model_copy(update={"wecom": wecom})
    server = start_server(settings)
    server.kam.commands.add(ASK_SPEC)  # a command that always asks
    return WecomPeer(server.url)


def _visits(engine) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(func.count()).select_from(Interaction)).one()


def _question(engine) -> PendingQuestion:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(PendingQuestion).order_by(PendingQuestion.id.desc())).first()


def test_without_cards_the_question_is_numbered_text_and_回复_answers_it(
    start_server, engine, fake
):
    peer = _start(start_server, engine, fake, cards=False)
    asked = peer.open_reply(peer.post(peer.text("wanglei", ASK)))["Content"]
    assert "1. 华夏重工 见了王建国" in asked
    assert "2. 华夏重工 见了李娜" in asked
    assert "回复编号（1–2）" in asked
    assert "answer " not in asked  # no button commands in the text
    answered = peer.open_reply(peer.post(peer.text("wanglei", "回复 2")))["Content"]
    assert "你选择了 2. 华夏重工 见了李娜" in answered
    assert _visits(engine) == 1
    again = peer.open_reply(peer.post(peer.text("wanglei", "回复 2")))["Content"]
    assert "这个问题已经回答过了" in again
    assert _visits(engine) == 1


def test_a_question_card_is_answered_once_through_the_card_event(start_server, engine, fake):
    peer = _start(start_server, engine, fake, cards=True)
    r = peer.post(peer.text("wanglei", ASK))
    assert r.status_code == 200 and r.content == b""  # the card goes by message/send
    [sent] = fake.wait_for("message/send")
    assert sent["msgtype"] == "template_card"
    card = sent["template_card"]
    assert card["card_type"] == "button_interaction"
    question = _question(engine)
    assert card["task_id"].startswith(f"kamq{question.id}-")
    assert [b["key"] for b in card["button_list"]] == ["1", "2"]
    assert card["button_list"][0]["text"].startswith("1. 华夏重工")
    assert "2. 华夏重工 见了李娜" in card["sub_title_text"]

    created = int(time.time())
    click = peer.card_event("wanglei", card["task_id"], "1", created=created)
    first = peer.post(click)
    assert first.status_code == 200
    renamed = peer.open_reply(first)
    assert renamed["MsgType"] == "update_button"
    assert renamed["Button"]["ReplaceName"] == "✓ 1"
    [_, answer] = fake.wait_for("message/send", 2)
    assert "你选择了 1. 华夏重工 见了王建国" in answer["markdown"]["content"]
    assert _visits(engine) == 1

    # WeCom delivering the same event again: taken in once, nothing more sent or written
    assert peer.post(click).content == b""
    # another click a second later, on the other button: refused by the claim
    peer.post(peer.card_event("wanglei", card["task_id"], "2", created=created + 1))
    [*_, refusal] = fake.wait_for("message/send", 3)
    assert "这个问题已经回答过了" in refusal["markdown"]["content"]
    assert _visits(engine) == 1
    assert len(fake.delivered("message/send")) == 3


def test_a_card_event_for_someone_elses_question_changes_nothing(start_server, engine, fake):
    peer = _start(start_server, engine, fake, cards=True)
    peer.post(peer.text("wanglei", ASK))
    [sent] = fake.wait_for("message/send")
    task_id = sent["template_card"]["task_id"]
    fake.members["zhaoliu"] = "赵六"
    with unit_of_work(engine) as s:  # someone else on WeCom
        f.user(s, "zhao", wecom_id="zhaoliu", language="zh")
    r = peer.post(peer.card_event("zhaoliu", task_id, "1"))
    assert r.content == b""  # their button is not renamed
    [*_, refusal] = fake.wait_for("message/send", 2)
    assert "这个问题是问别人的" in refusal["markdown"]["content"]
    assert _visits(engine) == 0
    assert _question(engine).answered_at is None
