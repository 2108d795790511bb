"""``kam import``: the dry run writes nothing; a real import is in the audit trail,
visible in ``kam audit`` and ``/history``, and ``/undo`` or ``--revert`` takes it back
exactly — or refuses, changing nothing, when someone changed those rows since."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from domain.models import Account, AuditEntry, Contact, Deal, DealStageChange, TeamManager, User
from handlers.replies import Severity
from storage.session import unit_of_work
from tests.csvkit import checksum, row_counts, run_import, state
from tests.harness import Chat, book

runner = CliRunner()
TRAIL = (
    "audit_entry",
    "book_version",
    "rfm_cutpoints",
)  # what an import and its undo add on purpose

ACCOUNTS = (
    "name,owner,industry,annual_revenue\n"
    "ACME,Alice Chen,Manufacturing,120万\n"  # Acme, by another case; owner by display name
    "Newco,wang,Logistics,1.2m\n"
    "Globex,carol,,\n"  # no change
)


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAM_DATABASE_URL", database_url)
    monkeypatch.delenv("KAM_AS", raising=False)

    def run(*args: str, data: str | None = None, kind: str = "accounts"):
        if data is not None:
            path = tmp_path / f"{kind}.csv"
            path.write_text(data, encoding="utf-8")
            args = ("import", kind, path.name, *args)
        return runner.invoke(app, list(args))

    return run


def _entries(engine) -> list[AuditEntry]:
    with unit_of_work(engine, write=False) as s:
        return list(s.exec(select(AuditEntry).order_by(AuditEntry.id)).all())


# --- the dry run ---------------------------------------------------------------------


def test_a_dry_run_prints_every_row_and_writes_nothing(engine, cli):
    book(engine)
    before = state(engine)
    result = cli("--dry-run", data=ACCOUNTS)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "accounts.csv: would import accounts as @admin"
    assert lines[1].startswith(
        "line 2  Acme    updated    industry: — → Manufacturing; annual_revenue: — → 1200000.00"
    )
    assert lines[2].startswith(
        "line 3  Newco   created    owner wang, industry Logistics, "
        "annual_revenue 1200000.00, team 华东; tier "
    )
    assert lines[3] == "line 4  Globex  unchanged"
    assert lines[4:7] == [
        "kind      created  updated  unchanged",
        "accounts        1        1          1",
        "dry run: nothing was written",
    ]
    assert "Account(" not in result.output and "ImportResult(" not in result.output
    after = state(engine)
    assert row_counts(after) == row_counts(before)
    assert checksum(after) == checksum(before)


# --- the audit trail -----------------------------------------------------------------


def test_an_import_is_in_the_trail_kam_audit_and_history(engine, cli):
    b = book(engine)
    result = cli("--as", "bob", data=ACCOUNTS)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "accounts.csv: imported accounts as @bob"
    assert "accounts        1        1          1" in result.output
    request_id = re.search(r"kam import --revert (import-[0-9a-f]{12})", result.output)[1]

    entries = _entries(engine)
    assert [(e.action, e.entity, e.channel, e.actor_id) for e in entries] == [
        ("update", "account", "csv", b["bob"]),
        ("create", "account", "csv", b["bob"]),
    ]
    assert {e.request_id for e in entries} == {request_id}
    assert entries[0].summary == (
        "import accounts.csv line 2: Acme: industry — → Manufacturing; "
        "annual_revenue — → 1200000.00"
    )
    assert entries[1].summary == (
        "import accounts.csv line 3: Newco created: owner wang, industry Logistics, "
        "annual_revenue 1200000.00, team 华东"
    )
    assert entries[0].before["industry"] is None
    assert entries[0].after["industry"] == "Manufacturing"

    trail = cli("audit", "--account", "acme")
    assert trail.exit_code == 0, trail.output
    rows = [ln for ln in trail.output.splitlines() if " csv " in ln]
    assert len(rows) == 1
    assert re.match(
        r"\d{4}-\d\d-\d\d \d\d:\d\d  bob +csv +update  account#\d+ +Acme +import", rows[0]
    )
    assert rows[0].endswith("annual_revenue — → 1200000.00")

    history = Chat(engine).say("bob", "/history Acme")
    assert len(history.lines) == 1
    assert re.fullmatch(
        r"\w{3} \d+ \d\d:\d\d · Bob \(csv\) · import of accounts\.csv: change to Acme",
        history.lines[0],
    ), history.lines[0]


# --- undo and revert -----------------------------------------------------------------


def test_undo_in_chat_takes_back_the_whole_import(engine):
    book(engine)
    before = state(engine, skip=TRAIL)
    run_import(engine, "accounts", ACCOUNTS, actor="admin")
    assert state(engine, skip=TRAIL) != before
    chat = Chat(engine)
    reply = chat.say("admin", "/undo")
    assert reply.severity == Severity.success
    assert reply.title == "Undid: import of accounts.csv: change to Acme, new account Newco"
    assert state(engine, skip=TRAIL) == before
    assert all(e.undone_at is not None for e in _entries(engine) if e.action != "undo")


def test_undo_of_contacts_also_takes_back_the_rescoring(engine):
    b = book(engine)
    before = state(engine, skip=TRAIL)
    run_import(
        engine,
        "contacts",
        "account,name,title,role\nglobex,Zhang San,CTO,decision_maker\nGlobex,Mary Lo,,champion\n",
    )
    entries = _entries(engine)
    rescored = [e for e in entries if e.entity == "account"]
    assert len(rescored) == 1 and "re-scored" in rescored[0].summary
    assert rescored[0].summary.startswith(
        "import contacts.csv (after the rows): Globex re-scored"
    )  # the import did re-score
    assert rescored[0].before["score_relationship"] == 0.0  # the book's Globex
    assert rescored[0].after["score_relationship"] > 0.0  # two roles of the decision chain
    assert [e.entity for e in entries].count("contact") == 2
    reply = Chat(engine).say("admin", "/undo")
    assert reply.severity == Severity.success, reply.title
    assert state(engine, skip=TRAIL) == before
    with unit_of_work(engine, write=False) as s:
        assert s.get(Account, b["globex"]).score_relationship == 0.0


def test_revert_from_the_command_line_restores_the_book_exactly(engine, cli):
    book(engine)
    before = state(engine, skip=TRAIL)
    users = (
        "handle,display_name,role,team,manager\n"
        "zoe,Zoe Wu,rep,East,Yan Li\n"  # her manager is a later row, by display name
        "yan,Yan Li,manager,East,bob\n"
        "carol,Carol,rep,West,\n"  # moved team; manager cleared
    )
    teams = "name,managers,slack_channel\nEast,bob|alice,C0EAST\nNorth,carol,C0NORTH\n"
    deals = (
        "account,name,amount,currency,stage,close_date,owner\n"
        'Acme,Line 4,"¥1,200,000",,won,2026-11-01,\n'
        "华夏,二期,120万,,proposal,2026年12月31日,王磊\n"
    )
    ids = []
    for kind, data in (("users", users), ("teams", teams), ("deals", deals)):
        result = cli(data=data, kind=kind)
        assert result.exit_code == 0, result.output
        ids.append(re.search(r"--revert (import-[0-9a-f]{12})", result.output)[1])
    with unit_of_work(engine, write=False) as s:
        zoe = s.exec(select(User).where(User.handle == "zoe")).one()
        yan = s.exec(select(User).where(User.handle == "yan")).one()
        assert zoe.manager_id == yan.id
        assert len(s.exec(select(TeamManager)).all()) == 2 + 2  # bob ×2 in the book, + 2
        won = s.exec(select(Deal).where(Deal.name == "Line 4")).one()
        assert (won.amount, won.currency, won.stage) == (1200000, "CNY", "won")
        assert len(s.exec(select(DealStageChange)).all()) == 2
    for request_id in reversed(ids):
        result = cli("import", "--revert", request_id)
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"reverted {request_id} as @admin: ")
    assert state(engine, skip=TRAIL) == before
    again = cli("import", "--revert", ids[0])
    assert again.exit_code == 1 and "already reverted" in again.output


def test_revert_and_undo_refuse_when_someone_changed_the_rows_since(engine, cli):
    book(engine)
    run_import(engine, "accounts", ACCOUNTS, actor="admin", request_id="import-0123456789ab")
    chat = Chat(engine)
    assert chat.say("bob", "/tier Acme B because pilot paused").severity == Severity.success
    snapshot = state(engine)

    result = cli("import", "--revert", "import-0123456789ab")
    assert result.exit_code == 1
    assert "was changed since by @bob" in result.output and "nothing was reverted" in result.output
    assert state(engine) == snapshot

    reply = chat.say("admin", "/undo")
    assert reply.title == "Can't undo that"
    assert reply.lines == [
        "Can't undo import of accounts.csv: change to Acme, new account Newco: "
        "Bob changed it since.",
        "Nothing was changed.",
    ]
    assert state(engine) == snapshot
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(Contact)).first() is not None


def test_who_imports_comes_from_kam_as_and_must_be_a_user(engine, cli, monkeypatch):
    b = book(engine)
    monkeypatch.setenv("KAM_AS", "wang")
    result = cli(data="name,industry\nGlobex,Retail\n")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "accounts.csv: imported accounts as @wang"
    assert [e.actor_id for e in _entries(engine)] == [b["wang"]]
    before = state(engine)
    unknown = cli("--as", "nobody", data="name,industry\nGlobex,Mining\n")
    assert unknown.exit_code == 1
    assert "no user @nobody to import as; pass --as HANDLE (or set KAM_AS)" in unknown.output
    assert state(engine) == before


def test_undo_of_a_long_import_names_the_first_rows_and_counts_the_rest(engine):
    book(engine)
    rows = "".join(f"Newco {i},alice\n" for i in range(1, 7))
    run_import(engine, "accounts", "name,owner\n" + rows)
    reply = Chat(engine).say("admin", "/undo")
    assert reply.title == (
        "Undid: import of accounts.csv: new account Newco 1, new account Newco 2, "
        "new account Newco 3, 3 more"
    )
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(Account).where(Account.name.like("Newco%"))).first() is None


def test_a_large_import_is_reverted_whole(engine, cli):
    """1,500 rows: the "changed since?" check must not build one condition per row
    (SQLite refuses an expression tree deeper than 1,000)."""
    book(engine)
    before = state(engine, skip=TRAIL)
    rows = "".join(f"Acme,Person {n},Engineer\n" for n in range(1500))
    result = cli(data="account,name,title\n" + rows, kind="contacts")
    assert result.exit_code == 0, result.output
    request_id = re.search(r"--revert (import-[0-9a-f]{12})", result.output)[1]
    with unit_of_work(engine, write=False) as s:
        assert len(s.exec(select(Contact).where(Contact.name.startswith("Person "))).all()) == 1500
    reverted = cli("import", "--revert", request_id)
    assert reverted.exit_code == 0, reverted.output
    assert state(engine, skip=TRAIL) == before


def test_export_to_a_file_has_a_bom_for_excel_and_to_stdout_none(engine, cli, tmp_path):
    book(engine)
    to_file = cli("export", "teams", "teams.csv")
    assert to_file.exit_code == 0, to_file.output
    assert (tmp_path / "teams.csv").read_text(encoding="utf-8").startswith("\ufeffname,")
    to_stdout = cli("export", "teams")
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout.startswith("name,")
