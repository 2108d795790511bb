"""Filling in who a newly registered user is, from their chat platforms' profiles.

The command that registers someone by mention or id usually knows only that id.
After it commits (``events.UserRegistered``) each platform's ``Directory`` is asked
for the person's profile, and what the command left unset is filled: the display
name while it is still a placeholder (the handle, the id, the platform's username),
the timezone while it is kam's default, the email while there is none.  Anything the
command set explicitly (``name …``, ``tz …``, ``email …``) is kept.

Each fill is its own short transaction, audited under the registering command's
request id and actor, so ``/undo`` of the registration takes it back too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine

from domain.models import User
from handlers.directory import Directory, Profile
from handlers.events import UserRegistered
from storage import audit, users
from storage.session import unit_of_work

log = logging.getLogger(__name__)

_NAME_LIMIT = 100  # User.display_name
_EMAIL_LIMIT = 200  # User.email


def is_placeholder(user: User, external_id: str, username: str | None = None) -> bool:
    """Is the display name one kam made up (or none at all)?"""
    name = (user.display_name or "").strip().casefold()
    made_up = {user.handle.casefold(), user.handle.title().casefold(), external_id.casefold()}
    if username:
        made_up.add(username.casefold())
    return not name or name in made_up


def _valid_zone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def _wants(user: User, external_id: str, default_timezone: str) -> bool:
    return (
        user.email is None or user.timezone == default_timezone or is_placeholder(user, external_id)
    )


def fill_profiles(
    engine: Engine,
    event: UserRegistered,
    directories: Mapping[str, Directory],
    *,
    default_timezone: str,
) -> list[str]:
    """Fill the registered user's profile from each of their platforms; returns the
    platforms whose profile changed something.  Lookups that fail change nothing."""
    filled = []
    for platform, external_id in event.identities.items():
        directory = directories.get(platform)
        if directory is None:
            continue
        with unit_of_work(engine, write=False) as session:
            user = session.get(User, event.user_id)
            if user is None or not _wants(user, external_id, default_timezone):
                continue
        profile = directory.profile(external_id)
        if profile is None:
            continue
        with unit_of_work(engine) as session:
            user = session.get(User, event.user_id)
            if user is None:
                continue
            before = audit.snapshot(user)
            placeholder = user.display_name
            _apply(user, profile, external_id, event.explicit, default_timezone)
            if user.display_name != placeholder and users.namesake(session, user) is not None:
                user.display_name = placeholder  # a teammate's name: keep the one kam gave
            if audit.snapshot(user) == before:
                continue
            session.add(user)
            session.flush()
            audit.record(
                session,
                action="update",
                obj=user,
                actor_id=event.actor_id,
                channel=platform,
                request_id=event.request_id,
                before=before,
                summary=f"user {user.handle}: profile from {platform}",
            )
            filled.append(platform)
    return filled


def _apply(
    user: User, profile: Profile, external_id: str, explicit: frozenset[str], default_tz: str
) -> None:
    name = (profile.display_name or "").strip()
    if (
        "display_name" not in explicit
        and name
        and is_placeholder(user, external_id, profile.username)
    ):
        user.display_name = name[:_NAME_LIMIT]
    zone = _valid_zone(profile.timezone)
    if "timezone" not in explicit and zone and user.timezone == default_tz:
        user.timezone = zone
    email = (profile.email or "").strip()
    if "email" not in explicit and email and user.email is None:
        user.email = email[:_EMAIL_LIMIT]
