"""A deploy: SIGTERM to ``kam run`` while a command is in flight.

The real ``kam run --no-scheduler --port 0`` runs as a subprocess on a SQLite file with
Slack pointed at a fake.  A signed slash command arrives while another connection
holds the database's write lock, so the command is still waiting when SIGTERM comes.
kam must stop accepting connections at once, finish that command (commit it and send
its answer to Slack) once the lock is gone, and exit 0.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from domain.models import Interaction
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.session import unit_of_work
from tests.e2e.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, SlackCaller
from tests.harness import book

READY = re.compile(r"kam ready on (http://\S+)")


class KamProcess:
    """``kam run`` as a child process, its stderr collected on a thread."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        kam = os.path.join(os.path.dirname(sys.executable), "kam")
        self.proc = subprocess.Popen(
            [kam, *args],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.url = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip())
            if m := READY.search(line):
                self.url = m.group(1)
                self._ready.set()

    def wait_ready(self, timeout: float = 30.0) -> str:
        if not self._ready.wait(timeout):
            raise AssertionError("kam run never became ready:\n" + self.log())
        return self.url

    def log(self) -> str:
        return "\n".join(self.lines)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def sqlite_file(tmp_path) -> Path:
    path = tmp_path / "kam.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    book(engine)
    engine.dispose()
    return path


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def kam_run(sqlite_file, fake_slack, tmp_path) -> Iterator[KamProcess]:
    env = {
        **os.environ,
        "KAM_DATABASE_URL": f"sqlite:///{sqlite_file}",
        "KAM_DRAIN_SECONDS": "10",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
    }
    for name in ("KAM_CONFIG", "SLACK_APP_TOKEN", "WECOM_CORP_ID", "WECOM_TOKEN"):
        env.pop(name, None)
    process = KamProcess(["run", "--no-scheduler", "--port", "0"], env, tmp_path)
    yield process
    process.kill()


def test_sigterm_finishes_the_command_in_flight_and_exits_0(kam_run, sqlite_file, fake_slack):
    url = kam_run.wait_ready()
    assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200

    holder = sqlite3.connect(sqlite_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a long write elsewhere: kam's command must wait
    answers: list[httpx.Response] = []
    slash = threading.Thread(
        target=lambda: answers.append(
            SlackCaller(url).slash(
                "/kam",
                "visit Acme met Li Wei just before the deploy",
                user="U0ALICE",
                response_url=fake_slack.response_url("deploy"),
            )
        )
    )
    slash.start()
    try:
        deadline = time.monotonic() + 5
        while not answers and time.monotonic() < deadline:
            time.sleep(0.02)
        assert answers, "Slack's request was not acknowledged"
        time.sleep(0.3)  # the command is in flight, waiting for the lock
        kam_run.proc.send_signal(signal.SIGTERM)
        time.sleep(0.7)
        assert kam_run.proc.poll() is None, "kam quit with a command in flight"
        with pytest.raises(httpx.ConnectError):  # no new work is accepted
            httpx.get(f"{url}/healthz", timeout=2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert kam_run.proc.wait(timeout=30) == 0, kam_run.log()
    slash.join(timeout=10)
    assert answers and answers[0].status_code == 200  # Slack got its acknowledgement
    engine = make_engine(f"sqlite:///{sqlite_file}")
    try:
        with unit_of_work(engine, write=False) as s:
            saved = s.exec(select(Interaction.notes)).all()
    finally:
        engine.dispose()
    assert saved == ["met Li Wei just before the deploy"]
    posted = fake_slack.calls("response_url")
    assert posted, kam_run.log()
    assert "Logged" in str(posted[-1].body), posted[-1].body


def test_sigterm_with_nothing_in_flight_exits_0_at_once(kam_run):
    url = kam_run.wait_ready()
    assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    started = time.monotonic()
    kam_run.proc.send_signal(signal.SIGTERM)
    assert kam_run.proc.wait(timeout=15) == 0, kam_run.log()
    assert time.monotonic() - started < 5
