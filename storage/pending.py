"""Questions kam asked instead of guessing (``pending_question`` rows).

``ask`` keeps a question (in its own small transaction: the command that raised it
wrote nothing).  ``latest`` finds the asker's most recent question where they are;
``claim`` takes it for one answer: ``UPDATE … SET answered_at WHERE id = ? AND
answered_at IS NULL AND expires_at > now``, run in the transaction that then runs the
chosen message, so a second click or a reply delivered twice finds nothing to claim —
on PostgreSQL the second UPDATE waits for the first transaction and then sees the row
taken; on SQLite the write lock (``BEGIN IMMEDIATE``) orders them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from domain.models import PendingQuestion


def ask(
    session: Session,
    *,
    user_id: int,
    platform: str,
    channel: str | None,
    question: str,
    choices: list[tuple[str, str]],
    now: datetime,
    minutes: int,
) -> PendingQuestion:
    """Keep a question with its choices (label, text); it expires after ``minutes``."""
    row = PendingQuestion(
        user_id=user_id,
        platform=platform,
        channel=channel,
        question=question[:1000],
        choices=[{"label": label, "text": text} for label, text in choices],
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    session.add(row)
    session.flush()
    return row


def latest(
    session: Session, *, user_id: int, platform: str, channel: str | None, since: datetime
) -> PendingQuestion | None:
    """The asker's most recent question on ``platform`` (in ``channel`` where there is
    one) asked since ``since``, answered or not."""
    stmt = select(PendingQuestion).where(
        PendingQuestion.user_id == user_id,
        PendingQuestion.platform == platform,
        PendingQuestion.created_at >= since,
    )
    if channel is not None:
        stmt = stmt.where(PendingQuestion.channel == channel)
    stmt = stmt.order_by(PendingQuestion.created_at.desc(), PendingQuestion.id.desc()).limit(1)
    return session.exec(stmt).first()


def claim(session: Session, question_id: int, *, answer: int, now: datetime) -> bool:
    """Take the question for this answer; False when it is answered or expired already."""
    taken = session.execute(
        update(PendingQuestion)
        .where(
            PendingQuestion.id == question_id,
            PendingQuestion.answered_at.is_(None),
            PendingQuestion.expires_at > now,
        )
        .values(answered_at=now, answer=answer)
        .returning(PendingQuestion.id)
    ).first()
    return taken is not None
