"""Contacts over time (issue 17): left and back, merge, remove, one field edited —
in English and Chinese, each undoable, history kept."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import func, select

from domain.models import Account, AuditEntry, Contact, Interaction, InteractionContact
from handlers.replies import Severity
from storage import queries
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, Chat, book


def _text(reply) -> str:
    return "\n".join(reply.plain_lines())


def _fields(reply) -> dict[str, str]:
    return {fld.label: fld.value for fld in reply.fields}


def _contact(engine, contact_id: int) -> Contact | None:
    with unit_of_work(engine, write=False) as s:
        return s.get(Contact, contact_id)


def _named(engine, account_id: int, name: str) -> Contact | None:
    with unit_of_work(engine, write=False) as s:
        return s.exec(
            select(Contact).where(Contact.account_id == account_id, Contact.name == name)
        ).first()


def _links(engine) -> set[tuple[int, int]]:
    with unit_of_work(engine, write=False) as s:
        return {(x.interaction_id, x.contact_id) for x in s.exec(select(InteractionContact))}


def _contacts(engine) -> list[tuple]:
    with unit_of_work(engine, write=False) as s:
        return [
            (c.id, c.account_id, c.name, c.title, c.role, c.phone, c.email, c.left_at)
            for c in s.exec(select(Contact).order_by(Contact.id))
        ]


def _audit_count(engine) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(func.count()).select_from(AuditEntry)).one()


def _keep_tier(engine, account_id: int, tier: str) -> None:
    """The crafted book has no tier factors: rescoring would move the tier, so pin it
    (a manual override, as a manager would set) to look at the tier's risk rules."""
    with unit_of_work(engine) as s:
        account = s.get(Account, account_id)
        account.tier_override = tier
        account.tier_override_reason = "strategic"
        s.add(account)


def _interaction(engine, account_id: int, author_id: int, *contact_ids: int, days: int = 3):
    with unit_of_work(engine) as s:
        i = Interaction(
            account_id=account_id,
            author_id=author_id,
            happened_at=NOW - timedelta(days=days),
            kind="visit",
            notes="pricing",
        )
        s.add(i)
        s.flush()
        for cid in contact_ids:
            s.add(InteractionContact(interaction_id=i.id, contact_id=cid))
        return i.id


# --- left / back ---------------------------------------------------------------------


def test_left_keeps_history_and_takes_her_off_the_decision_chain(engine):
    b = book(engine)
    _keep_tier(engine, b["acme"], "A")
    chat = Chat(engine)
    chat.say("alice", "/visit Acme yesterday met Li Wei and Tom Brown about the budget")
    links = _links(engine)
    assert len(links) == 2
    before = _text(chat.say("alice", "/account Acme"))
    assert "No decision maker among the contacts" not in before
    assert "A-tier account needs at least" not in before

    reply = chat.say("alice", "/contact Acme Li Wei left joined Globex as CFO")
    assert reply.title == "Li Wei left Acme"
    assert _fields(reply) == {"Left on": "2026-11-18", "Note": "joined Globex as CFO"}
    text = _text(reply)
    assert "History kept: 1 interaction(s) still name them." in text
    assert "Li Wei (decision maker) is off the decision chain." in text
    assert "Acme has no current decision maker now" in text
    assert "single-threaded" in text
    assert reply.severity is Severity.warning

    li = _contact(engine, b["li_wei"])
    assert li is not None and li.left_at == NOW  # kept, with the day she left
    assert (li.title, li.role) == ("CFO", "decision_maker")
    assert _links(engine) == links  # the visit still names her

    summary = chat.say("alice", "/account Acme")
    risks = _text(summary)
    assert "No decision maker among the contacts" in risks
    assert "Contacts: 1, an A-tier account needs at least 2" in risks
    assert "Li Wei" in risks  # in the last interactions: history intact
    assert "November 25" not in risks  # her birthday is no longer one to mark

    listing = chat.say("alice", "/contact Acme")
    assert [s.title for s in listing.sections] == [None, "Left the company"]
    assert listing.sections[0].lines == ("Tom Brown · IT Director · influencer",)
    assert listing.sections[1].lines[0].startswith("Li Wei · CFO")
    assert listing.sections[1].lines[0].endswith("left 2026-11-18")
    assert "No decision maker on file yet." in listing.lines

    with unit_of_work(engine, write=False) as s:
        entry = s.exec(
            select(AuditEntry).where(AuditEntry.entity == "contact").order_by(AuditEntry.id.desc())
        ).first()
    assert entry.summary == "contact Li Wei left the company: joined Globex as CFO"
    assert entry.before["left_at"] is None and entry.after["left_at"] is not None


