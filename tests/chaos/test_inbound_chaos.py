"""Kill ``kam run`` at every step of every inbound path; restart; replay; count.

For each inbound path — Slack slash command (one that tells someone else on WeCom, too),
Slack event (a DM), Slack interaction (a question's button; the visit form's
submission), WeCom message, WeCom event (a question card's button; subscribe) — and
each named failpoint of ``handlers.failpoints``:

    inbound.received    the message is taken in (its inbox row committed), nothing ran
    command.inside      inside the command's transaction, before the commit
    command.committed   the command committed, the answer not yet sent
    reply.sent          the answer sent, not yet marked as sent

(A message whose command writes nothing — WeCom's subscribe, answered with the help —
has no command transaction: it passes ``inbound.received`` and ``reply.sent`` only.)

kam is SIGKILLed there (``KAM_FAILPOINTS``, set only in the child's environment),
started again, and sent what the platform would send again (Slack: an event's retries,
never a slash command or an interaction; WeCom: the byte-identical callback while
unanswered).  Then the message must have taken effect exactly once, whoever the command
tells must have been told once, and the person must have an answer: exactly one —
except after a kill at ``reply.sent``, where the answer went out but was not marked,
and kam may send it again (at most twice).  Every resend is acknowledged (200, never
WeCom's old 403 "nonce already used"), and the message leaves one row in the inbox.

On PostgreSQL the same is checked with no failpoint at all: kam is killed while its
command waits for a lock the test holds on the table it writes (issue 15's own
reproduction).  And a message that kills every process running it is given up after
three runs, its author told once.

The figures of every run are printed in a table at the end (``tests/chaos/tally.py``).
How one run goes: ``tests/chaos/harness.py``; the paths: ``tests/chaos/paths.py``.
"""

from __future__ import annotations

import pytest

from tests.chaos.harness import LOCK_WAIT, ON_POSTGRES, Outcome, play, slack_messages
from tests.chaos.paths import cases, new_path, writers
from tests.chaos.tally import record

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("path", "step"), cases())
def test_killed_mid_message_then_restarted_it_takes_effect_once_and_answers(
    path, step, chaos_database, platforms, workdir, request
):
    outcome = play(
        new_path(path),
        step,
        database=chaos_database.label,
        database_url=chaos_database.url,
        platforms=platforms,
        workdir=workdir,
    )
    record(request.node, {"suite": "inbound", **outcome.row()})
    judge(outcome)


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="a lock on one table: PostgreSQL's (SQLite locks all)")
@pytest.mark.parametrize("path", writers())
def test_killed_while_its_command_waits_for_a_lock_the_message_is_not_lost(
    path, chaos_database, platforms, workdir, request
):
    """Issue 15's reproduction, no failpoint needed: the table the command writes is
    held locked, kam is SIGKILLed while the command waits for it, the lock goes, kam
    restarts and the platform resends.  Before the inbox the message was lost (WeCom's
    identical retry: 403 "nonce already used"; a Slack retry or slash: nothing)."""
    outcome = play(
        new_path(path),
        LOCK_WAIT,
        database=chaos_database.label,
        database_url=chaos_database.url,
        platforms=platforms,
        workdir=workdir,
    )
    record(request.node, {"suite": "inbound, lock", **outcome.row()})
    judge(outcome)


def test_a_message_that_kills_every_run_is_given_up_after_three_and_its_author_told(
    chaos_database, platforms, workdir
):
    """Killed inside the command three times — the first process, then two restarts
    whose sweeper took it up — the message is not run a fourth time: its author is told
    once that nothing was saved, and nothing was."""
    path = new_path("slack-slash")
    told = "kam could not finish this message"

    def apologies() -> int:
        return sum(told in m for m in slack_messages(platforms.slack))

    outcome = play(
        path,
        "command.inside",
        database=chaos_database.label,
        database_url=chaos_database.url,
        platforms=platforms,
        workdir=workdir,
        kills=3,
        answered=lambda: apologies() >= 1,
    )
    evidence = outcome.evidence()
    print(evidence)
    assert outcome.fault_injected, f"kam was not killed three times\n{evidence}"
    assert outcome.effect == 0, evidence
    assert apologies() == 1, evidence
    assert outcome.answers == 0, evidence  # no "Logged visit"
    assert outcome.inbox_rows == 1, evidence


def judge(outcome: Outcome) -> None:
    """Killed where meant; then once in effect, answered (twice at most after a kill at
    reply.sent), every resend acknowledged, others told once, one inbox row."""
    evidence = outcome.evidence()
    print(evidence)  # shown with -rP, and for a failure
    step = outcome.step

    assert outcome.fault_injected, f"kam was not killed at {step}\n{evidence}"
    assert outcome.replays_acked, f"a resend was refused\n{evidence}"
    if outcome.effect is not None:
        assert outcome.effect == 1, f"took effect {outcome.effect} times\n{evidence}"
    if outcome.notifications is not None:
        assert outcome.notifications == 1, f"{outcome.notifications} notified\n{evidence}"
    if step == "reply.sent":  # answered, then killed before it was marked: maybe twice
        assert 1 <= outcome.answers <= 2, f"{outcome.answers} answers\n{evidence}"
    else:
        assert outcome.answers == 1, f"{outcome.answers} answers\n{evidence}"
    assert outcome.inbox_rows in (None, 1), f"{outcome.inbox_rows} inbox rows\n{evidence}"
