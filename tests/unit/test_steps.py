"""handlers.parsing.steps.read_log: the date, the note and every next step of a logged
interaction, read the way reps type them (dates anywhere, Chinese without spaces,
several steps with their own due dates and owners, what was typed kept as typed)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.parsing.steps import read_log, unread_date_phrases
from handlers.parsing.text import next_step_markers, split_next_step

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=SH)  # a Wednesday
YESTERDAY = date(2026, 11, 17)


def _steps(text: str) -> list[tuple[str, date | None, list[str]]]:
    return [
        (s.text, s.due.date() if s.due else None, s.owners) for s in read_log(text, now=NOW).steps
    ]


# --- the interaction date ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "note", "day", "hour"),
    [
        # leading: read and cut from the note
        ("yesterday met Li Wei, CFO. Budget approved.", "met Li Wei, CFO. Budget approved.", 17, 12),
        ("昨天见了王总。", "见了王总。", 17, 12),
        ("昨天 下午3点见了王总", "见了王总", 17, 15),
        # in the middle or at the end: read, and kept in the note (it is what was said)
        ("met Li Wei yesterday afternoon", "met Li Wei yesterday afternoon", 17, 14),
        ("见了王总 昨天下午", "见了王总 昨天下午", 17, 14),
        ("talked w/ Li Wei 2 days ago about pricing", "talked w/ Li Wei 2 days ago about pricing", 16, 12),
        # a time alone after a day gives that day its time
        ("yesterday met Li Wei at 3pm", "met Li Wei at 3pm", 17, 15),
        # a bare weekday looks back
        ("Monday: kickoff with IT", "kickoff with IT", 16, 12),
    ],
)  # fmt: skip
def test_the_first_date_anywhere_in_the_note_is_when(text, note, day, hour):
    r = read_log(text, now=NOW)
    assert r.note == note
    assert r.when is not None and (r.when.day, r.when.hour) == (day, hour)
    assert r.future is None and r.conflict == []


def test_no_date_means_none_and_the_whole_note():
    r = read_log("quick check-in, all good", now=NOW)
    assert r.when is None and r.date_phrase is None and r.note == "quick check-in, all good"


def test_full_width_punctuation_is_stored_as_typed():
    r = read_log("昨天见了王总，预算已批；下一步：周五前发方案，附报价", now=NOW)
    assert r.note == "见了王总，预算已批"
    [step] = r.steps
    assert step.text == "发方案，附报价" and step.due_phrase == "周五前"


def test_a_deadline_in_the_note_is_not_when_it_happened():
    r = read_log("见了王总，他说预算周五前批", now=NOW)
    assert r.when is None and r.note == "见了王总，他说预算周五前批"


@pytest.mark.parametrize(
    ("text", "phrase", "day"),
    [
        ("tomorrow met Li Wei", "tomorrow", date(2026, 11, 19)),
        ("met Li Wei next week", "next week", date(2026, 11, 25)),
        ("下周三 见王总", "下周三", date(2026, 11, 25)),
        # a year-less day nearer ahead than behind is not last year's
        ("Dec 9 met Li Wei", "Dec 9", date(2026, 12, 9)),
        ("12月5日拜访", "12月5日", date(2026, 12, 5)),
        ("20号上门拜访", "20号", date(2026, 11, 20)),
    ],
)
def test_a_date_ahead_is_flagged_future(text, phrase, day):
    r = read_log(text, now=NOW)
    assert r.future is not None
    assert r.future[0] == phrase and r.future[1].date() == day


def test_a_day_ahead_in_a_later_clause_is_what_was_said():
    r = read_log("电话沟通了预算，客户说下个月再定", now=NOW)
    assert r.future is None and r.when is None and r.ahead == ["下个月"]
    assert r.note == "电话沟通了预算，客户说下个月再定"
    r = read_log("met Li Wei, demo next week", now=NOW)
    assert r.future is None and r.ahead == ["next week"]


def test_a_past_date_with_a_plan_in_the_note_is_fine():
    r = read_log("met Li Wei yesterday, they want a demo next week", now=NOW)
    assert r.when.date() == YESTERDAY and r.future is None
    assert r.note == "met Li Wei yesterday, they want a demo next week"


def test_a_year_less_date_weeks_back_is_read_back():
    r = read_log("Oct 3 met Li Wei", now=NOW)
    assert r.when.date() == date(2026, 10, 3) and r.future is None
    r = read_log("15号上门拜访", now=NOW)
    assert r.when.date() == date(2026, 11, 15) and r.future is None
    r = read_log("Friday met Li Wei", now=NOW)  # last Friday, though this one is nearer
    assert r.when.date() == date(2026, 11, 13) and r.future is None


def test_two_days_none_leading_is_a_conflict():
    r = read_log("met Li Wei on Monday, and again yesterday", now=NOW)
    assert [(p, w.date()) for p, w in r.conflict] == [
        ("on Monday", date(2026, 11, 16)),
        ("yesterday", YESTERDAY),
    ]


def test_a_leading_week_does_not_outrank_a_day_said_later():
    r = read_log("上周发的方案，今天客户反馈不错", now=NOW)
    assert [p for p, _w in r.conflict] == ["上周", "今天"]


def test_a_leading_day_wins_and_later_dates_are_listed():
    r = read_log("yesterday met Li Wei; he had called on Monday", now=NOW)
    assert r.when.date() == YESTERDAY and r.conflict == []
    assert r.other_dates == ["on Monday"]
    assert r.note == "met Li Wei; he had called on Monday"
    # how a choice is answered: the full date in front, the note whole
    r = read_log("2026-11-16 上周发的方案，今天客户反馈不错", now=NOW)
    assert r.when.date() == date(2026, 11, 16) and r.note == "上周发的方案，今天客户反馈不错"


def test_only_a_date_is_a_date_without_notes():
    r = read_log("yesterday", now=NOW)
    assert r.when.date() == YESTERDAY and r.note == "" and r.steps == []


# --- phrases that look like dates ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("met Li Wei after the fair", ["after the fair"]),
        ("展会后见了王总", ["展会后"]),
        ("开完会以后见了王总", ["开完会以后"]),
        ("met on 13/45", ["13/45"]),
        ("met Li Wei about the renewal", []),
        ("budget frozen, check in after the fair", ["after the fair"]),
        ("吃了个饭，说好13.45号再聊", ["13.45号"]),
    ],
)
def test_a_dateless_note_quotes_what_looked_like_a_date(text, phrases):
    r = read_log(text, now=NOW)
    assert r.when is None and r.unread == phrases


def test_unread_phrases_skip_taken_spans():
    assert unread_date_phrases("by the end of the project", []) == [(0, 25)]
    assert unread_date_phrases("by the end of the project", [(0, 25)]) == []
    assert unread_date_phrases("send asap", [], vague=True) == [(5, 9)]
    assert unread_date_phrases("send asap", []) == []


# --- next steps ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        (
            "ok. next: send proposal by Friday",
            [("send proposal", date(2026, 11, 20), [])],
        ),
        (
            "ok next: A by Fri; B by 12月10号",
            [("A", date(2026, 11, 20), []), ("B", date(2026, 12, 10), [])],
        ),
        (
            "见了王总 下一步：1. 发方案 周五前 2. 约技术交流 下周三",
            [("发方案", date(2026, 11, 20), []), ("约技术交流", date(2026, 11, 25), [])],
        ),
        (
            "ok. next steps: send deck by Mon, @carol to send the contract by Wed",
            [("send deck", date(2026, 11, 23), []), ("send the contract", NOW.date(), ["carol"])],
        ),
        (
            "预算已批，跟进：①周五前发方案②下周三约技术交流",
            [("发方案", date(2026, 11, 20), []), ("约技术交流", date(2026, 11, 25), [])],
        ),
        (
            "见了王总，预算已批，下一步：周五前发方案，下周三约技术交流",
            [("发方案", date(2026, 11, 20), []), ("约技术交流", date(2026, 11, 25), [])],
        ),
        ("谈了预算，下一步明天发报价", [("发报价", date(2026, 11, 19), [])]),
        ("ok 待办：发合同", [("发合同", None, [])]),
        ("ok todo: call back", [("call back", None, [])]),
        # a clause without its own date or owner stays with its neighbour
        ("ok next: send deck and pricing by Wed", [("send deck and pricing", NOW.date(), [])]),
        ("ok next: send deck, pricing sheet by Mon", [("send deck, pricing sheet", date(2026, 11, 23), [])]),
        (
            "ok todo: @bob: call back tomorrow, then @carol sends pricing by Friday",
            [("call back", date(2026, 11, 19), ["bob"]), ("sends pricing", date(2026, 11, 20), ["carol"])],
        ),
        # a date in the middle of a step stays in its text
        ("ok next: call tomorrow to confirm the demo", [("call tomorrow to confirm the demo", date(2026, 11, 19), [])]),
        ("ok. next: (1) send recap today (2) book demo for next Thu", [("send recap", NOW.date(), []), ("book demo", date(2026, 11, 26), [])]),
        # a comma inside a date does not split
        ("ok next: send contract by Dec 1, 2026", [("send contract", date(2026, 12, 1), [])]),
        # several markers: each one's steps
        ("ok. next: deck by Fri. todo: pricing by Mon", [("deck", date(2026, 11, 20), []), ("pricing", date(2026, 11, 23), [])]),
        # a line per step
        ("ok\nnext:\n- send deck by Fri\n- book the demo", [("send deck", date(2026, 11, 20), []), ("book the demo", None, [])]),
    ],
)  # fmt: skip
def test_next_steps_each_with_due_date_and_owner(text, steps):
    assert _steps(text) == steps


def test_a_step_date_is_read_forward_and_a_past_one_is_kept_for_refusal():
    [step] = read_log("ok next: send deck yesterday", now=NOW).steps
    assert step.due.date() == YESTERDAY  # the command refuses it, never stores it
    [step] = read_log("ok next: send deck Friday", now=NOW).steps
    assert step.due.date() == date(2026, 11, 20)


def test_a_step_without_a_readable_date_says_which_phrase():
    [step] = read_log("ok next: send deck asap", now=NOW).steps
    assert step.due is None and step.unread == ["asap"]
    [step] = read_log("ok next: send deck before the trade show", now=NOW).steps
    assert step.due is None and step.unread == ["before the trade show"]


def test_empty_markers_and_steps_that_are_only_a_date():
    assert read_log("met Li Wei next:", now=NOW).empty_marker
    r = read_log("met Li Wei next: by Friday", now=NOW)
    assert r.empty_steps == ["by Friday"]


def test_a_date_in_the_steps_is_not_the_interaction_date():
    r = read_log("见了王总 下一步：周五前发方案", now=NOW)
    assert r.when is None and r.note == "见了王总"


# --- markers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("ok next: x", True),
        ("ok. Next step: x", True),
        ("ok. Next steps - x", True),
        ("Budget approved. Next step send the deck", True),
        ("ok follow-up: x", True),
        ("ok 下一步：x", True),
        ("ok 下一步x", True),
        ("ok 下一步是约技术交流", True),
        ("ok 待办：x", True),
        ("ok 跟进：x", True),
        ("ok 后续：x", True),
        ("discussed next steps with the CFO", False),
        ("next week we meet", False),
        ("context: none", False),
        ("跟进了预算", False),
        ("讨论了下一步合作方向", False),
        ("下一步的计划还没定", False),
        ("预算已批下一步明天发报价", True),
    ],
)
def test_next_step_markers(text, marked):
    assert bool(next_step_markers(text)) is marked


def test_split_next_step_keeps_its_first_marker_behaviour():
    assert split_next_step("ok. Next step: call; todo: x") == ("ok.", "call; todo: x")
    assert split_next_step("见了王总 下一步明天发报价") == ("见了王总", "明天发报价")


def test_a_platform_mention_is_the_owner_even_with_words_glued_on():
    [step] = read_log("ok 下一步：@王磊负责发合同 周五前", now=NOW, mentions=["王磊"]).steps
    assert (step.text, step.owners, step.due_phrase) == ("发合同", ["王磊"], "周五前")
    [step] = read_log("ok next: send the deck @carol.", now=NOW).steps
    assert (step.text, step.owners) == ("send the deck", ["carol"])
    [step] = read_log("ok next: mail li@acme.com the deck", now=NOW).steps
    assert step.owners == []


_PIECES = st.sampled_from(
    [*"ab 1.2;:,，。；：、@①②\n-()（）/", "next:", "下一步：", "下一步", "todo:", "yesterday",
     "昨天", "by Friday", "周五前", "@carol", "1. ", "2. ", "12月10号", " and ", "然后", "Dec 9",
     "after the fair", "asap", "met Li Wei", "见了王总", "at 3pm", "上周", "明天"]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=24).map("".join))
def test_any_text_is_read_into_slices_of_itself(text):
    r = read_log(text, now=NOW)
    assert r.note in text
    assert r.when is None or r.date_phrase in text
    for step in r.steps:
        assert step.clause in text and step.text in step.clause
        assert step.due is None or step.due_phrase in step.clause
        assert all(phrase in step.clause for phrase in step.unread)
    assert all(phrase in text for phrase in r.unread + r.other_dates)


@pytest.mark.parametrize(
    ("text", "step", "due"),
    [
        (
            "met Tom re line 3. Send revised drawings by Friday",
            "Send revised drawings",
            "2026-11-20",
        ),
        ("见了王总，聊了报价，下周三前把方案发过去", "把方案发过去", "2026-11-25"),
        ("good talk, follow up on the quote EOM", "follow up on the quote", "2026-11-30"),
    ],
)
def test_a_step_written_without_next_is_still_a_step(text, step, due):
    reading = read_log(text, now=NOW)
    assert [(s.text, s.due.date().isoformat()) for s in reading.steps] == [(step, due)]


@pytest.mark.parametrize(
    "text", ["见了王总，他说预算周五前批", "met Li Wei, they said it closes by Friday"]
)
def test_what_someone_said_about_a_date_is_no_step(text):
    assert read_log(text, now=NOW).steps == []
