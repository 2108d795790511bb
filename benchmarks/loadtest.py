"""Two ``kam run`` replicas on one PostgreSQL, under signed Slack and encrypted WeCom traffic.

    .venv/bin/python -m benchmarks.loadtest                        # 500 + 500 requests, 16 clients
    .venv/bin/python -m benchmarks.loadtest --slack 40 --wecom 40  # a quick look

Everything runs on 127.0.0.1 and stops by itself:

1. the database ``kam_load`` is created on the PostgreSQL server of ``--server`` (a name
   that does not start with ``kam_load`` is refused: the run drops it at the end) and
   filled with ``kam demo``;
2. the fake Slack Web API and the fake WeCom API of the end-to-end tests (``tests/e2e``)
   start on free ports;
3. two ``kam run --no-scheduler --port 0`` replicas start as child processes on that
   database, with Slack and WeCom pointed at the fakes;
4. ``--clients`` threads send ``--slack`` slash commands, signed with the signing
   secret, and ``--wecom`` callbacks, encrypted and signed as WeCom does, each request
   to the next replica in turn (a round-robin standing in for the load balancer).  Half
   log a visit with a note no other request has (``/visit``, ``/拜访``), half read an
   account (``/account``, ``/客户``).  Every ``--redeliver-every``-th WeCom visit is
   delivered a second time, to the other replica, once the first delivery has been
   answered (WeCom delivers again what it thinks went unanswered);
5. every answer is waited for — Slack's at the fake's ``response_url``, WeCom's as the
   passive reply in the HTTP response or through ``message/send`` — and checked;
6. the interactions are counted by note: each must be there exactly once;
7. the replicas get SIGTERM (each must exit 0) and the database is dropped.

The report — errors (a non-2xx answer, an answer missing or not the success expected,
an ERROR in a replica's log, a command counted as anything but ``ok`` in ``/metrics``),
duplicate and missing interactions, latency per platform and command from the request
to its HTTP response and to its answer arriving at the fake (p50/p95/p99), throughput —
is a Markdown table, printed and written to ``benchmarks/results/loadtest.md``.  The
exit code is 1 when anything was wrong; no time is judged.

Two schedulers running by mistake are the other half of "several replicas": that is
``tests/integration/test_jobs_once.py`` (``test_two_processes_running_every_job_at_once…``):
two OS processes run every job at the same instant on one PostgreSQL, and each message
goes out once.  ``tests/ops/test_replicas.py`` runs this load test small.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import re
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import xmltodict
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from benchmarks import ROOT, clean_env, kam_command, percentile
from domain.models import Account, Interaction, User, UserIdentity
from storage.engine import make_engine, normalize_url
from tests.e2e.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, sign, slash_payload
from tests.e2e.fake_wecom import AES_KEY, TOKEN, FakeWecom, WecomPeer

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DATABASE = "kam_load"
RESULTS = ROOT / "benchmarks" / "results" / "loadtest.md"
CHANNEL = "C0EAST0001"  # the demo book's East channel: answers go to response_url
FORM = "application/x-www-form-urlencoded"
READY = re.compile(r"kam ready on (http://\S+)")
COMMANDS = {("slack", True): "/visit", ("slack", False): "/account",
            ("wecom", True): "/拜访", ("wecom", False): "/客户"}  # fmt: skip
PLATFORMS = {"slack": "Slack", "wecom": "WeCom"}


@dataclass(frozen=True)
class Plan:
    slack: int = 500
    wecom: int = 500
    clients: int = 16
    replicas: int = 2
    redeliver_every: int = 10  # every n-th WeCom visit is delivered twice; 0: never
    timeout: float = 300.0  # for the traffic and its answers, in seconds
    seed: int = 9

    def __post_init__(self) -> None:
        if self.slack < 0 or self.wecom < 0 or self.slack + self.wecom == 0:
            raise ValueError("send at least one request")
        if self.clients < 1 or self.replicas < 1 or self.timeout <= 0:
            raise ValueError("clients, replicas and timeout must be positive")


# --- the work ------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Someone on a platform and an account they own."""

    user: str  # Slack user id or WeCom userid
    account: str


