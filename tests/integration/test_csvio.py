"""CSV import/export: all-or-nothing validation, encodings, and round trips."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from bot.config import Settings
from domain.models import (
    Account,
    AccountAlias,
    Contact,
    Deal,
    DealStageChange,
    Team,
    User,
)
from handlers.csvimport import ImportResult, apply_import, plan_import
from storage.csvio import BOM, COLUMNS, KINDS, ImportRejected, export_csv
from storage.demo import seed_demo
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.session import unit_of_work

TODAY = date(2026, 5, 20)


def _counts(engine) -> dict[str, int]:
    with Session(engine) as s:
        return {
            name: s.exec(select(func.count()).select_from(table)).one()
            for name, table in SQLModel.metadata.tables.items()
        }


def import_csv(s, kind, src, *, actor: str = "admin") -> ImportResult:
    """Plan and apply in the caller's session, as ``kam import`` does."""
    from datetime import datetime

    now = datetime(2026, 5, 20, 10, tzinfo=Settings().tz)
    plan = plan_import(s, kind, src, settings=Settings(), now=now, file=f"{kind}.csv")
    actor_id = s.exec(select(User.id).where(User.handle == actor)).one()
    return apply_import(s, plan, actor_id=actor_id, request_id=f"import-{kind}", overwrite=True)


def _import(engine, kind: str, text: str | bytes, **kw) -> ImportResult:
    src = text.encode() if isinstance(text, str) else text
    with unit_of_work(engine) as s:
        return import_csv(s, kind, src, **kw)


def _export(engine, kind: str, *, bom: bool = True) -> str:
    out = io.StringIO(newline="")
    with unit_of_work(engine, write=False) as s:
        export_csv(s, kind, out, bom=bom)
    return out.getvalue()


def _small_book(engine) -> None:
    """Two teams and a few people, through the importer itself."""
    with unit_of_work(engine) as s:
        s.add(Team(name="East"))
        s.add(Team(name="华东"))
        s.add(User(handle="admin", display_name="Admin", role="admin"))
    _import(
        engine,
        "users",
        "handle,display_name,role,team,manager,timezone,language,slack_id,wecom_id,email\n"
        "alice,Alice Chen,rep,East,bob,Asia/Shanghai,en,U0ALICE001,,alice@kam.example\n"
        "wang,王磊,rep,华东,bob,Asia/Shanghai,zh,,wanglei,\n"
        "bob,Bob Zhang,manager,East,,Asia/Shanghai,en,U0BOB00001,bob,\n",
    )


def _second_database(url: str):
    engine = make_engine(url)
    upgrade(engine)
    return engine


# --- rejection -----------------------------------------------------------------------


def test_a_bad_row_rejects_the_whole_file(engine):
    _small_book(engine)
    before = _counts(engine)
    text = (
        "name,owner,team,status,partnership_start,annual_revenue\n"
        "Acme,alice,East,active,2020-03-01,12000000\n"
        "华夏重工,wang,华东,active,2019-05-20,8000000\n"
        "Globex,nobody,East,active,2021-01-01,3000000\n"  # line 4: unknown owner
        "Initech,alice,East,active,2021-01-01,900000\n"
        "Umbrella,alice,East,sleeping,2021-13-01,-5\n"  # line 6: three problems
    )
    with unit_of_work(engine) as s, pytest.raises(ImportRejected) as caught:
        try:
            import_csv(s, "accounts", text.encode())
        finally:
            assert not s.new and not s.dirty  # nothing was even staged
    err = caught.value
    assert [line for line, _ in err.errors] == [4, 6]
    lines = str(err).splitlines()
    assert lines[0] == "line 4: owner: 'nobody' is not a known user (handle or display name)"
    assert lines[1].startswith("line 6: ")
    for word in ("status", "partnership_start", "annual_revenue"):
        assert word in lines[1]
    assert _counts(engine) == before


def test_references_and_duplicates_are_checked(engine):
    _small_book(engine)
    before = _counts(engine)
    users = (
        "handle,display_name,team,manager,slack_id\n"
        "carol,Carol Davis,West,,\n"  # line 2: no such team
        "dave,Dave,East,erin,\n"  # line 3: erin is defined later in the file: fine
        "erin,Erin,East,nobody,\n"  # line 4: unknown manager
        "frank,Frank,East,,U0ALICE001\n"  # line 5: alice's Slack id
        "dave,Dave Again,East,,\n"  # line 6: duplicate handle
        "gina,,East,,\n"  # line 7: a new user needs a display name
    )
    with pytest.raises(ImportRejected) as caught:
        _import(engine, "users", users)
    assert [line for line, _ in caught.value.errors] == [2, 3, 4, 5, 6, 7]
    message = str(caught.value)
    assert "line 2: team 'West' does not exist" in message
    assert "line 3: this handle appears again on line 6" in message
    assert "line 6: this handle already appears on line 3" in message
    assert "already belongs to @alice" in message
    assert _counts(engine) == before

    with pytest.raises(ImportRejected) as caught:
        _import(engine, "contacts", "account,name,birthday\nNope,Someone,02-30\n")
    assert "account 'Nope' does not exist" in str(caught.value)
    assert "birthday '02-30' is not a real date" in str(caught.value)


