"""WeCom callbacks over HTTP: kam's real server on 127.0.0.1, a fake WeCom API beside it,
and callbacks encrypted and signed exactly as WeCom does."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.wecom import callback
from domain.models import Account, InboundEvent, Interaction, User
from storage.session import unit_of_work
from tests import factories as f
from tests.e2e.fake_wecom import FakeWecom, WecomPeer, running_fake, wecom_settings
from tests.harness import book


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    with running_fake() as fake:
        yield fake


@pytest.fixture
def peer(start_server, engine, fake) -> WecomPeer:
    book(engine)
    server = start_server(wecom_settings(fake))
    return WecomPeer(server.url)


def count(engine, model, *where) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


# -- URL verification -------------------------------------------------------------------


def test_url_verification_echoes_the_decrypted_echostr(peer):
    r = peer.verify("1616140317555161061")
    assert r.status_code == 200
    assert r.text == "1616140317555161061"


def test_url_verification_with_a_wrong_signature_is_403(peer):
    r = peer.verify("12345", msg_signature="0" * 40)
    assert r.status_code == 403
    assert "12345" not in r.text


def test_url_verification_refuses_a_stale_timestamp_and_a_reused_nonce(peer):
    assert peer.verify("1", timestamp=int(time.time()) - 301).status_code == 403
    assert peer.verify("2", nonce="8675309").status_code == 200
    assert peer.verify("3", nonce="8675309").status_code == 403


# -- authenticity and replay --------------------------------------------------------------


def test_a_wrong_signature_is_403_and_changes_nothing(peer, engine):
    visit = peer.text("wanglei", "/拜访 华夏重工 见了王建国，谈了预算")
    r = peer.post(visit, nonce="1234567", msg_signature="f" * 40)
    assert r.status_code == 403
    assert count(engine, Interaction) == 0
    assert count(engine, InboundEvent) == 0  # neither the message nor its nonce
    # The genuine request with the same nonce still goes through.
    assert peer.post(visit, nonce="1234567").status_code == 200
    assert count(engine, Interaction) == 1


def test_a_stale_timestamp_is_refused(peer, engine):
    r = peer.post(peer.text("wanglei", "/拜访 华夏重工 谈了预算"), timestamp=int(time.time()) - 360)
    assert r.status_code == 403
    assert count(engine, Interaction) == 0


def test_a_timestamp_far_in_the_future_is_refused(peer, engine):
    r = peer.post(peer.text("wanglei", "/拜访 华夏重工 谈了预算"), timestamp=int(time.time()) + 360)
    assert r.status_code == 403


def test_a_reused_nonce_is_refused_even_for_a_new_message(peer, engine):
    assert (
        peer.post(peer.text("wanglei", "/拜访 华夏重工 谈了预算"), nonce="424242").status_code
        == 200
    )
    replay = peer.post(peer.text("wanglei", "/电话 华夏重工 确认了时间"), nonce="424242")
    assert replay.status_code == 403
    assert count(engine, Interaction) == 1


def test_a_nonce_seen_long_ago_can_no_longer_be_a_replay_and_is_taken(peer, engine):
    """WeCom only promises a nonce is unique for two hours; an old one is not a replay."""
    with unit_of_work(engine) as s:
        s.add(
            InboundEvent(
                platform="wecom-nonce",
                event_key="31337",
                received_at=datetime.now(UTC) - timedelta(minutes=11),
            )
        )
    assert (
        peer.post(peer.text("wanglei", "/拜访 华夏重工 谈了预算"), nonce="31337").status_code == 200
    )
    assert count(engine, Interaction) == 1
    # …and is remembered afresh.
    assert peer.post(peer.text("wanglei", "/电话 华夏重工 再谈"), nonce="31337").status_code == 403


def test_a_message_encrypted_for_another_corp_is_refused(peer, engine):
    stranger = WecomPeer(peer.url.removesuffix("/wecom/callback"), corp_id="wwsomeoneelse00001")
    r = stranger.post(stranger.text("wanglei", "/拜访 华夏重工 谈了预算"))
    assert r.status_code == 403
    assert count(engine, Interaction) == 0


def test_a_callback_without_signature_parameters_is_400(peer):
    import httpx

    assert httpx.post(peer.url, content=b"<xml/>", timeout=5).status_code == 400
    assert httpx.get(peer.url, timeout=5).status_code == 400


# -- commands ---------------------------------------------------------------------------


def test_account_summary_comes_back_as_an_encrypted_passive_reply(peer):
    r = peer.post(peer.text("wanglei", "/客户 华夏重工"))
    assert r.status_code == 200
    reply = peer.open_reply(r)
    assert reply["ToUserName"] == "wanglei"
    assert reply["FromUserName"] == peer.corp_id
    assert reply["MsgType"] == "text"
    assert reply["Content"].startswith("华夏重工")
    assert "负责人" in reply["Content"] and "王磊" in reply["Content"]


def test_the_leading_slash_is_optional(peer):
    reply = peer.open_reply(peer.post(peer.text("wanglei", "客户 华夏")))
    assert reply["Content"].startswith("华夏重工")


def test_an_answer_not_ready_in_time_is_sent_with_message_send(peer, fake, monkeypatch):
    monkeypatch.setattr(callback, "PASSIVE_WINDOW", 0.0)
    r = peer.post(peer.text("wanglei", "/客户 华夏重工"))
    assert r.status_code == 200
    assert r.content == b""
    [sent] = fake.wait_for("message/send")
    assert sent["touser"] == "wanglei"
    assert sent["agentid"] == fake.agent_id
    assert sent["msgtype"] == "markdown"
    assert "华夏重工" in sent["markdown"]["content"]


def test_a_redelivered_visit_logs_one_interaction(peer, engine):
    visit = peer.text("wanglei", "/拜访 华夏重工 见了王建国，预算已批 下一步：周五前发方案")
    first = peer.post(visit)
    assert "已记录拜访" in peer.open_reply(first)["Content"]
    # WeCom delivers it again, signed afresh (new timestamp and nonce), same MsgId.
    again = peer.post(visit)
    assert again.status_code == 200
    assert again.content == b""
    assert count(engine, Interaction) == 1


def test_a_redelivery_while_the_first_is_still_running_takes_effect_once(peer, engine, monkeypatch):
    monkeypatch.setattr(callback, "PASSIVE_WINDOW", 0.0)
    visit = peer.text("wanglei", "/拜访 华夏重工 谈了预算")
    responses = [peer.post(visit) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    deadline = time.monotonic() + 10
    while count(engine, Interaction) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    assert count(engine, Interaction) == 1


def test_a_member_kam_does_not_know_is_told_how_to_join_in_chinese(peer, engine):
    reply = peer.open_reply(peer.post(peer.text("zhaoliu", "/客户 华夏重工")))
    assert "你还没有加入 kam" in reply["Content"]
    assert count(engine, Interaction) == 0


def test_a_picture_gets_a_hint_to_type_text(peer):
    reply = peer.open_reply(peer.post(peer.image("wanglei")))
    assert "只能读文字消息" in reply["Content"]


def test_an_answer_too_long_for_one_text_message_goes_as_markdown(peer, fake, engine):
    """Fifteen long to-dos don't fit one passive text reply (2048 bytes): empty 200,
    then the list as markdown through message/send."""
    with unit_of_work(engine) as s:
        wang = s.exec(select(User).where(User.handle == "wang")).one()
        huaxia = s.exec(select(Account).where(Account.name == "华夏重工")).one()
        for i in range(15):
            f.task(
                s,
                huaxia,
                f"第{i}项：整理华夏重工二期扩产项目的技术方案与报价，并约王总确认",
                owner=wang,
            )
    r = peer.post(peer.text("wanglei", "/待办"))
    assert r.status_code == 200
    assert r.content == b""
    sent = fake.wait_for("message/send")
    assert all(m["msgtype"] == "markdown" and m["touser"] == "wanglei" for m in sent)
    text = "\n".join(m["markdown"]["content"] for m in sent)
    assert len(text.encode()) > 2048
    assert "第14项" in text


def test_subscribing_to_the_app_sends_help_once(peer, fake):
    created = int(time.time())
    assert peer.post(peer.event("wanglei", "subscribe", created=created)).content == b""
    assert peer.post(peer.event("wanglei", "subscribe", created=created)).content == b""
    fake.wait_for("message/send")
    time.sleep(0.3)
    first_lines = [m["markdown"]["content"].splitlines()[0] for m in fake.delivered("message/send")]
    assert sum("kam" in line for line in first_lines) == 1  # one help, not two


def test_entering_the_app_is_acknowledged_and_ignored(peer, fake, engine):
    r = peer.post(peer.event("wanglei", "enter_agent"))
    assert r.status_code == 200 and r.content == b""
    assert fake.delivered("message/send") == []
