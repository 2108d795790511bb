"""Looking people up: by handle, by chat identity, and who manages whom."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam, func, or_
from sqlmodel import Session, select

from domain.models import Role, Team, TeamManager, User, UserIdentity
from domain.names import name_key
from storage import audit

PLATFORMS: dict[str, str] = {"slack": "Slack", "wecom": "WeCom"}
"""The chat platforms a user can have an identity on, in the order kam prefers to
reach them, with the name people know each by."""

IDENTITY_COLUMNS: dict[str, str] = {"slack_id": "slack", "wecom_id": "wecom"}
"""The users file's identity columns (docs/csv.md) and the platform each names."""


# Every message looks its sender up: the statement is built once.
_BY_HANDLE = select(User).where(func.lower(User.handle) == bindparam("handle"))


def by_handle(session: Session, handle: str) -> User | None:
    handle = handle.lstrip("@").strip()
    return session.exec(_BY_HANDLE, params={"handle": handle.lower()}).first()


def by_identity(session: Session, platform: str, ref: str) -> User | None:
    """The active kam user behind a platform identity (a console 'identity' is the handle)."""
    if platform in PLATFORMS:
        user = user_by_identity(session, platform, ref)
    else:
        user = by_handle(session, ref)
    return user if user is not None and user.active else None


# --- chat identities ------------------------------------------------------------------


def user_by_identity(session: Session, platform: str, external_id: str) -> User | None:
    """The kam user (active or not) holding ``external_id`` on ``platform``."""
    return session.exec(
        select(User)
        .join(UserIdentity, UserIdentity.user_id == User.id)
        .where(UserIdentity.platform == platform, UserIdentity.external_id == external_id)
    ).first()


def identity_row(session: Session, user_id: int, platform: str) -> UserIdentity | None:
    return session.exec(
        select(UserIdentity).where(
            UserIdentity.user_id == user_id, UserIdentity.platform == platform
        )
    ).first()


def identity_of(session: Session, user_id: int | None, platform: str) -> str | None:
    """The user's external id on ``platform``, if they have one."""
    if user_id is None:
        return None
    row = identity_row(session, user_id, platform)
    return row.external_id if row is not None else None


def identities_of(session: Session, user_id: int | None) -> dict[str, str]:
    """``{platform: external_id}`` for the user, in ``PLATFORMS`` order."""
    if user_id is None:
        return {}
    rows = session.exec(select(UserIdentity).where(UserIdentity.user_id == user_id)).all()
    return _preferred({r.platform: r.external_id for r in rows})


def all_identities(session: Session) -> dict[int, dict[str, str]]:
    """Every user's identities: ``{user_id: {platform: external_id}}``, each in
    ``PLATFORMS`` order like ``identities_of`` (the first is where kam reaches them)."""
    found: dict[int, dict[str, str]] = {}
    for row in session.exec(select(UserIdentity)).all():
        found.setdefault(row.user_id, {})[row.platform] = row.external_id
    return {user_id: _preferred(ids) for user_id, ids in found.items()}


def _preferred(found: dict[str, str]) -> dict[str, str]:
    """``{platform: external_id}`` in the order kam prefers to reach someone."""
    order = [p for p in PLATFORMS if p in found] + sorted(set(found) - set(PLATFORMS))
    return {p: found[p] for p in order}


def set_identity(
    session: Session, user: User, platform: str, external_id: str
) -> tuple[UserIdentity, dict | None]:
    """Give ``user`` the identity (replacing theirs on that platform); returns the row
    and its column values before (None for a new row), for the caller's audit.
    The user must have an id (flush first)."""
    assert user.id is not None
    row = identity_row(session, user.id, platform)
    before = None
    if row is None:
        row = UserIdentity(user_id=user.id, platform=platform, external_id=external_id)
    else:
        before = audit.snapshot(row)
        row.external_id = external_id
    session.add(row)
    session.flush()
    return row, before


def clear_identity(session: Session, user: User, platform: str) -> UserIdentity | None:
    """Remove the user's identity on ``platform``; returns the deleted row, if any."""
    if user.id is None:
        return None
    row = identity_row(session, user.id, platform)
    if row is not None:
        session.delete(row)
        session.flush()
    return row


def team_by_name(session: Session, name: str) -> Team | None:
    return session.exec(select(Team).where(func.lower(Team.name) == name.strip().lower())).first()


def managed_team_ids(session: Session, user: User) -> set[int]:
    rows = session.exec(select(TeamManager.team_id).where(TeamManager.user_id == user.id))
    return set(rows.all())


