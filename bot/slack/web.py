"""Talking to Slack's Web API: one client factory, Retry-After honoured, errors classified.

Every Slack client kam makes (the bolt app's, the notifier's) comes from ``make_client``,
so ``SLACK_API_URL`` (tests, proxies) and the retry policy apply everywhere:

* HTTP 429 is retried after the ``Retry-After`` seconds Slack asks for, up to
  ``RATE_LIMIT_RETRIES`` times, as long as the wait is at most ``MAX_RETRY_AFTER``
  (a longer wait is reported back, so a scheduled job can try again later instead of
  holding a thread);
* a dropped connection is retried once (slack_sdk's own handler);
* anything else is an error the caller sees: ``send_error`` turns it into a
  ``handlers.notify.SendError`` that says whether trying again later may help.
"""

from __future__ import annotations

import logging
import time
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RetryHandler, RetryState
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse

from bot.config import SlackSettings
from handlers.notify import SendError

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3
MAX_RETRY_AFTER = 30.0
TIMEOUT_SECONDS = 15

# Slack error codes worth another try later; every other ``ok: false`` is permanent
# (channel_not_found, not_in_channel, invalid_auth, invalid_blocks, msg_too_long…).
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def retry_after(response: HttpResponse | None) -> float | None:
    """The seconds a 429 asks us to wait (1 when Slack forgot to say)."""
    if response is None or response.status_code != 429:
        return None
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(0.0, float(values[0]))
            except ValueError:
                break
    return 1.0


class RetryAfterHandler(RetryHandler):
    """Retry a 429 after exactly the ``Retry-After`` Slack sent, if that is not too long."""

    def __init__(
        self,
        max_retry_count: int = RATE_LIMIT_RETRIES,
        max_wait: float = MAX_RETRY_AFTER,
        sleep=time.sleep,
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self._sleep = sleep

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        wait = retry_after(response)
        if wait is None:
            return False
        if wait > self.max_wait:
            log.warning("Slack asks to wait %.0fs before %s; giving up for now", wait, request.url)
            return False
        return True

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = retry_after(response) or 1.0
        log.info("Slack rate limit on %s: retrying in %.1fs", request.url, wait)
        state.next_attempt_requested = True
        self._sleep(wait)
        state.increment_current_attempt()


def retry_handlers() -> list[RetryHandler]:
    return [ConnectionErrorRetryHandler(max_retry_count=1), RetryAfterHandler()]


def api_base_url(settings: SlackSettings) -> str:
    url = settings.api_url.strip()
    return url if url.endswith("/") else url + "/"


def make_client(settings: SlackSettings) -> WebClient:
    """A Web API client for the bot token, at ``SLACK_API_URL``."""
    return WebClient(
        token=settings.bot_token,
        base_url=api_base_url(settings),
        timeout=TIMEOUT_SECONDS,
        retry_handlers=retry_handlers(),
    )


def error_code(exc: BaseException) -> str:
    """Slack's error code (``channel_not_found``), or the exception's name."""
    if isinstance(exc, SlackApiError):
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return str(data.get("error") or f"http_{exc.response.status_code}")
    return type(exc).__name__


def send_error(exc: BaseException, what: str) -> SendError:
    """A ``SendError`` for a failed Web API call, retryable when a later try may help."""
    if isinstance(exc, SlackApiError):
        code = error_code(exc)
        status = exc.response.status_code
        retryable = status == 429 or status >= 500 or code in TRANSIENT_ERRORS
        return SendError(f"{what}: Slack said {code}", retryable=retryable)
    if isinstance(exc, URLError | OSError | TimeoutError | SlackClientError):
        return SendError(f"{what}: {type(exc).__name__}: {exc}", retryable=True)
    return SendError(f"{what}: {type(exc).__name__}: {exc}", retryable=False)
