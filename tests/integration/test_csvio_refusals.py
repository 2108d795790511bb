"""Every refusal of ``kam import``: the line, the cause, and nothing written.

Each case runs the real command line on the crafted book (``tests.harness.book``) and
compares every table's contents (and their checksum) before and after.  To prove the
comparison can see a write, the last test imports a good file and sees the change.
"""

from __future__ import annotations

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from domain.models import AuditEntry
from storage import audit
from storage.session import unit_of_work
from tests.csvkit import checksum, row_counts, state
from tests.harness import NOW, Chat, book

runner = CliRunner()


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray kam.toml
    monkeypatch.setenv("KAM_DATABASE_URL", database_url)
    monkeypatch.delenv("KAM_AS", raising=False)

    def run(kind: str, data: bytes, *args: str):
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(data)
        return runner.invoke(app, ["import", kind, str(path), *args])

    return run


LONG = "x" * 201  # Account.name holds 200

CASES = {
    "unclosed quote": (
        "accounts",
        b'name,owner\nNewCo,alice\n"Broken Co,alice\nOther,carol\n',
        [(3, 'a quoted cell is never closed (a " is missing)')],
    ),
    # issue 15 item 10: a quote left open swallows the next line until a later quote
    # closes it, and the two contacts used to import as one named "Zhang San,CFO\nAcme,Li Si".
    "unclosed quote closed lines later": (
        "contacts",
        b'account,name,title\nAcme,"Zhang San,CFO\nAcme,Li Si",CTO\n',
        [(2, 'name: a quoted cell runs over text lines 2-3 of the file; a closing " is missing')],
    ),
    "unclosed quote after a multi-line note": (
        "invoices",
        b'number,account,amount,note\nINV-9,Acme,100,"two\nlines"\nINV-10,"Acme,200,x\n'
        b'INV-11,Acme",300,y\n',
        [(3, 'account: a quoted cell runs over text lines 4-5 of the file; a closing "')],
    ),
    "too many cells": (
        "accounts",
        b"name,owner\nNewCo,alice\nAcme,alice,extra\n",
        [(3, "3 cells but the header has 2 columns (more cells than columns")],
    ),
    "too few cells": (
        "contacts",
        b"account,name,title\nAcme,Zhang San\n",
        [(2, "2 cells but the header has 3 columns (fewer cells than columns")],
    ),
    "NUL byte": (
        "accounts",
        b"name,owner\nNewCo,alice\nOther,ca\x00rol\n",
        [(3, "a NUL byte")],
    ),
    "cell longer than its column": (
        "accounts",
        f"name,owner\n{LONG},alice\n".encode(),
        [(2, "name: 201 characters, longer than its 200")],
    ),
    "not UTF-8": (
        "accounts",
        "name,owner\nNewCo,alice\n东方电气,wang\n".encode("gb18030"),
        [(3, "the file is not UTF-8 text")],
    ),
    "one account twice by case": (
        "accounts",
        b"name,owner\nNewCo,alice\nnewco,carol\n",
        [
            (2, "this account appears again on line 3 (names match ignoring case)"),
            (3, "this account already appears on line 2 (names match ignoring case)"),
        ],
    ),
    "one account twice by width": (
        "accounts",
        "name,owner\nAcme,alice\nＡＣＭＥ,alice\n".encode(),
        [(2, "appears again on line 3"), (3, "already appears on line 2")],
    ),
    "an alias as a new account's name": (
        "accounts",
        b"name,owner\nacme corp,alice\n",
        [(2, "'acme corp' is an alias of Acme; name the account Acme")],
    ),
    "one user twice by case": (
        "users",
        b"handle,display_name\nzhao,Zhao Min\nZHAO,Zhao Min\n",
        [(2, "this handle appears again on line 3"), (3, "already appears on line 2")],
    ),
    "one team twice by case": (
        "teams",
        b"name\nNorth\nnorth\n",
        [(2, "this team appears again on line 3"), (3, "this team already appears on line 2")],
    ),
    "tier override without a reason": (
        "accounts",
        b"name,tier_override\nGlobex,A\n",
        [(2, "a tier override (A) needs a reason: fill tier_override_reason")],
    ),
    "ambiguous date": (
        "accounts",
        b"name,owner,partnership_start\nNewCo,alice,03/05/2026\n",
        [
            (
                2,
                "partnership_start: '03/05/2026' is ambiguous (month/day or day/month?); "
                "write the year first, e.g. 2026-03-05",
            )
        ],
    ),
    "relative date": (
        "deals",
        b"account,name,close_date\nAcme,Line 9,next friday\n",
        [(2, "close_date: 'next friday' is not a date; write it year first")],
    ),
    "amount chat cannot read": (
        "deals",
        b"account,name,amount\nAcme,Line 9,12 apples\n",
        [(2, "amount: '12 apples' is not an amount")],
    ),
    "foreign money in a house-currency column": (
        "accounts",
        b"name,credit_limit\nAcme,$20k\n",
        [(2, "credit_limit: 'USD 20,000.00' must be in CNY, the house currency")],
    ),
    "owner by an unknown name": (
        "accounts",
        b"name,owner\nNewCo,Alice Chan\n",
        [(2, "owner: 'Alice Chan' is not a known user (handle or display name)")],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_file_is_refused_with_line_and_cause_and_nothing_is_written(engine, cli, case):
    book(engine)
    kind, data, expected = CASES[case]
    before = state(engine)
    result = cli(kind, data)
    assert result.exit_code == 1, result.output
    assert "nothing imported" in result.output
    reported = [ln for ln in result.output.splitlines() if ln.startswith("line ")]
    assert len(reported) == len(expected), result.output
    for (line, cause), text in zip(expected, reported, strict=True):
        assert text.startswith(f"line {line}: "), text
        assert cause in text, text
    after = state(engine)
    assert after == before
    assert checksum(after) == checksum(before)


def test_overwriting_a_tier_override_set_in_chat_needs_overwrite(engine, cli):
    book(engine)
    chat = Chat(engine)
    assert chat.say("bob", "/tier Acme B because the pilot is paused").severity == "success"
    data = b"name,tier_override,tier_override_reason\nAcme,A,back on track\n"

    dry = cli("accounts", data, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "line 2  Acme  updated  tier_override: B → A" in dry.output
    assert (
        "    ! overwrites the tier override B (reason: the pilot is paused) "
        "set by hand by @bob on 2026-11-18 → A"
    ) in dry.output
    assert "importing needs --overwrite" in dry.output

    before = state(engine)
    refused = cli("accounts", data)
    assert refused.exit_code == 1
    assert "nothing imported: 1 change(s) would overwrite what someone set by hand" in (
        refused.output
    )
    assert "line 2: overwrites the tier override B" in refused.output
    assert state(engine) == before

    applied = cli("accounts", data, "--overwrite")
    assert applied.exit_code == 0, applied.output
    after = state(engine)
    assert after != before
    with unit_of_work(engine, write=False) as s:
        from domain.models import Account

        acme = s.exec(select(Account).where(Account.name == "Acme")).one()
        assert (acme.tier_override, acme.tier_override_reason) == ("A", "back on track")


def test_an_owner_changed_in_chat_is_not_overwritten_silently(engine, cli):
    b = book(engine)
    # An owner change as a chat command records it (there is no chat command for it
    # yet): the account row updated, and the audit entry from the Slack channel.
    with unit_of_work(engine) as s:
        from domain.models import Account

        acme = s.get(Account, b["acme"])
        before = audit.snapshot(acme)
        acme.owner_id = b["carol"]
        s.add(acme)
        s.flush()
        entry = audit.record(
            s, action="update", obj=acme, actor_id=b["bob"], channel="slack",
            request_id="chat-1", before=before, account_id=acme.id, summary="owner → carol",
        )  # fmt: skip
        entry.at = NOW
    data = b"name,owner\nAcme,alice\nGlobex,carol\n"
    dry = cli("accounts", data, "--dry-run")
    assert "line 2  Acme    updated    owner: carol → alice" in dry.output
    assert "    ! overwrites the owner carol set by hand by @bob on 2026-11-18 → alice" in (
        dry.output
    )
    assert "line 3  Globex  unchanged" in dry.output

    snapshot = state(engine)
    refused = cli("accounts", data)
    assert refused.exit_code == 1
    assert state(engine) == snapshot


def test_the_comparison_sees_a_write(engine, cli):
    """The check the refusals rely on does notice an import that writes."""
    book(engine)
    before = state(engine)
    result = cli("accounts", b"name,owner\nNewCo,alice\n")
    assert result.exit_code == 0, result.output
    after = state(engine)
    assert checksum(after) != checksum(before)
    assert row_counts(after)["account"] == row_counts(before)["account"] + 1
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(AuditEntry).where(AuditEntry.channel == "csv")).first()
