"""/account NAME set … (/客户 华夏重工 设置 …): editing an account from chat — every write
echoed old → new, the tier re-scored and explained, refusals that change nothing,
permissions, /undo, and a dormant account leaving the pushes and the digest."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import func, select

from bot.config import Settings
from domain.models import Account, AccountAlias, AuditEntry, User
from handlers.notify import RecordingNotifier
from handlers.replies import Reply, Severity
from schedules.jobs import job_table
from schedules.registry import run
from storage.session import unit_of_work
from storage.tiering import rescore
from tests import factories as f
from tests.harness import NOW, Chat, book

SHANGHAI = ZoneInfo("Asia/Shanghai")


def text(reply: Reply) -> str:
    return "\n".join(reply.plain_lines())


def scored(engine, ids) -> None:
    """The crafted book's stored tiers made true to their (unknown) factors, as an import
    or the demo leaves them: Globex and 华夏重工 are C."""
    with unit_of_work(engine) as s:
        for key in ("acme", "huaxia", "globex", "initech"):
            rescore(s, s.get(Account, ids[key]), Settings().tiers)


def account(engine, ids, key: str) -> Account:
    with unit_of_work(engine, write=False) as s:
        return s.get(Account, ids[key])


def aliases(engine, ids, key: str) -> list[str]:
    with unit_of_work(engine, write=False) as s:
        return sorted(
            s.exec(select(AccountAlias.alias).where(AccountAlias.account_id == ids[key])).all()
        )


def audit_count(engine) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(func.count(AuditEntry.id))).one()


def test_several_fields_in_english_move_the_tier_and_say_why(engine):
    ids = book(engine)
    scored(engine, ids)
    assert account(engine, ids, "globex").tier == "C"
    chat = Chat(engine)
    reply = chat.say(
        "alice",
        "/account Globex set industry Robotics region East China revenue 12m margin 30% "
        "growth 20% cross-sell 80",
    )
    assert reply.severity is Severity.success, text(reply)
    assert reply.title == "Globex updated"
    fields = {fl.label: fl.value for fl in reply.fields}
    assert fields == {
        "industry": "— → Robotics",
        "region": "— → East China",
        "annual revenue": "— → ¥12M",
        "margin": "— → 30%",
        "growth": "— → +20%",
        "cross-sell": "— → 80/100",
    }
    said = text(reply)
    assert "Tier C maintain → B key (score 28.0 → 70.0; A from 75, B from 50)" in said
    assert "Why: current value 0 → 86 · potential 50 → 80" in said
    globex = account(engine, ids, "globex")
    assert (globex.industry, globex.region) == ("Robotics", "East China")
    assert globex.annual_revenue == Decimal("12000000.00") and globex.margin_pct == 30.0
    assert globex.growth_pct == 20.0 and globex.cross_sell == 80
    assert (globex.tier, globex.score, globex.score_current) == ("B", 70.0, 86.2)
    # carol owns Globex: she is told who changed what, in her language
    (note,) = chat.notifier.to("user:carol")
    assert note.title == "Alice Chen updated Globex"
    assert "industry: — → Robotics" in note.lines
    # one command, one account update in the audit trail, shown by /history
    with unit_of_work(engine, write=False) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "account")).one()
        assert entry.before["tier"] == "C" and entry.after["tier"] == "B"
        assert entry.after["industry"] == "Robotics"


def test_chinese_without_spaces_moves_the_tier(engine):
    ids = book(engine)
    scored(engine, ids)
    chat = Chat(engine)
    reply = chat.say(
        "wang", "/客户 华夏重工设置行业制造区域华东年收入1200万毛利率30%增长率20%交叉销售80"
    )
    said = text(reply)
    assert reply.title == "已更新 华夏重工", said
    fields = {fl.label: fl.value for fl in reply.fields}
    assert fields["行业"] == "— → 制造" and fields["区域"] == "— → 华东"
    assert fields["年收入"] == "— → 1200万" and fields["毛利率"] == "— → 30%"
    assert "分级 C" in said and "→ B" in said and "得分 30.0 → 72.0" in said
    assert "原因：当前价值 0 → 86 · 潜在价值 50 → 80" in said
    huaxia = account(engine, ids, "huaxia")
    assert huaxia.tier == "B" and huaxia.annual_revenue == Decimal("12000000.00")


def test_each_other_factor_and_the_tier_staying(engine):
    ids = book(engine)
    scored(engine, ids)
    chat = Chat(engine)
    reply = chat.say(
        "alice",
        "/account Acme payment days 45 reference value 80 brand value 70 innovation value 60 "
        "years together 3 executive contact yes payment record 90",
    )
    said = text(reply)
    assert "Tier stays C maintain (score 30.0 → 37.0" in said, said
    assert "Why: strategic value 50 → 70 · relationship 50 → 70" in said
    acme = account(engine, ids, "acme")
    assert (acme.payment_days, acme.reference_value, acme.brand_value) == (45, 80, 70)
    assert (acme.innovation_value, acme.years_together, acme.executive_contact) == (60, 3.0, True)
    assert acme.payment_record == 90
    # the same again: nothing to change, nothing audited
    before = audit_count(engine)
    again = chat.say("alice", "/account Acme set payment days 45")
    assert again.title == "Nothing to change on Acme: it already says that."
    assert audit_count(engine) == before


def test_a_tier_set_by_hand_stays_and_is_mentioned(engine):
    ids = book(engine)
    scored(engine, ids)
    with unit_of_work(engine) as s:
        globex = s.get(Account, ids["globex"])
        globex.tier_override, globex.tier_override_reason = "A", "strategic partner"
    reply = Chat(engine).say("alice", "/account Globex set revenue 12m")
    said = text(reply)
    assert "Computed tier C maintain → B key (score 28.0 → 60.0" in said, said
    assert "The tier stays A, set by hand (strategic partner)" in said
    assert "/tier Globex auto" in said
    globex = account(engine, ids, "globex")
    assert globex.effective_tier == "A" and globex.tier_override == "A"


def test_bad_values_are_refused_with_an_example_and_change_nothing(engine):
    ids = book(engine)
    scored(engine, ids)
    chat = Chat(engine)
    before, acme = audit_count(engine), account(engine, ids, "acme")
    for message, words in [
        ("/account Acme set industry Robotics revenue lots", "“lots” is not an amount"),
        ("/account Acme set cross-sell 120", "cross-sell must be between 0 and 100 (not 120)"),
        ("/account Acme set payment days -5", "payment days must be at least 0"),
        ("/account Acme set status dormant", "needs a reason"),
        ("/account Acme set status dormant reason", "The reason is empty"),
        ("/account Acme set colour blue", "is not something kam can set"),
        ("/account Acme owner @wang", "/handover"),
    ]:
        reply = chat.say("alice", message)
        said = text(reply)
        assert reply.severity is Severity.error, message
        assert words in said, said
        assert "Example:" in said and "Nothing was changed." in said
    reply = chat.say("wang", "/客户 华夏重工 设置 年收入 很多")
    assert "不是金额" in text(reply) and "示例" in text(reply)
    assert audit_count(engine) == before
    after = account(engine, ids, "acme")
    assert (after.industry, after.cross_sell, after.status) == (
        acme.industry, acme.cross_sell, acme.status)  # fmt: skip


def test_rename_keeps_the_old_name_as_an_alias_and_refuses_a_taken_name(engine):
    ids = book(engine)
    chat = Chat(engine)
    taken = chat.say("alice", "/account Acme rename Globex")
    assert "“Globex” is already the name or an alias of Globex." in text(taken)
    other_team = chat.say("alice", "/account Acme rename 华夏")
    assert "an account of team 华东" in text(other_team)
    assert "华夏重工" not in text(other_team)  # another team's account is not named

    reply = chat.say("alice", "/account Acme rename Acme Holdings")
    assert [(fl.label, fl.value) for fl in reply.fields] == [("name", "Acme → Acme Holdings")]
    assert "The old name Acme stays as an alias" in text(reply)
    assert aliases(engine, ids, "acme") == ["ACME Corp", "Acme"]
    assert chat.say("alice", "/account Acme").title == "Acme Holdings (ACME Corp / Acme)"

    # renamed to its own alias: that alias is the name now
    reply = chat.say("alice", "/account Acme Holdings set name ACME Corp")
    assert account(engine, ids, "acme").name == "ACME Corp"
    assert aliases(engine, ids, "acme") == ["Acme", "Acme Holdings"]

    zh = chat.say("wang", "/客户 华夏重工 改名 华夏重工集团")
    assert [(fl.label, fl.value) for fl in zh.fields] == [("名称", "华夏重工 → 华夏重工集团")]
    assert "原名称 华夏重工 保留为别名" in text(zh)


def test_aliases_added_removed_and_their_conflicts(engine):
    ids = book(engine)
    chat = Chat(engine)
    reply = chat.say("alice", "/account Acme set alias + Acme Robotics, - ACME Corp")
    assert "alias added: Acme Robotics" in text(reply)
    assert "alias removed: ACME Corp" in text(reply)
    assert aliases(engine, ids, "acme") == ["Acme Robotics"]
    refused = chat.say("alice", "/account Acme add alias Globex")
    assert "The alias “Globex” already belongs to Globex." in text(refused)
    refused = chat.say("alice", "/account Acme add alias 华夏")
    assert "already belongs to an account of team 华东" in text(refused)
    missing = chat.say("alice", "/account Acme remove alias Nope")
    assert "Acme has no alias “Nope”; its aliases: Acme Robotics." in text(missing)
    assert aliases(engine, ids, "acme") == ["Acme Robotics"]

    zh = chat.say("wang", "/客户 华夏重工 设置 别名 加 华重，删 华夏")
    assert "新增别名：华重" in text(zh) and "删除别名：华夏" in text(zh)
    assert aliases(engine, ids, "huaxia") == ["华重"]


def test_status_needs_a_reason_to_leave_and_none_to_come_back(engine):
    ids = book(engine)
    chat = Chat(engine)
    refused = chat.say("wang", "/客户 华夏重工 状态 休眠")
    assert "需要写明原因" in text(refused) and "状态 休眠 原因" in text(refused)
    assert account(engine, ids, "huaxia").status == "active"

    reply = chat.say("wang", "/客户 华夏重工 状态 休眠 原因 预算冻结到明年")
    fields = {fl.label: fl.value for fl in reply.fields}
    assert fields == {"状态": "合作中 → 休眠", "原因": "预算冻结到明年"}
    assert "不再出现在每日提醒、风险日报和评审中" in text(reply)
    huaxia = account(engine, ids, "huaxia")
    assert (huaxia.status, huaxia.status_reason) == ("dormant", "预算冻结到明年")
    assert huaxia.status_changed_at == NOW
    summary = text(chat.say("wang", "/客户 华夏重工"))
    assert "休眠 — 预算冻结到明年" in summary and "休眠：重新设为合作中之前不再提醒" in summary

    lost = chat.say("alice", "/account Acme set status lost went with a competitor")
    assert {fl.label: fl.value for fl in lost.fields} == {
        "status": "active → lost", "reason": "went with a competitor"}  # fmt: skip
    back = chat.say("alice", "/account Acme set status active")
    assert {fl.label: fl.value for fl in back.fields} == {"status": "lost → active"}
    acme = account(engine, ids, "acme")
    assert (acme.status, acme.status_reason) == ("active", None)
    # a new reason for the status it already has
    chat.say("wang", "/客户 华夏重工 状态 休眠 原因 明年再谈")
    again = chat.say("wang", "/客户 华夏重工 设置 原因 预算冻结到明年三月")
    assert {fl.label: fl.value for fl in again.fields} == {"原因": "明年再谈 → 预算冻结到明年三月"}
    alone = chat.say("alice", "/account Acme set reason no idea")
    assert "A reason goes with a status" in text(alone)


def test_who_may_edit(engine):
    ids = book(engine)
    chat = Chat(engine)
    refused = chat.say("eve", "/account Acme set industry Robotics")
    assert refused.severity is Severity.error and "not your account" in text(refused)
    refused = chat.say("wang", "/客户 Acme 设置 行业 制造")
    assert refused.severity is Severity.error
    assert account(engine, ids, "acme").industry is None
    # a rep edits a teammate's account, a manager their teams', an admin anything
    assert chat.say("carol", "/account Acme set industry Robotics").severity is Severity.success
    assert chat.say("bob", "/客户 华夏重工 设置 行业 制造").severity is Severity.success
    assert chat.say("admin", "/account Initech set region West").severity is Severity.success
    assert account(engine, ids, "huaxia").industry == "制造"
    assert account(engine, ids, "initech").region == "West"


def test_undo_restores_fields_aliases_name_and_tier(engine):
    ids = book(engine)
    scored(engine, ids)
    chat = Chat(engine)
    chat.say("alice", "/account Globex set name Globex Robotics revenue 12m growth 20% alias + GR")
    globex = account(engine, ids, "globex")
    assert (globex.name, globex.tier) == ("Globex Robotics", "B")
    assert aliases(engine, ids, "globex") == ["GR", "Globex"]
    undone = chat.say("alice", "/undo")
    assert undone.severity is Severity.success, text(undone)
    globex = account(engine, ids, "globex")
    assert (globex.name, globex.tier, globex.annual_revenue, globex.growth_pct) == (
        "Globex", "C", None, None)  # fmt: skip
    assert aliases(engine, ids, "globex") == []
    assert chat.say("alice", "/account Globex").title == "Globex"


# --- a dormant account leaves the pushes and the digest ------------------------------

AT = datetime(2026, 11, 18, 9, 5, tzinfo=SHANGHAI)


def _stark(engine) -> dict:
    ids = book(engine)
    with unit_of_work(engine) as s:
        alice = s.get(User, ids["alice"])
        stark = f.account(s, "Stark", owner=alice, tier="A")  # 35 days, cadence 14
        f.interaction(s, stark, author=alice, at=AT - timedelta(days=35))
    return ids


def test_a_dormant_account_leaves_the_lapse_warning(engine):
    _stark(engine)
    lapse = job_table()["lapse"]
    notifier = RecordingNotifier()
    run(lapse, engine, Settings(), notifier, AT)
    (alice,) = notifier.to("user:alice")
    assert any(line.startswith("Stark") for s in alice.sections for line in s.lines)

    chat = Chat(engine)
    reply = chat.say("alice", "/account Stark set status dormant reason budget frozen")
    assert reply.severity is Severity.success

    notifier = RecordingNotifier()
    run(lapse, engine, Settings(), notifier, AT + timedelta(days=1))
    told = [line for r in notifier.to("user:alice") for s in r.sections for line in s.lines]
    assert not any("Stark" in line for line in told)
    assert not any("Stark" in text(r) for r in notifier.to("user:bob"))


def test_a_dormant_account_leaves_the_digest(engine):
    _stark(engine)
    digest = job_table()["digest"]
    notifier = RecordingNotifier()
    run(digest, engine, Settings(), notifier, AT)
    (east,) = notifier.to("team:East")
    assert "Stark" in text(east)

    Chat(engine).say("alice", "/account Stark set status lost reason went with a competitor")

    notifier = RecordingNotifier()
    run(digest, engine, Settings(), notifier, AT + timedelta(days=1))
    # no longer a standing risk: the digest of changes names it only among what changed
    # (its risks cleared; its tier re-scored by the edit)
    lines = [line for _rec, r in notifier.sent for line in r.plain_lines() if "Stark" in line]
    assert lines and all(line.startswith(("✓ Cleared", "⇅ Tier")) for line in lines), lines


def test_without_the_command_word_and_with_a_payment_word_it_is_still_an_edit(engine):
    ids = book(engine)
    chat = Chat(engine)
    assert chat.say("alice", "Acme set industry Robotics").title == "Acme updated"
    assert chat.say("wang", "华夏重工设置行业制造").title == "已更新 华夏重工"
    # "payment" and 回款 are money words, but here they name tier factors
    assert chat.say("alice", "/account Acme payment days 45").title == "Acme updated"
    reply = chat.say("wang", "/客户 华夏重工 回款天数 60 回款记录 80")
    assert reply.title == "已更新 华夏重工", text(reply)
    acme, huaxia = account(engine, ids, "acme"), account(engine, ids, "huaxia")
    assert (acme.industry, acme.payment_days) == ("Robotics", 45)
    assert (huaxia.industry, huaxia.payment_days, huaxia.payment_record) == ("制造", 60, 80)
    # a story told after the name is still a story, not an edit
    visit = chat.say("alice", "/account Acme paid 300k today")
    assert visit.title != "Acme updated"
