"""Bearer tokens and the per-token rate limit, shared by the receiver and the read API.

Tokens come from settings (``http.tokens``, or ``WIREWATCH_HTTP__TOKENS`` as JSON). Only their SHA-256 digests
(and, for rate budgets, a short id derived from each: `token_id`) are kept in memory, and a presented token is
compared against every digest in constant time, so neither timing nor an early exit tells a caller how close a
guess was. A token's scope is ``read``, ``submit`` (read,
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


def token_id(token: str) -> str:
    """A stable, non-secret id of a token: what its rate budget is counted under. Names are not unique (two desks
    of a partner may share one), and the token itself must never reach a Redis key or a log line. A 64-bit prefix
    of a domain-separated SHA-256: no collision in any real table, and nothing to learn about the token from it
    that its full digest, which this process holds anyway, would not tell."""
    return "tok_" + hashlib.sha256(b"wirewatch-token-id\x00" + token.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True)
class Principal:
    """Who made a request: the token's configured name (for logs and answers), what it may do, and the token's id
    (`token_id`, for its rate budget)."""

    name: str
    scope: Scope
    token_id: str

    def may(self, needed: Scope) -> bool:
        return needed in GRANTS[self.scope]


class TokenTable:
    def __init__(self, tokens: list[ApiToken]) -> None:
        self._entries = [
            (hashlib.sha256(t.token.get_secret_value().encode()).digest(), Principal(t.name, t.scope,
             token_id(t.token.get_secret_value()))) for t in tokens
        ]  # fmt: skip
        self._granted: frozenset[Scope] = frozenset().union(*(GRANTS[p.scope] for _, p in self._entries))

    def grants(self, needed: Scope) -> bool:
        """Whether any configured token may do ``needed``."""
        return needed in self._granted

    def lookup(self, presented: str | None) -> Principal | None:
        """The principal a token stands for, or None. Compares against all entries without stopping early."""
        if not presented:
            return None
        digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
        found: Principal | None = None
        for known, principal in self._entries:
            if hmac.compare_digest(known, digest):
                found = principal
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
    first_refusal: bool = False  # the first request refused in its window: logged, the rest of a flood is not


class RateLimiter:
    """A fixed-window counter per budget in Redis (a token's id, or a client's address), so every API process shares
    one budget per token.

    Fixed windows let a client send up to twice the limit across a window boundary; that is acceptable for
    a guard against runaway clients, and costs one pipelined round trip (INCR + EXPIRE) per request.
    """

    def __init__(self, client: redis.Redis, limit: int, window_s: float) -> None:
        self.client = client
        self.limit = limit
        self.window_s = max(1, int(window_s))

    def hit(self, budget: str, now: float | None = None) -> RateDecision:
        """Count one request against ``budget`` (``token:<token id>`` or ``address:<peer>``: never a secret)."""
        if self.limit <= 0:
            return RateDecision(True, 0, 0)
        now = time.time() if now is None else now
        window = int(now // self.window_s)
        key = c.rate_key(budget, window)
        pipe = self.client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, self.window_s + 1)
        count = int(pipe.execute()[0])
        retry_after = max(1, int((window + 1) * self.window_s - now + 0.999))
        return RateDecision(count <= self.limit, max(0, self.limit - count), retry_after, count == self.limit + 1)
