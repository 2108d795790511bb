"""/account (/客户): the one-screen summary, in both languages, and its refusals."""

from datetime import timedelta

from sqlmodel import func, select

from domain.models import AuditEntry
from handlers.render.slack import render_blocks
from handlers.replies import Severity
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, Chat, book


def _text(reply) -> str:
    return "\n".join(reply.plain_lines())


def test_summary_shows_tier_owner_cadence_interactions_deals_tasks_birthdays_and_risks(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        from domain.models import Account, Contact, User

        acme = s.get(Account, ids["acme"])
        alice = s.get(User, ids["alice"])
        for days, note in ((40, "kick-off"), (30, "workshop"), (20, "QBR"), (16, "pricing call")):
            f.interaction(s, acme, author=alice, at=NOW - timedelta(days=days), notes=note)
        f.deal(s, acme, "2027 renewal", owner=alice, amount="1200000", stage="proposal",
               stage_changed_at=NOW - timedelta(days=25), close_date=(NOW + timedelta(days=60)).date())  # fmt: skip
        f.deal(s, acme, "Old pilot", owner=alice, stage="won", amount="50000")
        f.task(s, acme, "send proposal", owner=alice, due_at=NOW - timedelta(days=2))
        assert s.get(Contact, ids["li_wei"]).birthday_day == 25
    reply = Chat(engine).say("alice", "/account Acme")
    text = _text(reply)
    assert reply.title == "Acme (ACME Corp)"
    assert "A strategic · 80" in text
    assert "Alice Chen · East" in text
    assert "16d ago / cadence 14d — 2d overdue" in text
    # last three interactions, newest first
    assert (
        "pricing call" in text and "QBR" in text and "workshop" in text and "kick-off" not in text
    )
    assert text.index("pricing call") < text.index("QBR")
    assert "2027 renewal · proposal · " in text and "25d in stage" in text
    assert "Old pilot" not in text  # closed deals are not open deals
    assert "send proposal" in text
    assert "Nov 25 Li Wei (CFO)" in text  # birthday within 14 days
    assert "No contact for 16 days" in text
    assert reply.severity is Severity.warning  # an A account past its cadence
    assert reply.actions[0].command == "visit Acme "


def test_chinese_summary_for_a_chinese_user(engine):
    book(engine)
    reply = Chat(engine).say("wang", "/客户 华夏重工")
    text = _text(reply)
    assert reply.title == "华夏重工 (华夏)"
    assert "B 重点" in text and "负责人" in text and "王磊 · 华东" in text
    assert "从未联系" in text
    # 王建国's lunar birthday (四月初八) is months away: not in the 14-day list
    assert "王建国" not in text


def test_alias_case_and_fuzzy_names_find_the_account(engine):
    book(engine)
    chat = Chat(engine)
    assert chat.say("alice", "/account acme corp").title.startswith("Acme")
    assert chat.say("alice", "account Acme Crop").title.startswith("Acme")
    assert chat.say("wang", "客户 华夏").title.startswith("华夏重工")
    assert chat.say("wang", "客户华夏重工").title.startswith(
        "华夏重工"
    )  # no space after the command


def test_unknown_account_offers_the_closest_and_creating_it_and_changes_nothing(engine):
    book(engine)
    reply = Chat(engine).say("alice", "/account Zzyzx Holdings")
    assert reply.severity is Severity.warning  # a question (issue 17), not an error
    assert reply.title == "No account “Zzyzx Holdings”. Did you mean one of these, or create it?"
    assert [a.label for a in reply.actions] == [
        "1. Create the account “Zzyzx Holdings”",
        "2. Acme (an existing account)",
        "3. Globex (an existing account)",  # Initech is West's: not offered to alice
    ]
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(func.count()).select_from(AuditEntry)).one() == 0


def test_another_teams_account_is_refused(engine):
    book(engine)
    reply = Chat(engine).say("eve", "/account Acme")
    assert reply.severity is Severity.error
    assert "another team" in _text(reply)


def test_manager_and_admin_read_their_teams(engine):
    book(engine)
    chat = Chat(engine)
    assert chat.say("bob", "/account 华夏重工").severity is not Severity.error
    assert chat.say("admin", "/account Initech").severity is not Severity.error
    assert chat.say("bob", "/account Initech").severity is Severity.error  # West is not bob's


def test_summary_fits_one_phone_screen_in_block_kit(engine):
    book(engine)
    reply = Chat(engine).say("alice", "/account Acme")
    messages = render_blocks(reply)
    assert len(messages) == 1 and len(messages[0]["blocks"]) <= 15
    assert len(reply.plain_lines()) <= 30


def test_health_shows_csat_complaints_and_receivables_with_their_risks(engine):
    book(engine)
    chat = Chat(engine)
    chat.now = NOW - timedelta(days=20)
    assert chat.say("alice", "/csat Acme 9 great quarter").severity is Severity.success
    assert (
        chat.say("alice", "/complaint Acme late delivery of spare parts").severity
        is Severity.success
    )
    assert chat.say("alice", "/invoice Acme 300k due 2026-11-01").severity is Severity.success
    chat.now = NOW
    assert (
        chat.say("alice", "/csat Acme 5 delivery problems").severity is Severity.warning
    )  # a drop
    text = "\n".join(chat.say("alice", "/account Acme").plain_lines())
    assert "Health" in text
    assert "CSAT" in text and "5" in text
    # risks from the health rules: the score dropped by 4 and is ≤ 6, a 20-day-old
    # complaint is open (limit 14), and 300k has been overdue since Nov 1
    risks = text[text.index("Risks") :]
    assert "complaint" in risks.lower()
    assert "overdue" in risks.lower()
    assert "CSAT" in risks or "satisfaction" in risks.lower()