def visible_team_ids(session: Session, user: User) -> set[int]:
    """The teams whose accounts the user may read: their own and those they manage."""
    ids = managed_team_ids(session, user)
    if user.team_id is not None:
        ids.add(user.team_id)
    return ids


def namesake(session: Session, user: User) -> User | None:
    """Another active person whose display name reads like ``user``'s (case, width and
    spacing ignored: ``name_key``) among those a message about ``user`` could be taken to
    come from: the people of ``user``'s team and of the teams they manage, that team's
    managers, ``user``'s line manager, and the admins.  None when there is none.

    Display names are unique within that reach (issue 15: a rep renamed to their
    manager's name wrote notifications that read as the manager's); the same name in two
    unrelated teams (two 张伟) stays possible."""
    key = name_key(user.display_name or "")
    if not key:
        return None
    reach = [User.role == Role.admin]
    teams = set(managed_team_ids(session, user)) if user.id is not None else set()
    if user.team_id is not None:
        teams.add(user.team_id)
        managers = select(TeamManager.user_id).where(TeamManager.team_id == user.team_id)
        reach.append(User.id.in_(managers))  # type: ignore[union-attr]
    if teams:
        reach.append(User.team_id.in_(teams))  # type: ignore[union-attr]
    if user.manager_id is not None:
        reach.append(User.id == user.manager_id)
    query = select(User).where(User.active, or_(*reach))
    if user.id is not None:
        query = query.where(User.id != user.id)
    for other in session.exec(query).all():
        if name_key(other.display_name or "") == key:
            return other
    return None


def managers_of(session: Session, user: User) -> list[User]:
    """The user's line manager, else the managers of the user's team."""
    if user.manager_id is not None:
        manager = session.get(User, user.manager_id)
        return [manager] if manager else []
    if user.team_id is None:
        return []
    return list(
        session.exec(
            select(User)
            .join(TeamManager, TeamManager.user_id == User.id)
            .where(TeamManager.team_id == user.team_id)
        ).all()
    )


def by_display_name(session: Session, name: str) -> User | None:
    """The one user whose display name is ``name`` (case-insensitive); None if none or several."""
    found = session.exec(
        select(User).where(func.lower(User.display_name) == name.strip().lower()).limit(2)
    ).all()
    return found[0] if len(found) == 1 else None


def search(session: Session, text: str, limit: int = 5) -> list[User]:
    like = f"%{text.strip().lower()}%"
    return list(
        session.exec(
            select(User)
            .where(
                or_(func.lower(User.handle).like(like), func.lower(User.display_name).like(like))
            )
            .limit(limit)
        ).all()
    )


def other_active_admins(session: Session, user: User) -> int:
    """How many active admins there are besides ``user``."""
    return session.exec(
        select(func.count(User.id)).where(
            User.role == "admin", User.active.is_(True), User.id != user.id
        )
    ).one()


def everyone(
    session: Session, *, team_id: int | None = None, include_inactive: bool = True
) -> list[User]:
    """Users by handle: all of them, or one team's; the active ones only unless asked."""
    query = select(User).order_by(User.handle)
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    if not include_inactive:
        query = query.where(User.active.is_(True))
    return list(session.exec(query).all())


def display_names(session: Session, ids: Collection[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.display_name).where(User.id.in_(sorted(ids))))
    return dict(rows.all())


def teams_by_ids(session: Session, ids: Collection[int]) -> list[Team]:
    """These teams, by name."""
    if not ids:
        return []
    return list(session.exec(select(Team).where(Team.id.in_(sorted(ids))).order_by(Team.name)))


def team_names(session: Session, ids: Collection[int] | None = None) -> dict[int, str]:
    """Team names by id: of these teams, or of every team when ``ids`` is None."""
    query = select(Team.id, Team.name).order_by(Team.name)
    if ids is not None:
        query = query.where(Team.id.in_(sorted(ids)))
    return dict(session.exec(query).all())


def managed_team_names(session: Session, user: User) -> list[str]:
    """The names of the teams ``user`` manages, in order."""
    return list(
        session.exec(
            select(Team.name)
            .join(TeamManager, TeamManager.team_id == Team.id)
            .where(TeamManager.user_id == user.id)
            .order_by(Team.name)
        ).all()
    )


def manager_links(session: Session, user: User) -> dict[int, TeamManager]:
    """``user``'s team-manager links, by team id."""
    links = session.exec(select(TeamManager).where(TeamManager.user_id == user.id))
    return {link.team_id: link for link in links}
