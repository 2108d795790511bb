"""Fuzzing kam's two front doors over real HTTP (issue 15, "Beyond the fixes").

Random bodies and headers to ``POST /slack/events`` and ``/wecom/callback`` on one
running server (SQLite or PostgreSQL, as the suite runs):

* unsigned or wrongly signed: never a 5xx, and nothing written (interactions, the
  audit trail, inbound claims: counted before and after every request);
* correctly signed Slack bodies with random content (random JSON, random form fields,
  random events inside a real envelope): never a 5xx;
* random WeCom envelopes, and envelopes correctly encrypted and signed around random
  XML: never a 5xx; those not correctly signed write nothing.

Small on purpose (it runs twice in CI): a few dozen examples per door, no deadline;
``KAM_FUZZ_EXAMPLES=500`` runs more.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
import xmltodict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from bot.config import SlackSettings
from domain.models import AuditEntry, InboundEvent, Interaction
from storage.session import unit_of_work
from tests.e2e import fake_wecom
from tests.e2e.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, dm_event, event_callback
from tests.harness import book

FUZZ = settings(
    max_examples=int(os.environ.get("KAM_FUZZ_EXAMPLES", "40")),  # more, locally
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TABLES = (Interaction, AuditEntry, InboundEvent)

header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(
    str.strip  # what HTTP allows in a header value
)
timestamps = st.one_of(
    header_text,
    st.integers(-(10**15), 10**15).map(str),
    st.just("now"),  # replaced by the current time
)
content_types = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "text/plain", "", "application/xml"]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
slack_keys = st.sampled_from(
    ["type", "event", "authorizations", "team", "team_id", "enterprise", "user", "user_id",
     "channel", "channel_id", "command", "text", "payload", "view", "actions", "event_id",
     "api_app_id", "response_url", "trigger_id", "is_enterprise_install", "challenge",
     "ssl_check", "token", "container", "message", "state", "bot_id", "subtype"]
)  # fmt: skip
slack_objects = st.dictionaries(slack_keys, json_values, max_size=8)


@pytest.fixture
def server(start_server, engine) -> Iterator[object]:
    book(engine)
    with FakeSlack() as slack, fake_wecom.running_fake() as wecom:
        settings_ = fake_wecom.wecom_settings(
            wecom,
            slack=SlackSettings(
                bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=slack.api_url
            ),
        )
        yield start_server(settings_)


def _counts(engine) -> tuple[int, ...]:
    with unit_of_work(engine, write=False) as s:
        return tuple(s.exec(select(func.count()).select_from(m)).one() for m in TABLES)


def _ts(value: str) -> str:
    return str(int(time.time())) if value == "now" else value


def _slack_sign(ts: str, body: bytes) -> str:
    base = b"v0:" + ts.encode() + b":" + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


def _no_5xx(r: httpx.Response) -> None:
    assert r.status_code < 500, (r.status_code, r.text[:200])


# -- Slack --------------------------------------------------------------------------------


@FUZZ
@given(
    body=st.binary(max_size=600) | json_values.map(lambda v: json.dumps(v).encode()),
    content_type=content_types,
    timestamp=st.none() | timestamps,
    signature=st.none() | header_text | st.just("v0=" + "0" * 64),
)
def test_slack_unsigned_never_500_and_never_writes(server, engine, body, content_type,
                                                   timestamp, signature):  # fmt: skip
    headers = {"Content-Type": content_type}
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = _ts(timestamp)
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    before = _counts(engine)
    r = httpx.post(f"{server.url}/slack/events", content=body, headers=headers, timeout=10)
    _no_5xx(r)
    assert r.status_code in (400, 401, 413), r.status_code
    assert _counts(engine) == before


def _form(fields: dict) -> bytes:
    return urlencode(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
    ).encode()


signed_bodies = st.one_of(
    st.binary(max_size=400),
    json_values.map(lambda v: json.dumps(v).encode()),
    slack_objects.map(lambda d: json.dumps(d).encode()),
    slack_objects.map(_form),
    slack_objects.map(lambda d: urlencode({"payload": json.dumps(d)}).encode()),
    slack_objects.map(lambda d: json.dumps(event_callback(d)).encode()),
    st.text(max_size=60).map(lambda t: json.dumps(event_callback(dm_event("U0ALICE", t))).encode()),
)


@FUZZ
@given(body=signed_bodies, content_type=content_types)
def test_slack_signed_random_content_never_500(server, body, content_type):
    ts = str(int(time.time()))
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": _slack_sign(ts, body),
    }
    r = httpx.post(f"{server.url}/slack/events", content=body, headers=headers, timeout=10)
    _no_5xx(r)


# -- WeCom --------------------------------------------------------------------------------

xml_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
envelopes = st.one_of(
    st.binary(max_size=400),
    st.builds(
        lambda to, enc, agent: (
            f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt>"
            f"<AgentID><![CDATA[{agent}]]></AgentID></xml>"
        ).encode(),
        st.sampled_from([fake_wecom.CORP_ID, "ww-other"]) | xml_text,
        st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", max_size=120)
        | xml_text,
        xml_text,
    ),
)


@FUZZ
@given(
    body=envelopes,
    signature=st.none() | header_text,
    timestamp=st.none() | timestamps,
    nonce=st.none() | header_text,
    get=st.booleans(),
)
def test_wecom_random_envelopes_never_500_and_never_write(server, engine, body, signature,
                                                          timestamp, nonce, get):  # fmt: skip
    params = {
        k: v
        for k, v in (("msg_signature", signature), ("timestamp", timestamp), ("nonce", nonce))
        if v is not None
    }
    if "timestamp" in params:
        params["timestamp"] = _ts(params["timestamp"])
    before = _counts(engine)
    url = f"{server.url}/wecom/callback"
    if get:
        r = httpx.get(url, params={**params, "echostr": body.decode("latin-1")[:200]}, timeout=10)
    else:
        r = httpx.post(url, params=params, content=body, timeout=10)
    _no_5xx(r)
    assert r.status_code in (400, 403, 413), r.status_code
    assert _counts(engine) == before


inner_fields = st.dictionaries(
    st.sampled_from(
        [
            "ToUserName",
            "FromUserName",
            "CreateTime",
            "MsgType",
            "Content",
            "MsgId",
            "AgentID",
            "Event",
            "EventKey",
            "TaskId",
            "PicUrl",
        ]
    ),
    st.one_of(
        xml_text,
        st.sampled_from(
            [
                fake_wecom.CORP_ID,
                "wanglei",
                "text",
                "event",
                "subscribe",
                "template_card_event",
                "/客户 华夏重工",
                "kamq1-abcd",
            ]
        ),
        st.integers(-(10**12), 10**20).map(str),
    ),
    max_size=8,
)


def _inner_xml(fields: dict[str, str]) -> str:
    try:
        return xmltodict.unparse({"xml": fields}, full_document=False)
    except ValueError:  # a character XML cannot hold
        return "<xml></xml>"


@FUZZ
@given(fields=inner_fields)
def test_wecom_signed_random_messages_never_500(server, fields):
    peer = fake_wecom.WecomPeer(server.url)
    r = peer.post(_inner_xml(fields), nonce=str(secrets.randbelow(10**12)))
    _no_5xx(r)
