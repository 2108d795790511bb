"""Showing the quarterly tier review's proposals: one line per proposal with its reason in
numbers, and the list a manager decides from (``/review``, and the review job's message
from ``schedules.tier_review``)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from domain.models import Account, TierProposal
from domain.policy import Policy
from handlers.i18n import Catalog
from handlers.replies import Action, Reply, Severity
from handlers.views import fmt_money

LISTED = 20
BUTTONS = 8  # proposals with their own accept/reject buttons

_ = Catalog("views.tiers")

_labels = Catalog("views.tiers.labels")


def tier_label(tier: str, lang: str) -> str:
    """The word for a tier letter: ``A`` → ``strategic`` / ``战略``."""
    return _labels(tier, lang)


def quarter_label(quarter: str, lang: str) -> str:
    year, q = quarter.split("Q")
    return _("quarter", lang, year=year, q=q)


def proposal_line(p: TierProposal, account_name: str, lang: str, settings: Policy) -> str:
    """One proposal with the reason in numbers: tiers, scores, thresholds, factor changes."""
    th = settings.tiers.thresholds
    direction = "up" if p.to_tier < p.from_tier else "down"
    parts = [
        _(
            "line",
            lang,
            id=p.id,
            account=account_name,
            from_tier=p.from_tier,
            to_tier=p.to_tier,
            direction=_(direction, lang),
            old=f"{p.from_score:.1f}",
            new=f"{p.to_score:.1f}",
            thresholds=_("thresholds", lang, a=f"{th.a:g}", b=f"{th.b:g}"),
        )
    ]
    parts += [_reason(r, lang, settings.currency) for r in p.reasons or []]
    return " · ".join(parts)


def _reason(reason: dict, lang: str, currency: str) -> str:
    factor = reason["factor"]
    if factor == "override":
        return _("override_reason", lang, tier=reason["tier"], reason=reason.get("reason") or "—")
    detail_key = "d_" + factor
    detail = _(detail_key, lang, **reason.get("detail", {}))
    return _(
        "change",
        lang,
        factor=_(factor, lang),
        old=_value(factor, reason.get("old"), lang, currency),
        new=_value(factor, reason.get("new"), lang, currency),
        detail=detail,
    )


def _value(factor: str, value, lang: str, currency: str) -> str:
    if value is None:
        return "—"
    if factor == "annual_revenue":
        return fmt_money(Decimal(str(value)), currency, lang)
    if factor == "satisfaction":
        return f"{float(value):g}/10"
    if factor == "payment_days":
        return _("days", lang, n=f"{value:g}")
    return f"{float(value):g}"


def proposals_reply(
    rows: Sequence[tuple[TierProposal, Account]],
    *,
    lang: str,
    settings: Policy,
    quarter: str,
    limit: int = LISTED,
) -> Reply:
    """The list a manager decides from, with buttons (also the review job's message)."""
    reply = Reply(
        title=_("title", lang, quarter=quarter_label(quarter, lang), n=len(rows)),
        severity=Severity.warning,
    )
    lines = [proposal_line(p, a.name, lang, settings) for p, a in rows[:limit]]
    if len(rows) > limit:
        lines.append(_("more", lang, n=len(rows) - limit))
    reply.add_section(None, lines)
    reply.footer = _("how", lang)
    word = _("review_command", lang)
    reply.actions.append(
        Action(_("accept_all", lang), f"{word} {_('accept_all_word', lang)}",
               style="primary")
    )  # fmt: skip
    for p, _a in rows[:BUTTONS]:
        reply.actions.append(
            Action(_("accept", lang, id=p.id), f"{word} {_('accept_word', lang)} {p.id}")
        )
        reply.actions.append(
            Action(
                _("reject", lang, id=p.id),
                f"{word} {_('reject_word', lang)} {p.id}",
                style="danger",
            )
        )
    return reply
