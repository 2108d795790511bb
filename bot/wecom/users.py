"""WeCom names for members kam met elsewhere: the sender's name on first contact.

A member registered from WeCom gets their profile like anyone registered anywhere:
``/user add`` records ``UserRegistered`` and ``handlers.profiles`` asks WeCom's
``Directory`` (``user/get``) after the command commits.  Someone registered elsewhere
(from Slack, by an import) and writing from WeCom for the first time is this hook's
business: after each text message the transport gives the sender their WeCom name if
their display name is still a placeholder — the handle, the userid, or nothing —
never a name a person typed.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import Engine

from bot.wecom.directory import WecomDirectory
from domain.models import User
from handlers.profiles import is_placeholder
from storage import audit, users
from storage.session import unit_of_work

log = logging.getLogger(__name__)

_NAME_LIMIT = 100  # User.display_name
PLATFORM = "wecom"


def fill_sender_name(engine: Engine, directory: WecomDirectory, *, sender: str) -> bool:
    """Give the sender their WeCom name if theirs is a placeholder; whether it did."""
    with unit_of_work(engine, write=False) as session:
        user = users.user_by_identity(session, PLATFORM, sender)
        if user is None or not is_placeholder(user, sender):
            return False
        user_id = user.id
    profile = directory.profile(sender)
    name = profile.display_name if profile else None
    if not name:
        return False
    with unit_of_work(engine, write=True) as session:
        user = session.get(User, user_id)
        if user is None or not is_placeholder(user, sender):
            return False
        before = audit.snapshot(user)
        user.display_name = name[:_NAME_LIMIT]
        session.add(user)
        session.flush()
        audit.record(
            session,
            action="update",
            obj=user,
            actor_id=None,
            channel=PLATFORM,
            request_id=f"wecom-name-{uuid.uuid4().hex[:12]}",
            before=before,
            summary=f"display name from WeCom: {user.display_name}",
        )
    return True
