"""The words for the domain's errors.

The domain raises a key and parameters — ``InvalidInput("tier_unknown", value="D")`` —
and this is where they become a sentence in the reader's language (the dispatcher's
error reply, the CSV import's row errors).  An error a handler raised with words of its
own is shown as it is.
"""

from __future__ import annotations

from typing import Any

from domain.errors import KamError
from handlers.i18n import Catalog

_ = Catalog("errors")


def _shown(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    return value


def error_text(exc: KamError, lang: str) -> str:
    """The error's message in ``lang``: a domain key worded with its parameters, or the
    words a handler already chose."""
    if exc.message in _:
        return _(exc.message, lang, **{k: _shown(v) for k, v in exc.params.items()})
    return exc.message


def hint_text(exc: KamError, lang: str) -> str | None:
    """The error's hint in ``lang`` (a key, as the domain gives it, or words)."""
    if exc.hint and exc.hint in _:
        return _(exc.hint, lang)
    return exc.hint
