"""Two ``kam run --no-scheduler`` replicas on one PostgreSQL, Slack and WeCom at once.

The load test of ``benchmarks/loadtest.py``, small: 40 signed Slack slash commands and
40 encrypted WeCom callbacks from 8 concurrent clients, round-robin over two real
replica processes on the test's own database; some WeCom visits are delivered twice,
the second time to the other replica.  Every request gets its answer, every visit is
written exactly once, and both replicas shut down cleanly on SIGTERM.
"""

from __future__ import annotations

import pytest

from benchmarks.loadtest import Job, Plan, Target, TimedWecom, collect_answers, run_load
from tests.conftest import PG_URL
from tests.e2e.fake_slack import FakeSlack


@pytest.mark.postgres_only
@pytest.mark.skipif(not PG_URL, reason="needs KAM_TEST_DATABASE_URL (PostgreSQL)")
def test_two_replicas_answer_every_request_and_write_every_visit_once(database_url):
    plan = Plan(slack=40, wecom=40, clients=8, redeliver_every=4, timeout=60)
    result = run_load(database_url, plan)

    assert result.problems == []
    visits = result.expected_notes
    assert len(visits) == 40 and len(set(visits)) == 40
    assert result.notes == dict.fromkeys(visits, 1)  # no duplicate, none missing
    assert all(job.answer_s is not None for job in result.jobs)
    served = {(job.replica, job.platform) for job in result.jobs}
    assert served == {(0, "slack"), (1, "slack"), (0, "wecom"), (1, "wecom")}
    assert len(result.redelivered) == 5  # taken in once, on whichever replica came first
    assert [outcomes["ok"] for outcomes in result.outcomes] == [40, 40]
    assert result.exit_codes == [0, 0]


def test_answers_sent_later_through_message_send_are_matched_to_their_requests():
    """WeCom answers that missed the passive reply: a visit's is known by its note, a
    read's by its user and account, in the order they were asked."""
    wang = Target("wanglei", "华夏重工")
    visit = Job(0, "wecom", wang, note="压测 ab12-w0000", sent_at=10.0)
    first_read = Job(1, "wecom", wang, note=None, sent_at=10.5)
    second_read = Job(2, "wecom", wang, note=None, sent_at=11.0)
    unanswered = Job(3, "slack", Target("U0ALICE001", "Acme"), note=None, sent_at=10.0)
    fake = TimedWecom().start()
    fake.sends += [
        (11.25, "wanglei", "华夏重工 (华夏)\n  等级  A 战略"),
        (11.5, "wanglei", "✓ 已记录拜访：华夏重工\n  内容  压测 ab12-w0000"),
        (12.0, "bob", "华夏重工 (华夏)"),  # someone else's
        (12.5, "wanglei", "华夏重工 (华夏)\n  等级  A 战略"),
    ]
    try:
        with FakeSlack() as fake_slack:
            jobs = [visit, first_read, second_read, unanswered]
            collect_answers(jobs, fake_slack, fake, "ab12", deadline=0.0)
    finally:
        fake.stop()
    for job in jobs:
        job.check()

    assert (visit.answer_s, visit.problem) == (1.5, None)
    assert (first_read.answer_s, first_read.problem) == (0.75, None)
    assert (second_read.answer_s, second_read.problem) == (1.5, None)
    assert unanswered.problem == "no answer arrived"
