"""The WeCom (企业微信) server API, as a small httpx client.

    client = WecomClient.from_settings(settings.wecom, engine)
    client.call("POST", "message/send", json={...})     # token handled for you
    client.get_user("wanglei")                          # user/get
    client.post_webhook(team.wecom_webhook, {...})      # 群机器人, no token
    client.upload_media("image", "chart.png", png)      # media/upload → media_id (3 days)

Why not wechatpy's ``WeChatClient``: it fetches tokens from a hard-coded
``https://qyapi.weixin.qq.com`` address, so ``WECOM_API_BASE_URL`` (private
deployments, 私有化部署, and the test fake) cannot reach ``gettoken``; its token storage
is a plain get/set, so three processes that find the token expired fetch three; and it
retries 40014/42001 without bound.  wechatpy still does the callback cryptography.

Rules, all decided on ``errcode`` and never on ``errmsg`` (WeCom rewords it):

    40014, 42001   the token is invalid or expired: refresh it once and retry once
    45009, -1      rate limited / system busy: back off (1 s, 2 s, 4 s) and retry
    anything else  ``WecomApiError`` (not retryable)

The token lives in the database (``storage.tokens``), shared by every kam process, and
is refreshed five minutes before it expires.  The process that refreshes holds the
row's lock while it calls ``gettoken``; the others wait and then use its token.

A group robot (群机器人) takes at most 20 messages a minute; ``RateLimiter`` keeps each
webhook under that (per process — only the scheduler sends digests).

Errors::

    handlers.notify.SendError (retryable)
     └── WecomApiError (errcode: int | None — None for network and HTTP failures)
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.config import WecomSettings
from handlers.notify import SendError
from storage import tokens
from storage.session import unit_of_work

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com/cgi-bin/"
TOKEN_INVALID = frozenset({40014, 42001})  # invalid access_token, access_token expired
RATE_LIMITED = 45009
SYSTEM_BUSY = -1
REFRESH_MARGIN = timedelta(minutes=5)
TOKEN_TIMEOUT = 5.0  # seconds for gettoken
WEBHOOK_PER_MINUTE = 20


class WecomApiError(SendError):
    """A WeCom API call failed; ``errcode`` is None when no answer came back at all."""

    def __init__(self, endpoint: str, errcode: int | None, errmsg: str) -> None:
        retryable = errcode is None or errcode in (RATE_LIMITED, SYSTEM_BUSY, *TOKEN_INVALID)
        where = f"errcode {errcode}" if errcode is not None else "no answer"
        super().__init__(f"WeCom {endpoint}: {where} ({errmsg})", retryable=retryable)
        self.endpoint = endpoint
        self.errcode = errcode
        self.errmsg = errmsg


class RateLimiter:
    """At most ``limit`` events per ``period`` seconds for each key (a sliding window).

    ``acquire`` waits for a free slot, up to ``max_wait`` seconds; beyond that it raises
    a retryable ``SendError`` rather than hold a scheduler thread for minutes.
    """

    def __init__(
        self,
        limit: int = WEBHOOK_PER_MINUTE,
        period: float = 60.0,
        *,
        max_wait: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.period = period
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def acquire(self, key: str) -> None:
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                sent = self._sent[key]
                while sent and sent[0] <= now - self.period:
                    sent.popleft()
                if len(sent) < self.limit:
                    sent.append(now)
                    return
                wait = sent[0] + self.period - now
            if waited + wait > self.max_wait:
                raise SendError(
                    f"more than {self.limit} messages in {self.period:g}s to one group robot",
                    retryable=True,
                )
            self._sleep(wait)
            waited += wait


_SECRET_PARAM = re.compile(r"((?:access_token|corpsecret|key)=)[^&\s\"']+")


def redact(text: str) -> str:
    """Hide tokens, secrets and webhook keys in a URL or log line."""
    return _SECRET_PARAM.sub(r"\1***", text)


class _RedactSecrets(logging.Filter):
    """httpx logs every request URL at INFO; ours carry the token or a webhook key."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "=" in message:
            record.msg, record.args = redact(message), ()
        return True


