"""Showing the quarterly tier review's proposals: one line per proposal with its reason in
numbers, and the list a manager decides from (``/review``, and the review job's message
from ``schedules.tier_review``)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from domain.models import Account, TierProposal
from domain.settings import Settings
from handlers.i18n import Catalog
from handlers.replies import Action, Reply, Severity
from handlers.views import fmt_money

LISTED = 20
BUTTONS = 8  # proposals with their own accept/reject buttons

_ = Catalog(
    {
        "title": {
            "en": "Tier review {quarter}: {n} changes to decide",
            "zh": "{quarter} 分级复核：{n} 项调整待决定",
        },
        "line": {
            "en": "#{id} {account}: {from_tier} → {to_tier} ({direction}) · score {old} → {new} "
            "({thresholds})",
            "zh": "#{id} {account}：{from_tier} → {to_tier}（{direction}）· 评分 {old} → {new}"
            "（{thresholds}）",
        },
        "up": {"en": "up", "zh": "升级"},
        "down": {"en": "down", "zh": "降级"},
        "thresholds": {"en": "A from {a}, B from {b}", "zh": "A ≥ {a}，B ≥ {b}"},
        "change": {"en": "{factor} {old} → {new}{detail}", "zh": "{factor} {old} → {new}{detail}"},
        "override_reason": {
            "en": "set to {tier} by hand ({reason}); the score says otherwise",
            "zh": "手动设为 {tier}（{reason}），评分结果不同",
        },
        "annual_revenue": {"en": "annual revenue", "zh": "年收入"},
        "satisfaction": {"en": "satisfaction", "zh": "满意度"},
        "payment_record": {"en": "payment record", "zh": "回款记录"},
        "payment_days": {"en": "payment days", "zh": "回款天数"},
        "d_annual_revenue": {
            "en": " (won or paid in the last 12 months)",
            "zh": "（近 12 个月赢单或回款）",
        },
        "d_satisfaction": {
            "en": " (CSAT average of {n} scores)",
            "zh": "（{n} 次满意度评分的平均）",
        },
        "d_payment_record": {
            "en": " ({on_time} of {due} invoices paid on time)",
            "zh": "（{due} 张应收中 {on_time} 张按时回款）",
        },
        "d_payment_days": {
            "en": " (mean days from invoice to payment)",
            "zh": "（开票到回款的平均天数）",
        },
        "how": {
            "en": "Accept all: /review accept all · one by one: /review accept N or "
            "/review reject N why",
            "zh": "全部接受：/复核 全部接受 · 逐项：/复核 接受 编号，或 /复核 拒绝 编号 原因",
        },
        "accept_all": {"en": "Accept all", "zh": "全部接受"},
        "accept": {"en": "Accept #{id}", "zh": "接受 #{id}"},
        "reject": {"en": "Reject #{id}", "zh": "拒绝 #{id}"},
        "more": {
            "en": "…and {n} more — /review lists them",
            "zh": "……还有 {n} 项，发送 /复核 查看",
        },
        "quarter": {"en": "{year} Q{q}", "zh": "{year} 年第 {q} 季度"},
        "days": {"en": "{n} days", "zh": "{n} 天"},
        "review_command": {"en": "review", "zh": "复核"},
        "accept_all_word": {"en": "accept all", "zh": "全部接受"},
        "accept_word": {"en": "accept", "zh": "接受"},
        "reject_word": {"en": "reject", "zh": "拒绝"},
    }
)

_labels = Catalog(
    {
        "A": {"en": "strategic", "zh": "战略"},
        "B": {"en": "key", "zh": "重点"},
        "C": {"en": "maintain", "zh": "维护"},
    }
)


def tier_label(tier: str, lang: str) -> str:
    """The word for a tier letter: ``A`` → ``strategic`` / ``战略``."""
    return _labels(tier, lang)


def quarter_label(quarter: str, lang: str) -> str:
    year, q = quarter.split("Q")
    return _("quarter", lang, year=year, q=q)


def proposal_line(p: TierProposal, account_name: str, lang: str, settings: Settings) -> str:
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
    settings: Settings,
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
