"""The scheduler killed with SIGKILL at each step of a delivery, then run again.

``kam jobs run tasks`` runs as a real process, on SQLite and on a private PostgreSQL
(never the shared one), sending to a fake WeCom and a fake Slack over HTTP.  A failpoint
(``handlers.failpoints``, armed only by ``KAM_FAILPOINTS``) kills it:

    job.claimed   the key claimed (committed), nothing sent yet
    job.sent      the platform accepted the message, the ledger not yet told
    job.marked    the ``sent`` mark committed

Then it runs again without failpoints — right away (the dead process's claim is still
fresh: nobody may send it yet), and once more after the claim timeout has passed by the
database's clock (the ledger's timestamps are moved back by the timeout: a test does
not wait ten minutes).  Every due message must arrive at least once and, except in the
documented ``job.sent`` window, exactly once.  In that window the message is sent again
after the timeout: WeCom drops the copy (``enable_duplicate_check`` — the fake models
it), Slack has no such check and shows it twice.  The test asserts exactly that.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.config import Settings
from domain.models import Delivery, Team
from schedules.jobs import job_table
from schedules.registry import run
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.session import unit_of_work
from tests import factories as f
from tests.e2e.fake_slack import BOT_TOKEN, FakeSlack
from tests.e2e.fake_wecom import FakeWecom, running_fake
from tests.harness import book
from tests.ledger_time import age
from tests.ops.test_outage import PrivatePostgres, running_private_postgres

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 11, 18, 9, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
KAM = "import sys; from bot.cli import main; sys.argv[0] = 'kam'; sys.exit(main())"
# Recipients in the order the tasks job delivers to them (by key).
PEOPLE = [
    ("chaos0", "wecom", "chaos_w1"),
    ("chaos1", "slack", "U0CHS1"),
    ("chaos2", "wecom", "chaos_w2"),
    ("chaos3", "slack", "U0CHS2"),
]
# (failpoint, the message it hits: 1-based, in delivery order)
FAULTS = [
    ("job.claimed", 1),
    ("job.claimed", 2),
    ("job.sent", 1),  # a WeCom message: its copy is dropped by WeCom's duplicate check
    ("job.sent", 2),  # a Slack message: Slack has no such check
    ("job.marked", 1),
    ("job.marked", 2),
]


_databases = itertools.count()


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    yield from running_private_postgres()


@pytest.fixture(params=["sqlite", "postgres"])
def chaos_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kam.db'}"
    else:
        pg = request.getfixturevalue("private_pg")
        url = pg.create_database(f"chaos_{next(_databases)}")
    engine = make_engine(url)
    upgrade(engine)
    ids = book(engine)
    with unit_of_work(engine) as s:
        east = s.get(Team, ids["east"])
        for handle, platform, external in PEOPLE:
            user = f.user(s, handle, team=east, **{f"{platform}_id": external})
            account = f.account(s, f"Account of {handle}", owner=user, tier="B")
            f.task(s, account, f"Call {handle}", owner=user, due_at=AT - timedelta(days=1))
    engine.dispose()
    return url


@pytest.fixture
def wecom() -> Iterator[FakeWecom]:
    with running_fake() as fake:
        fake.members.update({ext: h for h, p, ext in PEOPLE if p == "wecom"})
        yield fake


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def kam_jobs_run(url: str, wecom: FakeWecom, slack: FakeSlack, cwd: Path, failpoint: str = ""):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAM_", "SLACK_", "WECOM_"))}
    env |= {
        "PYTHONPATH": str(ROOT),
        "KAM_DATABASE_URL": url,
        "WECOM_CORP_ID": wecom.corp_id,
        "WECOM_AGENT_ID": str(wecom.agent_id),
        "WECOM_SECRET": wecom.secret,
        "WECOM_API_BASE_URL": wecom.api_base_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack.api_url,
    }
    if failpoint:
        env["KAM_FAILPOINTS"] = failpoint
    return subprocess.run(
        [sys.executable, "-c", KAM, "jobs", "run", "tasks", "--now", AT.isoformat()],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def received(wecom: FakeWecom, slack: FakeSlack) -> Counter[str]:
    """Messages each person received (WeCom's dropped duplicates not counted)."""
    got: Counter[str] = Counter()
    by_address = {ext: handle for handle, _p, ext in PEOPLE}
    for body in wecom.delivered("message/send"):
        got[by_address[body["touser"]]] += 1
    for call in slack.calls("chat.postMessage", ok=True):
        got[by_address[call.body["channel"].removeprefix("D")]] += 1
    return got


def ledger_rows(url: str) -> list[Delivery]:
    engine = make_engine(url)
    try:
        with unit_of_work(engine, write=False) as s:
            return list(s.exec(select(Delivery).order_by(Delivery.recipient)).all())
    finally:
        engine.dispose()


@pytest.mark.parametrize(("failpoint", "nth"), FAULTS, ids=[f"{p}@{n}" for p, n in FAULTS])
def test_the_scheduler_killed_at_each_step_sends_every_message_once(
    failpoint, nth, chaos_url, wecom, slack, tmp_path
):
    engine = make_engine(chaos_url)
    planned = run(job_table()["tasks"], engine, Settings(), None, AT, dry_run=True, on_demand=True)
    assert [m.recipient.key for m in planned.messages] == [f"user:{h}" for h, _p, _e in PEOPLE]
    victim, victim_platform, _ = PEOPLE[nth - 1]

    killed = kam_jobs_run(chaos_url, wecom, slack, tmp_path, f"{failpoint}@{nth}")
    assert killed.returncode == -9, killed.stderr
    before = received(wecom, slack)
    reached_platform = failpoint in ("job.sent", "job.marked")
    assert before[victim] == (1 if reached_platform else 0)

    # Right away: the dead process's claim is fresh; only a `marked` one is settled.
    again = kam_jobs_run(chaos_url, wecom, slack, tmp_path)
    assert again.returncode == 0, again.stderr
    pending = [d.recipient for d in ledger_rows(chaos_url) if d.status == "pending"]
    assert pending == ([] if failpoint == "job.marked" else [f"user:{victim}"])

    # The claim timeout passes (by the database's clock): the dead claim is taken over.
    age(engine, timedelta(minutes=Settings().schedule.claim_timeout_minutes + 1))
    engine.dispose()
    for _ in range(2):  # and once more: nothing is left to send
        later = kam_jobs_run(chaos_url, wecom, slack, tmp_path)
        assert later.returncode == 0, later.stderr

    rows = ledger_rows(chaos_url)
    assert [d.status for d in rows] == ["sent"] * len(PEOPLE)
    got = received(wecom, slack)
    lost = [h for h, _p, _e in PEOPLE if got[h] == 0]
    doubled = {h: n for h, n in got.items() if n > 1}
    dropped = len(wecom.duplicates())
    print(
        f"\nCHAOS {chaos_url.split(':')[0]} {failpoint}@{nth} ({victim_platform}): "
        f"messages {len(PEOPLE)}, received {sum(got.values())}, lost {len(lost)}, "
        f"duplicates {sum(n - 1 for n in doubled.values())}, "
        f"WeCom copies dropped by its duplicate check {dropped}"
    )
    assert lost == []
    if failpoint == "job.sent" and victim_platform == "slack":
        # The documented window: Slack accepted it, the process died before the ledger
        # knew; after the timeout it goes again and Slack has no way to drop the copy.
        assert doubled == {victim: 2}
    else:
        assert doubled == {}
    assert dropped == (1 if failpoint == "job.sent" and victim_platform == "wecom" else 0)
