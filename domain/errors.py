"""Errors that kam turns into friendly replies.

    KamError
    ├── NotFound        – an account, contact, user or task does not exist
    ├── Ambiguous       – a name matches several things; ``candidates`` lists the closest
    ├── InvalidInput    – a command or value is malformed (ParseError is the parser's kind)
    │   └── ParseError
    ├── Forbidden       – the actor may not do this
    └── Unavailable     – the database or a platform is down; try again later

Every error the domain raises carries a message key and parameters, not finished text
(``InvalidInput("tier_unknown", value="D")``): handlers/errors.py words it in the
user's language and the dispatcher adds one correct example.  Handlers raise these
errors with words already in the user's language; both are shown as they come.
bot/config.py's configuration errors are for the operator (the CLI prints them)
and stay English sentences.
"""

from __future__ import annotations

from typing import Any


class KamError(Exception):
    """Base of every error kam reports to a user."""

    def __init__(self, message: str = "", *, hint: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.params = params

    def __str__(self) -> str:
        return self.message


class NotFound(KamError):
    def __init__(self, message: str = "", *, candidates: list[str] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.candidates = list(candidates or [])


class Ambiguous(KamError):
    def __init__(self, message: str = "", *, candidates: list[str] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.candidates = list(candidates or [])


class InvalidInput(KamError):
    pass


class ParseError(InvalidInput):
    """The parser could not make sense of the text."""


class Forbidden(KamError):
    pass


class Unavailable(KamError):
    pass
