"""``/visit``, ``/call``, ``/meet``, ``/meal`` (``/拜访`` ``/电话`` ``/会议`` ``/宴请``):
log an interaction in one line, the way reps type it.

    /visit Acme yesterday met Li Wei, CFO. Budget approved. next: send proposal by Friday
    /visit Acme met Li Wei yesterday afternoon. next steps: deck by Mon, @carol contract by Wed
    /拜访 华夏重工 昨天 见了王总，预算已批 下一步：1. 周五前发方案 2. 下周三约技术交流

``handlers.parsing.steps.read_log`` reads the text: the first date phrase of the note
says when it happened (anywhere in the note; cut from the stored note only when it
leads it), default now — and the reply says "today (no date given)".  Every next step
after ``next:`` / ``下一步`` / ``todo:`` … becomes its own task with its own due date
and owner (``@carol``; else the author) — someone who works the account: its owner, a
member of its team (``/team``), or someone who may change it.  The author may be a team
member (``handlers.auth.can_contribute``).  What is stored is what was typed (``，``
stays ``，``).  Contacts named in the note are linked, and a name after met/with/
见了/拜访了 that matches no contact is added as a new one.

Refused, nothing written: no notes at all (``/visit Acme``: "what happened?"); a date
that hasn't happened yet leading the note or in its first clause (later, as in
``客户说下个月再定``, it is what was said: kept, named, logged for today); a step due in the past; a step that is only a date; an
unknown or inactive owner, or one who does not work the account.  Asked
(``Choose``): two different days in the note when none leads it.  Allowed and said: a note that is only a date ("no notes"; a visit
on a known day is real information), phrases that look like dates but could not be
read ("couldn't read “after the fair” as a date — logged for today"), and other
dates kept in the note as text.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from pydantic import BaseModel

from domain.errors import InvalidInput, ParseError
from domain.models import (
    Account,
    Contact,
    Interaction,
    InteractionContact,
    InteractionKind,
    Task,
    User,
)
from handlers.auth import can_contribute, require_contribute
from handlers.clarify import Choice, Choose
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account, split_account
from handlers.parsing.names import Candidate, extract_new_contacts, match_contacts
from handlers.parsing.steps import read_log
from handlers.parsing.text import as_typed
from handlers.people import ME_WORDS, UserRef, find_user, resolve_user
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from handlers.views import clip, fmt_date, fmt_day, label
from storage import contacts as contact_repo

_ = Catalog("log")

MAX_STEP_CHARS = 1000  # Task.text


class NextStep(BaseModel):
    text: str
    due_at: datetime | None = None
    due_phrase: str | None = None
    owner: str | None = None  # a handle (or a mention's token); None: the author
    unread: list[str] = []  # date-like phrases in the step that were not read


class LogInteraction(BaseModel):
    command: str
    kind: InteractionKind
    account: str
    happened_at: datetime
    date_phrase: str | None = None  # None: no date given, so now
    notes: str
    next_steps: list[NextStep] = []
    other_dates: list[str] = []  # more dates in the notes, kept there as text
    ahead: list[str] = []  # days ahead said in a later clause of a dateless note
    unread: list[str] = []  # date-like phrases in a dateless note that were not read
    new_contacts: list[tuple[str, str | None]] = []


def parse_log(args: str, pctx: ParseContext, *, kind: InteractionKind, name: str) -> LogInteraction:
    lang = pctx.lang
    account, rest = split_account(args, pctx)
    rest = as_typed(rest, pctx.text)  # stored as written: "，" stays "，"
    limit = pctx.settings.max_note_chars
    if len(rest) > limit:
        raise ParseError(_("too_long", lang, n=len(rest), limit=limit))
    reading = read_log(rest, now=pctx.now, mentions=pctx.mentions.keys())
    kind_word = label(kind.value, lang)
    if reading.future is not None:
        phrase, when = reading.future
        raise ParseError(_("future", lang, kind=kind_word, date=fmt_day(when, lang), phrase=phrase))
    if reading.conflict:
        typed = f'"{account}"' if any(ch.isspace() for ch in account) else account
        raise Choose(
            _("which_day", lang, kind=kind_word),
            [
                Choice(
                    _("day_choice", lang, date=fmt_day(when, lang), phrase=phrase),
                    f"{name} {typed} {when.date().isoformat()} {rest}",
                )
                for phrase, when in reading.conflict
            ],
        )
    if reading.empty_marker:
        raise ParseError(_("empty_next", lang))
    steps: list[NextStep] = []
    for step in reading.steps:
        if not step.text:
            raise ParseError(_("empty_step", lang, phrase=step.clause))
        if len(step.owners) > 1:
            owners = ", ".join(f"@{o}" for o in step.owners)
            raise ParseError(_("two_owners", lang, text=step.clause, owners=owners))
        if step.due is not None and step.due.date() < pctx.now.date():
            raise ParseError(
                _(
                    "past_due",
                    lang,
                    text=step.text,
                    phrase=step.due_phrase,
                    date=fmt_day(step.due, lang),
                )
            )
        if len(step.text) > MAX_STEP_CHARS:
            raise ParseError(_("step_too_long", lang, n=len(step.text), limit=MAX_STEP_CHARS))
        steps.append(
            NextStep(
                text=step.text,
                due_at=step.due,
                due_phrase=step.due_phrase,
                owner=step.owners[0] if step.owners else None,
                unread=step.unread,
            )
        )
    if not reading.note and reading.when is None and not steps:
        raise ParseError(_("empty", lang, kind=kind_word, account=account))
    return LogInteraction(
        command=name,
        kind=kind,
        account=account,
        happened_at=reading.when or pctx.now,
        date_phrase=reading.date_phrase,
        notes=reading.note,
        next_steps=steps,
        other_dates=reading.other_dates,
        ahead=reading.ahead,
        unread=reading.unread,
        new_contacts=[(c.name, c.title) for c in extract_new_contacts(reading.note)],
    )


def _owner(ctx: Context, account: Account, step: NextStep) -> User:
    """Who owns ``step``: the user it names, else the author; unknown → NotFound.

    Someone named must work the account — its owner, a member of its team (协同), or
    someone who may change it (its team, a manager, an admin): a step is never handed
    to someone unrelated; the reply says how to add them to the team first."""
    if step.owner is None:
        return ctx.actor
    ref = UserRef(me=True) if step.owner.lower() in ME_WORDS else UserRef(handle=step.owner)
    user = find_user(ctx, ref) or resolve_user(
        ctx, ref, unknown=lambda who: _("unknown_owner", ctx.lang, who=who, text=step.text)
    )
    if not user.active:
        raise InvalidInput(_("inactive_owner", ctx.lang, who=user.display_name, text=step.text))
    if user.id != account.owner_id and not can_contribute(ctx.session, user, account):
        raise InvalidInput(
            _(
                "not_on_team",
                ctx.lang,
                who=user.display_name,
                handle=user.handle,
                account=account.name,
                text=step.text,
            )
        )
    return user


def _step_line(ctx: Context, task: Task, owner: User | None, lang: str) -> str:
    """``send deck — due Nov 23, 2026 · for @carol`` (the owner when not the author)."""
    if task.due_at:
        text = _("due", lang, text=task.text, date=fmt_day(task.due_at, lang, ctx.tz))
    else:
        text = _("no_due", lang, text=task.text)
    if owner is not None and owner.id != ctx.actor.id:
        text += " · " + _("for_owner", lang, owner=f"@{owner.handle}")
    return text


def run_log(ctx: Context, cmd: LogInteraction) -> Reply:
    lang, session = ctx.lang, ctx.session
    account = resolve_account(ctx, cmd.account)
    require_contribute(session, ctx.actor, account, lang)
    owners = [_owner(ctx, account, step) for step in cmd.next_steps]  # all known before any write
    contacts = contact_repo.names_of_account(session, account.id)
    candidates = [Candidate(key=c.id, name=c.name) for c in contacts]
    gone = {c.id for c in contacts if c.left_at is not None}  # named in full only
    matches = match_contacts(cmd.notes, candidates, gone)
    linked: list[int] = list(dict.fromkeys(matches.linked))
    by_id = {c.id: c for c in contacts}
    added: list[Contact] = []
    for name, title in cmd.new_contacts:
        if match_contacts(name, candidates, gone).linked or name in matches.ambiguous:
            continue
        contact = Contact(account_id=account.id, name=name, title=title, created_by_id=ctx.actor.id)
        session.add(contact)
        added.append(contact)
    interaction = Interaction(
        account_id=account.id,
        kind=cmd.kind.value,
        happened_at=cmd.happened_at,
        notes=cmd.notes,
        author_id=ctx.actor.id,
        channel=ctx.platform,
    )
    session.add(interaction)
    session.flush()  # the ids the links, the tasks and the audit entries name
    for contact in added:
        by_id[contact.id] = contact
        linked.append(contact.id)
    links = [InteractionContact(interaction_id=interaction.id, contact_id=c) for c in linked]
    session.add_all(links)
    tasks: list[tuple[Task, User, NextStep]] = []
    for step, owner in zip(cmd.next_steps, owners, strict=True):
        task = Task(
            account_id=account.id,
            owner_id=owner.id,
            text=step.text,
            due_at=step.due_at,
            interaction_id=interaction.id,
        )
        session.add(task)
        tasks.append((task, owner, step))
    session.flush()
    # Every row is written: their audit entries go in together (contacts, interaction,
    # links, tasks, as before), in one statement at commit.
    for contact in added:
        ctx.audit("create", contact, account_id=account.id, summary=f"new contact {contact.name}")
    ctx.audit("create", interaction, account_id=account.id, summary=f"{cmd.kind.value} logged")
    for link in links:
        ctx.audit("create", link, account_id=account.id)
    for task, _who, step in tasks:
        ctx.audit("create", task, account_id=account.id, summary=f"next step: {step.text}")

    kind = label(cmd.kind.value, lang)
    reply = Reply(
        title=_("logged", lang, kind=kind, account=account.name), severity=Severity.success
    )
    when = fmt_date(cmd.happened_at, lang, ctx.tz)
    if cmd.date_phrase is None:
        when = _("today_default", lang, date=when)
    reply.fields.append(Field(_("when", lang), when))
    if linked:
        reply.fields.append(Field(_("with", lang), ", ".join(by_id[i].name for i in linked)))
    reply.fields.append(
        Field(_("notes", lang), clip(cmd.notes, 200) if cmd.notes else _("no_notes", lang))
    )
    for task, owner, _step in tasks:
        reply.fields.append(Field(_("next", lang, id=task.id), _step_line(ctx, task, owner, lang)))
    for phrase in cmd.unread:
        reply.lines.append(_("unread_note", lang, phrase=phrase))
    for phrase in cmd.ahead:
        reply.lines.append(_("ahead", lang, phrase=phrase))
    for task, _who, step in tasks:
        for phrase in step.unread:
            reply.lines.append(_("unread_step", lang, phrase=phrase, text=task.text))
    if cmd.other_dates:
        phrases = ", ".join(f"“{p}”" for p in cmd.other_dates)
        reply.lines.append(_("other_dates", lang, phrases=phrases))
    for i in linked:
        if i in gone:
            day = fmt_day(by_id[i].left_at, lang, ctx.tz)
            reply.lines.append(
                _("left_contact", lang, name=by_id[i].name, account=account.name, date=day)
            )
    for name in matches.ambiguous:
        reply.lines.append(_("ambiguous", lang, name=name))
    for c in added:
        title = f" ({c.title})" if c.title else ""
        reply.lines.append(_("added", lang, name=c.name, title=title, account=account.name))
    reply.lines.append(_("undo_hint", lang, hours=ctx.settings.undo_own_hours))

    if account.owner_id != ctx.actor.id:
        _tell_owner(ctx, account, cmd, kind)
    for task, owner, _step in tasks:
        if owner.id != ctx.actor.id:
            _tell_step_owner(ctx, account.name, task, owner)
    return reply


def _tell_step_owner(ctx: Context, account_name: str, task: Task, owner: User) -> None:
    lang = owner.language
    ctx.notify_user(
        owner.id,
        Reply(
            title=_("assigned", lang, author=ctx.actor.display_name, account=account_name),
            lines=[_step_line(ctx, task, None, lang)],
            actions=[Action(_("view", lang), f"account {account_name}")],
        ),
    )


def _tell_owner(ctx: Context, account, cmd: LogInteraction, kind_label: str) -> None:
    owner = ctx.session.get(User, account.owner_id)
    if owner is None:
        return
    lang = owner.language
    kind = label(cmd.kind.value, lang)
    note = Reply(
        title=_(
            "owner_title", lang, author=ctx.actor.display_name, kind=kind, account=account.name
        ),
        lines=[clip(cmd.notes, 300)] if cmd.notes else [],
        actions=[Action(_("view", lang), f"account {account.name}")],
    )
    ctx.notify_user(owner.id, note)


command(
    name="visit",
    aliases=("拜访",),
    parse=partial(parse_log, kind=InteractionKind.visit, name="visit"),
    writes=True,
    slash=True,
)(run_log)

command(
    name="call",
    aliases=("电话",),
    parse=partial(parse_log, kind=InteractionKind.call, name="call"),
    writes=True,
    slash=False,
)(run_log)

command(
    name="meet",
    aliases=("会议", "meeting"),
    parse=partial(parse_log, kind=InteractionKind.meeting, name="meet"),
    writes=True,
    slash=False,
)(run_log)

command(
    name="meal",
    aliases=("宴请", "饭局"),
    parse=partial(parse_log, kind=InteractionKind.meal, name="meal"),
    writes=True,
    slash=False,
)(run_log)
