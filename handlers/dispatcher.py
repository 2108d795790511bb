"""From one chat message to one reply: the single path every platform goes through.

    Incoming ──► command word ──► CommandSpec ──► parse (typed command) ──► run ──► Reply
                                    (one unit of work: everything commits or nothing does)

Errors become friendly replies with the command's usage and one correct example; the
outbox of notifications is sent only after the transaction commits.  A command unsure
between readings raises ``Choose``: the question is kept and asked; an answer (``1``,
``回复 1``, a button's ``answer <id> <n>``) runs the chosen message once (``_answer``).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from domain.errors import Ambiguous, Forbidden, InvalidInput, KamError, NotFound, Unavailable
from domain.models import PendingQuestion, Team, User
from domain.policy import Policy
from handlers import failpoints
from handlers.book_names import BookNames
from handlers.clarify import Answer, Choose, answer_command, read_answer
from handlers.context import Context, IdentityRef, Outgoing, ParseContext
from handlers.directory import Directory
from handlers.errors import error_text, hint_text
from handlers.i18n import Catalog, languages
from handlers.inbox import outbox_sent, outcome_to_dict
from handlers.notify import Notifier, Recipient, SendError, team_recipients, user_recipient
from handlers.observe import CommandObservation, CommandObserver, observe_command, unobserved
from handlers.parsing.account_fields import first_field_word
from handlers.parsing.dates import find_dates
from handlers.parsing.intents import find_intents
from handlers.parsing.money import find_amounts
from handlers.parsing.names import Candidate, match_contacts
from handlers.parsing.text import fold
from handlers.registry import CommandSpec, CommandTable
from handlers.replies import Action, Reply, Severity
from handlers.suggest import CN_PARTICLES, guess
from handlers.understand import Reading, understand
from handlers.views import clip
from handlers.views.account_file import names_a_file_page
from storage import accounts, inbound, pending, users
from storage import contacts as contact_repo
from storage.session import unit_of_work

log = logging.getLogger(__name__)

_ = Catalog("dispatcher")

_LEADING = re.compile(r"^\s*[/／]?\s*(?:kam\s+)?[/／]?", re.IGNORECASE)
_WORD = re.compile(r"^(\S+?)(?=$|\s|[：:])[：:]?\s*(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Incoming:
    """One chat message, platform-neutral.  ``actor`` is the platform's verified id.

    People the message mentions arrive as ``@token`` in ``text`` and as ``mentions``
    (``IdentityRef``): the adapter translated the platform's mention syntax."""

    text: str
    actor: str
    platform: str = "console"  # console | slack | wecom
    channel: str | None = None
    is_direct: bool = True
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    received_at: datetime | None = None
    mentions: tuple[IdentityRef, ...] = ()
    # The message's key in the inbox (``handlers.inbox``): the command marks it done in
    # its own transaction, so it takes effect once however often it is delivered.
    inbox_key: str | None = None


class _Track:
    """Whether this message's inbox row was marked done in the command's transaction."""

    def __init__(self, incoming: Incoming, lease: timedelta) -> None:
        self.incoming = incoming
        self.lease = lease
        self.done = False

    def complete(
        self, session: Session, reply: Reply, outbox: list[tuple[Recipient, Reply]] = ()
    ) -> None:
        key = self.incoming.inbox_key
        if key is None:
            return
        outcome = outcome_to_dict(reply, outbox)
        inbound.complete(session, self.incoming.platform, key, outcome, self.lease)
        self.done = True


def _body_start(text: str) -> int:
    """Where the message starts after its optional slash and ``kam``."""
    s = fold(text)
    pos = _LEADING.match(s).end()
    return pos + len(s[pos:]) - len(s[pos:].lstrip())


