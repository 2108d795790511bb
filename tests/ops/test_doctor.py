"""``kam doctor`` against a good installation and against broken ones: each problem is
named with its fix, and the exit code is non-zero."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import typer
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from bot.doctor import doctor_command
from storage.engine import make_engine
from storage.migrate import alembic_config, upgrade
from storage.session import unit_of_work
from tests import factories as f
from tests.e2e.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.harness import book

app = typer.Typer()
app.command("doctor")(doctor_command)
app.command("noop")(lambda: None)  # a group, so the command is invoked by name
runner = CliRunner()
TOKEN = "kamCallbackToken"
AES_KEY = "kAmTeStEnCoDiNgAeSkEy0123456789abcdefghijkl"  # 43 characters, like WeCom's

# Every variable doctor reads, blank unless a test sets it (blank counts as unset).
BLANK = {
    name: ""
    for name in (
        "KAM_CONFIG", "KAM_TIMEZONE", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN", "SLACK_API_URL", "WECOM_CORP_ID", "WECOM_AGENT_ID",
        "WECOM_SECRET", "WECOM_TOKEN", "WECOM_ENCODING_AES_KEY", "WECOM_API_BASE_URL",
    )
}  # fmt: skip


@pytest.fixture(autouse=True)
def _no_stray_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


class FakeWecom:
    """WeCom's ``gettoken`` on 127.0.0.1: a token for the right corp ID and secret."""

    corp_id, secret, agent_id = "wwkamdoctor0001", "kam-doctor-app-secret", 1000002

    def __init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = dict(parse_qsl(url.query))
                if url.path != "/cgi-bin/gettoken":
                    answer = {"errcode": 404, "errmsg": "not found"}
                elif query.get("corpid") != fake.corp_id:
                    answer = {"errcode": 40013, "errmsg": "invalid corpid"}
                elif query.get("corpsecret") != fake.secret:
                    answer = {"errcode": 40001, "errmsg": "invalid credential"}
                else:
                    answer = {"errcode": 0, "access_token": "tok", "expires_in": 7200}
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.api_base_url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/"


@pytest.fixture
def wecom() -> Iterator[FakeWecom]:
    fake = FakeWecom()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def doctor(**env: str):
    result = runner.invoke(app, ["doctor"], env={**BLANK, **env})
    return result.exit_code, result.output


def slack_env(fake: FakeSlack, token: str = BOT_TOKEN) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
    }


def wecom_env(fake: FakeWecom, secret: str | None = None) -> dict[str, str]:
    return {
        "WECOM_CORP_ID": fake.corp_id,
        "WECOM_AGENT_ID": str(fake.agent_id),
        "WECOM_SECRET": secret or fake.secret,
        "WECOM_TOKEN": TOKEN,
        "WECOM_ENCODING_AES_KEY": AES_KEY,
        "WECOM_API_BASE_URL": fake.api_base_url,
    }


def test_a_good_installation_passes_every_check(database_url, engine, slack, wecom):
    book(engine)
    code, out = doctor(KAM_DATABASE_URL=database_url, **slack_env(slack), **wecom_env(wecom))
    assert code == 0, out
    assert "[FAIL]" not in out
    assert "schema is up to date" in out
    assert "auth.test: signed in as @kam in workspace Kam Test" in out
    assert "gettoken: corp ID and secret accepted" in out
    assert "timezone(s) of 6 active user(s) are known" in out
    assert "kam is ready to run." in out
    assert [c.method for c in slack.calls()] == ["auth.test"]
    for secret in (BOT_TOKEN, SIGNING_SECRET, wecom.secret, AES_KEY):
        assert secret not in out


def test_without_slack_or_wecom_those_checks_are_skipped_not_failed(database_url):
    code, out = doctor(KAM_DATABASE_URL=database_url)
    assert code == 0, out
    assert "Slack              not configured" in out
    assert "WeCom              not configured" in out


def test_an_unreachable_database_fails_with_how_to_fix_it():
    code, out = doctor(KAM_DATABASE_URL="postgresql://kam:hunter22@127.0.0.1:1/kam")
    assert code == 1
    assert "[FAIL] database" in out
    assert "cannot connect to postgresql+psycopg://kam:***@127.0.0.1:1/kam" in out
    assert "fix: start the database server, or correct KAM_DATABASE_URL" in out
    assert "migrations         skipped" in out
    assert "hunter22" not in out


