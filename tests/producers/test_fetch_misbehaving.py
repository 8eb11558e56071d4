"""producers.fetch against real servers that misbehave as real feed servers do: a clock that is off, a wrong
Content-Encoding, a gzipped file served without one, a feed that is gone, a certificate that is not trusted, a port
that refuses. Every case is a real HTTP(S) exchange on loopback."""

from __future__ import annotations

import gzip
import shutil
import ssl
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from producers import fetch as fetch_module
from producers.fetch import FetchConnectError, FetchError, FetchHTTPError, FetchPolicy, fetch
from tests.conftest import CI
from tests.producers.feed_server import FeedServer, running_server

LOOPBACK = FetchPolicy(allow_private_networks=True)
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>a</title></item></channel></rss>'


@pytest.mark.parametrize(("status", "kind"), [(503, "http_5xx"), (429, "http_429")])
def test_a_retry_after_date_is_read_on_the_servers_clock(feed_server: FeedServer, status: int, kind: str) -> None:
    """A server whose clock is hours behind ours asks to be left alone for two minutes, as an HTTP date on its
    own clock: that is two minutes from now (was: a date in our past, so no wait at all)."""
    url = feed_server.set("/feed.xml", RSS)
    feed_server.fail("/feed.xml", status, headers={"Date": "Sun, 29 Nov 2026 10:00:00 GMT",
                                                   "Retry-After": "Sun, 29 Nov 2026 10:02:00 GMT"})  # fmt: skip
    with pytest.raises(FetchHTTPError) as info:
        fetch(url, policy=LOOPBACK)
    assert info.value.kind == kind and info.value.retry_after_s == 120.0


def test_a_retry_after_date_without_a_server_date_is_read_on_our_clock(feed_server: FeedServer) -> None:
    """No usable Date from the server: our clock is all there is (a date long past means no wait)."""
    url = feed_server.set("/feed.xml", RSS)
    feed_server.fail("/feed.xml", 503, headers={"Date": "yesterday", "Retry-After": "Sun, 29 Nov 2020 10:02:00 GMT"})
    with pytest.raises(FetchHTTPError) as info:
        fetch(url, policy=LOOPBACK)
    assert info.value.retry_after_s == 0.0


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate"])
def test_a_plain_body_labelled_compressed_is_read_as_it_is(feed_server: FeedServer, encoding: str) -> None:
    """A server that says gzip (or deflate) and sends the feed uncompressed: the feed is read (was: a
    `connect` failure at every poll, "DecodeError ... incorrect header check")."""
    url = feed_server.set("/feed.xml", RSS, headers={"Content-Encoding": encoding})
    assert fetch(url, policy=LOOPBACK).body == RSS


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(RSS)),
        ("x-gzip", gzip.compress(RSS)),
        ("deflate", zlib.compress(RSS)),
        ("deflate", zlib.compress(RSS)[2:-4]),  # raw deflate, as some servers send it
        ("gzip, gzip", gzip.compress(gzip.compress(RSS))),
        ("GZIP", gzip.compress(RSS)),
        ("identity", RSS),
        ("UTF-8", RSS),  # a charset where the encoding goes: ignored, as browsers do
    ],
)
def test_compressed_bodies_are_unpacked(feed_server: FeedServer, encoding: str, body: bytes) -> None:
    url = feed_server.set("/feed.xml", body, headers={"Content-Encoding": encoding})
    assert fetch(url, policy=LOOPBACK).body == RSS


def test_a_gzipped_file_served_without_content_encoding_is_unpacked(feed_server: FeedServer) -> None:
    """A feed stored gzipped and served without Content-Encoding (an object store's upload without the
    metadata) is unpacked: it used to reach the parser as binary and fail as `parse` at every poll."""
    url = feed_server.set("/feed.xml", gzip.compress(RSS), content_type="application/octet-stream")
    assert fetch(url, policy=LOOPBACK).body == RSS