@dataclass
class Job:
    """One request and what became of it."""

    index: int
    platform: str  # "slack" | "wecom"
    target: Target
    note: str | None  # a visit's note, unique to this request; None for a read
    redeliver: bool = False
    replica: int = -1
    sent_at: float = 0.0  # time.monotonic()
    response_s: float | None = None
    answer_s: float | None = None
    answer: str = ""
    passive: bool = False  # WeCom: the answer came back in the HTTP response
    problem: str | None = None

    @property
    def command(self) -> str:
        return COMMANDS[self.platform, self.note is not None]

    @property
    def text(self) -> str:
        """What the user typed after the command."""
        return f"{self.target.account} {self.note}" if self.note else self.target.account

    def check(self) -> None:
        """Judge the answer: the success this request should get, or a problem."""
        if self.problem is not None:
            return
        if self.answer_s is None:
            self.problem = "no answer arrived"
            return
        lines = self.answer.strip().splitlines()
        first = lines[0] if lines else ""
        if self.note is not None:
            logged = "Logged visit" in first or "已记录拜访" in first
            if not (logged and self.target.account in first and self.note in self.answer):
                self.problem = f"not logged: {first!r}"
        elif self.target.account not in first:
            self.problem = f"not the account screen: {first!r}"


def plan_jobs(slack: Sequence[Target], wecom: Sequence[Target], plan: Plan, run: str) -> list[Job]:
    """Visits and reads alternating over the targets, in a reproducibly shuffled order."""
    if (plan.slack and not slack) or (plan.wecom and not wecom):
        raise RuntimeError("the book has no accounts owned by Slack or WeCom users (kam demo)")
    jobs: list[Job] = []
    for name, count, targets, words in (
        ("slack", plan.slack, slack, "load test"),
        ("wecom", plan.wecom, wecom, "压测"),
    ):
        for i in range(count):
            pair, odd = divmod(i, 2)  # a visit and a read about each target in turn
            note = None if odd else f"{words} {run}-{name[0]}{i:04d}"
            every = plan.redeliver_every
            redeliver = name == "wecom" and not odd and every > 0 and pair % every == every - 1
            jobs.append(Job(len(jobs), name, targets[pair % len(targets)], note, redeliver))
    random.Random(plan.seed).shuffle(jobs)
    return jobs


def load_targets(database_url: str) -> tuple[list[Target], list[Target]]:
    """Every account with its owner's Slack and WeCom ids: one query."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(UserIdentity.platform, UserIdentity.external_id, Account.name)
                .join(User, User.id == Account.owner_id)
                .join(UserIdentity, UserIdentity.user_id == User.id)
                .where(User.active.is_(True))
                .order_by(Account.id, UserIdentity.platform)
            ).all()
    finally:
        engine.dispose()
    slack = [Target(ext, name) for platform, ext, name in rows if platform == "slack"]
    wecom = [Target(ext, name) for platform, ext, name in rows if platform == "wecom"]
    return slack, wecom


def count_notes(database_url: str, run: str) -> Counter[str]:
    """How many interactions carry each of this run's notes: one grouped query."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Interaction.notes, func.count())
                .where(Interaction.notes.contains(run))
                .group_by(Interaction.notes)
            ).all()
    finally:
        engine.dispose()
    return Counter({notes: n for notes, n in rows})


# --- the replicas --------------------------------------------------------------------