def test_left_in_chinese_and_back_again(engine):
    b = book(engine)
    chat = Chat(engine)
    reply = chat.say("wang", "/联系人 华夏重工 李娜 已离职，跳槽去了三一")
    assert reply.title == "李娜 已从 华夏重工 离职"
    assert _fields(reply) == {"离职日期": "2026年11月18日", "备注": "跳槽去了三一"}
    assert "李娜（采购）已移出决策链。" in reply.lines
    assert "华夏重工 只剩 1 位在职联系人：单线联系，风险较高。" in reply.lines
    assert _contact(engine, b["lina"]).left_at == NOW

    again = chat.say("wang", "/联系人 华夏重工 李娜离职了")
    assert again.title == "李娜 已经从 华夏重工 离职"  # nothing new to record
    assert _contact(engine, b["lina"]).left_at == NOW

    back = chat.say("wang", "/联系人 华夏重工 李娜 复职")
    assert back.title == "李娜 已回到 华夏重工"
    assert "李娜（采购）重新回到决策链。" in back.lines
    assert _contact(engine, b["lina"]).left_at is None

    not_left = chat.say("wang", "/联系人 华夏重工 王建国 回来了")
    assert not_left.title == "王建国 没有从 华夏重工 离职，无需更改"


def test_undo_of_left_and_of_back(engine):
    b = book(engine)
    chat = Chat(engine)
    chat.say("alice", "/contact Acme Tom Brown has left")
    assert _contact(engine, b["tom"]).left_at == NOW
    assert chat.say("alice", "/undo").severity is Severity.success
    assert _contact(engine, b["tom"]).left_at is None

    chat.say("alice", "/contact Acme Tom Brown left")
    chat.say("alice", "/contact Acme Tom Brown is back")
    assert _contact(engine, b["tom"]).left_at is None
    chat.say("alice", "/undo")
    assert _contact(engine, b["tom"]).left_at == NOW


def test_who_left_is_linked_to_a_new_visit_only_by_full_name(engine):
    b = book(engine)
    chat = Chat(engine)
    chat.say("alice", "/contact Acme Li Wei left")
    reply = chat.say("alice", "/visit Acme call with Li Wei about the handover")
    assert "Li Wei left Acme on 2026-11-18 — linked as history." in reply.lines
    assert (max(i for i, _c in _links(engine)), b["li_wei"]) in _links(engine)

    chat.say("wang", "/联系人 华夏重工 王建国 离职")
    reply = chat.say("wang", "/拜访 华夏重工 和王总通了电话")
    assert all(c != b["jianguo"] for _i, c in _links(engine))  # 王总 is not who left
    assert not any("离职" in line for line in reply.lines)
    named = chat.say("wang", "/拜访 华夏重工 王建国 来电话交接工作")
    assert "王建国 已于 2026年11月18日 从 华夏重工 离职，作为历史记录关联。" in named.lines


def test_who_left_gets_no_birthday_push(engine):
    b = book(engine)
    day = date(2026, 11, 25)  # Li Wei's birthday
    with unit_of_work(engine, write=False) as s:
        assert [r.contact_id for _d, r in queries.birthdays_on(s, [day])] == [b["li_wei"]]
    Chat(engine).say("alice", "/contact Acme Li Wei left")
    with unit_of_work(engine, write=False) as s:
        assert queries.birthdays_on(s, [day]) == []


def test_digest_and_coverage_count_current_contacts_only(engine):
    b = book(engine)
    _keep_tier(engine, b["acme"], "A")
    with unit_of_work(engine, write=False) as s:
        assert queries.coverage(s)[b["acme"]] == (2, True)
    Chat(engine).say("alice", "/contact Acme Li Wei left")
    with unit_of_work(engine, write=False) as s:
        assert queries.coverage(s)[b["acme"]] == (1, False)


