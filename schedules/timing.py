"""When a recipient is due: their local slot time, a grace window, quiet hours, weekends.

The scheduler ticks every few minutes; at each tick a job asks, for every recipient,
whether *their* local clock has reached the job's slot today (09:00 in Shanghai and
09:00 in New York are thirteen hours apart).  A recipient is due while their local
time lies in ``[slot, slot + grace)`` on a day the job runs, outside quiet hours.  The
answer is the *period* the message belongs to — the local date of the slot, or the
ISO week for the weekly job — which goes into the delivery key, so the many ticks
inside one window send the message once.

A bot that was down at 09:00 and back at 11:00 is still inside the window: its first
tick sends what was missed, once.  Back after the window (the next day, say), it sends
that day's messages only — not one per missed day.

Which days are working days is the recipient's country's calendar
(``domain.workdays``: China's holidays and make-up working days, other countries'
public holidays), chosen by ``work_calendar``; without one, Monday to Friday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.policy import Policy, ScheduleConfig
from domain.workdays import WorkCalendar, calendar_for, country_of_zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Slot:
    """A job's time of day; ``weekday`` (0 = Monday) for a weekly job.

    ``weekdays_only`` skips days off (weekends and holidays, but not a make-up
    working Saturday) whatever ``skip_weekends`` says (the risk digest goes out on
    working days by definition).
    """

    at: time
    weekday: int | None = None
    weekdays_only: bool = False

    @property
    def weekly(self) -> bool:
        return self.weekday is not None


def zone(name: str | None, settings: Policy) -> ZoneInfo:
    """The named time zone, or kam's default for a name that is missing or unknown."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return settings.tz


def in_quiet_hours(moment: time, start: time, end: time) -> bool:
    """Whether a local time lies in ``[start, end)``, a range that may wrap midnight."""
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def work_calendar(settings: Policy, tz: ZoneInfo, team: str | None = None) -> WorkCalendar:
    """The working calendar of someone in ``tz`` (of ``team``): the team's country if
    ``[calendar] teams`` names one, else ``[calendar] country``, else the time zone's."""
    cfg = settings.calendar
    country = cfg.teams.get(team) if team else None
    if country is None:
        country = cfg.country if cfg.country is not None else country_of_zone(tz.key)
    return calendar_for(country)


def is_working_day(day: date, calendar: WorkCalendar | None) -> bool:
    return calendar.is_working_day(day) if calendar is not None else day.weekday() < 5


def runs_on(
    day: date, slot: Slot, cfg: ScheduleConfig, calendar: WorkCalendar | None = None
) -> bool:
    if slot.weekly:
        return day.weekday() == slot.weekday
    if cfg.skip_weekends or slot.weekdays_only:
        return is_working_day(day, calendar)
    return True


def due_day(
    now: datetime,
    tz: ZoneInfo,
    slot: Slot,
    cfg: ScheduleConfig,
    calendar: WorkCalendar | None = None,
) -> date | None:
    """The local date whose slot is due at ``now`` in ``tz``, or None.

    Checks today's slot and yesterday's (a late slot's window may run past midnight).
    """
    local = now.astimezone(tz)
    if in_quiet_hours(local.time(), cfg.quiet_start, cfg.quiet_end):
        return None
    grace = timedelta(hours=cfg.misfire_grace_hours)
    for day in (local.date(), local.date() - timedelta(days=1)):
        start = datetime.combine(day, slot.at, tz)
        if start <= local < start + grace and runs_on(day, slot, cfg, calendar):
            return day
    return None


def period_of(day: date, slot: Slot) -> str:
    """The ledger period: ``2026-11-18`` for a daily slot, ``2026-W47`` for a weekly one."""
    if slot.weekly:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


def next_slot(
    now: datetime,
    tz: ZoneInfo,
    slot: Slot,
    cfg: ScheduleConfig,
    calendar: WorkCalendar | None = None,
) -> datetime:
    """The next start of the slot after ``now`` in ``tz`` (for ``kam jobs list``)."""
    local = now.astimezone(tz)
    day = local.date()
    for _ in range(45):  # past the longest holiday (春节, 国庆: 8 days)
        start = datetime.combine(day, slot.at, tz)
        if start > local and runs_on(day, slot, cfg, calendar):
            return start
        day += timedelta(days=1)
    raise AssertionError("unreachable: every slot runs at least once in 45 days")


def working_days_from(
    day: date, cfg: ScheduleConfig, calendar: WorkCalendar | None = None
) -> list[date]:
    """``day`` and the days after it up to the next day a daily job runs.

    On a Friday with weekends skipped: Friday, Saturday and Sunday — what happens on
    the weekend has to be announced on Friday; on the eve of 国庆, the whole holiday.
    """
    days = [day]
    nxt = day + timedelta(days=1)
    while cfg.skip_weekends and not is_working_day(nxt, calendar) and len(days) < 45:
        days.append(nxt)
        nxt += timedelta(days=1)
    return days


def next_quarter_start(
    now: datetime,
    tz: ZoneInfo,
    slot: Slot,
    cfg: ScheduleConfig,
    calendar: WorkCalendar | None = None,
) -> datetime:
    """The slot on the first working day of the next quarter (or of this one, if ahead)."""
    local = now.astimezone(tz)
    year, month = local.year, (local.month - 1) // 3 * 3 + 1
    for _ in range(2):
        day = datetime(year, month, 1, slot.at.hour, slot.at.minute, tzinfo=tz)
        while not runs_on(day.date(), slot, cfg, calendar):
            day += timedelta(days=1)
        if day > local:
            return day
        year, month = (year + 1, 1) if month == 10 else (year, month + 3)
    raise AssertionError("unreachable: the next quarter starts after now")
