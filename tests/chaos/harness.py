"""Kill ``kam run`` mid-message, restart it, replay what the platform resends, and count.

One *chaos run* is one inbound message on one path, with one named failpoint armed
(``handlers.failpoints``: ``KAM_FAILPOINTS=<name>`` in the child's environment, nowhere
else):

1. the database is made ready (``Inbound.prepare``: e.g. a question kam asked, whose
   button the message clicks);
2. ``kam run --no-scheduler`` starts with the failpoint armed and the message is
   delivered the way the platform delivers it (signed Slack request, encrypted WeCom
   callback), to the real HTTP server;
3. the failpoint SIGKILLs kam (no ``finally``, no rollback): the run waits for the
   process to die by SIGKILL — a run where it did not is a fault *not* injected;
4. kam starts again, unarmed, on the same database (``KAM_INBOX_LEASE_SECONDS`` and
   ``KAM_INBOX_SWEEP_SECONDS`` small, so its sweeper picks up what was left);
5. the platform's resends are replayed (``Inbound.replay``): Slack retries an event with
   ``X-Slack-Retry-Num`` (never a slash command or an interaction); WeCom resends the
   byte-identical callback — same timestamp, nonce and signature — when it got no
   answer;
6. the run waits for the person's answer at the fake platform, then lets the sweeper
   run a while longer (a late second answer is a duplicate), and counts the effect in
   the database (``Inbound.effect``) and the answers (``Inbound.answers``).

Everything is on 127.0.0.1: the fake Slack Web API (with ``response_url``) and the fake
WeCom API of ``tests/e2e``.
"""

from __future__ import annotations

import json
import os
import re
import resource
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx
import xmltodict
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.engine import make_engine
from tests.e2e.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.e2e.fake_wecom import AES_KEY, TOKEN, FakeWecom, WecomPeer

ROOT = Path(__file__).resolve().parents[2]
# CI's second run names the shared PostgreSQL: the chaos suites then run on a private one.
ON_POSTGRES = bool(os.environ.get("KAM_TEST_DATABASE_URL"))
FAILPOINTS = ("inbound.received", "command.inside", "command.committed", "reply.sent")
# Not a failpoint: the test holds a lock on the table the command writes (PostgreSQL),
# and SIGKILLs kam while the command waits for it — issue 15's own reproduction, which
# needs no failpoint, so it also shows what kam did before the inbox.
LOCK_WAIT = "lock-wait"
LEASE_SECONDS = 2.0
SWEEP_SECONDS = 0.5
READY = re.compile(r"kam ready on (http://\S+)")
# bot.sweeper's line when it hands a message on: which attempt at running it this is
SWEPT = re.compile(r"inbox: finishing \S+ \S+ \(attempt (\d+)\)")
START_SECONDS = 60.0  # at most, from the process's start until it serves (or dies): 20 s seen at load 12 on 2 cores
KAM_TOML = "[wecom]\nquestion_cards = true\n"  # the WeCom question is a card with buttons
# tests.harness.book: alice on Slack, bob (manager of East and 华东) on Slack, 王磊 on WeCom
ALICE, BOB, WANG = "U0ALICE", "U0BOB", "wanglei"
CHANNEL = "C0EAST"
LISTEN = ("--host", "127.0.0.1", "--port", "0")


# -- kam run, as a child process ------------------------------------------------------


