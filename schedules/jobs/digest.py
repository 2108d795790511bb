"""The daily risk digest: team chats get their team's risks, managers privately what
only they may see (weekdays at ``digest_time``)."""

from __future__ import annotations

from datetime import date

from handlers.digest import TeamRisks, digest_reply, gather_risks, private_title
from handlers.notify import Recipient, team_recipients
from schedules.delivery import Outbound
from schedules.plan import Plan
from schedules.registry import JobSpec
from schedules.timing import Slot
from storage.ledger import DeliveryKey


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
        out.append(Outbound(key, recipient, reply))
    for manager_id, (key, recipient) in private.items():
        teams = []
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
        today = plan.due_for(people.users[manager_id])
        reply = digest_reply(
            shown,
            lang=recipient.lang,
            today=today,
            settings=settings,
            private_teams={t.team.id for t in teams},
            title=private_title(shown, recipient.lang, today),
        )
        out.append(Outbound(key, recipient, reply))
    return out


JOB = JobSpec(
    name="digest",
    summary="The daily risk digest to team chats, and managers' private details.",
    slot=lambda settings: Slot(settings.schedule.digest_time, weekdays_only=True),
    build=build,
)
