"""Typed models of the notification part of `sentinel.yaml` (mounted as `notify:`).

    notify:
      office: 区委网信办舆情值班室
      web_url: https://yq.example.gov.cn      # claim links in digests point here
      lead_office: wxb                         # gets every critical push too
      smtp:
        host: smtp.example.gov.cn
        port: 587
        sender: 舆情值班 <duty@example.gov.cn>
        username_env: SENTINEL_SMTP_USER
        password_env: SENTINEL_SMTP_PASSWORD
      departments:
        zjj:
          emails: [duty@zjj.example.gov.cn]
          webhooks:
            - {kind: dingtalk, url_env: ZJJ_DINGTALK_URL, secret_env: ZJJ_DINGTALK_SECRET}

Secrets — passwords, bot URLs (their access token is in the URL) and signing secrets — are
named here by environment variable, never written in YAML that goes into git.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum

from pydantic import AnyHttpUrl, Field, model_validator

from sentinel.config.base import ID_RE, Duration, Strict

ENV_RE = r"^[A-Za-z_][A-Za-z0-9_]*$"
_EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class SmtpSettings(Strict):
    host: str = Field(..., min_length=1, description="SMTP server name")
    port: int = Field(587, ge=1, le=65535, description="587 with STARTTLS, 465 with TLS, 25")
    sender: str = Field(..., min_length=3, description="From: header, e.g. 值班 <a@b.cn>")
    username_env: str | None = Field(None, pattern=ENV_RE, description="env var: login name")
    password_env: str | None = Field(None, pattern=ENV_RE, description="env var: password")
    starttls: bool = Field(True, description="upgrade the connection with STARTTLS")
    tls: bool = Field(False, description="implicit TLS from the first byte (port 465)")
    timeout: Duration = Field(timedelta(seconds=30), description="per SMTP operation")

    @model_validator(mode="after")
    def _consistent(self) -> SmtpSettings:
        if self.tls and self.starttls:
            raise ValueError("choose tls (implicit, port 465) or starttls, not both")
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError("username_env and password_env go together")
        return self


class WebhookKind(StrEnum):
    dingtalk = "dingtalk"
    wecom = "wecom"
    feishu = "feishu"
    json = "json"


class Webhook(Strict):
    kind: WebhookKind = Field(..., description="dingtalk, wecom, feishu or json")
    url_env: str = Field(..., pattern=ENV_RE, description="env var holding the bot's URL")
    secret_env: str | None = Field(
        None, pattern=ENV_RE, description="env var: signing secret (dingtalk, feishu)"
    )
    timeout: Duration = Field(timedelta(seconds=10), description="for the whole request")

    @model_validator(mode="after")
    def _secret_where_signed(self) -> Webhook:
        if self.secret_env and self.kind not in (WebhookKind.dingtalk, WebhookKind.feishu):
            raise ValueError(f"a {self.kind} webhook has no signing secret")
        return self


class DepartmentChannels(Strict):
    emails: list[str] = Field(default_factory=list, description="duty officers' addresses")
    webhooks: list[Webhook] = Field(default_factory=list, description="IM bots to post to")

    @model_validator(mode="after")
    def _emails(self) -> DepartmentChannels:
        bad = [e for e in self.emails if not _EMAIL_RE.match(e)]
        if bad:
            raise ValueError(f"not an email address: {', '.join(bad)}")
        return self


class NotifySettings(Strict):
    office: str = Field("舆情值班室", description="who the digests come from (shown in them)")
    web_url: AnyHttpUrl | None = Field(None, description="the web desk, for claim links")
    lead_office: str | None = Field(
        None, pattern=ID_RE, description="department that also gets every critical push"
    )
    smtp: SmtpSettings | None = Field(None, description="mail server; none: no email")
    departments: dict[str, DepartmentChannels] = Field(
        default_factory=dict, description="channels per department id"
    )

    @model_validator(mode="after")
    def _email_needs_smtp(self) -> NotifySettings:
        if self.smtp is None:
            with_mail = sorted(d for d, c in self.departments.items() if c.emails)
            if with_mail:
                raise ValueError(f"emails listed for {', '.join(with_mail)} but no smtp server")
        return self