def test_left_for_a_name_not_quite_right_asks(engine):
    b = book(engine)
    chat = Chat(engine)
    reply = chat.say("alice", "/contact Acme Li Wie left")
    assert reply.title == "Which contact at Acme did you mean by “Li Wie”?"
    assert _contact(engine, b["li_wei"]).left_at is None
    chosen = chat.say("alice", "1")
    assert "Li Wei left Acme" in _text(chosen)
    assert _contact(engine, b["li_wei"]).left_at == NOW

    unknown = chat.say("alice", "/contact Acme Zhang Wuji left")
    assert unknown.severity is Severity.error
    assert "No contact called Zhang Wuji at Acme." in unknown.lines


# --- merge ---------------------------------------------------------------------------


def test_merge_moves_every_link_fills_empty_fields_and_deletes_the_duplicate(engine):
    b = book(engine)
    with unit_of_work(engine) as s:
        acme = s.get(Account, b["acme"])
        dup = f.contact(
            s, acme, "Sarah", title="Buyer", phone="13800138000", birthday_month=5, birthday_day=3
        )
        keep = f.contact(s, acme, "Sarah Miller", title="Head of Purchasing", email="s@acme.com")
        dup_id, keep_id = dup.id, keep.id
    only_dup = _interaction(engine, b["acme"], b["alice"], dup_id, days=5)
    both = _interaction(engine, b["acme"], b["alice"], dup_id, keep_id, b["tom"], days=3)
    before_contacts, before_links = _contacts(engine), _links(engine)
    chat = Chat(engine)

    reply = chat.say("alice", '/contact Acme merge "Sarah" into "Sarah Miller"')
    assert reply.title == "Merged Sarah into Sarah Miller at Acme"
    assert reply.severity is Severity.success
    assert _fields(reply) == {
        "Interactions": "2",
        "Filled in": "Phone 13800138000; Birthday May 3",
    }
    assert "1 of them already named Sarah Miller too: one link kept." in reply.lines
    assert "Both had a Title: kept “Head of Purchasing”, dropped “Buyer”." in reply.lines

    assert _contact(engine, dup_id) is None
    kept = _contact(engine, keep_id)
    assert (kept.title, kept.phone, kept.email) == (
        "Head of Purchasing",
        "13800138000",
        "s@acme.com",
    )
    assert (kept.birthday_month, kept.birthday_day) == (5, 3)
    assert _links(engine) == {
        (only_dup, keep_id),
        (both, keep_id),
        (both, b["tom"]),
    }

    undo = chat.say("alice", "/undo")
    assert undo.severity is Severity.success
    assert _contacts(engine) == before_contacts
    assert _links(engine) == before_links


def test_merge_in_chinese(engine):
    b = book(engine)
    with unit_of_work(engine) as s:
        huaxia = s.get(Account, b["huaxia"])
        dup_id = f.contact(s, huaxia, "李经理", phone="021-12345678").id
    visit = _interaction(engine, b["huaxia"], b["wang"], dup_id)
    reply = Chat(engine).say("wang", '/联系人 华夏重工 合并 "李经理" 到 "李娜"')
    assert reply.title == "已将 李经理 合并到 李娜（华夏重工）"
    assert _fields(reply) == {"互动记录": "1", "已补全": "电话 021-12345678"}
    assert _contact(engine, dup_id) is None
    assert _contact(engine, b["lina"]).phone == "021-12345678"
    assert (visit, b["lina"]) in _links(engine)


def test_merge_refusals_change_nothing(engine):
    book(engine)
    chat = Chat(engine)
    before, audits = _contacts(engine), _audit_count(engine)
    itself = chat.say("alice", "/contact Acme merge Tom Brown into tom brown")
    assert itself.severity is Severity.error
    assert "Tom Brown can't be merged into itself" in _text(itself)
    across = chat.say("alice", '/contact Acme merge "Tom Brown" into "王建国"')
    assert across.severity is Severity.error
    assert "No contact called 王建国 at Acme." in across.lines
    half = chat.say("wang", "/联系人 华夏重工 合并 李娜")
    assert half.severity is Severity.error
    assert any(line.startswith("示例: /联系人") for line in half.lines)
    assert "没有做任何修改。" in half.lines
    assert _contacts(engine) == before and _audit_count(engine) == audits


# --- remove --------------------------------------------------------------------------


