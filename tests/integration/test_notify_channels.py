"""Channels against real local servers: an aiosmtpd SMTP server and an aiohttp bot endpoint."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from sentinel.config.notify import NotifySettings
from sentinel.errors import ConfigError
from sentinel.notify import (
    DeliveryError,
    DingTalkChannel,
    EmailChannel,
    FeishuChannel,
    Message,
    WebhookChannel,
    WeComChannel,
    department_channels,
    digest_message,
)
from sentinel.notify.digest import Digest, DigestAlert
from tests.servers import free_port

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 10, 9, 10, 0, tzinfo=TZ)
SECRET = "SEC0123456789abcdef"
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> [领补贴](javascript:alert(3))'


def message() -> Message:
    alerts = (
        DigestAlert(
            id=7,
            title=HOSTILE,
            sources=("某论坛",),
            severity="major",
            department="zjj",
            detected_at=NOW - timedelta(hours=3),
            deadlines={"claim": NOW - timedelta(hours=1)},
            words=("拆迁",),
            url="https://yq.example.gov.cn/alerts/7",
            post_url="javascript:alert(4)",
        ),
        DigestAlert(
            id=8,
            title="桥梁垮塌",
            sources=("新闻网",),
            severity="critical",
            department="zjj",
            detected_at=NOW,
            url="https://yq.example.gov.cn/alerts/8",
        ),
    )
    d = Digest(
        department="住建局",
        recipients=("duty@zjj.example.gov.cn", "lead@wxb.example.gov.cn"),
        alerts=alerts,
        generated_at=NOW,
    )
    return digest_message(d, key="digest-zjj-20261009T1000")


# --- SMTP -----------------------------------------------------------------------------------


@dataclass
class Inbox:
    port: int
    mails: list[Envelope] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.mails.append(envelope)
        return "250 OK"

    def authenticate(
        self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth: Any
    ) -> AuthResult:
        assert isinstance(auth, LoginPassword)
        self.logins.append((auth.login.decode(), auth.password.decode()))
        # handled=False: aiosmtpd then answers 535 itself
        return AuthResult(success=auth.password == b"s3cret", handled=False)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox(port=free_port())
    ctl = Controller(
        box,
        hostname="127.0.0.1",
        port=box.port,
        authenticator=box.authenticate,
        auth_require_tls=False,
    )
    ctl.start()
    try:
        yield box
    finally:
        ctl.stop()


async def test_digest_mail_arrives_with_both_parts_escaped(inbox: Inbox) -> None:
    env = {"SMTP_USER": "duty", "SMTP_PASS": "s3cret"}
    channel = EmailChannel(
        "127.0.0.1",
        inbox.port,
        "舆情值班 <duty@wxb.example.gov.cn>",
        username_env="SMTP_USER",
        password_env="SMTP_PASS",
        starttls=False,
        env=env,
    )
    m = message()
    delivery = await channel.send(m)
    assert delivery.channel == "email" and delivery.target == f"127.0.0.1:{inbox.port}"
    assert inbox.logins == [("duty", "s3cret")]
    (envelope,) = inbox.mails
    assert sorted(envelope.rcpt_tos) == ["duty@zjj.example.gov.cn", "lead@wxb.example.gov.cn"]
    assert isinstance(envelope.content, bytes)
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert str(mail["Subject"]) == m.subject
    assert "住建局舆情摘要" in str(mail["Subject"])
    assert "digest-zjj-20261009T1000" in str(mail["Message-ID"])
    plain = mail.get_body(("plain",))
    rich = mail.get_body(("html",))
    assert plain is not None and rich is not None
    text, html = plain.get_content(), rich.get_content()
    assert "桥梁垮塌" in text and "认领期限：2026-10-09 09:00（已超期）" in text
    assert "<script>alert(1)</script>" in text  # plain text is shown as text
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html.replace("(javascript:alert(3))", "")
    assert 'href="https://yq.example.gov.cn/alerts/8"' in html


async def test_wrong_password_is_a_delivery_error(inbox: Inbox) -> None:
    channel = EmailChannel(
        "127.0.0.1",
        inbox.port,
        "duty@wxb.example.gov.cn",
        username_env="U",
        password_env="P",
        starttls=False,
        env={"U": "duty", "P": "wrong"},
        timeout=10,
    )
    with pytest.raises(DeliveryError, match=r"email via 127\.0\.0\.1"):
        await channel.send(message())
    assert inbox.mails == []


async def test_missing_password_env_is_named() -> None:
    channel = EmailChannel("127.0.0.1", 25, "a@b.cn", username_env="U", password_env="P", env={})
    with pytest.raises(DeliveryError, match="environment variable U is not set"):
        await channel.send(message())


async def test_smtp_down_is_a_delivery_error() -> None:
    port = free_port()  # nothing listens there
    channel = EmailChannel("127.0.0.1", port, "a@b.cn", starttls=False, timeout=5)
    with pytest.raises(DeliveryError, match=f"email via 127.0.0.1:{port} failed") as caught:
        await channel.send(message())
    assert caught.value.channel == "email"


# --- webhooks -------------------------------------------------------------------------------


@dataclass
class Bots:
    base: str
    posts: dict[str, list[tuple[dict[str, str], Any]]] = field(default_factory=dict)


def dingtalk_ok(query: dict[str, str]) -> bool:
    ts = query["timestamp"]
    want = hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest()
    # the server decodes the query once: a `+` in the base64 survives only if it was encoded
    return query["sign"] == base64.b64encode(want).decode()


def feishu_ok(body: dict[str, Any]) -> bool:
    key = f"{body['timestamp']}\n{SECRET}".encode()
    want = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    return bool(body["sign"] == want)


@pytest.fixture
async def bots() -> AsyncIterator[Bots]:
    state = Bots(base="")
    released = asyncio.Event()

    async def record(request: web.Request) -> tuple[str, dict[str, str], Any]:
        name = request.match_info["name"]
        body = await request.json()
        query = dict(request.query)
        state.posts.setdefault(name, []).append((query, body))
        return name, query, body

    async def handle(request: web.Request) -> web.Response:
        name, query, body = await record(request)
        if name == "dingtalk":
            ok = dingtalk_ok(query)
            return web.json_response({"errcode": 0 if ok else 310000, "errmsg": "sign"})
        if name == "feishu":
            ok = feishu_ok(body)
            return web.json_response({"code": 0 if ok else 19021, "msg": "sign match fail"})
        if name == "wecom":
            return web.json_response({"errcode": 0, "errmsg": "ok"})
        if name == "refuse":
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        if name == "broken":
            return web.Response(status=502, text="bad gateway")
        if name == "hang":
            await released.wait()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/{name}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.base = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        released.set()
        await runner.cleanup()


async def test_dingtalk_markdown_is_signed(bots: Bots) -> None:
    m = message()
    delivery = await DingTalkChannel(f"{bots.base}/dingtalk?access_token=t0k", secret=SECRET).send(
        m
    )
    assert delivery.channel == "dingtalk" and delivery.detail == "sign"
    ((query, body),) = bots.posts["dingtalk"]
    assert query["access_token"] == "t0k" and dingtalk_ok(query)
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == m.subject
    text = body["markdown"]["text"]
    assert "桥梁垮塌" in text and "[认领](https://yq.example.gov.cn/alerts/8)" in text
    assert "<script>" not in text and "](javascript" not in text


async def test_dingtalk_with_a_wrong_secret_is_refused(bots: Bots) -> None:
    channel = DingTalkChannel(f"{bots.base}/dingtalk?access_token=t0k", secret="other")
    with pytest.raises(
        DeliveryError, match=r"dingtalk webhook at 127\.0\.0\.1:.*refused"
    ) as caught:
        await channel.send(message())
    assert "t0k" not in str(caught.value)  # the token is a secret


async def test_wecom_markdown(bots: Bots) -> None:
    await WeComChannel(f"{bots.base}/wecom?key=k").send(message())
    ((_, body),) = bots.posts["wecom"]
    assert body["msgtype"] == "markdown"
    assert "桥梁垮塌" in body["markdown"]["content"]
    assert "<img" not in body["markdown"]["content"]


async def test_wecom_long_digest_is_cut_to_4096_bytes(bots: Bots) -> None:
    m = message()
    long = Message(**{**{k: getattr(m, k) for k in m.__slots__}, "markdown": "舆情\n" * 3000})
    await WeComChannel(f"{bots.base}/wecom").send(long)
    ((_, body),) = bots.posts["wecom"]
    assert len(body["markdown"]["content"].encode()) <= 4096
    assert body["markdown"]["content"].endswith("请登录工作台查看全部）")


async def test_feishu_post_is_signed_with_literal_text(bots: Bots) -> None:
    await FeishuChannel(f"{bots.base}/feishu", secret=SECRET).send(message())
    ((_, body),) = bots.posts["feishu"]
    assert feishu_ok(body)
    post = body["content"]["post"]["zh_cn"]
    assert body["msg_type"] == "post" and "住建局舆情摘要" in post["title"]
    elements = [e for para in post["content"] for e in para]
    assert {e["tag"] for e in elements} == {"text", "a"}
    links = [e["href"] for e in elements if e["tag"] == "a"]
    assert links == ["https://yq.example.gov.cn/alerts/8", "https://yq.example.gov.cn/alerts/7"]


async def test_feishu_wrong_secret_is_refused(bots: Bots) -> None:
    with pytest.raises(DeliveryError, match="refused"):
        await FeishuChannel(f"{bots.base}/feishu", secret="nope").send(message())


async def test_generic_json_webhook(bots: Bots) -> None:
    await WebhookChannel(f"{bots.base}/json").send(message())
    ((_, body),) = bots.posts["json"]
    assert body["kind"] == "digest" and body["key"] == "digest-zjj-20261009T1000"
    assert body["department"] == "住建局"
    assert [a["id"] for a in body["alerts"]] == [7, 8]
    assert body["alerts"][0]["deadlines"]["claim"] == "2026-10-09T09:00:00+08:00"
    assert body["recipients"] == ["duty@zjj.example.gov.cn", "lead@wxb.example.gov.cn"]


@pytest.mark.parametrize(
    ("path", "why"), [("refuse", "refused"), ("broken", "HTTP 502"), ("hang", "no answer within")]
)
async def test_webhook_failures_are_delivery_errors(bots: Bots, path: str, why: str) -> None:
    channel = WeComChannel(f"{bots.base}/{path}", timeout=0.5)
    with pytest.raises(DeliveryError, match=why):
        await channel.send(message())


async def test_webhook_host_down() -> None:
    channel = WebhookChannel(f"http://127.0.0.1:{free_port()}/x", timeout=5)
    with pytest.raises(DeliveryError, match="ConnectError"):
        await channel.send(message())


async def test_channels_from_settings_read_secrets_from_env(bots: Bots, inbox: Inbox) -> None:
    settings = NotifySettings.model_validate(
        {
            "smtp": {
                "host": "127.0.0.1",
                "port": inbox.port,
                "sender": "a@b.cn",
                "starttls": False,
            },
            "departments": {
                "zjj": {
                    "emails": ["duty@zjj.example.gov.cn"],
                    "webhooks": [
                        {"kind": "dingtalk", "url_env": "DT_URL", "secret_env": "DT_SECRET"},
                        {"kind": "json", "url_env": "HOOK_URL"},
                    ],
                }
            },
        }
    )
    env = {"DT_URL": f"{bots.base}/dingtalk?access_token=x", "DT_SECRET": SECRET}
    with pytest.raises(ConfigError, match="HOOK_URL is not set"):
        department_channels(settings, "zjj", env)
    env["HOOK_URL"] = f"{bots.base}/json"
    channels, recipients = department_channels(settings, "zjj", env)
    assert [c.name for c in channels] == ["email", "dingtalk", "json"]
    m = message()
    m = Message(**{**{k: getattr(m, k) for k in m.__slots__}, "recipients": recipients})
    for channel in channels:
        await channel.send(m)
    assert len(inbox.mails) == 1 and inbox.mails[0].rcpt_tos == ["duty@zjj.example.gov.cn"]
    assert len(bots.posts["dingtalk"]) == 1 and len(bots.posts["json"]) == 1
    assert department_channels(settings, "nobody", env) == ([], ())


def test_settings_refuse_mail_without_smtp_and_literal_secrets() -> None:
    with pytest.raises(ValueError, match="no smtp server"):
        NotifySettings.model_validate({"departments": {"zjj": {"emails": ["a@b.cn"]}}})
    with pytest.raises(ValueError, match="url_env"):
        NotifySettings.model_validate(
            {"departments": {"zjj": {"webhooks": [{"kind": "json", "url": "http://x/"}]}}}
        )
    with pytest.raises(ValueError, match="no signing secret"):
        NotifySettings.model_validate(
            {
                "departments": {
                    "x": {"webhooks": [{"kind": "wecom", "url_env": "A", "secret_env": "B"}]}
                }
            }
        )
    assert json.loads(NotifySettings().model_dump_json())["office"] == "舆情值班室"
