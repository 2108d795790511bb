"""The Chinese date rules: ``明天``, ``下周五``, ``3月5日``, ``月底``, ``下个月``, ``上午10点`` …
(see ``handlers.parsing.dates`` for what each means).
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from .date_rules import (
    _CN_NUM,
    _CN_SMALL,
    _CN_TIME,
    _CN_WEEK_SHIFT,
    _CN_WEEKDAYS,
    _NOT_COUNTED,
    _WEEK_REL,
    Rules,
    _cn_time,
    _Ctx,
    _Hit,
    _lean_month_part,
    _lean_week,
    _lean_year,
    _month_end,
    _month_part,
    _nearest_weekday,
    _pick_year,
    _quarter_end,
    _quarter_start,
    _this_week_due,
    _valid,
    _weekday_in_week,
    _weekend,
    _with_cn_time,
    _working_day,
)
from .spans import add_months
from .text import cn_to_int

RULES = Rules()


# --- Chinese rules ---------------------------------------------------------

_CN_REL_DAYS = {
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "昨日": -1,
    "今天": 0,
    "今日": 0,
    "明天": 1,
    "明日": 1,
    "后天": 2,
    "大后天": 3,
}


@RULES.add(r"(?P<rel>大前天|大后天|前天|昨天|昨日|今天|今日|明天|明日|后天)\s*" + _CN_TIME)
def _cn_relative_day(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    offset = _CN_REL_DAYS[m.group("rel")]
    return _with_cn_time(ctx.today + timedelta(days=offset), m, today_word=offset == 0)


_CN_EVENINGS = {
    "昨晚": (-1, 12, time(20)),
    "今晚": (0, 12, time(20)),
    "明晚": (1, 12, time(20)),
    "昨早": (-1, 0, time(9)),
    "今早": (0, 0, time(9)),
    "明早": (1, 0, time(9)),
    "今晨": (0, 0, time(9)),
    "明晨": (1, 0, time(9)),
}


@RULES.add(
    r"(?P<rel>昨晚|今晚|明晚|昨早|今早|明早|今晨|明晨)(?:上)?\s*"
    r"(?:(?P<th>" + _CN_SMALL + r")\s*[点时:]\s*"
    r"(?:(?P<half>半)|(?P<qtr>一刻|三刻)|(?P<tm>[0-9]{1,2}|[零〇一二三四五六七八九十]{1,3})\s*分?)?)?"
    r"(?P<tp>)"
)
def _cn_evening(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    offset, shift, default = _CN_EVENINGS[m.group("rel")]
    day = ctx.today + timedelta(days=offset)
    if m.group("th") is None:
        return _Hit(day=day, at=default)
    at = _cn_time(m, default_pm=shift)
    return None if at is None else _Hit(day=day, at=at)


@RULES.add(
    rf"{_NOT_COUNTED}(?P<wk>{_WEEK_REL})?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])\s*{_CN_TIME}"
)
def _cn_weekday(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    wd_text = m.group("wd")
    weekday = int(wd_text) - 1 if wd_text.isdigit() else _CN_WEEKDAYS[wd_text]
    if m.group("wk") is None:
        day = _nearest_weekday(weekday, ctx)
    else:
        shift = _CN_WEEK_SHIFT[m.group("wk")]
        day = _weekday_in_week(weekday, shift, ctx)
        if shift == 0:
            day = _lean_week(day, ctx)  # 本周五 said on a Sunday: the coming Friday
    return _with_cn_time(day, m)


@RULES.add(r"(?P<w>下|上)一?个?工作日" + _CN_TIME)
def _cn_working_day(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    return _with_cn_time(_working_day(ctx, after=m.group("w") == "下"), m)


@RULES.add(_NOT_COUNTED + r"(?P<wk>" + _WEEK_REL + r")?周末")
def _cn_weekend(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    if m.group("wk") is not None:
        return _Hit(day=_weekday_in_week(5, _CN_WEEK_SHIFT[m.group("wk")], ctx))
    return _Hit(day=_weekend(ctx))


_CN_UNIT_DAYS = {"天": 1, "日": 1, "周": 7, "星期": 7, "礼拜": 7}


@RULES.add(
    r"(?P<n>"
    + _CN_NUM
    + r"|半)\s*(?P<unit>个?小时|个?钟头|分钟|天|日|个?星期|个?礼拜|周|个月|个?季度|年)"
    r"(?P<dir>以后|之后|后|以前|之前|前|以内|之内|内)"
)
def _cn_offset(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    unit = m.group("unit")
    if unit != "个月":
        unit = unit.removeprefix("个")
    sign = -1 if m.group("dir").endswith("前") else 1
    if unit == "日" and sign < 0 and ctx.prefer == "future":
        return None  # "3日前" in a due date is "before the 3rd" (the day-of-month rule)
    half = m.group("n") == "半"
    n = 0 if half else cn_to_int(m.group("n"))
    if n is None or (not half and n == 0) or n > 1200:
        return None
    if unit in ("小时", "钟头", "分钟"):
        per = 1 if unit == "分钟" else 60
        minutes = per // 2 if half else per * n
        if not minutes:
            return None
        return _Hit(exact=ctx.now + sign * timedelta(minutes=minutes))
    if unit in _CN_UNIT_DAYS:
        per = _CN_UNIT_DAYS[unit]
        days = per // 2 if half else per * n
        if not days:
            return None
        return _Hit(day=ctx.today + sign * timedelta(days=days))
    if half and unit == "个月":
        return _Hit(day=ctx.today + sign * timedelta(days=15))
    per = {"个月": 1, "季度": 3, "年": 12}[unit]
    months = per // 2 if half else per * n
    return _Hit(day=add_months(ctx.today, sign * months))


_COUNTED = frozenset("次个天周年月倍遍回下份期批人家台套件")
_CN_YEAR_WORDS = {"今": 0, "本": 0, "明": 1, "去": -1, "后": 2}


def _cn_year(text: str) -> int | None:
    year = cn_to_int(text)
    if year is None:
        return None
    if year < 100:
        year += 2000
    return year if 1900 <= year <= 2200 else None


@RULES.add(
    r"(?:(?P<yw>今|明|去|后|本)年\s*|(?P<y>[0-9]{4}|[0-9]{2}|[零〇一二三四五六七八九]{2,4})\s*年\s*)?"
    r"(?P<mo>" + _CN_SMALL + r")\s*月\s*(?P<d>" + _CN_SMALL + r")\s*(?:日|号)?\s*" + _CN_TIME
)
def _cn_month_day(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    month, day = cn_to_int(m.group("mo")), cn_to_int(m.group("d"))
    if month is None or day is None:
        return None
    whole = m.group(0)
    if "日" not in whole and "号" not in whole and m.string[m.end() : m.end() + 1] in _COUNTED:
        return None  # "一月一次", "3月2个": a count, not March 2nd
    if m.group("yw"):
        found = _valid(ctx.today.year + _CN_YEAR_WORDS[m.group("yw")], month, day)
    elif m.group("y"):
        year = _cn_year(m.group("y"))
        found = None if year is None else _valid(year, month, day)
    else:
        found = _pick_year(month, day, ctx) if 1 <= month <= 12 and 1 <= day <= 31 else None
    return _with_cn_time(found, m)


_CN_MONTH_SHIFT = {
    "上个": -1,
    "上": -1,
    "这个": 0,
    "这": 0,
    "本": 0,
    "下个": 1,
    "下": 1,
    "": 0,
}


@RULES.add(
    r"(?P<rel>上个|下个|这个|上|下|本|这)月\s*(?P<d>" + _CN_SMALL + r")\s*(?:日|号)\s*" + _CN_TIME
)
def _cn_rel_month_day(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    first = add_months(ctx.today.replace(day=1), _CN_MONTH_SHIFT[m.group("rel")])
    day = cn_to_int(m.group("d"))
    found = None if day is None else _valid(first.year, first.month, day)
    return _with_cn_time(found, m)


# "3号" / "3日": not "3号楼", "3号线", "一日游"; "日" only after digits or a number with 十.
_NOT_A_DAY_AFTER = (
    r"(?!楼|线|门|厅|馆|位|机|车|房|仓|库|口|台|桌|院|柜|窗|码头|包|箱|店|铺|坑|工位|会议室"
    r"|种子|选手|文件|项目|产品|方案|电池|字|元|游|本|语|报|用|常|程|志|记|均|产|期|历|年化|化)"
)


@RULES.add(
    r"(?<![0-9零〇一二两三四五六七八九十个每第.月周/])"
    r"(?:(?P<d>"
    + _CN_SMALL
    + r")\s*号|(?P<d2>[0-9]{1,2}|[一二三]?十[一二三四五六七八九]?)\s*日)"
    + _NOT_A_DAY_AFTER
    + r"\s*"
    + _CN_TIME
)
def _cn_day_of_month(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    day = cn_to_int(m.group("d") or m.group("d2"))
    if day is None or not 1 <= day <= 31:
        return None
    today = ctx.today
    step = 1 if ctx.prefer == "future" else -1
    for k in range(13):
        month_start = add_months(today.replace(day=1), step * k)
        found = _valid(month_start.year, month_start.month, day)
        if found and (found >= today if step == 1 else found <= today):
            return _with_cn_time(found, m)
    return None


_CN_PARTS = {
    "底": "end",
    "末": "end",
    "初": "early",
    "上旬": "early",
    "中": "mid",
    "中旬": "mid",
    "下旬": "late",
}
_CN_PART_RE = r"(?P<which>底|末|初|上旬|中旬|中|下旬)(?![0-9一二三四五六七八九十])"


@RULES.add(
    r"(?:(?P<rel>上个|下个|这个|上|下|本|这)?月份?" + _CN_PART_RE + r"|(?P<bare>上旬|中旬|下旬))"
)
def _cn_month_part(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    part = _CN_PARTS[m.group("which") or m.group("bare")]
    rel = m.group("rel")
    if rel is None:
        return _Hit(day=_lean_month_part(part, ctx))  # 月底 said on the 31st looking back…
    first = add_months(ctx.today.replace(day=1), _CN_MONTH_SHIFT[rel])
    return _Hit(day=_month_part(first, part))


@RULES.add(
    r"(?:(?P<yw>今|明|去|后|本)年\s*|(?P<y>[0-9]{4})\s*年\s*)?"
    r"(?P<mo>" + _CN_SMALL + r")\s*月份?\s*" + _CN_PART_RE
)
def _cn_named_month_part(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    month = cn_to_int(m.group("mo"))
    if month is None or not 1 <= month <= 12:
        return None
    part = _CN_PARTS[m.group("which")]
    if m.group("yw"):
        return _Hit(
            day=_month_part(date(ctx.today.year + _CN_YEAR_WORDS[m.group("yw")], month, 1), part)
        )
    if m.group("y"):
        return _Hit(day=_month_part(date(int(m.group("y")), month, 1), part))
    return _Hit(day=_lean_year(lambda year: _month_part(date(year, month, 1), part), ctx))


_CN_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@RULES.add(
    r"(?<![a-z0-9])(?:(?P<yw>今|明|去|本)年\s*|(?P<y>[0-9]{4})\s*年?\s*)?"
    r"(?:q(?P<q>[1-4])|第?(?P<qc>[一二三四1-4])季度?)\s*(?P<which>末|底|结束|初)"
)
def _cn_numbered_quarter(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    quarter = _CN_QUARTER[m.group("q") or m.group("qc")]

    def make(year: int) -> date:
        end = _quarter_end(year, quarter)
        return end.replace(day=1, month=end.month - 2) if m.group("which") == "初" else end

    if m.group("yw"):
        return _Hit(day=make(ctx.today.year + _CN_YEAR_WORDS[m.group("yw")]))
    if m.group("y"):
        return _Hit(day=make(int(m.group("y"))))
    return _Hit(day=_lean_year(make, ctx))


@RULES.add(
    r"(?P<rel>本|这个|这|下个|下)(?:周|星期|礼拜)(?P<within>内(?!部|容|存|涵|外)|之内|以内)?"
    r"(?![一二三四五六日天1-7末])"
)
def _cn_this_week(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    if m.group("rel").startswith("下"):
        if not m.group("within"):
            return None  # 下周 alone: a week from today (_cn_rel_period)
        return _Hit(day=_weekday_in_week(4, 1, ctx))
    return _this_week_due(ctx)


@RULES.add(
    r"(?<![0-9零〇一二两三四五六七八九十百个每几多半])"
    r"(?:(?P<rel>本|这个|这)?月|(?P<year>今|本)?年)(?:内(?!部|容|存|涵|外)|之内|以内)"
)
def _cn_within(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    if m.group(0).startswith(("本年", "今年", "年")) and "月" not in m.group(0):
        return _Hit(day=date(ctx.today.year, 12, 31))
    return _Hit(day=_month_end(ctx.today))


@RULES.add(r"(?P<rel>今|明|去|本)?年(?P<which>底|末|初|中)")
def _cn_year_part(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    year = ctx.today.year + {"明": 1, "去": -1}.get(m.group("rel") or "", 0)
    which = m.group("which")
    if which in "底末":
        return _Hit(day=date(year, 12, 31))
    return _Hit(day=date(year, 1, 1) if which == "初" else date(year, 6, 30))


@RULES.add(r"(?P<rel>上个|下个|这个|上|下|本|这)?季(?:度)?(?P<which>末|底|初)")
def _cn_quarter_part(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    shift = _CN_MONTH_SHIFT[m.group("rel") or ""]
    start = _quarter_start(ctx.today, shift)
    if m.group("which") == "初":
        return _Hit(day=start)
    return _Hit(day=_month_end(add_months(start, 2)))


_CN_REL_PERIODS = {
    "下个月": (0, 1),
    "下月": (0, 1),
    "上个月": (0, -1),
    "上月": (0, -1),
    "下周": (7, 0),
    "下个星期": (7, 0),
    "下星期": (7, 0),
    "下个礼拜": (7, 0),
    "下礼拜": (7, 0),
    "上周": (-7, 0),
    "上个星期": (-7, 0),
    "上星期": (-7, 0),
    "上个礼拜": (-7, 0),
    "上礼拜": (-7, 0),
    "明年": (0, 12),
    "去年": (0, -12),
}


@RULES.add(
    r"(?P<rel>下个月|下月|上个月|上月|下个星期|下星期|下个礼拜|下礼拜|下周|上个星期|上星期|"
    r"上个礼拜|上礼拜|上周|明年|去年)"
)
def _cn_rel_period(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    days, months = _CN_REL_PERIODS[m.group("rel")]
    return _Hit(day=add_months(ctx.today, months) + timedelta(days=days))


@RULES.add(r"(?=\S)" + _CN_TIME + r"(?P<clock>钟|(?=\s*(?:之前|以前|前)))?")
def _cn_time_only(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    # A clock time on its own needs a part of the day (下午3点), a colon (15:30) or
    # a "前"/"钟" after it: "一点" alone is "a little", "3点" may be "three points".
    text = m.group(0)
    if not (m.group("tp") or ":" in text or m.group("clock") is not None):
        return None
    at = _cn_time(m)
    return None if at is None else _Hit(day=ctx.today, at=at)