def split_command(text: str, commands: CommandTable) -> tuple[str, str]:
    """``/kam visit Acme …`` → ``("visit", "Acme …")``; the slash and ``kam`` are optional.

    The rest is the person's own characters (a full-width ``，`` stays one): parsers
    read it folded and store what was written."""
    start = _body_start(text)
    body, folded = text[start:].rstrip(), fold(text)[start:].rstrip()
    if not folded:
        return "", ""
    m = _WORD.match(folded)
    if not m:
        return folded, ""
    word, rest = m.group(1), body[m.start(2) :].strip()
    # Chinese commands are often typed without a space: 客户华夏重工 → 客户 + 华夏重工.
    # 拜访了华夏重工 ("visited …") is a sentence, left whole for ``understand``.
    if commands.find(word) is None:
        for known in sorted(commands.words(), key=len, reverse=True):
            if not known.isascii() and word.startswith(known):
                if word[len(known) :].startswith(CN_PARTICLES):
                    break
                return known, body[len(known) :].strip()
    return word, rest


def message_body(text: str) -> str:
    """The message without its leading slash or ``kam`` (the person's own characters)."""
    return text[_body_start(text) :].strip()


def _account_tells_more(spec: CommandSpec | None, args: str) -> bool:
    """``/客户 华夏重工，今天拜访了`` is a visit, not the summary: read as a message with no
    command word.  Not ``/account … set|new`` (a write) nor ``/客户 华夏重工 全部 回款`` (the
    file's page)."""
    return (
        spec is not None
        and spec.name == "account"
        and not spec.writes_for(args)
        and _tells_more(args)
        and not names_a_file_page(args)
    )


def _tells_more(args: str) -> bool:
    """An account's name followed by what happened there (a logging or money word) —
    before any field word: ``/account Acme payment days 45`` edits the account."""
    edit_at = first_field_word(args)
    return any(
        hit.strength == "strong" and (edit_at is None or hit.start < edit_at)
        for hit in find_intents(args)
    )


