"""WeCom names for kam users: user/get fills a placeholder display name, over the real
callback path (kam's server, the fake WeCom API, encrypted callbacks)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlmodel import select

from domain.models import AuditEntry, User
from storage import users
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
    ids = book(engine)
    with unit_of_work(engine) as s:
        admin = s.get(User, ids["admin"])
        admin.language = "zh"
        s.add(admin)
        users.set_identity(s, admin, "wecom", "kamadmin")
    return WecomPeer(start_server(wecom_settings(fake)).url)


def display_name(engine, handle: str) -> str | None:
    with unit_of_work(engine, write=False) as s:
        user = users.by_handle(s, handle)
        return user.display_name if user else None


def wait_for_name(engine, handle: str, name: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while display_name(engine, handle) != name:
        if time.monotonic() > deadline:
            raise AssertionError(f"{handle} is still called {display_name(engine, handle)!r}")
        time.sleep(0.02)


def test_registering_a_member_on_wecom_fills_their_name_from_user_get(peer, fake, engine):
    fake.members["zhangwei"] = "张伟"
    r = peer.post(peer.text("kamadmin", "/用户 添加 @zhangwei 销售 团队 华东 企业微信 zhangwei"))
    assert "已添加" in peer.open_reply(r)["Content"]
    wait_for_name(engine, "zhangwei", "张伟")
    with unit_of_work(engine, write=False) as s:
        entries = s.exec(
            select(AuditEntry).where(AuditEntry.entity == "kam_user").order_by(AuditEntry.id)
        ).all()
    added, named = entries[-2:]
    assert (added.action, named.action) == ("create", "update")
    assert named.request_id == added.request_id  # one command, for /undo
    assert named.before["display_name"] == "Zhangwei"
    assert named.after["display_name"] == "张伟"


def test_undoing_the_registration_takes_the_name_back_with_it(peer, fake, engine):
    fake.members["zhangwei"] = "张伟"
    peer.post(peer.text("kamadmin", "/用户 添加 @zhangwei 销售 团队 华东 企业微信 zhangwei"))
    wait_for_name(engine, "zhangwei", "张伟")
    peer.post(peer.text("kamadmin", "/撤销"))
    assert display_name(engine, "zhangwei") is None


def test_a_member_registered_elsewhere_gets_their_name_on_first_contact(peer, fake, engine):
    with unit_of_work(engine) as s:
        f.user(s, "liqiang", display_name="liqiang", wecom_id="liqiang", language="zh")
    fake.members["liqiang"] = "李强"
    peer.post(peer.text("liqiang", "/待办"))
    wait_for_name(engine, "liqiang", "李强")


def test_a_name_someone_typed_is_kept(peer, fake, engine):
    fake.members["wanglei"] = "王大磊"
    r = peer.post(peer.text("wanglei", "/客户 华夏重工"))
    assert r.status_code == 200
    time.sleep(0.3)  # the hook runs after the reply
    assert display_name(engine, "wang") == "王磊"
    assert not [c for c in fake.calls if c.path == "user/get"]


def test_a_member_wecom_will_not_name_keeps_the_placeholder(peer, fake, engine):
    with unit_of_work(engine) as s:
        f.user(s, "ghost", display_name="Ghost", wecom_id="ghost", language="zh")
    peer.post(peer.text("ghost", "/待办"))  # user/get answers 60111 for an unknown userid
    deadline = time.monotonic() + 10
    while not [c for c in fake.calls if c.path == "user/get"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [c.answer["errcode"] for c in fake.calls if c.path == "user/get"] == [60111]
    assert display_name(engine, "ghost") == "Ghost"
