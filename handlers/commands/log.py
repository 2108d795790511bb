"""``/visit``, ``/call``, ``/meet``, ``/meal`` (``/拜访`` ``/电话`` ``/会议`` ``/宴请``):
log an interaction in one line.

    /visit Acme yesterday met Li Wei, CFO. Budget approved. next: send proposal by Friday
    /拜访 华夏重工 昨天 见了王总，预算已批 下一步：周五前发方案

The leading date phrase says when it happened (default now); ``next:`` / ``下一步：``
creates a task with its own due date; contacts named in the text are linked, and a
name after met/with/见了/拜访了 that matches no contact is added as a new one.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial

from pydantic import BaseModel

from domain.errors import ParseError
from domain.models import Contact, Interaction, InteractionContact, InteractionKind, Task
from handlers.auth import require_write
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account, split_account
from handlers.parsing.dates import extract_due, extract_leading_when
from handlers.parsing.names import Candidate, extract_new_contacts, match_contacts
from handlers.parsing.text import split_next_step
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from handlers.views import clip, fmt_date, fmt_day, label
from storage import contacts as contact_repo

_ = Catalog("log")


_DANGLING_NEXT = re.compile(r"(?:\bnext(?: step)?|下一步)\s*[:：]\s*$", re.IGNORECASE)


class LogInteraction(BaseModel):
    command: str
    kind: InteractionKind
    account: str
    happened_at: datetime
    notes: str
    next_step: str | None = None
    due_at: datetime | None = None
    new_contacts: list[tuple[str, str | None]] = []


def parse_log(args: str, pctx: ParseContext, *, kind: InteractionKind, name: str) -> LogInteraction:
    account, rest = split_account(args, pctx)
    when, rest = extract_leading_when(rest, now=pctx.now, prefer="past")
    if when is not None and when.date() > pctx.now.date():
        raise ParseError(_("future", pctx.lang, date=fmt_day(when, pctx.lang)))
    notes, next_text = split_next_step(rest)
    if next_text is None and _DANGLING_NEXT.search(rest):
        raise ParseError(_("empty_next", pctx.lang))
    limit = pctx.settings.max_note_chars
    if len(rest) > limit:
        raise ParseError(_("too_long", pctx.lang, n=len(rest), limit=limit))
    due = None
    if next_text is not None:
        due, next_text = extract_due(next_text, now=pctx.now)
        next_text = next_text.strip(" .,;，。；")
        if not next_text:
            raise ParseError(_("empty_next", pctx.lang))
    return LogInteraction(
        command=name,
        kind=kind,
        account=account,
        happened_at=when or pctx.now,
        notes=notes.strip(),
        next_step=next_text,
        due_at=due,
        new_contacts=[(c.name, c.title) for c in extract_new_contacts(notes)],
    )


def run_log(ctx: Context, cmd: LogInteraction) -> Reply:
    lang, session = ctx.lang, ctx.session
    account = resolve_account(ctx, cmd.account)
    require_write(session, ctx.actor, account, lang)
    contacts = contact_repo.of_account(session, account.id)
    candidates = [Candidate(key=c.id, name=c.name) for c in contacts]
    matches = match_contacts(cmd.notes, candidates)
    linked: list[int] = list(dict.fromkeys(matches.linked))
    by_id = {c.id: c for c in contacts}
    added: list[Contact] = []
    for name, title in cmd.new_contacts:
        if match_contacts(name, candidates).linked or name in matches.ambiguous:
            continue
        contact = Contact(account_id=account.id, name=name, title=title, created_by_id=ctx.actor.id)
        session.add(contact)
        ctx.audit("create", contact, account_id=account.id, summary=f"new contact {name}")
        added.append(contact)
        by_id[contact.id] = contact
        linked.append(contact.id)

    interaction = Interaction(
        account_id=account.id,
        kind=cmd.kind.value,
        happened_at=cmd.happened_at,
        notes=cmd.notes,
        author_id=ctx.actor.id,
        channel=ctx.platform,
    )
    session.add(interaction)
    ctx.audit("create", interaction, account_id=account.id, summary=f"{cmd.kind.value} logged")
    for contact_id in linked:
        link = InteractionContact(interaction_id=interaction.id, contact_id=contact_id)
        session.add(link)
        ctx.audit("create", link, account_id=account.id)
    task = None
    if cmd.next_step:
        task = Task(
            account_id=account.id,
            owner_id=ctx.actor.id,
            text=cmd.next_step,
            due_at=cmd.due_at,
            interaction_id=interaction.id,
        )
        session.add(task)
        ctx.audit("create", task, account_id=account.id, summary=f"next step: {cmd.next_step}")

    kind = label(cmd.kind.value, lang)
    reply = Reply(
        title=_("logged", lang, kind=kind, account=account.name), severity=Severity.success
    )
    reply.fields.append(Field(_("when", lang), fmt_date(cmd.happened_at, lang, ctx.tz)))
    if linked:
        reply.fields.append(Field(_("with", lang), ", ".join(by_id[i].name for i in linked)))
    if cmd.notes:
        reply.fields.append(Field(_("notes", lang), clip(cmd.notes, 200)))
    if task is not None:
        text = (
            _("due", lang, text=task.text, date=fmt_day(task.due_at, lang, ctx.tz))
            if task.due_at
            else _("no_due", lang, text=task.text)
        )
        reply.fields.append(Field(_("next", lang, id=task.id), text))
    for name in matches.ambiguous:
        reply.lines.append(_("ambiguous", lang, name=name))
    for c in added:
        title = f" ({c.title})" if c.title else ""
        reply.lines.append(_("added", lang, name=c.name, title=title, account=account.name))
    reply.lines.append(_("undo_hint", lang, minutes=ctx.settings.undo_minutes))

    if account.owner_id != ctx.actor.id:
        _tell_owner(ctx, account, cmd, kind)
    return reply


def _tell_owner(ctx: Context, account, cmd: LogInteraction, kind_label: str) -> None:
    from domain.models import User

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