def accounts_of_people(session: Session, actor: User, text: str) -> list[int]:
    """The asker's own accounts with a contact ``text`` names (王总, Mr. Li, Sarah Miller),
    in order of mention: how "刚跟王总通了电话" says which account it was."""
    by_account: dict[int, list[Candidate]] = {}
    for account_id, contact_id, name in contact_repo.of_owner(session, actor.id):
        by_account.setdefault(account_id, []).append(Candidate(key=contact_id, name=name))
    found: list[int] = []
    for account_id, candidates in by_account.items():
        matches = match_contacts(text, candidates)
        if matches.linked or matches.ambiguous:
            found.append(account_id)
    return found


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        settings: Policy,
        notifier: Notifier | None = None,
        clock: Callable[[], datetime] | None = None,
        *,
        commands: CommandTable,
        on_command: CommandObserver = unobserved,
        directories: Mapping[str, Directory] | None = None,
        on_event: Callable[[object], None] | None = None,
        book_names: BookNames | None = None,
    ) -> None:
        self.engine = engine
        self.commands = commands
        self.on_command = on_command  # told each message's command, outcome and time
        self.settings = settings
        self.notifier = notifier
        self.clock = clock or (lambda: datetime.now(UTC))
        self.directories = dict(directories or {})
        self.on_event = on_event
        self.book_names = book_names or BookNames()
        self.inbox_lease = timedelta(seconds=30)  # bootstrap sets the configured one

    def language_of(self, platform: str) -> str:
        """The language of someone on ``platform`` whom kam knows nothing else about."""
        directory = self.directories.get(platform)
        return (directory.language if directory else None) or self.settings.language

    # -- the one entry point ---------------------------------------------------------

    def handle(self, incoming: Incoming) -> Reply:
        """The reply to one message.  A message from the inbox (``inbox_key``) is marked
        done with this reply — in the command's transaction when it writes, else just
        after — or raises ``storage.inbound.AlreadyDone`` (rolled back) when another run
        of it got there first."""
        track = _Track(incoming, self.inbox_lease)
        with observe_command(incoming.request_id, self.on_command) as obs:
            reply = None
            if (answer := read_answer(incoming.text)) is not None:
                reply = self._answer(incoming, answer, obs, track)
            if reply is None:  # None: no question to answer, an ordinary message
                reply = self._handle(incoming, obs, track)
        if incoming.inbox_key is not None and not track.done:
            with unit_of_work(self.engine) as session:
                track.complete(session, reply)
        return reply

    def _handle(self, incoming: Incoming, obs: CommandObservation, track: _Track) -> Reply:
        word, args = split_command(incoming.text, self.commands)
        spec = self.commands.find(word or "help")
        lang = self.language_of(incoming.platform)
        readings: list[str] = []
        if _account_tells_more(spec, args):
            spec = None  # 客户：华夏重工，今天拜访了 — a visit, not a summary
        if spec is None:
            # Not a command word first: what is the message about? (read-only)
            try:
                with unit_of_work(self.engine, write=False) as session:
                    actor = users.by_identity(session, incoming.platform, incoming.actor)
                    if actor is None:
                        obs.outcome = "forbidden"
                        return self._unknown_user(lang)
                    lang = actor.language or lang
                    reading = self._understand(session, actor, incoming, lang)
            except Choose as exc:
                obs.outcome = "asked"
                return self._ask(exc, incoming, lang, track=track)
            except (OperationalError, PoolTimeout) as exc:
                obs.failed(exc)
                return self._error_reply(Unavailable(""), None, lang)
            if reading is None:
                obs.command = "unknown"
                obs.outcome = "user_error"
                return self._unknown_command(message_body(incoming.text), lang)
            spec, word, args = self.commands.find(reading.command), reading.command, reading.args
            readings = reading.readings
        obs.command = spec.name
        outbox: list[tuple[Recipient, Reply]] = []
        events: list[object] = []
        writes = spec.writes_for(args if word else "")
        try:
            with unit_of_work(self.engine, write=writes) as session:
                actor = users.by_identity(session, incoming.platform, incoming.actor)
                if actor is None:
                    obs.outcome = "forbidden"
                    return self._unknown_user(lang)
                lang = actor.language or lang
                ctx = self._context(session, actor, incoming)
                ctx.readings.extend(readings)
                reply = self._run(spec, ctx, args if word else "")
                outbox = self._addressed(session, ctx.outbox)  # resolved before commit
                events = ctx.events
                if writes:
                    track.complete(session, reply, outbox)
                    failpoints.hit("command.inside")
            if writes:
                failpoints.hit("command.committed")
        except Choose as exc:
            obs.outcome = "asked"
            return self._ask(exc, incoming, lang, track=track)
        except KamError as exc:
            obs.failed(exc)
            reply = self._error_reply(exc, spec, lang)
            reply.lines[:0] = readings  # how the message was read, even when refused
            return reply
        except IntegrityError:
            # Two people wrote the same thing at the same moment (a unique key): the
            # transaction rolled back whole, so saying so and asking again is safe.
            log.info("integrity conflict in /%s", spec.name)
            obs.outcome = "user_error"  # a race, not a fault: the reply asks to send it again
            return self._error_reply(InvalidInput(_("conflict", lang)), spec, lang)
        except (OperationalError, PoolTimeout) as exc:
            obs.failed(exc)
            log.warning("database unavailable: %s", type(exc).__name__)
            # Who is asking lives in the database, so their language is unknown: all.
            others = "\n".join(_("unavailable", other) for other in languages() if other != lang)
            return self._error_reply(Unavailable(others), None, lang)
        self._notify(outbox, track, reply)
        self._publish(events)
        return reply

    def parse_only(
        self, incoming: Incoming, *, tz: ZoneInfo | None = None
    ) -> tuple[CommandSpec, object]:
        """Parse without running (``kam parse``): returns the spec and typed command."""
        spec, cmd, _stages = self.explain(incoming, tz=tz, detail=False)
        return spec, cmd

    def explain(
        self, incoming: Incoming, *, tz: ZoneInfo | None = None, detail: bool = True
    ) -> tuple[CommandSpec, object, dict[str, object]]:
        """Parse without running, with what each stage found (``kam parse`` prints it):
        the command word, the names and intent words found, the rewritten line, the
        dates and amounts in it, the readings, and the typed command."""
        word, args = split_command(incoming.text, self.commands)
        spec = self.commands.find(word or "help")
        stages: dict[str, object] = {"text": incoming.text, "folded": fold(incoming.text)}
        if _account_tells_more(spec, args):
            spec = None
        with unit_of_work(self.engine, write=False) as session:
            actor = users.by_identity(session, incoming.platform, incoming.actor)
            if actor is None:
                raise NotFound(f"unknown user {incoming.actor!r}")
            ctx = self._context(session, actor, incoming, tz=tz)
            if spec is None:
                reading = self._understand(session, actor, incoming, ctx.lang)
                if reading is None:
                    raise NotFound(f"unknown command {word!r}")
                trace = reading.trace
                stages["names"] = [
                    f"{incoming.text[h.start : h.end]} → {ctx.parse.names.names[h.key]}"
                    for h in trace.names
                ] + [f"{label} (typo)" for _k, label, _s, _e in trace.fuzzy]
                stages["intents"] = [
                    f"{incoming.text[h.start : h.end]} → {h.command} ({h.strength})"
                    for h in trace.intents
                ]
                spec, args = self.commands.find(reading.command), reading.args
                ctx.parse.readings.extend(reading.readings)
            stages["command"] = spec.name
            stages["line"] = args
            if not detail:
                return spec, spec.parse(args, ctx.parse), stages
            stages["dates"] = [
                f"{args[h.start : h.end]} → {h.when.isoformat()}"
                for h in find_dates(args, now=ctx.now, prefer="past")
            ]
            stages["amounts"] = [f"{args[h.start : h.end]} → {h.money}" for h in find_amounts(args)]
            cmd = spec.parse(args, ctx.parse)
            stages["readings"] = list(ctx.parse.readings)
            return spec, cmd, stages

    # -- pieces ----------------------------------------------------------------------

    def _understand(
        self, session: Session, actor: User, incoming: Incoming, lang: str
    ) -> Reading | None:
        """What a message with no command word first means (``handlers.understand``)."""
        return understand(
            message_body(incoming.text),
            self.commands,
            self.book_names.get(session),
            lang,
            people=lambda text: accounts_of_people(session, actor, text),
        )

    def _context(
        self, session: Session, actor: User, incoming: Incoming, tz: ZoneInfo | None = None
    ) -> Context:
        tz = tz or ZoneInfo(actor.timezone or self.settings.timezone)
        now = (incoming.received_at or self.clock()).astimezone(tz)
        pctx = ParseContext(
            now=now,
            lang=actor.language or self.settings.language,
            currency=self.settings.currency,
            settings=self.settings,
            known_accounts=lambda names: accounts.known_names(session, names),
            find_account=lambda name: accounts.find_exact(session, name),
            mentions={ref.token.casefold(): ref for ref in incoming.mentions},
            languages={p: d.language for p, d in self.directories.items() if d.language},
            names=self.book_names.lazy(session),  # type: ignore[arg-type]  # a NameBook, on use
            text=incoming.text,
        )
        return Context(
            session=session,
            actor=actor,
            settings=self.settings,
            now=now,
            platform=incoming.platform,
            channel=incoming.channel,
            request_id=incoming.request_id,
            parse=pctx,
            commands=self.commands,
        )

    def _run(self, spec: CommandSpec, ctx: Context, args: str) -> Reply:
        if ctx.actor.role not in spec.roles:
            roles = ", ".join(sorted(spec.roles))
            raise Forbidden(_("only_roles", ctx.lang, roles=roles, name=spec.name))
        ctx.command, ctx.args = spec, args
        cmd = spec.parse(args, ctx.parse)
        reply = spec.run(ctx, cmd)
        # how kam read what was typed loosely, first
        reply.lines[:0] = list(dict.fromkeys([*ctx.parse.readings, *ctx.readings]))
        return reply

    def _addressed(self, session: Session, outbox: list[Outgoing]) -> list[tuple[Recipient, Reply]]:
        """Who each notification goes to, read inside the command's own transaction."""
        out: list[tuple[Recipient, Reply]] = []
        for item in outbox:
            if item.user_id is not None and (user := session.get(User, item.user_id)):
                identities = {
                    platform: (d.address(ext) if (d := self.directories.get(platform)) else ext)
                    for platform, ext in users.identities_of(session, user.id).items()
                }
                out.append((user_recipient(user, identities), item.reply))
            if item.team_id is not None and (team := session.get(Team, item.team_id)):
                out += [(r, item.reply) for r in team_recipients(team)]
        return out

    def _notify(self, outbox: list[tuple[Recipient, Reply]], track: _Track, reply: Reply) -> None:
        """Send the committed command's notifications; a message from the inbox then
        keeps only its answer (until then a finisher would send them)."""
        self.send_outbox(outbox)
        if outbox and track.done and (key := track.incoming.inbox_key):
            outbox_sent(self.engine, track.incoming.platform, key, reply)

    def send_outbox(self, outbox: list[tuple[Recipient, Reply]]) -> None:
        """Send after commit; a failed notification never undoes the command."""
        if self.notifier is None:
            return
        for recipient, reply in outbox:
            try:
                self.notifier.send(recipient, reply)
            except SendError as exc:
                log.warning("notification to %s failed: %s", recipient.key, exc)

    def _publish(self, events: list[object]) -> None:
        """Hand the committed command's events on; a subscriber's failure is logged."""
        if self.on_event is None:
            return
        for event in events:
            try:
                self.on_event(event)
            except Exception:
                log.exception("publishing %s failed", type(event).__name__)

    def _unknown_user(self, lang: str) -> Reply:
        return Reply(
            title=_("unknown_user", lang),
            lines=[_("how_to_join", lang), _("nothing_changed", lang)],
            severity=Severity.warning,
        )

    def _unknown_command(self, body: str, lang: str) -> Reply:
        """A guess is offered with its example, never run: kam stores no guesses."""
        specs = guess(body, self.commands)
        if not specs:
            return Reply(
                title=_("not_understood", lang, text=clip(body, 40)),
                lines=[
                    _("eg", lang, example=self.commands.find("visit").text("example", lang)),
                    _("see_help", lang),
                ],
                severity=Severity.warning,
            )
        words = _("or", lang).join(spec.text("usage", lang).split()[0] for spec in specs)
        lines = [_("eg", lang, example=spec.text("example", lang)) for spec in specs]
        if any(spec.may_write() for spec in specs):
            lines.append(_("not_saved", lang, words=words))
        return Reply(
            title=_("did_you_mean", lang, words=words), lines=lines, severity=Severity.warning
        )

    # -- asking, and the answer ------------------------------------------------------

    def _ask(
        self,
        exc: Choose,
        incoming: Incoming,
        lang: str,
        *,
        answered: tuple[int, int] | None = None,
        track: _Track | None = None,
    ) -> Reply:
        """Keep the question (its own small transaction: the command wrote nothing) and
        ask it.  ``answered`` is the question whose chosen text asked this one: it is
        claimed in the same transaction, so it is answered once."""
        now = incoming.received_at or self.clock()
        try:
            with unit_of_work(self.engine) as session:
                actor = users.by_identity(session, incoming.platform, incoming.actor)
                if actor is None:
                    return self._unknown_user(lang)
                if answered is not None and not pending.claim(
                    session, answered[0], answer=answered[1], now=now
                ):
                    return self._answered_reply(lang)
                row = pending.ask(
                    session,
                    user_id=actor.id,
                    platform=incoming.platform,
                    channel=incoming.channel,
                    question=exc.question,
                    choices=[(c.label, c.text) for c in exc.choices],
                    now=now,
                    minutes=self.settings.question_minutes,
                )
                session.flush()
                reply = self._choices_reply(exc, lang, row.id)
                if track is not None:
                    track.complete(session, reply)
        except (OperationalError, PoolTimeout) as err:
            log.warning("could not keep a question: %s", type(err).__name__)
            return self._error_reply(Unavailable(_("unavailable", lang)), None, lang)
        return reply

    def _choices_reply(self, exc: Choose, lang: str, question_id: int) -> Reply:
        """Unsure between readings: the choices, numbered, as buttons too; nothing written."""
        lines = [*exc.lines]
        lines += [f"{i}. {choice.label}" for i, choice in enumerate(exc.choices, 1)]
        lines.append(_("reply_number", lang, n=len(exc.choices)))
        lines.append(_("expires", lang, minutes=self.settings.question_minutes))
        actions = [
            Action(f"{i}. {c.label}", answer_command(question_id, i))
            for i, c in enumerate(exc.choices, 1)
        ]
        return Reply(
            title=exc.question,
            lines=lines,
            actions=actions,
            severity=Severity.warning,
            question=question_id,
        )

    def _answer(
        self, incoming: Incoming, answer: Answer, obs: CommandObservation, track: _Track
    ) -> Reply | None:
        """Run the chosen text of the asker's question, once, or say why not.

        The question is claimed in the transaction that runs its chosen text: a second
        click, or the same reply delivered twice, finds it answered and changes nothing.
        None when there is no question to answer (a bare number is then a message)."""
        lang = self.language_of(incoming.platform)
        now = incoming.received_at or self.clock()
        asked: tuple[int, int] | None = None  # the question claimed, and the choice
        chosen: dict[str, str] = {}
        spec: CommandSpec | None = None
        outbox: list[tuple[Recipient, Reply]] = []
        events: list[object] = []
        try:
            with unit_of_work(self.engine) as session:
                actor = users.by_identity(session, incoming.platform, incoming.actor)
                if actor is None:
                    return None  # the ordinary path tells them how to get added
                lang = actor.language or lang
                question = self._question_for(session, actor, incoming, answer, now)
                if question is None:
                    if answer.question_id is None:
                        return None
                    obs.command, obs.outcome = "answer", "user_error"
                    return self._expired_reply(lang)
                obs.command = "answer"
                if question.user_id != actor.id:  # a button in someone else's question
                    obs.outcome = "forbidden"
                    return self._not_yours(lang)
                if question.answered_at is not None:
                    obs.outcome = "user_error"
                    return self._answered_reply(lang)
                if question.expires_at <= now:
                    obs.outcome = "user_error"
                    return self._expired_reply(lang)
                if not 1 <= answer.number <= len(question.choices):
                    obs.outcome = "user_error"
                    return self._out_of_range(question, lang)
                if not pending.claim(session, question.id, answer=answer.number, now=now):
                    obs.outcome = "user_error"  # answered a moment ago, by a twin of this
                    return self._answered_reply(lang)
                asked = (question.id, answer.number)
                chosen = question.choices[answer.number - 1]
                spec, args = self._command_of(session, chosen["text"], lang)
                obs.command = spec.name
                ctx = self._context(session, actor, incoming)
                reply = self._run(spec, ctx, args)
                outbox = self._addressed(session, ctx.outbox)
                events = ctx.events
                reply.lines.insert(0, _("chosen", lang, n=answer.number, label=chosen["label"]))
                track.complete(session, reply, outbox)
                failpoints.hit("command.inside")
            failpoints.hit("command.committed")
        except Choose as exc:  # the chosen text asks again: a second question
            obs.outcome = "asked"
            return self._ask(exc, incoming, lang, answered=asked, track=track)
        except KamError as exc:  # rolled back: the question stays open
            obs.failed(exc)
            return self._error_reply(exc, spec, lang)
        except IntegrityError:
            obs.outcome = "user_error"
            return self._error_reply(InvalidInput(_("conflict", lang)), spec, lang)
        except (OperationalError, PoolTimeout) as exc:
            obs.failed(exc)
            log.warning("database unavailable: %s", type(exc).__name__)
            return self._error_reply(Unavailable(_("unavailable", lang)), None, lang)
        self._notify(outbox, track, reply)
        self._publish(events)
        return reply

    def _command_of(self, session: Session, text: str, lang: str) -> tuple[CommandSpec, str]:
        """The command a chosen text runs, read as ``_handle`` reads a message (a bare
        account name is its summary).  Natural-language routing belongs here too."""
        word, args = split_command(text, self.commands)
        spec = self.commands.find(word or "help")
        if spec is not None:
            return spec, args if word else ""
        body = message_body(text)
        if body and accounts.find_exact(session, body) is not None:
            return self.commands.find("account"), body
        raise InvalidInput(_("not_understood", lang, text=clip(body, 40)))

    def _question_for(
        self, session: Session, actor: User, incoming: Incoming, answer: Answer, now: datetime
    ) -> PendingQuestion | None:
        """The question ``answer`` answers: the button's own (whoever was asked: the
        caller refuses someone else's), else their latest one here (asked within a day: an older one is
        forgotten, and the number is an ordinary message)."""
        if answer.question_id is not None:
            question = session.get(PendingQuestion, answer.question_id)
            return question if question and question.platform == incoming.platform else None
        return pending.latest(
            session,
            user_id=actor.id,
            platform=incoming.platform,
            channel=incoming.channel,
            since=now - timedelta(days=1),
        )

    def _not_yours(self, lang: str) -> Reply:
        return Reply(
            title=_("not_yours", lang),
            lines=[_("nothing_changed", lang)],
            severity=Severity.warning,
        )

    def _answered_reply(self, lang: str) -> Reply:
        return Reply(
            title=_("answered", lang),
            lines=[_("nothing_changed", lang)],
            severity=Severity.warning,
        )

    def _expired_reply(self, lang: str) -> Reply:
        return Reply(
            title=_("expired", lang),
            lines=[_("nothing_changed", lang)],
            severity=Severity.warning,
        )

    def _out_of_range(self, question: PendingQuestion, lang: str) -> Reply:
        lines = [f"{i}. {c['label']}" for i, c in enumerate(question.choices, 1)]
        lines.append(_("reply_number", lang, n=len(question.choices)))
        return Reply(title=question.question, lines=lines, severity=Severity.warning)

    def _error_reply(self, exc: KamError, spec: CommandSpec | None, lang: str) -> Reply:
        title = {
            NotFound: _("not_found", lang),
            Ambiguous: _("ambiguous", lang),
            Forbidden: _("forbidden", lang),
            Unavailable: _("unavailable", lang),
        }.get(type(exc), _("invalid", lang))
        message = error_text(exc, lang)
        lines = [message] if message and message != title else []
        candidates = getattr(exc, "candidates", None)
        if candidates:
            lines.append(_("closest", lang, names=", ".join(candidates)))
        if hint := hint_text(exc, lang):
            lines.append(hint)
        if spec is not None and not isinstance(exc, Unavailable):
            lines.append(f"{_('usage', lang)}: {spec.text('usage', lang)}")
            lines.append(f"{_('example', lang)}: {spec.text('example', lang)}")
        if not isinstance(exc, Unavailable):
            lines.append(_("nothing_changed", lang))
        return Reply(title=title, lines=lines, severity=Severity.error)