def test_remove_is_for_managers_and_refused_with_history(engine):
    b = book(engine)
    chat = Chat(engine)
    before = _contacts(engine)
    rep = chat.say("alice", "/contact Acme remove Tom Brown")
    assert rep.severity is Severity.error and rep.title == "Not allowed"
    assert _contacts(engine) == before

    ok = chat.say("bob", "/contact Acme remove Tom Brown")
    assert ok.title == "Removed Tom Brown from Acme"
    assert _contact(engine, b["tom"]) is None
    chat.say("bob", "/undo")
    assert _contacts(engine) == before

    _interaction(engine, b["acme"], b["alice"], b["tom"])
    refused = chat.say("admin", "/contact Acme delete Tom Brown")
    assert refused.severity is Severity.error
    text = _text(refused)
    assert "Tom Brown is named in 1 interaction(s) at Acme, so is not removed" in text
    assert "/contact Acme Tom Brown left" in text
    assert _contact(engine, b["tom"]) is not None


def test_remove_in_chinese(engine):
    b = book(engine)
    with unit_of_work(engine) as s:
        extra = f.contact(s, s.get(Account, b["huaxia"]), "张三").id
    chat = Chat(engine)
    refused = chat.say("wang", "/联系人 华夏重工 删除 张三")
    assert refused.title == "无权操作" or refused.severity is Severity.error
    assert _contact(engine, extra) is not None
    ok = chat.say("bob", "/联系人 华夏重工 删除 张三")
    assert ok.severity is Severity.success
    assert _contact(engine, extra) is None


# --- one field -----------------------------------------------------------------------


def test_edit_one_field_by_its_word(engine):
    b = book(engine)
    chat = Chat(engine)
    reply = chat.say("alice", "/contact Acme Li Wei title CEO")
    assert reply.title == "Updated Li Wei at Acme"
    assert _fields(reply)["Title"] == "CEO (was CFO)"
    assert _contact(engine, b["li_wei"]).title == "CEO"

    reply = chat.say("alice", "/contact Acme Tom Brown role decision maker phone 13900139000")
    assert _fields(reply)["Role"] == "decision maker (was influencer)"
    assert _fields(reply)["Phone"] == "13900139000"
    tom = _contact(engine, b["tom"])
    assert (tom.role, tom.phone) == ("decision_maker", "13900139000")

    reply = chat.say("alice", "/contact Acme Tom Brown name Thomas Brown")
    assert _fields(reply)["Name"] == "Thomas Brown (was Tom Brown)"
    assert _contact(engine, b["tom"]).name == "Thomas Brown"
    chat.say("alice", "/undo")
    assert _contact(engine, b["tom"]).name == "Tom Brown"


def test_edit_one_field_in_chinese(engine):
    b = book(engine)
    chat = Chat(engine)
    reply = chat.say("wang", "/联系人 华夏重工 李娜 职位 采购总监")
    assert reply.title == "已更新联系人 李娜（华夏重工）"
    assert _fields(reply)["职务"] == "采购总监（原为 采购经理）"
    reply = chat.say("wang", "/联系人 华夏重工 李娜 角色 决策人 生日 农历八月十五")
    assert _fields(reply)["角色"] == "决策人（原为 采购）"
    lina = _contact(engine, b["lina"])
    assert (lina.role, lina.birthday_month, lina.birthday_day, lina.birthday_lunar) == (
        "decision_maker",
        8,
        15,
        True,
    )
    reply = chat.say("wang", "/联系人 华夏重工 李娜 改名 李丽娜")
    assert _fields(reply)["姓名"] == "李丽娜（原为 李娜）"


def test_bad_field_edits_change_nothing(engine):
    book(engine)
    chat = Chat(engine)
    before, audits = _contacts(engine), _audit_count(engine)
    role = chat.say("alice", "/contact Acme Tom Brown role bossman")
    assert role.severity is Severity.error
    assert "“bossman” is not a role." in _text(role)
    assert any(line.startswith("Example: /contact Acme") for line in role.lines)
    taken = chat.say("alice", "/contact Acme Tom Brown name li wei")
    assert "Acme already has a contact called Li Wei." in _text(taken)
    empty = chat.say("alice", "/contact Acme Tom Brown title")
    assert empty.severity is Severity.error
    rename_nobody = chat.say("alice", "/contact Acme Zhang Wuji name Zhang San")
    assert rename_nobody.severity is Severity.error
    assert _contacts(engine) == before and _audit_count(engine) == audits
