"""/tier (/分级): how an account's tier is computed; managers set or clear it by hand."""

from decimal import Decimal

import pytest
from sqlmodel import select

from domain.models import Account, AuditEntry
from domain.tiers import TierPolicy, score
from handlers.replies import Severity
from storage.session import unit_of_work
from storage.tiering import factors_of
from tests.harness import NOW, Chat, book


def _fields(reply) -> dict[str, str]:
    return {fld.label: fld.value for fld in reply.fields}


def _text(reply) -> str:
    return "\n".join(reply.plain_lines())


def _account(engine, account_id: int) -> Account:
    with unit_of_work(engine, write=False) as s:
        return s.get(Account, account_id)


def _tier_columns(engine, account_id: int) -> tuple:
    a = _account(engine, account_id)
    return (
        a.tier,
        a.score,
        a.tier_override,
        a.tier_override_reason,
        a.tier_override_by_id,
        a.tier_override_at,
    )


def _with_factors(engine, account_id: int) -> None:
    with unit_of_work(engine) as s:
        a = s.get(Account, account_id)
        a.annual_revenue = Decimal("2000000")
        a.margin_pct = 30.0
        a.payment_days = 45
        a.growth_pct = 10.0
        a.brand_value = 80
        a.years_together = 3.0
        a.executive_contact = True
        a.satisfaction = 8.0
        s.add(a)


def test_anyone_who_can_read_sees_the_dimensions_and_factors(engine):
    ids = book(engine)
    _with_factors(engine, ids["acme"])
    before = _tier_columns(engine, ids["acme"])
    reply = Chat(engine).say("alice", "/tier Acme")
    assert reply.severity is not Severity.error
    expected = score(
        factors_of(_account(engine, ids["acme"]), decision_chain_depth=2), TierPolicy()
    )
    assert reply.title == "Acme — tier A strategic"
    assert _fields(reply)["Computed"] == (
        f"{expected.tier} · score {expected.total:.1f} (A from 75, B from 50)"
    )
    titles = [s.title for s in reply.sections]
    assert titles == [
        f"Current value {expected.dimensions.current:.0f} (weight 40%)",
        f"Potential {expected.dimensions.potential:.0f} (weight 25%)",
        f"Strategic value {expected.dimensions.strategic:.0f} (weight 15%)",
        f"Relationship {expected.dimensions.relationship:.0f} (weight 20%)",
    ]
    current, potential, strategic, relationship = (s.lines for s in reply.sections)
    assert current == ("annual revenue: ¥2M", "margin: 30%", "payment days: 45 days")
    assert potential == ("expected growth: +10%", "cross-sell: —")
    assert strategic == ("reference value: —", "brand value: 80/100", "innovation value: —")
    assert "decision-chain roles: 2 of 4" in relationship
    assert "executive contact: yes" in relationship and "satisfaction: 8/10" in relationship
    assert _tier_columns(engine, ids["acme"]) == before  # a look changes nothing


def test_a_stale_stored_tier_is_pointed_out(engine):
    book(engine)  # the book files Acme as A without any factors: they score C
    reply = Chat(engine).say("alice", "/tier Acme")
    assert "Filed as A from an earlier score; the factors now give C." in _text(reply)
    assert reply.severity is Severity.warning


def test_chinese_view(engine):
    book(engine)
    reply = Chat(engine).say("wang", "/分级 华夏重工")
    assert reply.title == "华夏重工 — B 级（重点）"
    assert [s.title.split(" ")[0] for s in reply.sections] == [
        "当前价值",
        "潜在价值",
        "战略价值",
        "关系健康",
    ]
    assert "决策链角色: 2 / 4" in reply.sections[3].lines


def test_manager_sets_the_tier_by_hand_with_a_reason(engine):
    ids = book(engine)
    _with_factors(engine, ids["acme"])
    chat = Chat(engine)
    reply = chat.say("bob", "/tier Acme B because strategic partner in the region")
    assert reply.severity is Severity.success
    assert reply.title == "Acme is now tier B (set by hand)"
    fields = _fields(reply)
    assert fields["Reason"] == "strategic partner in the region"
    assert fields["Was"] == "A strategic"
    a = _account(engine, ids["acme"])
    assert a.tier_override == "B" and a.effective_tier == "B"
    assert a.tier_override_reason == "strategic partner in the region"
    assert a.tier_override_by_id == ids["bob"] and a.tier_override_at == NOW
    # the computed tier was refreshed from the factors at the same time
    expected = score(factors_of(a, decision_chain_depth=2), TierPolicy())
    assert (a.tier, a.score) == (expected.tier, expected.total)
    [(recipient, note)] = chat.notifier.sent
    assert recipient.key == "user:alice"
    assert note.title == "Bob set your account Acme to tier B: strategic partner in the region"


def test_chinese_override_tells_the_owner_in_chinese(engine):
    ids = book(engine)
    chat = Chat(engine)
    reply = chat.say("bob", "/分级 华夏重工 A 原因 区域战略合作伙伴")
    assert reply.severity is Severity.success
    a = _account(engine, ids["huaxia"])
    assert a.tier_override == "A" and a.tier_override_reason == "区域战略合作伙伴"
    [(recipient, note)] = chat.notifier.sent
    assert recipient.key == "user:wang"
    assert note.title == "Bob 将你的客户 华夏重工 手动设为 A 级：区域战略合作伙伴"


def test_auto_clears_the_override(engine):
    ids = book(engine)
    chat = Chat(engine)
    chat.say("bob", "/tier Acme B because pilot only")
    reply = chat.say("bob", "/tier Acme auto")
    assert reply.title == "Acme is back to its computed tier: C"
    assert _tier_columns(engine, ids["acme"])[2:] == (None, None, None, None)
    again = chat.say("bob", "/tier Acme auto")
    assert again.title == "Acme has no tier set by hand; it is C by score."


def test_admin_sets_any_account(engine):
    ids = book(engine)
    assert Chat(engine).say("admin", "/tier Initech A because group HQ").severity is (
        Severity.success
    )
    assert _account(engine, ids["initech"]).tier_override == "A"


@pytest.mark.parametrize(
    ("who", "text", "expect"),
    [
        ("alice", "/tier Acme A because strategic partner", "Only managers and admins"),
        ("wang", "/分级 华夏重工 A 原因 区域战略合作伙伴", "只有经理和管理员"),
        ("bob", "/tier Initech A because big", "not your account"),
        ("bob", "/tier Acme A", "Say why"),
        ("bob", "/tier Acme D because big", "“D” is not a tier"),
        ("eve", "/tier Acme", "belongs to another team"),
    ],
)
def test_refusals_say_why_and_change_nothing(engine, who, text, expect):
    ids = book(engine)
    before = {name: _tier_columns(engine, ids[name]) for name in ("acme", "huaxia", "initech")}
    reply = Chat(engine).say(who, text)
    assert reply.severity is Severity.error
    assert expect in _text(reply)
    after = {name: _tier_columns(engine, ids[name]) for name in ("acme", "huaxia", "initech")}
    assert after == before
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(AuditEntry)).all() == []


def test_undo_takes_back_an_override_and_the_rescore(engine):
    ids = book(engine)
    before = _tier_columns(engine, ids["acme"])
    chat = Chat(engine)
    chat.say("bob", "/tier Acme B because pilot only")
    assert _tier_columns(engine, ids["acme"]) != before
    assert chat.say("bob", "/undo").severity is Severity.success
    assert _tier_columns(engine, ids["acme"]) == before
