"""Notifications: digests and critical pushes rendered with Jinja2, sent by channels.

No database here: the outbox dispatcher (elsewhere) decides what to send and retries.
"""

from __future__ import annotations

from sentinel.notify.channels import (
    Channel,
    Delivery,
    DingTalkChannel,
    EmailChannel,
    FeishuChannel,
    WebhookChannel,
    WeComChannel,
    department_channels,
    dingtalk_sign,
    feishu_sign,
    webhook_channel,
)
from sentinel.notify.digest import (
    Digest,
    DigestAlert,
    SourceNote,
    render_digest,
    render_digest_markdown,
    render_push,
    render_push_markdown,
)
from sentinel.notify.errors import DeliveryError
from sentinel.notify.message import Message, digest_message, push_message

__all__ = [
    "Channel",
    "Delivery",
    "DeliveryError",
    "Digest",
    "DigestAlert",
    "DingTalkChannel",
    "EmailChannel",
    "FeishuChannel",
    "Message",
    "SourceNote",
    "WeComChannel",
    "WebhookChannel",
    "department_channels",
    "digest_message",
    "dingtalk_sign",
    "feishu_sign",
    "push_message",
    "render_digest",
    "render_digest_markdown",
    "render_push",
    "render_push_markdown",
    "webhook_channel",
]
