"""A push's view while building: who is due, and which delivery keys are still open.

A push (``schedules.jobs.lapse`` and its siblings) gets one ``Plan`` in one read-only
transaction: it asks ``due_users()`` whose local slot has come (``schedules.timing``),
``user_keys()`` for their keys still open in the ledger, and words one ``Outbound``
message per open key.  Only what it returns is delivered (``schedules.registry.run``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlmodel import Session

from domain.models import User
from domain.policy import Policy
from domain.workdays import WorkCalendar
from handlers.i18n import Catalog
from handlers.notify import Recipient, user_recipient
from schedules.delivery import ledger_name
from schedules.timing import Slot, due_day, period_of, work_calendar, zone
from storage import ledger, queries
from storage.clock import db_now
from storage.ledger import DeliveryKey
from storage.queries import People

MAX_LINES = 50
"""Accounts or steps listed in one pushed message; ``/mine`` lists the rest."""
MAX_BUTTONS = 20

_ = Catalog("schedules.plan")


def more_mine(lang: str, n: int) -> str:
    """The line after ``MAX_LINES``: how many more, and where to see them."""
    return _("more_mine", lang, n=n)


class Plan:
    """A job's view while building: who is due, and which keys are still open."""

    def __init__(
        self,
        session: Session,
        settings: Policy,
        now: datetime,
        slot: Slot,
        on_demand: bool,
        *,
        job: str,
    ) -> None:
        self.session = session
        self.settings = settings
        self.now = now
        self.slot = slot
        self.on_demand = on_demand
        self.job = job
        self.due_count = 0

    @cached_property
    def people(self) -> People:
        return queries.people(self.session)

    def tz(self, user: User | None) -> ZoneInfo:
        return zone(user.timezone if user else None, self.settings)

    def calendar(self, tz: ZoneInfo, team: str | None = None) -> WorkCalendar:
        """The working days of someone in ``tz`` (of ``team``): ``timing.work_calendar``."""
        return work_calendar(self.settings, tz, team)

    def due(self, tz: ZoneInfo, team: str | None = None) -> date | None:
        """The local day whose slot is due for someone in ``tz`` (of ``team``), or None."""
        if self.on_demand:
            return self.now.astimezone(tz).date()
        calendar = self.calendar(tz, team)
        return due_day(self.now, tz, self.slot, self.settings.schedule, calendar)

    def team_name(self, user: User) -> str | None:
        team = self.people.teams.get(user.team_id) if user.team_id is not None else None
        return team.name if team is not None else None

    def due_for(self, user: User) -> date | None:
        """The local day whose slot is due for ``user``, or None."""
        return self.due(self.tz(user), self.team_name(user))

    def period(self, day: date) -> str:
        return period_of(day, self.slot)

    def key(self, recipient: Recipient, subject: str, day: date) -> DeliveryKey:
        """The ledger key of this job's message to ``recipient`` for ``day``'s period."""
        return DeliveryKey(self.job, ledger_name(recipient), subject, self.period(day))

    def due_users(self) -> dict[int, date]:
        """Every active user whose slot is due, with their local day."""
        out = {}
        for user in self.people.users.values():
            day = self.due_for(user)
            if day is not None:
                out[user.id] = day
        return out

    def open(self, keys) -> set[DeliveryKey]:
        """The keys not yet settled in the ledger (nothing else is worth building)."""
        cfg = self.settings.schedule
        found = ledger.claimable(
            self.session,
            keys,
            now=db_now(self.session),  # claims are judged by the database's clock
            stale_after=timedelta(minutes=cfg.claim_timeout_minutes),
            max_attempts=cfg.max_attempts,
        )
        self.due_count += len(found)
        return found

    def user_keys(
        self, subject: str, due: dict[int, date]
    ) -> dict[int, tuple[DeliveryKey, Recipient]]:
        """One key per due user, keeping only the keys still open."""
        candidates = {}
        for user_id, day in due.items():
            recipient = user_recipient(
                self.people.users[user_id], self.people.identities.get(user_id, {})
            )
            candidates[user_id] = (self.key(recipient, subject, day), recipient)
        still_open = self.open(k for k, _ in candidates.values())
        return {u: kr for u, kr in candidates.items() if kr[0] in still_open}
