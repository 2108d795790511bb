"""A large synthetic book for benchmarks: ``generate_large``.

It fills a database with a big synthetic book through bulk inserts (the driver's
``executemany`` on SQLite, ``COPY`` on PostgreSQL): 50,000 accounts, a million
interactions and 200,000 deals take about half a minute on SQLite on a small
machine.  It owns its own transaction (it takes the engine), reuses its generated
teams and reps, and numbers new accounts after the ones a previous run left, so it
can run on top of the demo book or of itself.  The accounts' tier factors and the
mix of interaction kinds are drawn as the demo book draws them (``storage.demo.book``).

    python -m benchmarks.book --accounts 50000 --interactions 1000000 --deals 200000

writes into ``KAM_DATABASE_URL`` (or ``--database-url``) and prints what it wrote.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, func, insert, select, text

from domain.goals import GoalMetric
from domain.models import (
    Account,
    AccountAlias,
    AccountStatus,
    Complaint,
    Contact,
    ContactRole,
    CsatScore,
    Deal,
    DealStage,
    DealStageChange,
    Goal,
    Interaction,
    InteractionContact,
    Invoice,
    Payment,
    Reminder,
    Role,
    Task,
    Team,
    TeamManager,
    User,
)
from domain.tiers import TierFactors, TierPolicy, score
from domain.types import UTCDateTime

if TYPE_CHECKING:
    from bot.config import Settings
from storage.demo.book import _KIND_WEIGHTS, OPEN_STAGES, SEED, _draw_factors

# --- the large synthetic book -------------------------------------------------------

LARGE_TEAMS = 10
LARGE_REPS = 100
BATCH = 10_000
DAY = 86_400
_INDUSTRIES = (
    *("Manufacturing", "Logistics", "Retail", "Energy", "Healthcare", "Chemicals"),
    *("Automotive", "Electronics", "Construction", "Food", "Telecom", "Utilities"),
    *("Pharma", "Textiles", "Aerospace", "Shipping", "Agriculture", "Software"),
)
_STAGE_WEIGHTS = (
    (DealStage.lead, 20),
    (DealStage.qualify, 15),
    (DealStage.proposal, 15),
    (DealStage.negotiation, 10),
    (DealStage.won, 25),
    (DealStage.lost, 15),
)
_FACTOR_COLUMNS = (
    *("annual_revenue", "margin_pct", "payment_days", "growth_pct", "cross_sell"),
    *("reference_value", "brand_value", "innovation_value", "years_together"),
    *("executive_contact", "payment_record", "satisfaction"),
)
_LARGE_MODELS = (Team, User, Account, Contact, Interaction, InteractionContact, Deal)
_LARGE_MODELS += (DealStageChange, Task, TeamManager, Goal, Reminder, AccountAlias, CsatScore)
_LARGE_MODELS += (Complaint, Invoice, Payment)
HEALTH_SEED_OFFSET = 1  # health data draws from a generator of its own: the rest is as before
# account statuses: (upper bound of a uniform draw, status); the rest are active
_STATUSES = ((0.04, AccountStatus.churned), (0.10, AccountStatus.at_risk))
_STATUSES += ((0.13, AccountStatus.prospect),)
_ACCT_NAME = re.compile(r"^Acct (\d+) ")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SQLITE_CACHE_KIB = -256 * 1024


class _SqliteInstants:
    """Epoch seconds as SQLite holds a ``UTCDateTime``: naive UTC text.

    Built from a day prefix and a time-of-day suffix, both cached: formatting a
    million datetimes one by one is where most of the time would otherwise go.
    """

    def __init__(self) -> None:
        self.days: dict[int, str] = {}
        self.times = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(DAY)]

    def __call__(self, seconds: int) -> str:
        day, rest = divmod(seconds, DAY)
        prefix = self.days.get(day)
        if prefix is None:
            prefix = self.days[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d ")
        return prefix + self.times[rest]


@functools.cache
def _sqlite_instants() -> _SqliteInstants:
    return _SqliteInstants()


def _aware(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


class _Bulk:
    """Appends rows (tuples in ``columns`` order) to one table, writing in batches.

    ``UTCDateTime`` columns take whole epoch seconds.  SQLite gets the driver's
    ``executemany`` with values converted by the columns' own bind processors, except
    those instants, formatted from a cache (and checked against the processor first).
    PostgreSQL with psycopg gets ``COPY … FROM STDIN``; anything else a Core insert.
    ``after`` is a table our rows reference: its pending rows are written first.
    """

    def __init__(
        self,
        conn: Connection,
        table: Table,
        columns: Sequence[str],
        *,
        after: _Bulk | None = None,
    ) -> None:
        self.conn, self.table, self.columns = conn, table, tuple(columns)
        self.after = after
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        dialect = conn.dialect
        names = ", ".join(self.columns)
        types = [table.c[c].type for c in self.columns]
        if dialect.name == "sqlite":
            self.mode = "sqlite"
            self.sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(types))})"
            self.procs = [_sqlite_processor(t, dialect) for t in types]
        else:
            copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
            self.mode = "copy" if copy else "core"
            self.sql = f"COPY {table.name} ({names}) FROM STDIN"
            self.procs = [_aware if isinstance(t, UTCDateTime) else None for t in types]

    def add(self, *row: Any) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.after is not None:
            self.after.flush()
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        self.written += len(rows)
        if any(self.procs):
            columns: list[Any] = list(zip(*rows, strict=True))
            for i, proc in enumerate(self.procs):
                if proc is not None:
                    columns[i] = [None if v is None else proc(v) for v in columns[i]]
            rows = list(zip(*columns, strict=True))
        dbapi = self.conn.connection.driver_connection
        if self.mode == "sqlite":
            dbapi.cursor().executemany(self.sql, rows)
        elif self.mode == "copy":
            with dbapi.cursor() as cur, cur.copy(self.sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            values = [dict(zip(self.columns, row, strict=True)) for row in rows]
            self.conn.execute(insert(self.table), values)


def _sqlite_processor(type_: Any, dialect: Any) -> Any:
    processor = type_._cached_bind_processor(dialect)
    if isinstance(type_, UTCDateTime):
        fast = _sqlite_instants()
        sample = 981_173_106  # 2001-02-03 04:05:06 UTC
        if processor(_aware(sample)) == fast(sample):
            return fast
        return lambda seconds: processor(_aware(seconds))
    return processor


def generate_large(
    engine: Engine,
    *,
    accounts: int,
    interactions: int,
    deals: int,
    seed: int = SEED,
    settings: Settings,
    today: date | None = None,
) -> dict[str, int]:
    """Bulk-insert a synthetic book; return how many rows of each kind were written.

    Accounts are named ``Acct 00001 <Industry>``, numbered after any a previous run
    left; they are owned by ``rep001``…``rep100`` in teams ``Region 01``…``Region 10``
    (created when missing, reused otherwise).  Each account gets two to four contacts;
    interactions spread over the last year, a few accounts taking most of them and
    about one in six gone quiet for weeks or months (lapsed); deals spread over every
    stage, each with its stage history; every other account has a next step.

    Ids are assigned here, after the current maximum, so run it alone (on PostgreSQL
    the id sequences are moved past them afterwards).  One transaction, committed.
    """
    if min(accounts, interactions, deals) < 0:
        raise ValueError("counts must not be negative")
    if accounts == 0 and (interactions or deals):
        raise ValueError("interactions and deals need accounts")
    with engine.connect() as conn:
        conn = conn.execution_options(sqlite_immediate=True)
        with _large_page_cache(conn), conn.begin():
            counts = _write_large(
                conn,
                accounts=accounts,
                interactions=interactions,
                deals=deals,
                rng=random.Random(seed),
                health=random.Random(seed + HEALTH_SEED_OFFSET),
                settings=settings,
                today=today or datetime.now(settings.tz).date(),
            )
        _analyze(conn)
        return counts


def _analyze(conn: Connection) -> None:
    """Fresh planner statistics for the tables just filled, on PostgreSQL.

    A bulk load leaves none until autovacuum gets to it (never, where it is off), and
    without them the planner guesses a few rows per table and hash-joins whole tables
    where an index lookup would do: 50 ms instead of 0.2 ms for one /account query.
    """
    if conn.dialect.name != "postgresql":
        return
    with conn.begin():
        for model in _LARGE_MODELS:
            conn.exec_driver_sql(f"ANALYZE {model.__tablename__}")  # type: ignore[attr-defined]


@contextmanager
def _large_page_cache(conn: Connection) -> Iterator[None]:
    """On SQLite, a bigger page cache while the indexes grow, put back afterwards."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size={_SQLITE_CACHE_KIB}")
    conn.commit()
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")
        conn.commit()