class KamProcess:
    """``kam run --no-scheduler --port 0`` from this checkout; its stderr kept."""

    def __init__(self, env: dict[str, str], cwd: Path, name: str) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--no-scheduler", *LISTEN],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = ""
        self.lines: deque[str] = deque(maxlen=400)
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.lines.append(raw.rstrip())
            if not self._ready.is_set() and (m := READY.search(raw)):
                self.url = m.group(1)
                self._ready.set()

    def wait_ready(self, timeout: float = START_SECONDS) -> str:
        """The server's URL once ``/healthz`` answers (kam listens before it prints
        ``kam ready on …``; asking once more costs little and proves it)."""
        deadline = time.monotonic() + timeout
        while True:
            if self._ready.wait(0.05):
                try:
                    httpx.get(f"{self.url}/healthz", timeout=2, trust_env=False)
                    return self.url
                except httpx.TransportError:
                    pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"kam ({self.name}) did not start:\n{self.log()}")

    def wait_killed(self, timeout: float) -> bool:
        """Did the process die by SIGKILL (its failpoint) within ``timeout``?"""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        self._reader.join(timeout=2)
        return code == -signal.SIGKILL

    def swept(self) -> list[int]:
        """The attempts its sweeper took messages up at, in order (from its log)."""
        return [int(m.group(1)) for line in self.lines if (m := SWEPT.search(line))]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._reader.join(timeout=2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._reader.join(timeout=2)

    def log(self) -> str:
        return "\n".join(self.lines)


class Platforms:
    """The fake Slack and fake WeCom of ``tests/e2e``, running for one test."""

    def __init__(self) -> None:
        self.slack = FakeSlack()
        self.wecom = FakeWecom()

    def __enter__(self) -> Platforms:
        self.slack.__enter__()
        self.wecom.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.slack.__exit__(*exc)
        self.wecom.stop()


def kam_env(database_url: str, platforms: Platforms, failpoint: str | None) -> dict[str, str]:
    """A child's environment: nothing of this process's kam/Slack/WeCom settings, the
    fakes, short inbox lease and sweep, and the failpoint when one is armed."""
    prefixes = ("KAM_", "SLACK_", "WECOM_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        KAM_DATABASE_URL=database_url,
        KAM_DRAIN_SECONDS="2",
        KAM_INBOX_LEASE_SECONDS=str(LEASE_SECONDS),
        KAM_INBOX_SWEEP_SECONDS=str(SWEEP_SECONDS),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=platforms.slack.api_url,
        WECOM_CORP_ID=platforms.wecom.corp_id,
        WECOM_AGENT_ID=str(platforms.wecom.agent_id),
        WECOM_SECRET=platforms.wecom.secret,
        WECOM_TOKEN=TOKEN,
        WECOM_ENCODING_AES_KEY=AES_KEY,
        WECOM_API_BASE_URL=platforms.wecom.api_base_url,
    )
    if failpoint:
        env["KAM_FAILPOINTS"] = failpoint
    return env


# -- what was sent, and what came back --------------------------------------------------


@dataclass
class Attempt:
    """One delivery of the message to kam: its HTTP answer, or how it failed."""

    label: str
    status: int | None = None
    body: bytes = b""
    error: str | None = None

    @property
    def acked(self) -> bool:
        return self.status == 200

    def __str__(self) -> str:
        if self.error:
            return f"{self.label}: {self.error}"
        return f"{self.label}: {self.status} {self.body[:80]!r}"


def attempt(label: str, send: Callable[[], httpx.Response]) -> Attempt:
    try:
        r = send()
    except httpx.HTTPError as exc:  # kam died with the request open
        return Attempt(label, error=f"{type(exc).__name__}: {exc}")
    return Attempt(label, status=r.status_code, body=r.content)


@dataclass(frozen=True)
class Sealed:
    """A WeCom callback exactly as sent: resent byte for byte (same timestamp, nonce and
    msg_signature), as WeCom does when it got no answer within five seconds."""

    url: str
    params: dict[str, str]
    body: bytes

    def post(self, url: str | None = None) -> httpx.Response:
        return httpx.post(
            url or self.url, params=self.params, content=self.body, timeout=10, trust_env=False
        )


def seal(peer: WecomPeer, plain_xml: str) -> Sealed:
    """Encrypt and sign a callback once (``WecomPeer.post`` does it afresh each time)."""
    ts, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    envelope = xmltodict.parse(peer.crypto.encrypt_message(plain_xml, nonce, ts))["xml"]
    body = (
        "<xml>"
        f"<ToUserName><![CDATA[{peer.corp_id}]]></ToUserName>"
        f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt>"
        f"<AgentID><![CDATA[{peer.agent_id}]]></AgentID>"
        "</xml>"
    )
    params = {"msg_signature": envelope["MsgSignature"], "timestamp": ts, "nonce": nonce}
    return Sealed(peer.url, params, body.encode())


def passive_texts(peer: WecomPeer, attempts: list[Attempt]) -> list[str]:
    """The contents of the passive text replies kam gave in its HTTP answers."""
    out = []
    for a in attempts:
        if a.status == 200 and a.body.strip():
            reply = peer.open_reply(httpx.Response(200, content=a.body))
            if reply.get("MsgType") == "text":
                out.append(str(reply.get("Content") or ""))
    return out


def wecom_sends(fake: FakeWecom, user: str) -> list[str]:
    """What ``message/send`` delivered to ``user``: each message's text or card title."""
    out = []
    for body in fake.delivered("message/send"):
        if body.get("touser") != user:
            continue
        kind = body.get("msgtype", "")
        part = body.get(kind) or {}
        out.append(str(part.get("content") or json.dumps(part, ensure_ascii=False)))
    return out


def slack_messages(fake: FakeSlack) -> list[str]:
    """Every message kam posted to a person (not an update of an earlier one)."""
    out = []
    for call in fake.calls(ok=True):
        replied = call.method == "response_url" and not call.body.get("replace_original")
        if replied or call.method in ("chat.postMessage", "chat.postEphemeral"):
            out.append(call.block_text() or str(call.body.get("text") or ""))
    return out


# -- the inbound paths ------------------------------------------------------------------


@dataclass
class Inbound:
    """One inbound path: how its message is made, sent, resent, and judged.

    Subclasses fill in ``prepare`` (the database before kam starts), ``first`` (the
    platform's delivery), ``replay`` (what the platform sends again after the restart,
    given the first attempt), ``effect`` (how many times the message took effect: None
    when it changes nothing) and ``answers`` (how many answers the person got)."""

    name: str
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    steps: ClassVar[tuple[str, ...]] = FAILPOINTS  # the failpoints its message passes
    table: ClassVar[str | None] = None  # the table its command writes (None: none)

    def __post_init__(self) -> None:
        """For a path's own attributes (a subclass's ``__post_init__``)."""

    def prepare(self, database_url: str, platforms: Platforms) -> None:
        """Nothing by default."""

    def first(self, url: str, platforms: Platforms) -> Attempt:
        raise NotImplementedError

    def replay(self, url: str, platforms: Platforms, first: Attempt) -> list[Attempt]:
        return []

    def effect(self, database_url: str) -> int | None:
        raise NotImplementedError

    def answers(self, platforms: Platforms, attempts: list[Attempt]) -> int:
        raise NotImplementedError

    def notifications(self, platforms: Platforms) -> int | None:
        """How many times the people the command tells were told (None: nobody)."""
        return None


# -- one run ------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one chaos run saw: the figures of the summary table, and the evidence."""

    path: str
    step: str
    database: str
    fault_injected: bool = False
    attempts: list[Attempt] = field(default_factory=list)
    replayed: int = 0
    effect: int | None = None
    answers: int = 0
    notifications: int | None = None  # the notifications to others (None: none due)
    inbox_rows: int | None = None  # the message's rows in the inbox (None: not known)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the test's and its kam processes' CPU time
    phases: dict[str, float] = field(default_factory=dict)  # seconds each step took
    exits: dict[str, int | None] = field(default_factory=dict)  # each process's exit code
    logs: dict[str, str] = field(default_factory=dict)

    @property
    def replays_acked(self) -> bool:
        """Every resend after the restart got a 200 (never a 403 "nonce already used")."""
        return all(a.acked for a in self.attempts[1:])

    @property
    def applied_once(self) -> bool:
        return self.effect == 1 if self.effect is not None else self.answers >= 1

    @property
    def duplicates(self) -> int:
        """Effects and notifications beyond the first (answers are counted apart)."""
        return max(0, (self.effect or 0) - 1) + max(0, (self.notifications or 0) - 1)

    @property
    def lost(self) -> bool:
        return self.effect == 0 or self.answers == 0 or self.notifications == 0

    def row(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "step": self.step,
            "database": self.database,
            "faults": int(self.fault_injected),
            "replayed": self.replayed,
            "effect": self.effect,
            "answers": self.answers,
            "notifications": self.notifications,
            "once": int(self.applied_once),
            "duplicates": self.duplicates,
            "lost": int(self.lost),
            "seconds": round(self.seconds, 1),
            "cpu": round(self.cpu_seconds, 1),
        }

    def evidence(self) -> str:
        lines = [f"{self.path} killed at {self.step} on {self.database}:"]
        lines += [f"  sent {a}" for a in self.attempts]
        lines.append(
            f"  effect {self.effect}, answers {self.answers}, notifications "
            f"{self.notifications}, inbox rows {self.inbox_rows}, "
            f"exits {self.exits}"
        )
        phases = ", ".join(f"{k} {v:.1f}s" for k, v in self.phases.items())
        lines.append(f"  phases {phases}; CPU {self.cpu_seconds:.1f}s")
        for name, log in self.logs.items():
            lines += [f"--- kam {name} (last lines) ---", *log.splitlines()[-40:]]
        return "\n".join(lines)


def wait_for(check: Callable[[], bool], timeout: float, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(every)


def _unfinished(database_url: str) -> int | None:
    """Inbox rows not yet answered (None: this database has no inbox states)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM inbound_event WHERE state <> 'answered'")
            ).scalar_one()
    except DBAPIError:
        return None
    finally:
        engine.dispose()


def _inbox_rows(database_url: str) -> int | None:
    """Rows the platforms' messages left in the inbox (one test, one message)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM inbound_event WHERE platform IN ('slack', 'wecom')")
            ).scalar_one()
    except DBAPIError:
        return None
    finally:
        engine.dispose()


def settled(database_url: str, longest: float) -> None:
    """Wait until every inbox row is answered — nothing is left for a sweeper to send —
    and one sweep more (``longest`` seconds at most); a lease and two sweeps when the
    inbox cannot tell."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        left = _unfinished(database_url)
        if left is None:  # no inbox states: a lease and two sweeps
            time.sleep(LEASE_SECONDS + 2 * SWEEP_SECONDS)
            return
        if left == 0:
            time.sleep(SWEEP_SECONDS)
            return
        time.sleep(0.1)


def play(
    path: Inbound,
    step: str,
    *,
    database: str,
    database_url: str,
    platforms: Platforms,
    workdir: Path,
    answer_timeout: float = 15.0,
    settle: float = 15.0,  # at most, waiting for the inbox to have answered everything
    kills: int = 1,
    answered: Callable[[], bool] | None = None,
) -> Outcome:
    """Kill kam at ``step`` while it takes ``path``'s message, restart, replay, count.

    ``kills`` > 1: kam is restarted still armed, and killed again at ``step`` when its
    sweeper takes the message up, that many times in all (a message that kills every
    process running it); ``answered`` tells when the answer is there (default: the
    path's own answer has arrived)."""
    started, cpu = time.monotonic(), _cpu_seconds()
    out = Outcome(path.name, step, database)
    clock = [started]

    def lap(name: str) -> None:
        now = time.monotonic()
        out.phases[name] = now - clock[0]
        clock[0] = now

    (workdir / "kam.toml").write_text(KAM_TOML, encoding="utf-8")
    path.prepare(database_url, platforms)
    lap("prepare")

    armed = None if step == LOCK_WAIT else step
    doomed = KamProcess(kam_env(database_url, platforms, armed), workdir, "armed")
    try:
        url = doomed.wait_ready()
        lap("start")
        if armed is None:
            assert path.table is not None, f"{path.name} writes no table to lock"
            out.fault_injected = kill_while_locked(
                doomed, lambda: path.first(url, platforms), database_url, path.table, out
            )
        else:
            out.attempts.append(path.first(url, platforms))
            lap("send")
            out.fault_injected = doomed.wait_killed(timeout=10)
        lap("killed")
    finally:
        doomed.stop()
        out.exits["armed"] = doomed.proc.returncode
        out.logs["armed"] = doomed.log()
    for n in range(2, kills + 1):
        if not out.fault_injected:
            break
        again = KamProcess(kam_env(database_url, platforms, armed), workdir, f"armed {n}")
        try:
            # Nothing is sent to this one: no ready wait.  Its sweeper takes the message
            # up as soon as the lease has run out — often at its first sweep, before
            # /healthz could answer — and the failpoint kills it there.  A fault injected
            # is that death, with the sweeper's n-th attempt at the message in its log.
            killed = again.wait_killed(timeout=START_SECONDS + LEASE_SECONDS + 15)
            out.fault_injected = killed and again.swept() == [n]
            lap(f"killed {n}")
        finally:
            again.stop()
            out.exits[f"armed {n}"] = again.proc.returncode
            out.logs[f"armed {n}"] = again.log()
    if not out.fault_injected:
        out.effect = path.effect(database_url)
        out.answers = path.answers(platforms, out.attempts)
        out.seconds = time.monotonic() - started
        return out

    again = KamProcess(kam_env(database_url, platforms, None), workdir, "restarted")
    try:
        url = again.wait_ready()
        lap("restart")
        replays = path.replay(url, platforms, out.attempts[0])
        out.attempts += replays
        out.replayed = len(replays)
        lap("replay")
        wait_for(answered or (lambda: path.answers(platforms, out.attempts) >= 1), answer_timeout)
        lap("answer")
        settled(database_url, settle)  # a second answer, if one is sent, comes by now
        lap("settle")
        out.answers = path.answers(platforms, out.attempts)
        out.effect = path.effect(database_url)
        out.notifications = path.notifications(platforms)
        out.inbox_rows = _inbox_rows(database_url)
    finally:
        again.kill()  # its work is done (settled): no need to wait for a drain
        lap("stop")
        out.exits["restarted"] = again.proc.returncode
        out.logs["restarted"] = again.log()
    out.seconds = time.monotonic() - started
    out.cpu_seconds = _cpu_seconds() - cpu
    return out


def kill_while_locked(
    kam: KamProcess, send: Callable[[], Attempt], database_url: str, table: str, out: Outcome
) -> bool:
    """Hold ``table`` locked (PostgreSQL, ACCESS EXCLUSIVE), send the message, wait until
    one of kam's connections waits for the lock — its command is inside, not committed —
    and SIGKILL kam; then let go of the lock.  Whether kam died so."""
    engine = make_engine(database_url)
    sent: list[Attempt] = []
    sender = threading.Thread(target=lambda: sent.append(send()), daemon=True)
    waiting = text(
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = CAST(:t AS regclass)"
    )
    try:
        with engine.connect() as holder:
            holder.exec_driver_sql(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            sender.start()

            def blocked() -> bool:
                with engine.connect() as conn:
                    return conn.execute(waiting, {"t": table}).scalar_one() > 0

            if wait_for(blocked, timeout=15):
                kam.proc.kill()
            holder.rollback()
    finally:
        engine.dispose()
    sender.join(timeout=15)
    out.attempts += sent
    return kam.wait_killed(timeout=10)


def _cpu_seconds() -> float:
    """CPU time of this process and of its children waited for (the kam processes)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
