"""Nothing lost, nothing doubled: the inbox over real HTTP (issue 15, items 1 and 2).

A message is kept before the platform is acknowledged and marked done in the command's
own transaction.  Here a process "dies" at a step by having its worker do nothing
(monkeypatched), and the platform's own resend — or the sweeper — finishes it once.
``tests/chaos`` does the same with real SIGKILLs of ``kam run``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.config import Settings, SlackSettings
from bot.slack.app import SlackAdapter
from bot.sweeper import Sweeper
from bot.wecom import callback
from domain.models import InboundEvent, InboundState, Interaction
from storage.session import unit_of_work
from tests.e2e.fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    SlackCaller,
    dm_event,
    running_fake,
    slash_payload,
)
from tests.e2e.fake_wecom import FakeWecom, WecomPeer, wecom_settings
from tests.e2e.fake_wecom import running_fake as running_wecom
from tests.harness import book

LEASE = 0.5  # seconds: a dead process's message is taken over this soon


def visits(engine, note: str) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(
            select(func.count()).select_from(Interaction).where(Interaction.notes.contains(note))
        ).one()


def inbox_states(engine) -> list[str]:
    with unit_of_work(engine, write=False) as s:
        rows = s.exec(select(InboundEvent).where(InboundEvent.platform != "wecom-nonce")).all()
        return [row.state for row in rows]


def wait_until(check, timeout: float = 8.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
    return result


# -- WeCom -------------------------------------------------------------------------------


@pytest.fixture
def wecom() -> Iterator[FakeWecom]:
    with running_wecom() as fake:
        yield fake


@pytest.fixture
def wserver(start_server, engine, wecom):
    book(engine)
    return start_server(wecom_settings(wecom, inbox_lease_seconds=LEASE))


@pytest.fixture
def peer(wserver) -> WecomPeer:
    return WecomPeer(wserver.url)


def test_wecoms_byte_identical_retry_of_an_answered_message_is_200_and_changes_nothing(
    peer, engine
):
    """WeCom resends with the same timestamp, nonce and signature: not a replay."""
    sealed = peer.seal(peer.text("wanglei", "/拜访 华夏重工 原样重发 r1"))
    first = peer.resend(sealed)
    assert "已记录拜访" in peer.open_reply(first)["Content"]
    for _ in range(3):
        again = peer.resend(sealed)
        assert again.status_code == 200  # was 403 "nonce already used"
        assert again.content == b""
    assert visits(engine, "原样重发 r1") == 1


def test_a_used_nonce_on_a_message_never_seen_is_still_refused(peer, engine):
    assert peer.post(peer.text("wanglei", "/拜访 华夏重工 n1"), nonce="777").status_code == 200
    replay = peer.post(peer.text("wanglei", "/拜访 华夏重工 n2"), nonce="777")
    assert replay.status_code == 403
    assert visits(engine, "n2") == 0


def test_a_message_whose_worker_died_is_run_by_wecoms_retry_once(peer, engine, monkeypatch):
    """Killed after receipt: nothing ran.  WeCom's identical retry runs it (was: 403)."""
    monkeypatch.setattr(callback, "PASSIVE_WINDOW", 0.3)
    work = callback.WecomCallback._work
    monkeypatch.setattr(callback.WecomCallback, "_work", lambda *a: None)  # dies
    sealed = peer.seal(peer.text("wanglei", "/拜访 华夏重工 进程挂了 r2"))
    assert peer.resend(sealed).content == b""  # no answer in time: WeCom will resend
    assert visits(engine, "进程挂了 r2") == 0
    assert inbox_states(engine) == [InboundState.received]
    monkeypatch.setattr(callback.WecomCallback, "_work", work)  # the restarted process
    monkeypatch.setattr(callback, "PASSIVE_WINDOW", 4.0)
    time.sleep(LEASE + 0.1)
    retry = peer.resend(sealed)
    assert "已记录拜访" in peer.open_reply(retry)["Content"]
    assert visits(engine, "进程挂了 r2") == 1
    wait_until(lambda: inbox_states(engine) == [InboundState.answered])


def test_a_message_that_ran_but_was_never_answered_gets_its_answer_on_retry(
    peer, engine, monkeypatch
):
    """Killed after commit, before the reply: the retry gets the kept answer, no rerun."""
    monkeypatch.setattr(callback, "PASSIVE_WINDOW", 0.3)
    work = callback.WecomCallback._work

    def run_then_die(self, message, kept, handoff):
        self.inbox.run(kept)  # committed, with its answer kept; then nothing

    monkeypatch.setattr(callback.WecomCallback, "_work", run_then_die)
    sealed = peer.seal(peer.text("wanglei", "/拜访 华夏重工 答复丢了 r3"))
    assert peer.resend(sealed).content == b""
    wait_until(lambda: inbox_states(engine) == [InboundState.done])
    monkeypatch.setattr(callback.WecomCallback, "_work", work)
    monkeypatch.setattr(callback, "PASSIVE_WINDOW", 4.0)
    time.sleep(LEASE + 0.1)
    retry = peer.resend(sealed)
    assert "已记录拜访" in peer.open_reply(retry)["Content"]
    assert visits(engine, "答复丢了 r3") == 1
    wait_until(lambda: inbox_states(engine) == [InboundState.answered])
    assert peer.resend(sealed).content == b""  # and a third time: nothing more


