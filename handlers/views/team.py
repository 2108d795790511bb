"""Showing an account's team (协同): a member's role in words, and the one-line team
``/account`` shows ("Dave Li (tech), Erin (service)")."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.i18n import Catalog

_ = Catalog("team.roles")

ROLE_KEYS = ("tech", "service", "legal", "finance", "exec_sponsor", "other")
"""``MemberRole`` values, each a message ``team.roles.<role>``."""


def role_label(role: str, lang: str) -> str:
    """``tech`` → ``tech`` / ``技术``; an unknown value is shown as stored."""
    return _(role, lang) if role in ROLE_KEYS else role


def team_line(members: Iterable[tuple[str, str]], lang: str) -> str:
    """``(name, role)`` pairs as one line: ``Dave Li (tech), Erin (service)``."""
    return _("sep", lang).join(
        _("member", lang, name=name, role=role_label(role, lang)) for name, role in members
    )