_httpx_log = logging.getLogger("httpx")
if not any(isinstance(f, _RedactSecrets) for f in _httpx_log.filters):
    _httpx_log.addFilter(_RedactSecrets())


class WecomClient:
    def __init__(
        self,
        *,
        engine: Engine,
        corp_id: str | None,
        secret: str | None,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.Client | None = None,
        timeout: float = 10.0,
        backoff: Sequence[float] = (1.0, 2.0, 4.0),
        webhook_limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.corp_id = corp_id
        self._secret = secret
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._client = http
        self._timeout = timeout
        self._client_lock = threading.Lock()
        self.backoff = tuple(backoff)
        self.webhook_limiter = webhook_limiter or RateLimiter()
        self._sleep = sleep
        self._clock = clock
        # One cache row per app: each app's secret has its own token.
        digest = hashlib.sha256((secret or "").encode()).hexdigest()[:16]
        self.token_name = f"wecom:{corp_id}:{digest}"

    @classmethod
    def from_settings(cls, settings: WecomSettings, engine: Engine, **kw: Any) -> WecomClient:
        return cls(
            engine=engine,
            corp_id=settings.corp_id,
            secret=settings.secret,
            base_url=settings.api_base_url,
            **kw,
        )

    @property
    def can_call(self) -> bool:
        """Token-authenticated calls need WECOM_CORP_ID and WECOM_SECRET."""
        return bool(self.corp_id and self._secret)

    @property
    def _http(self) -> httpx.Client:
        """The HTTP client, made on the first call: every kam process builds this client
        (for its notifier and directory) and most never call WeCom, so they do not
        import httpx either."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    import httpx

                    self._client = httpx.Client(timeout=self._timeout)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- the token ----------------------------------------------------------------------

    def access_token(self, *, stale: str | None = None) -> str:
        """A token good for five more minutes; ``stale`` is one WeCom just refused.

        Only one process fetches: the others wait on the cache row and take its token.
        A token other than ``stale`` already in the cache is someone else's refresh.
        """
        if not self.can_call:
            raise SendError(
                "WECOM_CORP_ID and WECOM_SECRET are needed to call the WeCom API", retryable=False
            )
        try:
            return self._cached_or_fetched(stale)
        except (OperationalError, PoolTimeout) as exc:
            raise WecomApiError("gettoken", None, f"token cache: {type(exc).__name__}") from exc

    def _cached_or_fetched(self, stale: str | None) -> str:
        if stale is None:
            with unit_of_work(self.engine, write=False) as session:
                row = tokens.peek(session, self.token_name)
                if row is not None and tokens.is_fresh(
                    row, now=self._clock(), margin=REFRESH_MARGIN
                ):
                    return row.value
        with unit_of_work(self.engine, write=True) as session:
            row = tokens.lock(session, self.token_name)
            now = self._clock()
            if row.value != stale and tokens.is_fresh(row, now=now, margin=REFRESH_MARGIN):
                return row.value
            value, lifetime = self._fetch_token()
            tokens.store(
                session, row, value=value, expires_at=now + timedelta(seconds=lifetime), now=now
            )
            log.info("fetched a new WeCom access token (valid %ss)", lifetime)
            return value

    def _fetch_token(self) -> tuple[str, int]:
        data = self._request(
            "GET",
            self.base_url + "gettoken",
            endpoint="gettoken",
            params={"corpid": self.corp_id, "corpsecret": self._secret},
            # Short: other senders wait on the cache row meanwhile (SQLite: busy timeout).
            timeout=TOKEN_TIMEOUT,
        )
        errcode = _errcode(data)
        if errcode != 0 or not data.get("access_token"):
            raise WecomApiError("gettoken", errcode, str(data.get("errmsg", "")))
        return str(data["access_token"]), int(data.get("expires_in") or 7200)

    # -- calls --------------------------------------------------------------------------

    def call(
        self,
        method: str,
        endpoint: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        """Call ``endpoint`` (e.g. ``message/send``) with the shared token; the answer's
        JSON.  ``files`` sends a multipart form instead of JSON (``media/upload``)."""
        token = self.access_token()
        refreshed = False
        attempt = 0
        while True:
            data = self._request(
                method,
                self.base_url + endpoint,
                endpoint=endpoint,
                params={**(params or {}), "access_token": token},
                json=json,
                files=files,
            )
            errcode = _errcode(data)
            if errcode == 0:
                return data
            if errcode in TOKEN_INVALID and not refreshed:
                log.info("WeCom refused the access token (errcode %s): refreshing", errcode)
                token = self.access_token(stale=token)
                refreshed = True
                continue
            if errcode in (RATE_LIMITED, SYSTEM_BUSY) and attempt < len(self.backoff):
                log.warning(
                    "WeCom %s: errcode %s, retrying in %ss",
                    endpoint,
                    errcode,
                    self.backoff[attempt],
                )
                self._sleep(self.backoff[attempt])
                attempt += 1
                continue
            raise WecomApiError(endpoint, errcode, str(data.get("errmsg", "")))

    def get_user(self, userid: str) -> dict[str, Any]:
        """``user/get``: a member's record (``name``, ``department``…)."""
        return self.call("GET", "user/get", params={"userid": userid})

    def upload_media(self, kind: str, filename: str, data: bytes, content_type: str) -> str:
        """``media/upload`` (素材上传): a temporary media file, good for three days; its
        ``media_id`` for an ``image`` (or ``file``) message."""
        answer = self.call(
            "POST",
            "media/upload",
            params={"type": kind},
            files={"media": (filename, data, content_type)},
        )
        media_id = answer.get("media_id")
        if not media_id:
            raise WecomApiError("media/upload", None, "no media_id in the answer")
        return str(media_id)

    def webhook_url(self, address: str) -> str:
        """A group robot's address: its full webhook URL, or just its ``key``."""
        if address.startswith(("https://", "http://")):
            return address
        return f"{self.base_url}webhook/send?key={address}"

    def post_webhook(self, address: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Post to a group robot (群机器人): no token; at most 20 messages a minute."""
        url = self.webhook_url(address)
        key = (parse_qs(urlsplit(url).query).get("key") or [url])[0]
        attempt = 0
        while True:
            self.webhook_limiter.acquire(key)
            data = self._request("POST", url, endpoint="webhook/send", json=payload)
            errcode = _errcode(data)
            if errcode == 0:
                return data
            if errcode in (RATE_LIMITED, SYSTEM_BUSY) and attempt < len(self.backoff):
                log.warning(
                    "WeCom webhook: errcode %s, retrying in %ss", errcode, self.backoff[attempt]
                )
                self._sleep(self.backoff[attempt])
                attempt += 1
                continue
            raise WecomApiError("webhook/send", errcode, str(data.get("errmsg", "")))

    def _request(
        self,
        method: str,
        url: str,
        *,
        endpoint: str,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        # UTF-8 JSON, not \u escapes: WeCom's byte limits count the characters' bytes.
        body = _dumps(json) if json is not None else None
        headers = {"Content-Type": "application/json; charset=utf-8"} if body else None
        import httpx

        try:
            response = self._http.request(
                method,
                url,
                params=params,
                content=body,
                files=files,
                headers=headers,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            raise WecomApiError(
                endpoint, None, f"{type(exc).__name__}: {redact(str(exc))}"
            ) from exc
        if response.status_code != 200:
            raise WecomApiError(endpoint, None, f"HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise WecomApiError(endpoint, None, "the answer is not JSON") from exc
        if not isinstance(data, dict):
            raise WecomApiError(endpoint, None, "the answer is not a JSON object")
        return data


def _dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _errcode(data: dict[str, Any]) -> int | None:
    """The answer's ``errcode`` (absent means success); None when it is not a number."""
    try:
        return int(data.get("errcode", 0))
    except (TypeError, ValueError):
        return None
