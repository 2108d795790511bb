"""Reading /deal the way reps type it: where an unquoted name ends, stage verbs and states
in both languages, close dates before or after their word, free words kept as the note,
and refusals that name the phrase.  Pure parsing: no database."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain.errors import ParseError
from domain.policy import Policy
from handlers.context import ParseContext
from handlers.parsing.deals import DealCommand, parse_deal, stage_words

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday
ACCOUNTS = {"acme", "华夏重工", "blue harbor"}


def _pctx(lang: str = "en", settings: Policy | None = None) -> ParseContext:
    return ParseContext(
        now=NOW,
        lang=lang,
        currency="CNY",
        settings=settings or Policy(),
        known_accounts=lambda names: {n.lower() for n in names if n.lower() in ACCOUNTS},
    )


def parse(text: str, lang: str = "en") -> DealCommand:
    return parse_deal(text, _pctx(lang))


# --- names end where the clauses begin ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "amount", "stage"),
    [
        ("acme robotics pilot 1.2m stage proposal", "robotics pilot", "1200000", "proposal"),
        ("华夏重工 二期扩容 120万 进入谈判", "二期扩容", "1200000", "negotiation"),
        ("华夏重工二期扩容120万进入谈判", "二期扩容", "1200000", "negotiation"),
        ("华夏重工 二期扩容 进入谈判 120万", "二期扩容", "1200000", "negotiation"),
        (
            "Acme warehouse robotics pilot USD 20k negotiation",
            "warehouse robotics pilot",
            "20000",
            "negotiation",
        ),
        ("Acme X-ray 20k USD", "X-ray", "20000", None),
        ("Acme Line 3 expansion 300k", "Line 3 expansion", "300000", None),
        ("Acme 2027 renewal 1.2m", "2027 renewal", "1200000", None),
        ("Blue Harbor Q3 upsell ¥500k proposal", "Q3 upsell", "500000", "proposal"),
        ("Acme pilot moved to proposal", "pilot", None, "proposal"),
    ],
)
def test_an_unquoted_name_ends_where_the_amount_stage_or_date_begins(text, name, amount, stage):
    cmd = parse(text)
    assert cmd.deal == name
    assert cmd.amount == (Decimal(amount) if amount else None)
    assert cmd.stage == stage
    assert not cmd.exact and not cmd.new


def test_an_unquoted_name_ends_at_a_close_date():
    cmd = parse("Acme pilot close 2027-03-31 800k")
    assert (cmd.deal, cmd.close_date, cmd.amount) == ("pilot", date(2027, 3, 31), Decimal("800000"))
    cmd = parse("华夏重工 二期扩容 下月底成交 120万", "zh")
    assert (cmd.deal, cmd.close_date) == ("二期扩容", date(2026, 12, 31))


def test_a_quoted_name_is_taken_as_written():
    cmd = parse('Acme "Won back 2027" 1.2m stage proposal')
    assert cmd.deal == "Won back 2027" and cmd.exact and cmd.stage == "proposal"
    cmd = parse("华夏重工 “二期 扩容” 120万", "zh")
    assert cmd.deal == "二期 扩容" and cmd.amount == Decimal("1200000")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ('Acme new "robotics pilot" 1.2m', "robotics pilot"),
        ("Acme new deal robotics pilot 1.2m", "robotics pilot"),
        ("华夏重工 新建 三期扩容 50万", "三期扩容"),
        ("华夏重工 新建商机 “三期扩容” 50万", "三期扩容"),
    ],
)
def test_new_forces_a_new_deal(text, name):
    cmd = parse(text, "zh" if "华" in text else "en")
    assert cmd.new and cmd.deal == name


def test_the_clauses_are_kept_as_typed_for_the_choices():
    cmd = parse("acme robotics pilot 1.2m stage proposal, budget confirmed")
    assert cmd.clauses == "1.2m stage proposal, budget confirmed"


# --- stages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "stage"),
    [
        ("进入谈判", "negotiation"),
        ("推进到商务谈判", "negotiation"),
        ("谈判", "negotiation"),
        ("阶段谈判", "negotiation"),
        ("方案已经提交", "proposal"),
        ("方案已提交", "proposal"),
        ("阶段 方案", "proposal"),
        ("赢单", "won"),
        ("签了", "won"),
        ("成交了", "won"),
        ("已成交", "won"),
        ("黄了", "lost"),
        ("丢了", "lost"),
        ("输单", "lost"),
        ("初步接洽", "lead"),
        ("线索", "lead"),
        ("需求确认", "qualify"),
    ],
)
def test_chinese_stage_verbs_and_states(words, stage):
    cmd = parse(f"华夏重工 二期扩容 {words}", "zh")
    assert (cmd.deal, cmd.stage, cmd.note) == ("二期扩容", stage, None)


@pytest.mark.parametrize(
    ("words", "stage"),
    [
        ("closed won", "won"),
        ("closed-won", "won"),
        ("won", "won"),
        ("signed", "won"),
        ("closed lost", "lost"),
        ("is dead", "lost"),
        ("lost", "lost"),
        ("moved to proposal", "proposal"),
        ("stage: proposal", "proposal"),
        ("we're in negotiation now", "negotiation"),
        ("- we're in negotiation now", "negotiation"),
        ("negotiating", "negotiation"),
        ("qualified", "qualify"),
        ("lead", "lead"),
        ("阶段 negotiation", "negotiation"),
    ],
)
def test_english_stage_verbs_and_states(words, stage):
    cmd = parse(f"Acme pilot {words}")
    assert (cmd.deal, cmd.stage, cmd.note) == ("pilot", stage, None)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Acme pilot lost to competitor Siemens", "lost to competitor Siemens"),
        ("Acme pilot lost to Siemens on price", "lost to Siemens on price"),
        ("Acme pilot lost on price", "on price"),
        ("Acme pilot lost reason price", "price"),
        ("Acme pilot closed lost - budget cut", "budget cut"),
    ],
)
def test_why_a_deal_was_lost_is_its_reason(text, reason):
    cmd = parse(text)
    assert (cmd.deal, cmd.stage, cmd.reason) == ("pilot", "lost", reason)


def test_lost_to_a_competitor_in_chinese():
    cmd = parse("华夏重工 二期扩容 输给了西门子", "zh")
    assert (cmd.deal, cmd.stage, cmd.reason) == ("二期扩容", "lost", "输给了西门子")
    cmd = parse("华夏重工 二期扩容 黄了，客户预算砍了", "zh")
    assert (cmd.stage, cmd.reason) == ("lost", "客户预算砍了")


def test_one_stage_said_twice_is_one_stage_two_different_are_refused():
    assert parse("Acme pilot closed won - signed").stage == "won"
    with pytest.raises(ParseError, match="Two stages"):
        parse("Acme pilot won, lost")


def test_a_stage_word_inside_chinese_free_text_is_not_a_stage():
    cmd = parse("华夏重工 二期扩容，发方案给客户了", "zh")
    assert cmd.stage is None and cmd.note == "发方案给客户了"


def test_stage_words_follow_the_configured_stages():
    settings = Policy.model_validate(
        {"deals": {"probabilities": {"discovery": 20, "pitch": 60, "won": 100, "lost": 0}}}
    )
    words = stage_words(settings)
    assert words["pitch"] == "pitch" and words["黄了"] == "lost"
    assert "proposal" not in words and "进入谈判" not in words
    cmd = parse_deal("Acme pilot pitch", _pctx(settings=settings))
    assert cmd.stage == "pitch"


# --- close dates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "day"),
    [
        ("下月底成交", date(2026, 12, 31)),
        ("预计月底成交", date(2026, 11, 30)),
        ("成交 2027-03-31", date(2027, 3, 31)),
        ("3月31日前成交", date(2027, 3, 31)),
        ("成交日期 3月31日", date(2027, 3, 31)),
        ("目标3月中close", date(2027, 3, 15)),
        ("成交 明年3月底", date(2027, 3, 31)),
        ("成交 3月底", date(2027, 3, 31)),
        ("3月底签约", date(2027, 3, 31)),
    ],
)
def test_chinese_close_dates_before_or_after_their_word(words, day):
    cmd = parse(f"华夏重工 二期扩容 {words}", "zh")
    assert (cmd.deal, cmd.close_date, cmd.stage, cmd.note) == ("二期扩容", day, None, None)


@pytest.mark.parametrize(
    ("words", "day"),
    [
        ("closing next month", date(2026, 12, 18)),
        ("expected close 2027-03-31", date(2027, 3, 31)),
        ("close 2027-03-31", date(2027, 3, 31)),
        ("close by Mar 31", date(2027, 3, 31)),
        ("target close Dec 31", date(2026, 12, 31)),
        ("close end of month", date(2026, 11, 30)),
        ("close end of Q1", date(2027, 3, 31)),
        ("close mid January", date(2027, 1, 15)),
        ("close end of March", date(2027, 3, 31)),
    ],
)
def test_english_close_dates(words, day):
    cmd = parse(f"Acme pilot {words}")
    assert (cmd.deal, cmd.close_date, cmd.stage, cmd.note) == ("pilot", day, None, None)


@pytest.mark.parametrize("words", ["成交 明年3月底", "成交 3月底", "目标3月中close"])
def test_a_date_read_in_pieces_is_read_whole_or_refused_never_half_stored(words):
    """明年3月底 must never be 'two close dates', nor 月底 of this month, nor the 15th of
    this month for 3月中: the whole phrase is one close date or a refusal naming it."""
    try:
        cmd = parse(f"华夏重工 二期扩容 {words}", "zh")
    except ParseError as exc:
        assert "两个" not in str(exc) and "3月" in str(exc)
    else:
        assert cmd.close_date is not None and cmd.close_date.month == 3


def test_two_close_dates_are_still_refused():
    with pytest.raises(ParseError, match="Two close dates"):
        parse("Acme pilot close 2027-03-31 close 2027-04-30")


# --- free words, amounts and refusals ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("Acme pilot 1.2m stage proposal - budget confirmed", "budget confirmed"),
        (
            "Acme pilot negotiation, CFO on board, legal review next",
            "CFO on board, legal review next",
        ),
        ("华夏重工 二期扩容，客户反馈不错，进入谈判", "客户反馈不错"),
        ("华夏重工 二期扩容 进入谈判，客户反馈不错", "客户反馈不错"),
    ],
)
def test_free_words_are_the_note(text, note):
    cmd = parse(text, "zh" if "华" in text else "en")
    assert cmd.note == note and cmd.stage is not None


def test_the_note_keeps_what_was_typed():
    cmd = parse("华夏重工 二期扩容 进入谈判，客户反馈不错（王总）", "zh")
    assert cmd.note == "客户反馈不错（王总）"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('Acme "X" 1.2.3m', "“1.2.3m” is not an amount"),
        ('Acme "X" 1m close 2027-02-30', "“2027-02-30” is not a close date"),
        ('Acme "X" 1m close someday', "“someday” is not a close date"),
        ('Acme "X" stage maybe', "“maybe” is not a stage"),
        ('Acme "X" 1m 2m', "Two amounts"),
        ("Acme pilot 1.2m close", "“close” needs a date"),
        ("Acme pilot reason", "needs the reason"),
        ("Acme pilot 2027-13-45 won", "“2027-13-45” is not a close date"),
    ],
)
def test_refusals_name_the_phrase(text, shown):
    with pytest.raises(ParseError, match=shown):
        parse(text)


def test_a_date_is_never_an_amount():
    cmd = parse("华夏重工 二期扩容 3月31日前成交 120万", "zh")
    assert cmd.amount == Decimal("1200000") and cmd.close_date == date(2027, 3, 31)


def test_30w_inside_an_unquoted_name_is_not_both_name_and_amount():
    try:
        cmd = parse("华夏重工 二期扩容30w 谈判", "zh")
    except ParseError as exc:
        assert "30w" in str(exc)  # not read yet: refused, named
    else:
        assert "30w" not in (cmd.deal or "") or cmd.amount is None


def test_30w_after_an_unquoted_name_is_the_amount():
    cmd = parse("华夏重工 二期扩容30w 谈判", "zh")
    assert (cmd.deal, cmd.amount, cmd.stage) == ("二期扩容", Decimal("300000"), "negotiation")


def test_no_name_and_no_change_is_the_list():
    cmd = parse("Acme")
    assert cmd.deal is None and not cmd.changes and cmd.note is None
    cmd = parse("Acme won")
    assert cmd.deal is None and cmd.stage == "won"


# --- words of the note are not fields -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stage", "note"),
    [
        ("Acme pilot - CFO wants a new proposal", None, "CFO wants a new proposal"),
        (
            "Acme pilot 1.2m proposal - lead engineer joined, NDA signed",
            "proposal",
            "lead engineer joined, NDA signed",
        ),
        ("Acme pilot 1.2m proposal CFO happy", "proposal", "CFO happy"),
        ("Acme pilot negotiation because CFO asked", "negotiation", "because CFO asked"),
    ],
)
def test_a_lone_stage_word_inside_free_words_is_part_of_the_note(text, stage, note):
    cmd = parse(text)
    assert (cmd.deal, cmd.stage, cmd.note) == ("pilot", stage, note)


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("Acme pilot negotiation - call CFO Friday", "call CFO Friday"),
        ("Acme pilot negotiation - send contract by Mar 10", "send contract by Mar 10"),
        ("Acme pilot negotiation. next: send contract by 3/10", "next: send contract by 3/10"),
        ("华夏重工 pilot 进入谈判 下一步：3月10日前发合同", "下一步：3月10日前发合同"),
    ],
)
def test_a_date_of_the_note_or_a_next_step_is_not_the_close_date(text, note):
    cmd = parse(text, "zh" if "华" in text else "en")
    assert (cmd.deal, cmd.stage, cmd.close_date, cmd.note) == ("pilot", "negotiation", None, note)


def test_a_calendar_date_without_a_close_word_is_the_close_date():
    cmd = parse("Acme pilot 800k Dec 31")
    assert cmd.close_date == date(2026, 12, 31) and cmd.note is None


def test_we_lost_to_keeps_the_reason_from_lost():
    cmd = parse("Acme pilot we lost to Siemens")
    assert (cmd.deal, cmd.stage, cmd.reason) == ("pilot", "lost", "lost to Siemens")


@pytest.mark.parametrize(
    ("text", "amount", "stage", "note"),
    [
        ("Acme pilot 1200000 proposal", "1200000", "proposal", None),
        ("Acme pilot proposal 1200000", "1200000", "proposal", None),
        ("Acme pilot 1,200,000 3 sites", "1200000", None, "3 sites"),
        ("Acme pilot to proposal", None, "proposal", None),
        ("Acme pilot $1.2M closed won 🎉", "1200000", "won", None),
        ("Acme pilot 1.2m, 90% likely", "1200000", None, "90% likely"),
    ],
)
def test_more_ways_reps_type_it(text, amount, stage, note):
    cmd = parse(text)
    assert cmd.deal == "pilot"
    assert (cmd.amount, cmd.stage, cmd.note) == (Decimal(amount) if amount else None, stage, note)


def test_full_width_input_is_read_and_the_note_keeps_it():
    cmd = parse("华夏重工 “二期扩容” １２０万 阶段：方案，客户：很满意", "zh")
    assert (cmd.amount, cmd.stage) == (Decimal("1200000"), "proposal")
    assert cmd.note == "客户：很满意"


def test_close_and_stage_opening_a_name_are_the_names():
    assert parse("Acme Close the loop project 1m").deal == "Close the loop project"
    assert parse("Acme Stage lighting upgrade 1m").deal == "Stage lighting upgrade"


def test_close_in_the_note_is_refused_only_before_a_date_attempt():
    cmd = parse("Acme pilot 1m - need to close the gap with IT")
    assert cmd.note == "need to close the gap with IT" and cmd.close_date is None
    with pytest.raises(ParseError, match="“someday” is not a close date"):
        parse("Acme pilot close someday")


@pytest.mark.parametrize(
    ("text", "stage", "note"),
    [
        ("华夏重工 二期扩容 已签约", "won", None),
        ("华夏重工二期扩容已经签了", "won", None),
        ("华夏重工 二期扩容 目前谈判中", "negotiation", None),
        ("华夏重工 二期扩容 已经进入谈判阶段了", "negotiation", None),
        ("华夏重工 二期扩容 现在方案阶段", "proposal", None),
        ("华夏重工 二期扩容，客户目前方案需要改", None, "客户目前方案需要改"),
    ],
)
def test_chinese_adverbs_around_a_stage(text, stage, note):
    cmd = parse(text, "zh")
    assert (cmd.deal, cmd.stage, cmd.note) == ("二期扩容", stage, note)


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        (
            "acme wms 4.2m neg",
            {"deal": "wms", "amount": Decimal("4200000"), "stage": "negotiation"},
        ),
        ("Acme pilot 1.2m qualified lead", {"stage": "qualify", "amount": Decimal("1200000")}),
        (
            "华夏重工 二期扩容 报价已发 120万 预计下月底签",
            {"stage": "proposal", "close_date": date(2026, 12, 31), "note": None},
        ),
        ("华夏重工 二期扩容 被西门子抢了", {"stage": "lost", "reason": "被西门子抢了"}),
        (
            "华夏重工 二期扩容 输给西门子了 价格原因",
            {"stage": "lost", "reason": "输给西门子了 价格原因"},
        ),
        ("华夏重工 二期扩容 这单黄了", {"deal": "二期扩容", "stage": "lost"}),
        (
            "华夏重工 二期扩容 进入谈判，金额调整为110万",
            {"amount": Decimal("1100000"), "stage": "negotiation", "note": None},
        ),
    ],
)
def test_what_reps_write_in_the_field(text, expect):
    cmd = parse(text, "zh" if "华" in text else "en")
    assert {k: getattr(cmd, k) for k in expect} == expect


def test_december_end_is_read_whole():
    cmd = parse("华夏重工 二期扩容 商务谈判中 预计12月底成交", "zh")
    assert (cmd.stage, cmd.close_date) == ("negotiation", date(2026, 12, 31))


def test_december_end_is_never_read_as_february():
    try:
        cmd = parse("华夏重工 二期扩容 预计12月底成交", "zh")
    except ParseError as exc:
        assert "“12月底”" in str(exc)
    else:
        assert cmd.close_date == date(2026, 12, 31)


def test_stage_in_free_words_is_refused_only_when_it_names_a_value():
    assert parse("Acme pilot 1m - at this stage they wait").note == "at this stage they wait"
    with pytest.raises(ParseError, match="“maybe” is not a stage"):
        parse('Acme "X" 1m, stage: maybe')


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("Acme pilot negotation", "negotiation"),
        ("Acme pilot 1.2m propsal", "proposal"),
        ("Acme pilot qualifed, CFO ok", "qualify"),
    ],
)
def test_a_misspelt_stage_word_standing_as_a_clause_is_read(text, stage):
    cmd = parse(text)
    assert (cmd.deal, cmd.stage) == ("pilot", stage)


def test_a_word_of_a_name_like_a_stage_word_stays_in_the_name():
    cmd = parse("Acme Negotiator training 1m")
    assert (cmd.deal, cmd.stage) == ("Negotiator training", None)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("华夏重工 3号线改造 120万", "3号线改造"),
        ("华夏重工 二期3号线改造 120万", "二期3号线改造"),
        ("华夏重工 2号仓库项目 120万", "2号仓库项目"),
        ("华夏重工 5月促销项目 120万", "5月促销项目"),
    ],
)
def test_a_date_like_start_of_a_chinese_word_is_part_of_the_name(text, name):
    cmd = parse(text, "zh")
    assert (cmd.deal, cmd.close_date, cmd.amount, cmd.note) == (
        name,
        None,
        Decimal("1200000"),
        None,
    )


def test_a_chinese_date_before_its_close_word_is_still_the_close_date():
    assert parse("华夏重工 二期扩容 3号成交", "zh").close_date == date(2026, 12, 3)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("Acme pilot 1.2m→1.5m", "1500000"),
        ("Acme pilot from 1.2m to 1.5m", "1500000"),
        ("Acme pilot upsized to 1.5m", "1500000"),
        ("Acme pilot amount now 1.5m", "1500000"),
        ("华夏重工 pilot 从300万调到390万", "3900000"),
        ("华夏重工 pilot 300万改为390万", "3900000"),
    ],
)
def test_an_amount_changed_from_one_to_another_is_the_new_one(text, amount):
    cmd = parse(text, "zh" if "华" in text else "en")
    assert (cmd.deal, cmd.amount, cmd.note) == ("pilot", Decimal(amount), None)


def test_a_time_before_cheng_jiao_is_never_read_as_won():
    try:
        cmd = parse("华夏重工 储能项目 春节前成交", "zh")
    except ParseError as exc:
        assert "“春节前”" in str(exc)  # not understood: refused, named
    else:
        assert cmd.stage is None and cmd.close_date is not None
    assert parse("华夏重工 储能项目成交", "zh").stage == "won"


def test_a_festival_close_date():
    cmd = parse("华夏重工 储能项目 春节前成交", "zh")
    assert cmd.close_date is not None and cmd.stage is None
