"""Where messages go: email (aiosmtplib) and IM webhooks (DingTalk, WeCom, Feishu, JSON).

A channel sends one message once: it returns a `Delivery` or raises `DeliveryError`. Retries
and backoff belong to the outbox, which calls `send` again. Errors name the channel and host,
never the bot URL (its access token is a secret).
"""

from __future__ import annotations

import abc
import base64
import hashlib
import hmac
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import quote_plus, urlsplit

import aiosmtplib
import httpx

from sentinel.config.notify import NotifySettings, SmtpSettings, Webhook, WebhookKind
from sentinel.errors import ConfigError
from sentinel.notify.errors import DeliveryError
from sentinel.notify.message import Message

# WeCom refuses markdown over 4096 bytes; DingTalk's limit is larger but undocumented
_WECOM_MAX_BYTES = 4096
_LINK_LINE = re.compile(r"^\s*(认领|原文)：(https?://\S+)\s*$")


@dataclass(frozen=True, kw_only=True, slots=True)
class Delivery:
    channel: str
    target: str
    detail: str = ""


class Channel(abc.ABC):
    name: str = "channel"

    @abc.abstractmethod
    async def send(self, message: Message) -> Delivery:
        """Deliver `message` once, or raise DeliveryError."""


class EmailChannel(Channel):
    """Multipart (plain text + HTML) mail to the message's recipients."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username_env: str | None = None,
        password_env: str | None = None,
        starttls: bool = True,
        tls: bool = False,
        timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username_env = username_env
        self.password_env = password_env
        self.starttls = starttls
        self.tls = tls
        self.timeout = timeout
        self._env = env

    @classmethod
    def from_settings(
        cls, smtp: SmtpSettings, env: Mapping[str, str] | None = None
    ) -> EmailChannel:
        return cls(
            smtp.host,
            smtp.port,
            smtp.sender,
            username_env=smtp.username_env,
            password_env=smtp.password_env,
            starttls=smtp.starttls,
            tls=smtp.tls,
            timeout=smtp.timeout.total_seconds(),
            env=env,
        )

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    def build(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.sender
        mail["To"] = ", ".join(message.recipients)
        domain = self.sender.rsplit("@", 1)[-1].strip(" >") or None
        mail["Message-ID"] = make_msgid(idstring=message.key or None, domain=domain)
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    async def send(self, message: Message) -> Delivery:
        if not message.recipients:
            raise DeliveryError("email: no recipients", channel=self.name, target=self.target)
        env = os.environ if self._env is None else self._env
        username = _from_env(env, self.username_env, self.name, self.target)
        password = _from_env(env, self.password_env, self.name, self.target)
        try:
            errors, reply = await aiosmtplib.send(
                self.build(message),
                hostname=self.host,
                port=self.port,
                username=username,
                password=password,
                start_tls=self.starttls,
                use_tls=self.tls,
                timeout=self.timeout,
            )
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as e:
            raise DeliveryError(
                f"email via {self.target} failed: {type(e).__name__}: {e}",
                channel=self.name,
                target=self.target,
            ) from e
        if errors:
            refused = ", ".join(f"{r} ({resp.code})" for r, resp in errors.items())
            raise DeliveryError(
                f"email via {self.target}: refused for {refused}",
                channel=self.name,
                target=self.target,
            )
        return Delivery(channel=self.name, target=self.target, detail=reply)


def _from_env(env: Mapping[str, str], name: str | None, channel: str, target: str) -> str | None:
    if name is None:
        return None
    value = env.get(name)
    if not value:
        raise DeliveryError(
            f"{channel}: environment variable {name} is not set", channel=channel, target=target
        )
    return value


class WebhookChannel(Channel):
    """An HTTP POST of JSON; subclasses shape the body and read the bot's answer."""

    name = "json"

    def __init__(
        self,
        url: str,
        *,
        secret: str | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{self.name}: webhook URL must be http(s)")
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self._transport = transport
        self.target = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"

    def request(self, message: Message, now: float) -> tuple[str, dict[str, Any]]:
        """(URL, JSON body) to post."""
        return self.url, {
            "kind": message.kind,
            "key": message.key,
            "subject": message.subject,
            "text": message.text,
            "markdown": message.markdown,
            "recipients": list(message.recipients),
            **message.payload,
        }

    def check(self, answer: Any) -> str:
        """Raise DeliveryError if the bot's JSON answer says it refused; else a short detail."""
        return ""

    async def send(self, message: Message) -> Delivery:
        url, body = self.request(message, time.time())
        try:
            async with httpx.AsyncClient(
                timeout=self.timeout, transport=self._transport, follow_redirects=False
            ) as client:
                response = await client.post(url, json=body)
        except httpx.TimeoutException as e:
            raise self._error(f"no answer within {self.timeout:g} s") from e
        except httpx.HTTPError as e:
            raise self._error(f"{type(e).__name__}: {e}") from e
        if not response.is_success:
            raise self._error(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            answer = response.json() if response.content else None
        except ValueError:
            answer = None
        return Delivery(channel=self.name, target=self.target, detail=self.check(answer))

    def _error(self, what: str) -> DeliveryError:
        return DeliveryError(
            f"{self.name} webhook at {self.target}: {what}", channel=self.name, target=self.target
        )

    def _check_code(self, answer: Any, *keys: str) -> str:
        if not isinstance(answer, dict):
            raise self._error(f"unexpected answer {str(answer)[:200]!r}")
        for key in keys:
            if key in answer:
                if answer[key] != 0:
                    raise self._error(f"refused: {json.dumps(answer, ensure_ascii=False)[:300]}")
                return str(answer.get("errmsg") or answer.get("msg") or "ok")
        raise self._error(f"unexpected answer {json.dumps(answer, ensure_ascii=False)[:200]}")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256(key=secret, "timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's 签名校验: base64(HMAC-SHA256(key="timestamp\\nsecret", empty message))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkChannel(WebhookChannel):
    """A DingTalk group robot: markdown, signed when the robot has a secret."""

    name = "dingtalk"

    def request(self, message: Message, now: float) -> tuple[str, dict[str, Any]]:
        url = self.url
        if self.secret:
            ts = int(now * 1000)
            sep = "&" if "?" in url else "?"
            url = f"{url}{sep}timestamp={ts}&sign={dingtalk_sign(self.secret, ts)}"
        body = {
            "msgtype": "markdown",
            "markdown": {"title": message.subject, "text": message.markdown},
        }
        return url, body

    def check(self, answer: Any) -> str:
        return self._check_code(answer, "errcode")


class WeComChannel(WebhookChannel):
    """A WeCom (企业微信) group robot: markdown, at most 4096 bytes."""

    name = "wecom"

    def request(self, message: Message, now: float) -> tuple[str, dict[str, Any]]:
        content = message.markdown
        if len(content.encode()) > _WECOM_MAX_BYTES:
            cut = content.encode()[: _WECOM_MAX_BYTES - 64].decode(errors="ignore")
            content = cut.rsplit("\n", 1)[0] + "\n\n……（内容过长，请登录工作台查看全部）"
        return self.url, {"msgtype": "markdown", "markdown": {"content": content}}

    def check(self, answer: Any) -> str:
        return self._check_code(answer, "errcode")


class FeishuChannel(WebhookChannel):
    """A Feishu (飞书) custom bot: a rich-text post, signed when the bot has a secret."""

    name = "feishu"

    def request(self, message: Message, now: float) -> tuple[str, dict[str, Any]]:
        paragraphs: list[list[dict[str, str]]] = []
        for line in message.text.splitlines():
            link = _LINK_LINE.match(line)
            if link:
                paragraphs.append([{"tag": "a", "text": link.group(1), "href": link.group(2)}])
            elif line.strip():
                # a `text` element is shown literally: no <at> mentions, no markup
                paragraphs.append([{"tag": "text", "text": line}])
        body: dict[str, Any] = {
            "msg_type": "post",
            "content": {"post": {"zh_cn": {"title": message.subject, "content": paragraphs}}},
        }
        if self.secret:
            ts = int(now)
            body = {"timestamp": str(ts), "sign": feishu_sign(self.secret, ts), **body}
        return self.url, body

    def check(self, answer: Any) -> str:
        return self._check_code(answer, "code", "StatusCode")


_WEBHOOKS: dict[WebhookKind, type[WebhookChannel]] = {
    WebhookKind.dingtalk: DingTalkChannel,
    WebhookKind.wecom: WeComChannel,
    WebhookKind.feishu: FeishuChannel,
    WebhookKind.json: WebhookChannel,
}


def webhook_channel(hook: Webhook, env: Mapping[str, str] | None = None) -> WebhookChannel:
    """The channel for one configured webhook; ConfigError if its env vars are missing."""
    env = os.environ if env is None else env
    url = env.get(hook.url_env, "")
    if not url:
        raise ConfigError(f"{hook.kind} webhook: environment variable {hook.url_env} is not set")
    secret = None
    if hook.secret_env:
        secret = env.get(hook.secret_env) or None
        if secret is None:
            raise ConfigError(
                f"{hook.kind} webhook: environment variable {hook.secret_env} is not set"
            )
    try:
        return _WEBHOOKS[hook.kind](url, secret=secret, timeout=hook.timeout.total_seconds())
    except ValueError as e:
        raise ConfigError(f"{hook.kind} webhook ({hook.url_env}): {e}") from e


def department_channels(
    settings: NotifySettings, department: str, env: Mapping[str, str] | None = None
) -> tuple[list[Channel], tuple[str, ...]]:
    """(channels, email recipients) of one department; ([], ()) when it has none configured."""
    conf = settings.departments.get(department)
    if conf is None:
        return [], ()
    channels: list[Channel] = []
    if conf.emails and settings.smtp is not None:
        channels.append(EmailChannel.from_settings(settings.smtp, env))
    channels.extend(webhook_channel(h, env) for h in conf.webhooks)
    return channels, tuple(conf.emails)
