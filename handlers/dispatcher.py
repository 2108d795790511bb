"""From one chat message to one reply: the single path every platform goes through.

    Incoming ──► command word ──► CommandSpec ──► parse (typed command) ──► run ──► Reply
                                    (one unit of work: everything commits or nothing does)

Errors become friendly replies with the command's usage and one correct example; the
outbox of notifications is sent only after the transaction commits.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from domain.errors import Ambiguous, Forbidden, InvalidInput, KamError, NotFound, Unavailable
from domain.models import Team, User
from domain.policy import Policy
from handlers.book_names import BookNames
from handlers.clarify import Choose
from handlers.context import Context, IdentityRef, Outgoing, ParseContext
from handlers.directory import Directory
from handlers.errors import error_text, hint_text
from handlers.i18n import Catalog, languages
from handlers.notify import Notifier, Recipient, SendError, team_recipients, user_recipient
from handlers.observe import CommandObservation, CommandObserver, observe_command, unobserved
from handlers.parsing.dates import find_dates
from handlers.parsing.money import find_amounts
from handlers.parsing.names import Candidate, match_contacts
from handlers.parsing.text import fold
from handlers.registry import CommandSpec, CommandTable
from handlers.replies import Action, Reply, Severity
from handlers.suggest import CN_PARTICLES, guess
from handlers.understand import understand
from handlers.views import clip
from storage import accounts, users
from storage import contacts as contact_repo
from storage.health import RfmCache
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
        rfm_cache: RfmCache | None = None,
        directories: Mapping[str, Directory] | None = None,
        on_event: Callable[[object], None] | None = None,
        book_names: BookNames | None = None,
    ) -> None:
        self.engine = engine
        self.commands = commands
        self.on_command = on_command  # told each message's command, outcome and time
        self.rfm_cache = rfm_cache or RfmCache()
        self.settings = settings
        self.notifier = notifier
        self.clock = clock or (lambda: datetime.now(UTC))
        self.directories = dict(directories or {})
        self.on_event = on_event
        self.book_names = book_names or BookNames()

    def language_of(self, platform: str) -> str:
        """The language of someone on ``platform`` whom kam knows nothing else about."""
        directory = self.directories.get(platform)
        return (directory.language if directory else None) or self.settings.language

    # -- the one entry point ---------------------------------------------------------

    def handle(self, incoming: Incoming) -> Reply:
        with observe_command(incoming.request_id, self.on_command) as obs:
            return self._handle(incoming, obs)

    def _handle(self, incoming: Incoming, obs: CommandObservation) -> Reply:
        word, args = split_command(incoming.text, self.commands)
        spec = self.commands.find(word or "help")
        lang = self.language_of(incoming.platform)
        readings: list[str] = []
        if spec is None:
            # Not a command word first: what is the message about? (read-only)
            try:
                with unit_of_work(self.engine, write=False) as session:
                    actor = users.by_identity(session, incoming.platform, incoming.actor)
                    if actor is None:
                        obs.outcome = "forbidden"
                        return self._unknown_user(lang)
                    lang = actor.language or lang
                    reading = understand(
                        message_body(incoming.text),
                        self.commands,
                        self.book_names.get(session),
                        lang,
                        people=lambda text: accounts_of_people(session, actor, text),
                    )
            except Choose as exc:
                obs.outcome = "asked"
                return self._choices_reply(exc, lang)
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
        try:
            with unit_of_work(self.engine, write=spec.writes) as session:
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
        except Choose as exc:
            obs.outcome = "asked"
            return self._choices_reply(exc, lang)
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
        self._send_outbox(outbox)
        self._publish(events)
        return reply

    def parse_only(
        self, incoming: Incoming, *, tz: ZoneInfo | None = None
    ) -> tuple[CommandSpec, object]:
        """Parse without running (``kam parse``): returns the spec and typed command."""
        spec, cmd, _stages = self.explain(incoming, tz=tz)
        return spec, cmd

    def explain(
        self, incoming: Incoming, *, tz: ZoneInfo | None = None
    ) -> tuple[CommandSpec, object, dict[str, object]]:
        """Parse without running, with what each stage found (``kam parse`` prints it):
        the command word, the names and intent words found, the rewritten line, the
        dates and amounts in it, the readings, and the typed command."""
        word, args = split_command(incoming.text, self.commands)
        spec = self.commands.find(word or "help")
        stages: dict[str, object] = {"text": incoming.text, "folded": fold(incoming.text)}
        with unit_of_work(self.engine, write=False) as session:
            actor = users.by_identity(session, incoming.platform, incoming.actor)
            if actor is None:
                raise NotFound(f"unknown user {incoming.actor!r}")
            ctx = self._context(session, actor, incoming, tz=tz)
            if spec is None:
                reading = understand(
                    message_body(incoming.text),
                    self.commands,
                    ctx.parse.names,
                    ctx.lang,
                    people=lambda text: accounts_of_people(session, actor, text),
                )
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
            stages["dates"] = [
                f"{args[h.start : h.end]} → {h.when.isoformat()}"
                for h in find_dates(args, now=ctx.now, prefer="past")
            ]
            stages["amounts"] = [f"{args[h.start : h.end]} → {h.money}" for h in find_amounts(args)]
            cmd = spec.parse(args, ctx.parse)
            stages["readings"] = list(ctx.parse.readings)
            return spec, cmd, stages

    # -- pieces ----------------------------------------------------------------------

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
            mentions={ref.token.casefold(): ref for ref in incoming.mentions},
            languages={p: d.language for p, d in self.directories.items() if d.language},
            names=self.book_names.get(session),
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
            rfm_cache=self.rfm_cache,
        )

    def _run(self, spec: CommandSpec, ctx: Context, args: str) -> Reply:
        if ctx.actor.role not in spec.roles:
            roles = ", ".join(sorted(spec.roles))
            raise Forbidden(_("only_roles", ctx.lang, roles=roles, name=spec.name))
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

    def _send_outbox(self, outbox: list[tuple[Recipient, Reply]]) -> None:
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
        if any(spec.writes for spec in specs):
            lines.append(_("not_saved", lang, words=words))
        return Reply(
            title=_("did_you_mean", lang, words=words), lines=lines, severity=Severity.warning
        )

    def _choices_reply(self, exc: Choose, lang: str) -> Reply:
        """Unsure between readings: the choices, numbered, as buttons too; nothing written."""
        lines = [*exc.lines]
        lines += [f"{i}. {choice.label}" for i, choice in enumerate(exc.choices, 1)]
        lines.append(_("reply_number", lang, n=len(exc.choices)))
        actions = [Action(f"{i}. {c.label}", c.text) for i, c in enumerate(exc.choices, 1)]
        return Reply(title=exc.question, lines=lines, actions=actions, severity=Severity.warning)

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
