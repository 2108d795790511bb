"""``kam doctor``: is this installation able to run?  Each check says, in plain words,
what is wrong and how to fix it; the exit code is 1 when any check failed.

    configuration      kam.toml and the environment load and validate
    timezone database  Asia/Shanghai, kam's timezone and every user's are known
    database           reachable with KAM_DATABASE_URL (SQLite: the file exists)
    migrations         the schema is at the revision this kam needs
    Slack              auth.test with SLACK_BOT_TOKEN (at SLACK_API_URL), when set
    WeCom              gettoken with WECOM_CORP_ID + WECOM_SECRET, when set

Nothing is written: doctor never creates a database file or migrates a schema.  No
secret is printed.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.config import Settings, load_settings
from domain.errors import InvalidInput, KamError
from domain.models import User
from storage.engine import make_engine, normalize_url
from storage.migrate import alembic_config, current_revision, head_revision

TIMEOUT_SECONDS = 5.0
_SLACK_BAD_TOKEN = {"invalid_auth", "not_authed", "token_revoked", "token_expired"}
_SLACK_DEAD = {"account_inactive", "team_disabled", "ekm_access_denied"}


@dataclass(frozen=True)
class Finding:
    check: str
    status: str  # ok | fail | skip
    detail: str
    fix: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "fail"


def ok(check: str, detail: str) -> Finding:
    return Finding(check, "ok", detail)


def fail(check: str, detail: str, fix: str) -> Finding:
    return Finding(check, "fail", detail, fix)


def skip(check: str, detail: str) -> Finding:
    return Finding(check, "skip", detail)


def doctor_command() -> None:
    """Check configuration, database, schema, Slack, WeCom and timezones; say what to fix."""
    findings = list(diagnose())
    width = max(len(f.check) for f in findings)
    for f in findings:
        mark = {"ok": "[ok]  ", "fail": "[FAIL]", "skip": "[--]  "}[f.status]
        typer.echo(f"{mark} {f.check.ljust(width)}  {f.detail}")
        if f.fix:
            typer.echo(f"       {' ' * width}  fix: {f.fix}")
    problems = sum(f.failed for f in findings)
    if problems:
        typer.echo(f"\n{problems} problem{'s' if problems > 1 else ''} found.", err=True)
        raise typer.Exit(1)
    typer.echo("\nkam is ready to run.")


def diagnose(load: Callable[[], Settings] = load_settings) -> Iterator[Finding]:
    """Every check in order; later ones are skipped when what they need is broken."""
    try:
        settings = load()
    except KamError as exc:
        yield fail(
            "configuration",
            str(exc),
            "correct the key named above in kam.toml (KAM_CONFIG) or the environment",
        )
        yield skip("database", "skipped: the configuration must load first")
        return
    yield ok(
        "configuration",
        f"database {_safe_url(settings.database_url)} · timezone {settings.timezone} · "
        f"language {settings.language}",
    )
    yield _timezone_database(settings)
    engine = None
    database = _database(settings)
    yield database
    if not database.failed:
        engine = make_engine(settings.database_url)
        try:
            schema = _migrations(engine)
            yield schema
            if not schema.failed:
                yield _user_timezones(engine)
                yield _scheduler(engine)
        finally:
            engine.dispose()
    else:
        yield skip("migrations", "skipped: the database must be reachable first")
    yield from _slack(settings)
    yield from _wecom(settings)


# -- configuration-independent pieces --------------------------------------------------


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    try:
        return make_url(normalize_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1]


def _timezone_database(settings: Settings) -> Finding:
    name = "timezone database"
    for zone in dict.fromkeys(("Asia/Shanghai", settings.timezone)):
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return fail(
                name,
                f"the IANA timezone database on this machine does not know {zone}",
                "install it: `apt-get install tzdata` (Debian/Ubuntu) or `pip install tzdata`",
            )
    zones = " and ".join(dict.fromkeys(("Asia/Shanghai", settings.timezone)))
    return ok(name, f"{zones} known")


# -- the database --------------------------------------------------------------------------


def _database(settings: Settings) -> Finding:
    name = "database"
    shown = _safe_url(settings.database_url)
    try:
        url = make_url(normalize_url(settings.database_url))
        engine = make_engine(settings.database_url)
    except (ArgumentError, ImportError, InvalidInput) as exc:
        return fail(
            name,
            f"KAM_DATABASE_URL {shown!r} is not a database URL kam can use: {exc}",
            "use sqlite:///path/to/kam.db or postgresql://user:password@host:5432/kam",
        )
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if not url.database or url.database == ":memory:":
            return fail(
                name,
                f"{shown} is an in-memory database: everything is lost when kam stops",
                "set KAM_DATABASE_URL to a file, e.g. sqlite:///kam.db",
            )
        if not path.exists():
            return fail(
                name,
                f"the SQLite file {path} does not exist",
                "create it with `kam db upgrade` (or `kam demo` for a sample book), "
                "or point KAM_DATABASE_URL at the right file",
            )
        if not _writable(path):
            return fail(
                name,
                f"kam cannot write {path} or its folder (SQLite needs both for its WAL file)",
                "run kam as the file's owner or fix the permissions",
            )
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return fail(
            name,
            f"cannot connect to {shown}: {_first_line(exc)}",
            "start the database server, or correct KAM_DATABASE_URL "
            "(host, port, user, password, database name)",
        )
    finally:
        engine.dispose()
    return ok(name, f"{shown} answers")


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent.resolve(), os.W_OK)


def _first_line(exc: BaseException) -> str:
    inner = getattr(exc, "orig", None) or exc
    text_ = str(inner).strip().splitlines()
    return text_[0] if text_ else type(inner).__name__


def _migrations(engine: Engine) -> Finding:
    name = "migrations"
    try:
        current = current_revision(engine)
    except SQLAlchemyError as exc:
        return fail(name, f"cannot read the schema version: {_first_line(exc)}", "see above")
    head = head_revision(engine)
    if current == head:
        return ok(name, f"schema is up to date (revision {head})")
    if current is None:
        return fail(
            name,
            "the database is empty: kam's tables have not been created",
            "run `kam db upgrade` (kam run also does this on an empty database)",
        )
    from alembic.script import ScriptDirectory  # only for a database that is behind

    known = ScriptDirectory.from_config(alembic_config(engine)).get_revision(current)
    if known is None:
        return fail(
            name,
            f"the database is at revision {current}, which this kam does not know "
            "(a newer kam has migrated it)",
            "run the same or a newer kam version against this database",
        )
    return fail(
        name,
        f"the schema is at revision {current}; this kam needs {head}",
        "run `kam db upgrade` (back the database up first: `kam backup FILE`)",
    )


def _scheduler(engine: Engine) -> Finding:
    """Is a scheduler beating on this database (``storage.heartbeat``)?"""
    from storage import heartbeat as beats
    from storage.clock import db_now
    from storage.session import unit_of_work

    name = "scheduler"
    start = (
        "start it: `kam run` (the scheduler runs beside the server unless --no-scheduler) "
        "or `kam jobs scheduler`; then `kam jobs status` shows each job's last run"
    )
    with unit_of_work(engine, write=False) as session:
        health = beats.health(session, now=db_now(session))
    if health.state == "never":  # a new installation: kam run will start one
        return skip(
            name,
            "no scheduler has run on this database yet: `kam run` starts one beside the "
            "server (or `kam jobs scheduler`); until then no push goes out",
        )
    minutes = int(health.age.total_seconds() // 60)
    if health.state == "stale":
        return fail(
            name,
            f"stopped: the last heartbeat was {minutes} min ago "
            f"(one every {health.interval} s expected); no reminder or push goes out",
            start,
        )
    return ok(name, f"running: last heartbeat {int(health.age.total_seconds())} s ago")


def _user_timezones(engine: Engine) -> Finding:
    name = "user timezones"
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(User.timezone, User.handle).where(User.active).order_by(User.handle)
            ).all()
    except SQLAlchemyError as exc:
        return fail(name, f"cannot read users: {_first_line(exc)}", "see the database check")
    bad: dict[str, list[str]] = {}
    zones = set()
    for zone, handle in rows:
        zones.add(zone)
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            bad.setdefault(zone, []).append(handle)
    if bad:
        listed = "; ".join(f"{z!r} (@{', @'.join(h)})" for z, h in sorted(bad.items()))
        return fail(
            name,
            f"unknown timezone for active users: {listed}",
            "set a valid IANA name, e.g. `/user set @handle tz Asia/Shanghai`; if the name "
            "is right, update the tzdata package",
        )
    return ok(name, f"{len(zones)} timezone(s) of {len(rows)} active user(s) are known")


# -- the platforms -------------------------------------------------------------------------


def _slack(settings: Settings) -> Iterator[Finding]:
    name = "Slack"
    slack = settings.slack
    if not slack.bot_token:
        if slack.signing_secret or slack.app_token:
            yield fail(
                name,
                "SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not",
                "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) from the app's "
                "OAuth & Permissions page",
            )
        else:
            yield skip(name, "not configured (SLACK_BOT_TOKEN is not set)")
        return
    if not slack.bot_token.startswith("xoxb-"):
        yield fail(
            name,
            "SLACK_BOT_TOKEN is not a bot token (it should start with xoxb-)",
            "use the Bot User OAuth Token from the app's OAuth & Permissions page",
        )
        return
    if not (slack.signing_secret or slack.app_token):
        yield fail(
            "Slack requests",
            "neither SLACK_SIGNING_SECRET nor SLACK_APP_TOKEN is set: kam can post to Slack "
            "but cannot receive commands",
            "set SLACK_SIGNING_SECRET (HTTP, the app's Basic Information page) or "
            "SLACK_APP_TOKEN (Socket Mode, an xapp- token)",
        )
    elif slack.app_token and not slack.app_token.startswith("xapp-"):
        yield fail(
            "Slack requests",
            "SLACK_APP_TOKEN is not an app-level token (it should start with xapp-)",
            "create an app-level token with connections:write under Basic Information",
        )
    import httpx  # (with what it imports, a tenth of a second): only when it asks Slack

    url = slack.api_url.rstrip("/") + "/auth.test"
    try:
        response = httpx.post(
            url,
            headers={"Authorization": f"Bearer {slack.bot_token}"},
            timeout=TIMEOUT_SECONDS,
        )
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        yield fail(
            name,
            f"cannot reach Slack at {slack.api_url}: {type(exc).__name__}: {exc}",
            "check this server's internet access or proxy, or SLACK_API_URL",
        )
        return
    if data.get("ok"):
        who = data.get("user") or data.get("user_id") or "?"
        team = data.get("team") or data.get("team_id") or "?"
        yield ok(name, f"auth.test: signed in as @{who} in workspace {team}")
        return
    error = str(data.get("error") or f"HTTP {response.status_code}")
    if error in _SLACK_BAD_TOKEN:
        fix = (
            "SLACK_BOT_TOKEN is wrong or was revoked: copy the Bot User OAuth Token (xoxb-…) "
            "again from the app's OAuth & Permissions page (reinstall the app if needed)"
        )
    elif error in _SLACK_DEAD:
        fix = "the Slack workspace or app is disabled; ask the workspace admin"
    else:
        fix = "see https://api.slack.com/methods/auth.test for this error"
    yield fail(name, f"auth.test refused the bot token: {error}", fix)


def _wecom(settings: Settings) -> Iterator[Finding]:
    name = "WeCom"
    w = settings.wecom
    if not (w.corp_id or w.secret or w.token or w.encoding_aes_key):
        yield skip(name, "not configured (WECOM_CORP_ID is not set)")
        return
    if not (w.corp_id and w.secret):
        missing = "WECOM_CORP_ID" if not w.corp_id else "WECOM_SECRET"
        yield fail(
            name,
            f"{missing} is not set, so kam cannot call WeCom",
            "set WECOM_CORP_ID (我的企业 → 企业ID) and WECOM_SECRET (the app's Secret)",
        )
        return
    if w.token or w.encoding_aes_key:
        yield _wecom_callback(settings)
    if w.agent_id is None:
        yield fail(
            "WeCom sending",
            "WECOM_AGENT_ID is not set: kam cannot message members",
            "set WECOM_AGENT_ID to the app's AgentId (应用管理 → the app)",
        )
    import httpx

    url = w.api_base_url.rstrip("/") + "/gettoken"
    try:
        response = httpx.get(
            url, params={"corpid": w.corp_id, "corpsecret": w.secret}, timeout=TIMEOUT_SECONDS
        )
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        # Never show the request URL: it carries the secret.
        yield fail(
            name,
            f"cannot reach WeCom at {w.api_base_url}: {type(exc).__name__}",
            "check this server's internet access or proxy, or WECOM_API_BASE_URL",
        )
        return
    errcode = data.get("errcode", -1)
    if errcode == 0 and data.get("access_token"):
        yield ok(name, "gettoken: corp ID and secret accepted")
        return
    fixes = {
        40013: "WECOM_CORP_ID is wrong: copy 企业ID from 我的企业 in the WeCom admin console",
        40001: "WECOM_SECRET is wrong: copy the app's Secret again (应用管理 → the app)",
        40091: "WECOM_SECRET is wrong: copy the app's Secret again (应用管理 → the app)",
        60020: "WeCom refuses calls from this server's IP: add it to the app's "
        "企业可信IP (trusted IPs)",
    }
    yield fail(
        name,
        f"gettoken refused: errcode {errcode} {str(data.get('errmsg', ''))[:120]}".rstrip(),
        fixes.get(errcode, "see WeCom's error code list (全局错误码) for this errcode"),
    )


def _wecom_callback(settings: Settings) -> Finding:
    name = "WeCom callbacks"
    w = settings.wecom
    if not (w.token and w.encoding_aes_key):
        missing = "WECOM_TOKEN" if not w.token else "WECOM_ENCODING_AES_KEY"
        return fail(
            name,
            f"{missing} is not set, so kam cannot receive messages",
            "copy Token and EncodingAESKey from the app's 接收消息 → 设置API接收 page",
        )
    if not _is_aes_key(w.encoding_aes_key):
        return fail(
            name,
            "WECOM_ENCODING_AES_KEY is not a 43-character EncodingAESKey",
            "copy EncodingAESKey again from the app's 接收消息 → 设置API接收 page",
        )
    return ok(name, "token and EncodingAESKey are well-formed")


def _is_aes_key(key: str) -> bool:
    """WeCom's EncodingAESKey: 43 characters of base64 for a 32-byte AES key."""
    try:
        return len(key) == 43 and len(base64.b64decode(key + "=", validate=True)) == 32
    except (binascii.Error, ValueError):
        return False
