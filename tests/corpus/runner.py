"""Run the corpus of realistic messages (``messages.jsonl``) through the real kam and
compare what was WRITTEN with what a sales team would expect, field by field.

    from tests.corpus.runner import Corpus
    corpus = Corpus.open()                 # seeds the demo book once (fixed today)
    for result in corpus.run():            # one fresh copy of the book per message
        result.fields                      # {"command": True, "date": False, …}

Nothing is mocked: the demo book (``storage.demo``) is seeded once into a SQLite file
with ``TODAY``; before each message the working database is put back to that seeded
book, and the message goes through a real ``Dispatcher`` with its own fixed clock, sent
as its user on the console platform.  What the
message wrote is read back from the copy (new interactions and their contacts, tasks,
contacts, deals and stage changes, payments, invoices), and whether the reply asked
(numbered choices) or refused (nothing written).

Each record of ``messages.jsonl``::

    {"id": "…", "lang": "zh|en|mixed", "as": "wang", "now": "2026-12-04T20:00:00+08:00"?,
     "text": "…", "expect": {"command": "visit", "account": "华夏重工", "date": "2026-12-05",
     "tasks": [{"text_contains": "方案", "due": "2026-12-11", "owner": "wang"?}],
     "contacts_linked": ["王建国"], "contacts_new": [{"name": "周凯", "title": "项目经理"}],
     "deal": {"name": "…", "new": false, "stage": "negotiation", "amount": "1200000",
              "currency": "CNY", "close": "2027-03-31", "lost_reason_contains": "…"},
     "amount": "300000", "currency": "CNY", "notes_contains": "…", "choices": ["…"]}}

``command`` is what was written: ``visit | call | meet | meal | message`` (an
interaction of that kind), ``deal``, ``paid``, ``invoice``, ``contact`` (a contact and
nothing else), ``task`` (a next step and nothing else), ``account`` (the read-only summary), ``ask`` (a question with choices,
nothing written) or ``refuse`` (nothing written, no question).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.config import Settings
from domain.models import (
    Account,
    Contact,
    Deal,
    DealStageChange,
    Interaction,
    InteractionContact,
    Invoice,
    Payment,
    Task,
    User,
)
from handlers.commands import command_table
from handlers.dispatcher import Dispatcher, Incoming
from handlers.notify import RecordingNotifier
from handlers.render.text import render_text
from handlers.replies import Reply
from storage.demo import seed_demo
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.session import unit_of_work

HERE = Path(__file__).resolve().parent
MESSAGES = HERE / "messages.jsonl"
FLOORS = HERE / "floors.json"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 6)  # the demo book is seeded as of this day (a Sunday)
NOW = datetime(2026, 12, 6, 15, 0, tzinfo=SHANGHAI)  # the default clock of a message

INTERACTION_COMMANDS = {"visit", "call", "meeting", "meal", "message"}
KIND_TO_COMMAND = {"meeting": "meet"}
# Fields scored in this order (a deal's parts each count on their own).
FIELDS = (
    "command",
    "account",
    "date",
    "tasks",
    "contacts_linked",
    "contacts_new",
    "deal.name",
    "deal.new",
    "deal.stage",
    "deal.amount",
    "deal.currency",
    "deal.close",
    "deal.lost_reason",
    "amount",
    "currency",
    "notes_contains",
    "choices",
)


def load(path: Path = MESSAGES) -> list[dict[str, Any]]:
    """The corpus records, in file order (blank lines and ``//`` lines skipped)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("//"):
            out.append(json.loads(line))
    return out


@dataclass
class Result:
    record: dict[str, Any]
    got: dict[str, Any]
    fields: dict[str, bool]  # field → correct
    reply: str
    error: str | None = None  # an exception that escaped the dispatcher

    @property
    def id(self) -> str:
        return self.record["id"]

    @property
    def exact(self) -> bool:
        return self.error is None and all(self.fields.values())

    def expected(self, name: str) -> Any:
        return _get(self.record["expect"], name)

    def observed(self, name: str) -> Any:
        return _get(self.got, name)


def _get(data: dict[str, Any], name: str) -> Any:
    if name.startswith("deal."):
        deal = data.get("deal") or {}
        key = name.split(".", 1)[1]
        return deal.get("lost_reason_contains" if key == "lost_reason" else key)
    return data.get(name)


@dataclass
class _Baseline:
    """What the seeded book holds, to tell what a message wrote."""

    max_ids: dict[str, int]
    deals: dict[int, tuple[str, Decimal, str, date | None, str | None]] = field(
        default_factory=dict
    )


class Corpus:
    """The demo book seeded once, and the messages to run against copies of it."""

    def __init__(self, template: Path, records: list[dict[str, Any]], workdir: Path) -> None:
        self.template = template
        self.records = records
        self.workdir = workdir
        self.settings = Settings(database_url=f"sqlite:///{template}")
        self.commands = command_table()
        engine = make_engine(f"sqlite:///{template}")
        try:
            self.baseline = _baseline(engine)
        finally:
            engine.dispose()
        # One engine over a working copy, put back to the seeded book before each
        # message (SQLite's backup API): a fresh engine per message would compile every
        # statement again, which costs more than the messages themselves.
        work = workdir / "work.db"
        shutil.copyfile(template, work)
        self.engine = make_engine(f"sqlite:///{work}")
        self._source = sqlite3.connect(template)

    def _restore(self) -> None:
        raw = self.engine.raw_connection()
        try:
            self._source.backup(raw.driver_connection)
        finally:
            raw.close()

    @classmethod
    def open(cls, workdir: Path | None = None, path: Path = MESSAGES) -> Corpus:
        """Seed the book into ``workdir`` (a temporary directory, removed by ``close``)."""
        own = workdir is None
        workdir = workdir or Path(tempfile.mkdtemp(prefix="kam-corpus-"))
        template = workdir / "demo.db"
        seed_book(template)
        corpus = cls(template, load(path), workdir)
        corpus._own_workdir = own
        return corpus

    _own_workdir = False

    def close(self) -> None:
        self.engine.dispose()
        self._source.close()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, records: Iterable[dict[str, Any]] | None = None) -> Iterator[Result]:
        for record in self.records if records is None else records:
            yield self.run_one(record)

    def run_one(self, record: dict[str, Any]) -> Result:
        now = datetime.fromisoformat(record["now"]) if record.get("now") else NOW
        sent = self.send(record["as"], record["text"], now)
        fields = compare(record["expect"], sent.got)
        if sent.error:
            fields["command"] = False
        return Result(record, sent.got, fields, sent.text, sent.error)

    def send(self, handle: str, message: str, now: datetime = NOW) -> Sent:
        """``message`` from ``handle`` at ``now`` on the seeded book: the reply and what
        it wrote.  The book is put back first, so messages never see each other."""
        self._restore()
        seen: dict[str, str] = {}

        def observe(command: str, outcome: str, seconds: float) -> None:
            seen.update(command=command, outcome=outcome)

        dispatcher = Dispatcher(
            self.engine,
            self.settings,
            RecordingNotifier(),
            clock=lambda: now,
            commands=self.commands,
            on_command=observe,
        )
        reply, text, error = None, "", None
        try:
            reply = dispatcher.handle(Incoming(text=message, actor=handle, platform="console"))
            text = render_text(reply)
        except Exception as exc:  # noqa: BLE001 — a crash is a result, not a stop
            error = f"{type(exc).__name__}: {exc}"
        got = _written(self.engine, self.baseline, handle)
        got.update(_outcome(got, reply, seen, text))
        return Sent(reply, text, got, error)


