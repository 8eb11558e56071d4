"""Bearer tokens and the per-token rate limit, shared by the receiver and the read API.

Tokens come from settings (``http.tokens``, or ``WIREWATCH_HTTP__TOKENS`` as JSON). Only their SHA-256 digests
are kept in memory, and a presented token is compared against every digest in constant time, so neither
timing nor an early exit tells a caller how close a guess was. A token's scope is ``read``, ``submit`` (read,
and submit articles) or ``write`` (everything). With no token configured that may do a write, that write is
refused outright (403): an unconfigured receiver is closed, not open.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

import redis

from wirewatch import constants as c
from wirewatch.settings import ApiToken, Scope

# What each scope may do. Nested, narrowest first: a partner that only sends articles holds ``submit``, which
# cannot add a subscription (whose webhook would send our alerts anywhere) or remove one.
GRANTS: dict[Scope, frozenset[Scope]] = {
    "read": frozenset({"read"}),
    "submit": frozenset({"read", "submit"}),
    "write": frozenset({"read", "submit", "write"}),
}


@dataclass(frozen=True)
class Principal:
    """Who made a request: the token's configured name and what it may do."""

    name: str
    scope: Scope

    def may(self, needed: Scope) -> bool:
        return needed in GRANTS[self.scope]


class TokenTable:
    def __init__(self, tokens: list[ApiToken]) -> None:
        self._entries = [
            (hashlib.sha256(t.token.get_secret_value().encode()).digest(), t.name, t.scope) for t in tokens
        ]
        self._granted: frozenset[Scope] = frozenset().union(*(GRANTS[scope] for _, _, scope in self._entries))

    def grants(self, needed: Scope) -> bool:
        """Whether any configured token may do ``needed``."""
        return needed in self._granted

    def lookup(self, presented: str | None) -> Principal | None:
        """The principal a token stands for, or None. Compares against all entries without stopping early."""
        if not presented:
            return None
        digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
        found: Principal | None = None
        for known, name, scope in self._entries:
            if hmac.compare_digest(known, digest):
                found = Principal(name, scope)
        return found


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header (scheme case-insensitive), else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    remaining: int
    retry_after_s: int


class RateLimiter:
    """A fixed-window counter per token in Redis, so every API process shares one budget per token.

    Fixed windows let a client send up to twice the limit across a window boundary; that is acceptable for
    a guard against runaway clients, and costs one pipelined round trip (INCR + EXPIRE) per request.
    """

    def __init__(self, client: redis.Redis, limit: int, window_s: float) -> None:
        self.client = client
        self.limit = limit
        self.window_s = max(1, int(window_s))

    def hit(self, token_name: str, now: float | None = None) -> RateDecision:
        if self.limit <= 0:
            return RateDecision(True, 0, 0)
        now = time.time() if now is None else now
        window = int(now // self.window_s)
        key = c.rate_key(token_name, window)
        pipe = self.client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, self.window_s + 1)
        count = int(pipe.execute()[0])
        retry_after = max(1, int((window + 1) * self.window_s - now + 0.999))
        return RateDecision(count <= self.limit, max(0, self.limit - count), retry_after)