def test_a_missing_sqlite_file_is_reported_and_not_created(tmp_path):
    path = tmp_path / "nowhere.db"
    code, out = doctor(KAM_DATABASE_URL=f"sqlite:///{path}")
    assert code == 1
    assert f"the SQLite file {path} does not exist" in out
    assert "kam db upgrade" in out
    assert not path.exists()


def test_a_stale_schema_says_to_run_db_upgrade(empty_database_url):
    engine = make_engine(empty_database_url)
    script = ScriptDirectory.from_config(alembic_config(engine))
    oldest = list(script.walk_revisions())[-1].revision
    assert oldest != script.get_current_head(), "needs at least two migrations"
    upgrade(engine, oldest)
    engine.dispose()
    code, out = doctor(KAM_DATABASE_URL=empty_database_url)
    assert code == 1
    assert f"the schema is at revision {oldest}; this kam needs {script.get_current_head()}" in out
    assert "fix: run `kam db upgrade`" in out


def test_an_empty_database_says_to_create_the_tables(empty_database_url):
    engine = make_engine(empty_database_url)
    with engine.connect():
        pass  # SQLite: the file now exists, with no tables
    engine.dispose()
    code, out = doctor(KAM_DATABASE_URL=empty_database_url)
    assert code == 1
    assert "the database is empty" in out


def test_a_rejected_slack_token_is_named_with_where_to_get_a_good_one(database_url, slack):
    code, out = doctor(KAM_DATABASE_URL=database_url, **slack_env(slack, "xoxb-revoked-1234"))
    assert code == 1
    assert "[FAIL] Slack" in out
    assert "auth.test refused the bot token: invalid_auth" in out
    assert "OAuth & Permissions" in out
    assert "xoxb-revoked-1234" not in out


def test_slack_unreachable_and_a_user_token_are_failures(database_url):
    code, out = doctor(
        KAM_DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL="http://127.0.0.1:1/api/",
    )
    assert code == 1
    assert "cannot reach Slack at http://127.0.0.1:1/api/" in out
    code, out = doctor(KAM_DATABASE_URL=database_url, SLACK_BOT_TOKEN="xoxp-user-token")
    assert code == 1
    assert "is not a bot token" in out


def test_slack_without_a_way_to_receive_commands_fails(database_url, slack):
    env = slack_env(slack)
    del env["SLACK_SIGNING_SECRET"]
    code, out = doctor(KAM_DATABASE_URL=database_url, **env)
    assert code == 1
    assert "cannot receive commands" in out
    assert "auth.test: signed in" in out  # the token itself is fine


def test_a_wrong_wecom_secret_fails_without_printing_it(database_url, wecom):
    code, out = doctor(
        KAM_DATABASE_URL=database_url, **wecom_env(wecom, secret="not-the-right-secret")
    )
    assert code == 1
    assert "gettoken refused: errcode 40001" in out
    assert "WECOM_SECRET is wrong" in out
    assert "not-the-right-secret" not in out


def test_a_malformed_wecom_aes_key_and_missing_agent_id_are_failures(database_url, wecom):
    env = wecom_env(wecom)
    env["WECOM_ENCODING_AES_KEY"] = "too-short"
    env["WECOM_AGENT_ID"] = ""
    code, out = doctor(KAM_DATABASE_URL=database_url, **env)
    assert code == 1
    assert "not a 43-character EncodingAESKey" in out
    assert "WECOM_AGENT_ID is not set" in out
    assert "gettoken: corp ID and secret accepted" in out


def test_a_broken_configuration_fails_first_and_skips_the_rest():
    code, out = doctor(KAM_TIMEZONE="Mars/Olympus_Mons")
    assert code == 1
    assert "[FAIL] configuration" in out
    assert "KAM_TIMEZONE" in out and "Mars/Olympus_Mons" in out
    assert "database" in out and "skipped" in out


def test_a_user_with_an_unknown_timezone_is_named(database_url, engine):
    with unit_of_work(engine) as s:
        f.user(s, "zoe", timezone="Asia/Shanghai")
        f.user(s, "yuri", timezone="Europe/Atlantis")
    code, out = doctor(KAM_DATABASE_URL=database_url)
    assert code == 1
    assert "unknown timezone for active users: 'Europe/Atlantis' (@yuri)" in out
    assert "/user set @handle tz" in out
