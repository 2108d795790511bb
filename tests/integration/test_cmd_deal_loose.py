"""/deal as reps type it: a loose name updates the deal it means (and says so), a name
near a deal but not clearly it is asked about, won/lost never create a deal, past close
dates are refused, and free words are kept as the note and echoed."""

from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import select

from domain.models import Account, AuditEntry, Deal, DealStageChange, User
from handlers.replies import Severity
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, Chat, book


def _fields(reply) -> dict[str, str]:
    return {fld.label: fld.value for fld in reply.fields}


def _text(reply) -> str:
    return "\n".join(reply.plain_lines())


def _deals(engine) -> dict[str, Deal]:
    with unit_of_work(engine, write=False) as s:
        return {d.name: d for d in s.exec(select(Deal).order_by(Deal.id))}


def _labels(reply) -> list[str]:
    return [a.label for a in reply.actions]


def _pick(chat, who: str, reply, n: int):
    """Answer the question as its button does (the chosen message runs once)."""
    return chat.say(who, reply.actions[n - 1].command)


def _audit_count(engine) -> int:
    with unit_of_work(engine, write=False) as s:
        return len(s.exec(select(AuditEntry)).all())


def _deal(engine, ids, name, *, account="acme", owner="alice", stage="lead", amount="0"):
    with unit_of_work(engine) as s:
        acc = s.get(Account, ids[account])
        who = s.get(User, ids[owner])
        return f.deal(
            s,
            acc,
            name,
            owner=who,
            amount=amount,
            stage=stage,
            stage_changed_at=NOW - timedelta(days=5),
            close_date=date(2027, 3, 31),
        ).id


# --- a loose name updates the deal it means -------------------------------------------


def test_a_loose_name_updates_the_existing_deal_and_says_which(engine):
    ids = book(engine)
    _deal(engine, ids, "Warehouse robotics pilot")
    _deal(engine, ids, "CRM rollout")
    reply = Chat(engine).say("alice", "/deal acme robotics pilot 1.2m stage proposal")
    assert reply.severity is Severity.success, _text(reply)
    assert reply.title == "Updated “Warehouse robotics pilot” at Acme"
    assert reply.lines[0] == "Matched “Warehouse robotics pilot” (you wrote “robotics pilot”)."
    fields = _fields(reply)
    assert fields["Stage"] == "lead → proposal" and fields["Amount"] == "¥1.2M"
    deals = _deals(engine)
    assert set(deals) == {"Warehouse robotics pilot", "CRM rollout"}
    pilot = deals["Warehouse robotics pilot"]
    assert pilot.stage == "proposal" and pilot.amount == Decimal("1200000.00")


def test_word_order_case_and_a_typo_still_find_the_deal(engine):
    ids = book(engine)
    _deal(engine, ids, "Warehouse robotics pilot")
    chat = Chat(engine)
    for text, stage in [
        ("/deal Acme PILOT ROBOTICS qualified", "qualify"),
        ("/deal Acme warehouse robtics pilot moved to proposal", "proposal"),
        ("/deal Acme Robotics - we're in negotiation now", "negotiation"),
    ]:
        reply = chat.say("alice", text)
        assert reply.severity is Severity.success, _text(reply)
        assert _deals(engine)["Warehouse robotics pilot"].stage == stage
    assert len(_deals(engine)) == 1


def test_chinese_without_quotes_or_spaces_updates_the_deal(engine):
    ids = book(engine)
    _deal(engine, ids, "二期扩容", account="huaxia", owner="wang", stage="proposal")
    chat = Chat(engine)
    reply = chat.say("wang", "/商机 华夏重工 二期扩容 120万 进入谈判")
    assert reply.severity is Severity.success, _text(reply)
    assert _fields(reply)["阶段"] == "方案 → 谈判" and _fields(reply)["金额"] == "120万"
    reply = chat.say("wang", "/商机 华夏重工二期 下月底成交")
    assert reply.lines[0] == "匹配到商机“二期扩容”（你写的是“二期”）。"
    assert _fields(reply)["预计成交"] == "2026年12月31日"
    [deal] = _deals(engine).values()
    assert deal.stage == "negotiation" and deal.close_date == date(2026, 12, 31)


def test_an_open_deal_is_preferred_to_a_closed_one_of_the_same_words(engine):
    ids = book(engine)
    _deal(engine, ids, "Robotics pilot 2025", stage="won")
    _deal(engine, ids, "Robotics pilot expansion")
    reply = Chat(engine).say("alice", "/deal Acme robotics pilot 900k")
    assert reply.title == "Updated “Robotics pilot expansion” at Acme", _text(reply)


