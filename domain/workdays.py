"""Working days: weekends, public holidays and China's make-up working days (调休).

A country's calendar decides when "weekdays" pushes go out, which day is the first
working day of a quarter and what "next working day" (下个工作日) means.

* **China** (``CN``) comes from ``chinese_calendar``, which carries the State Council's
  published holidays *and* the weekend days worked in exchange (2026-10-10, a
  Saturday, is a working day; 2026-10-01, a Thursday, is not).  A year it does not
  cover yet (the data arrive each November or December, when the State Council
  publishes the next year's arrangement) falls back to the rule-based public holidays
  of ``holidays`` — 元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆 for any year, without
  the make-up days — and says so once per year through ``on_fallback``.
* **Any other country** comes from ``holidays`` (``US``, ``DE``, ``SG``…): weekends
  and its public holidays.
* **No country** (``""``): Monday to Friday, no holidays.

``country_of_zone`` names the country of an IANA time zone (``Asia/Shanghai`` → CN),
the default when the configuration names none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache
from importlib import resources

log = logging.getLogger(__name__)

MAX_SCAN_DAYS = 40
"""No calendar has 40 days off in a row (China's longest holiday is 8 days)."""


class WorkCalendar:
    """Which days are working days in one country."""

    def __init__(
        self, country: str = "", *, on_fallback: Callable[[str, int], None] | None = None
    ) -> None:
        self.country = country.upper()
        self._on_fallback = on_fallback or _warn_fallback
        self._public: dict[int, frozenset[date]] = {}
        self._fallback_years: set[int] = set()

    def __repr__(self) -> str:
        return f"WorkCalendar({self.country!r})"

    def is_working_day(self, day: date) -> bool:
        if self.country == "CN":
            exact = _china_exact(day)
            if exact is not None:
                return exact
            self._fell_back(day.year)
        return day.weekday() < 5 and day not in self._holidays(day.year)

    def is_holiday(self, day: date) -> bool:
        """A weekday that is not worked (a public holiday), or a weekend day not made up."""
        return not self.is_working_day(day)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return self.working_day_on_or_after(day + timedelta(days=1))

    def working_day_on_or_after(self, day: date) -> date:
        for offset in range(MAX_SCAN_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise AssertionError(f"no working day in the {MAX_SCAN_DAYS} days from {day}")

    def exact_for(self, year: int) -> bool:
        """Whether ``year`` is known with its make-up days, not from the rules alone."""
        if self.country != "CN":
            return True
        return _china_exact(date(year, 6, 1)) is not None

    def _holidays(self, year: int) -> frozenset[date]:
        found = self._public.get(year)
        if found is None:
            found = self._public[year] = _public_holidays(self.country, year)
        return found

    def _fell_back(self, year: int) -> None:
        if year not in self._fallback_years:
            self._fallback_years.add(year)
            self._on_fallback(self.country, year)


def _warn_fallback(country: str, year: int) -> None:
    log.warning(
        "working calendar: no published %s holiday arrangement for %s yet (chinese_calendar "
        "covers it once the State Council publishes it); using the public holidays by rule, "
        "without make-up working days — upgrade chinesecalendar when it is out",
        country,
        year,
    )


def _china_exact(day: date) -> bool | None:
    """chinese_calendar's answer, or None for a year it does not cover."""
    import chinese_calendar  # imported on first use: it loads every year's table

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@cache
def _public_holidays(country: str, year: int) -> frozenset[date]:
    if not country:
        return frozenset()
    import holidays  # imported on first use: it is large

    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:
        log.warning("working calendar: no public holidays known for country %r", country)
        return frozenset()


@cache
def country_of_zone(zone: str) -> str:
    """The ISO country code of an IANA time zone (``Asia/Shanghai`` → ``CN``), or ""
    for a zone of no one country (``UTC``), from the tz database's ``zone.tab``."""
    return _zone_countries().get(zone, "")


@cache
def _zone_countries() -> dict[str, str]:
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        try:
            with open("/usr/share/zoneinfo/zone.tab", encoding="utf-8") as f:
                text = f.read()
        except OSError:
            return {"Asia/Shanghai": "CN", "Asia/Chongqing": "CN", "Asia/Hong_Kong": "HK"}
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                out[parts[2]] = parts[0]
    out.setdefault("Asia/Chongqing", "CN")  # links to Asia/Shanghai, not in zone.tab
    out.setdefault("PRC", "CN")
    return out


@cache
def calendar_for(country: str) -> WorkCalendar:
    """One shared calendar per country (its year tables are cached inside)."""
    return WorkCalendar(country)
