"""producers.fetch: bounded GETs against a real loopback server."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from producers import fetch as fetch_module
from producers.fetch import (
    DNS_LOOKUPS_MAX,
    FEED_POLICY,
    FetchBadContentType,
    FetchBadURL,
    FetchBlocked,
    FetchConnectError,
    FetchDNSError,
    FetchError,
    FetchHTTPError,
    FetchPolicy,
    FetchTimeout,
    FetchTooLarge,
    FetchTooManyRedirects,
    fetch,
    parse_retry_after,
    post,
    vetted_addresses,
)
from tests.producers.feed_server import FeedServer, etag_of, running_server

LOOPBACK = FetchPolicy(allow_private_networks=True)
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def test_fetches_a_corpus_feed_and_then_gets_304(feed_server: FeedServer, corpus: Path) -> None:
    """A feed is fetched whole; a second, conditional GET with its ETag gets 304 and no body."""
    body = (corpus / "feeds/miniflux/internal/reader/parser/testdata/encoding_WINDOWS-1251.xml").read_bytes()
    url = feed_server.set("/feed.xml", body)
    first = fetch(url, policy=LOOPBACK)
    assert first.status == 200 and first.body == body and not first.not_modified
    assert first.etag == etag_of(body) and first.last_modified
    second = fetch(url, policy=LOOPBACK, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.status == 304 and second.body == b""
    sent = feed_server.requests_for("/feed.xml")[-1].headers
    assert sent["if-none-match"] == first.etag
    assert sent["if-modified-since"] == first.last_modified
    assert "gzip" in sent["accept-encoding"]


def test_default_policy_refuses_loopback(feed_server: FeedServer) -> None:
    """Without allow_private_networks, 127.0.0.1 and localhost are refused before any connection."""
    url = feed_server.set("/feed.xml", RSS)
    with pytest.raises(FetchBlocked):
        fetch(url)
    with pytest.raises(FetchBlocked):
        fetch(url.replace("127.0.0.1", "localhost"), policy=FEED_POLICY)
    assert feed_server.log == []


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1", "192.168.1.1", "169.254.169.254", "::1", "::ffff:10.0.0.1", "fc00::1",
        "::7f00:1", "::a9fe:a9fe",  # IPv4-compatible: 127.0.0.1, 169.254.169.254
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "64:ff9b::7f00:1", "64:ff9b::a00:1",  # NAT64 of 127.0.0.1, 10.0.0.1
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
        "64:ff9b:1::7f00:1", "64:ff9b:1::a00:1",  # local-use NAT64 (RFC 8215), which Python 3.11.7 calls global
        "fec0::1", "5f00::1",  # site-local (deprecated, still routed), SRv6 SIDs: outside 2000::/3, yet "global"
    ],
)  # fmt: skip
def test_private_addresses_are_refused(address: str) -> None:
    """Private, link-local (cloud metadata), IPv6 loopback/ULA, private IPv4 addresses inside IPv6 ones
    (v4-mapped, IPv4-compatible, 6to4, NAT64, Teredo), and IPv6 outside global unicast are refused."""
    policy = FetchPolicy(resolver=lambda host, port: [address])
    with pytest.raises(FetchBlocked):
        fetch("http://feeds.example/rss", policy=policy)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::"])
def test_public_addresses_pass(address: str) -> None:
    """Public addresses pass, IPv6 forms of a public IPv4 address included."""
    assert vetted_addresses("feeds.example", 80, FetchPolicy(resolver=lambda host, port: [address])) == [address]


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254", "169.254.170.2",  # the metadata service of AWS/GCP/Azure/OpenStack; ECS task credentials
        "fd00:ec2::254", "100.100.100.200",  # AWS's IPv6 metadata address; Alibaba Cloud's
        "fe80::1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",  # IPv6 link-local; metadata inside IPv6
        "64:ff9b:1::a9fe:a9fe",  # metadata behind a local-use NAT64 prefix
    ],
)  # fmt: skip
def test_cloud_metadata_is_refused_even_with_private_networks_allowed(address: str) -> None:
    """allow_private_networks opens loopback and private ranges (intranets), not the link-local metadata service:
    a name resolving there is refused before any connection (it used to be fetched, and a feed item's link to
    it made the instance's credentials an article's text)."""
    policy = FetchPolicy(allow_private_networks=True, deadline_s=2.0, connect_timeout_s=1.0,
                         resolver=lambda host, port: [address])  # fmt: skip
    with pytest.raises(FetchBlocked, match="metadata"):
        fetch("http://metadata.test/latest/meta-data/iam/security-credentials/", policy=policy)


def test_private_networks_allowed_still_reach_intranets_and_named_link_local_ranges() -> None:
    """With allow_private_networks, private and loopback addresses pass; a link-local range passes only when
    `allowed_networks` names it."""
    for address in ("10.0.0.1", "192.168.1.1", "127.0.0.1", "::1", "fc00::1", "100.64.0.1"):
        policy = FetchPolicy(allow_private_networks=True, resolver=lambda host, port, a=address: [a])
        assert vetted_addresses("intranet.example", 80, policy) == [address]
    named = FetchPolicy(allow_private_networks=True, allowed_networks=("169.254.0.0/16",),
                        resolver=lambda host, port: ["169.254.10.1"])  # fmt: skip
    assert vetted_addresses("device.local", 80, named) == ["169.254.10.1"]


def test_one_private_address_among_public_ones_refuses_the_host() -> None:
    """Every resolved address is checked: a name resolving to a public and a private address is refused."""
    policy = FetchPolicy(resolver=lambda host, port: ["8.8.8.8", "10.0.0.1"])
    with pytest.raises(FetchBlocked):
        fetch("http://feeds.example/rss", policy=policy)


def test_every_redirect_hop_is_checked(feed_server: FeedServer) -> None:
    """A redirect from an allowed host to a private address is refused at that hop."""
    policy = FetchPolicy(allowed_networks=("127.0.0.0/8",))
    url = feed_server.url("/redirect?to=http://10.1.2.3/feed.xml")
    with pytest.raises(FetchBlocked):
        fetch(url, policy=policy)
    assert [s.path for s in feed_server.log] == ["/redirect"]


def test_name_is_sent_as_host_while_the_vetted_address_is_dialled(feed_server: FeedServer) -> None:
    """The connection goes to the resolved address; the Host header carries the name."""
    feed_server.set("/feed.xml", RSS)
    policy = FetchPolicy(allowed_networks=("127.0.0.0/8",), resolver=lambda host, port: ["127.0.0.1"])
    result = fetch(f"http://feeds.test:{feed_server.port}/feed.xml", policy=policy)
    assert result.body == RSS
    assert feed_server.log[-1].headers["host"] == f"feeds.test:{feed_server.port}"


def test_non_ascii_host_is_sent_in_idna() -> None:
    """A host name outside ASCII is looked up and sent in Host as its IDNA (xn--) form."""
    with running_server() as server:
        server.set("/feed.xml", RSS)
        looked_up: list[str] = []
        policy = FetchPolicy(
            allowed_networks=("127.0.0.0/8",), resolver=lambda h, p: looked_up.append(h) or ["127.0.0.1"]
        )
        assert fetch(f"http://пример.рф:{server.port}/feed.xml", policy=policy).body == RSS
        assert looked_up == ["xn--e1afmkfd.xn--p1ai"]
        assert server.log[-1].headers["host"] == f"xn--e1afmkfd.xn--p1ai:{server.port}"


def test_ipv6_literal_host_header_is_bracketed() -> None:
    """A feed at an IPv6 literal is fetched with Host: [addr]:port, as RFC 9110 writes it."""
    try:
        server_cm = running_server("::1")
        server = server_cm.__enter__()
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    try:
        url = server.set("/feed.xml", RSS)
        assert fetch(url, policy=LOOPBACK).body == RSS
        assert server.log[-1].headers["host"] == f"[::1]:{server.port}"
    finally:
        server_cm.__exit__(None, None, None)


@pytest.mark.parametrize(
    ("path", "sent"),
    [
        ("/f/a é", "/f/a%20%C3%A9"),
        ("/категория/feed", "/%D0%BA%D0%B0%D1%82%D0%B5%D0%B3%D0%BE%D1%80%D0%B8%D1%8F/feed"),
        ("/f/a%20b?q=é s&x=1", "/f/a%20b"),  # an escape already there is kept; the query is encoded too
    ],
)
def test_non_ascii_paths_are_percent_encoded(feed_server: FeedServer, path: str, sent: str) -> None:
    """A feed URL that is an IRI (spaces, non-ASCII) is requested with its path and query percent-encoded."""
    feed_server.set(sent, RSS)
    assert fetch(feed_server.url(path), policy=LOOPBACK).body == RSS
    assert feed_server.log[-1].path == sent


@pytest.mark.parametrize("location", [b"/f/a \xc3\xa9", b"/f/a \xe9"])
def test_redirect_to_a_raw_iri_is_followed(feed_server: FeedServer, location: bytes) -> None:
    """A Location with a space and raw non-ASCII bytes (UTF-8, or Latin-1) is followed, percent-encoded."""
    target = "/f/a%20%C3%A9"
    feed_server.set(target, RSS)
    url = feed_server.raw("/moved", b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n")
    assert fetch(url, policy=LOOPBACK).body == RSS
    assert feed_server.log[-1].path == target


@pytest.mark.parametrize("interim", [b"103 Early Hints\r\nLink: </s.css>; rel=preload", b"102 Processing"])
def test_interim_1xx_answers_are_read_past_to_the_final_one(feed_server: FeedServer, interim: bytes) -> None:
    """A 103 Early Hints or 102 before the 200 is skipped (RFC 9110 §15.2), as http.client skips a 100: the feed
    is the final answer's body (the interim one used to be taken as final: status 103, an empty body)."""
    final = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n" % len(RSS)
    url = feed_server.raw("/feed.xml", b"HTTP/1.1 " + interim + b"\r\n\r\n" + final + RSS)
    result = fetch(url, policy=LOOPBACK)
    assert (result.status, result.body) == (200, RSS)
    assert result.headers["content-type"] == "application/rss+xml"