# --- the grey band is asked, with complete messages -------------------------------------


def test_a_name_near_a_deal_asks_update_or_new_and_writes_nothing(engine):
    ids = book(engine)
    _deal(engine, ids, "Line 2")
    chat = Chat(engine)
    reply = chat.say("alice", "/deal Acme Line 3 300k proposal")
    assert reply.severity is Severity.warning
    assert "Line 3" in reply.title
    assert _labels(reply) == ["1. update “Line 2”", "2. new deal “Line 3”"]
    assert set(_deals(engine)) == {"Line 2"} and _audit_count(engine) == 0

    made = _pick(chat, "alice", reply, 2)  # the person picks "new deal"
    assert made.title == "New deal “Line 3” at Acme"
    assert _deals(engine)["Line 3"].amount == Decimal("300000.00")
    assert _deals(engine)["Line 3"].stage == "proposal"

    asked = chat.say("alice", "/deal Acme Line 4 500k negotiation")
    assert _labels(asked)[0] in ("1. update “Line 2”", "1. update “Line 3”")
    updated = _pick(chat, "alice", asked, 1)
    assert updated.title.startswith("Updated “Line ")
    assert {d.stage for d in _deals(engine).values()} >= {"negotiation"}


def test_extra_words_after_a_deal_name_are_asked_about(engine):
    ids = book(engine)
    _deal(engine, ids, "二期扩容", account="huaxia", owner="wang")
    chat = Chat(engine)
    reply = chat.say("wang", "/商机 华夏重工 二期扩容 客户反馈不错 进入谈判")
    assert reply.severity is Severity.warning
    assert _labels(reply) == ["1. 更新“二期扩容”", "2. 新建商机“二期扩容 客户反馈不错”"]
    assert _deals(engine)["二期扩容"].stage == "lead"
    picked = _pick(chat, "wang", reply, 1)
    assert picked.severity is Severity.success
    assert _fields(picked)["备注"] == "客户反馈不错"
    assert _deals(engine)["二期扩容"].stage == "negotiation"


def test_a_loose_name_of_a_closed_deal_is_asked_before_reopening(engine):
    ids = book(engine)
    _deal(engine, ids, "Robotics pilot", stage="lost")
    chat = Chat(engine)
    reply = chat.say("alice", "/deal Acme robotic pilot negotiation")
    assert reply.severity is Severity.warning
    assert _labels(reply)[0] == "1. update “Robotics pilot”"
    assert _deals(engine)["Robotics pilot"].stage == "lost"
    assert _pick(chat, "alice", reply, 1).title == "Reopened “Robotics pilot” at Acme"


def test_two_open_deals_that_fit_are_asked_which(engine):
    ids = book(engine)
    _deal(engine, ids, "Robotics pilot Shanghai")
    _deal(engine, ids, "Robotics pilot Ningbo")
    chat = Chat(engine)
    reply = chat.say("alice", "/deal Acme robotics pilot won")
    assert reply.severity is Severity.warning
    assert set(_labels(reply)) == {
        "1. update “Robotics pilot Shanghai”",
        "2. update “Robotics pilot Ningbo”",
    } or set(_labels(reply)) == {
        "1. update “Robotics pilot Ningbo”",
        "2. update “Robotics pilot Shanghai”",
    }
    assert {d.stage for d in _deals(engine).values()} == {"lead"}
    _pick(chat, "alice", reply, 1)
    assert sorted(d.stage for d in _deals(engine).values()) == ["lead", "won"]


# --- won and lost never create a deal --------------------------------------------------


def test_won_alone_never_creates_a_deal(engine):
    ids = book(engine)
    _deal(engine, ids, "CRM rollout")
    chat = Chat(engine)
    reply = chat.say("alice", '/deal Acme "Line 3" won')
    assert reply.severity is Severity.error
    text = _text(reply)
    assert "no deal called “Line 3”" in text and "“CRM rollout”" in text
    assert '/deal Acme new "Line 3" won' in text
    assert set(_deals(engine)) == {"CRM rollout"} and _audit_count(engine) == 0

    made = chat.say("alice", '/deal Acme new "Line 3" won 500k')
    assert made.severity is Severity.success
    assert _deals(engine)["Line 3"].stage == "won"


def test_lost_near_a_deal_asks_among_the_close_ones_only(engine):
    ids = book(engine)
    _deal(engine, ids, "Line 2")
    chat = Chat(engine)
    reply = chat.say("alice", "/deal Acme Line 3 黄了")
    assert reply.title == "Acme has no deal called “Line 3” — did you mean this one?"
    assert _labels(reply) == ["1. update “Line 2”"]
    assert '/deal Acme new "Line 3" 黄了' in _text(reply)
    assert _deals(engine)["Line 2"].stage == "lead"
    _pick(chat, "alice", reply, 1)
    assert _deals(engine)["Line 2"].stage == "lost"