class Replica:
    """``kam run --no-scheduler --port 0`` as a child process; its stderr read on a thread."""

    def __init__(self, name: str, env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            [*kam_command(), "run", "--no-scheduler", "--host", "127.0.0.1", "--port", "0"],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = ""
        self.tail: deque[str] = deque(maxlen=200)
        self.errors: list[str] = []  # ERROR and CRITICAL lines, tracebacks
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.rstrip()
            self.tail.append(line)
            if re.search(r"\b(ERROR|CRITICAL)\b", line) or line.startswith("Traceback"):
                self.errors.append(line)
            if not self._ready.is_set() and (m := READY.search(line)):
                self.url = m.group(1)
                self._ready.set()

    def wait_ready(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = "\n".join(self.tail)
                raise RuntimeError(f"replica {self.name} did not start:\n{log}")
        return self.url

    def cpu_seconds(self) -> float | None:
        """User + system CPU time the replica has used so far (Linux ``/proc``)."""
        try:
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rpartition(")")[2].split()  # from field 3 (state) on
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, as a deploy does; SIGKILL if it is not gone after ``timeout``."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._reader.join(timeout=5)
        return self.proc.returncode


def replica_env(database_url: str, fake_slack: FakeSlack, fake_wecom: FakeWecom) -> dict[str, str]:
    env = clean_env(database_url)
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        WECOM_CORP_ID=fake_wecom.corp_id,
        WECOM_AGENT_ID=str(fake_wecom.agent_id),
        WECOM_SECRET=fake_wecom.secret,
        WECOM_TOKEN=TOKEN,
        WECOM_ENCODING_AES_KEY=AES_KEY,
        WECOM_API_BASE_URL=fake_wecom.api_base_url,
        KAM_DRAIN_SECONDS="10",
    )
    return env


class TimedWecom(FakeWecom):
    """The fake WeCom API, noting when each delivered ``message/send`` arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.sends: list[tuple[float, str, str]] = []  # (monotonic, touser, content)

    def answer(self, method: str, path: str, query: dict[str, str], body: Any) -> dict[str, Any]:
        answer = super().answer(method, path, query, body)
        if path == "message/send" and answer.get("errcode") == 0 and not answer.get("invaliduser"):
            content = (body.get(body.get("msgtype", "")) or {}).get("content", "")
            with self._lock:
                self.sends.append((time.monotonic(), str(body.get("touser")), content))
        return answer

    def sent(self) -> list[tuple[float, str, str]]:
        with self._lock:
            return list(self.sends)


# --- the platforms' side -------------------------------------------------------------


class Traffic:
    """Slack and WeCom calling kam: each request signed (and encrypted), sent to the next
    replica in turn, on a kept-alive connection of the sending thread."""

    def __init__(self, urls: Sequence[str], fake_slack: FakeSlack, run: str) -> None:
        self.urls = list(urls)
        self.fake_slack = fake_slack
        self.peers = [WecomPeer(url) for url in self.urls]
        self.run = run
        self.redelivered: list[str | None] = []  # a problem, or None when all was well
        self._turns = itertools.count()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._msg_ids = 7_500_000_000_000_000_000 + secrets.randbelow(10**12) * 10**5

    def close(self) -> None:
        for client in self._clients:
            client.close()

    @property
    def client(self) -> httpx.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = httpx.Client(timeout=15.0, trust_env=False)
            with self._lock:
                self._clients.append(client)
        return client

    def send(self, job: Job, deadline: float) -> None:
        if time.monotonic() > deadline:
            job.problem = "not sent: out of time"
            return
        with self._lock:  # the load balancer
            job.replica = next(self._turns) % len(self.urls)
        try:
            if job.platform == "slack":
                self._slash(job)
            else:
                self._callback(job)
        except httpx.HTTPError as exc:
            job.problem = f"{type(exc).__name__}: {exc}"

    def _slash(self, job: Job) -> None:
        body = urlencode(
            slash_payload(
                job.command,
                job.text,
                user=job.target.user,
                channel=CHANNEL,
                response_url=self.fake_slack.response_url(f"lt{job.index}"),
                trigger_id=f"{job.index}.{self.run}.trigger",
            )
        )
        ts = str(int(time.time()))
        headers = {
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sign(SIGNING_SECRET, ts, body),
        }
        job.sent_at = time.monotonic()
        response = self.client.post(
            f"{self.urls[job.replica]}/slack/events", content=body.encode(), headers=headers
        )
        job.response_s = time.monotonic() - job.sent_at
        if response.status_code != 200:
            job.problem = f"HTTP {response.status_code}: {response.text[:200]}"

    def _callback(self, job: Job) -> None:
        peer = self.peers[job.replica]
        message = f"{job.command} {job.text}"
        xml = peer.text(job.target.user, message, msg_id=self._msg_ids + job.index)
        job.sent_at = time.monotonic()
        response = self._post(peer, xml, nonce=f"{self.run}{job.index}")
        job.response_s = time.monotonic() - job.sent_at
        if response.status_code != 200:
            job.problem = f"HTTP {response.status_code}: {response.text[:200]}"
            return
        if response.content:
            job.passive = True
            job.answer = peer.open_reply(response).get("Content") or ""
            job.answer_s = job.response_s
        if job.redeliver:  # WeCom delivers it again; the load balancer picks the other one
            other = self.peers[(job.replica + 1) % len(self.peers)]
            again = self._post(other, xml, nonce=f"{self.run}{job.index}r")
            ok = again.status_code == 200 and not again.content
            status = f"HTTP {again.status_code} {again.content[:80]!r}"
            self.redelivered.append(None if ok else f"redelivery of #{job.index}: {status}")

    def _post(self, peer: WecomPeer, plain_xml: str, *, nonce: str) -> httpx.Response:
        """What ``WecomPeer.post`` sends, on this thread's connection."""
        ts = str(int(time.time()))
        envelope = xmltodict.parse(peer.crypto.encrypt_message(plain_xml, nonce, ts))["xml"]
        body = (
            "<xml>"
            f"<ToUserName><![CDATA[{peer.corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt>"
            f"<AgentID><![CDATA[{peer.agent_id}]]></AgentID>"
            "</xml>"
        )
        params = {"msg_signature": envelope["MsgSignature"], "timestamp": ts, "nonce": nonce}
        return self.client.post(peer.url, params=params, content=body.encode())


def collect_answers(jobs: Sequence[Job], fake_slack: FakeSlack, fake_wecom: TimedWecom,
                    run: str, deadline: float) -> None:  # fmt: skip
    """Wait (until ``deadline``) for the answers still on their way, and note them.

    Slack's come to a ``response_url`` of their own.  WeCom's that missed the passive
    reply come through ``message/send``: a visit's is known by its note, a read's by its
    user and account, in the order they were asked.
    """
    slack = {f"/response/lt{j.index}": j for j in jobs if j.platform == "slack" and not j.problem}
    active = sorted(
        (j for j in jobs if j.platform == "wecom" and not j.problem and not j.passive),
        key=lambda j: j.sent_at,
    )
    taken: set[int] = set()
    while True:
        for call in fake_slack.calls("response_url"):
            job = slack.get(call.path)
            if job is not None and job.answer_s is None:  # the first message of the answer
                job.answer_s = call.at - job.sent_at
                job.answer = call.block_text()
        sends = fake_wecom.sent()
        for job in active:
            if job.answer_s is not None:
                continue
            for n, (at, touser, content) in enumerate(sends):
                if n in taken or touser != job.target.user or at < job.sent_at:
                    continue
                if (
                    (job.note in content)
                    if job.note
                    else (job.target.account in content and run not in content)
                ):
                    taken.add(n)
                    job.answer_s, job.answer = at - job.sent_at, content
                    break
        if all(j.answer_s is not None for j in (*slack.values(), *active)):
            return
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)


