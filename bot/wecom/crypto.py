"""WeCom callback cryptography, plus the replay protection wechatpy leaves to us.

wechatpy's ``WeChatCrypto`` (``wechatpy.enterprise.crypto``) does the AES and checks
that the ciphertext names our CorpID.  Around it:

* the signature — sha1 over the sorted token, timestamp, nonce and ciphertext — is
  compared in constant time before anything is decrypted;
* a ``timestamp`` more than five minutes from now (either way) is refused;
* a ``nonce`` already used is refused — unless the request is WeCom's own redelivery
  of a message already taken in: WeCom resends a callback it got no answer to with the
  *same* timestamp, nonce and signature, so the caller looks the message up first
  (``bot.wecom.callback``) and claims the nonce (``claim_nonce``) only for a message
  it has never seen, in the transaction that takes the message in.  Nonces are
  remembered in the database (``claim_event(session, "wecom-nonce", nonce)``) so every
  kam process shares them.  WeCom promises a nonce is not repeated within two hours; a
  nonce last seen longer ago than twice the timestamp window can no longer be part of
  a replay (its request would be stale), so it is taken again instead of refused.

Errors::

    CallbackRejected (status 403, or 400 for a malformed request)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import xmltodict
from sqlalchemy import Engine, update
from sqlmodel import Session
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import WeChatException

from bot.config import WecomSettings
from domain.models import InboundEvent
from storage.inbound import claim_event
from storage.session import unit_of_work

NONCE_PLATFORM = "wecom-nonce"
MAX_AGE = timedelta(minutes=5)


class CallbackRejected(Exception):
    """The request is not a genuine, fresh WeCom callback."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """WeCom's ``msg_signature``."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def check_aes_key(encoding_aes_key: str) -> None:
    """An EncodingAESKey is 43 characters of base64 that decode to 32 bytes."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise ValueError(
            "WECOM_ENCODING_AES_KEY must be the 43-character EncodingAESKey from the "
            "app's API receive settings (接收消息 → 设置API接收)"
        )


class CallbackCrypto:
    def __init__(
        self,
        *,
        token: str,
        encoding_aes_key: str,
        corp_id: str,
        engine: Engine,
        max_age: timedelta = MAX_AGE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        check_aes_key(encoding_aes_key)
        self.corp_id = corp_id
        self._token = token
        self._crypto = WeChatCrypto(token, encoding_aes_key, corp_id)
        self.engine = engine
        self.max_age = max_age
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: WecomSettings, engine: Engine) -> CallbackCrypto:
        if not (settings.token and settings.encoding_aes_key and settings.corp_id):
            raise ValueError("WECOM_TOKEN, WECOM_ENCODING_AES_KEY and WECOM_CORP_ID are needed")
        return cls(
            token=settings.token,
            encoding_aes_key=settings.encoding_aes_key,
            corp_id=settings.corp_id,
            engine=engine,
        )

    # -- incoming -----------------------------------------------------------------------

    def verify_url(self, *, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification (``GET``): the decrypted ``echostr``, to be echoed verbatim."""
        # echostr is base64; a '+' that reached us unencoded has become a space.
        echostr = echostr.replace(" ", "+")
        self._authenticate(msg_signature, timestamp, nonce, echostr)
        try:
            plain = self._crypto.check_signature(msg_signature, timestamp, nonce, echostr)
        except (WeChatException, ValueError, struct.error, IndexError, TypeError) as exc:
            raise CallbackRejected(f"cannot decrypt echostr: {type(exc).__name__}") from exc
        with unit_of_work(self.engine, write=True) as session:
            self.claim_nonce(session, nonce)
        return plain

    def decrypt_message(
        self, body: bytes, *, msg_signature: str, timestamp: str, nonce: str
    ) -> str:
        """A message (``POST``): the decrypted inner XML.  Its nonce is not claimed here:
        the caller claims it (``claim_nonce``) when the message is new."""
        envelope = parse_xml(body)
        encrypted = envelope.get("Encrypt")
        if not isinstance(encrypted, str) or not encrypted:
            raise CallbackRejected("no Encrypt element", status=400)
        self._authenticate(msg_signature, timestamp, nonce, encrypted)
        try:
            plain = self._crypto.decrypt_message(
                {"Encrypt": encrypted}, msg_signature, timestamp, nonce
            )
        except (WeChatException, ValueError, struct.error, IndexError, TypeError) as exc:
            raise CallbackRejected(f"cannot decrypt the message: {type(exc).__name__}") from exc
        return plain

    def _authenticate(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = signature(self._token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected.encode(), msg_signature.encode()):
            raise CallbackRejected("wrong msg_signature")
        try:
            sent = datetime.fromtimestamp(int(timestamp), UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise CallbackRejected("timestamp is not a number", status=400) from exc
        if abs(self._clock() - sent) > self.max_age:
            raise CallbackRejected("stale timestamp")
        if not nonce:
            raise CallbackRejected("no nonce", status=400)

    def claim_nonce(self, session: Session, nonce: str) -> None:
        """Take the nonce in ``session``'s transaction; ``CallbackRejected`` if used."""
        now = self._clock()
        if claim_event(session, NONCE_PLATFORM, nonce):
            return
        # Seen before, but long enough ago that it cannot be a replay: take it again.
        retaken = session.execute(
            update(InboundEvent)
            .where(
                InboundEvent.platform == NONCE_PLATFORM,
                InboundEvent.event_key == nonce[:200],
                InboundEvent.received_at < now - 2 * self.max_age,
            )
            .values(received_at=now)
        ).rowcount
        if not retaken:
            raise CallbackRejected("nonce already used")

    # -- outgoing -----------------------------------------------------------------------

    def encrypt_reply(self, xml: str) -> str:
        """A passive reply, encrypted and signed as WeCom expects it."""
        timestamp = str(int(self._clock().timestamp()))
        return self._crypto.encrypt_message(xml, secrets.token_hex(8), timestamp)


def parse_xml(body: bytes | str) -> dict:
    """The children of ``<xml>``; no DTDs (so no entity tricks), nothing nested deeper."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise CallbackRejected("the body is not UTF-8", status=400) from exc
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise CallbackRejected("DTDs are not accepted", status=400)
    try:
        doc = xmltodict.parse(text)
    except Exception as exc:  # expat raises its own ExpatError, among others
        raise CallbackRejected("malformed XML", status=400) from exc
    root = doc.get("xml") if isinstance(doc, dict) else None
    if not isinstance(root, dict):
        raise CallbackRejected("not a WeCom callback", status=400)
    return root
