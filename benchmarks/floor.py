"""The raw-SQL floor: what ``/account`` and ``/visit`` need, written by hand against the schema.

Not a replay of kam's own statements (that would flatter kam: every statement it chose
to send would count as necessary).  These are the minimal statements a programmer
would write for the same screen and the same write — few, wide, joined — run on a
DBAPI connection from the engine's pool, every row fetched, no conversion of values
(kam's types are its own cost).

``/account`` (13 statements): the asker; the account with its owner, team and aliases
(one join); the contact, complaint, CSAT and goal-year interaction aggregates (one row);
the RFM cut-points (one row of ``rfm_cutpoints``); the account's won deals and its
payments, each one grouped statement that serves RFM, the revenue goal and the credits;
the last three interactions with author and contacts (one join); open deals; open
tasks; contacts; goals; the last two CSAT scores; open invoices.

``/visit``: BEGIN (IMMEDIATE on SQLite), the author, the account, its contacts (to link
the ones the note names), INSERT the interaction (RETURNING id), its contact links, the
next step's task (RETURNING id), the audit entries in one multi-row INSERT, COMMIT.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

_NAMED = re.compile(r":([a-z_][a-z0-9_]*)")


def _dialect_sql(sql: str, dialect: str) -> str:
    """``:name`` placeholders → the driver's (sqlite3 takes ``:name`` as is)."""
    return sql if dialect == "sqlite" else _NAMED.sub(r"%(\1)s", sql)


def _ts(value: datetime, dialect: str) -> Any:
    """A timestamp as kam stores it: naive UTC text on SQLite, timestamptz elsewhere."""
    value = value.astimezone(UTC)
    if dialect == "sqlite":
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _day(value: date, dialect: str) -> Any:
    return value.isoformat() if dialect == "sqlite" else value


ACCOUNT_SQL = (
    # 1. the asker
    """SELECT id, display_name, role, team_id, timezone, language, active
       FROM kam_user WHERE lower(handle) = :handle""",
    # 2. the account, its owner and team, its aliases (one row per alias)
    """SELECT a.id, a.name, a.owner_id, a.team_id, a.status, a.tier, a.score,
              a.score_current, a.score_potential, a.score_strategic, a.score_relationship,
              a.tier_override, a.tier_override_reason, a.annual_revenue, a.margin_pct,
              a.expected_years, a.acquisition_cost, a.credit_limit, a.snoozed_until,
              a.snooze_reason, o.display_name, t.name, al.alias
       FROM account a
       JOIN kam_user o ON o.id = a.owner_id
       LEFT JOIN team t ON t.id = a.team_id
       LEFT JOIN account_alias al ON al.account_id = a.id
       WHERE a.name = :name""",
    # 3. the one-row aggregates: last contact and count, interactions this goal year,
    #    open complaints, CSAT average in the window
    """SELECT i.last, i.n, iy.n, c.n, c.oldest, s.avg, s.n
       FROM (SELECT max(happened_at) AS last, count(*) AS n
             FROM interaction WHERE account_id = :id) i,
            (SELECT count(*) AS n FROM interaction
             WHERE account_id = :id AND happened_at >= :year_start
               AND happened_at < :year_end) iy,
            (SELECT count(*) AS n, min(opened_at) AS oldest FROM complaint
             WHERE account_id = :id AND resolved_at IS NULL) c,
            (SELECT avg(score) AS avg, count(*) AS n FROM csat_score
             WHERE account_id = :id AND recorded_at >= :csat_since) s""",
    # 4. the stored RFM cut-points, one row
    """SELECT day, window_days, currency, fx_rates, recency, frequency, monetary
       FROM rfm_cutpoints WHERE scope = 'book'""",
    # 5. won deals: RFM recency/frequency/monetary and the revenue goal, by currency
    """SELECT currency,
              sum(CASE WHEN closed_at >= :rfm_since THEN amount ELSE 0 END),
              sum(CASE WHEN closed_at >= :rfm_since THEN 1 ELSE 0 END),
              max(closed_at),
              sum(CASE WHEN closed_at >= :year_start AND closed_at < :year_end
                       THEN amount ELSE 0 END)
       FROM deal
       WHERE account_id = :id AND stage = 'won' AND closed_at <= :now
       GROUP BY currency""",
    # 6. payments: RFM and the unapplied credits, by currency
    """SELECT currency,
              sum(CASE WHEN received_on >= :rfm_since_day THEN amount ELSE 0 END),
              sum(CASE WHEN received_on >= :rfm_since_day THEN 1 ELSE 0 END),
              max(received_on),
              sum(CASE WHEN unapplied > 0 THEN unapplied ELSE 0 END)
       FROM payment WHERE account_id = :id GROUP BY currency""",
    # 7. the last three interactions, their authors and the contacts they name
    """SELECT i.id, i.kind, i.happened_at, i.notes, u.display_name, c.name
       FROM (SELECT id, kind, happened_at, notes, author_id FROM interaction
             WHERE account_id = :id ORDER BY happened_at DESC, id DESC LIMIT 3) i
       JOIN kam_user u ON u.id = i.author_id
       LEFT JOIN interaction_contact ic ON ic.interaction_id = i.id
       LEFT JOIN contact c ON c.id = ic.contact_id
       ORDER BY i.happened_at DESC, i.id DESC""",
    # 8. open deals
    """SELECT id, name, amount, currency, stage, close_date, stage_changed_at FROM deal
       WHERE account_id = :id AND stage NOT IN ('won', 'lost')
       ORDER BY close_date IS NULL, close_date, id""",
    # 9. open tasks
    """SELECT id, text, due_at FROM task WHERE account_id = :id AND done_at IS NULL
       ORDER BY due_at IS NULL, due_at, id""",
    # 10. contacts (count, decision maker, birthdays)
    """SELECT id, name, title, role, birthday_month, birthday_day, birthday_year,
              birthday_lunar, birthday_leap_month
       FROM contact WHERE account_id = :id ORDER BY id""",
    # 11. the account's goals this year
    """SELECT id, metric, target, currency FROM goal
       WHERE account_id = :id AND year = :year""",
    # 12. the last two CSAT scores in the window
    """SELECT score, recorded_at FROM csat_score
       WHERE account_id = :id AND recorded_at >= :csat_since
       ORDER BY recorded_at DESC, id DESC LIMIT 2""",
    # 13. open invoices
    """SELECT amount, paid_amount, currency, due_on FROM invoice
       WHERE account_id = :id AND settled_on IS NULL""",
)


