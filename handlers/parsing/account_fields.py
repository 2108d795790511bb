"""The words that name an account's editable fields, in English and Chinese: what
``/account Acme set …`` (``handlers.commands.account.edit``) reads, and what tells the
dispatcher that ``/account Acme payment days 45`` edits the account rather than logs a
payment (``first_field_word``).

A Latin word matches as a whole word, its parts joined by any spaces or hyphens
(``cross-sell``, ``cross sell``); a Chinese one anywhere (``华夏重工设置行业制造``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from handlers.parsing.text import fold

SET_WORDS = ("set", "设置", "修改", "更改", "更新", "update", "edit", "change")


@dataclass(frozen=True)
class FieldWords:
    code: str  # the Account column (aliases: the alias rows; reason: status_reason)
    kind: str  # text | aliases | status | reason | money | percent | days | score | years | bool | elsewhere
    words: tuple[str, ...]  # lower case; Latin ones match whole words


FIELDS = (
    FieldWords("name", "text", ("name", "rename", "名称", "名字", "改名", "更名", "客户名称")),
    FieldWords("aliases", "aliases", ("alias", "aliases", "aka", "别名", "简称")),
    FieldWords("industry", "text", ("industry", "sector", "行业")),
    FieldWords("region", "text", ("region", "area", "territory", "区域", "地区", "大区", "地域")),
    FieldWords("status", "status", ("status", "状态")),
    FieldWords("reason", "reason", ("reason", "because", "原因", "理由", "因为")),
    FieldWords(
        "annual_revenue",
        "money",
        (
            *("annual revenue", "revenue", "annual sales", "turnover"),
            *("年收入", "年营收", "营收", "收入", "年销售额", "销售额"),
        ),
    ),
    FieldWords("margin_pct", "percent", ("margin", "gross margin", "毛利率", "毛利")),
    FieldWords(
        "payment_days",
        "days",
        ("payment days", "payment terms", "days to pay", "dso", "回款天数", "账期", "回款周期"),
    ),
    FieldWords(
        "growth_pct", "percent", ("growth", "growth rate", "增长率", "增速", "预期增长", "增长")
    ),
    FieldWords("cross_sell", "score", ("cross-sell", "cross sell", "cross-selling", "交叉销售")),
    FieldWords(
        "reference_value", "score", ("reference value", "reference", "参考价值", "标杆价值")
    ),
    FieldWords("brand_value", "score", ("brand value", "brand", "品牌价值")),
    FieldWords("innovation_value", "score", ("innovation value", "innovation", "创新价值")),
    FieldWords(
        "years_together",
        "years",
        ("years together", "years", "partnership years", "合作年限", "合作年数", "合作年份"),
    ),
    FieldWords(
        "executive_contact",
        "bool",
        (
            *("executive contact", "exec contact", "executive access", "executive"),
            *("高层联系", "高层关系", "高层接触"),
        ),
    ),
    FieldWords(
        "payment_record", "score", ("payment record", "payment history", "回款记录", "付款记录")
    ),
    FieldWords(
        "owner", "elsewhere", ("owner", "owned by", "account owner", "负责人", "归属", "所有者")
    ),
    FieldWords("team", "elsewhere", ("team", "团队")),
    FieldWords("tier", "elsewhere", ("tier", "分级", "等级", "级别")),
    FieldWords("satisfaction", "elsewhere", ("satisfaction", "csat", "满意度")),
)
BY_CODE = {f.code: f for f in FIELDS}
FACTORS = tuple(
    f.code for f in FIELDS if f.kind in {"money", "percent", "days", "score", "years", "bool"}
)

# ``add alias X`` / ``加别名X``: a field word with the alias operation before it
ALIAS_VERBS = {
    "add": ("add alias", "add aliases", "加别名", "添加别名", "增加别名", "新增别名"),
    "remove": (
        *("remove alias", "remove aliases", "delete alias", "drop alias"),
        *("删别名", "删除别名", "去掉别名", "移除别名"),
    ),
}


def _word_pattern(word: str) -> str:
    parts = [re.escape(p) for p in re.split(r"[\s-]+", word)]
    body = r"[\s_-]*".join(parts)
    return rf"(?<![a-z0-9]){body}(?![a-z0-9])" if word.isascii() else body


@cache
def keywords() -> tuple[re.Pattern[str], dict[str, tuple[str, str | None]]]:
    """One pattern for every field word (longest first) and what each word stands for:
    ``word → (field code, alias operation or None)``."""
    meaning: dict[str, tuple[str, str | None]] = {}
    for f in FIELDS:
        for word in f.words:
            meaning[word] = (f.code, None)
    for op, words in ALIAS_VERBS.items():
        for word in words:
            meaning[word] = ("aliases", op)
    ordered = sorted(meaning, key=len, reverse=True)
    pattern = re.compile("|".join(f"(?P<w{i}>{_word_pattern(w)})" for i, w in enumerate(ordered)))
    return pattern, {f"w{i}": meaning[w] for i, w in enumerate(ordered)}


@cache
def detector() -> re.Pattern[str]:
    """Any set word or field word anywhere: ``mentions_set``'s one search."""
    words = sorted({*SET_WORDS, *(w for f in FIELDS for w in f.words)}, key=len, reverse=True)
    words += [w for ws in ALIAS_VERBS.values() for w in ws]
    return re.compile("|".join(_word_pattern(w) for w in words))


def lower(text: str) -> str:
    """Lower case with every character in its place (offsets into ``text`` still hold)."""
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def first_field_word(text: str) -> int | None:
    """Where the first set or field word in ``text`` starts (None: there is none).
    What follows it is an edit's values, not a story: ``/account Acme payment days 45``
    is no payment, ``/客户 华夏重工 状态 流失 原因 拜访后发现…`` no visit."""
    found = detector().search(lower(fold(text)))
    return found.start() if found else None


def starts_with_set_word(text: str) -> bool:
    """``set industry …``, ``Set …``, ``设置行业…``: ``text`` begins with a set word."""
    low = lower(fold(text)).strip()
    return any(
        low.startswith(word) and (not word.isascii() or low[len(word) : len(word) + 1] in ("", " "))
        for word in SET_WORDS
    )