def test_the_sweeper_finishes_a_message_nobody_resends(wserver, peer, engine, wecom, monkeypatch):
    monkeypatch.setattr(callback, "PASSIVE_WINDOW", 0.3)
    monkeypatch.setattr(callback.WecomCallback, "_work", lambda *a: None)
    peer.post(peer.text("wanglei", "/拜访 华夏重工 没人重发 r4"))
    monkeypatch.undo()
    time.sleep(LEASE + 0.1)
    assert Sweeper(wserver.kam.inbox, 0.1).sweep() == 1
    [sent] = wecom.wait_for("message/send")
    assert sent["touser"] == "wanglei" and "已记录拜访" in str(sent)
    assert visits(engine, "没人重发 r4") == 1
    assert inbox_states(engine) == [InboundState.answered]
    assert Sweeper(wserver.kam.inbox, 0.1).sweep() == 0


def test_a_message_for_another_app_of_the_corp_is_refused(wserver, engine):
    other_app = WecomPeer(wserver.url, agent_id=1000099)
    r = other_app.post(other_app.text("wanglei", "/拜访 华夏重工 别的应用 r5"))
    assert r.status_code == 403
    assert visits(engine, "别的应用 r5") == 0


# -- Slack -------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    yield from running_fake()


@pytest.fixture
def sserver(fake, start_server, engine):
    book(engine)
    slack = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.api_url)
    return start_server(Settings(slack=slack, inbox_lease_seconds=LEASE))


@pytest.fixture
def caller(sserver) -> SlackCaller:
    return SlackCaller(sserver.url)


def test_an_identical_signed_slash_command_replayed_logs_one_visit(caller, fake, engine):
    """Three copies of one signed request within five minutes (was: three visits)."""
    body = urlencode(
        slash_payload(
            "/visit",
            "Acme replayed slash s1",
            user="U0ALICE",
            response_url=fake.response_url("s1"),
        )
    )
    for _ in range(3):
        assert caller.post(body, "application/x-www-form-urlencoded").status_code == 200
    fake.wait_for("response_url")
    time.sleep(0.3)
    assert visits(engine, "replayed slash s1") == 1
    assert len(fake.calls("response_url")) == 1


def die_after_the_ack(monkeypatch) -> threading.Event:
    """The request is kept and acknowledged, then its worker does nothing: as if kam
    was killed right after the ack.  The returned event is set once that happened."""
    died = threading.Event()
    monkeypatch.setattr(SlackAdapter, "finish", lambda self, kept: died.set())
    return died


def test_a_slack_event_retried_after_its_worker_died_runs_once(caller, fake, engine, monkeypatch):
    died = die_after_the_ack(monkeypatch)
    event = dm_event("U0ALICE", "visit Acme died after the ack e1")
    assert caller.event(event, event_id="Ev0DIED0001").status_code == 200
    assert died.wait(5)
    monkeypatch.undo()
    assert visits(engine, "after the ack e1") == 0
    time.sleep(LEASE + 0.1)
    assert caller.event(event, event_id="Ev0DIED0001", retry_num=1).status_code == 200
    fake.wait_for("chat.postMessage")
    assert visits(engine, "after the ack e1") == 1
    wait_until(lambda: inbox_states(engine) == [InboundState.answered])
    assert caller.event(event, event_id="Ev0DIED0001", retry_num=2).status_code == 200
    time.sleep(0.3)
    assert visits(engine, "after the ack e1") == 1
    assert len(fake.calls("chat.postMessage")) == 1


def test_a_slash_command_whose_worker_died_is_answered_by_the_sweeper(
    sserver, caller, fake, engine, monkeypatch
):
    """Slack never resends a slash command: the sweeper of any kam process runs it."""
    died = die_after_the_ack(monkeypatch)
    ack = caller.slash("/visit", "Acme nobody resends s2", user="U0ALICE",
                       response_url=fake.response_url("s2"))  # fmt: skip
    assert ack.status_code == 200
    assert died.wait(5)
    monkeypatch.undo()
    assert visits(engine, "nobody resends s2") == 0
    sweeper = Sweeper(sserver.kam.inbox, 0.1)
    assert sweeper.sweep() == 0  # its lease still holds: maybe it is only slow
    time.sleep(LEASE + 0.1)
    assert sweeper.sweep() == 1
    [answer] = fake.wait_for("response_url")
    assert "Acme" in answer.block_text()
    assert visits(engine, "nobody resends s2") == 1
    assert inbox_states(engine) == [InboundState.answered]
