"""Holidays and festivals as date phrases: ``春节前``, ``国庆后``, ``中秋``, ``before CNY``,
``after National Day`` … (rules for ``handlers.parsing.dates``).

Which day each one is
---------------------
* Fixed: 元旦 / New Year('s Day) = Jan 1; 五一 / 劳动节 / Labo(u)r Day / May Day = May 1
  (the Chinese holiday, not the American September one); 国庆 / National Day = Oct 1;
  圣诞 / Christmas = Dec 25.
* Lunar (through ``lunardate``): 春节 / 过年 / Chinese (Lunar) New Year / Spring Festival /
  CNY = 正月初一; 除夕 / 大年三十 = the day before it; 元宵 / Lantern Festival = 正月十五;
  端午 / Dragon Boat = 五月初五; 中秋 / Mid-Autumn = 八月十五.
* 清明 / Qingming = the solar term, April 4 or 5, computed with the usual 21st-century
  formula (checked against the almanac for 2024–2035).
* ``X前`` / ``before X`` = the day before X.  ``X后`` / ``after X`` = the first working
  day after X's public holiday: 春节 → 正月初八 (the break is 除夕/初一 to 初七), 五一 →
  May 6 (the break is May 1–5), 国庆 → Oct 8 (Oct 1–7), the others the day after.
  ``by X`` / ``X`` = the day itself.
* The next occurrence (today included) for ``prefer="future"``, the last one (today
  included) for ``"past"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from lunardate import LunarDate

from .date_rules import Rules, _Ctx, _Hit

RULES = Rules()


def _lunar(month: int, day: int) -> Callable[[int], date]:
    def on(year: int) -> date:
        return LunarDate(year, month, day).to_solar_date()

    return on


def _fixed(month: int, day: int) -> Callable[[int], date]:
    return lambda year: date(year, month, day)


def qingming(year: int) -> date:
    """The Qingming solar term: April 4 or 5 (formula valid 2000–2099)."""
    y = year % 100
    return date(year, 4, int(y * 0.2422 + 4.81) - y // 4)


def _eve(year: int) -> date:
    return LunarDate(year, 1, 1).to_solar_date() - timedelta(days=1)


# key -> (the day in a year, days from the day to the first working day after it)
_FESTIVALS: dict[str, tuple[Callable[[int], date], int]] = {
    "new_year": (_fixed(1, 1), 1),
    "spring": (_lunar(1, 1), 7),
    "eve": (_eve, 8),
    "lantern": (_lunar(1, 15), 1),
    "qingming": (qingming, 1),
    "labour": (_fixed(5, 1), 5),
    "dragon": (_lunar(5, 5), 1),
    "mid_autumn": (_lunar(8, 15), 1),
    "national": (_fixed(10, 1), 7),
    "christmas": (_fixed(12, 25), 1),
}

_CN_NAMES = {
    "元旦": "new_year",
    "春节": "spring",
    "过年": "spring",
    "大年初一": "spring",
    "农历新年": "spring",
    "除夕": "eve",
    "大年三十": "eve",
    "元宵": "lantern",
    "清明": "qingming",
    "五一": "labour",
    "劳动节": "labour",
    "端午": "dragon",
    "中秋": "mid_autumn",
    "国庆": "national",
    "十一长假": "national",
    "十一假期": "national",
    "十一黄金周": "national",
    "圣诞": "christmas",
}
_EN_NAMES = [
    (r"(?:chinese|lunar)\s+new\s+year|spring\s+festival|cny", "spring"),
    # "New Year" capitalised, or "new year's (day)": not "plan for the new year"
    (r"(?-i:New\s+Year|NEW\s+YEAR)(?:'?s)?(?:\s+day)?|new\s+year'?s(?:\s+day)?", "new_year"),
    (r"lantern\s+festival", "lantern"),
    (r"qingming(?:\s+festival)?|tomb[\s-]sweeping\s+day", "qingming"),
    (r"labou?r\s+day|may\s+day", "labour"),
    (r"dragon\s+boat(?:\s+festival)?", "dragon"),
    (r"mid[\s-]autumn(?:\s+festival)?|moon\s+festival", "mid_autumn"),
    (r"national\s+day", "national"),
    (r"christmas|xmas", "christmas"),
]


def festival_day(key: str, year: int, *, side: str = "on") -> date | None:
    """The day of festival ``key`` in ``year``; ``side`` "before" / "after" (see module doc)."""
    on, after = _FESTIVALS[key]
    try:
        day = on(year)
    except ValueError:
        return None
    if side == "before":
        return day - timedelta(days=1)
    if side == "after":
        return day + timedelta(days=after)
    return day


def _resolve(key: str, side: str, ctx: _Ctx) -> _Hit | None:
    today = ctx.today
    days = [festival_day(key, y, side=side) for y in (today.year - 1, today.year, today.year + 1)]
    found = [d for d in days if d is not None]
    if ctx.prefer == "future":
        ahead = [d for d in found if d >= today]
        return _Hit(day=min(ahead)) if ahead else None
    behind = [d for d in found if d <= today]
    return _Hit(day=max(behind)) if behind else None


_CN_BEFORE = ("前", "之前", "以前", "前夕")
# 清明 is also a given name (张清明): not after a common surname.
_SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"


@RULES.add(
    r"(?<![一二三四五六七八九十第0-9" + _SURNAMES + r"])"
    r"(?P<name>" + "|".join(sorted(_CN_NAMES, key=len, reverse=True)) + r")"
    r"(?!路|街|大街|大道|广场|村|小区|桥|[东西南北中]路|商场|中学|小学)节?"
    r"(?:假期|长假|小长假|黄金周|假)?"
    r"(?P<side>之前|以前|前夕|前|之后|以后|过后|后|节后)?"
)
def _cn_festival(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    side_text = m.group("side")
    side = "on" if not side_text else "before" if side_text in _CN_BEFORE else "after"
    return _resolve(_CN_NAMES[m.group("name")], side, ctx)


_EN_ALT = "|".join(f"(?P<{key}>{pattern})" for pattern, key in _EN_NAMES)


@RULES.add(
    r"(?<![a-z0-9])(?:(?P<side>before|after|post|pre)[\s-]+(?:the\s+)?)?(?:" + _EN_ALT + r")"
    r"(?:\s+(?:holidays?|break|festival))?(?![a-z0-9])"
)
def _en_festival(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    key = next(k for _, k in _EN_NAMES if m.group(k))
    side = {"before": "before", "pre": "before", "after": "after", "post": "after"}.get(
        (m.group("side") or "").lower(), "on"
    )
    return _resolve(key, side, ctx)
