"""``kam jobs …`` on the demo book, through the real console script."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

KAM = Path(sys.executable).with_name("kam")

PLAUSIBLE = {
    "lapse": ["of your accounts need", "/visit ", "个客户需要跟进"],
    "birthdays": ["Birthdays and anniversaries", "Today: ", "Tip: "],
    "tasks": ["Next steps: ", "overdue", "/done "],
    "reminders": ["Reminder: Acme", "renewal check", "every month"],
    "goals": ["Goal progress · week", "Your goals", "East — team", "expected"],
    "digest": ["Risk digest · East", "风险日报 · 华东", "Accounts with risks: ", "/risks East all"],
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A demo book in a SQLite file, with one reminder set through chat."""
    home = tmp_path_factory.mktemp("kam-demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAM_", "SLACK_", "WECOM_"))}
    env["KAM_DATABASE_URL"] = f"sqlite:///{home / 'kam.db'}"

    def kam(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(KAM), *args], cwd=home, env=env, capture_output=True, text=True, timeout=120
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    kam("demo")
    kam("say", "--as", "alice", "/remind Acme renewal check monthly")
    kam.env = env  # type: ignore[attr-defined]
    return kam


def nine_today() -> str:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the demo book's "today"
    return f"{today.isoformat()}T09:05"


@pytest.mark.slow
@pytest.mark.parametrize("job", list(PLAUSIBLE))
def test_a_dry_run_prints_a_plausible_message_for_every_job(demo, job):
    done = demo("jobs", "run", job, "--now", nine_today(), "--dry-run")
    for expected in PLAUSIBLE[job]:
        assert expected in done.stdout, f"{job}: {expected!r} not in\n{done.stdout}"
    assert done.stdout.count("── to ") >= 1
    assert "would be sent" in done.stderr


@pytest.mark.slow
def test_a_real_run_sends_once_and_status_shows_it(demo):
    first = demo("jobs", "run", "digest", "--now", nine_today(), check=False)
    assert "── to team:East (slack:C0EAST0001) ──" in first.stdout
    # Slack is not configured here: the console stands in.  WeCom may refuse for want of
    # credentials: that is a failed delivery, reported, with exit status 1.
    failed = [line for line in first.stderr.splitlines() if line.startswith("failed: ")]
    assert first.returncode == (1 if failed else 0), first.stderr
    assert all("team:华东:wecom:channel" in line for line in failed)
    again = demo("jobs", "run", "digest", "--now", nine_today())
    assert again.stdout == ""
    assert "digest: nothing to send" in again.stderr
    status = demo("jobs", "status")
    # no scheduler ran on this book: said first, then each job "never run by a scheduler"
    assert "Scheduler: no scheduler has ever run on this database" in status.stdout
    assert "  lapse        never run by a scheduler" in status.stdout
    assert f"digest       sent {3 - len(failed):>5}  pending   0  failed {len(failed):>3}" in (
        status.stdout
    )
    if failed:
        assert "digest/team:华东:wecom:channel/risks/" in status.stdout
    else:
        assert "No failed or stuck deliveries." in status.stdout


@pytest.mark.slow
def test_list_and_bad_input(demo):
    listing = demo("jobs", "list").stdout
    for job in PLAUSIBLE:
        assert job in listing
    assert "working days 09:00" in listing and "every 15 minutes" in listing
    unknown = demo("jobs", "run", "nope", check=False)
    assert unknown.returncode == 2 and "no job 'nope'" in unknown.stderr
    bad_time = demo("jobs", "run", "lapse", "--now", "tomorrow", check=False)
    assert bad_time.returncode == 2 and "not an ISO date" in bad_time.stderr


@pytest.mark.slow
def test_kam_scheduler_ticks_at_start_serves_metrics_and_stops_on_sigterm(demo, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [str(KAM), "scheduler", "--metrics-port", str(port)],
        cwd=tmp_path,
        env=demo.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body, deadline = "", time.monotonic() + 60
        while 'kam_job_runs_total{job="digest",outcome="ok"}' not in body:
            assert time.monotonic() < deadline, body
            time.sleep(0.5)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    body = r.read().decode()
            except OSError:
                continue
        assert 'kam_ledger_backlog{status="pending"}' in body
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "kam scheduler: stopped" in err