def test_chinese_lost_to_a_competitor_keeps_the_reason(engine):
    ids = book(engine)
    _deal(engine, ids, "二期扩容", account="huaxia", owner="wang", stage="negotiation")
    reply = Chat(engine).say("wang", "/商机 华夏重工 二期扩容 输给了西门子")
    assert reply.title == "输单：“二期扩容”（华夏重工）"
    assert _fields(reply)["原因"] == "输给了西门子"
    assert _deals(engine)["二期扩容"].lost_reason == "输给了西门子"


def test_new_with_a_name_that_exists_is_refused(engine):
    ids = book(engine)
    _deal(engine, ids, "CRM rollout")
    reply = Chat(engine).say("alice", '/deal Acme new "crm rollout" 1m')
    assert reply.severity is Severity.error
    assert "/deal Acme “CRM rollout” 1m" in _text(reply)
    assert len(_deals(engine)) == 1


# --- close dates, notes and the echo ---------------------------------------------------


def test_a_close_date_in_the_past_is_refused_for_an_open_deal(engine):
    ids = book(engine)
    _deal(engine, ids, "CRM rollout")
    chat = Chat(engine)
    reply = chat.say("alice", '/deal Acme "CRM rollout" close 2025-03-31')
    assert reply.severity is Severity.error and "already passed" in _text(reply)
    assert _deals(engine)["CRM rollout"].close_date == date(2027, 3, 31)
    assert _audit_count(engine) == 0
    won = chat.say("alice", '/deal Acme "CRM rollout" won close 2026-11-10')
    assert won.severity is Severity.success  # a won deal's close date is when it closed


def test_free_words_are_the_note_echoed_and_kept_in_the_audit(engine):
    ids = book(engine)
    _deal(engine, ids, "Warehouse robotics pilot")
    reply = Chat(engine).say(
        "alice", "/deal Acme robotics pilot 1.2m stage proposal - budget confirmed"
    )
    assert reply.severity is Severity.success
    assert _fields(reply)["Note"] == "budget confirmed"
    with unit_of_work(engine, write=False) as s:
        summaries = [e.summary for e in s.exec(select(AuditEntry))]
    assert any(summary.endswith("— budget confirmed") for summary in summaries)


def test_a_note_without_a_change_says_it_was_not_kept(engine):
    ids = book(engine)
    _deal(engine, ids, "CRM rollout")
    reply = Chat(engine).say("alice", "/deal Acme crm rollout, CFO back from leave")
    assert "the note “CFO back from leave” was not kept" in _text(reply)
    assert _audit_count(engine) == 0


def test_the_reply_echoes_every_field_that_changed(engine):
    ids = book(engine)
    _deal(engine, ids, "Warehouse robotics pilot", stage="proposal")
    reply = Chat(engine).say(
        "alice",
        "/deal Acme robotics pilot 2m negotiation closing 2027-01-15, legal review next",
    )
    fields = _fields(reply)
    assert reply.lines[0].startswith("Matched “Warehouse robotics pilot”")
    assert fields["Stage"] == "proposal → negotiation"
    assert fields["Amount"] == "¥2M" and fields["Close date"] == "2027-01-15"
    assert fields["Note"] == "legal review next"


def test_nothing_close_creates_a_new_deal(engine):
    ids = book(engine)
    _deal(engine, ids, "Warehouse robotics pilot")
    reply = Chat(engine).say("alice", "/deal Acme Data platform 500k qualified")
    assert reply.title == "New deal “Data platform” at Acme"
    assert _deals(engine)["Data platform"].stage == "qualify"
    with unit_of_work(engine, write=False) as s:
        assert len(s.exec(select(DealStageChange)).all()) == 2


def test_only_loose_words_and_no_deal_near_asks_before_creating(engine):
    ids = book(engine)
    _deal(engine, ids, "Warehouse robotics pilot")
    chat = Chat(engine)
    reply = chat.say("alice", "/deal Acme Friday demo went well")
    assert reply.severity is Severity.warning
    assert _labels(reply) == ["1. new deal “Friday demo went well”"]
    assert set(_deals(engine)) == {"Warehouse robotics pilot"} and _audit_count(engine) == 0
    made = chat.say("alice", '/deal Acme "Data platform"')  # quoted: as asked
    assert made.title == "New deal “Data platform” at Acme"
