"""Long lists in chat come a page at a time (issue 15: a 100,000-contact account
answered ``/contact Acme`` with 3.2 MB, 731 WeCom messages).

A list command reads an optional page at the end of what was typed — ``page 2``,
``p2``, ``more`` (the second page), ``第2页``, ``更多`` — and shows ``PAGE_SIZE`` lines
with "page 1 of N" and the exact command for the next one.  Nothing is remembered
between messages: the page is in the command.  Summaries that only show a few lines of
a list (the account card) cut it with ``bounded`` and point at the full list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.i18n import Catalog
from handlers.replies import Reply

_ = Catalog("paging")

PAGE_SIZE = 20
MAX_PAGE = 100_000

_PAGE = re.compile(
    r"""(?:^|\s)(?:
        (?:page|p\.?|pg)\s*(?P<n>\d{1,6})
      | 第\s*(?P<zh>\d{1,6})\s*页
      | (?P<more>more|next|更多|下一页)
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def split_page(text: str) -> tuple[str, int | None]:
    """``("Acme", 2)`` from ``"Acme page 2"``; ``(text, None)`` when no page is asked for."""
    m = _PAGE.search(text.strip())
    if m is None:
        return text, None
    if m.group("more"):
        number = 2
    else:
        number = int(m.group("n") or m.group("zh"))
    return text.strip()[: m.start()].strip(), max(1, min(number, MAX_PAGE))


@dataclass(frozen=True)
class Page:
    number: int  # 1-based, within 1..pages
    pages: int
    total: int
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def last(self) -> bool:
        return self.number >= self.pages


def page_of(total: int, number: int | None, size: int = PAGE_SIZE) -> Page:
    """The page ``number`` of ``total`` items (a number past the end shows the last)."""
    pages = max(1, -(-total // size))
    return Page(max(1, min(number or 1, pages)), pages, total, size)


def footer(page: Page, lang: str, command: str) -> str | None:
    """ "Page 1 of 5 (97 in all) · next: /contact Acme page 2"; None on a single page.
    ``command`` is what was typed before the page (``/contact Acme``)."""
    if page.pages <= 1:
        return None
    if page.last:
        return _("last", lang, n=page.number, pages=page.pages, total=page.total)
    following = _("next", lang, command=command, n=page.number + 1)
    return _("of", lang, n=page.number, pages=page.pages, total=page.total, next=following)


def paged(reply: Reply, page: Page, lang: str, command: str) -> Reply:
    """Put the page's footer line on ``reply`` (after what is already there)."""
    text = footer(page, lang, command)
    if text:
        reply.lines.append(text)
    return reply


def bounded(
    lines: list[str], limit: int, lang: str, where: str | None = None, *, more: int | None = None
) -> list[str]:
    """At most ``limit`` lines, then "… and 37 more: /deal Acme".  ``more`` is the
    list's full length when only its first ``limit + 1`` lines were made."""
    total = len(lines) if more is None else more
    if total <= limit:
        return lines
    rest = total - limit
    more = _("more_at", lang, n=rest, where=where) if where else _("more", lang, n=rest)
    return [*lines[:limit], more]
