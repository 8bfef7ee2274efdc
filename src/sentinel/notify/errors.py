"""Errors of the notify layer (part of the tree drawn in sentinel.errors).

SentinelError
└── DeliveryError      a channel did not take the message (retried by the outbox)
"""

from __future__ import annotations

from sentinel.errors import SentinelError


class DeliveryError(SentinelError):
    """The notification could not be delivered."""

    def __init__(self, message: str | None = None, *, channel: str = "", target: str = "") -> None:
        self.channel = channel
        self.target = target  # host:port or bot name: never a URL with its token
        super().__init__(message)
