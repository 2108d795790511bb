"""The dispatcher's own promises: one transaction per command, errors as replies."""

from sqlmodel import select

from domain.models import Team
from handlers import dispatcher as dispatcher_module
from handlers.dispatcher import split_command
from handlers.registry import TABLE, CommandSpec
from handlers.replies import Reply, Severity
from storage.session import unit_of_work
from tests.harness import Chat, book


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

    return CommandSpec(
        name="collide", aliases=(), summary={"en": "x", "zh": "x"}, usage={"en": "/collide", "zh": "/collide"},
        example={"en": "/collide", "zh": "/collide"}, parse=lambda args, pctx: None, run=run, writes=True,
    )  # fmt: skip


def test_a_unique_key_conflict_rolls_back_everything_and_says_try_again(engine, monkeypatch):
    book(engine)
    spec = _spec_that_writes_then_collides()
    original = TABLE.find
    monkeypatch.setattr(
        dispatcher_module.TABLE, "find", lambda w: spec if w == "collide" else original(w)
    )
    reply = Chat(engine).say("admin", "/collide")
    assert reply.severity is Severity.error
    assert "same moment" in " ".join(reply.lines)
    with unit_of_work(engine, write=False) as s:
        assert (
            s.exec(select(Team).where(Team.name == "Half")).first() is None
        )  # nothing half-written


def test_unknown_command_suggests_the_closest(engine):
    book(engine)
    reply = Chat(engine).say("alice", "/acount Acme")
    assert reply.severity is Severity.error
    assert "/account" in reply.lines[0]


def test_a_database_outage_says_try_again_in_both_languages():
    from domain.settings import Settings
    from handlers.dispatcher import Dispatcher, Incoming
    from storage.engine import make_engine

    gone = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    reply = Dispatcher(gone, Settings()).handle(
        Incoming(text="/account Acme", actor="U0ALICE", platform="slack")
    )
    assert reply.severity is Severity.error
    text = "\n".join(reply.plain_lines())
    assert "try again in a minute" in text and "一分钟后再试" in text
