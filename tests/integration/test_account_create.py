"""/account new (/客户 新建, /新客户): creating accounts from chat — options, permissions,
the near-duplicate check (case, alias, legal form, Chinese short name, typo; another
team's account shows only its team), "create anyway", /undo — and "create and apply":
a command naming an account kam doesn't know offers to create it and runs there, in
one exchange (issue 17)."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from domain.models import Account, AccountAlias, AuditEntry, Deal, Interaction, PendingQuestion
from domain.tiers import score
from handlers.replies import Severity
from storage.session import unit_of_work
from storage.tiering import factors_of
from tests import factories as f
from tests.harness import Chat, book


def _text(reply) -> str:
    return "\n".join([*reply.plain_lines(), *(a.label for a in reply.actions)])


def _account(engine, name: str) -> Account | None:
    with unit_of_work(engine, write=False) as s:
        account = s.exec(select(Account).where(Account.name == name)).first()
        if account is not None:
            s.expunge(account)
        return account


def _aliases(engine, account_id: int) -> list[str]:
    with unit_of_work(engine, write=False) as s:
        rows = s.exec(select(AccountAlias.alias).where(AccountAlias.account_id == account_id))
        return sorted(rows.all())


def _count(engine, model) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def _labels(reply) -> list[str]:
    return [a.label.split(". ", 1)[1] for a in reply.actions]


def _choice_texts(engine) -> list[str]:
    with unit_of_work(engine, write=False) as s:
        question = s.exec(select(PendingQuestion).order_by(PendingQuestion.id.desc())).first()
        return [c["text"] for c in question.choices]


# --- creating ------------------------------------------------------------------------------


def test_a_rep_creates_an_account_with_every_option_and_sees_it_echoed(engine):
    ids = book(engine)
    chat = Chat(engine)
    reply = chat.say(
        "alice",
        "/account new Zenith Corp alias Zenith Robotics, ZC owner @carol "
        "industry Robotics region APAC",
    )
    assert reply.severity is Severity.success, _text(reply)
    assert reply.title == "New account: Zenith Corp"
    fields = {f.label: f.value for f in reply.fields}
    assert fields["Name"] == "Zenith Corp"
    assert fields["Aliases"] == "Zenith Robotics, ZC"
    assert fields["Owner"] == "Carol · East"
    assert fields["Industry"] == "Robotics" and fields["Region"] == "APAC"
    zenith = _account(engine, "Zenith Corp")
    assert (zenith.owner_id, zenith.team_id) == (ids["carol"], ids["east"])
    assert (zenith.industry, zenith.region, zenith.status) == ("Robotics", "APAC", "active")
    assert _aliases(engine, zenith.id) == ["ZC", "Zenith Robotics"]
    # scored as an import scores it (storage.tiering), and the echo says the tier
    expected = score(factors_of(zenith, decision_chain_depth=0), chat.settings.tiers)
    assert (zenith.tier, zenith.score) == (expected.tier, expected.total)
    assert fields["Tier"].startswith(f"{expected.tier} ")
    # audited (the account and each alias), and Carol hears it is hers
    with unit_of_work(engine, write=False) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.account_id == zenith.id)).all()
    assert sorted(e.entity for e in entries) == ["account", "account_alias", "account_alias"]
    assert len({e.request_id for e in entries}) == 1
    [(recipient, note)] = chat.notifier.sent
    assert (
        recipient.key == "user:carol"
        and note.title == "Alice Chen created the account Zenith Corp for you"
    )
    # and it is in the book at once, by name and alias
    assert chat.say("alice", "/account ZC").title == "Zenith Corp (Zenith Robotics / ZC)"


def test_chinese_creation_both_ways_of_saying_it(engine):
    ids = book(engine)
    chat = Chat(engine)
    reply = chat.say("wang", "/新客户 新星科技 别名 新星、星科 行业 制造 地区 华东")
    assert reply.title == "已新建客户：新星科技", _text(reply)
    fields = {f.label: f.value for f in reply.fields}
    assert fields["别名"] == "新星, 星科" and fields["负责人"] == "王磊 · 华东"
    assert fields["行业"] == "制造" and fields["地区"] == "华东"
    assert "/撤销" in reply.lines[-1]
    xinxing = _account(engine, "新星科技")
    assert (xinxing.owner_id, xinxing.team_id) == (ids["wang"], ids["huadong"])
    assert _aliases(engine, xinxing.id) == ["新星", "星科"]
    again = chat.say("wang", "/客户 新建 远航物流 行业 物流")
    assert again.title == "已新建客户：远航物流"
    assert _account(engine, "远航物流").industry == "物流"


def test_a_quoted_name_may_hold_an_option_word(engine):
    book(engine)
    reply = Chat(engine).say("alice", '/account new "Dream Team Ltd" region EMEA')
    assert reply.title == "New account: Dream Team Ltd"
    assert _account(engine, "Dream Team Ltd").region == "EMEA"


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "text", "expect"),
    [
        ("alice", "/account new Zenith owner @eve", "Eve is not in team East"),
        ("alice", "/account new Zenith team West", "not for team West"),
        ("bob", "/account new Zenith team West", "not for team West"),
        ("wang", "/新客户 新星科技 团队 East", "不能为“East”团队新建"),
    ],
)
def test_a_rep_or_manager_outside_their_teams_is_refused(engine, who, text, expect):
    book(engine)
    reply = Chat(engine).say(who, text)
    assert reply.severity is Severity.error and expect in _text(reply)
    assert _count(engine, Account) == 4 and _count(engine, AuditEntry) == 0


def test_a_manager_creates_for_a_team_they_manage_and_an_admin_anywhere(engine):
    ids = book(engine)
    chat = Chat(engine)
    managed = chat.say("bob", "/account new Zenith team 华东 owner @wang")
    assert managed.severity is Severity.success, _text(managed)
    zenith = _account(engine, "Zenith")
    assert (zenith.owner_id, zenith.team_id) == (ids["wang"], ids["huadong"])
    anywhere = chat.say("admin", "/account new Umbrella team West owner @eve")
    assert anywhere.severity is Severity.success, _text(anywhere)
    assert _account(engine, "Umbrella").team_id == ids["west"]
    own = chat.say("eve", "/account new Soylent")
    assert own.severity is Severity.success and _account(engine, "Soylent").team_id == ids["west"]


# --- is it already there? ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "text", "expect"),
    [
        ("alice", "/account new acme", "“acme” is already in the book: Acme (ACME Corp, owned by Alice Chen)"),
        ("alice", "/account new Acme-Corp", "“Acme-Corp” is already in the book: Acme"),
        ("alice", "/account new ACME --anyway", "“ACME” is already in the book"),
        ("alice", "/account new Zenith alias ACME corp", "“ACME corp” is already in the book"),
        ("wang", "/新客户 华夏", "“华夏”已在客户库中：华夏重工 (华夏, 负责人 王磊)"),
    ],
)  # fmt: skip
def test_the_very_name_or_an_alias_is_refused_never_offered_anyway(engine, who, text, expect):
    book(engine)
    reply = Chat(engine).say(who, text)
    assert reply.severity is Severity.error
    assert expect in _text(reply)
    assert "anyway" not in _text(reply) and "仍然" not in _text(reply)
    assert _count(engine, Account) == 4 and _count(engine, AuditEntry) == 0


@pytest.mark.parametrize(
    ("who", "text", "question", "existing"),
    [
        # a legal form: Acme Inc. is Acme (whose alias is ACME Corp)
        ("alice", "/account new ACME Inc.", "Did you mean Acme (ACME Corp, owned by Alice Chen)?", '/account "Acme"'),
        # a typo
        ("alice", "/account new Globexx", "Did you mean Globex (owned by Carol)?", '/account "Globex"'),
        # Chinese: the full registered name, a group, a short name
        ("wang", "/新客户 华夏重工股份有限公司", "是不是 华夏重工 (华夏, 负责人 王磊)？", '/account "华夏重工"'),
        ("wang", "/新客户 华夏重工集团", "是不是 华夏重工 (华夏, 负责人 王磊)？", '/account "华夏重工"'),
    ],
)  # fmt: skip
def test_a_near_duplicate_is_asked_about_before_anything_is_written(
    engine, who, text, question, existing
):
    book(engine)
    chat = Chat(engine)
    reply = chat.say(who, text)
    assert reply.title == question, _text(reply)
    assert reply.severity is Severity.warning
    texts = _choice_texts(engine)
    assert texts[0] == existing
    assert texts[-1].startswith("/newaccount ") and texts[-1].endswith(" --anyway")
    assert _count(engine, Account) == 4 and _count(engine, AuditEntry) == 0


def test_a_short_name_of_an_existing_account_is_asked_about(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        from domain.models import User

        wang = s.get(User, ids["wang"])
        f.account(s, "东方电气股份有限公司", owner=wang)
    reply = Chat(engine).say("wang", "/新客户 东方电气")
    assert reply.title == "是不是 东方电气股份有限公司 (负责人 王磊)？", _text(reply)


def test_a_chinese_name_whose_pinyin_starts_a_latin_name_is_asked_about(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        from domain.models import User

        f.account(s, "Zhongxing Telecom", owner=s.get(User, ids["alice"]))
    reply = Chat(engine).say("alice", "/account new 中兴通讯")
    assert reply.title == "Did you mean Zhongxing Telecom (owned by Alice Chen)?", _text(reply)


def test_picking_the_existing_account_creates_nothing(engine):
    book(engine)
    chat = Chat(engine)
    chat.say("alice", "/account new ACME Inc.")
    shown = chat.say("alice", "1")
    assert shown.title == "Acme (ACME Corp)"
    assert _count(engine, Account) == 4


def test_create_anyway_creates_it_and_undo_removes_it(engine):
    book(engine)
    chat = Chat(engine)
    asked = chat.say("wang", "/新客户 华夏重工集团 别名 华夏集团")
    assert _labels(asked)[-1] == "仍然新建“华夏重工集团”"
    created = chat.say("wang", "回复 2")
    assert created.title == "已新建客户：华夏重工集团", _text(created)
    group = _account(engine, "华夏重工集团")
    assert _aliases(engine, group.id) == ["华夏集团"]
    undone = chat.say("wang", "/撤销")
    assert undone.severity is Severity.success and "华夏重工集团" in undone.title
    assert _account(engine, "华夏重工集团") is None
    assert _count(engine, AccountAlias) == 2  # only the crafted book's


def test_another_teams_account_shows_only_its_team(engine):
    book(engine)
    chat = Chat(engine)
    near = chat.say("alice", "/account new Initech Ltd")
    text = _text(near)
    assert near.title == "A similar account exists. Create “Initech Ltd” anyway?"
    assert "A similar name is already an account owned by team West." in near.lines
    assert _labels(near) == ["Create “Initech Ltd” anyway"]
    assert "Eve" not in text and "Initech (" not in text  # no owner, no aliases
    exact = chat.say("alice", "/account new initech")
    text = _text(exact)
    assert "“initech” already exists: an account owned by team West." in text
    assert "Eve" not in text
    assert _count(engine, Account) == 4


# --- the reported bug: a trailing word matching another account's name ------------------------


def test_new_zenith_corp_is_never_acmes_summary(engine):
    book(engine)  # Acme's alias is "ACME Corp": "Corp" used to pull Acme in
    chat = Chat(engine)
    unknown = chat.say("alice", "/account Zenith Corp")
    assert not unknown.title.startswith("Acme")
    assert unknown.title == "No account “Zenith Corp”. Did you mean one of these, or create it?"
    created = chat.say("alice", "/account new Zenith Corp")
    assert created.title == "New account: Zenith Corp"
    assert chat.say("alice", "/account Zenith Corp").title == "Zenith Corp"


def test_an_account_whose_name_starts_with_new_is_its_summary(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        from domain.models import User

        f.account(s, "New Horizons", owner=s.get(User, ids["alice"]))
    assert Chat(engine).say("alice", "/account New Horizons").title == "New Horizons"


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "text", "expect"),
    [
        ("alice", "/account new", "Which account? Write its name after “new”, e.g. /account new Zenith Corp"),
        ("wang", "/新客户", "新建哪个客户？请在“新建”后写客户名，例如：/新客户 新星科技"),
        ("alice", "/account new Zenith owner", "“owner” needs a value after it. Example: /account new"),
        ("alice", '/account new "Zenith" blah', "Not understood: “blah”."),
        ("alice", "/account new Zenith owner @nobody", "No kam user “@nobody” to own it."),
        ("alice", "/account new Zenith team North", "No team “North”."),
        ("wang", "/新客户 新星科技 行业 制造 行业 物流", "“行业”写了两次"),
    ],
)  # fmt: skip
def test_bad_input_says_what_was_wrong_with_an_example_and_changes_nothing(
    engine, who, text, expect
):
    book(engine)
    reply = Chat(engine).say(who, text)
    assert reply.severity is Severity.error
    assert expect in _text(reply)
    assert _count(engine, Account) == 4 and _count(engine, AuditEntry) == 0


# --- create and apply ------------------------------------------------------------------------


def test_a_visit_to_an_unknown_account_creates_it_and_logs_there_in_one_exchange(engine):
    book(engine)
    chat = Chat(engine)
    asked = chat.say("alice", "/visit Zenith Corp met the CEO")
    assert asked.title == "“Zenith Corp” is not in the book yet. Create it?"
    assert _labels(asked) == [
        "Create “Zenith Corp”, then /visit there",  # the capitalised run, best first
        "Create “Zenith”, then /visit there",  # or only the first word
        "Acme (an existing account)",
        "Globex (an existing account)",
    ]
    assert _count(engine, Account) == 4 and _count(engine, Interaction) == 0
    done = chat.say("alice", "reply 1")
    assert done.severity is Severity.success, _text(done)
    assert done.title == "Logged visit with Zenith Corp"
    assert "✓ New account Zenith Corp · Alice Chen · East · tier C maintain" in done.lines
    zenith = _account(engine, "Zenith Corp")
    with unit_of_work(engine, write=False) as s:
        [visit] = s.exec(select(Interaction)).all()
        entries = s.exec(select(AuditEntry).where(AuditEntry.account_id == zenith.id)).all()
    assert (visit.account_id, visit.notes) == (zenith.id, "met the CEO")
    assert {e.entity for e in entries} == {"account", "interaction"}
    assert len({e.request_id for e in entries}) == 1  # one transaction
    summary = chat.say("alice", "/account Zenith Corp")
    assert "met the CEO" in _text(summary)
    # /undo takes back the visit and the account together
    assert chat.say("alice", "/undo").severity is Severity.success
    assert _account(engine, "Zenith Corp") is None and _count(engine, Interaction) == 0


def test_chinese_visit_to_an_unknown_account(engine):
    ids = book(engine)
    chat = Chat(engine)
    asked = chat.say("wang", "/拜访 新星科技今天见了王总，谈了预算")
    assert asked.title == "客户库中还没有“新星科技”。要新建吗？", _text(asked)
    assert _labels(asked)[0] == "新建客户“新星科技”，并在其下执行 /拜访"
    done = chat.say("wang", "回复 1")
    assert done.title == "已记录拜访：新星科技", _text(done)
    assert "✓ 已新建客户 新星科技 · 王磊 · 华东 · C 维护" in done.lines
    xinxing = _account(engine, "新星科技")
    assert (xinxing.owner_id, xinxing.team_id) == (ids["wang"], ids["huadong"])
    with unit_of_work(engine, write=False) as s:
        [visit] = s.exec(select(Interaction)).all()
    assert visit.account_id == xinxing.id and visit.notes == "见了王总，谈了预算"


def test_a_deal_at_an_unknown_account(engine):
    book(engine)
    chat = Chat(engine)
    chat.say("alice", "/deal Zenith Corp pilot 200k")
    done = chat.say("alice", "1")
    assert done.title == "New deal “pilot” at Zenith Corp", _text(done)
    with unit_of_work(engine, write=False) as s:
        [deal] = s.exec(select(Deal)).all()
        assert s.get(Account, deal.account_id).name == "Zenith Corp"


def test_picking_an_existing_account_logs_there_and_creates_nothing(engine):
    ids = book(engine)
    chat = Chat(engine)
    chat.say("alice", "/visit Zenith Corp met the CEO")
    done = chat.say("alice", "3")  # Acme (an existing account)
    assert done.title == "Logged visit with Acme", _text(done)
    assert _count(engine, Account) == 4
    with unit_of_work(engine, write=False) as s:
        [visit] = s.exec(select(Interaction)).all()
    assert visit.account_id == ids["acme"] and visit.notes == "met the CEO"


def test_a_read_command_offers_creating_only(engine):
    book(engine)
    chat = Chat(engine)
    asked = chat.say("alice", "/account Zenith")
    assert _labels(asked)[0] == "Create the account “Zenith”"
    assert _choice_texts(engine)[0] == '/newaccount "Zenith"'
    created = chat.say("alice", "1")
    assert created.title == "New account: Zenith"
    assert _count(engine, Interaction) == 0


def test_someone_who_may_not_create_accounts_still_gets_not_found(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        f.user(s, "nomad")  # in no team, managing none
    reply = Chat(engine).say("nomad", "/visit Zenith met the CEO")
    assert reply.severity is Severity.error and reply.title == "Not found"
    assert ids  # the book is there; only creating is not offered
