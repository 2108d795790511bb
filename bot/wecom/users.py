"""WeCom names for kam users: ``user/get`` fills the display name on registration.

kam users are matched to WeCom members by their ``wecom`` identity (the member's userid).
Whoever registers a member usually knows only the userid, so after each message from
WeCom the transport runs this hook:

* members the message registered (``create`` audit entries of ``kam_user`` under the
  message's request id) get their WeCom name, recorded under the same request id and
  registering actor, so ``/undo`` of the registration takes the name back with it;
* the sender, if their display name is still a placeholder (registered elsewhere, e.g.
  from Slack or an import), gets theirs on first contact.

Only a placeholder is replaced — the handle, the userid, or nothing — never a name a
person typed.  WeCom answers third-party apps with the userid in place of ``name``;
that is no name and is ignored.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import Engine
from sqlmodel import select

from bot.wecom.client import WecomClient
from domain.models import AuditEntry, User
from handlers.notify import SendError
from storage import audit, users
from storage.session import unit_of_work

log = logging.getLogger(__name__)

_NAME_LIMIT = 100  # User.display_name
PLATFORM = "wecom"


def needs_name(user: User, wecom_id: str | None) -> bool:
    name = (user.display_name or "").strip().casefold()
    return name in {"", user.handle.casefold(), (wecom_id or "").casefold()}


def fill_display_names(engine: Engine, client: WecomClient, *, request_id: str, sender: str) -> int:
    """Give placeholder-named users from this message their WeCom name; how many got one."""
    with unit_of_work(engine, write=False) as session:
        registered = dict(
            session.exec(
                select(AuditEntry.entity_id, AuditEntry.actor_id).where(
                    AuditEntry.request_id == request_id,
                    AuditEntry.entity == User.__tablename__,
                    AuditEntry.action == "create",
                    AuditEntry.undone_at.is_(None),
                )
            ).all()
        )
        candidates = {
            (u.id, wecom_id)
            for u in session.exec(select(User).where(User.id.in_(list(registered)))).all()
            if (wecom_id := users.identity_of(session, u.id, PLATFORM))
        }
        sender_user = users.user_by_identity(session, PLATFORM, sender)
        if sender_user is not None:
            candidates.add((sender_user.id, sender))
        todo = []
        for user_id, wecom_id in sorted(candidates):
            u = session.get(User, user_id)
            if u is not None and needs_name(u, wecom_id):
                todo.append((u.id, wecom_id, u.id in registered, registered.get(u.id)))
    filled = 0
    for user_id, wecom_id, by_registration, registrar in todo:
        try:
            name = str(client.get_user(wecom_id).get("name") or "").strip()
        except SendError as exc:
            log.warning("WeCom user/get %s failed: %s", wecom_id, exc)
            continue
        if not name or name == wecom_id:
            continue
        with unit_of_work(engine, write=True) as session:
            user = session.get(User, user_id)
            if user is None or not needs_name(user, wecom_id):
                continue
            before = audit.snapshot(user)
            user.display_name = name[:_NAME_LIMIT]
            session.add(user)
            session.flush()
            audit.record(
                session,
                action="update",
                obj=user,
                actor_id=registrar if by_registration else None,
                channel="wecom",
                request_id=request_id if by_registration else f"wecom-name-{uuid.uuid4().hex[:12]}",
                before=before,
                summary=f"display name from WeCom: {user.display_name}",
            )
            filled += 1
    return filled