def command_outcomes(url: str) -> Counter[str]:
    """``kam_commands_total`` of one replica, summed by outcome (from ``/metrics``)."""
    response = httpx.get(f"{url}/metrics", timeout=15, trust_env=False)
    response.raise_for_status()
    outcomes: Counter[str] = Counter()
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "kam_commands_total":
                outcomes[sample.labels["outcome"]] += int(sample.value)
    return outcomes


# --- the result ----------------------------------------------------------------------


@dataclass
class LoadResult:
    plan: Plan
    jobs: list[Job]
    notes: Counter[str]  # this run's notes found in the database, with their count
    traffic_s: float  # first request sent → last HTTP response
    answers_s: float  # first request sent → last answer arrived
    redelivered: list[str | None] = field(default_factory=list)
    outcomes: list[Counter[str]] = field(default_factory=list)  # per replica
    log_errors: list[list[str]] = field(default_factory=list)  # per replica
    exit_codes: list[int | None] = field(default_factory=list)  # per replica
    replica_cpu_s: list[float | None] = field(default_factory=list)  # during the traffic
    client_cpu_s: float = 0.0  # this process (clients and fakes) during the traffic
    postgres: str = ""

    @property
    def expected_notes(self) -> list[str]:
        return [j.note for j in self.jobs if j.note is not None]

    @property
    def duplicates(self) -> dict[str, int]:
        return {note: n for note, n in self.notes.items() if n > 1}

    @property
    def missing(self) -> list[str]:
        return [note for note in self.expected_notes if self.notes[note] == 0]

    @property
    def problems(self) -> list[str]:
        """Everything that went wrong, one line each (empty: a clean run)."""
        out = [f"#{j.index} {j.platform} {j.command}: {j.problem}" for j in self.jobs if j.problem]
        out += [p for p in self.redelivered if p]
        out += [f"interaction {note!r} written {n} times" for note, n in self.duplicates.items()]
        out += [f"interaction {note!r} not written" for note in self.missing]
        unexpected = set(self.notes) - set(self.expected_notes)
        out += [f"interaction {note!r} was never sent" for note in sorted(unexpected)]
        for i, outcomes in enumerate(self.outcomes, 1):
            out += [f"replica {i}: {n} command(s) ended {outcome!r}"
                    for outcome, n in sorted(outcomes.items()) if outcome != "ok" and n]  # fmt: skip
        for i, lines in enumerate(self.log_errors, 1):
            out += [f"replica {i} logged: {line}" for line in lines]
        for i, code in enumerate(self.exit_codes, 1):
            if code != 0:
                out.append(f"replica {i} exited with {code} after SIGTERM")
        return out

    @property
    def ok(self) -> bool:
        return not self.problems

    def rows(self) -> Iterator[tuple[str, list[Job]]]:
        for name, label in PLATFORMS.items():
            mine = [j for j in self.jobs if j.platform == name]
            if not mine:
                continue
            for command in dict.fromkeys(j.command for j in mine):
                yield f"{label} `{command}`", [j for j in mine if j.command == command]
            yield f"**{label}**", mine
        yield "**all**", self.jobs

    def markdown(self, command: str) -> str:
        plan = self.plan
        visits = len(self.expected_notes)
        requests = len(self.jobs)
        head = (
            f"Two `kam run --no-scheduler` replicas on one PostgreSQL ({self.postgres}), "
            f"{plan.slack} signed Slack slash commands + {plan.wecom} encrypted WeCom "
            f"callbacks from {plan.clients} concurrent clients, round-robin over the replicas; "
            "half log a visit with a unique note, half read an account."
        )
        lines = [
            "## Load test: two replicas, Slack and WeCom",
            "",
            head,
            "",
            "| requests | n | errors | HTTP response p50 / p95 / p99 | answer p50 / p95 / p99 |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, jobs in self.rows():
            errors = sum(1 for j in jobs if j.problem)
            lines.append(
                f"| {label} | {len(jobs)} | {errors} | "
                f"{_quantiles([j.response_s for j in jobs])} | "
                f"{_quantiles([j.answer_s for j in jobs])} |"
            )
        passive = sum(1 for j in self.jobs if j.platform == "wecom" and j.passive)
        wecom = sum(1 for j in self.jobs if j.platform == "wecom")
        per_replica = Counter((j.replica, j.platform) for j in self.jobs)
        served = "; ".join(
            f"replica {r + 1}: {per_replica[r, 'slack']} Slack + {per_replica[r, 'wecom']} WeCom"
            for r in range(plan.replicas)
        )
        ok_counts = " + ".join(str(o["ok"]) for o in self.outcomes)
        redelivered = len(self.redelivered)
        lines += [
            "",
            "Times in milliseconds.  *HTTP response*: request sent → kam's HTTP answer (Slack: "
            "the ack; WeCom: the passive reply, or the empty 200 when the answer will come "
            "by `message/send`).  *Answer*: request sent → the answer at the fake platform "
            "(Slack: its first message at `response_url`; WeCom: the passive reply, else "
            "the `message/send` call).",
            "",
            f"- **Errors: {len(self.problems)}.**  Interactions: {visits} visits sent, "
            f"{sum(self.notes.values())} rows with their notes — {len(self.duplicates)} "
            f"duplicated, {len(self.missing)} missing.",
            f"- WeCom redeliveries of a visit to the other replica: {redelivered}, "
            f"{redelivered - sum(1 for p in self.redelivered if p)} acknowledged with an "
            "empty 200 and no effect.  WeCom answers: "
            f"{passive} of {wecom} passive, {wecom - passive} by `message/send`.",
            f"- Throughput: {requests} requests in {self.traffic_s:.1f} s = "
            f"{requests / self.traffic_s:.1f} requests/s; the last answer arrived "
            f"{self.answers_s:.1f} s after the first request.",
            f'- Replicas: {served}; `kam_commands_total{{outcome="ok"}}` {ok_counts}; '
            f"exit codes after SIGTERM: {', '.join(str(c) for c in self.exit_codes)}.",
            f"- CPU while the traffic ran: {self.cpu_line()}.",
            f"- Machine: {_machine()}.",
            f"- Command: `{command}`",
        ]
        if self.problems:
            lines += ["", "Problems (the first 20):", ""]
            lines += [f"- {p}" for p in self.problems[:20]]
        return "\n".join(lines) + "\n"

    def cpu_line(self) -> str:
        replicas = " + ".join("?" if s is None else f"{s:.1f}" for s in self.replica_cpu_s)
        return (
            f"the replicas {replicas} s, the clients with the fake platforms "
            f"{self.client_cpu_s:.1f} s, of {os.cpu_count()} CPUs × {self.answers_s:.1f} s "
            "(PostgreSQL's share is not counted)"
        )


def _quantiles(values: Sequence[float | None]) -> str:
    ms = sorted(v * 1000 for v in values if v is not None)
    if not ms:
        return "–"
    return " / ".join(f"{percentile(ms, q):.0f}" for q in (50, 95, 99))


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.system()} {platform.release()} {cpu}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {datetime.now().date().isoformat()}"
    )