def _write_large(
    conn: Connection,
    *,
    accounts: int,
    interactions: int,
    deals: int,
    rng: random.Random,
    health: random.Random,
    settings: Settings,
    today: date,
) -> dict[str, int]:
    rand = rng.random
    tz = settings.tz
    now = int(datetime.now(UTC).timestamp())
    midnight = int(datetime.combine(today, time(0), tzinfo=tz).timestamp())
    year = 365 * DAY
    tables: dict[str, Table] = {m.__tablename__: m.__table__ for m in _LARGE_MODELS}  # type: ignore[attr-defined]
    next_id = {
        name: (conn.execute(select(func.max(t.c.id))).scalar() or 0) + 1
        for name, t in tables.items()
        if "id" in t.c
    }

    def bulk(name: str, *columns: str, after: _Bulk | None = None) -> _Bulk:
        return _Bulk(conn, tables[name], columns, after=after)

    # teams and reps: reuse what an earlier run made
    # every team has a Slack channel (the digest's) and a manager; reps and teams a goal
    teams = bulk("team", "id", "name", "slack_channel", "created_at")
    goals = bulk(
        "goal", "id", "year", "metric", "scope", "user_id", "team_id", "target", "currency",
        "created_at",
    )  # fmt: skip
    team_ids: list[int] = []
    new_teams: list[int] = []
    for n in range(1, LARGE_TEAMS + 1):
        name = f"Region {n:02d}"
        found = conn.execute(select(Team.id).where(Team.name == name)).scalar()
        if found is None:
            found = next_id["team"]
            next_id["team"] += 1
            teams.add(found, name, f"C{found:08d}", now)
            new_teams.append(found)
        team_ids.append(found)
    teams.flush()

    reps = bulk(
        "kam_user", "id", "handle", "display_name", "email", "role", "team_id",
        "timezone", "language", "active", "created_at", after=teams,
    )  # fmt: skip
    rep_ids: list[int] = []
    new_reps: list[int] = []
    rep_team: dict[int, int | None] = {}
    for n in range(1, LARGE_REPS + 1):
        handle = f"rep{n:03d}"
        found_row = conn.execute(select(User.id, User.team_id).where(User.handle == handle)).first()
        if found_row is None:
            rep_id, team_id = next_id["kam_user"], team_ids[(n - 1) % LARGE_TEAMS]
            next_id["kam_user"] += 1
            reps.add(
                rep_id, handle, f"Rep {n:03d}", f"{handle}@bench.example",
                Role.rep.value, team_id, settings.timezone, "zh" if n % 2 else "en",
                True, now,
            )  # fmt: skip
            new_reps.append(rep_id)
        else:
            rep_id, team_id = found_row
        rep_ids.append(rep_id)
        rep_team[rep_id] = team_id
    managers = bulk(
        "kam_user", "id", "handle", "display_name", "email", "role", "team_id",
        "timezone", "language", "active", "created_at", after=reps,
    )  # fmt: skip
    manages = bulk("team_manager", "team_id", "user_id", after=managers)
    for n, team_id in enumerate(team_ids, start=1):
        handle = f"mgr{n:02d}"
        if conn.execute(select(User.id).where(User.handle == handle)).first() is None:
            manager_id = next_id["kam_user"]
            next_id["kam_user"] += 1
            managers.add(
                manager_id, handle, f"Manager {n:02d}", f"{handle}@bench.example",
                Role.manager.value, team_id, settings.timezone, "en", True, now,
            )  # fmt: skip
            manages.add(team_id, manager_id)
    manages.flush()
    won = GoalMetric.WON_REVENUE.value
    for scope, ids, target in (("user", new_reps, 5_000_000), ("team", new_teams, 50_000_000)):
        for owner_id in ids:
            goals.add(
                next_id["goal"], today.year, won, scope, owner_id if scope == "user" else None,
                owner_id if scope == "team" else None, Decimal(target), settings.currency, now,
            )  # fmt: skip
            next_id["goal"] += 1
    goals.flush()

    # accounts, numbered after the last generated one
    last_number = 0
    for (name,) in conn.execute(select(Account.name).where(Account.name.like("Acct %"))):
        if m := _ACCT_NAME.match(name):
            last_number = max(last_number, int(m[1]))
    account_rows = bulk(
        "account", "id", "name", "industry", "owner_id", "team_id", "status",
        "partnership_start", "tier", "score", "score_current", "score_potential",
        "score_strategic", "score_relationship", *_FACTOR_COLUMNS, "credit_limit",
        "acquisition_cost", "created_at", "updated_at", after=reps,
    )  # fmt: skip
    first_account = next_id["account"]
    owners: list[int] = []
    statuses: list[str] = []
    policy: TierPolicy = settings.tiers
    hrand = health.random
    for k in range(accounts):
        owner = rep_ids[k % LARGE_REPS]
        factors = _draw_factors(rng, rng.choice("ABBCCC"))
        years = factors.pop("years")
        factors["years_together"] = years
        depth = rng.randint(1, 4)
        result = score(TierFactors(**factors, decision_chain_depth=depth), policy)
        start = None if years is None else today - timedelta(days=round(years * 365.25))
        industry = _INDUSTRIES[k % len(_INDUSTRIES)]
        dims = result.dimensions
        draw = hrand()
        status = next((s.value for bound, s in _STATUSES if draw < bound), "active")
        # most accounts have a credit limit; a few owe more than it (a risk)
        limit = Decimal(health.randint(5, 80) * 10_000) if hrand() < 0.7 else None
        acquisition = Decimal(health.randint(1, 50) * 1_000) if hrand() < 0.5 else None
        account_rows.add(
            first_account + k, f"Acct {last_number + k + 1:05d} {industry}", industry,
            owner, rep_team[owner], status, start, result.tier,
            result.total, dims.current, dims.potential, dims.strategic,
            dims.relationship, *(factors[c] for c in _FACTOR_COLUMNS), limit,
            acquisition, now, now,
        )  # fmt: skip
        owners.append(owner)
        statuses.append(status)
    account_rows.flush()

    # contacts: two to four per account, roles along the decision chain
    contacts = bulk(
        "contact", "id", "account_id", "name", "role", "birthday_month",
        "birthday_day", "birthday_lunar", "birthday_leap_month", "created_at",
        after=account_rows,
    )  # fmt: skip
    roles = [r.value for r in ContactRole]
    contact_id = next_id["contact"]
    contacts_of: list[tuple[int, int]] = []  # (first id, how many)
    for k in range(accounts):
        n = rng.choice((2, 3, 3, 4))
        contacts_of.append((contact_id, n))
        for j in range(n):
            contacts.add(
                contact_id, first_account + k, f"Contact {last_number + k + 1}-{j + 1}",
                roles[j], rng.randint(1, 12), rng.randint(1, 28), rand() < 0.2,
                False, now,
            )  # fmt: skip
            contact_id += 1
    contacts.flush()

    # interactions: a few accounts take most, about one in six has gone quiet
    quiet = [rng.randint(20, 200) * DAY if rand() < 0.17 else 0 for _ in range(accounts)]
    weights = [rng.paretovariate(1.5) for _ in range(accounts)]
    picks = sorted(rng.choices(range(accounts), weights=weights, k=interactions))
    kinds = rng.choices(
        [k.value for k, _ in _KIND_WEIGHTS], [w for _, w in _KIND_WEIGHTS], k=interactions
    )
    rows = bulk(
        "interaction", "id", "account_id", "kind", "happened_at", "notes", "author_id",
        "channel", "created_at", after=contacts,
    )  # fmt: skip
    links = bulk("interaction_contact", "interaction_id", "contact_id", after=rows)
    first_interaction = next_id["interaction"]
    for n, k in enumerate(picks):
        # at least an hour before today's midnight, at most a year
        back = quiet[k] + 3600
        at = midnight - back - int(rand() * (year - back))
        iid = first_interaction + n
        rows.add(iid, first_account + k, kinds[n], at, "", owners[k], "console", at)
        first_contact, count = contacts_of[k]
        links.add(iid, first_contact + n % count)
    links.flush()

    # deals, each with its stage history from lead
    deal_rows = bulk(
        "deal", "id", "account_id", "name", "amount", "currency", "stage", "close_date",
        "owner_id", "lost_reason", "stage_changed_at", "closed_at", "created_at",
        "updated_at", after=links,
    )  # fmt: skip
    changes = bulk(
        "deal_stage_change", "id", "deal_id", "from_stage", "to_stage", "changed_at",
        "changed_by_id", after=deal_rows,
    )  # fmt: skip
    stages = rng.choices([s for s, _ in _STAGE_WEIGHTS], [w for _, w in _STAGE_WEIGHTS], k=deals)
    open_names = [s.value for s in OPEN_STAGES]
    first_deal, change_id = next_id["deal"], next_id["deal_stage_change"]
    for n in range(deals):
        k = int(rand() * accounts)
        stage = stages[n].value
        created = midnight - DAY - int(rand() * (year - DAY))
        changed = created + int(rand() * (midnight - created))
        if stage == "won":
            path = [*open_names, "won"]
        elif stage == "lost":
            path = [*open_names[: rng.randint(2, 4)], "lost"]
        else:
            path = open_names[: open_names.index(stage) + 1]
        if len(path) == 1:
            changed = created  # still a lead: it never moved
        closed = stage in ("won", "lost")
        deal_id = first_deal + n
        if closed:
            close_date = datetime.fromtimestamp(changed, tz).date()
        else:
            close_date = today + timedelta(days=rng.randint(-30, 150))
        deal_rows.add(
            deal_id, first_account + k, f"Deal {deal_id:07d}",
            Decimal(rng.randint(5, 500) * 10_000), settings.currency, stage, close_date,
            owners[k], "Lost on price" if stage == "lost" else None, changed,
            changed if closed else None, created, changed,
        )  # fmt: skip
        steps = len(path) - 1
        changes.add(change_id, deal_id, None, path[0], created, owners[k])
        for step in range(1, steps + 1):
            at = created + (changed - created) * step // steps
            changes.add(change_id + step, deal_id, path[step - 1], path[step], at, owners[k])
        change_id += steps + 1
    changes.flush()

    # a next step on every other account, some overdue, some done
    tasks = bulk(
        "task", "id", "account_id", "owner_id", "text", "due_at", "done_at",
        "created_at", after=changes,
    )  # fmt: skip
    task_id = next_id["task"]
    for k in range(0, accounts, 2):
        due = midnight + rng.randint(-20, 30) * DAY + 10 * 3600
        done = due if rand() < 0.3 else None
        tasks.add(
            task_id, first_account + k, owners[k], "Follow up on the last meeting",
            due, done, min(now, due - 7 * DAY),
        )  # fmt: skip
        task_id += 1
    tasks.flush()

    written = _write_health(
        bulk, next_id, health, settings=settings, today=today, now=now, midnight=midnight,
        first_account=first_account, owners=owners, statuses=statuses, number=last_number,
    )  # fmt: skip

    if conn.dialect.name == "postgresql":
        for name in next_id:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
                )
            )
    return {
        "teams": teams.written,
        "users": reps.written,
        "managers": managers.written,
        "goals": goals.written,
        "accounts": account_rows.written,
        "contacts": contacts.written,
        "interactions": rows.written,
        "interaction_contacts": links.written,
        "deals": deal_rows.written,
        "deal_stage_changes": changes.written,
        "tasks": tasks.written,
        **written,
    }