def test_header_lines_given_twice_are_read_as_one_list(feed_server: FeedServer) -> None:
    """A list header sent on two lines (nginx's `expires` beside an `add_header Cache-Control`) is read whole, as
    RFC 9110 §5.3 combines it, not as its last line (Age too: its first member counts, RFC 9111 §5.1)."""
    reply = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nCache-Control: max-age=3600\r\n"
        b"Cache-Control: public\r\nAge: 10\r\nAge: 20\r\nContent-Length: %d\r\n\r\n" % len(RSS)
    ) + RSS
    result = fetch(feed_server.raw("/feed.xml", reply), policy=LOOPBACK)
    assert result.headers["cache-control"] == "max-age=3600, public"
    assert result.headers["age"] == "10, 20"
    assert result.body == RSS


def test_endless_interim_answers_end_at_the_deadline(feed_server: FeedServer) -> None:
    """A server that sends 1xx answers forever never gets its feed read past the total deadline."""
    policy = FetchPolicy(allow_private_networks=True, deadline_s=1.0)
    start = time.monotonic()
    with pytest.raises(FetchTimeout):
        fetch(feed_server.url("/interim?seconds=8"), policy=policy)
    assert time.monotonic() - start < 3.0


def test_redirect_to_an_unparseable_url_is_a_bad_url(feed_server: FeedServer) -> None:
    """A Location that is no URL at all (an unclosed IPv6 bracket) fails as bad_url."""
    url = feed_server.raw("/moved", b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n")
    with pytest.raises(FetchBadURL):
        fetch(url, policy=LOOPBACK)


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (b"this is not HTTP\r\n\r\n", FetchConnectError),  # BadStatusLine
        (b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", FetchTooLarge),  # LineTooLong
        (b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n", FetchTooLarge),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", FetchConnectError),  # bad chunk size
    ],
)
def test_replies_http_client_cannot_read_are_typed_fetch_errors(
    feed_server: FeedServer, reply: bytes, error: type[FetchError]
) -> None:
    """No status line, a header line over 64 KiB, over 100 headers, a broken chunk: each a typed FetchError."""
    url = feed_server.raw("/feed.xml", reply)
    with pytest.raises(error):
        fetch(url, policy=LOOPBACK)


