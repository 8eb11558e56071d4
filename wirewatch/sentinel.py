"""Redis behind Sentinel: a primary with replicas, and a failover that workers follow without a restart.

One URL names the Sentinels and the primary's service name::

    redis+sentinel://[[user]:password@]host[:port][,host[:port]…]/service[/db][?sentinel_password=…]

The password (and user) are the primary's; Sentinels that need their own take ``sentinel_password``. A port
left out is Sentinel's, 26379. Every client wirewatch opens from such a URL — the workers' and the API's
redis-py clients and Celery's broker connection (kombu's ``sentinel://`` transport) — asks the Sentinels for
the primary's address and asks again when a connection fails, so after a failover the next command goes to
the new primary. Scripts are loaded again on a ``NOSCRIPT`` reply by redis-py, so the new primary needs no
preparation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import redis
import redis.asyncio
import redis.asyncio.sentinel
import redis.sentinel

SCHEME = "redis+sentinel"
DEFAULT_PORT = 26379
# Sentinels answer from memory: a second without a reply is a Sentinel that is down, and the next one is asked.
SENTINEL_TIMEOUT_S = 1.0

_SERVICE = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


@dataclass(frozen=True)
class SentinelUrl:
    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None

    def sentinel_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"socket_timeout": SENTINEL_TIMEOUT_S, "socket_connect_timeout": SENTINEL_TIMEOUT_S}
        if self.sentinel_password:
            kwargs["password"] = self.sentinel_password
        return kwargs

    def primary_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"db": self.db}
        if self.username:
            kwargs["username"] = self.username
        if self.password:
            kwargs["password"] = self.password
        return kwargs


def is_sentinel_url(url: str) -> bool:
    return url[: len(SCHEME) + 3].lower() == f"{SCHEME}://"


def parse_sentinel_url(url: str) -> SentinelUrl:
    """Read a ``redis+sentinel://`` URL; raise ValueError saying what is wrong with it."""
    if not is_sentinel_url(url):
        raise ValueError(f"a Sentinel URL starts with {SCHEME}://")
    rest = url[len(SCHEME) + 3 :]
    netloc, _, tail = rest.partition("/")
    path, _, query = tail.partition("?")
    userinfo, at, hosts = netloc.rpartition("@")
    username = password = None
    if at:
        user, colon, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if colon else None
    sentinels = tuple(_host_port(part) for part in hosts.split(",") if part)
    if not sentinels:
        raise ValueError("a Sentinel URL names at least one Sentinel: redis+sentinel://host:26379/service")
    service, _, db_text = path.strip("/").partition("/")
    if not _SERVICE.match(service):
        raise ValueError("a Sentinel URL names the primary's service after the hosts: redis+sentinel://host/mymaster")
    if db_text and not db_text.isdigit():
        raise ValueError(f"the database after the service must be a number, not {db_text!r}")
    options = parse_qs(query)
    unknown = set(options) - {"sentinel_password"}
    if unknown:
        raise ValueError(f"unknown Sentinel URL option(s): {', '.join(sorted(unknown))}")
    sentinel_password = options.get("sentinel_password", [None])[0]
    return SentinelUrl(sentinels, service, int(db_text or 0), username, password, sentinel_password)


def _host_port(text: str) -> tuple[str, int]:
    parts = urlsplit(f"//{text}")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise ValueError(f"not a host[:port]: {text!r}") from None
    if not parts.hostname:
        raise ValueError(f"not a host[:port]: {text!r}")
    return parts.hostname, port


def primary_client(url: str, **kwargs: Any) -> redis.Redis:
    """A client of the primary the Sentinels name now, and after a failover the one they name then."""
    client: redis.Redis = _primary(redis.sentinel.Sentinel, url, kwargs)
    return client


def async_primary_client(url: str, **kwargs: Any) -> redis.asyncio.Redis:
    """`primary_client` for asyncio."""
    client: redis.asyncio.Redis = _primary(redis.asyncio.sentinel.Sentinel, url, kwargs)
    return client


def _primary(sentinel_class: Any, url: str, kwargs: dict[str, Any]) -> Any:
    parsed = parse_sentinel_url(url)
    sentinel = sentinel_class(list(parsed.sentinels), sentinel_kwargs=parsed.sentinel_kwargs())
    return sentinel.master_for(parsed.service, **parsed.primary_kwargs(), **kwargs)


def broker(url: str) -> tuple[str, dict[str, Any]]:
    """kombu's spelling of the URL (``sentinel://…;sentinel://…``) and the transport options it needs."""
    parsed = parse_sentinel_url(url)
    auth = ""
    if parsed.username or parsed.password:
        auth = f"{quote(parsed.username or '', safe='')}:{quote(parsed.password or '', safe='')}@"
    hosts = ";".join(f"sentinel://{auth}{_bracketed(host)}:{port}/{parsed.db}" for host, port in parsed.sentinels)
    return hosts, {"master_name": parsed.service, "sentinel_kwargs": parsed.sentinel_kwargs()}


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def redact(url: str) -> str:
    """The URL without its passwords, for logs and messages."""
    netloc, slash, rest = url[len(SCHEME) + 3 :].partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.partition(':')[0]}:***@{hosts}"
    rest = re.sub(r"(sentinel_password=)[^&]*", r"\1***", rest)
    return f"{url[: len(SCHEME) + 3]}{netloc}{slash}{rest}"