# --- the run -------------------------------------------------------------------------


def run_load(database_url: str, plan: Plan) -> LoadResult:
    """Fill the (migrated or empty) database with the demo book, start the fakes and the
    replicas, send the traffic, and count.  Stops every process it started."""
    run = secrets.token_hex(3)
    with tempfile.TemporaryDirectory(prefix="kam-load-") as workdir, ExitStack() as stack:
        cwd = Path(workdir)  # no kam.toml of the checkout's is read
        demo = subprocess.run(
            [*kam_command(), "demo"],
            env=clean_env(database_url),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if demo.returncode != 0:
            raise RuntimeError(f"kam demo failed:\n{demo.stdout}\n{demo.stderr}")
        slack_targets, wecom_targets = load_targets(database_url)
        jobs = plan_jobs(slack_targets, wecom_targets, plan, run)

        fake_slack = stack.enter_context(FakeSlack())
        fake_wecom = TimedWecom().start()
        stack.callback(fake_wecom.stop)
        fake_wecom.members.update({t.user: t.user for t in wecom_targets})

        env = replica_env(database_url, fake_slack, fake_wecom)
        replicas: list[Replica] = []
        stack.callback(lambda: [r.stop() for r in replicas])  # whatever happens below
        for i in range(plan.replicas):
            replicas.append(Replica(str(i + 1), env, cwd))
        urls = [r.wait_ready(timeout=60) for r in replicas]

        traffic = Traffic(urls, fake_slack, run)
        stack.callback(traffic.close)
        cpu_before = [r.cpu_seconds() for r in replicas], time.process_time()
        started = time.monotonic()
        deadline = started + plan.timeout
        with ThreadPoolExecutor(plan.clients, thread_name_prefix="client") as pool:
            for _ in pool.map(lambda job: traffic.send(job, deadline), jobs):
                pass
        traffic_s = time.monotonic() - started
        collect_answers(jobs, fake_slack, fake_wecom, run, deadline)
        client_cpu_s = time.process_time() - cpu_before[1]
        replica_cpu_s = [
            None if before is None or (now := r.cpu_seconds()) is None else now - before
            for r, before in zip(replicas, cpu_before[0], strict=True)
        ]
        for job in jobs:
            job.check()
        arrived = [j.sent_at + j.answer_s for j in jobs if j.answer_s is not None]
        outcomes = [command_outcomes(url) for url in urls]
        notes = count_notes(database_url, run)
        exit_codes: list[int | None] = [r.stop() for r in replicas]
        return LoadResult(
            plan=plan,
            jobs=jobs,
            notes=notes,
            traffic_s=traffic_s,
            answers_s=(max(arrived) - started) if arrived else traffic_s,
            redelivered=traffic.redelivered,
            outcomes=outcomes,
            log_errors=[r.errors for r in replicas],
            exit_codes=exit_codes,
            replica_cpu_s=replica_cpu_s,
            client_cpu_s=client_cpu_s,
            postgres=_postgres_version(database_url),
        )


def _postgres_version(database_url: str) -> str:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
    finally:
        engine.dispose()
    return f"PostgreSQL {str(version).split()[0]}"


@contextmanager
def load_database(server: str, name: str, *, keep: bool = False) -> Iterator[str]:
    """A database of the load test's own on ``server``: created afresh, dropped after."""
    if not name.startswith(DATABASE):
        raise SystemExit(
            f"refusing to use database {name!r}: the load test drops and re-creates its "
            f"database, so its name must start with {DATABASE}"
        )
    admin_url = make_url(normalize_url(server))
    if admin_url.get_backend_name() != "postgresql":
        raise SystemExit("the load test runs two replicas on one PostgreSQL server")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=1)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server (any database)")
    parser.add_argument("--database", default=DATABASE, help="created and dropped: kam_load…")
    parser.add_argument("--slack", type=int, default=Plan.slack, help="slash commands")
    parser.add_argument("--wecom", type=int, default=Plan.wecom, help="WeCom callbacks")
    parser.add_argument("--clients", type=int, default=Plan.clients, help="concurrent clients")
    parser.add_argument("--redeliver-every", type=int, default=Plan.redeliver_every)
    parser.add_argument("--timeout", type=float, default=Plan.timeout, help="seconds")
    parser.add_argument("--seed", type=int, default=Plan.seed)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the Markdown report")
    args = parser.parse_args(argv)
    plan = Plan(
        slack=args.slack,
        wecom=args.wecom,
        clients=args.clients,
        redeliver_every=args.redeliver_every,
        timeout=args.timeout,
        seed=args.seed,
    )
    with load_database(args.server, args.database, keep=args.keep) as url:
        result = run_load(url, plan)
    given = list(argv if argv is not None else sys.argv[1:])
    report = result.markdown(shlex.join([".venv/bin/python", "-m", "benchmarks.loadtest", *given]))
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(f"written to {args.out}", file=sys.stderr)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
