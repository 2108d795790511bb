"""Filling in who a newly registered Slack user is, from Slack's own profile.

When an admin registers someone by mention (``/kam user add <@U123> rep team East``),
the command knows only the Slack id.  Afterwards the adapter asks ``users.info`` and
fills what the command left unset: the display name (while it is still a placeholder
made from the handle or id), the timezone and the email.  Anything the command set
explicitly (``name …``, ``tz …``, ``email …``) is kept.

It runs in its own short transaction and is audited under the registering command's
request id, so ``/undo`` of the registration takes this back too.  Identity data
only: no business rule lives here.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine

from domain.models import User
from handlers.parsing.text import tokenize_quoted
from handlers.people import OPTION_WORDS
from storage import audit, users
from storage.session import unit_of_work

log = logging.getLogger(__name__)

USER_COMMAND = "user"


def explicit_fields(args: str) -> set[str]:
    """The user fields a ``/user`` command line sets by option word (``tz``, ``姓名``…)."""
    words = tokenize_quoted(args)
    return {OPTION_WORDS[w.casefold()] for w in words if w.casefold() in OPTION_WORDS}


def _is_placeholder(user: User, slack_id: str | None, slack_name: str | None) -> bool:
    name = user.display_name.strip().casefold()
    made_up = {user.handle.casefold(), user.handle.title().casefold()}
    if slack_id:
        made_up.add(slack_id.casefold())
    if slack_name:
        made_up.add(slack_name.casefold())
    return not name or name in made_up


def _valid_zone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def enrich_registered(
    engine: Engine,
    client: WebClient,
    *,
    actor_slack_id: str,
    args: str,
    slack_ids: list[str],
    request_id: str,
    default_timezone: str,
) -> list[str]:
    """After a successful ``/user`` command: fill the profiles of the users it mentioned.

    Returns the handles that were updated.  Slack failures are logged, never raised.
    """
    if not slack_ids:
        return []
    explicit = explicit_fields(args)
    with unit_of_work(engine, write=False) as session:
        found = {s: users.user_by_identity(session, "slack", s) for s in slack_ids}
        wanting = [
            s
            for s, u in found.items()
            if u is not None
            and (u.email is None or u.timezone == default_timezone or _is_placeholder(u, s, None))
        ]
    profiles = {}
    for slack_id in wanting:
        try:
            profiles[slack_id] = client.users_info(user=slack_id)["user"]
        except (SlackApiError, SlackClientError, OSError, KeyError) as exc:
            log.warning("users.info for %s failed: %s", slack_id, exc)
    if not profiles:
        return []
    updated = []
    with unit_of_work(engine) as session:
        actor = users.by_identity(session, "slack", actor_slack_id)
        for slack_id, info in profiles.items():
            user = users.user_by_identity(session, "slack", slack_id)
            if user is None:
                continue
            profile = info.get("profile") or {}
            before = audit.snapshot(user)
            name = (profile.get("real_name") or info.get("real_name") or "").strip()
            name = name or (profile.get("display_name") or "").strip()
            if (
                "display_name" not in explicit
                and name
                and _is_placeholder(user, slack_id, info.get("name"))
            ):
                user.display_name = name[:100]
            zone = _valid_zone(info.get("tz"))
            if "timezone" not in explicit and zone and user.timezone == default_timezone:
                user.timezone = zone
            email = (profile.get("email") or "").strip()
            if "email" not in explicit and email and user.email is None:
                user.email = email[:200]
            if audit.snapshot(user) == before:
                continue
            session.add(user)
            session.flush()
            audit.record(
                session,
                action="update",
                obj=user,
                actor_id=actor.id if actor else None,
                channel="slack",
                request_id=request_id,
                before=before,
                summary=f"user {user.handle}: profile from Slack",
            )
            updated.append(user.handle)
    return updated
