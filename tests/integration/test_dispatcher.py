"""The dispatcher's own promises: one transaction per command, errors as replies."""

from dataclasses import replace

from sqlmodel import select

from domain.models import Interaction, Team
from handlers.commands import command_table
from handlers.dispatcher import split_command as split_with
from handlers.registry import CommandSpec
from handlers.replies import Reply, Severity
from storage.session import unit_of_work
from tests.harness import Chat, book


def split_command(text: str) -> tuple[str, str]:
    return split_with(text, command_table())


def test_split_command_accepts_every_written_form():
    assert split_command("/visit Acme x") == ("visit", "Acme x")
    assert split_command("visit Acme x") == ("visit", "Acme x")
    assert split_command("/kam visit Acme x") == ("visit", "Acme x")
    assert split_command("kam /visit Acme x") == ("visit", "Acme x")
    assert split_command("／拜访 华夏重工 昨天") == ("拜访", "华夏重工 昨天")
    assert split_command("客户华夏重工") == ("客户", "华夏重工")
    assert split_command("   ") == ("", "")


def _spec_that_writes_then_collides() -> CommandSpec:
    def run(ctx, _cmd):
        ctx.session.add(Team(name="Half"))  # would be half of the change…
        ctx.session.flush()
        ctx.session.add(Team(name="East"))  # …and this collides with an existing team
        ctx.session.flush()
        return Reply(title="unreachable")

    # A real command's declaration (its texts come with it), answering to "/collide",
    # with a body that collides.
    undo = command_table().find("undo")
    return replace(undo, aliases=("collide",), parse=lambda args, pctx: None, run=run, writes=True)


def test_a_unique_key_conflict_rolls_back_everything_and_says_try_again(engine):
    book(engine)
    commands = command_table()
    commands.add(_spec_that_writes_then_collides())
    reply = Chat(engine, commands=commands).say("admin", "/collide")
    assert reply.severity is Severity.error
    assert "same moment" in " ".join(reply.lines)
    with unit_of_work(engine, write=False) as s:
        assert (
            s.exec(select(Team).where(Team.name == "Half")).first() is None
        )  # nothing half-written


def _interactions(engine) -> int:
    with unit_of_work(engine, write=False) as s:
        return len(s.exec(select(Interaction)).all())


def test_split_command_keeps_a_chinese_past_tense_sentence_whole():
    assert split_command("拜访了华夏重工") == ("拜访了华夏重工", "")
    assert split_command("拜访过华夏重工 昨天") == ("拜访过华夏重工", "昨天")
    assert split_command("拜访华夏重工") == ("拜访", "华夏重工")


def test_a_bare_account_name_or_alias_in_any_case_shows_its_summary(engine):
    book(engine)
    chat = Chat(engine)
    for text in ("acme", "Acme", "ACME corp", "/acme", "acme corp?"):
        lines = chat.text("alice", text).splitlines()
        assert lines[0] == "! Acme (ACME Corp)", text
        assert "  Owner         Alice Chen · East" in lines, text
    lines = chat.text("wang", "华夏").splitlines()
    assert lines[0] == "华夏重工 (华夏)"
    assert "  负责人   王磊 · 华东" in lines


def test_a_typo_in_a_command_word_is_read_as_the_command_and_said(engine):
    book(engine)
    chat = Chat(engine)
    lines = chat.text("alice", "/accout acme").splitlines()
    assert lines[0] == "! Acme (ACME Corp)" and "(read “accout” as /account)" in lines
    # a typo of a command word with an account is applied, and the reading said first
    lines = chat.text("alice", "/vist Acme met CFO about renewal").splitlines()
    assert lines[0] == "✓ Logged visit with Acme"
    assert "(read “vist” as /visit)" in lines
    # a short word alone is only suggested ("Line 3 …" is no typo of /mine)
    assert chat.text("alice", "hepl").splitlines()[0] == "! Did you mean /help?"
    # two commands equally close: kam asks, writes nothing
    meat = chat.say("alice", "meat Acme")
    assert meat.title == "What should I record for Acme?"
    assert [a.label for a in meat.actions] == ["1. Log a meal", "2. Log a meeting"]
    assert _interactions(engine) == 1