def test_header_problems_are_line_1(engine):
    with pytest.raises(ImportRejected) as caught:
        _import(engine, "deals", "account,nmae,amount\nAcme,Deal,1\n")
    assert caught.value.errors[0][0] == 1
    assert "unknown column 'nmae'" in str(caught.value)
    assert "missing column 'name'" in str(caught.value)
    with pytest.raises(ImportRejected, match="not UTF-8"):
        _import(engine, "users", "handle,display_name\nli,李强\n".encode("gb18030"))


def test_line_numbers_count_rows_as_a_spreadsheet_shows_them(engine):
    _small_book(engine)
    text = (
        "name,owner,industry\n"
        'Acme,alice,"Manufacturing,\nheavy"\n'  # one row over two physical lines
        "\n"  # a blank row
        "Globex,ghost,Logistics\n"
    )
    with pytest.raises(ImportRejected) as caught:
        _import(engine, "accounts", text)
    assert caught.value.errors == [
        (4, "owner: 'ghost' is not a known user (handle or display name)")
    ]


# --- encodings and Chinese -----------------------------------------------------------


@pytest.mark.parametrize("with_bom", [True, False])
def test_utf8_with_or_without_bom(engine, with_bom, tmp_path):
    _small_book(engine)
    text = "name,aliases,owner,industry\n华夏重工,华夏|HX Heavy,wang,装备制造\n"
    data = (BOM + text).encode() if with_bom else text.encode()
    result = _import(engine, "accounts", data)
    assert (result.created, result.updated) == (1, 0)
    path = tmp_path / "accounts.csv"
    path.write_bytes(data)
    with unit_of_work(engine) as s:
        assert import_csv(s, "accounts", path).unchanged == 1
        with path.open(encoding="utf-8-sig", newline="") as f:
            assert import_csv(s, "accounts", f).unchanged == 1
    with Session(engine) as s:
        account = s.exec(select(Account).where(Account.name == "华夏重工")).one()
        aliases = set(s.exec(select(AccountAlias.alias)))
        assert account.industry == "装备制造" and aliases == {"华夏", "HX Heavy"}


def test_chinese_round_trip(engine, empty_database_url):
    _small_book(engine)
    _import(engine, "accounts", "name,aliases,owner,industry\n华夏重工,华夏,wang,装备制造\n")
    contacts = (
        "account,name,title,role,birthday,phone\n"
        "华夏,王建国,总经理,decision_maker,lunar:04-08,+86 139 0101 8888\n"  # by alias
        "华夏重工,李娜,采购经理,procurement,lunar:leap:1985-06-02,\n"
        "华夏重工,赵刚,设备部部长,champion,1979-11-03,\n"
        "华夏重工,陈静,财务总监,influencer,02-29,\n"
    )
    assert _import(engine, "contacts", contacts).created == 4
    exported = _export(engine, "contacts")
    assert exported.startswith(BOM)
    # the phone starts with + : written as text for spreadsheets, read back without the '
    assert "华夏重工,王建国,总经理,decision_maker,lunar:04-08,'+86 139 0101 8888,\r\n" in exported
    assert "lunar:leap:1985-06-02" in exported and ",02-29," in exported
    raw = exported.encode("utf-8")
    assert _import(engine, "contacts", raw).unchanged == 4

    with Session(engine) as s:
        wang = s.exec(select(Contact).where(Contact.name == "王建国")).one()
        assert (wang.birthday_lunar, wang.birthday_month, wang.birthday_day) == (True, 4, 8)
        lina = s.exec(select(Contact).where(Contact.name == "李娜")).one()
        assert (lina.birthday_leap_month, lina.birthday_year) == (True, 1985)

    other = _second_database(empty_database_url)
    try:
        _small_book(other)
        _import(other, "accounts", _export(engine, "accounts").encode())
        _import(other, "contacts", raw)
        assert _export(other, "contacts").encode() == raw
    finally:
        other.dispose()


# --- upserts and deals ---------------------------------------------------------------


def test_import_updates_by_natural_key(engine):
    _small_book(engine)
    _import(engine, "accounts", "name,owner,status,tier_override\nAcme,alice,active,\n")
    result = _import(
        engine,
        "accounts",
        "name,owner,status,tier_override,tier_override_reason,annual_revenue,margin_pct\n"
        'Acme,wang,at_risk,a,Board sponsor,"12,000,000",30%\n',
    )
    assert (result.created, result.updated) == (0, 1)
    with Session(engine) as s:
        acme = s.exec(select(Account).where(Account.name == "Acme")).one()
        wang = s.exec(select(User).where(User.handle == "wang")).one()
        assert (acme.owner_id, acme.status, acme.tier_override) == (wang.id, "at_risk", "A")
        assert acme.annual_revenue == Decimal("12000000.00") and acme.margin_pct == 30.0
        assert acme.team_id is not None and acme.tier_override_at is not None
        assert acme.effective_tier == "A" and acme.score > 0
    # a column left out is left alone; one present but empty is cleared
    _import(engine, "accounts", "name,tier_override\nAcme,\n")
    with Session(engine) as s:
        acme = s.exec(select(Account).where(Account.name == "Acme")).one()
        assert acme.tier_override is None and acme.status == "at_risk"


