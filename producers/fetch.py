"""A bounded HTTP GET for feeds and article pages, and a bounded POST for webhooks: the only ways wirewatch
talks to the network.

Why urllib3 and not httpx: urllib3 is already installed with trafilatura and requests, it is synchronous
like the Celery tasks that call this, and its connection classes let us connect to an address *we* resolved
and vetted while still sending the real Host header, SNI and certificate check. That pinning is what makes
the private-address check hold: a name cannot resolve to a public address for the check and to 127.0.0.1 for
the connect (DNS rebinding). httpx would need a custom transport to do the same.

Bounds, all enforced here: a body size limit counted after decompression (a gzip bomb stops at the limit),
one total deadline for lookup + connect + headers + body (a watchdog shuts the socket when it passes, so a server
that trickles a byte per second cannot stretch it; a name lookup runs on a bounded pool of threads the fetch
stops waiting for, since getaddrinfo has no timeout), a redirect limit with every hop re-resolved and re-checked, a
content-type check, and http/https only.
"""

from __future__ import annotations

import contextlib
import heapq
import http
import http.client
import ipaddress
import itertools
import os
import queue
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urljoin, urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util.ssl_match_hostname import CertificateError

FETCH_DEADLINE_S = 30.0  # connect + headers + body, all of it
FETCH_CONNECT_TIMEOUT_S = 10.0  # one connect attempt, within the deadline
FETCH_MAX_REDIRECTS = 5
# Name lookups in flight at once, per process (see _Lookups). A healthy lookup holds its slot for milliseconds,
# a hung one until the system resolver gives up (30 s+), so all of them are taken only when nameservers hang.
DNS_LOOKUPS_MAX = 32
FEED_MAX_BYTES = 16 * 1024 * 1024  # after decompression; matches producers.feeds.FEED_MAX_BYTES
PAGE_MAX_BYTES = 5 * 1024 * 1024  # an article page for full text
RETRY_AFTER_MAX_S = 7 * 86_400  # a Retry-After further out than this is read as this
READ_CHUNK_BYTES = 64 * 1024
USER_AGENT = "wirewatch/0.1 (feed monitor)"

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
# The codings `_unpack` undoes, and so the only ones asked for. Not urllib3's list (`urllib3.util.request.
# ACCEPT_ENCODING`): urllib3 adds br and zstd to it when brotli or zstandard happens to be installed, but bodies
# are unpacked here, bounded, not by urllib3 (`_request`), and a br body would be refused as content_encoding.
ACCEPT_ENCODING = "gzip, deflate"


