"""Write ``messages.jsonl``: realistic messages about the demo book, with what a sales
team would expect kam to write for each (see ``runner.py`` for the record format).

    PYTHONPATH=. python -m tests.corpus.generate        # rewrites messages.jsonl

Messages are built the way reps vary what they type — the command word anywhere or
nowhere, typos, homophones, no spaces in Chinese, honorifics, several next steps —
over the demo book's real accounts, contacts, deals and owners (a rep writes about
their own accounts), with a fixed seed, then the hand-written cases that must ask or
be refused.  Expected dates are worked out here by hand from each message's clock,
never by kam's parsers: the corpus is the yardstick, not a copy of today's behaviour.

Conventions the expectations follow: weeks run Monday to Sunday; a due date ``by X`` /
``X前`` is X itself for a day (``周五前`` = Friday) and the day before for a holiday
(``春节前`` = 除夕, ``国庆前`` = Sep 30: nobody delivers on the holiday); ``this/这周/本周 +
weekday`` and ``EOW`` said after that day mean the coming one; a contact named by
surname and title (王总, 李经理, Dr. Harris, Mr. Lewis) is the rep's one contact who
fits; where two readings are equally right, ``command`` lists both (e.g.
``["ask", "account"]``).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "messages.jsonl"
ZH_NAMES = {"wang": "王磊", "li": "李强", "zhou": "周婷"}

# --- clocks -------------------------------------------------------------------------
# SUN: the default (runner.NOW), Sunday 2026-12-06 15:00 Asia/Shanghai.
SUN = None
SUN_NY = "2026-12-06T10:00:00-05:00"  # carol lives in New York: her Sunday morning
FRI = "2026-12-04T20:00:00+08:00"  # a Friday evening
FRI_NY = "2026-12-04T19:00:00-05:00"
EOM = "2026-11-30T10:00:00+08:00"  # a month end (a Monday)
EOM_NY = "2026-11-30T10:00:00-05:00"

# Past phrases (an interaction's date) → expected date, per clock.
PAST = {
    "sun_en": [
        ("", "2026-12-06"),
        ("today", "2026-12-06"),
        ("this morning", "2026-12-06"),
        ("yesterday", "2026-12-05"),
        ("yday", "2026-12-05"),
        ("last night", "2026-12-05"),
        ("2 days ago", "2026-12-04"),
        ("on Friday", "2026-12-04"),
        ("Thursday", "2026-12-03"),
        ("3 days ago", "2026-12-03"),
        ("on Dec 2", "2026-12-02"),
        ("12/1", "2026-12-01"),
    ],
    "sun_zh": [
        ("", "2026-12-06"),
        ("今天", "2026-12-06"),
        ("今天上午", "2026-12-06"),
        ("昨天", "2026-12-05"),
        ("昨天下午", "2026-12-05"),
        ("昨晚", "2026-12-05"),
        ("前天", "2026-12-04"),
        ("周五", "2026-12-04"),
        ("3号", "2026-12-03"),
        ("12月2日", "2026-12-02"),
        ("本周三", "2026-12-02"),
        ("这周二", "2026-12-01"),
        ("20号", "2026-11-20"),
    ],
    "fri_en": [
        ("today", "2026-12-04"),
        ("this afternoon", "2026-12-04"),
        ("yesterday", "2026-12-03"),
        ("Wednesday", "2026-12-02"),
    ],
    "fri_zh": [
        ("今天", "2026-12-04"),
        ("今天下午", "2026-12-04"),
        ("昨天", "2026-12-03"),
        ("前天", "2026-12-02"),
        ("周三", "2026-12-02"),
    ],
    "eom_en": [
        ("today", "2026-11-30"),
        ("yesterday", "2026-11-29"),
        ("last Friday", "2026-11-27"),
        ("Saturday", "2026-11-28"),
    ],
    "eom_zh": [
        ("今天", "2026-11-30"),
        ("昨天", "2026-11-29"),
        ("上周五", "2026-11-27"),
        ("前天", "2026-11-28"),
        ("27号", "2026-11-27"),
    ],
}

# Due phrases (a next step's date) → expected date, per clock.
DUE = {
    "sun_en": [
        ("by Friday", "2026-12-11"),
        ("by Fri", "2026-12-11"),
        ("by this fri", "2026-12-11"),
        ("by EOW", "2026-12-11"),
        ("by Wednesday", "2026-12-09"),
        ("by tomorrow", "2026-12-07"),
        ("next Tuesday", "2026-12-08"),
        ("by EOM", "2026-12-31"),
        ("in a fortnight", "2026-12-20"),
        ("by 12/15", "2026-12-15"),
        ("by mid January", "2027-01-15"),
        ("by end of March", "2027-03-31"),
        ("in 2 weeks", "2026-12-20"),
        ("by Dec 18", "2026-12-18"),
        ("by EOQ", "2026-12-31"),
        ("by end of month", "2026-12-31"),
        ("by end of Q1", "2027-03-31"),
    ],
    "sun_zh": [
        ("周五前", "2026-12-11"),
        ("明天", "2026-12-07"),
        ("下周三前", "2026-12-09"),
        ("月底前", "2026-12-31"),
        ("下月底前", "2027-01-31"),
        ("12月15号前", "2026-12-15"),
        ("12.15前", "2026-12-15"),
        ("15号前", "2026-12-15"),
        ("下下周一", "2026-12-14"),
        ("年底前", "2026-12-31"),
        ("元旦前", "2026-12-31"),
        ("春节前", "2027-02-05"),
        ("本周五前", "2026-12-11"),
        ("这周五", "2026-12-11"),
        ("后天", "2026-12-08"),
        ("元宵节前", "2027-02-19"),
        ("五一前", "2027-04-30"),
        ("端午前", "2027-06-08"),
        ("中秋前", "2027-09-14"),
        ("国庆前", "2027-09-30"),
        ("清明前", "2027-04-04"),
        ("3号前", "2027-01-03"),
        ("12/8前", "2026-12-08"),
    ],
    "fri_en": [
        ("by Monday", "2026-12-07"),
        ("next Wednesday", "2026-12-09"),
        ("by EOM", "2026-12-31"),
        ("tomorrow", "2026-12-05"),
    ],
    "fri_zh": [
        ("周一前", "2026-12-07"),
        ("下周三", "2026-12-09"),
        ("月底前", "2026-12-31"),
        ("明天", "2026-12-05"),
    ],
    "eom_en": [
        ("by EOM", "2026-11-30"),
        ("by Friday", "2026-12-04"),
        ("by end of next month", "2026-12-31"),
        ("next Monday", "2026-12-07"),
    ],
    "eom_zh": [
        ("月底前", "2026-11-30"),
        ("下月底", "2026-12-31"),
        ("周五前", "2026-12-04"),
        ("3号前", "2026-12-03"),
        ("下周一", "2026-12-07"),
    ],
}

# --- the demo book as reps know it: their accounts, how they write its name, contacts
EN_ACCOUNTS = {
    "alice": {
        "Acme": (["Acme", "Acme", "Acme Corp", "acme"], [
            ("Li Wei", "Li Wei"), ("Tom", "Tom Brown"), ("Tom Brown", "Tom Brown"),
            ("Sarah Miller", "Sarah Miller"), ("James Wilson", "James Wilson"),
        ]),
        "Globex Logistics": (["Globex", "Globex Logistics"], [
            ("Matthew Moore", "Matthew Moore"), ("Laura Anderson", "Laura Anderson"),
        ]),
        "Stark Energy": (["Stark Energy", "Stark"], [
            ("Anthony Baker", "Anthony Baker"), ("Susan Thompson", "Susan Thompson"),
        ]),
        "Initech": (["Initech", "initech"], [
            ("Richard Lewis", "Richard Lewis"), ("Mr. Lewis", "Richard Lewis"),
            ("Paul Thompson", "Paul Thompson"),
        ]),
        "Umbrella Health": (["Umbrella Health", "Umbrella"], [
            ("Dr. Harris", "Anthony Harris"), ("Lisa Young", "Lisa Young"),
        ]),
        "Northwind Traders": (["Northwind Traders", "NW Traders", "Northwind"], [
            ("Nancy Clark", "Nancy Clark"), ("John Martin", "John Martin"),
        ]),
        "Pioneer Steel": (["Pioneer Steel"], [("Sarah Baker", "Sarah Baker")]),
        "Granite Construction Supply": (["Granite", "Granite Construction Supply"], [
            ("John Walker", "John Walker"),
        ]),
        "Wayne Retail": (["Wayne Retail"], [("Laura Hill", "Laura Hill")]),
    },
    "carol": {
        "Contoso Pharma": (["Contoso Pharma", "Contoso"], [
            ("Mark Green", "Mark Green"), ("Elizabeth Davis", "Elizabeth Davis"),
        ]),
        "Blue Harbor Shipping": (["Blue Harbor Shipping", "Blue Harbor"], [
            ("David Martin", "David Martin"), ("Michael Baker", "Michael Baker"),
        ]),
        "Summit Foods": (["Summit Foods"], [("Linda Moore", "Linda Moore"),
                                            ("Kevin Garcia", "Kevin Garcia")]),
        "Redwood Hospitals": (["Redwood Hospitals", "Redwood"], [
            ("Rachel Hill", "Rachel Hill"), ("Matthew Clark", "Matthew Clark"),
        ]),
        "Helios Solar": (["Helios Solar"], [("Jennifer Johnson", "Jennifer Johnson")]),
        "Orion Aerospace": (["Orion Aerospace"], [("Nancy Lewis", "Nancy Lewis")]),
    },
}  # fmt: skip

ZH_ACCOUNTS = {
    "wang": {
        "华夏重工": (["华夏重工", "华夏"], [
            ("王总", "王建国"), ("王建国", "王建国"), ("李经理", "李娜"), ("李娜", "李娜"),
            ("赵部长", "赵刚"), ("陈静", "陈静"),
        ]),
        "长江能源": (["长江能源", "长江"], [("刘总", "刘杰"), ("徐洋", "徐洋"), ("马董", "马霞")]),
        "东方物流": (["东方物流"], [("张总", "张伟"), ("高董", "高桂英")]),
        "申城医药": (["申城医药"], [("吴总", "吴超"), ("黄晓东", "黄晓东")]),
        "苏州精密机械": (["苏州精密机械", "苏州精机"], [("高霞", "高霞"), ("李强", "李强")]),
        "宁波港航": (["宁波港航"], [("罗董", "罗涛"), ("黄经理", "黄平"), ("赵强", "赵强")]),
        "浙江绿源化工": (["浙江绿源化工"], [("张董", "张超"), ("马刚", "马刚")]),
    },
    "li": {
        "上海仁和医院": (["上海仁和医院", "仁和"], [("陈总", "陈国华"), ("赵明", "赵明"),
                                                 ("张芳", "张芳")]),
        "太湖食品": (["太湖食品"], [("王总", "王明"), ("何经理", "何超"), ("朱海燕", "朱海燕")]),
        "东海船舶": (["东海船舶"], [("罗董", "罗涛"), ("张经理", "张勇")]),
        "海川电力": (["海川电力"], [("吴总", "吴杰"), ("郭洋", "郭洋")]),
        "金陵百货": (["金陵百货", "金陵"], [("朱总", "朱军"), ("杨经理", "杨海燕")]),
        "瑞丰农业": (["瑞丰农业"], [("吴霞", "吴霞"), ("周敏", "周敏")]),
    },
    "zhou": {
        "安徽星火新材料": (["安徽星火新材料"], [("黄总", "黄艳"), ("刘洋", "刘洋")]),
        "鑫源超市连锁": (["鑫源超市连锁"], [("何总", "何明"), ("徐丽", "徐丽")]),
        "博远建设": (["博远建设"], [("张总", "张明"), ("赵伟", "赵伟")]),
    },
}  # fmt: skip

EN_TOPICS = (
    "confirmed the budget",
    "asked for a revised quote",
    "is happy with the pilot",
    "wants faster delivery",
    "says the renewal looks good",
    "is worried about lead times",
    "raised the service SLA again",
    "pushed back on pricing",
    "walked us through their expansion plans",
)
ZH_TOPICS = (
    "确认了预算",
    "要求重新报价",
    "对试点很满意",
    "希望缩短交期",
    "说续约问题不大",
    "提了售后的问题",
    "还在压价格",
    "介绍了明年的扩产计划",
)
EN_STEPS = (
    ("send the revised quote", "revised quote"),
    ("book the QBR", "QBR"),
    ("share the case study deck", "case study"),
    ("set up a demo for the IT team", "demo"),
    ("follow up on the PO", "PO"),
    ("send the draft contract", "draft contract"),
)
ZH_STEPS = (
    ("发方案", "方案"),
    ("发报价单", "报价单"),
    ("签合同", "合同"),
    ("安排技术交流", "技术交流"),
    ("寄样品", "样品"),
    ("提交标书", "标书"),
    ("回访确认需求", "回访"),
)

# (kind, template); {a} account as written, {c} contact as written, {w} when, {t} topic,
# {n} next steps (with its own leading separator, or empty).
EN_FORMS = (
    ("visit", "/visit {a} {w} met {c}, {c2} {t}.{n}"),
    ("visit", "{a}: visited {w}, {c} {t}.{n}"),
    ("visit", "visited {a} {w} - {c} {t}{n}"),
    ("visit", "vist {a} {w} {c} {t}{n}"),
    ("visit", "visti {a} {w} saw {c}, {t}{n}"),
    ("visit", "site visit at {a} {w}, walked the line with {c}.{n}"),
    ("visit", "went to {a} {w} and met {c}; {t}{n}"),
    ("call", "/call {a} {w} talked w/ {c}, {c2} {t}{n}"),
    ("call", "called {a} {w}, {c} {t}{n}"),
    ("call", "{a} call {w} with {c}: {c2} {t}{n}"),
    ("call", "cal {a} {w} {c} {t}{n}"),
    ("call", "phoned {c} at {a} {w}, {c2} {t}.{n}"),
    ("meet", "met with {c} at {a} {w}, {c2} {t}{n}"),
    ("meet", "/meet {a} {w} quarterly review with {c}{n}"),
    ("meet", "meeting w/ {a} {w}: {c} {t}{n}"),
    ("meal", "lunch with {c} ({a}) {w}, {c2} {t}{n}"),
    ("meal", "dinner w/ {c} from {a} {w}{n}"),
    ("meal", "coffee with {c} of {a} {w} — {c2} {t}{n}"),
    ("meal", "/meal {a} {w} {c} {t}{n}"),
)
ZH_FORMS = (
    ("visit", "/拜访 {a} {w} 见了{c}，{t}{n}"),
    ("visit", "{a} {w}上门拜访，{c}{t}{n}"),
    ("visit", "{w}去了趟{a}，{c}{t}{n}"),
    ("visit", "拜访{a}{w}见了{c}。{t}{n}"),
    ("visit", "拜坊 {a} {w} {c}{t}{n}"),
    ("visit", "客户：{a} {w}拜访 {c}{t}{n}"),
    ("visit", "{w}走访{a}，{c}{t}{n}"),
    ("call", "{w}跟{a}的{c}通了电话，{t}{n}"),
    ("call", "/电话 {a} {w} {c}{t}{n}"),
    ("call", "{a} {w}电话沟通，{c}{t}{n}"),
    ("call", "电化 {a} {w} {c}{t}{n}"),
    ("call", "{w}给{a}{c}打了个电话，{t}{n}"),
    ("meet", "{w}和{a}开会，{c}参加，{t}{n}"),
    ("meet", "/会议 {a} {w} {c}{t}{n}"),
    ("meet", "{a}{w}开了个会，{c}{t}{n}"),
    ("meal", "{w}和{a}的{c}吃饭，{t}{n}"),
    ("meal", "{a} 饭局 {w} {c}{t}{n}"),
    ("meal", "{w}宴请{a}{c}，{t}{n}"),
    ("meal", "/宴请 {a} {w} 请{c}吃饭，{t}{n}"),
)

# Chinese reps who write the verb, or half the message, in English.
MIXED_FORMS = (
    ("visit", "{a} visit {w}, {c}{t}{n}"),
    ("visit", "visited {a} {w}，{c}{t}{n}"),
    ("call", "call {a} {w} with {c}，{t}{n}"),
    ("meal", "{a} lunch {w} with {c}，{t}{n}"),
    ("meal", "dinner w/ {a}的{c} {w}，{t}{n}"),
    ("meet", "{a} meeting {w}，{c}参加，{t}{n}"),
)


class Corpus:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.texts: set[str] = set()

    def add(self, lang: str, as_: str, text: str, now: str | None = None, **expect: Any) -> bool:
        text = " ".join(text.split()).replace(" ,", ",") if lang != "zh" else text.strip()
        text = text.replace("  ", " ")
        if text in self.texts:
            return False
        self.texts.add(text)
        rec: dict[str, Any] = {"id": f"{lang}-{len(self.records) + 1:03d}", "lang": lang,
                               "as": as_}  # fmt: skip
        if now:
            rec["now"] = now
        rec["text"] = text
        rec["expect"] = expect
        self.records.append(rec)
        return True


def _steps(rng: random.Random, lang: str, clock: str, team: list[str], me: str) -> tuple:
    """Zero, one or two next steps, each with its own due date (and sometimes owner)."""
    roll = rng.random()
    if roll < 0.3:
        return "", []
    dues = DUE[f"{clock}_{lang}"]
    steps = EN_STEPS if lang == "en" else ZH_STEPS
    count = 2 if roll > 0.78 else 1
    picked = rng.sample(steps, count)
    due_picked = rng.sample(dues, count)
    tasks, parts = [], []
    for i, ((say, key), (phrase, due)) in enumerate(zip(picked, due_picked, strict=True)):
        owner = None
        if i == count - 1 and rng.random() < 0.25:
            owner = rng.choice([u for u in team if u != me])
        task = {"text_contains": key, "due": due}
        if owner:
            task["owner"] = owner
        tasks.append(task)
        if lang == "en":
            who = f"@{owner} to " if owner else ""
            parts.append(f"{who}{say} {phrase}")
        else:
            who = f"@{ZH_NAMES[owner]} " if owner else ""
            parts.append(f"{who}{phrase}{say}")
    if lang == "en":
        sep = rng.choice(["; ", ", and ", " / "]) if count == 2 else ""
        head = rng.choice([" next: ", ". Next steps: ", " — next: ", " NEXT: "])
        return head + sep.join(parts), tasks
    if count == 2:
        body = rng.choice([f"1. {parts[0]} 2. {parts[1]}", f"{parts[0]}；{parts[1]}"])
    else:
        body = parts[0]
    head = rng.choice(["。下一步：", " 下一步：", "，下一步:", "；后续："])
    return head + body, tasks


def interactions(
    c: Corpus, rng: random.Random, lang: str, n: int, forms: tuple = (), tag: str = ""
) -> None:
    """``n`` logged interactions in ``lang`` (``tag``: the language the record is filed under)."""
    books = EN_ACCOUNTS if lang == "en" else ZH_ACCOUNTS
    forms = forms or (EN_FORMS if lang == "en" else ZH_FORMS)
    teams = {"en": ["alice", "carol"], "zh": ["wang", "li", "zhou"]}[lang]
    made = 0
    while made < n:
        me = rng.choice(list(books))
        account = rng.choice(list(books[me]))
        spellings, people = books[me][account]
        kind, form = rng.choice(forms)
        roll = rng.random()
        clock = "sun" if roll < 0.7 else ("fri" if roll < 0.85 else "eom")
        now = {
            ("sun", "carol"): SUN_NY, ("fri", "carol"): FRI_NY, ("eom", "carol"): EOM_NY,
            ("fri", None): FRI, ("eom", None): EOM,
        }.get((clock, me if me == "carol" else None))  # fmt: skip
        when, day = rng.choice(PAST[f"{clock}_{lang}"])
        if not when and clock != "sun":
            continue
        said, contact = rng.choice(people)
        topic = rng.choice(EN_TOPICS if lang == "en" else ZH_TOPICS)
        c2 = ""
        steps, tasks = _steps(rng, lang, clock, teams, me)
        text = form.format(a=rng.choice(spellings), w=when, c=said, c2=c2, t=topic, n=steps)
        if c.add(
            tag or lang,
            me,
            text,
            now,
            command=kind,
            account=account,
            date=day,
            tasks=tasks,
            contacts_linked=[contact],
            contacts_new=[],
        ):
            made += 1


def handwritten(c: Corpus) -> None:
    A = c.add
    # --- intent anywhere, the issue's own shapes (varied) --------------------------
    A(
        "en",
        "alice",
        "Acme: visited today, Tom showed us the new line. next: send QBR deck by this fri",
        command="visit",
        account="Acme",
        date="2026-12-06",
        contacts_linked=["Tom Brown"],
        contacts_new=[],
        tasks=[{"text_contains": "QBR deck", "due": "2026-12-11"}],
    )
    A(
        "zh",
        "li",
        "太湖食品 20号上门拜访 王总在，聊了新品",
        command="visit",
        account="太湖食品",
        date="2026-11-20",
        contacts_linked=["王明"],
        contacts_new=[],
        tasks=[],
    )
    A(
        "zh",
        "wang",
        "刚跟王总通了电话，合同条款基本没问题",
        command="call",
        account="华夏重工",
        date="2026-12-06",
        contacts_linked=["王建国"],
        contacts_new=[],
        tasks=[],
    )
    A(
        "zh",
        "li",
        "刚和罗董通了个电话 船坞那边下周开工",
        command="call",
        account="东海船舶",
        date="2026-12-06",
        contacts_linked=["罗涛"],
        contacts_new=[],
    )
    A(
        "zh",
        "wang",
        "今天上午去了趟华夏重工，赵部长带着看了车间",
        command="visit",
        account="华夏重工",
        date="2026-12-06",
        contacts_linked=["赵刚"],
        contacts_new=[],
        tasks=[],
    )
    A(
        "zh",
        "zhou",
        "昨天下午去了趟博远建设 张总不在，见了赵伟",
        command="visit",
        account="博远建设",
        date="2026-12-05",
        contacts_linked=["赵伟"],
        contacts_new=[],
        tasks=[],
    )
    A(
        "en",
        "carol",
        "Blue Harbor finally paid 300k",
        SUN_NY,
        command="paid",
        account="Blue Harbor Shipping",
        date="2026-12-06",
        amount="300000",
        currency="CNY",
    )
    A(
        "en",
        "carol",
        "Contoso paid 1.2 mil yesterday",
        SUN_NY,
        command="paid",
        account="Contoso Pharma",
        date="2026-12-05",
        amount="1200000",
        currency="CNY",
    )
    A(
        "en",
        "alice",
        "payment from Initech came in, USD 80,000",
        command="paid",
        account="Initech",
        date="2026-12-06",
        amount="80000",
        currency="USD",
    )
    A(
        "en",
        "alice",
        "got paid by Umbrella today - half a million",
        command="paid",
        account="Umbrella Health",
        date="2026-12-06",
        amount="500000",
        currency="CNY",
    )
    A(
        "en",
        "alice",
        "/paid Stark 350 grand on Friday",
        command="paid",
        account="Stark Energy",
        date="2026-12-04",
        amount="350000",
        currency="CNY",
    )
    A(
        "en",
        "alice",
        "Globex wired two hundred k this morning",
        command="paid",
        account="Globex Logistics",
        date="2026-12-06",
        amount="200000",
        currency="CNY",
    )
    A(
        "zh",
        "wang",
        "给华夏重工开了发票 50万",
        command="invoice",
        account="华夏重工",
        date="2026-12-06",
        amount="500000",
        currency="CNY",
    )
    A(
        "zh",
        "li",
        "仁和开票 一百二十万 账期30天",
        command="invoice",
        account="上海仁和医院",
        date="2026-12-06",
        amount="1200000",
        currency="CNY",
    )
    A(
        "zh",
        "wang",
        "/应收 长江能源 2.5百万 到期 2027-01-31",
        command="invoice",
        account="长江能源",
        date="2026-12-06",
        amount="2500000",
        currency="CNY",
    )
    A(
        "en",
        "alice",
        "invoiced Acme 1.2m today, net 45",
        command="invoice",
        account="Acme",
        date="2026-12-06",
        amount="1200000",
        currency="CNY",
    )
    A(
        "en",
        "carol",
        "/invoice Redwood 350k due 2027-01-15",
        SUN_NY,
        command="invoice",
        account="Redwood Hospitals",
        date="2026-12-06",
        amount="350000",
        currency="CNY",
    )
    A(
        "zh",
        "wang",
        "回款 宁波港航 上周五 USD 52,000",
        EOM,
        command="paid",
        account="宁波港航",
        date="2026-11-27",
        amount="52000",
        currency="USD",
    )
    A(
        "zh",
        "wang",
        "长江能源回款一百二十万",
        command="paid",
        account="长江能源",
        date="2026-12-06",
        amount="1200000",
        currency="CNY",
    )
    A(
        "zh",
        "wang",
        "华夏昨天到账30万",
        command="paid",
        account="华夏重工",
        date="2026-12-05",
        amount="300000",
        currency="CNY",
    )
    A(
        "zh",
        "li",
        "海川电力 回款 35万美元 前天",
        command="paid",
        account="海川电力",
        date="2026-12-04",
        amount="350000",
        currency="USD",
    )
    A(
        "zh",
        "zhou",
        "鑫源超市连锁今天汇款 8.5万",
        command="paid",
        account="鑫源超市连锁",
        date="2026-12-06",
        amount="85000",
        currency="CNY",
    )
    A(
        "zh",
        "li",
        "收到金陵百货的回款 12万 3号",
        command="paid",
        account="金陵百货",
        date="2026-12-03",
        amount="120000",
        currency="CNY",
    )
    A(
        "en",
        "carol",
        "Summit Foods sent US$2M today",
        SUN_NY,
        command="paid",
        account="Summit Foods",
        date="2026-12-06",
        amount="2000000",
        currency="USD",
    )

    # --- deals: loose names, stage verbs, close dates, amounts ---------------------
    def deal(lang, who, text, account, name, now=None, **d):
        A(lang, who, text, now, command="deal", account=account, deal={"name": name, **d})

    deal(
        "en",
        "alice",
        "opp at Acme: robotics pilot 1.2m stage proposal",
        "Acme",
        "Warehouse robotics pilot",
        new=False,
        stage="proposal",
        amount="1200000",
    )
    deal(
        "en",
        "alice",
        "/deal acme robotics pilot 1.2m stage proposal",
        "Acme",
        "Warehouse robotics pilot",
        new=False,
        stage="proposal",
        amount="1200000",
    )
    deal(
        "en",
        "alice",
        'deal Acme "Line 3" won',
        "Acme",
        "Line 3 automation retrofit",
        new=False,
        stage="won",
    )
    deal(
        "en",
        "alice",
        "Acme line 3 retrofit closed won!!",
        "Acme",
        "Line 3 automation retrofit",
        new=False,
        stage="won",
    )
    deal(
        "en",
        "alice",
        "Initech data center cooling is dead, lost to competitor Vertiv",
        "Initech",
        "Data center cooling upgrade",
        new=False,
        stage="lost",
        lost_reason_contains="Vertiv",
    )
    deal(
        "en",
        "alice",
        "Globex cold chain WMS moved to negotiation, close mid January",
        "Globex Logistics",
        "Cold-chain WMS rollout",
        new=False,
        stage="negotiation",
        close="2027-01-15",
    )
    deal(
        "en",
        "alice",
        "Stark annual supply agreement now half a million, close end of Q1",
        "Stark Energy",
        "Annual supply agreement",
        new=False,
        amount="500000",
        close="2027-03-31",
    )
    deal(
        "en",
        "alice",
        "Northwind robotics pilot - we're in negotiation now",
        "Northwind Traders",
        "Warehouse robotics pilot",
        new=False,
        stage="negotiation",
    )
    deal(
        "en",
        "alice",
        '/deal Pioneer Steel "Furnace relining" 450k stage qualify close end of March',
        "Pioneer Steel",
        "Furnace relining",
        new=True,
        stage="qualify",
        amount="450000",
        close="2027-03-31",
    )
    deal(
        "en",
        "alice",
        "new opp at Wayne Retail: store analytics 350 grand, lead",
        "Wayne Retail",
        "store analytics",
        new=True,
        amount="350000",
        stage="lead",
    )
    deal(
        "en",
        "alice",
        "Umbrella Health new deal Sterilization line 2.4m proposal close EOQ",
        "Umbrella Health",
        "Sterilization line",
        new=True,
        amount="2400000",
        stage="proposal",
        close="2026-12-31",
    )
    deal(
        "en",
        "alice",
        "Vertex energy audit qualified, 900k - budget confirmed",
        "Vertex Semiconductors",
        "Energy audit & retrofit",
        new=False,
        stage="qualify",
        amount="900000",
    )
    deal(
        "en",
        "alice",
        "Granite cold-chain WMS closed won today",
        "Granite Construction Supply",
        "Cold-chain WMS",
        new=False,
        stage="won",
    )
    deal(
        "en",
        "alice",
        "Initech service contract renewal: moved to negotiation, 1.3m",
        "Initech",
        "Service contract renewal",
        new=False,
        stage="negotiation",
        amount="1300000",
    )
    deal(
        "en",
        "carol",
        "Contoso spare parts framework signed! closed won",
        "Contoso Pharma",
        "Spare parts framework",
        SUN_NY,
        new=False,
        stage="won",
    )
    deal(
        "en",
        "carol",
        "Summit line automation lost - budget frozen",
        "Summit Foods",
        "Line automation retrofit",
        SUN_NY,
        new=False,
        stage="lost",
        lost_reason_contains="budget frozen",
    )
    deal(
        "en",
        "carol",
        "Helios Solar line automation retrofit 300k, proposal sent",
        "Helios Solar",
        "Line automation retrofit",
        SUN_NY,
        new=False,
        stage="proposal",
        amount="300000",
    )
    deal(
        "en",
        "carol",
        "Redwood spare parts close end of Jan, still negotiating",
        "Redwood Hospitals",
        "Spare parts framework",
        SUN_NY,
        new=False,
        stage="negotiation",
        close="2027-01-31",
    )
    deal(
        "en",
        "carol",
        "Blue Harbor energy audit moved to proposal 250k",
        "Blue Harbor Shipping",
        "Energy audit & retrofit",
        SUN_NY,
        new=False,
        stage="proposal",
        amount="250000",
    )
    deal(
        "zh",
        "wang",
        "华夏重工 二期扩产 进入谈判",
        "华夏重工",
        "二期扩产设备采购",
        new=False,
        stage="negotiation",
    )
    deal(
        "zh",
        "wang",
        "华夏二期扩产设备采购推进到商务谈判了，预计月底成交",
        "华夏重工",
        "二期扩产设备采购",
        new=False,
        stage="negotiation",
        close="2026-12-31",
    )
    deal(
        "zh",
        "wang",
        "华夏重工储能项目 下月底成交 金额380万",
        "华夏重工",
        "储能项目",
        new=False,
        close="2027-01-31",
        amount="3800000",
    )
    deal("zh", "wang", "长江 储能二期 赢单！", "长江能源", "储能项目二期", new=False, stage="won")
    deal(
        "zh",
        "wang",
        "长江能源的数字化工厂试点签了",
        "长江能源",
        "数字化工厂试点",
        new=False,
        stage="won",
    )
    deal(
        "zh",
        "wang",
        "苏州精机 数控机床 黄了，输给了沈阳机床",
        "苏州精密机械",
        "数控机床年度采购",
        new=False,
        stage="lost",
        lost_reason_contains="沈阳机床",
    )
    deal(
        "zh",
        "wang",
        "东方物流年度框架采购 目标3月中close",
        "东方物流",
        "年度框架采购",
        new=False,
        close="2027-03-15",
    )
    deal(
        "zh",
        "wang",
        "东方物流储能项目方案已经提交",
        "东方物流",
        "储能项目",
        new=False,
        stage="proposal",
    )
    deal(
        "zh",
        "wang",
        "/商机 浙江绿源化工 能源管理系统 进入谈判 成交 明年3月底",
        "浙江绿源化工",
        "能源管理系统",
        new=False,
        stage="negotiation",
        close="2027-03-31",
    )
    deal(
        "zh",
        "wang",
        "明辉汽车零部件 备品备件 成交 3月底 28万",
        "明辉汽车零部件",
        "备品备件年度协议",
        new=False,
        close="2027-03-31",
        amount="280000",
    )
    deal(
        "zh",
        "wang",
        "启明电子 新商机 “产线视觉检测” 60万 初步接洽",
        "启明电子",
        "产线视觉检测",
        new=True,
        amount="600000",
        stage="lead",
    )
    deal(
        "zh",
        "wang",
        "/商机 杭州云联科技 机房改造30w 阶段 方案",
        "杭州云联科技",
        "机房改造",
        new=True,
        amount="300000",
        stage="proposal",
    )
    deal(
        "zh",
        "li",
        "海川电力储能项目 推进到方案阶段 105万",
        "海川电力",
        "储能项目",
        new=False,
        stage="proposal",
        amount="1050000",
    )
    deal(
        "zh",
        "li",
        "仁和 能源管理系统 进入谈判 预计下月底成交",
        "上海仁和医院",
        "能源管理系统",
        new=False,
        stage="negotiation",
        close="2027-01-31",
    )
    deal(
        "zh",
        "li",
        "东海船舶备品备件年度协议 赢单 86万",
        "东海船舶",
        "备品备件年度协议",
        new=False,
        stage="won",
        amount="860000",
    )
    deal(
        "zh",
        "li",
        "瑞丰农业 新商机 灌溉自动化 45万 需求确认",
        "瑞丰农业",
        "灌溉自动化",
        new=True,
        amount="450000",
    )
    deal(
        "zh",
        "zhou",
        "安徽星火 仓储自动化项目 输单 客户选择了原供应商",
        "安徽星火新材料",
        "仓储自动化项目",
        new=False,
        stage="lost",
        lost_reason_contains="原供应商",
    )
    deal(
        "zh",
        "zhou",
        "博远建设 新商机“工地能耗监测”20万",
        "博远建设",
        "工地能耗监测",
        new=True,
        amount="200000",
    )

    # --- contacts: titles after a dash, a comma or a space; honorifics ------------
    def contact(lang, who, text, account, name, title=None, now=None):
        new = {"name": name} | ({"title": title} if title else {})
        A(lang, who, text, now, command="contact", account=account, contacts_new=[new])

    contact(
        "en",
        "alice",
        "/contact Acme Zhang Min, Head of Purchasing, phone 138 0000 1111",
        "Acme",
        "Zhang Min",
        "Head of Purchasing",
    )
    contact(
        "en",
        "alice",
        "/contact Initech Priya Nair - procurement manager, influencer",
        "Initech",
        "Priya Nair",
        "procurement manager",
    )
    contact(
        "en",
        "alice",
        "new contact at Umbrella Health: Helen Chen — Director of Clinical Ops",
        "Umbrella Health",
        "Helen Chen",
        "Director of Clinical Ops",
    )
    contact(
        "en",
        "alice",
        "add contact Globex Peter Novak, CFO",
        "Globex Logistics",
        "Peter Novak",
        "CFO",
    )
    contact(
        "en",
        "carol",
        "/contact Orion Aerospace Omar Haddad, Chief Engineer",
        "Orion Aerospace",
        "Omar Haddad",
        "Chief Engineer",
        SUN_NY,
    )
    contact("zh", "wang", "/联系人 华夏重工 周凯 项目经理", "华夏重工", "周凯", "项目经理")
    contact(
        "zh",
        "wang",
        "联系人 长江能源 孙丽，财务经理，电话 13900001111",
        "长江能源",
        "孙丽",
        "财务经理",
    )
    contact("zh", "li", "新联系人 太湖食品 钱伟 采购总监", "太湖食品", "钱伟", "采购总监")
    contact("zh", "zhou", "/联系人 博远建设 郑海 —— 工程部经理", "博远建设", "郑海", "工程部经理")
    contact(
        "mixed",
        "alice",
        "/contact Stark Energy 韩梅, Head of IT",
        "Stark Energy",
        "韩梅",
        "Head of IT",
    )
    A(
        "zh",
        "wang",
        "拜访宁波港航，见了新来的采购总监孙浩，下一步：下周三前发方案",
        command="visit",
        account="宁波港航",
        date="2026-12-06",
        contacts_linked=[],
        contacts_new=[{"name": "孙浩"}],
        tasks=[{"text_contains": "方案", "due": "2026-12-09"}],
    )
    A(
        "en",
        "alice",
        "visited Initech today, talked to COO, QBR agreed",
        command="visit",
        account="Initech",
        date="2026-12-06",
        contacts_new=[],
        tasks=[],
    )
    A(
        "en",
        "alice",
        "met Li Wei and Sarah at Acme yesterday, pricing ok",
        command="meet",
        account="Acme",
        date="2026-12-05",
        contacts_linked=["Li Wei", "Sarah Miller"],
        contacts_new=[],
    )
    A(
        "en",
        "alice",
        "/visit Acme Crop yesterday 4pm talked w/ Li Wei",
        command="visit",
        account="Acme",
        date="2026-12-05",
        contacts_linked=["Li Wei"],
        contacts_new=[],
    )
    A(
        "en",
        "carol",
        "/call Blue Harbor 2 days ago David said the board meets in January",
        SUN_NY,
        command="call",
        account="Blue Harbor Shipping",
        date="2026-12-04",
        contacts_linked=["David Martin"],
        contacts_new=[],
    )
    A(
        "en",
        "alice",
        "/call Globex Logistics, yesterday, Matthew wants a call back",
        command="call",
        account="Globex Logistics",
        date="2026-12-05",
        contacts_linked=["Matthew Moore"],
        contacts_new=[],
    )
    A(
        "en",
        "alice",
        "visited Umbrella today, Dr. Harris and the procurement team, all positive",
        command="visit",
        account="Umbrella Health",
        date="2026-12-06",
        contacts_linked=["Anthony Harris"],
        contacts_new=[],
    )
    A(
        "zh",
        "wang",
        "拜访华夏重工昨天见了王总。下一步：周五前发方案",
        command="visit",
        account="华夏重工",
        date="2026-12-05",
        contacts_linked=["王建国"],
        contacts_new=[],
        tasks=[{"text_contains": "方案", "due": "2026-12-11"}],
    )
    A(
        "zh",
        "wang",
        "拜访华夏重工，和王总、李经理谈了二期，下一步：1. 周三前发报价 2. 12月10号前安排试机",
        command="visit",
        account="华夏重工",
        date="2026-12-06",
        contacts_linked=["王建国", "李娜"],
        contacts_new=[],
        tasks=[
            {"text_contains": "报价", "due": "2026-12-09"},
            {"text_contains": "试机", "due": "2026-12-10"},
        ],
    )
    A(
        "en",
        "alice",
        "/visit Acme today next: send QBR deck by Fri; book site tour by 12月10号",
        command="visit",
        account="Acme",
        date="2026-12-06",
        contacts_new=[],
        tasks=[
            {"text_contains": "QBR deck", "due": "2026-12-11"},
            {"text_contains": "site tour", "due": "2026-12-10"},
        ],
    )
    A(
        "en",
        "alice",
        "Acme call today w/ Tom. next: @carol to send the contract by EOW; I'll book the demo by Wednesday",
        command="call",
        account="Acme",
        date="2026-12-06",
        contacts_linked=["Tom Brown"],
        contacts_new=[],
        tasks=[
            {"text_contains": "contract", "due": "2026-12-11", "owner": "carol"},
            {"text_contains": "demo", "due": "2026-12-09", "owner": "alice"},
        ],
    )
    A(
        "zh",
        "wang",
        "长江能源 今天电话 刘总说预算批了，下一步：@李强 周五前出报价；我下周一去现场",
        command="call",
        account="长江能源",
        date="2026-12-06",
        contacts_linked=["刘杰"],
        contacts_new=[],
        tasks=[
            {"text_contains": "报价", "due": "2026-12-11", "owner": "li"},
            {"text_contains": "现场", "due": "2026-12-07", "owner": "wang"},
        ],
    )
    A(
        "zh",
        "wang",
        "华夏重工 今天拜访 王总，备注：价格，交期，付款方式都谈了",
        command="visit",
        account="华夏重工",
        date="2026-12-06",
        contacts_linked=["王建国"],
        contacts_new=[],
        notes_contains="价格，交期，付款方式",
    )
    A(
        "en",
        "alice",
        "visited Initech today - Richard: budget ok (pending board)",
        command="visit",
        account="Initech",
        date="2026-12-06",
        contacts_linked=["Richard Lewis"],
        contacts_new=[],
        notes_contains="pending board",
    )

    # --- "this week" and EOW once the week's Friday is past, or still ahead -------
    wed = "2026-12-02T10:00:00+08:00"  # a Wednesday
    A(
        "en",
        "alice",
        "/call Pioneer Steel today Sarah Baker ok with terms. next: send pricing by this week",
        command="call",
        account="Pioneer Steel",
        date="2026-12-06",
        contacts_linked=["Sarah Baker"],
        contacts_new=[],
        tasks=[{"text_contains": "pricing", "due": "2026-12-11"}],
    )
    A(
        "en",
        "alice",
        "/call Pioneer Steel today Sarah Baker ok with terms. next: send pricing by this week",
        wed,
        command="call",
        account="Pioneer Steel",
        date="2026-12-02",
        contacts_linked=["Sarah Baker"],
        contacts_new=[],
        tasks=[{"text_contains": "pricing", "due": "2026-12-04"}],
    )
    A(
        "en",
        "alice",
        "Wayne Retail call this morning w/ Laura Hill, next: confirm volumes by EOW",
        wed,
        command="call",
        account="Wayne Retail",
        date="2026-12-02",
        contacts_linked=["Laura Hill"],
        contacts_new=[],
        tasks=[{"text_contains": "volumes", "due": "2026-12-04"}],
    )
    A(
        "zh",
        "zhou",
        "鑫源超市连锁 昨天电话 徐丽，下一步：本周五前报价",
        wed,
        command="call",
        account="鑫源超市连锁",
        date="2026-12-01",
        contacts_linked=["徐丽"],
        contacts_new=[],
        tasks=[{"text_contains": "报价", "due": "2026-12-04"}],
    )
    A(
        "zh",
        "zhou",
        "鑫源超市连锁 今天电话 徐丽，下一步：这周五报价",
        command="call",
        account="鑫源超市连锁",
        date="2026-12-06",
        contacts_linked=["徐丽"],
        contacts_new=[],
        tasks=[{"text_contains": "报价", "due": "2026-12-11"}],
    )
    A(
        "en",
        "carol",
        "had lunch with Jennifer Johnson (Helios Solar) yesterday, grabbed the specs",
        SUN_NY,
        command="meal",
        account="Helios Solar",
        date="2026-12-05",
        contacts_linked=["Jennifer Johnson"],
        contacts_new=[],
    )
    A(
        "en",
        "carol",
        "grabbed coffee w/ Nancy Lewis from Orion Aerospace this morning",
        SUN_NY,
        command="meal",
        account="Orion Aerospace",
        date="2026-12-06",
        contacts_linked=["Nancy Lewis"],
        contacts_new=[],
    )
    A(
        "zh",
        "li",
        "昨晚请金陵百货朱总吃饭，聊得不错",
        command="meal",
        account="金陵百货",
        date="2026-12-05",
        contacts_linked=["朱军"],
        contacts_new=[],
    )

    # --- bare account names and account-name typos: the summary, read-only -------
    for who, text, name in (
        ("alice", "Acme", "Acme"), ("alice", "acme corp", "Acme"), ("alice", "Initech?", "Initech"),
        ("alice", "Globex", "Globex Logistics"), ("alice", "Umbrela Health", "Umbrella Health"),
        ("alice", "Nortwind Traders", "Northwind Traders"), ("carol", "Blue Harbour", "Blue Harbor Shipping"),
        ("carol", "Contosso Pharma", "Contoso Pharma"), ("wang", "华夏重工", "华夏重工"),
        ("wang", "华夏", "华夏重工"), ("wang", "宁波港航？", "宁波港航"), ("li", "客户：太湖食品", "太湖食品"),
        ("li", "仁和", "上海仁和医院"), ("zhou", "博远建设", "博远建设"), ("wang", "/客户 长江", "长江能源"),
        ("alice", "/account stark", "Stark Energy"), ("alice", "show me Wayne Retail", "Wayne Retail"),
        ("li", "看看金陵百货", "金陵百货"), ("zhou", "鑫源超市", "鑫源超市连锁"),
        ("wang", "苏州精机情况", "苏州精密机械"),
    ):  # fmt: skip
        lang = "zh" if not text.isascii() else "en"
        typo = text in {"Umbrela Health", "Nortwind Traders", "Blue Harbour", "Contosso Pharma",
                        "鑫源超市"}  # fmt: skip
        # a misspelt bare name may be shown (read-only, "read as …") or asked about
        command = ["account", "ask"] if typo else "account"
        A(lang, who, text, SUN_NY if who == "carol" else None, command=command, account=name)

    # --- typos in multi-word names, commas, Chinese without spaces ----------------
    A(
        "en",
        "alice",
        "/visit Umbrela Health today met Lisa Young",
        command="visit",
        account="Umbrella Health",
        date="2026-12-06",
        contacts_linked=["Lisa Young"],
        contacts_new=[],
    )
    A(
        "en",
        "alice",
        "/call Northwnd Traders yesterday John Martin wants samples",
        command="call",
        account="Northwind Traders",
        date="2026-12-05",
        contacts_linked=["John Martin"],
        contacts_new=[],
    )
    A(
        "en",
        "carol",
        "/meet Redwood Hospital, yesterday, Rachel Hill and team",
        SUN_NY,
        command="meet",
        account="Redwood Hospitals",
        date="2026-12-05",
        contacts_linked=["Rachel Hill"],
        contacts_new=[],
    )
    A(
        "en",
        "alice",
        "visited Granite Construction, today, John Walker showed the yard",
        command="visit",
        account="Granite Construction Supply",
        date="2026-12-06",
        contacts_linked=["John Walker"],
        contacts_new=[],
    )
    A(
        "zh",
        "wang",
        "拜访苏州精密机械今天上午高霞介绍了新产线",
        command="visit",
        account="苏州精密机械",
        date="2026-12-06",
        contacts_linked=["高霞"],
        contacts_new=[],
    )
    A(
        "zh",
        "wang",
        "华厦重工 昨天拜访 王总",
        command="visit",
        account="华夏重工",
        date="2026-12-05",
        contacts_linked=["王建国"],
        contacts_new=[],
    )
    A(
        "zh",
        "li",
        "客户：上海仁和医院，今天拜访，陈总在",
        command="visit",
        account="上海仁和医院",
        date="2026-12-06",
        contacts_linked=["陈国华"],
        contacts_new=[],
    )

    # --- mixed Chinese / English ---------------------------------------------------
    mixed = (
        (
            "wang",
            "华夏重工 visit today, 王总 ok with pricing",
            "visit",
            "华夏重工",
            "2026-12-06",
            ["王建国"],
            [],
        ),
        (
            "wang",
            "call 长江能源 昨天 with 刘总, next: 周五前 send quote",
            "call",
            "长江能源",
            "2026-12-05",
            ["刘杰"],
            [{"text_contains": "quote", "due": "2026-12-11"}],
        ),
        (
            "alice",
            "Acme 今天拜访 Li Wei，讨论了 pricing",
            "visit",
            "Acme",
            "2026-12-06",
            ["Li Wei"],
            [],
        ),
        (
            "alice",
            "和Tom吃饭 Acme 昨晚, he likes the pilot",
            "meal",
            "Acme",
            "2026-12-05",
            ["Tom Brown"],
            [],
        ),
        (
            "li",
            "太湖食品 meeting 昨天下午，王总 and 何经理",
            "meet",
            "太湖食品",
            "2026-12-05",
            ["王明", "何超"],
            [],
        ),
        (
            "li",
            "仁和 lunch with 陈总 today, next: 下周三前 send proposal",
            "meal",
            "上海仁和医院",
            "2026-12-06",
            ["陈国华"],
            [{"text_contains": "proposal", "due": "2026-12-09"}],
        ),
        (
            "zhou",
            "visited 安徽星火新材料 前天, 黄总 asked for samples",
            "visit",
            "安徽星火新材料",
            "2026-12-04",
            ["黄艳"],
            [],
        ),
        (
            "zhou",
            "鑫源超市连锁 call 今天 with 徐丽. next: send catalogue by Friday",
            "call",
            "鑫源超市连锁",
            "2026-12-06",
            ["徐丽"],
            [{"text_contains": "catalogue", "due": "2026-12-11"}],
        ),
        (
            "alice",
            "Initech 电话 yesterday, Paul 要 new quote",
            "call",
            "Initech",
            "2026-12-05",
            ["Paul Thompson"],
            [],
        ),
        (
            "alice",
            "Globex 拜访 today, Matthew Moore, next: 周五前 send deck",
            "visit",
            "Globex Logistics",
            "2026-12-06",
            ["Matthew Moore"],
            [{"text_contains": "deck", "due": "2026-12-11"}],
        ),
        (
            "wang",
            "宁波港航 dinner 昨晚 with 罗董，聊了明年的计划",
            "meal",
            "宁波港航",
            "2026-12-05",
            ["罗涛"],
            [],
        ),
        (
            "wang",
            "东方物流 coffee with 张总 this morning",
            "meal",
            "东方物流",
            "2026-12-06",
            ["张伟"],
            [],
        ),
        (
            "li",
            "met 吴总 at 海川电力 yesterday, 下一步: 12月15号前 send the 方案",
            "meet",
            "海川电力",
            "2026-12-05",
            ["吴杰"],
            [{"text_contains": "方案", "due": "2026-12-15"}],
        ),
        (
            "wang",
            "申城医药 call 前天 吴总 confirmed budget",
            "call",
            "申城医药",
            "2026-12-04",
            ["吴超"],
            [],
        ),
        (
            "alice",
            "Stark Energy 开会 yesterday with Susan Thompson",
            "meet",
            "Stark Energy",
            "2026-12-05",
            ["Susan Thompson"],
            [],
        ),
        (
            "carol",
            "Contoso 吃饭 with Mark Green last night",
            "meal",
            "Contoso Pharma",
            "2026-12-05",
            ["Mark Green"],
            [],
        ),
        (
            "li",
            "东海船舶 visit 3号, 张经理 showed the dock",
            "visit",
            "东海船舶",
            "2026-12-03",
            ["张勇"],
            [],
        ),
        (
            "zhou",
            "博远建设 电话 today, 张总 wants a site visit, next: 下周三 site visit",
            "call",
            "博远建设",
            "2026-12-06",
            ["张明"],
            [{"text_contains": "site visit", "due": "2026-12-09"}],
        ),
        (
            "wang",
            "visited 苏州精机 yesterday, 李强 gave feedback",
            "visit",
            "苏州精密机械",
            "2026-12-05",
            ["李强"],
            [],
        ),
        ("li", "金陵百货 lunch 今天 with 朱总", "meal", "金陵百货", "2026-12-06", ["朱军"], []),
    )
    for who, text, kind, account, day, linked, tasks in mixed:
        A(
            "mixed",
            who,
            text,
            SUN_NY if who == "carol" else None,
            command=kind,
            account=account,
            date=day,
            contacts_linked=linked,
            contacts_new=[],
            tasks=tasks,
        )
    mixed_deals = (
        (
            "wang",
            "华夏重工 二期扩产 deal 进入 negotiation",
            "华夏重工",
            "二期扩产设备采购",
            {"stage": "negotiation"},
        ),
        (
            "alice",
            "Acme robotics pilot 进入谈判 800k",
            "Acme",
            "Warehouse robotics pilot",
            {"stage": "negotiation", "amount": "800000"},
        ),
        (
            "li",
            "海川电力 储能项目 moved to proposal, 110万",
            "海川电力",
            "储能项目",
            {"stage": "proposal", "amount": "1100000"},
        ),
        (
            "wang",
            "长江能源 数字化工厂试点 close 下月底",
            "长江能源",
            "数字化工厂试点",
            {"close": "2027-01-31"},
        ),
        (
            "zhou",
            "安徽星火 仓储自动化 closed won 50万",
            "安徽星火新材料",
            "仓储自动化项目",
            {"stage": "won", "amount": "500000"},
        ),
        (
            "alice",
            "Globex rooftop solar 黄了, lost to a local EPC",
            "Globex Logistics",
            "Rooftop solar EPC",
            {"stage": "lost", "lost_reason_contains": "local EPC"},
        ),
        (
            "wang",
            "苏州精机 能源管理系统 won 签了 112万",
            "苏州精密机械",
            "能源管理系统",
            {"stage": "won", "amount": "1120000"},
        ),
    )
    for who, text, account, name, d in mixed_deals:
        A(
            "mixed",
            who,
            text,
            command="deal",
            account=account,
            deal={"name": name, "new": False, **d},
        )
    A(
        "mixed",
        "wang",
        "回款 华夏重工 USD 52,000 yesterday",
        command="paid",
        account="华夏重工",
        date="2026-12-05",
        amount="52000",
        currency="USD",
    )
    A(
        "mixed",
        "alice",
        "Acme 回款 300k 今天",
        command="paid",
        account="Acme",
        date="2026-12-06",
        amount="300000",
        currency="CNY",
    )
    A(
        "mixed",
        "li",
        "invoice 仁和 80万 net 60",
        command="invoice",
        account="上海仁和医院",
        date="2026-12-06",
        amount="800000",
        currency="CNY",
    )
    A(
        "mixed",
        "wang",
        "/contact 东方物流 钱程 CTO",
        command="contact",
        account="东方物流",
        contacts_new=[{"name": "钱程", "title": "CTO"}],
    )
    A(
        "mixed",
        "alice",
        "Umbrella 拜坊 today, Lisa Young",
        command="visit",
        account="Umbrella Health",
        date="2026-12-06",
        contacts_linked=["Lisa Young"],
        contacts_new=[],
    )
    A(
        "mixed",
        "zhou",
        "博远建设 饭局 yesterday, 赵伟",
        command="meal",
        account="博远建设",
        date="2026-12-05",
        contacts_linked=["赵伟"],
        contacts_new=[],
    )

    # --- questions: two accounts, update vs new, no recognisable intent -----------
    ask = lambda lang, who, text, choices=None, now=None: A(  # noqa: E731
        lang, who, text, now, command="ask", **({"choices": choices} if choices else {})
    )
    ask("zh", "wang", "刚跟马总通了电话，说下周来厂里看看", ["长江能源", "苏州精密机械"])
    ask(
        "en",
        "alice",
        "call with Nancy today, she wants samples",
        ["Northwind Traders", "Wayne Retail"],
    )
    ask("en", "alice", "lunch w/ Laura yesterday", ["Globex Logistics", "Wayne Retail"])
    ask(
        "en",
        "carol",
        "Rachel called, wants the renewal quote",
        ["Contoso Pharma", "Redwood Hospitals"],
        SUN_NY,
    )
    ask("en", "alice", "called Acme and Initech about the joint pilot", ["Acme", "Initech"])
    ask("zh", "wang", "华夏重工和长江能源一起开了个会", ["华夏重工", "长江能源"])
    ask("en", "alice", "opp at Initech 800k, in negotiation", ["Data center cooling upgrade"])
    ask("en", "alice", "Acme new 500k opp, proposal stage")
    ask("zh", "wang", "华夏重工 商机 200万 进入谈判", ["二期扩产设备采购", "储能项目"])
    ask("en", "alice", "Globex automation 300k")
    ask("en", "alice", "Acme: Tom's daughter got into Stanford")
    ask("zh", "wang", "华夏重工 王总 合同")
    # no intent but an account: a question, or at most its summary (read-only)
    A("zh", "li", "太湖食品那边最近有点安静", command=["ask", "account"])
    A("en", "carol", "Summit Foods the usual", SUN_NY, command=["ask", "account"])
    A("en", "alice", "hmm not sure what to do about Stark", command=["ask", "account"])
    A("zh", "zhou", "嗯嗯 好的 收到", command=["ask", "refuse"])  # nothing to ask about
    ask("zh", "li", "下周三 仁和")
    ask("en", "alice", "Acme Li Wei 1.2m")
    ask("zh", "wang", "东方物流 张总 年底")

    # --- refusals: nothing written --------------------------------------------------
    ref = lambda lang, who, text, now=None: A(lang, who, text, now, command="refuse")  # noqa: E731
    ref("en", "alice", "/visit Acme")
    ref("zh", "wang", "/拜访 华夏重工")
    ref("en", "alice", "/visit Acme tomorrow met Tom")
    ref("en", "alice", "visited Initech next Tuesday with Richard")
    ref("zh", "wang", "拜访 华夏重工 下周一 见王总")
    A("zh", "li", "明天去太湖食品拜访王总", command=["refuse", "ask"])  # a plan, not a visit
    ref("en", "alice", "/call Initech today Paul ok. next: send quote by yesterday")
    ref("zh", "wang", "电话 长江能源 今天 刘总 下一步：昨天前发报价")
    ref("en", "alice", "/paid Acme")
    ref("zh", "wang", "回款 华夏 50万 下周一")
    ref("en", "alice", "Acme paid 300k tomorrow")
    # an account kam doesn't know: create it and log the visit there? (issue 17)
    ask(
        "en",
        "alice",
        "/visit Zorblax Industries today met the CEO",
        ["Create “Zorblax Industries”, then /visit there"],
    )
    A("zh", "wang", "/拜访 火星重工 今天 见了王总", command=["refuse", "ask"])  # 华夏重工?
    A("en", "alice", 'deal Acme "Line 4" won', command=["ask", "refuse"])
    A("zh", "li", "太湖食品 冷库项目 赢单", command=["ask", "refuse"])
    A("en", "alice", "Pioneer Steel blast furnace deal lost", command=["ask", "refuse"])
    ref("zh", "li", "/应收 仁和 金额待定")


def cover(c: Corpus) -> None:
    """A message for every due phrase the random draws left out: each kind is in."""
    clocks = {"sun": None, "fri": FRI, "eom": EOM}
    for key, phrases in DUE.items():
        clock, lang = key.split("_")
        for phrase, due in phrases:
            if any(phrase in r["text"] for r in c.records):
                continue
            if lang == "en":
                text = f"/call Initech today Paul Thompson asked for terms. next: send the terms {phrase}"
                who, account, linked, key_ = "alice", "Initech", "Paul Thompson", "terms"
            else:
                text = f"/电话 申城医药 今天 吴总问了交期 下一步：{phrase}确认交期"
                who, account, linked, key_ = "wang", "申城医药", "吴超", "确认交期"
            day = {"sun": "2026-12-06", "fri": "2026-12-04", "eom": "2026-11-30"}[clock]
            c.add(lang, who, text, clocks[clock], command="call", account=account, date=day,
                  tasks=[{"text_contains": key_, "due": due}], contacts_linked=[linked],
                  contacts_new=[])  # fmt: skip


def build() -> list[dict[str, Any]]:
    c = Corpus()
    handwritten(c)
    rng = random.Random(14)
    interactions(c, rng, "zh", 95)
    interactions(c, rng, "en", 95)
    interactions(c, rng, "zh", 16, MIXED_FORMS, "mixed")
    cover(c)
    return c.records


def main() -> None:
    records = build()
    with OUT.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    langs: dict[str, int] = {}
    for rec in records:
        langs[rec["lang"]] = langs.get(rec["lang"], 0) + 1
    share = {k: f"{v} ({100 * v / len(records):.0f}%)" for k, v in sorted(langs.items())}
    print(f"{len(records)} messages → {OUT.name}: {share}")


if __name__ == "__main__":
    main()