@dataclass(frozen=True)
class Floor:
    """The hand-written statements of one dialect, ready to run."""

    engine: Engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def account(
        self,
        handle: str,
        name: str,
        *,
        now: datetime,
        tz: ZoneInfo,
        csat_days: int = 365,
        rfm_days: int = 365,
    ) -> tuple[float, float, int]:
        """``/account NAME`` asked by ``handle``: (seconds, CPU seconds, statements)."""
        d = self.dialect
        local = now.astimezone(tz)
        year_start = datetime(local.year, 1, 1, tzinfo=tz)
        year_end = datetime(local.year + 1, 1, 1, tzinfo=tz)
        rfm_since_day = local.date() - timedelta(days=rfm_days)
        rfm_since = datetime.combine(rfm_since_day, datetime.min.time(), tzinfo=tz)
        statements = [(_dialect_sql(s, d), set(_NAMED.findall(s))) for s in ACCOUNT_SQL]
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            started, cpu_started = time.perf_counter(), time.thread_time()
            cur.execute(statements[0][0], {"handle": handle.lower()})
            cur.fetchall()
            cur.execute(statements[1][0], {"name": name})
            rows = cur.fetchall()
            params = {
                "id": rows[0][0],
                "now": _ts(now, d),
                "year": local.year,
                "year_start": _ts(year_start, d),
                "year_end": _ts(year_end, d),
                "csat_since": _ts(now - timedelta(days=csat_days), d),
                "rfm_since": _ts(rfm_since, d),
                "rfm_since_day": _day(rfm_since_day, d),
            }
            for sql, wanted in statements[2:]:
                cur.execute(sql, {k: v for k, v in params.items() if k in wanted})
                cur.fetchall()
            raw.rollback()
            took, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
            cur.close()
            return took, cpu, len(statements)
        finally:
            raw.close()

    def visit(
        self,
        handle: str,
        name: str,
        *,
        notes: str,
        link: str | None,
        step: str | None,
        now: datetime,
        request_id: str,
    ) -> tuple[float, float, int]:
        """``/visit NAME notes`` by ``handle``, committed: (seconds, CPU seconds, statements).

        ``link``: the contact the note names (linked when the account has it);
        ``step``: the next step's text (a task due in three days), if any."""
        d = self.dialect
        sql = _VISIT_SQL if d == "sqlite" else _VISIT_SQL_PG
        raw = self.engine.raw_connection()
        n = 0
        try:
            cur = raw.cursor()
            started, cpu_started = time.perf_counter(), time.thread_time()
            if d == "sqlite":  # kam's connections are in autocommit: BEGIN by hand
                cur.execute("BEGIN IMMEDIATE")
            cur.execute(sql["user"], {"handle": handle.lower()})
            (user_id,) = cur.fetchone()[:1]
            cur.execute(sql["account"], {"name": name})
            account_id, _owner_id, _team_id = cur.fetchone()
            cur.execute(sql["contacts"], {"id": account_id})
            contacts = cur.fetchall()
            n += 3
            stamp = _ts(now, d)
            cur.execute(
                sql["interaction"],
                {
                    "account_id": account_id,
                    "kind": "visit",
                    "happened_at": stamp,
                    "notes": notes,
                    "author_id": user_id,
                    "channel": "console",
                    "created_at": stamp,
                },
            )
            (interaction_id,) = cur.fetchone()
            n += 1
            audits: list[tuple[str, int | None, str, dict[str, Any]]] = [
                ("interaction", interaction_id, "visit logged", {"id": interaction_id})
            ]
            linked = [cid for cid, cname in contacts if link and cname == link]
            if linked:
                cur.execute(
                    sql["link"],
                    {"interaction_id": interaction_id, "contact_id": linked[0]},
                )
                audits.append(("interaction_contact", None, "", {"contact_id": linked[0]}))
                n += 1
            if step:
                cur.execute(
                    sql["task"],
                    {
                        "account_id": account_id,
                        "owner_id": user_id,
                        "text": step,
                        "due_at": _ts(now + timedelta(days=3), d),
                        "interaction_id": interaction_id,
                        "created_at": stamp,
                    },
                )
                (task_id,) = cur.fetchone()
                audits.append(("task", task_id, f"next step: {step}", {"id": task_id}))
                n += 1
            values = ", ".join(
                f"(:at, :actor, 'console', :rid, 'create', :e{i}, :eid{i}, :account, "
                f":s{i}, 'null', :after{i})"
                for i in range(len(audits))
            )
            params: dict[str, Any] = {
                "at": stamp,
                "actor": user_id,
                "rid": request_id,
                "account": account_id,
            }
            for i, (entity, entity_id, summary, after) in enumerate(audits):
                params |= {
                    f"e{i}": entity,
                    f"eid{i}": entity_id,
                    f"s{i}": summary,
                    f"after{i}": json.dumps(after),
                }
            cur.execute(_dialect_sql(_AUDIT + values, d), params)
            n += 1
            if d == "sqlite":
                cur.execute("COMMIT")
            else:
                raw.commit()
            took, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
            cur.close()
            return took, cpu, n
        finally:
            raw.close()