def test_redirects_are_followed_and_permanent_moves_reported(feed_server: FeedServer) -> None:
    """A chain of 301s within the limit is followed; the final URL is reported as the permanent one."""
    feed_server.set("/feed.xml", RSS)
    result = fetch(feed_server.url("/chain?n=3"), policy=LOOPBACK)
    assert result.body == RSS
    assert result.permanent_url == feed_server.url("/feed.xml")


def test_temporary_redirects_do_not_move_the_feed(feed_server: FeedServer) -> None:
    """A 302 is followed but is not a permanent move."""
    feed_server.set("/feed.xml", RSS)
    result = fetch(feed_server.url(f"/redirect?code=302&to={feed_server.url('/feed.xml')}"), policy=LOOPBACK)
    assert result.body == RSS and result.permanent_url is None


def test_redirect_limit_and_loops(feed_server: FeedServer) -> None:
    """Past max_redirects, or in a loop, the fetch fails."""
    feed_server.set("/feed.xml", RSS)
    with pytest.raises(FetchTooManyRedirects):
        fetch(feed_server.url("/chain?n=6"), policy=LOOPBACK)
    with pytest.raises(FetchTooManyRedirects):
        fetch(feed_server.url("/loop"), policy=LOOPBACK)


def test_total_deadline_stops_a_trickling_server(feed_server: FeedServer) -> None:
    """A body trickled a byte at a time is cut at the total deadline, not at a per-read timeout."""
    policy = FetchPolicy(allow_private_networks=True, deadline_s=1.0)
    start = time.monotonic()
    with pytest.raises(FetchTimeout):
        fetch(feed_server.url("/slow?seconds=8"), policy=policy)
    assert time.monotonic() - start < 3.0


