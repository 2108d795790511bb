"""One plain value as people write it — a number, a whole number, yes or no — read the same
way in chat (``/account Acme set margin 22%``) and in an import file's cell
(``handlers.csvimport.cells``).  Each reader returns None for text that is not such a
value; the caller words the refusal for its reader.

    read_number   ``22``, ``22.5%``, ``-5%``, ``1,200``, ``百分之22``
    read_whole    ``45``, ``1,200``, ``45.0``, ``四十五``; a unit after it is the caller's
    read_bool     true/false, yes/no, y/n, 1/0, 是/否, 有/无
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from handlers.parsing.text import cn_to_int

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "t", "是", "有", "对"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "f", "否", "无", "没有", "不是"})

_PERCENT = re.compile(r"^\s*(?:百分之\s*)?(?P<num>[-+−]?\s*(?:\d[\d,]*)?\.?\d+)\s*%?\s*$")


def read_number(text: str) -> float | None:
    """``22``, ``22.5%``, ``-5 %``, ``+10``, ``1,200``, ``百分之22``: the number (a percent
    sign or 百分之 only says what it is); None if it is not one."""
    m = _PERCENT.match(text.replace("％", "%"))
    if m is None:
        cn = cn_to_int(text.strip().removeprefix("百分之"))
        return float(cn) if cn is not None else None
    raw = m["num"].replace(",", "").replace(" ", "").replace("−", "-")
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_whole(text: str) -> int | None:
    """``45``, ``1,200``, ``45.0``, ``四十五``: a whole number; None if it is not one
    (``4.5`` is not)."""
    raw = text.strip().replace(",", "")
    try:
        found = Decimal(raw)
    except InvalidOperation:
        return cn_to_int(raw)
    if not found.is_finite() or found != found.to_integral_value():
        return None
    return int(found)


def read_bool(text: str) -> bool | None:
    """yes / no in English or Chinese; None if it is neither."""
    low = text.strip().lower()
    if low in TRUE_WORDS:
        return True
    if low in FALSE_WORDS:
        return False
    return None