@dataclass
class Sent:
    reply: Reply | None
    text: str  # the reply as the console shows it
    got: dict[str, Any]  # what was written (see ``_written``) and how the reply ended
    error: str | None


def seed_book(path: Path) -> None:
    """The demo book as of ``TODAY`` in a new SQLite file at ``path``."""
    if path.exists():
        path.unlink()
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        with unit_of_work(engine) as session:
            seed_demo(session, settings=Settings(), today=TODAY)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


_TABLES = {
    "interaction": Interaction,
    "contact": Contact,
    "task": Task,
    "deal": Deal,
    "stage": DealStageChange,
    "payment": Payment,
    "invoice": Invoice,
}


def _baseline(engine: Engine) -> _Baseline:
    with Session(engine) as s:
        ids = {k: s.exec(select(func.max(m.id))).one()[0] or 0 for k, m in _TABLES.items()}
        deals = {
            d.id: (d.name, d.amount, d.stage, d.close_date, d.lost_reason)
            for d in s.exec(select(Deal)).scalars()
        }
    return _Baseline(ids, deals)


def _written(engine: Engine, base: _Baseline, handle: str) -> dict[str, Any]:
    """What the message wrote into the copy of the book."""
    got: dict[str, Any] = {}
    with Session(engine) as s:
        actor = s.exec(select(User).where(User.handle == handle)).scalars().first()
        tz = ZoneInfo((actor.timezone if actor else None) or "Asia/Shanghai")
        handles = dict(s.exec(select(User.id, User.handle)).all())
        accounts = dict(s.exec(select(Account.id, Account.name)).all())
        mx = base.max_ids

        def new(model: Any, key: str) -> list[Any]:
            rows = s.exec(select(model).where(model.id > mx[key]).order_by(model.id))
            return list(rows.scalars())

        interactions = new(Interaction, "interaction")
        contacts = new(Contact, "contact")
        tasks = new(Task, "task")
        payments = new(Payment, "payment")
        invoices = new(Invoice, "invoice")
        new_deals = new(Deal, "deal")
        changed = [
            d
            for d in s.exec(select(Deal).where(Deal.id <= mx["deal"])).scalars()
            if (d.name, d.amount, d.stage, d.close_date, d.lost_reason) != base.deals.get(d.id)
        ]
        new_ids = {c.id for c in contacts}
        writes = []
        if interactions:
            it = interactions[0]
            linked = s.exec(
                select(Contact.id, Contact.name)
                .join(InteractionContact, InteractionContact.contact_id == Contact.id)
                .where(InteractionContact.interaction_id == it.id)
            ).all()
            writes.append(KIND_TO_COMMAND.get(it.kind, it.kind))
            got.update(
                account=accounts.get(it.account_id),
                date=it.happened_at.astimezone(tz).date().isoformat(),
                contacts_linked=sorted(n for i, n in linked if i not in new_ids),
                notes=it.notes,
            )
        deal = (new_deals or changed or [None])[0]
        if deal is not None:
            writes.append("deal")
            got.setdefault("account", accounts.get(deal.account_id))
            got["deal"] = {
                "name": deal.name,
                "new": deal.id > mx["deal"],
                "stage": deal.stage,
                "amount": _money(deal.amount),
                "currency": deal.currency,
                "close": deal.close_date.isoformat() if deal.close_date else None,
                "lost_reason_contains": deal.lost_reason,
            }
        for kind, rows, day in (
            ("paid", payments, "received_on"),
            ("invoice", invoices, "issued_on"),
        ):
            if rows:
                writes.append(kind)
                got.setdefault("account", accounts.get(rows[0].account_id))
                got.setdefault("date", getattr(rows[0], day).isoformat())
                got.update(amount=_money(rows[0].amount), currency=rows[0].currency)
        if contacts and not writes:
            writes.append("contact")
            got.setdefault("account", accounts.get(contacts[0].account_id))
        if tasks and not writes:
            writes.append("task")  # a next step alone (a plan, say)
        got["tasks"] = [
            {
                "text": t.text,
                "due": t.due_at.astimezone(tz).date().isoformat() if t.due_at else None,
                "owner": handles.get(t.owner_id),
            }
            for t in tasks
        ]
        if tasks and "account" not in got:
            got["account"] = accounts.get(tasks[0].account_id)
        got["contacts_new"] = [{"name": c.name, "title": c.title} for c in contacts]
        got.setdefault("contacts_linked", [])
        got["writes"] = writes
        got["rows"] = sum(map(len, (interactions, contacts, tasks, payments, invoices)))
        got["rows"] += len(new_deals) + len(changed)
    return got


