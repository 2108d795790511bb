"""Looking people up: by handle, by chat identity, and who manages whom."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, or_
from sqlmodel import Session, select

from domain.models import Team, TeamManager, User

PLATFORM_COLUMNS = {"slack": User.slack_id, "wecom": User.wecom_id}


def by_handle(session: Session, handle: str) -> User | None:
    handle = handle.lstrip("@").strip()
    return session.exec(select(User).where(func.lower(User.handle) == handle.lower())).first()


def by_identity(session: Session, platform: str, ref: str) -> User | None:
    """The active kam user behind a platform identity (a console 'identity' is the handle)."""
    column = PLATFORM_COLUMNS.get(platform)
    if column is None:
        user = by_handle(session, ref)
    else:
        user = session.exec(select(User).where(column == ref)).first()
    return user if user is not None and user.active else None


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


def holder_of(session: Session, platform: str, ref: str) -> User | None:
    """Whoever holds this Slack or WeCom id, active or not (None for other platforms)."""
    column = PLATFORM_COLUMNS.get(platform)
    if column is None:
        return None
    return session.exec(select(User).where(column == ref)).first()


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