def test_size_limit_on_plain_and_compressed_bodies(feed_server: FeedServer) -> None:
    """Bodies past max_bytes fail, counted after decompression (a gzip bomb stops at the limit)."""
    policy = FetchPolicy(allow_private_networks=True, max_bytes=1_000_000)
    with pytest.raises(FetchTooLarge):
        fetch(feed_server.url("/big?bytes=2000000"), policy=policy)
    start = time.monotonic()
    with pytest.raises(FetchTooLarge):
        fetch(feed_server.url("/bomb?bytes=30000000"), policy=policy)
    assert time.monotonic() - start < 5.0


def test_content_type_check(feed_server: FeedServer) -> None:
    """An image is refused as a feed; a feed labelled text/html is accepted."""
    url = feed_server.set("/logo.png", b"\x89PNG....", content_type="image/png")
    with pytest.raises(FetchBadContentType):
        fetch(url, policy=LOOPBACK)
    url = feed_server.set("/mislabelled", RSS, content_type="text/html; charset=utf-8")
    assert fetch(url, policy=LOOPBACK).body == RSS


@pytest.mark.parametrize(
    ("status", "headers", "kind", "retry_after"),
    [
        (429, {"Retry-After": "120"}, "http_429", 120.0),
        (503, {"Retry-After": "30"}, "http_5xx", 30.0),
        (500, {}, "http_5xx", None),
        (404, {}, "http_4xx", None),
        (410, {}, "http_410", None),
    ],
)
def test_http_errors_carry_kind_and_retry_after(
    feed_server: FeedServer, status: int, headers: dict[str, str], kind: str, retry_after: float | None
) -> None:
    """Error statuses raise FetchHTTPError with the backoff kind and the server's Retry-After."""
    url = feed_server.set("/feed.xml", RSS)
    feed_server.fail("/feed.xml", status, headers=headers)
    with pytest.raises(FetchHTTPError) as info:
        fetch(url, policy=LOOPBACK)
    assert info.value.kind == kind and info.value.status == status
    assert info.value.retry_after_s == retry_after


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/feed",
        "file:///etc/passwd",
        "http:///nohost",
        "http://u:p@example.com/",
        "nonsense",
        "http://[::1",
        "http://é..é/feed",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    """Only absolute http(s) URLs with a host and no credentials are fetched."""
    with pytest.raises(FetchBadURL):
        fetch(url)


def test_unresolvable_host_is_a_dns_error() -> None:
    """A name that resolves to nothing is a DNS failure."""
    with pytest.raises(FetchDNSError):
        fetch("http://feeds.example/rss", policy=FetchPolicy(resolver=lambda host, port: []))