def _money(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


def _outcome(got: dict[str, Any], reply: Reply | None, seen: dict[str, str], text: str) -> dict:
    """The command as the corpus names it, and the choices offered, if any."""
    out: dict[str, Any] = {"outcome": seen.get("outcome"), "seen_command": seen.get("command")}
    if seen.get("outcome") == "asked" and reply is not None:  # a Choose: nothing written
        out["command"] = "ask"
        out["choices"] = [a.label for a in reply.actions]
    elif got["writes"]:
        out["command"] = got["writes"][0]
    elif seen.get("outcome") == "ok" and seen.get("command") == "account":
        out["command"] = "account"
        out["account"] = reply.title if reply is not None else None
    elif seen.get("outcome") == "ok" and not got["rows"]:
        out["command"] = seen.get("command")  # some other read-only command
    else:
        out["command"] = "refuse"
    return out


# --- comparing ---------------------------------------------------------------------


def _fold(s: str | None) -> str:
    return (s or "").casefold().replace(" ", "")


def _amount_eq(want: Any, got: Any) -> bool:
    if want is None or got is None:
        return want is None and got is None
    return Decimal(str(want)) == Decimal(str(got))


def _tasks_eq(want: list[dict[str, Any]], got: list[dict[str, Any]]) -> bool:
    if len(want) != len(got):
        return False
    left = list(got)
    for w in want:
        for g in left:
            if (
                _fold(w["text_contains"]) in _fold(g["text"])
                and w.get("due") == g["due"]
                and ("owner" not in w or w["owner"] == g["owner"])
            ):
                left.remove(g)
                break
        else:
            return False
    return True


def _contacts_new_eq(want: list[dict[str, Any]], got: list[dict[str, Any]]) -> bool:
    if len(want) != len(got):
        return False
    for w in want:
        match = [g for g in got if _fold(g["name"]) == _fold(w["name"])]
        if not match:
            return False
        if "title" in w and _fold(match[0]["title"]) != _fold(w["title"]):
            return False
    return True


def compare(expect: dict[str, Any], got: dict[str, Any]) -> dict[str, bool]:
    """Each expected field → whether what was written matches it."""
    out: dict[str, bool] = {}
    command = got.get("command")
    for name in FIELDS:
        want = _get(expect, name)
        if name.startswith("deal."):
            key = name.split(".", 1)[1]
            wanted = expect.get("deal") or {}
            if key not in wanted and f"{key}_contains" not in wanted:
                continue
        elif name not in expect:
            continue
        have = _get(got, name)
        if name == "command":
            ok = command in want if isinstance(want, list) else want == command
        elif name == "account":
            ok = have is not None and (
                have == want or (command == "account" and _fold(want) in _fold(have))
            )
        elif name == "tasks":
            ok = _tasks_eq(want, got.get("tasks") or [])
        elif name == "contacts_linked":
            ok = sorted(want) == sorted(have or [])
        elif name == "contacts_new":
            ok = _contacts_new_eq(want, got.get("contacts_new") or [])
        elif name in ("deal.amount", "amount"):
            ok = _amount_eq(want, have)
        elif name == "deal.name":
            ok = _fold(want) == _fold(have)
        elif name == "deal.lost_reason":
            ok = have is not None and _fold(want) in _fold(have)
        elif name == "notes_contains":
            ok = _fold(want) in _fold(got.get("notes"))
        elif name == "choices":
            labels = [_fold(c) for c in got.get("choices") or []]
            ok = command == "ask" and all(any(_fold(w) in c for c in labels) for w in want)
        else:
            ok = want == have
        out[name] = bool(ok)
    return out


# --- the summary -------------------------------------------------------------------


@dataclass
class Tally:
    n: int = 0
    correct: int = 0

    @property
    def pct(self) -> float:
        return 100.0 * self.correct / self.n if self.n else 0.0


def summarize(results: list[Result]) -> dict[str, Any]:
    """Per-field accuracy, the exact-message rate, and both by language."""
    fields = {name: Tally() for name in FIELDS}
    langs: dict[str, Tally] = {}
    exact = Tally()
    for r in results:
        for name, ok in r.fields.items():
            fields[name].n += 1
            fields[name].correct += ok
        exact.n += 1
        exact.correct += r.exact
        lang = langs.setdefault(r.record["lang"], Tally())
        lang.n += 1
        lang.correct += r.exact
    return {
        "fields": {k: v for k, v in fields.items() if v.n},
        "exact": exact,
        "by_lang": dict(sorted(langs.items())),
    }


def floors() -> dict[str, float]:
    return json.loads(FLOORS.read_text(encoding="utf-8"))
