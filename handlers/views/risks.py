"""The words for a risk: the account rules' (``domain.risks``) and the health rules'
(``domain.health``) codes and parameters as one line in the reader's language."""

from __future__ import annotations

from domain.risks import Risk
from handlers.i18n import Catalog
from handlers.views import fmt_money, label

# One text per risk code; the parameters are the rule's.
_ = Catalog("views.risks")


def describe(risk: Risk, lang: str) -> str:
    """Any risk as one line; amounts are formatted for the reader."""
    params = dict(risk.params)
    if "stage" in params:
        params["stage"] = label(params["stage"], lang)
    if "amounts" in params:
        params["amounts"] = _("amounts_joiner", lang).join(
            fmt_money(a, c, lang) for c, a in params["amounts"].items()
        )
    currency = params.pop("currency", None)
    if currency is not None:
        for key in ("exposure", "limit", "excess"):
            params[key] = fmt_money(params[key], currency, lang)
    return _(risk.code, lang, **params)
