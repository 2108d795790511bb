"""The daily risk digest: team chats get their team's risks, managers privately what
only they may see (weekdays at ``digest_time``).

Each digest leads with what changed since the team's last one: when a team's digest is
sent (its chat's, or its manager's when the team has no chat), a compact snapshot of it
is stored for that team and day (``storage.digest.save_snapshot``, with the ledger's
``sent`` mark), and the next day's digest compares against it.  A second chat of the
team, or a run again the same day, writes the same row again: the snapshot of a day is
whatever that day's digest said, and tomorrow compares with the last day before it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlmodel import Session

from handlers.digest import TeamRisks, digest_reply, gather_risks, private_title
from handlers.notify import Recipient, team_recipients
from schedules.delivery import Outbound
from schedules.plan import Plan
from schedules.registry import JobSpec
from schedules.timing import Slot
from storage.digest import save_snapshot
from storage.ledger import DeliveryKey


def _keep(digest: TeamRisks, day: date) -> Callable[[Session, datetime], None]:
    """Store what the digest said, once it is sent."""
    team_id, payload = digest.team.id, digest.snapshot()

    def after_sent(session: Session, at: datetime) -> None:
        save_snapshot(session, team_id, day, sent_at=at, **payload)

    return after_sent


def build(plan: Plan) -> list[Outbound]:
    people, settings = plan.people, plan.settings
    cfg = settings.schedule
    chats: list[tuple[DeliveryKey, Recipient, int]] = []
    team_days: dict[int, date] = {}
    for team in people.teams.values():
        team_day = plan.due(settings.tz, team.name)  # the team's own working days
        if team_day is None:
            continue
        team_days[team.id] = team_day
        for recipient in team_recipients(team, settings.language):
            chats.append((plan.key(recipient, "risks", team_day), recipient, team.id))
    managers = {u: d for u, d in plan.due_users().items() if people.managed_teams(u)}
    private = plan.user_keys("private", managers)
    still_open = plan.open(k for k, _r, _t in chats)
    chats = [c for c in chats if c[0] in still_open]
    if not chats and not private:
        return []
    wanted = {t for _k, _r, t in chats}
    for manager_id in private:
        wanted |= set(people.managed_teams(manager_id))
    digests = {
        t.team.id: t
        for t in gather_risks(plan.session, settings=settings, now=plan.now, team_ids=wanted)
    }
    has_chat = {t.id for t in people.teams.values() if team_recipients(t)}
    out = []
    for key, recipient, team_id in chats:
        digest = digests[team_id]
        if digest.is_empty(private=False) and not cfg.send_empty_digest:
            continue
        reply = digest_reply(
            [digest],
            lang=recipient.lang,
            today=team_days[team_id],
            settings=settings,
            private_teams=(),
        )
        out.append(Outbound(key, recipient, reply, _keep(digest, team_days[team_id])))
    for manager_id, (key, recipient) in private.items():
        teams = []
        today = plan.due_for(people.users[manager_id])
        for team_id in people.managed_teams(manager_id):
            digest = digests[team_id]
            if team_id in has_chat:  # the chat has the rest: only what it may not see
                digest = TeamRisks(digest.team, member_goals=digest.member_goals)
            teams.append(digest)
        shown = [t for t in teams if not t.is_empty(private=True)]
        if not shown:
            without_chat = [t for t in teams if t.team.id not in has_chat]
            if not (without_chat and cfg.send_empty_digest):
                continue
            shown = without_chat
        reply = digest_reply(
            shown,
            lang=recipient.lang,
            today=today,
            settings=settings,
            private_teams={t.team.id for t in teams},
            title=private_title(shown, recipient.lang, today),
        )
        whole = [t for t in shown if t.team.id not in has_chat]  # no chat keeps its snapshot
        out.append(Outbound(key, recipient, reply, _keep_all(whole, today) if whole else None))
    return out


def _keep_all(digests: list[TeamRisks], day: date) -> Callable[[Session, datetime], None]:
    keeps = [_keep(d, day) for d in digests]

    def after_sent(session: Session, at: datetime) -> None:
        for keep in keeps:
            keep(session, at)

    return after_sent


JOB = JobSpec(
    name="digest",
    summary="The daily risk digest to team chats, and managers' private details.",
    slot=lambda settings: Slot(settings.schedule.digest_time, weekdays_only=True),
    build=build,
)
