"""Looking people up: by handle, by chat identity, and who manages whom."""

from __future__ import annotations

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
