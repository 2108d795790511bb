"""Profiles of newly registered users come from the command's ``UserRegistered``
event: each platform's directory (Slack users.info, WeCom user/get on the fakes) is
asked once, after the command committed, and never for a command that failed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine

from domain.models import User
from storage import users
from storage.session import unit_of_work
from tests.e2e import fake_wecom
from tests.e2e.fake_slack import FakeSlack, SlackEnv, running_fake, slack_env
from tests.e2e.fake_wecom import FakeWecom, WecomPeer, wecom_settings
from tests.harness import book

BOB, ALICE = "U0BOB", "U0ALICE"


def committed(engine, platform: str, external_id: str) -> bool:
    """Does a connection of its own see the user?  (Only once the command committed.)"""
    other = create_engine(engine.url)
    try:
        with unit_of_work(other, write=False) as s:
            return users.user_by_identity(s, platform, external_id) is not None
    finally:
        other.dispose()


def wait_until(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)
    return found


# --- Slack ----------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    yield from running_fake()


@pytest.fixture
def env(fake, start_server, engine) -> SlackEnv:
    return slack_env(fake, start_server, engine)


def test_slack_users_info_is_asked_once_after_the_registration_committed(env, engine):
    seen: list[bool] = []
    env.fake.hooks["users.info"] = lambda body: seen.append(
        committed(engine, "slack", body["user"])
    )
    env.fake.add_user("U0DANA", name="dana", real_name="Dana Scully", email="dana@acme.example")
    env.slack.slash("/kam", "user add <@U0DANA|dana> rep team East", user=BOB,
                    response_url=env.fake.response_url("dana"))  # fmt: skip
    env.fake.wait_for("response_url")

    def email() -> str | None:
        with unit_of_work(engine, write=False) as s:
            return users.by_handle(s, "dana").email

    assert wait_until(email) == "dana@acme.example"
    # a second registration is the sentinel: the one worker handles events in order
    env.fake.add_user("U0ERIN", name="erin", real_name="Erin Hale")
    env.slack.slash("/kam", "user add <@U0ERIN> rep team East", user=BOB,
                    response_url=env.fake.response_url("erin"))  # fmt: skip
    env.fake.wait_for("users.info", 2)
    assert [c.body["user"] for c in env.fake.calls("users.info")] == ["U0DANA", "U0ERIN"]
    assert seen == [True, True]


def test_a_failed_registration_asks_slack_nothing(env, engine):
    env.fake.add_user("U0FRANK", name="frank", real_name="Frank Li")
    env.slack.slash("/kam", "user add <@U0FRANK|frank> rep", user=ALICE,  # a rep may not
                    response_url=env.fake.response_url("refused"))  # fmt: skip
    [refused] = env.fake.wait_for("response_url")
    assert "Nothing was changed" in str(refused.body)
    env.fake.add_user("U0ERIN", name="erin", real_name="Erin Hale")
    env.slack.slash("/kam", "user add <@U0ERIN> rep team East", user=BOB,
                    response_url=env.fake.response_url("erin"))  # fmt: skip
    env.fake.wait_for("users.info")  # the sentinel's, queued after anything the first did
    assert [c.body["user"] for c in env.fake.calls("users.info")] == ["U0ERIN"]
    with unit_of_work(engine, write=False) as s:
        assert users.user_by_identity(s, "slack", "U0FRANK") is None


# --- WeCom ----------------------------------------------------------------------------


@pytest.fixture
def wecom() -> Iterator[FakeWecom]:
    with fake_wecom.running_fake() as fake:
        yield fake


@pytest.fixture
def peer(start_server, engine, wecom) -> WecomPeer:
    ids = book(engine)
    with unit_of_work(engine) as s:
        admin = s.get(User, ids["admin"])
        admin.language, admin.display_name = "zh", "管理员"  # a real name: no user/get
        users.set_identity(s, admin, "wecom", "kamadmin")
    return WecomPeer(start_server(wecom_settings(wecom)).url)


def user_gets(wecom: FakeWecom) -> list[str]:
    return [c.query["userid"] for c in wecom.calls if c.path == "user/get"]


def test_wecom_user_get_is_asked_once_after_the_registration_committed(peer, wecom, engine):
    seen: list[bool] = []
    wecom.hooks["user/get"] = lambda query: seen.append(committed(engine, "wecom", query["userid"]))
    wecom.members.update(zhangwei="张伟", zhaoliu="赵六")
    reply = peer.open_reply(peer.post(peer.text("kamadmin", "/用户 添加 <@zhangwei> 销售")))
    assert "已添加" in reply["Content"]

    def name() -> str | None:
        with unit_of_work(engine, write=False) as s:
            return users.by_handle(s, "zhangwei").display_name

    wait_until(lambda: name() == "张伟")
    peer.post(peer.text("kamadmin", "/用户 添加 <@zhaoliu> 销售"))  # the sentinel
    wait_until(lambda: len(user_gets(wecom)) >= 2)
    assert user_gets(wecom) == ["zhangwei", "zhaoliu"]
    assert seen == [True, True]


def test_a_failed_registration_asks_wecom_nothing(peer, wecom, engine):
    wecom.members.update(lisi="李四", zhaoliu="赵六")
    reply = peer.open_reply(peer.post(peer.text("wanglei", "/用户 添加 <@lisi> 销售")))
    assert "没有做任何修改" in reply["Content"]  # a rep may not add anyone
    peer.post(peer.text("kamadmin", "/用户 添加 <@zhaoliu> 销售"))
    wait_until(lambda: user_gets(wecom))
    assert user_gets(wecom) == ["zhaoliu"]
