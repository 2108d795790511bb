"""Sending to WeCom through the real client and notifier, against the fake WeCom API:
the shared access token, errcode handling, byte limits and the group robot's rate."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.bootstrap import build_app
from bot.wecom.client import RateLimiter, WecomApiError, WecomClient, redact
from bot.wecom.notifier import WecomNotifier
from domain.models import PlatformToken, Team
from handlers.notify import Recipient, SendError, team_recipients
from handlers.replies import Reply
from storage.engine import make_engine
from storage.session import unit_of_work
from tests.e2e.fake_wecom import FakeWecom, running_fake, wecom_settings
from tests.harness import book

WANG = Recipient("wecom", "user", "wanglei", "user:wang", "zh")
CHAT = Recipient("wecom", "channel", "wrEast", "team:华东", "zh")


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    with running_fake() as fake:
        yield fake


def notifier_for(fake: FakeWecom, engine, **kw) -> tuple[WecomNotifier, list[float]]:
    """A notifier on ``engine`` whose back-off sleeps are recorded instead of slept."""
    slept: list[float] = []
    settings = wecom_settings(fake).wecom
    client = WecomClient.from_settings(settings, engine, sleep=slept.append, **kw)
    return WecomNotifier(client, agent_id=settings.agent_id), slept


def short(title: str = "华夏重工：周五前发方案") -> Reply:
    return Reply(title=title, lines=["王建国已确认预算"])


# -- the access token -------------------------------------------------------------------


def test_an_expired_token_is_refreshed_and_the_message_arrives_once(fake, engine):
    notifier, _ = notifier_for(fake, engine)
    notifier.send(WANG, short("第一条"))
    fake.expire_tokens()  # WeCom may retire a token early; the cache still thinks it good
    notifier.send(WANG, short("第二条"))
    assert fake.answers("message/send") == [0, 42001, 0]
    assert fake.token_fetches == 2
    contents = [m["markdown"]["content"] for m in fake.delivered("message/send")]
    assert len(contents) == 2
    assert sum("第二条" in c for c in contents) == 1


def test_a_token_refused_twice_is_refreshed_only_once(fake, engine):
    notifier, _ = notifier_for(fake, engine)
    notifier.send(WANG, short())
    fake.fail("message/send", 42001, times=2)
    with pytest.raises(WecomApiError) as err:
        notifier.send(WANG, short())
    assert err.value.errcode == 42001
    assert err.value.retryable
    assert fake.token_fetches == 2  # the first fetch, and one refresh — no loop


def test_errcode_decides_whatever_errmsg_says(fake, engine):
    """40014 with a cheerful errmsg is still an invalid token."""
    notifier, _ = notifier_for(fake, engine)
    notifier.send(WANG, short())
    fake.fail("message/send", 40014)
    notifier.send(WANG, short())
    assert fake.answers("message/send") == [0, 40014, 0]
    assert fake.token_fetches == 2


def test_three_concurrent_senders_fetch_the_token_once(fake, database_url):
    """Three kam processes (three engines on one database) find no token at once."""
    fake.token_delay = 0.3
    engines = [make_engine(database_url) for _ in range(3)]
    notifiers = [notifier_for(fake, e)[0] for e in engines]
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def send(n: WecomNotifier, i: int) -> None:
        start.wait()
        try:
            n.send(WANG, short(f"并发 {i}"))
        except BaseException as exc:  # noqa: BLE001 (surfaced below)
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(n, i)) for i, n in enumerate(notifiers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for e in engines:
        e.dispose()
    assert errors == []
    assert fake.token_fetches == 1
    assert len(fake.delivered("message/send")) == 3


def test_a_token_near_its_expiry_is_refreshed_before_wecom_refuses_it(fake, engine):
    notifier, _ = notifier_for(fake, engine)
    notifier.send(WANG, short())
    with unit_of_work(engine) as s:
        row = s.get(PlatformToken, notifier.client.token_name)
        row.expires_at = datetime.now(UTC) + timedelta(minutes=2)
        s.add(row)
    notifier.send(WANG, short())
    assert fake.token_fetches == 2
    assert 42001 not in fake.answers("message/send")


def test_a_wrong_secret_is_not_worth_retrying(fake, engine):
    client = WecomClient(
        engine=engine, corp_id=fake.corp_id, secret="wrong", base_url=fake.api_base_url
    )
    with pytest.raises(WecomApiError) as err:
        WecomNotifier(client, agent_id=fake.agent_id).send(WANG, short())
    assert err.value.errcode == 40001
    assert not err.value.retryable


def test_tokens_and_webhook_keys_stay_out_of_the_logs(fake, engine, caplog):
    caplog.set_level(logging.INFO, logger="httpx")
    notifier, _ = notifier_for(fake, engine)
    notifier.send(WANG, short())
    notifier.send(Recipient("wecom", "webhook", "robot-secret-key", "team:x", "zh"), short())
    with unit_of_work(engine, write=False) as s:
        token = s.get(PlatformToken, notifier.client.token_name).value
    assert caplog.records, "httpx logged nothing: the check below would prove nothing"
    assert token not in caplog.text
    assert fake.secret not in caplog.text
    assert "robot-secret-key" not in caplog.text
    assert (
        redact("/gettoken?corpid=ww1&corpsecret=s3&x=1")
        == "/gettoken?corpid=ww1&corpsecret=***&x=1"
    )


# -- errcodes ---------------------------------------------------------------------------


def test_45009_backs_off_and_retries(fake, engine):
    notifier, slept = notifier_for(fake, engine)
    fake.fail("appchat/send", 45009, times=2)
    notifier.send(CHAT, short())
    assert slept == [1.0, 2.0]
    assert len(fake.delivered("appchat/send")) == 1


def test_45009_that_does_not_clear_is_a_retryable_error(fake, engine):
    notifier, slept = notifier_for(fake, engine)
    fake.fail("appchat/send", 45009, times=4)
    with pytest.raises(SendError) as err:
        notifier.send(CHAT, short())
    assert err.value.retryable
    assert slept == [1.0, 2.0, 4.0]
    assert fake.delivered("appchat/send") == []


def test_markdown_refused_falls_back_to_text(fake, engine):
    notifier, _ = notifier_for(fake, engine)
    fake.fail("message/send", 40008)  # a deployment without markdown
    notifier.send(WANG, short("先试 markdown"))
    notifier.send(WANG, short("以后直接发文字"))
    sent = fake.delivered("message/send")
    assert [m["msgtype"] for m in sent] == ["text", "text"]
    assert "先试 markdown" in sent[0]["text"]["content"]
    # After a 40008 the notifier does not ask for markdown again.
    assert [c.body["msgtype"] for c in fake.calls if c.path == "message/send"] == [
        "markdown",
        "text",
        "text",
    ]


def test_a_member_wecom_did_not_deliver_to_is_a_final_error(fake, engine):
    notifier, _ = notifier_for(fake, engine)
    with pytest.raises(SendError) as err:
        notifier.send(Recipient("wecom", "user", "left-the-company", "user:x", "zh"), short())
    assert not err.value.retryable
    assert "left-the-company" in str(err.value)


# -- byte limits --------------------------------------------------------------------------


def chinese_digest() -> tuple[Reply, list[str]]:
    """A team digest of about 6000 bytes of Chinese."""
    rows = [
        f"{i:02d}. 华夏重工第{i}期项目：王建国总经理确认预算，李娜采购经理下周安排技术交流"
        for i in range(1, 61)
    ]
    reply = Reply(title="华东团队每日摘要")
    reply.add_section("今日待跟进客户", rows[:30])
    reply.add_section("本周到期商机", rows[30:])
    return reply, rows


@pytest.mark.parametrize(
    "recipient",
    [WANG, CHAT, Recipient("wecom", "webhook", "robot-east", "team:华东", "zh")],
    ids=["user", "app-chat", "group-robot"],
)
def test_a_6000_byte_chinese_digest_arrives_as_several_markdown_messages(fake, engine, recipient):
    reply, rows = chinese_digest()
    assert sum(len(r.encode()) for r in rows) > 6000
    notifier, _ = notifier_for(fake, engine)
    notifier.send(recipient, reply)
    path = {"user": "message/send", "channel": "appchat/send", "webhook": "webhook/send"}
    calls = [c for c in fake.calls if c.path == path[recipient.kind]]
    assert len(calls) >= 2
    assert all(c.answer["errcode"] == 0 for c in calls)  # none refused as too long
    parts = [c.body["markdown"]["content"] for c in calls]
    assert all(c.body["msgtype"] == "markdown" for c in calls)
    assert all(len(p.encode("utf-8")) <= 4096 for p in parts)
    # Split at line boundaries: every row arrives whole, in one message, in order.
    for row in rows:
        assert sum(row in p for p in parts) == 1, row
    joined = "\n".join(parts)
    assert [joined.index(r) for r in rows] == sorted(joined.index(r) for r in rows)


def test_one_line_longer_than_a_message_is_split_between_characters(fake, engine):
    line = "长" * 1500 + "尾"  # 4503 bytes, no line break to split at
    notifier, _ = notifier_for(fake, engine)
    notifier.send(WANG, Reply(title="超长", lines=[line]))
    parts = [m["markdown"]["content"] for m in fake.delivered("message/send")]
    assert len(parts) >= 2
    assert all(len(p.encode()) <= 4096 for p in parts)
    assert "".join(parts).endswith(line)  # cut between characters, nothing lost


# -- group robots -----------------------------------------------------------------------


class VirtualClock:
    """Time that passes only when someone sleeps (shared by the limiter and the fake)."""

    def __init__(self) -> None:
        self.t = 1000.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self.t

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.t += seconds


def test_a_group_robot_gets_at_most_20_messages_a_minute(engine):
    clock = VirtualClock()
    with running_fake(clock=clock.now) as fake:
        limiter = RateLimiter(clock=clock.now, sleep=clock.sleep)
        notifier, _ = notifier_for(fake, engine, webhook_limiter=limiter)
        robot = Recipient("wecom", "webhook", f"{fake.api_base_url}webhook/send?key=k1", "t", "zh")
        for i in range(45):
            notifier.send(robot, short(f"第{i}条提醒"))
        assert fake.answers("webhook/send") == [0] * 45  # never past WeCom's limit
        assert clock.now() - 1000.0 >= 120.0  # 45 messages need two full minutes of waiting


def test_a_limiter_that_would_wait_too_long_gives_a_retryable_error():
    clock = VirtualClock()
    limiter = RateLimiter(limit=2, period=60, max_wait=30, clock=clock.now, sleep=clock.sleep)
    limiter.acquire("k")
    limiter.acquire("k")
    limiter.acquire("other")  # each robot has its own budget
    with pytest.raises(SendError) as err:
        limiter.acquire("k")
    assert err.value.retryable


def test_a_bare_robot_key_is_sent_to_the_configured_api_base(fake, engine):
    notifier, _ = notifier_for(fake, engine)
    notifier.send(Recipient("wecom", "webhook", "robot-key-1", "team:华东", "zh"), short())
    [call] = [c for c in fake.calls if c.path == "webhook/send"]
    assert call.query["key"] == "robot-key-1"


# -- wiring -----------------------------------------------------------------------------


def test_kam_routes_a_teams_digest_to_its_wecom_chat_and_robot(fake, engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        team = s.get(Team, ids["huadong"])
        team.wecom_webhook = "robot-huadong"
        s.add(team)
    kam = build_app(wecom_settings(fake), engine=engine)
    with unit_of_work(engine, write=False) as s:
        recipients = team_recipients(s.get(Team, ids["huadong"]))
    assert {r.kind for r in recipients} == {"channel", "webhook"}
    reply, _ = chinese_digest()
    for recipient in recipients:
        kam.notifier.send(recipient, reply)
    assert {m["chatid"] for m in fake.delivered("appchat/send")} == {"wrEast"}
    assert len(fake.delivered("webhook/send")) >= 2


def test_a_scheduled_push_asks_wecom_to_drop_a_duplicate_and_an_answer_does_not(fake, engine):
    notifier, _ = notifier_for(fake, engine)
    notifier.send(WANG, Reply(title="今日提醒", once=True))
    notifier.send(WANG, short("命令的回答"))
    pushed, answered = fake.delivered("message/send")
    assert pushed["enable_duplicate_check"] == 1
    assert pushed["duplicate_check_interval"] >= 600  # longer than the ledger's claim timeout
    assert "enable_duplicate_check" not in answered


def test_the_scheduler_marks_its_sends_as_pushes(engine):
    from bot.config import Settings
    from handlers.notify import RecordingNotifier
    from schedules.delivery import JobReport, Outbound, deliver
    from storage.ledger import DeliveryKey

    recording = RecordingNotifier()
    message = Outbound(DeliveryKey("lapse", "user:wang", "all", "2026-11-18"), WANG, short())
    now = datetime.now(UTC)
    deliver(engine, Settings(), recording, [message], now=now, report=JobReport("lapse", now))
    [(_, sent)] = recording.sent
    assert sent.once is True and message.reply.once is False  # the job's own reply is untouched