def test_english_verb_forms_anywhere_are_applied_with_what_was_read(engine):
    book(engine)
    chat = Chat(engine)
    applied = {
        "visited Acme today, talked pricing": "Logged visit with Acme",
        "Acme: called about the invoice": "Logged call with Acme",
        "had lunch with Li Wei at Acme": "Logged meal with Acme",
        "Acme - visited, budget approved": "Logged visit with Acme",
    }
    for text, title in applied.items():
        assert chat.say("alice", text).title == title, text
    assert _interactions(engine) == len(applied)


def test_a_message_that_only_says_something_happened_is_asked_about(engine):
    book(engine)
    chat = Chat(engine)
    for text in ("talked to Li Wei at Acme", "Acme yesterday, budget approved"):
        reply = chat.say("alice", text)
        assert reply.severity is Severity.warning, text
        assert reply.title == "What was it with Acme?", text
        assert [a.label for a in reply.actions] == [
            "1. Log a visit",
            "2. Log a call",
            "3. Log a meeting",
        ]
    # a payment competing with the call: which one?
    reply = chat.say("alice", "called Acme, they paid 300k")
    assert reply.title == "What should I record for Acme?"
    assert _interactions(engine) == 0


def test_chinese_written_as_people_write_it(engine):
    book(engine)
    chat = Chat(engine)
    assert chat.text("wang", "拜访了华夏重工 见了王总").startswith("✓ 已记录拜访：华夏重工")
    assert chat.text("wang", "今天上午去了趟华夏重工，聊了二期").startswith(
        "✓ 已记录拜访：华夏重工"
    )
    reply = chat.text("wang", "拜坊华夏重工 见了王总")  # an IME slip: 拜坊 for 拜访
    assert reply.startswith("✓ 已记录拜访：华夏重工") and "（已将“拜坊”理解为 /拜访）" in reply
    # the real command, typed without a space, still runs
    assert chat.text("wang", "拜访华夏重工 见了王总").startswith("✓ 已记录拜访：华夏重工")
    assert _interactions(engine) == 4


def test_anything_else_is_not_understood_with_help_pointed_to(engine):
    book(engine)
    chat = Chat(engine)
    assert chat.text("alice", "hello there").splitlines() == [
        "! I didn't understand “hello there”",
        "e.g. /visit Acme yesterday met Li Wei, CFO. Budget approved. next: send proposal by Friday",
        "Type /help to see what kam can do.",
    ]
    assert chat.text("wang", "你好").splitlines() == [
        "! 没看懂“你好”",
        "例如：/拜访 华夏重工 昨天 见了王总，预算已批 下一步：周五前发方案",
        "输入 /帮助 查看 kam 能做什么。",
    ]
    # never a list of unrelated commands
    assert "/payment" not in chat.text("alice", "note to self: call the bank")
    assert (
        chat.text("alice", "note to self").splitlines()[0] == "! I didn't understand “note to self”"
    )


def test_a_database_outage_says_try_again_in_both_languages():
    from bot.config import Settings
    from handlers.dispatcher import Dispatcher, Incoming
    from storage.engine import make_engine

    gone = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    reply = Dispatcher(gone, Settings(), commands=command_table()).handle(
        Incoming(text="/account Acme", actor="U0ALICE", platform="slack")
    )
    assert reply.severity is Severity.error
    text = "\n".join(reply.plain_lines())
    assert "try again in a minute" in text and "一分钟后再试" in text


def test_help_says_an_account_name_alone_is_enough(engine):
    book(engine)
    chat = Chat(engine)
    assert chat.say("alice", "/help").footer == (
        "/help COMMAND for details. An account's name alone shows its summary. "
        "The slash is optional; Chinese commands work too."
    )
    assert chat.say("wang", "/帮助").footer.startswith(
        "/帮助 命令名 查看详情。只发客户名即可查看客户概况。"
    )
