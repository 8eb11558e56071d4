"""One exception hierarchy, named for what happens to the message."""

from __future__ import annotations


class WirewatchError(Exception):
    """Base of wirewatch's own errors."""


class Rejected(WirewatchError):
    """Raised when an article is bad input: it is logged with the reason, counted, and dropped (never retried).

    ``reason`` is a short snake_case word that becomes the outcome ``rejected:<reason>``.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class RetryLater(WirewatchError):
    """Raised when a step failed for a passing reason (Redis unreachable): the message is retried."""
