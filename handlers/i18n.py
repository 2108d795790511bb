"""Every word kam says, kept in one message file per language.

``handlers/messages/<lang>.po`` are gettext catalogs read with Babel: one entry per key
(``msgid`` is the key, ``msgstr`` the text with ``{named}`` placeholders).  A key is
``<scope>.<name>``: the scope is the module that says it (``undo.undid``,
``views.tiers.labels.A``); a command's help texts are ``command.<name>.summary|usage|example``.
Adding a language — 繁體中文, say — is adding one file, ``zh_Hant.po``; whatever a file
lacks falls back to English, so a missing translation never crashes at import time
(tests/unit/test_i18n.py fails instead).

    _ = Catalog("undo")               # the keys "undo.*"
    _("undid", lang, what="#12")      # "Undid: #12" / "已撤销：#12"
    text("command.visit.summary", lang)
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

MESSAGES = Path(__file__).resolve().parent / "messages"
FALLBACK = "en"


@cache
def messages(lang: str) -> dict[str, str]:
    """The texts of one language file, by key ({} when there is no such file)."""
    path = MESSAGES / f"{lang}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        catalog = read_po(f, locale=None)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


def languages() -> tuple[str, ...]:
    """The fallback language first, then every other language that has a file."""
    found = sorted(p.stem for p in MESSAGES.glob("*.po"))
    return (FALLBACK, *(lang for lang in found if lang != FALLBACK))


def template(key: str, lang: str) -> str:
    found = messages(lang).get(key) if lang != FALLBACK else None
    if found is None:
        found = messages(FALLBACK).get(key)
    if found is None:
        raise KeyError(f"no message {key!r} in {MESSAGES / (FALLBACK + '.po')}")
    return found


def has(key: str) -> bool:
    return key in messages(FALLBACK)


def text(key: str, lang: str, /, **params: Any) -> str:
    words = template(key, lang)
    return words.format(**params) if params else words


class Catalog:
    """The texts of one scope: ``Catalog("undo")("undid", lang)`` is ``text("undo.undid", lang)``."""

    def __init__(self, scope: str | Mapping[str, Mapping[str, str]]) -> None:
        self.scope = scope

    def key(self, name: str) -> str:
        return f"{self.scope}.{name}"

    def __call__(self, name: str, lang: str, /, **params: Any) -> str:
        return text(self.key(name), lang, **params)

    def __contains__(self, name: str) -> bool:
        return has(self.key(name))