def test_deal_stage_changes_are_recorded(engine):
    _small_book(engine)
    _import(engine, "accounts", "name,owner\nAcme,alice\n")
    header = "account,name,amount,currency,stage,close_date,owner,lost_reason\n"
    created = _import(engine, "deals", header + "Acme,Line 3,2400000,CNY,proposal,2026-09-30,,\n")
    assert created.created == 1
    moved = _import(engine, "deals", header + "acme,Line 3,2400000,CNY,won,2026-01-15,,\n")
    assert moved.updated == 1
    with Session(engine) as s:
        deal = s.exec(select(Deal)).one()
        alice = s.exec(select(User).where(User.handle == "alice")).one()
        assert (deal.stage, deal.owner_id, deal.close_date) == ("won", alice.id, date(2026, 1, 15))
        assert deal.closed_at is not None and deal.closed_at == deal.stage_changed_at
        history = s.exec(select(DealStageChange).order_by(DealStageChange.id)).all()
        assert [(h.from_stage, h.to_stage) for h in history] == [
            (None, "proposal"),
            ("proposal", "won"),
        ]
    same = _import(engine, "deals", header + "Acme,Line 3,2400000,CNY,won,2026-01-15,,\n")
    assert same.unchanged == 1
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(DealStageChange)).one() == 2


# --- the whole book ------------------------------------------------------------------


def test_export_import_round_trip(engine, empty_database_url):
    with unit_of_work(engine) as s:
        seed_demo(s, settings=Settings(), today=TODAY)
    exported = {kind: _export(engine, kind) for kind in KINDS}
    for kind, text in exported.items():
        assert text.startswith(BOM)
        header = text.removeprefix(BOM).split("\r\n", 1)[0]
        assert header == ",".join(COLUMNS[kind])
    assert "华夏重工" in exported["accounts"] and "Li Wei" in exported["contacts"]

    # importing the export into the same book changes nothing
    before = _counts(engine)
    for kind in KINDS:
        result = _import(engine, kind, exported[kind].encode())
        assert (result.created, result.updated) == (0, 0), kind
    assert _counts(engine) == before

    # into an empty book, then out again: the same bytes.  Teams name their managers
    # and users their team: teams first without the managers column, then the rest.
    other = _second_database(empty_database_url)
    try:
        with unit_of_work(other) as s:
            s.add(User(handle="admin", display_name="Admin", role="admin"))
        teams_only = "name\r\n" + "".join(
            line.split(",", 1)[0] + "\r\n"
            for line in exported["teams"].removeprefix(BOM).split("\r\n")[1:-1]
        )
        assert _import(other, "teams", teams_only.encode()).created == 2
        for kind in KINDS:
            result = _import(other, kind, exported[kind].encode())
            rows = exported[kind].count("\r\n") - 1
            if kind == "users":  # admin is there already, without an email
                assert (result.created, result.updated) == (rows - 1, 1), kind
            elif kind == "teams":  # now with their managers
                assert result.updated == rows, kind
            else:
                assert result.created == rows, kind
        for kind in KINDS:
            assert _export(other, kind).encode() == exported[kind].encode(), kind

        def tiers(eng):
            with Session(eng) as s:
                return s.exec(select(Account.name, Account.tier, Account.score)).all()

        assert sorted(tiers(other)) == sorted(tiers(engine))
    finally:
        other.dispose()


def test_export_without_bom_and_unknown_kind(engine):
    _small_book(engine)
    text = _export(engine, "users", bom=False)
    assert text.startswith("handle,display_name,")
    assert "wang,王磊,rep,华东,bob,Asia/Shanghai,zh,,wanglei,\r\n" in text
    with pytest.raises(Exception, match="unknown kind"):
        _export(engine, "goals")


def test_a_new_user_without_time_zone_or_language_gets_the_houses(engine):
    with unit_of_work(engine) as s:
        s.add(User(handle="admin", display_name="Admin", role="admin"))
    house = Settings(timezone="America/New_York", language="zh")
    from datetime import datetime

    with unit_of_work(engine) as s:
        src = b"handle,display_name\nnina,Nina Park\n"
        now = datetime(2026, 5, 20, 10, tzinfo=house.tz)
        plan = plan_import(s, "users", src, settings=house, now=now, file="users.csv")
        admin = s.exec(select(User.id).where(User.handle == "admin")).one()
        apply_import(s, plan, actor_id=admin, request_id="import-users")
    with unit_of_work(engine, write=False) as s:
        nina = s.exec(select(User).where(User.handle == "nina")).one()
        assert (nina.timezone, nina.language) == ("America/New_York", "zh")
