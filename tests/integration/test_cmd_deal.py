"""/deal (/商机): create, move, win and lose deals; list them; refusals change nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from domain.models import Account, AuditEntry, Deal, DealStageChange, User
from handlers.dispatcher import Incoming
from handlers.replies import Severity
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, Chat, book


def _fields(reply) -> dict[str, str]:
    return {fld.label: fld.value for fld in reply.fields}


def _text(reply) -> str:
    return "\n".join(reply.plain_lines())


def _deals(engine) -> list[Deal]:
    with unit_of_work(engine, write=False) as s:
        return list(s.exec(select(Deal).order_by(Deal.id)))


def _history(engine, deal_id: int) -> list[tuple[str | None, str, int | None]]:
    with unit_of_work(engine, write=False) as s:
        rows = s.exec(
            select(DealStageChange)
            .where(DealStageChange.deal_id == deal_id)
            .order_by(DealStageChange.id)
        )
        return [(r.from_stage, r.to_stage, r.changed_by_id) for r in rows]


def _existing_deal(engine, ids, *, stage="proposal", days=12, name="CRM rollout", amount="800000"):
    with unit_of_work(engine) as s:
        acme = s.get(Account, ids["acme"])
        alice = s.get(User, ids["alice"])
        deal = f.deal(
            s,
            acme,
            name,
            owner=alice,
            amount=amount,
            stage=stage,
            stage_changed_at=NOW - timedelta(days=days),
            close_date=date(2027, 3, 31),
        )
        return deal.id


def test_new_deal_shows_stage_amount_probability_close_days_and_weighted_value(engine):
    ids = book(engine)
    reply = Chat(engine).say(
        "alice", '/deal Acme "2027 renewal" 1.2m stage proposal close 2027-03-31'
    )
    assert reply.severity is Severity.success
    assert reply.title == "New deal “2027 renewal” at Acme"
    assert _fields(reply) == {
        "Stage": "proposal",
        "Amount": "¥1.2M",
        "Probability": "50%",
        "Close date": "2027-03-31",
        "Days in stage": "0",
        "Weighted value": "¥600K",
    }
    [action] = reply.actions
    assert action.command == 'deal Acme "2027 renewal" stage negotiation'
    assert "negotiation" in action.label
    [deal] = _deals(engine)
    assert deal.account_id == ids["acme"] and deal.owner_id == ids["alice"]
    assert deal.name == "2027 renewal" and deal.stage == "proposal"
    assert deal.amount == Decimal("1200000.00") and deal.currency == "CNY"
    assert deal.close_date == date(2027, 3, 31) and deal.closed_at is None
    assert deal.stage_changed_at == NOW
    assert _history(engine, deal.id) == [(None, "proposal", ids["alice"])]


def test_chinese_deal_is_created_with_chinese_reply(engine):
    ids = book(engine)
    reply = Chat(engine).say("wang", "/商机 华夏重工 “二期扩容” 120万 阶段 方案 成交 2027-03-31")
    assert reply.title == "已新建商机“二期扩容”（华夏重工）"
    assert _fields(reply) == {
        "阶段": "方案",
        "金额": "120万",
        "赢率": "50%",
        "预计成交": "2027年3月31日",
        "本阶段天数": "0",
        "加权金额": "60万",
    }
    assert reply.actions[0].command == 'deal 华夏重工 "二期扩容" stage negotiation'
    [deal] = _deals(engine)
    assert deal.account_id == ids["huaxia"] and deal.owner_id == ids["wang"]
    assert deal.amount == Decimal("1200000.00") and deal.stage == "proposal"


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ('/deal Acme "X" 300k', "300000", "CNY"),
        ('/deal Acme "X" ¥1.2M', "1200000", "CNY"),
        ('/deal Acme "X" USD 20k', "20000", "USD"),
        ('/deal Acme "X" $20,000', "20000", "USD"),
        ('/deal Acme "X" 1.5亿', "150000000", "CNY"),
        ("/deal Acme X-ray 20k USD", "20000", "USD"),
    ],
)
def test_amounts_as_people_type_them(engine, text, amount, currency):
    book(engine)
    assert Chat(engine).say("alice", text).severity is Severity.success
    [deal] = _deals(engine)
    assert deal.amount == Decimal(amount) and deal.currency == currency


@pytest.mark.parametrize(
    "words", ["stage 谈判", "谈判", "negotiation", "阶段 negotiation", "阶段谈判"]
)
def test_stage_names_in_both_languages(engine, words):
    ids = book(engine)
    deal_id = _existing_deal(engine, ids)
    reply = Chat(engine).say("alice", f'/deal Acme "CRM rollout" {words}')
    assert reply.severity is Severity.success, _text(reply)
    assert _deals(engine)[0].stage == "negotiation"
    assert _history(engine, deal_id)[-1] == ("proposal", "negotiation", ids["alice"])


def test_update_changes_amount_and_close_date_without_a_stage_move(engine):
    ids = book(engine)
    deal_id = _existing_deal(engine, ids)
    reply = Chat(engine).say("alice", '/deal Acme "crm ROLLOUT" 950k close 2027-06-30')
    assert reply.title == "Updated “CRM rollout” at Acme"
    fields = _fields(reply)
    assert fields["Amount"] == "¥950K" and fields["Close date"] == "2027-06-30"
    assert fields["Days in stage"] == "12"  # the stage did not move
    [deal] = _deals(engine)
    assert deal.amount == Decimal("950000.00") and deal.close_date == date(2027, 6, 30)
    assert deal.stage == "proposal" and deal.stage_changed_at == NOW - timedelta(days=12)
    assert _history(engine, deal_id) == [(None, "proposal", None)]


def test_same_values_again_change_nothing(engine):
    ids = book(engine)
    _existing_deal(engine, ids, amount="800000")
    reply = Chat(engine).say("alice", '/deal Acme "CRM rollout" 800k proposal')
    assert "nothing to change" in reply.title
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(AuditEntry)).all() == []


def test_days_in_stage_in_the_deal_and_the_list(engine):
    ids = book(engine)
    _existing_deal(engine, ids, days=12)
    chat = Chat(engine)
    shown = chat.say("alice", '/deal Acme "CRM rollout"')
    assert _fields(shown)["Days in stage"] == "12"
    listed = chat.say("alice", "/deal Acme")
    assert "12d in stage" in _text(listed)
    moved = chat.say("alice", '/deal Acme "CRM rollout" negotiation')
    assert _fields(moved)["Days in stage"] == "0"
    assert _fields(moved)["Stage"] == "proposal → negotiation"
    chat.now = NOW + timedelta(days=3)
    assert _fields(chat.say("alice", '/deal Acme "CRM rollout"'))["Days in stage"] == "3"


def test_won_then_lost_then_reopened_keeps_the_whole_stage_history(engine):
    ids = book(engine)
    deal_id = _existing_deal(engine, ids)
    chat = Chat(engine)

    won = chat.say("alice", '/deal Acme "CRM rollout" won')
    assert won.title == "Won “CRM rollout” at Acme!"
    assert _fields(won)["Probability"] == "100%" and _fields(won)["Weighted value"] == "¥800K"
    assert won.actions == []  # nothing after won
    [deal] = _deals(engine)
    assert deal.stage == "won" and deal.closed_at == NOW and deal.stage_changed_at == NOW

    chat.now = NOW + timedelta(days=1)
    lost = chat.say("alice", '/deal Acme "CRM rollout" lost reason price')
    assert lost.title == "Lost “CRM rollout” at Acme"
    assert _fields(lost)["Reason"] == "price" and _fields(lost)["Weighted value"] == "¥0"
    [deal] = _deals(engine)
    assert deal.stage == "lost" and deal.lost_reason == "price"
    assert deal.closed_at == NOW + timedelta(days=1)

    reopened = chat.say("alice", '/deal Acme "CRM rollout" stage negotiation')
    assert reopened.title == "Reopened “CRM rollout” at Acme"
    [deal] = _deals(engine)
    assert deal.closed_at is None and deal.lost_reason is None

    alice = ids["alice"]
    assert _history(engine, deal_id) == [
        (None, "proposal", None),
        ("proposal", "won", alice),
        ("won", "lost", alice),
        ("lost", "negotiation", alice),
    ]


def test_chinese_lost_with_reason(engine):
    book(engine)
    chat = Chat(engine)
    chat.say("wang", "/商机 华夏重工 “二期扩容” 120万 阶段 方案")
    reply = chat.say("wang", "/商机 华夏重工 “二期扩容” 输单 原因 价格")
    assert reply.title == "输单：“二期扩容”（华夏重工）"
    assert _fields(reply)["原因"] == "价格"
    [deal] = _deals(engine)
    assert deal.stage == "lost" and deal.lost_reason == "价格" and deal.closed_at == NOW
    assert [(h[0], h[1]) for h in _history(engine, deal.id)] == [
        (None, "proposal"),
        ("proposal", "lost"),
    ]


def test_words_after_lost_are_the_reason(engine):
    ids = book(engine)
    _existing_deal(engine, ids)
    Chat(engine).say("alice", '/deal Acme "CRM rollout" lost to Siemens on price')
    assert _deals(engine)[0].lost_reason == "lost to Siemens on price"
    Chat(engine).say("alice", '/deal Acme "CRM rollout" lost on price')
    assert _deals(engine)[0].lost_reason == "on price"


def test_a_reason_belongs_to_a_lost_deal(engine):
    ids = book(engine)
    _existing_deal(engine, ids)
    reply = Chat(engine).say("alice", '/deal Acme "CRM rollout" won reason price')
    assert reply.severity is Severity.error
    assert "lost deals" in _text(reply)
    assert _deals(engine)[0].stage == "proposal"


def test_list_shows_open_deals_closed_ones_and_the_pipeline(engine):
    ids = book(engine)
    _existing_deal(engine, ids, name="CRM rollout", amount="800000", days=12)
    _existing_deal(engine, ids, name="Pilot", amount="200000", stage="negotiation", days=3)
    _existing_deal(engine, ids, name="Old deal", amount="50000", stage="lost", days=40)
    reply = Chat(engine).say("alice", "/deal Acme")
    assert reply.title == "Deals at Acme"
    [open_, closed] = reply.sections
    assert open_.title == "Open" and len(open_.lines) == 2
    assert open_.lines[0].startswith("“CRM rollout” · proposal 50% · ¥800K")
    assert closed.title == "Closed" and closed.lines[0].startswith("“Old deal” · lost")
    # 800k + 200k open; weighted 400k + 150k
    assert reply.footer == "Open pipeline ¥1M · weighted ¥550K"


def test_list_of_an_account_without_deals_says_how_to_add_one(engine):
    book(engine)
    reply = Chat(engine).say("wang", "/商机 华夏重工")
    assert reply.title == "华夏重工 的商机"
    assert "还没有商机" in reply.lines[0]


def test_no_name_goes_to_the_only_open_deal(engine):
    ids = book(engine)
    _existing_deal(engine, ids)
    _existing_deal(engine, ids, name="Old", stage="won")
    reply = Chat(engine).say("alice", "/deal Acme won")
    assert reply.title == "Won “CRM rollout” at Acme!"


def test_no_name_with_several_open_deals_asks_which(engine):
    ids = book(engine)
    _existing_deal(engine, ids, name="CRM rollout")
    _existing_deal(engine, ids, name="Pilot")
    reply = Chat(engine).say("alice", "/deal Acme won")
    assert reply.severity is Severity.error
    assert "“CRM rollout”" in _text(reply) and "“Pilot”" in _text(reply)
    assert {d.stage for d in _deals(engine)} == {"proposal"}


def test_someone_else_changing_a_deal_tells_the_owner(engine):
    ids = book(engine)
    _existing_deal(engine, ids)
    chat = Chat(engine)
    chat.say("bob", '/deal Acme "CRM rollout" won')
    [(recipient, note)] = chat.notifier.sent
    assert recipient.key == "user:alice"
    assert note.title == "Bob changed the deal “CRM rollout” at your account Acme"
    assert _fields(note)["Stage"] == "proposal → won"


def test_chinese_owner_is_told_in_chinese(engine):
    book(engine)
    chat = Chat(engine)
    chat.say("bob", '/deal 华夏重工 "二期扩容" 1.2m proposal')
    [(recipient, note)] = chat.notifier.sent
    assert recipient.key == "user:wang"
    assert note.title == "Bob 为你的客户 华夏重工 新建了商机“二期扩容”"


def test_the_owner_changing_their_own_deal_tells_nobody(engine):
    ids = book(engine)
    _existing_deal(engine, ids)
    chat = Chat(engine)
    chat.say("alice", '/deal Acme "CRM rollout" won')
    assert chat.notifier.sent == []


@pytest.mark.parametrize(
    ("who", "text", "expect"),
    [
        ("eve", '/deal Acme "X" 1m', "not your account"),
        ("alice", '/deal Acme "X" 1.2.3m', "“1.2.3m” is not an amount"),
        ("alice", '/deal Acme "X" 1m close 2027-02-30', "“2027-02-30” is not a close date"),
        ("alice", '/deal Acme "X" 1m close someday', "“someday” is not a close date"),
        ("alice", '/deal Acme "X" stage maybe', "“maybe” is not a stage"),
        ("alice", '/deal Acme "X" 1m 2m', "Two amounts"),
        ("wang", "/商机 华夏重工 “X” 1.2.3万", "看不懂金额“1.2.3万”"),
        ("wang", "/商机 华夏重工 “X” 成交 2027-02-30", "看不懂成交日期“2027-02-30”"),
        ("eve", "/deal Acme", "belongs to another team"),
    ],
)
def test_refusals_say_why_and_change_nothing(engine, who, text, expect):
    book(engine)
    reply = Chat(engine).say(who, text)
    assert reply.severity is Severity.error
    assert expect in _text(reply)
    assert any(line.startswith(("Example:", "示例")) for line in reply.lines)
    assert _deals(engine) == []
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(DealStageChange)).all() == []
        assert s.exec(select(AuditEntry)).all() == []


def test_undo_takes_back_a_new_deal_and_its_first_stage(engine):
    book(engine)
    chat = Chat(engine)
    chat.say("alice", '/deal Acme "2027 renewal" 1.2m')
    assert chat.say("alice", "/undo").severity is Severity.success
    assert _deals(engine) == []
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(DealStageChange)).all() == []


def test_undo_takes_back_a_win(engine):
    ids = book(engine)
    deal_id = _existing_deal(engine, ids)
    chat = Chat(engine)
    chat.say("alice", '/deal Acme "CRM rollout" 900k won')
    assert chat.say("alice", "/undo").severity is Severity.success
    [deal] = _deals(engine)
    assert deal.stage == "proposal" and deal.closed_at is None
    assert deal.amount == Decimal("800000.00")
    assert deal.stage_changed_at == NOW - timedelta(days=12)
    assert _history(engine, deal_id) == [(None, "proposal", None)]


def test_parse_prints_iso_dates_and_digit_amounts(engine):
    book(engine)
    chat = Chat(engine)
    spec, cmd = chat.dispatcher.parse_only(
        Incoming(
            text='/deal Acme "2027 renewal" USD 1.2m stage proposal close 2027-03-31',
            actor="alice",
            received_at=NOW,
        )
    )
    assert spec.name == "deal"
    assert cmd.model_dump(mode="json") == {
        "command": "deal",
        "account": "Acme",
        "deal": "2027 renewal",
        "amount": "1200000",
        "currency": "USD",
        "stage": "proposal",
        "close_date": "2027-03-31",
        "reason": None,
        "exact": True,
        "new": False,
        "note": None,
        "clauses": "USD 1.2m stage proposal close 2027-03-31",
    }