def _write_health(
    bulk: Any,
    next_id: dict[str, int],
    rng: random.Random,
    *,
    settings: Settings,
    today: date,
    now: int,
    midnight: int,
    first_account: int,
    owners: list[int],
    statuses: list[str],
    number: int,
) -> dict[str, int]:
    """Aliases, CSAT scores, complaints, invoices and payments, in proportion to the book.

    Per account, on average: 0.1 aliases, 1.75 CSAT scores, 0.3 complaints (a quarter of them open),
    two invoices over the last year (most paid by a payment naming them, some partly,
    some open and a third of those overdue, a few long overdue), and one account in
    a hundred holds an unapplied credit.  Prospects have no invoices.  One account in
    eight is unhappy: low CSAT scores, invoices paid late (so the quarterly review
    proposes a lower tier for some).  One account in ten has a fortnightly reminder
    due today.
    """
    rand = rng.random
    currency = settings.currency
    year = 365 * DAY
    aliases = bulk("account_alias", "id", "account_id", "alias")
    scores = bulk(
        "csat_score", "id", "account_id", "score", "comment", "recorded_at", "author_id",
        "created_at", after=aliases,
    )  # fmt: skip
    complaints = bulk(
        "complaint", "id", "account_id", "text", "opened_at", "opened_by_id", "resolved_at",
        "resolved_by_id", "resolution", "created_at", after=scores,
    )  # fmt: skip
    invoices = bulk(
        "invoice", "id", "number", "account_id", "amount", "currency", "paid_amount",
        "issued_on", "due_on", "settled_on", "note", "created_by_id", "created_at",
        after=complaints,
    )  # fmt: skip
    payments = bulk(
        "payment", "id", "number", "account_id", "amount", "currency", "received_on",
        "unapplied", "note", "recorded_by_id", "invoice_id", "created_at", after=invoices,
    )  # fmt: skip
    alias_id, score_id = next_id["account_alias"], next_id["csat_score"]
    complaint_id, invoice_id = next_id["complaint"], next_id["invoice"]
    payment_id = next_id["payment"]
    reminders = bulk(
        "reminder", "id", "account_id", "text", "every_days", "every_months", "start_date",
        "next_date", "active", "created_by_id", "created_at", after=payments,
    )  # fmt: skip
    reminder_id = next_id["reminder"]
    zero = Decimal(0)
    for k, owner in enumerate(owners):
        account = first_account + k
        if k % 10 == 0:  # one account in ten has a reminder due today
            reminders.add(
                reminder_id, account, "Check the consignment stock", 14, 0,
                today - timedelta(days=14), today, True, owner, now,
            )  # fmt: skip
            reminder_id += 1
        if rand() < 0.1:
            aliases.add(alias_id, account, f"A{number + k + 1:05d}")
            alias_id += 1
        # an unhappy account scores low and pays late: the tier review may move it
        unhappy = rand() < 0.13
        if rand() < 0.7:
            n = rng.randint(1, 4)
            moments = sorted(midnight - int(rand() * year) for _ in range(n))
            for j, at in enumerate(moments):
                value = rng.randint(7, 10)
                if unhappy and (j == n - 1 or rand() < 0.7):
                    value = rng.randint(1, 5)
                scores.add(score_id, account, value, "", at, owner, at)
                score_id += 1
        if rand() < 0.25:
            for _ in range(rng.choice((1, 1, 1, 2))):
                opened = midnight - int(rand() * year)
                resolved = opened + rng.randint(1, 30) * DAY if rand() < 0.75 else None
                if resolved is not None and resolved > now:
                    resolved = None
                complaints.add(
                    complaint_id, account, "Late delivery and no call back", opened, owner,
                    resolved, owner if resolved else None,
                    "Expedited the replacement" if resolved else None, opened,
                )  # fmt: skip
                complaint_id += 1
        if statuses[k] == AccountStatus.prospect.value:
            continue
        for _ in range(rng.choice((0, 1, 2, 2, 3, 4))):
            issued = today - timedelta(days=rng.randint(1, 365))
            due = issued + timedelta(days=30)
            amount = Decimal(rng.randint(1, 200) * 1_000)
            draw = rand()
            late = (today - due).days > 60
            paid, settled = zero, None
            if (late and draw < 0.95) or (not late and draw < 0.8):
                paid = amount
                days = rng.randint(20, 90) if unhappy else rng.randint(-25, 20)
                settled = max(min(today, due + timedelta(days=days)), issued)
            elif draw < (0.97 if late else 0.85):
                paid = amount / 2
            invoices.add(
                invoice_id, f"FP{invoice_id:08d}", account, amount, currency, paid, issued,
                due, settled, "", owner, now,
            )  # fmt: skip
            if paid:
                received = settled or min(today, issued + timedelta(days=rng.randint(1, 40)))
                payments.add(
                    payment_id, f"SK{payment_id:08d}", account, paid, currency, received,
                    zero, "", owner, invoice_id, now,
                )  # fmt: skip
                payment_id += 1
            invoice_id += 1
        if rand() < 0.01:
            credit = Decimal(rng.randint(1, 20) * 1_000)
            received = today - timedelta(days=rng.randint(1, 200))
            payments.add(
                payment_id, f"SK{payment_id:08d}", account, credit, currency, received, credit,
                "", owner, None, now,
            )  # fmt: skip
            payment_id += 1
    reminders.flush()
    return {
        "reminders": reminders.written,
        "aliases": aliases.written,
        "csat_scores": scores.written,
        "complaints": complaints.written,
        "invoices": invoices.written,
        "payments": payments.written,
    }


def main(argv: list[str] | None = None) -> int:
    import argparse
    import os
    import time as clock

    from bot.config import Settings
    from bot.tables import format_table
    from storage.engine import make_engine
    from storage.migrate import ensure_schema

    parser = argparse.ArgumentParser(prog="python -m benchmarks.book", description=__doc__)
    parser.add_argument("--accounts", type=int, required=True)
    parser.add_argument("--interactions", type=int, default=0)
    parser.add_argument("--deals", type=int, default=0)
    parser.add_argument("--database-url", default=os.environ.get("KAM_DATABASE_URL"))
    args = parser.parse_args(argv)
    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    engine = make_engine(settings.database_url)
    try:
        ensure_schema(engine)
        started = clock.perf_counter()
        counts = generate_large(
            engine,
            accounts=args.accounts,
            interactions=args.interactions,
            deals=args.deals,
            settings=settings,
        )
        took = clock.perf_counter() - started
    finally:
        engine.dispose()
    print(f"large book generated {counts} in {took:.1f}s")
    print(format_table(["kind", "created"], counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