class HangingDNS:
    """`socket.getaddrinfo` for names under `.hang.example` blocks as a nameserver that never answers does (the
    system resolver gives up after its own timeouts, here 5 s); other names resolve as usual."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.waiting = 0
        self._lock = threading.Lock()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real = socket.getaddrinfo

        def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> object:
            if not str(host).endswith(".hang.example"):
                return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
            with self._lock:
                self.waiting += 1
            try:
                self.release.wait(5.0)
            finally:
                with self._lock:
                    self.waiting -= 1
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def hanging_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[HangingDNS]:
    dns = HangingDNS()
    dns.install(monkeypatch)
    yield dns
    dns.release.set()  # the lookup threads return, and their slots come back for the next test
    until = time.monotonic() + 5.0
    while fetch_module._LOOKUPS.in_flight and time.monotonic() < until:
        time.sleep(0.01)


@pytest.mark.parametrize(("deadline_s", "connect_timeout_s", "limit"), [(3.0, 0.5, "0.5"), (0.4, 10.0, "0.4")])
def test_a_dns_lookup_that_never_answers_fails_at_the_connect_timeout(
    hanging_dns: HangingDNS, deadline_s: float, connect_timeout_s: float, limit: str
) -> None:
    """A name whose nameserver never answers fails the fetch as a DNS error once the connect timeout (or the
    total deadline, if less is left) has passed, not when the system resolver gives up."""
    policy = FetchPolicy(deadline_s=deadline_s, connect_timeout_s=connect_timeout_s)
    start = time.monotonic()
    with pytest.raises(FetchDNSError, match=r"^DNS lookup for feeds\.hang\.example took longer than [\d.]+ s$") as info:
        fetch("http://feeds.hang.example/rss", policy=policy)
    assert time.monotonic() - start < float(limit) + 0.5
    # what was left of the deadline when the lookup began, on a loaded machine a few ms under it
    waited = float(str(info.value).rsplit(" ", 2)[-2])
    assert float(limit) - 0.1 < waited <= float(limit)


def test_a_webhook_post_to_a_name_that_never_resolves_fails_within_its_deadline(hanging_dns: HangingDNS) -> None:
    """`post` (webhook delivery) bounds the lookup by the same budget: the attempt ends at its deadline."""
    policy = FetchPolicy(deadline_s=0.5, connect_timeout_s=0.5)
    start = time.monotonic()
    with pytest.raises(FetchDNSError, match=re.escape("DNS lookup for hooks.hang.example took longer than 0.5 s")):
        post("https://hooks.hang.example/hook", b"{}", {}, policy)
    assert time.monotonic() - start < 1.0


def test_hanging_lookups_fill_a_bounded_pool_and_the_next_one_fails_fast(hanging_dns: HangingDNS) -> None:
    """A lookup the fetch gave up on keeps its thread until the resolver returns; once DNS_LOOKUPS_MAX of them
    hang, the next lookup fails at once with a clear error instead of queueing or starting another thread."""
    policy = FetchPolicy(deadline_s=1.0, connect_timeout_s=0.2)

    def hang(n: int) -> FetchError | None:
        try:
            fetch(f"http://feed{n}.hang.example/rss", policy=policy)
        except FetchError as exc:
            return exc
        return None

    threads_before = threading.active_count()
    with ThreadPoolExecutor(DNS_LOOKUPS_MAX) as pool:
        errors = list(pool.map(hang, range(DNS_LOOKUPS_MAX)))
    assert all(isinstance(e, FetchDNSError) and "took longer than" in str(e) for e in errors), errors
    assert hanging_dns.waiting == DNS_LOOKUPS_MAX  # all still blocked in the resolver
    start = time.monotonic()
    refused = f"DNS lookup for one-more.hang.example refused: {DNS_LOOKUPS_MAX} lookups already in flight"
    with pytest.raises(FetchDNSError, match=re.escape(refused)):
        fetch("http://one-more.hang.example/rss", policy=policy)
    assert time.monotonic() - start < 0.1
    assert threading.active_count() <= threads_before + DNS_LOOKUPS_MAX
    assert hanging_dns.waiting == DNS_LOOKUPS_MAX  # the refused lookup never reached the resolver
    hanging_dns.release.set()
    until = time.monotonic() + 5.0
    while fetch_module._LOOKUPS.in_flight and time.monotonic() < until:
        time.sleep(0.01)
    literal = FetchPolicy(resolver=lambda host, port: ["8.8.8.8"])
    assert vetted_addresses("feeds.example", 80, literal) == ["8.8.8.8"]  # the slots came back


def test_parse_retry_after() -> None:
    """Retry-After: seconds or an HTTP date, capped; garbage is ignored."""
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("90") == 90.0
    assert parse_retry_after(format_datetime(datetime(2026, 11, 29, 12, 5, tzinfo=UTC), usegmt=True), now) == 300.0
    assert parse_retry_after("99999999") == 7 * 86_400
    assert parse_retry_after("soon") is None
    assert parse_retry_after("1²") is None  # a digit to str.isdigit(), not to float()
    assert parse_retry_after(None) is None