class FetchError(Exception):
    """Raised when a fetch yields no usable body; ``kind`` chooses the backoff, ``retry_after_s`` honours
    a server's Retry-After."""

    kind = "fetch"

    def __init__(self, message: str, *, status: int | None = None, retry_after_s: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


class FetchBadURL(FetchError):
    """Raised when a URL is not an absolute http(s) URL with a host."""

    kind = "bad_url"


class FetchBlocked(FetchError):
    """Raised when a host resolves to a private, loopback, link-local or otherwise non-public address and
    private networks are not allowed (SSRF guard)."""

    kind = "blocked"


class FetchDNSError(FetchError):
    """Raised when a host name does not resolve."""

    kind = "dns"


class FetchConnectError(FetchError):
    """Raised when no resolved address accepts a connection, or the connection breaks (TLS included)."""

    kind = "connect"


class FetchTLSError(FetchConnectError):
    """Raised when the TLS handshake fails: a certificate not accepted (untrusted, expired, for another name) or
    a server that does not speak TLS on that port. A fault that does not clear by itself in minutes."""

    kind = "tls"


class FetchTimeout(FetchError):
    """Raised when the total deadline passes."""

    kind = "timeout"


class FetchTooLarge(FetchError):
    """Raised when the body (after decompression) passes the size limit."""

    kind = "too_large"


class FetchBadEncoding(FetchError):
    """Raised when a compressed body cannot be unpacked (corrupt, or a coding that was not asked for)."""

    kind = "content_encoding"


class FetchBadContentType(FetchError):
    """Raised when the response's content type is not one the caller can use."""

    kind = "content_type"


class FetchTooManyRedirects(FetchError):
    """Raised when redirects pass the limit or loop."""

    kind = "redirects"


class FetchHTTPError(FetchError):
    """Raised on an HTTP error status; kind ``http_429``, ``http_410`` (Gone: removed for good, it says),
    ``http_5xx`` or ``http_4xx``. The message has the status's reason: ``HTTP 404 Not Found``."""

    def __init__(self, status: int, *, retry_after_s: float | None = None):
        super().__init__(_status_text(status), status=status, retry_after_s=retry_after_s)
        self.kind = {429: "http_429", 410: "http_410"}.get(status, "http_5xx" if status >= 500 else "http_4xx")


def _status_text(status: int) -> str:
    try:
        text = f"HTTP {status} {http.HTTPStatus(status).phrase}"
    except ValueError:  # a status no RFC names
        return f"HTTP {status}"
    return text + ": the server says it was removed for good" if status == 410 else text


def feed_content_type(content_type: str) -> bool:
    """Feeds come with every label: XML, RSS, Atom, JSON, text/*, octet-stream, or none at all. Media,
    archives and documents are refused."""
    main = content_type.split(";", 1)[0].strip().lower()
    if not main or main == "application/octet-stream" or main.startswith("text/"):
        return True
    return any(word in main for word in ("xml", "rss", "atom", "json"))


def page_content_type(content_type: str) -> bool:
    """An article page is HTML (or served without a type)."""
    main = content_type.split(";", 1)[0].strip().lower()
    return main in ("", "text/html", "application/xhtml+xml", "text/plain")


Resolver = Callable[[str, int], Sequence[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for a host, in its order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchDNSError(f"cannot resolve {host}: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class FetchPolicy:
    """The bounds of one kind of fetch."""

    max_bytes: int = FEED_MAX_BYTES
    deadline_s: float = FETCH_DEADLINE_S
    connect_timeout_s: float = FETCH_CONNECT_TIMEOUT_S
    max_redirects: int = FETCH_MAX_REDIRECTS
    allow_private_networks: bool = False
    allowed_networks: tuple[str, ...] = ()  # CIDRs allowed even when private ones are not, e.g. an intranet
    accept: str = FEED_ACCEPT
    content_type_ok: Callable[[str], bool] = feed_content_type
    user_agent: str = USER_AGENT
    resolver: Resolver = field(default=system_resolver, compare=False)


FEED_POLICY = FetchPolicy()
PAGE_POLICY = FetchPolicy(max_bytes=PAGE_MAX_BYTES, accept=PAGE_ACCEPT, content_type_ok=page_content_type)


@dataclass(frozen=True)
class FetchResult:
    """A fetched body, or a 304 (``not_modified``, empty body)."""

    url: str  # after redirects
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes
    elapsed_s: float
    not_modified: bool = False
    permanent_url: str | None = None  # where an all-permanent (301/308) redirect chain ended

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


def fetch(
    url: str,
    *,
    policy: FetchPolicy = FEED_POLICY,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    """GET ``url`` within ``policy``; a conditional GET when ``etag`` or ``last_modified`` is given."""
    start = time.monotonic()
    deadline = start + policy.deadline_s
    seen: set[str] = set()
    permanent: bool = True
    current = url
    for _hop in range(policy.max_redirects + 1):
        if current in seen:
            raise FetchTooManyRedirects(f"redirect loop at {current}")
        seen.add(current)
        status, headers, body = _request(current, policy, deadline, etag=etag, last_modified=last_modified)
        if status in (301, 302, 303, 307, 308):
            if not headers.get("location"):
                raise FetchHTTPError(status)
            permanent = permanent and status in (301, 308)
            try:
                current = urljoin(current, _location(headers["location"]))
            except ValueError as exc:  # e.g. an unclosed IPv6 bracket
                raise FetchBadURL(f"bad redirect from {current}: {exc}") from exc
            continue
        elapsed = time.monotonic() - start
        moved = current if permanent and current != url else None
        if status == 304:
            return FetchResult(current, status, headers, b"", elapsed, not_modified=True, permanent_url=moved)
        return FetchResult(current, status, headers, body, elapsed, permanent_url=moved)
    raise FetchTooManyRedirects(f"more than {policy.max_redirects} redirects from {url}")


def parse_retry_after(value: str | None, now: float | None = None, *, server_date: str | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3). A date is read against
    the answer's own ``Date`` (``server_date``) when it has a readable one: a server whose clock is off by hours
    means "two minutes" with a date two minutes past its own clock, not ours. Without one, against ``now``."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() alone accepts '1²', which float() refuses
        return min(float(value), RETRY_AFTER_MAX_S)
    when = _http_date(value)
    if when is None:
        return None
    base = _http_date(server_date) if server_date else None
    delta = when - (base if base is not None else time.time() if now is None else now)
    return min(max(delta, 0.0), RETRY_AFTER_MAX_S)


def _http_date(value: str) -> float | None:
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


# ------------------------------------------------------------------------------------------------ internals


# What stays as it is when a path or query is percent-encoded: the reserved characters and '%' itself, so a URL
# already encoded is left alone and only spaces, controls and non-ASCII (an IRI: `/f/a é`, `/категория/`) change.
_PATH_SAFE = "/%:@!$&'()*+,;=~"
_QUERY_SAFE = _PATH_SAFE + "?"


def _split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, request target) of an http(s) URL, as URI: the host in IDNA (ASCII), the path and
    query percent-encoded as UTF-8, since http.client sends neither raw non-ASCII nor spaces."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchBadURL(f"bad URL {url!r}: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchBadURL(f"not an absolute http(s) URL: {url!r}")
    if parts.username or parts.password:
        raise FetchBadURL("credentials in URLs are refused")
    host = parts.hostname
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise FetchBadURL(f"bad host name in {url!r}: {exc}") from exc
    path = quote(parts.path, safe=_PATH_SAFE) or "/"
    if parts.query:
        path += "?" + quote(parts.query, safe=_QUERY_SAFE)
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path


def _location(value: str) -> str:
    """A Location header as the server meant it: http.client decodes header bytes as Latin-1, so a raw UTF-8
    IRI arrives as mojibake; its bytes read as UTF-8 give the characters back (`_split_url` encodes them)."""
    value = value.strip()
    if not value.isascii():
        with contextlib.suppress(UnicodeError):
            value = value.encode("latin-1").decode("utf-8")
    return value


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4 address reached
# RFC 8215's local-use prefix, for a translator inside a network; deployed as a /96 it carries the IPv4 address in
# the last 32 bits like the well-known one (other prefix lengths put it elsewhere: the range is refused anyway
# unless private networks are allowed)
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d, still routed to a.b.c.d by some stacks


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a 6to4, NAT64 (well-known or local-use), IPv4-compatible or Teredo (the client) address
    carries: where a connection to it ends up. ``is_global`` calls 2002:7f00:1:: and 64:ff9b::7f00:1 public, though
    they lead to 127.0.0.1."""
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL or (ip in _IPV4_COMPATIBLE and int(ip) > 1):  # :: and ::1 are not IPv4
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def private_host(host: str) -> bool:
    """Whether a URL's host is written as an address a fetch refuses without allow_private_networks (loopback,
    private, link-local, shared, …: `_address_allowed`), or is a localhost name: a feed or webhook that can be
    told unreachable when it is added. A name is not resolved here: what it resolves to is checked at each fetch."""
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        try:  # the legacy IPv4 forms the resolver reads as an address: "127.1", "0177.0.0.1", "2130706433", "0"
            address = str(ipaddress.IPv4Address(socket.inet_aton(host)))
        except OSError:
            return False
    return not address_allowed(address, allow_private_networks=False)


def address_allowed(address: str, allow_private_networks: bool) -> bool:
    """Whether a fetch may connect to this IP address (IPv4 or IPv6 text), under the same rules as every fetch."""
    return _address_allowed(address, FetchPolicy(allow_private_networks=allow_private_networks))


def _address_allowed(address: str, policy: FetchPolicy) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d on the wire, nothing more
            ip = ip.ipv4_mapped
        else:  # both must pass: the IPv6 address and the IPv4 one it leads to
            embedded = _embedded_ipv4(ip)
            if embedded is not None and not _ip_allowed(embedded, policy):
                return False
    return _ip_allowed(ip, policy)


# Refused even with allow_private_networks (docs/decisions.md, "Security review"): link-local addresses, where
# every cloud's instance metadata service answers (169.254.169.254: AWS, GCP, Azure, OpenStack, DigitalOcean;
# it hands out the instance's credentials), and the metadata addresses that sit elsewhere (AWS's IPv6 one, and
# Alibaba's in the shared range). An intranet feed or receiver never lives there; a feed item's link or a
# redirect, which whoever publishes a feed chooses, could point there and have the answer published as an
# article. A CIDR in `allowed_networks` still allows them.
METADATA_NETWORKS = tuple(
    ipaddress.ip_network(net) for net in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32")
)


# The only IPv6 space IANA hands out as global unicast. `is_global` depends on the Python patch release
# (3.11.7 calls 64:ff9b:1::/48, the local-use NAT64 prefix, global; every release calls fec0::/10, the deprecated
# site-local range Linux still routes, global), so outside this prefix an IPv6 address is not public, whatever
# `is_global` says; 64:ff9b::/96 (well-known NAT64) is public when the IPv4 address it carries is.
_IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


def _ip_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, policy: FetchPolicy) -> bool:
    if any(ip in ipaddress.ip_network(net, strict=False) for net in policy.allowed_networks):
        return True
    if policy.allow_private_networks:
        return not ip.is_unspecified and not ip.is_multicast and not any(ip in net for net in METADATA_NETWORKS)
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _IPV6_GLOBAL_UNICAST and ip not in _NAT64:
        return False
    return ip.is_global and not ip.is_multicast


class _Lookups:
    """A few daemon threads shared by every fetch of the process run the name lookups, so that a fetch can stop
    waiting for one: getaddrinfo takes no timeout, and the system resolver's own (5 s × attempts × nameservers)
    can pass 30 s. A thread cannot be cancelled, so a lookup the fetch gave up on keeps its slot until the
    resolver returns; with `size` in flight, the next lookup is refused at once rather than queued behind hung
    ones or given a thread of its own. Daemon threads: a hung lookup must not hold up the process's exit."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._reset()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:  # a forked child (a prefork worker) has none of its parent's threads
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[Resolver, str, int, futures.Future[Sequence[str]]]] = queue.SimpleQueue()
        self.in_flight = 0  # handed to a thread, the resolver not yet returned
        self._threads = 0  # kept ≥ in_flight, so a lookup never waits for a thread

    def resolve(self, resolver: Resolver, host: str, port: int, timeout_s: float) -> list[str]:
        with self._lock:
            if self.in_flight >= self.size:
                raise FetchDNSError(
                    f"DNS lookup for {host} refused: {self.size} lookups already in flight (nameservers not answering)"
                )
            self.in_flight += 1
            start = self._threads < self.in_flight
            if start:
                self._threads += 1
        if start:
            try:
                threading.Thread(target=self._work, name="wirewatch-dns", daemon=True).start()
            except RuntimeError as exc:  # the process is out of threads
                with self._lock:
                    self.in_flight -= 1
                    self._threads -= 1
                raise FetchDNSError(f"DNS lookup for {host}: cannot start a lookup thread: {exc}") from exc
        future: futures.Future[Sequence[str]] = futures.Future()
        self._jobs.put((resolver, host, port, future))
        done, _ = futures.wait((future,), timeout=timeout_s)
        if not done:
            raise FetchDNSError(f"DNS lookup for {host} took longer than {timeout_s:.3g} s")
        return list(future.result())

    def _work(self) -> None:
        while True:
            resolver, host, port, future = self._jobs.get()
            try:
                future.set_result(resolver(host, port))
            except BaseException as exc:  # the caller's to raise, if it still waits; the thread lives on
                future.set_exception(exc)
            finally:
                with self._lock:
                    self.in_flight -= 1


_LOOKUPS = _Lookups(DNS_LOOKUPS_MAX)


def vetted_addresses(host: str, port: int, policy: FetchPolicy, *, deadline: float | None = None) -> list[str]:
    """The addresses to connect to: all of them must pass, one bad address refuses the host (a name that
    resolves to a public and a private address is an attack, not a misconfiguration). The lookup is bounded
    as a connect attempt is: by the connect timeout and what is left of ``deadline`` (monotonic; the policy's
    whole deadline from now when not given)."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        addresses = [str(literal)]
    except ValueError:
        if deadline is None:
            deadline = time.monotonic() + policy.deadline_s
        timeout = min(policy.connect_timeout_s, _remaining(deadline))
        addresses = _LOOKUPS.resolve(policy.resolver, host, port, timeout)
    if not addresses:
        raise FetchDNSError(f"{host} resolves to nothing")
    for address in addresses:
        if not _address_allowed(address, policy):
            what = "a link-local or cloud metadata address" if policy.allow_private_networks else "a non-public address"
            raise FetchBlocked(f"{host} resolves to {address}, {what}")
    return addresses


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchTimeout("deadline passed")
    return left


class _Watch:
    """One socket's deadline; ``fired`` tells the reader that the watchdog cut it."""

    __slots__ = ("active", "deadline", "fired", "sock")

    def __init__(self, sock: socket.socket | None, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.fired = False
        self.active = True

    def cancel(self) -> None:
        self.active = False


class _Watchdog:
    """One thread for every fetch of the process: at each deadline it shuts the socket down, whatever read
    is blocked on it. (A timer thread per fetch cost more than the conditional GET it guarded.)"""

    def __init__(self) -> None:
        self._reset()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, conn: HTTPConnection, seconds: float) -> _Watch:
        # the socket is held from the start: http.client drops conn.sock once a Connection: close reply begins
        entry = _Watch(conn.sock, time.monotonic() + seconds)
        with self._cond:
            heapq.heappush(self._heap, (entry.deadline, next(self._seq), entry))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="wirewatch-fetch-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()
        return entry

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and not self._heap[0][2].active:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait(timeout=60.0)
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(timeout=wait)
                    continue
                entry = heapq.heappop(self._heap)[2]
            entry.fired = True
            if entry.sock is not None:
                with contextlib.suppress(OSError):
                    entry.sock.shutdown(socket.SHUT_RDWR)


_WATCHDOG = _Watchdog()


_SSL_CONTEXT: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    global _SSL_CONTEXT
    if _SSL_CONTEXT is None:
        _SSL_CONTEXT = ssl.create_default_context()
    return _SSL_CONTEXT


class _FinalResponse(http.client.HTTPResponse):
    """An answer read past its interim 1xx ones. http.client skips a 100 Continue but took a 103 Early Hints or a
    102 Processing for the final answer: a feed behind a server that sends hints came back as status 103 with an
    empty body. Clients must read past any 1xx (RFC 9110 §15.2); a server sending them forever meets the deadline."""

    def _read_status(self) -> tuple[str, int, str]:
        version, status, reason = super()._read_status()  # type: ignore[misc]
        if 102 <= status < 200:  # 101 Switching Protocols is never asked for: left to fail as a final answer
            status = http.client.CONTINUE  # so `begin` skips its headers and reads the next status line
        return str(version), int(status), str(reason)


def _connect(scheme: str, host: str, port: int, policy: FetchPolicy, deadline: float) -> HTTPConnection:
    addresses = vetted_addresses(host, port, policy, deadline=deadline)
    last: Exception | None = None
    last_address = addresses[-1]
    for address in addresses:
        timeout = min(policy.connect_timeout_s, _remaining(deadline))
        conn: HTTPConnection
        if scheme == "https":
            conn = HTTPSConnection(
                address,
                port,
                timeout=timeout,
                server_hostname=host,
                assert_hostname=host,
                cert_reqs="CERT_REQUIRED",
                ssl_context=_ssl_context(),
            )
        else:
            conn = HTTPConnection(address, port, timeout=timeout)
        conn.response_class = _FinalResponse
        try:
            conn.connect()
            return conn
        except (OSError, Urllib3Error, CertificateError) as exc:  # CertificateError: a name mismatch, a ValueError
            conn.close()
            if time.monotonic() >= deadline:
                raise FetchTimeout(f"connect to {host} timed out") from exc
            tls = _tls_error(exc, f"{host}:{port}")
            if tls is not None:  # the next address serves the same certificate: no use trying it
                raise tls from exc
            last, last_address = exc, address
    if isinstance(last, (TimeoutError, socket.timeout)) or "timed out" in str(last):
        raise FetchTimeout(f"connect to {host} timed out: {last}") from last
    raise FetchConnectError(f"cannot connect to {host}:{port} ({last_address}): {_os_reason(last)}") from last


def _tls_error(exc: BaseException, where: str) -> FetchTLSError | None:
    """A failed TLS handshake as the user reads it: whose certificate and what is wrong with it (OpenSSL's own
    words: "self-signed certificate", "certificate has expired"), or what broke in the handshake; None when the
    failure is not TLS's (a refused or reset connection)."""
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return FetchTLSError(f"TLS certificate of {where} not accepted: {cause.verify_message or cause.reason}")
        if isinstance(cause, CertificateError):
            return FetchTLSError(f"TLS certificate of {where} not accepted: {cause}")
        if isinstance(cause, ssl.SSLError):
            reason = (cause.reason or str(cause)).replace("_", " ").lower()
            return FetchTLSError(f"TLS handshake with {where} failed: {reason}")
    return None


def _os_reason(exc: BaseException | None) -> str:
    """The system's word for a failed connect ("connection refused", "no route to host"), without urllib3's
    description of its connection object around it."""
    for cause in _causes(exc):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror[:1].lower() + cause.strerror[1:]
    return str(exc)


def _causes(exc: BaseException | None) -> list[BaseException]:
    """An exception and those it was raised from, outermost first (bounded: a cycle cannot loop)."""
    chain: list[BaseException] = []
    while exc is not None and len(chain) < 8:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def post(url: str, body: bytes, headers: dict[str, str], policy: FetchPolicy) -> tuple[int, dict[str, str]]:
    """POST ``body`` once (a webhook delivery) through the same vetted, pinned connection as `fetch`, within the
    policy's deadline; the answer's status and headers (names lower-cased). Redirects are not followed, and the
    answer's body is not read. An answer the deadline cut short is a timeout, even when its status came whole:
    http.client reads a status line or headers cut by the watchdog's shutdown as complete."""
    deadline = time.monotonic() + policy.deadline_s
    scheme, host, port, path = _split_url(url)
    conn = _connect(scheme, host, port, policy, deadline)
    sent = {"Host": _host_header(scheme, host, port), "User-Agent": policy.user_agent, "Connection": "close",
            **headers}  # fmt: skip
    watchdog = _WATCHDOG.watch(conn, _remaining(deadline))
    try:
        if conn.sock is not None:
            conn.sock.settimeout(_remaining(deadline))
        conn.request("POST", path, body=body, headers=sent, preload_content=False)
        response = conn.getresponse()
        if watchdog.fired:
            raise FetchTimeout(f"deadline passed reading the answer from {host}")
        return int(response.status), {k.lower(): v for k, v in response.headers.items()}
    except (OSError, Urllib3Error) as exc:
        raise _network_error(exc, watchdog.fired, deadline, f"posting to {host}") from exc
    except (http.client.HTTPException, ValueError, UnicodeError) as exc:
        if watchdog.fired:  # a status line cut short by the deadline reads as a broken one
            raise FetchTimeout(f"deadline passed posting to {host}") from exc
        raise _protocol_error(exc, f"posting to {host}") from exc
    finally:
        watchdog.cancel()
        conn.close()


def _host_header(scheme: str, host: str, port: int) -> str:
    if ":" in host:  # an IPv6 literal is bracketed in Host as in the URL (RFC 9110 §7.2, RFC 3986 §3.2.2)
        host = f"[{host}]"
    return host if port == (443 if scheme == "https" else 80) else f"{host}:{port}"


def _protocol_error(exc: Exception, doing: str) -> FetchError:
    """What http.client refusing the exchange is: a request it cannot send (a URL or header it cannot
    encode) is a bad URL; a reply too big to read (a header line over 64 KiB, over 100 header lines) is too
    large; any other unreadable reply (no status line, a bad chunk size) is a broken connection."""
    if isinstance(exc, (http.client.InvalidURL, UnicodeEncodeError)):
        return FetchBadURL(f"{type(exc).__name__} {doing}: {exc}")
    if isinstance(exc, http.client.LineTooLong) or "more than" in str(exc):
        return FetchTooLarge(f"{type(exc).__name__} {doing}: {exc}")
    return FetchConnectError(f"{type(exc).__name__} {doing}: {exc}")


def _network_error(exc: Exception, fired: bool, deadline: float, doing: str) -> FetchError:
    """What a socket or urllib3 error during a request is: past the deadline, a timeout, or a failed connection."""
    if fired or time.monotonic() >= deadline:
        return FetchTimeout(f"deadline passed {doing}")
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return FetchTimeout(f"timed out {doing}")
    return FetchConnectError(f"{type(exc).__name__} {doing}: {exc}")


def _request(
    url: str,
    policy: FetchPolicy,
    deadline: float,
    *,
    etag: str | None,
    last_modified: str | None,
) -> tuple[int, dict[str, str], bytes]:
    scheme, host, port, path = _split_url(url)
    conn = _connect(scheme, host, port, policy, deadline)
    headers = {
        "Host": _host_header(scheme, host, port),
        "User-Agent": policy.user_agent,
        "Accept": policy.accept,
        "Accept-Encoding": ACCEPT_ENCODING,
        "Connection": "close",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    watchdog = _WATCHDOG.watch(conn, _remaining(deadline))
    try:
        if conn.sock is not None:  # each read also ends by the deadline, the watchdog being the backstop
            conn.sock.settimeout(_remaining(deadline))
        # the body is unpacked here (`_unpack`), not by urllib3, which fails a feed labelled gzip and sent plain
        conn.request("GET", path, headers=headers, preload_content=False, decode_content=False)
        response = conn.getresponse()
        status = response.status
        names = _header_fields(response.headers.items())
        if status in (301, 302, 303, 307, 308, 304):
            return status, names, b""
        if status >= 400:
            retry = None
            if status in (429, 503):
                retry = parse_retry_after(names.get("retry-after"), server_date=names.get("date"))
            raise FetchHTTPError(status, retry_after_s=retry)
        if not policy.content_type_ok(names.get("content-type", "")):
            raise FetchBadContentType(f"content type {names.get('content-type')!r} refused for {url}")
        declared = names.get("content-length", "")
        if declared.isdigit() and int(declared) > policy.max_bytes:  # packed or not: unpacked is no smaller
            raise FetchTooLarge(f"Content-Length {declared} over {policy.max_bytes}")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = response.read(READ_CHUNK_BYTES, decode_content=False)
            if not chunk:
                break
            size += len(chunk)
            if size > policy.max_bytes:
                raise FetchTooLarge(f"body over {policy.max_bytes} bytes")
            chunks.append(chunk)
        if watchdog.fired:
            raise FetchTimeout(f"deadline passed reading {url}")
        return status, names, _unpack(b"".join(chunks), names.get("content-encoding", ""), policy.max_bytes, url)
    except FetchError:
        raise
    except (OSError, Urllib3Error) as exc:
        raise _network_error(exc, watchdog.fired, deadline, f"fetching {url}") from exc
    except (http.client.HTTPException, ValueError, UnicodeError) as exc:
        if watchdog.fired:  # a reply cut short by the deadline reads as a broken one
            raise FetchTimeout(f"deadline passed fetching {url}") from exc
        raise _protocol_error(exc, f"fetching {url}") from exc
    finally:
        watchdog.cancel()
        conn.close()


# Fields that are lists (RFC 9110 §5.3): sent on two lines they are one list. nginx's `expires` beside an
# `add_header Cache-Control public` sends `Cache-Control: max-age=3600` and `Cache-Control: public`; read line by
# line, the last one hid the max-age. Age is a singleton whose list form a cache reads by its first member.
_LIST_FIELDS = frozenset({"cache-control", "content-encoding", "age"})


def _header_fields(lines: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header lines as one value per name (lower-cased): a list field's lines joined, else the last line."""
    fields: dict[str, str] = {}
    for name, value in lines:
        key = name.lower()
        fields[key] = f"{fields[key]}, {value}" if key in _LIST_FIELDS and key in fields else value
    return fields


# ------------------------------------------------------------------------------------------ content codings

_GZIP_MAGIC = b"\x1f\x8b"
_PLAIN_START = (b"<", b"{", b"[", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")  # markup, JSON, a BOM
_UNREADABLE_CODINGS = frozenset({"br", "zstd", "compress", "x-compress"})  # not asked for, no decoder here


def _unpack(body: bytes, content_encoding: str, max_bytes: int, url: str) -> bytes:
    """The body with its content codings undone, last applied first, and held to ``max_bytes`` unpacked (a bomb
    stops there). Read as browsers and feed readers read it: a body labelled gzip or deflate that is plainly not
    packed (markup, JSON: a server that labels what it did not do) is taken as sent; a gzip file sent with no
    coding at all (an object store's upload without its metadata) is unpacked; a coding that is no compression
    (``identity``, a charset put there) is ignored. Corrupt packed data is a `FetchBadEncoding`."""
    unpacked = False
    for coding in reversed([c.strip().lower() for c in content_encoding.split(",")]):
        if coding in ("gzip", "x-gzip", "deflate"):
            if body.lstrip(b" \t\r\n").startswith(_PLAIN_START):
                continue
            body = _inflate(body, coding, max_bytes, url)
            unpacked = True
        elif coding in _UNREADABLE_CODINGS and not body.lstrip(b" \t\r\n").startswith(_PLAIN_START):
            raise FetchBadEncoding(f"the body of {url} is packed with {coding}, which was not asked for")
    if not unpacked and body.startswith(_GZIP_MAGIC):
        body = _inflate(body, "gzip", max_bytes, url)
    return body


def _inflate(data: bytes, coding: str, max_bytes: int, url: str) -> bytes:
    """Gzip (every member of a multi-member file) or deflate (zlib-wrapped, or raw as some servers send it);
    never more than ``max_bytes + 1`` bytes are unpacked. A stream cut short gives what it holds, as urllib3 did."""
    if coding != "deflate":  # gzip, or a zlib stream under a gzip label: the header tells which
        return _inflate_as(data, zlib.MAX_WBITS | 32, coding, max_bytes, url)
    if len(data) > 1 and data[0] & 0x0F == 8 and (data[0] * 256 + data[1]) % 31 == 0:  # a zlib header, it seems
        try:
            return _inflate_as(data, zlib.MAX_WBITS, coding, max_bytes, url)
        except FetchBadEncoding:  # raw deflate whose first bytes happen to read as one
            pass
    return _inflate_as(data, -zlib.MAX_WBITS, coding, max_bytes, url)


# The first piece of input fed to zlib for a gzip member after the first (`_inflate_as`); a gzip member's header
# and trailer alone are 18 bytes.
_MEMBER_PIECE_BYTES = 64


def _inflate_as(data: bytes, wbits: int, coding: str, max_bytes: int, url: str) -> bytes:
    """``data`` inflated member by member, at most ``max_bytes + 1`` bytes of output. zlib copies out whatever input
    is left after a member ends (``unused_data``): fed the rest of the body, each of 800,000 empty 20-byte members
    copied it (16 MB: four minutes of CPU per poll). So the first member, almost always the only one, is fed the
    whole body in one call, and each member after it pieces that start at 64 bytes and double: no member copies
    more than about twice what it used, besides the first's one copy of the rest."""
    view = memoryview(data)
    out: list[bytes] = []
    size = pos = 0
    piece_bytes = len(view)
    try:
        while pos < len(view):
            inflater = zlib.decompressobj(wbits)
            while not inflater.eof and pos < len(view):
                piece = view[pos : pos + piece_bytes]
                chunk = inflater.decompress(piece, max_bytes + 1 - size)
                size += len(chunk)
                if size > max_bytes:
                    raise FetchTooLarge(f"body over {max_bytes} bytes unpacked")
                out.append(chunk)
                pos += len(piece) - len(inflater.unconsumed_tail) - len(inflater.unused_data)
                piece_bytes *= 2
            # a stream cut short gives what it holds; after a whole member, another gzip member or bytes to ignore
            if not inflater.eof or bytes(view[pos : pos + 2]) != _GZIP_MAGIC:
                break
            piece_bytes = _MEMBER_PIECE_BYTES
    except zlib.error as exc:
        raise FetchBadEncoding(f"the {coding} body of {url} is corrupt: {exc}") from exc
    return b"".join(out)
