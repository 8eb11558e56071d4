"""Webhook receivers out of the ordinary, against real local receivers: named by an IPv6 literal or an
internationalised name, every spelling of a loopback address a delivery must refuse, and one answering with a
huge body."""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from worker.webhooks import WebhookRefused, deliver, verify

SECRET = "s3cret-s3cret-s3cret"


class _Seen(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, dict[str, str], bytes]]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((self.path, dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class _V6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


@pytest.fixture
def receiver() -> Iterator[tuple[int, list[tuple[str, dict[str, str], bytes]]]]:
    """A receiver on both loopback addresses, 127.0.0.1 and ::1, at one port; yields it and the requests got."""
    seen: list[tuple[str, dict[str, str], bytes]] = []
    handler = type("Handler", (_Seen,), {"seen": seen})
    v4 = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = v4.server_address[1]
    v6 = _V6(("::1", port), handler)
    servers = (v4, v6)
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield port, seen
    for server in servers:
        server.shutdown()
        server.server_close()


def test_an_ipv6_literal_receiver_gets_its_alert(receiver: tuple[int, list[Any]]) -> None:
    """`http://[::1]:PORT/…` is posted to, with the literal bracketed in Host as the URL writes it, and signed."""
    port, seen = receiver
    assert deliver(f"http://[::1]:{port}/hook", b'{"id": "alr_6"}', SECRET, allow_private=True) == 204
    [(path, headers, body)] = seen
    assert path == "/hook" and headers["Host"] == f"[::1]:{port}" and body == b'{"id": "alr_6"}'
    assert verify(SECRET, headers["X-Wirewatch-Timestamp"], body, headers["X-Wirewatch-Signature"])


def test_an_internationalised_receiver_name_is_resolved_and_sent_as_punycode(
    receiver: tuple[int, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bücher.example` is looked up, and named in Host, as `xn--bcher-kva.example` (a Host header is ASCII)."""
    port, seen = receiver
    real, asked = socket.getaddrinfo, []

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        if host == "xn--bcher-kva.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", int(port)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    assert deliver(f"http://Bücher.example:{port}/hook", b"{}", SECRET, allow_private=True) == 204
    assert "xn--bcher-kva.example" in asked
    [(_, headers, _)] = seen
    assert headers["Host"] == f"xn--bcher-kva.example:{port}"


@pytest.mark.parametrize("host", [
    "127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0", "0.0.0.0", "localhost", "[::1]", "[::]",  # noqa: S104
    "[::ffff:127.0.0.1]", "[0:0:0:0:0:ffff:7f00:1]", "[::127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]",
])  # fmt: skip
def test_every_spelling_of_a_loopback_receiver_is_refused(receiver: tuple[int, list[Any]], host: str) -> None:
    """Decimal, octal, hex and short IPv4 forms, IPv4-mapped, -compatible, NAT64 and 6to4 IPv6 forms of the
    loopback: each resolves to an address that is not public, and is refused (never retried) with nothing sent,
    though a receiver answers on every loopback address of the port."""
    port, seen = receiver
    with pytest.raises(WebhookRefused, match="non-public"):
        deliver(f"http://{host}:{port}/hook", b"{}", SECRET, timeout_s=2)
    assert seen == []


def test_a_receiver_answering_with_a_huge_body_is_delivered_without_reading_it() -> None:
    """A 200 followed by a body of 200 MB (a receiver echoing a page, or hostile): the status is the answer; the
    body is never read, so the delivery takes no longer and holds no more memory than any other."""

    class Huge(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", str(200_000_000))
            self.end_headers()
            with contextlib.suppress(OSError):  # the worker hangs up after the status
                for _ in range(2_000):
                    self.wfile.write(b"x" * 100_000)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Huge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        assert deliver(f"http://127.0.0.1:{server.server_address[1]}/hook", b"{}", SECRET, allow_private=True) == 200
        assert time.monotonic() - started < 2
    finally:
        server.shutdown()
        server.server_close()