def test_a_gzipped_bomb_without_content_encoding_stops_at_the_limit(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", gzip.compress(b"<rss>" + b" " * 5_000_000), content_type="application/xml")
    with pytest.raises(FetchError) as info:
        fetch(url, policy=FetchPolicy(allow_private_networks=True, max_bytes=1_000_000))
    assert info.value.kind == "too_large"


def test_a_corrupt_gzip_body_is_a_clear_failure(feed_server: FeedServer) -> None:
    body = gzip.compress(RSS)
    url = feed_server.set("/feed.xml", body[:12] + b"\xff" * 40 + body[52:], headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError) as info:
        fetch(url, policy=LOOPBACK)
    assert info.value.kind == "content_encoding"
    assert "gzip" in str(info.value) and "DecodeError" not in str(info.value)


def test_a_feed_that_is_gone_says_so(feed_server: FeedServer) -> None:
    """410 Gone: a kind of its own (the feed is not coming back by itself), and a message with the reason."""
    url = feed_server.set("/feed.xml", RSS)
    feed_server.fail("/feed.xml", 410)
    with pytest.raises(FetchHTTPError) as info:
        fetch(url, policy=LOOPBACK)
    assert info.value.kind == "http_410" and info.value.status == 410
    assert str(info.value) == "HTTP 410 Gone: the server says it was removed for good"


@pytest.mark.parametrize(("status", "message"), [(404, "HTTP 404 Not Found"), (403, "HTTP 403 Forbidden"),
                                                 (502, "HTTP 502 Bad Gateway"), (599, "HTTP 599")])  # fmt: skip
def test_http_errors_say_their_reason(feed_server: FeedServer, status: int, message: str) -> None:
    url = feed_server.set("/feed.xml", RSS)
    feed_server.fail("/feed.xml", status)
    with pytest.raises(FetchHTTPError, match=f"^{message}$"):
        fetch(url, policy=LOOPBACK)


def test_a_refused_connection_says_where_and_why() -> None:
    """Nothing listens: the host, port and the system's reason, without urllib3's object dump."""
    with pytest.raises(FetchConnectError) as info:
        fetch("http://feeds.test:9/rss", policy=FetchPolicy(allow_private_networks=True,
                                                            resolver=lambda host, port: ["127.0.0.1"]))  # fmt: skip
    assert info.value.kind == "connect"
    assert str(info.value) == "cannot connect to feeds.test:9 (127.0.0.1): connection refused"


# ------------------------------------------------------------------------------------------------------ TLS


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A test CA and a certificate it signed for feeds.test, made with the openssl command."""
    if shutil.which("openssl") is None:
        if CI:  # CI has it: a missing openssl there is a broken machine, not a pass
            pytest.fail("the openssl command is not installed")
        pytest.skip("the openssl command is not installed")
    folder: Path = tmp_path_factory.mktemp("tls")
    files = {name: str(folder / f"{name}.pem") for name in ("ca", "ca_key", "cert", "key", "csr")}
    ext = folder / "san.cnf"
    ext.write_text("subjectAltName=DNS:feeds.test\n")
    for command in (
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", files["ca_key"], "-out", files["ca"], "-days",
         "2", "-subj", "/CN=wirewatch test CA"],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", files["key"], "-out", files["csr"], "-subj",
         "/CN=feeds.test"],
        ["x509", "-req", "-in", files["csr"], "-CA", files["ca"], "-CAkey", files["ca_key"], "-CAcreateserial",
         "-out", files["cert"], "-days", "2", "-extfile", str(ext)],
    ):  # fmt: skip
        subprocess.run(["openssl", *command], check=True, capture_output=True)
    return files


@pytest.fixture
def tls_server(certificates: dict[str, str]) -> Iterator[FeedServer]:
    with running_server(tls=(certificates["cert"], certificates["key"])) as server:
        server.set("/feed.xml", RSS)
        yield server


@pytest.fixture
def trusting_the_test_ca(certificates: dict[str, str]) -> Iterator[None]:
    """The process's trust store with the test CA in it (the system's store, as a deployment configures it)."""
    saved = fetch_module._SSL_CONTEXT
    fetch_module._SSL_CONTEXT = ssl.create_default_context(cafile=certificates["ca"])
    yield
    fetch_module._SSL_CONTEXT = saved


def _at_loopback() -> FetchPolicy:
    return FetchPolicy(allow_private_networks=True, resolver=lambda host, port: ["127.0.0.1"])


def test_an_untrusted_certificate_is_a_tls_failure_that_says_why(tls_server: FeedServer) -> None:
    """`feeds list` shows `error:tls` and the certificate's fault, not `connect` and an OpenSSL dump."""
    with pytest.raises(FetchConnectError) as info:
        fetch(f"https://feeds.test:{tls_server.port}/feed.xml", policy=_at_loopback())
    assert info.value.kind == "tls"
    assert str(info.value) == (f"TLS certificate of feeds.test:{tls_server.port} not accepted: "
                               "unable to get local issuer certificate")  # fmt: skip


@pytest.mark.usefixtures("trusting_the_test_ca")
def test_a_certificate_for_another_name_is_a_tls_failure(tls_server: FeedServer) -> None:
    """A valid certificate for another host name (a CDN's, a parked domain's): a `tls` failure naming both
    (was: urllib3's CertificateError, a ValueError, escaped the fetch and the poll was scored `internal`)."""
    with pytest.raises(FetchConnectError) as info:
        fetch(f"https://other.test:{tls_server.port}/feed.xml", policy=_at_loopback())
    assert info.value.kind == "tls"
    assert str(info.value) == (f"TLS certificate of other.test:{tls_server.port} not accepted: "
                               "hostname 'other.test' doesn't match 'feeds.test'")  # fmt: skip
    assert fetch(f"https://feeds.test:{tls_server.port}/feed.xml", policy=_at_loopback()).body == RSS


def test_https_to_a_port_that_speaks_plain_http_is_a_tls_failure(feed_server: FeedServer) -> None:
    feed_server.set("/feed.xml", RSS)
    with pytest.raises(FetchConnectError) as info:
        fetch(f"https://feeds.test:{feed_server.port}/feed.xml", policy=_at_loopback())
    assert info.value.kind == "tls"
    assert str(info.value) == f"TLS handshake with feeds.test:{feed_server.port} failed: wrong version number"
