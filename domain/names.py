"""When two names are the same name to kam.

``name_key`` is how chat compares what people type with account, user and team names
(``handlers.parsing.names``): Unicode NFKC (full-width ``ＡＣＭＥ`` is ``ACME``), case
folded, runs of spaces as one.  ``Acme``, ``ACME`` and ``acme`` have one key; so a file
naming both is naming one account twice.
"""

from __future__ import annotations

import unicodedata


def name_key(text: str) -> str:
    """Width-, case- and spacing-insensitive form of a name."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())