_AUDIT = (
    "INSERT INTO audit_entry (at, actor_id, channel, request_id, action, entity, "
    'entity_id, account_id, summary, "before", "after") VALUES '
)

_VISIT = {
    "user": "SELECT id, role, active FROM kam_user WHERE lower(handle) = :handle",
    "account": "SELECT id, owner_id, team_id FROM account WHERE name = :name",
    "contacts": "SELECT id, name FROM contact WHERE account_id = :id",
    "interaction": (
        "INSERT INTO interaction (account_id, kind, happened_at, notes, author_id, channel, "
        "created_at) VALUES (:account_id, :kind, :happened_at, :notes, :author_id, :channel, "
        ":created_at) RETURNING id"
    ),
    "link": (
        "INSERT INTO interaction_contact (interaction_id, contact_id) "
        "VALUES (:interaction_id, :contact_id)"
    ),
    "task": (
        "INSERT INTO task (account_id, owner_id, text, due_at, interaction_id, created_at) "
        "VALUES (:account_id, :owner_id, :text, :due_at, :interaction_id, :created_at) "
        "RETURNING id"
    ),
}
_VISIT_SQL = dict(_VISIT)
# The account row is taken for the transaction, as kam's write lock does on PostgreSQL.
_VISIT_SQL_PG = {k: _dialect_sql(v, "postgresql") for k, v in _VISIT.items()} | {
    "account": _dialect_sql(_VISIT["account"] + " FOR NO KEY UPDATE", "postgresql")
}
