"""``/csat`` (``/满意度``): record a customer-satisfaction score (0-10); see the history of
an account or the averages of a team's accounts.

    /csat Acme 8 quick fix on the rollout        /满意度 华夏重工 9 交付很及时
    /csat Acme          /csat team East          (history; the team's accounts)

Whoever may contribute to an account (``handlers.auth.can_contribute``: those who may
change it, and the members of its team) records its scores; the owner hears of one, and
when it trips a health rule (``domain.health``) the owner's managers and the team's
service members too.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from pydantic import BaseModel

from domain.errors import ParseError
from domain.health import CsatSummary, HealthSignals, assess_health, policy_of, team_csat
from domain.models import Account, CsatScore, MemberRole
from handlers.auth import require_contribute, require_read
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account, split_account
from handlers.parsing.text import cn_to_int, is_cjk, normalize
from handlers.people import TEAM_WORDS, tell_owner_and_managers, visible_teams
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from handlers.views import clip, describe_risk, fmt_day
from handlers.views.health import fmt_score
from storage import users
from storage.health import account_names, csat_history, csat_summaries

MAX_COMMENT = 1000  # CsatScore.comment

_ = Catalog("csat")


def _check_length(text: str, limit: int, lang: str) -> str:
    if len(text) > limit:
        raise ParseError(_("long_text", lang, n=len(text), limit=limit))
    return text


# --- /csat --------------------------------------------------------------------------


_SCORE = re.compile(
    r"^(?P<n>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十]+)(?:\s*(?P<unit>/\s*10|分))?(?P<rest>.*)$",
    re.DOTALL,
)
_SCORE_END = re.compile(r"^(?:$|[\s,，.。:：;；!！-])")


class CsatCommand(BaseModel):
    command: str = "csat"
    account: str | None = None
    team: str | None = None  # "" = the actor's own team(s)
    score: int | None = None
    comment: str = ""


def parse_csat(args: str, pctx: ParseContext) -> CsatCommand:
    args = normalize(args).strip()
    if not args:
        return CsatCommand(team="")
    first, _sep, after = args.partition(" ")
    if first.casefold() in TEAM_WORDS:
        return CsatCommand(team=after.strip())
    account, rest = split_account(args, pctx)
    if not rest:
        return CsatCommand(account=account)
    m = _SCORE.match(rest)
    value = _score_value(m) if m is not None else None
    if value is None or not 0 <= value <= 10:
        raise ParseError(_("bad_score", pctx.lang, account=account))
    comment = _check_length(m["rest"].strip(" ,，.。:：;；!！-"), MAX_COMMENT, pctx.lang)
    return CsatCommand(account=account, score=value, comment=comment)


def _score_value(m: re.Match[str]) -> int | None:
    """The whole number a score match holds; None for a fraction or a number that runs on.

    ``8``, ``8/10``, ``8分``, ``八分`` and ``8分交付及时`` are 8; ``8.5`` and ``80km`` are
    not scores.  Without a unit an ASCII number may be followed by Chinese text.
    """
    raw, rest = m["n"], m["rest"]
    runs_on = m["unit"] is None and not _SCORE_END.match(rest)
    if runs_on and not (raw.isascii() and is_cjk(rest[0])):
        return None
    if not raw.isascii():
        return cn_to_int(raw)
    number = Decimal(raw)
    return int(number) if number == number.to_integral_value() else None


@command(
    name="csat",
    aliases=("满意度", "satisfaction"),
    parse=parse_csat,
    writes=True,
    group="health",
)
def run_csat(ctx: Context, cmd: CsatCommand) -> Reply:
    if cmd.team is not None:
        return _csat_team(ctx, cmd.team)
    account = resolve_account(ctx, cmd.account or "")
    if cmd.score is None:
        require_read(ctx.session, ctx.actor, account, ctx.lang)
        return _csat_view(ctx, account)
    require_contribute(ctx.session, ctx.actor, account, ctx.lang)
    return _csat_record(ctx, account, cmd)


def _summary(ctx: Context, account: Account):
    policy = policy_of(ctx.settings)
    since = ctx.now - timedelta(days=policy.csat_window_days)
    return csat_summaries(ctx.session, since=since, where=account.id).get(account.id)


def _csat_record(ctx: Context, account: Account, cmd: CsatCommand) -> Reply:
    lang, policy = ctx.lang, policy_of(ctx.settings)
    score = CsatScore(
        account_id=account.id,
        score=cmd.score,
        comment=cmd.comment,
        recorded_at=ctx.now,
        author_id=ctx.actor.id,
    )
    ctx.session.add(score)
    ctx.audit("create", score, account_id=account.id, summary=f"CSAT {cmd.score}/10")
    summary = _summary(ctx, account)
    reply = Reply(
        title=_("csat_recorded", lang, score=cmd.score, account=account.name),
        severity=Severity.success,
    )
    reply.fields.append(
        Field(
            _("average", lang),
            _("average_value", lang, avg=fmt_score(summary.average), n=summary.count),
        )
    )
    if summary.previous is not None:
        reply.fields.append(Field(_("previous", lang), f"{summary.previous}/10"))
    risks = assess_health(_csat_signals(summary), policy)
    for risk in risks:
        reply.lines.append(describe_risk(risk, lang))
    if risks:
        reply.severity = Severity.warning

    def note(reader_lang: str) -> Reply:
        was = (
            _("csat_told_was", reader_lang, previous=summary.previous)
            if summary.previous is not None
            else ""
        )
        told = Reply(
            title=_(
                "csat_told",
                reader_lang,
                who=ctx.actor.display_name,
                score=cmd.score,
                account=account.name,
                was=was,
            ),
            lines=[cmd.comment] if cmd.comment else [],
            actions=[Action(_("view_account", reader_lang), f"account {account.name}")],
        )
        told.lines += [describe_risk(r, reader_lang) for r in risks]
        if risks:
            told.severity = Severity.warning
        return told

    # a low or falling score also reaches the service members of the account's team
    service = (MemberRole.service.value,) if risks else ()
    tell_owner_and_managers(ctx, account, note, managers=bool(risks), roles=service)
    return reply


def _csat_signals(summary: CsatSummary) -> HealthSignals:
    return HealthSignals(csat_last=summary.last, csat_previous=summary.previous)


def _csat_view(ctx: Context, account: Account) -> Reply:
    lang, tz = ctx.lang, ctx.tz
    reply = Reply(title=_("csat_title", lang, account=account.name))
    summary = _summary(ctx, account)
    history = csat_history(ctx.session, account.id)
    if summary is not None:
        reply.fields.append(
            Field(
                _("average", lang),
                _("average_value", lang, avg=fmt_score(summary.average), n=summary.count),
            )
        )
        for risk in assess_health(_csat_signals(summary), policy_of(ctx.settings)):
            reply.lines.append(describe_risk(risk, lang))
            reply.severity = Severity.warning
    if not history:
        reply.lines.append(_("no_scores", lang))
        reply.lines.append(_("csat_how", lang, account=account.name))
        return reply
    authors = _names(ctx, {s.author_id for s in history})
    reply.add_section(
        None,
        [
            _(
                "csat_line",
                lang,
                date=fmt_day(s.recorded_at, lang, tz),
                score=s.score,
                who=authors.get(s.author_id, "—"),
                comment=f" — {clip(s.comment, 80)}" if s.comment else "",
            )
            for s in history
        ],
    )
    return reply


def _names(ctx: Context, ids: set[int]) -> dict[int, str]:
    return users.display_names(ctx.session, ids)


def _csat_team(ctx: Context, name: str) -> Reply:
    lang = ctx.lang
    teams = visible_teams(
        ctx,
        name,
        unknown=lambda typed: _("no_team", lang, name=typed),
        forbidden=lambda team: _("forbid_team", lang, name=team),
        empty=_("no_team_yet", lang),
    )
    policy = policy_of(ctx.settings)
    team_ids = [t.id for t in teams]
    summaries = csat_summaries(
        ctx.session,
        since=ctx.now - timedelta(days=policy.csat_window_days),
        where=Account.team_id.in_(team_ids),
    )
    names = account_names(ctx.session, summaries)
    reply = Reply(title=_("csat_team_title", lang, team=", ".join(t.name for t in teams)))
    average = team_csat(s.average for s in summaries.values())
    reply.fields.append(
        Field(
            _("team_average", lang),
            _("team_average_value", lang, avg=fmt_score(average), n=len(summaries)),
        )
    )
    if not summaries:
        reply.lines.append(_("no_team_scores", lang))
        return reply
    ordered = sorted(summaries.items(), key=lambda kv: (kv[1].average, names[kv[0]].casefold()))
    lines = []
    for account_id, s in ordered:
        was = _("was", lang, previous=s.previous) if s.previous is not None else ""
        lines.append(
            _(
                "csat_account_line",
                lang,
                account=names[account_id],
                avg=fmt_score(s.average),
                n=s.count,
                last=s.last,
                was=was,
            )
        )
    reply.add_section(None, lines)
    return reply
