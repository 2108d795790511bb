"""``/risks [team] [kind] [page]`` (``/风险 [团队] [类别] [页]``): the risk digest, on demand.

The same digest the team chats get every weekday morning (``handlers.digest``), for
the teams the asker may see: their own team and the teams they manage (an admin: every
team), or the one team named — what changed since the team's last digest, then the
standing risks as counts per kind with the first few by value.  Managers — of that team
— and admins also see what the group digest leaves out: each rep's goals behind pace.

A kind (``/risks East lapsed``, ``/风险 华东 失联``; ``all``/``全部`` for every account
with a risk) lists that kind's accounts by value, a page at a time, each with what the
domain rules say of it; ``/risks more`` (``/风险 更多``) is the second page of them all.
"""

from __future__ import annotations

from pydantic import BaseModel

from domain.models import Role
from handlers.context import Context, ParseContext
from handlers.digest import (
    ALL,
    _Goals,
    detail_reply,
    digest_reply,
    gather_risks,
    judge_accounts,
    kind_of_word,
)
from handlers.i18n import Catalog
from handlers.paging import page_of, split_page
from handlers.people import visible_teams
from handlers.registry import command
from handlers.replies import Reply, Severity
from storage import queries, users

PAGE = 10
"""Accounts per page of one kind."""

_ = Catalog("risks")


class RisksQuery(BaseModel):
    command: str = "risks"
    team: str | None = None
    kind: str | None = None
    page: int | None = None


def parse_risks(args: str, pctx: ParseContext) -> RisksQuery:
    text, page = split_page(args.strip())
    words = text.split()
    if page is None and words and words[-1].isdigit() and len(words[-1]) <= 6:
        page = max(1, int(words.pop()))
    kind = kind_of_word(words[-1]) if words else None
    if kind is not None:
        words.pop()
    if page is not None and kind is None:
        kind = ALL
    return RisksQuery(team=" ".join(words) or None, kind=kind, page=page)


@command(
    name="risks",
    aliases=("风险", "risk"),
    parse=parse_risks,
    slash=True,
)
def run_risks(ctx: Context, cmd: RisksQuery) -> Reply:
    session, actor, lang = ctx.session, ctx.actor, ctx.lang
    is_admin = actor.role == Role.admin
    managed = users.managed_team_ids(session, actor)
    found = visible_teams(
        ctx,
        cmd.team,
        unknown=lambda name: _("unknown", lang, name=name),
        forbidden=lambda name: _("not_yours", lang, name=name),
        suggest_cutoff=50,
    )
    team_ids = {t.id for t in found}
    if not team_ids:
        return Reply(
            title=_("no_team", lang), lines=[_("no_team_hint", lang)], severity=Severity.info
        )
    settings = ctx.settings
    today = ctx.now.astimezone(settings.tz).date()
    if cmd.kind is None:
        teams = gather_risks(session, settings=settings, now=ctx.now, team_ids=team_ids)
        private = {t.team.id for t in teams} if is_admin else managed
        return digest_reply(
            teams,
            lang=lang,
            today=today,
            settings=settings,
            private_teams=private,
            pushed=False,
        )
    if len(team_ids) > 1:
        names = sorted(t.name for t in found)
        return Reply(
            title=_("which_team", lang),
            lines=[_("which_team_hint", lang, teams=" · ".join(names), example=names[0])],
            severity=Severity.info,
        )
    wanted = (cmd.page or 1) * PAGE
    (team,) = gather_risks(session, settings=settings, now=ctx.now, team_ids=team_ids, limit=wanted)
    group = team.kinds.get(cmd.kind)
    page = page_of(group.count if group else 0, cmd.page, PAGE)
    entries = group.first(None)[page.offset : page.offset + PAGE] if group else []
    people = queries.people(session)
    judged = {}
    if entries:
        ids = frozenset(e.id for e in entries)
        goal_rows = queries.goals_of_year(session, today.year, team_ids=sorted(team_ids))
        own = frozenset(g.account_id for g, _n, _o in goal_rows if g.account_id is not None)
        behind = frozenset(e.id for e in entries if "goal_behind" in e.codes)
        for item in judge_accounts(
            session,
            settings=settings,
            now=ctx.now,
            team_ids=sorted(team_ids),
            goals=_Goals(behind, own | behind),
            accounts=ids,
            people=people,
        ):
            judged[item.account.id] = item.risks
    items = [(e, people.name(e.owner_id), judged.get(e.id, [])) for e in entries]
    return detail_reply(team, cmd.kind, items, page=page, lang=lang, today=today, settings=settings)
