"""Showing account health: percents, scores, amounts per currency, RFM and lifetime value,
and ``health_lines`` — the health part of ``/account``.  The health commands use these
too, so they live here and not in one command's module."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from domain.health import LifetimeValue, Rfm, RfmInput
from handlers.i18n import Catalog
from handlers.views import fmt_day, fmt_money
from storage.health import HealthFacts
from storage.rfm import AccountRfm

_ = Catalog("views.health")


def fmt_pct(value: Decimal | None) -> str:
    """A fraction as a percent with at most one decimal (``0.8889`` → ``88.9%``); None → —."""
    if value is None:
        return "—"
    pct = (value * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    text = f"{pct:f}".removesuffix(".0")
    return f"{text}%"


def fmt_score(value: float | Decimal | None) -> str:
    """One decimal, without a trailing .0 (``7.0`` → ``7``); None → —."""
    if value is None:
        return "—"
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{rounded:f}".removesuffix(".0")


def fmt_amounts(amounts: Mapping[str, Decimal], lang: str) -> str:
    shown = [fmt_money(a, c, lang) for c, a in sorted(amounts.items()) if a]
    return " + ".join(shown) if shown else fmt_money(Decimal(0), "CNY", lang)


def rfm_inputs_text(rfm: Rfm | RfmInput, lang: str, currency: str) -> str:
    i = rfm.inputs if isinstance(rfm, Rfm) else rfm
    days = _("never", lang) if i.days_since is None else _("days_ago", lang, n=i.days_since)
    return _(
        "rfm_inputs", lang, days=days, n=i.frequency, money=fmt_money(i.monetary, currency, lang)
    )


def ltv_text(ltv: LifetimeValue | None, lang: str, currency: str, account_name: str) -> str:
    if ltv is None:
        return _("ltv_unknown", lang, account=account_name)
    return _(
        "ltv_value",
        lang,
        value=fmt_money(ltv.value, currency, lang),
        revenue=fmt_money(ltv.annual_revenue, currency, lang),
        years=fmt_score(ltv.years),
        margin=fmt_score(ltv.margin_pct),
        cost=fmt_money(ltv.acquisition_cost, currency, lang),
    )


def health_lines(facts: HealthFacts, lang: str, account_name: str) -> list[str]:
    """The health part of ``/account``: CSAT, complaints, receivables, RFM, LTV."""
    c, r, currency = facts.csat, facts.receivables, facts.currency
    lines = []
    if c.count:
        was = _("was", lang, previous=c.previous) if c.previous is not None else ""
        lines.append(_("h_csat", lang, avg=fmt_score(c.average), n=c.count, last=c.last, was=was))
    else:
        lines.append(_("h_no_csat", lang))
    if facts.open_complaints:
        lines.append(
            _("h_complaints", lang, n=facts.open_complaints, days=facts.oldest_complaint_days)
        )
    if r.open or r.credit:
        exposure = fmt_money(r.exposure, currency, lang) if r.exposure is not None else "—"
        if r.exposure is not None and r.credit_limit is not None:
            exposure = _("exposure_value", lang, exposure=exposure,
                         limit=fmt_money(r.credit_limit, currency, lang))  # fmt: skip
        lines.append(
            _("h_receivables", lang, open=fmt_amounts(r.open, lang),
              overdue=fmt_amounts(r.overdue, lang), exposure=exposure)
        )  # fmt: skip
    rfm_line = _rfm_line(facts.rfm_of, lang, currency)
    if rfm_line:
        lines.append(rfm_line)
    lines.append(_("h_ltv", lang, value=ltv_text(facts.ltv, lang, currency, account_name)))
    return lines


def _rfm_line(of: AccountRfm, lang: str, currency: str) -> str | None:
    """The RFM line of ``/account``: the score (dated when the ranking is old), or — with
    no usable cut-points stored — the account's own figures and why there is no score."""
    if of.inputs is None:  # churned, or left out
        return None
    inputs = rfm_inputs_text(of.inputs, lang, currency)
    if of.rfm is not None and of.as_of is not None:
        return _("h_rfm_as_of", lang, code=of.rfm.code, date=fmt_day(of.as_of, lang),
                 inputs=inputs)  # fmt: skip
    if of.rfm is not None:
        return _("h_rfm", lang, code=of.rfm.code, inputs=inputs)
    if of.state == "other_settings":
        return _("h_rfm_other_settings", lang, inputs=inputs)
    return _("h_rfm_unranked", lang, inputs=inputs)
