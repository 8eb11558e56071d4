"""A real HTTP server on loopback for fetch and poll tests: serves feeds with ETag / Last-Modified and
conditional GET, and misbehaves on demand (status codes, Retry-After, slow bodies, redirects, bombs, replies
that are not HTTP, 1xx answers that never end), over TLS with the certificate it is given."""

from __future__ import annotations

import gzip
import hashlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LAST_MODIFIED = "Sun, 29 Nov 2026 10:00:00 GMT"
SLOW_MAX_S = 10.0  # a slow body never trickles longer than this, whatever the test asks


@dataclass
class Route:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    validators: bool = True  # send ETag and Last-Modified, answer 304 to a matching conditional GET
    delay_s: float = 0.0  # wait this long before answering (a slow page)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    status: int


class FeedServer:
    """Routes are set by tests; every request is logged with its headers and the status sent."""

    def __init__(self, host: str = "127.0.0.1", *, tls: tuple[str, str] | None = None) -> None:
        """``tls``: (certificate file, key file), PEM; the server then speaks HTTPS only."""
        self.host = host
        self.scheme = "https" if tls else "http"
        self.routes: dict[str, Route] = {}
        self.raw_routes: dict[str, bytes] = {}
        self.failures: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.log: list[Seen] = []
        self._lock = threading.Lock()
        server_class = _IPv6Server if ":" in host else _Server
        self._httpd = server_class((host, 0), _handler(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            # the handshake runs in each request's thread (not in accept), so a failed one costs no other request
            self._httpd.socket = context.wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{path}"

    def set(self, path: str, body: bytes, **kwargs: object) -> str:
        self.routes[path] = Route(body, **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def raw(self, path: str, data: bytes) -> str:
        """Answer ``path`` with exactly these bytes, HTTP or not, and close the connection."""
        self.raw_routes[path] = data
        return self.url(path)

    def fail(self, path: str, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        """The next ``times`` requests for ``path`` get ``status`` (and headers) instead of the route."""
        self.failures.setdefault(path, []).extend([(status, headers or {})] * times)

    def requests_for(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.log if s.path == path]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog is 5: eight pollers at once overflowed it, and a dropped SYN is retried
    # after a second, which made the benchmark's bare-GET anchor swing from ~280 to ~1,800 GETs/s.
    request_queue_size = 128


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
            path = urlsplit(self.path).path
            with server._lock:
                server.log.append(Seen(path, {k.lower(): v for k, v in self.headers.items()}, status))
            if "Date" in headers:  # the test's clock, not ours (a server whose clock is off)
                self.send_response_only(status)
                self.send_header("Server", self.version_string())
            else:
                self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path, query = parts.path, parse_qs(parts.query)
            if path in server.raw_routes:
                with server._lock:
                    server.log.append(Seen(path, {k.lower(): v for k, v in self.headers.items()}, 0))
                self.close_connection = True
                self.wfile.write(server.raw_routes[path])
                return
            pending = server.failures.get(path)
            if pending:
                status, headers = pending.pop(0)
                self._send(status, headers)
                return
            if path == "/redirect":
                code = int(query.get("code", ["302"])[0])
                self._send(code, {"Location": query["to"][0]})
            elif path == "/loop":  # to itself, with the status asked for (302 unless told)
                status = query.get("code", ["302"])[0]
                self._send(int(status), {"Location": f"/loop?code={status}" if "code" in query else "/loop"})
            elif path == "/chain":
                left = int(query.get("n", ["1"])[0])
                target = f"/chain?n={left - 1}" if left > 1 else "/feed.xml"
                self._send(301, {"Location": target})
            elif path == "/slow":
                self._slow(float(query.get("seconds", ["5"])[0]))
            elif path == "/interim":
                self._interim(float(query.get("seconds", ["5"])[0]))
            elif path == "/big":
                self._send(200, {"Content-Type": "application/xml"}, b"<x>" + b"a" * int(query["bytes"][0]))
            elif path == "/bomb":
                body = gzip.compress(b"<rss>" + b" " * int(query["bytes"][0]), compresslevel=9)
                self._send(200, {"Content-Type": "application/xml", "Content-Encoding": "gzip"}, body)
            elif path in server.routes:
                self._route(server.routes[path])
            else:
                self._send(404, {"Content-Type": "text/plain"}, b"not found")

        def _route(self, route: Route) -> None:
            if route.delay_s:
                time.sleep(min(route.delay_s, SLOW_MAX_S))
            headers = {"Content-Type": route.content_type, **route.headers}
            if route.validators and route.status == 200:
                tag = etag_of(route.body)
                headers.update({"ETag": tag, "Last-Modified": LAST_MODIFIED})
                if self.headers.get("If-None-Match") == tag:
                    self._send(304, {"ETag": tag})
                    return
            self._send(route.status, headers, route.body)

        def _slow(self, seconds: float) -> None:
            """Headers at once, then one byte every 50 ms: each read is quick, the whole is not."""
            with server._lock:
                server.log.append(Seen("/slow", {}, 200))
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Connection", "close")
            self.end_headers()
            end = time.monotonic() + min(seconds, SLOW_MAX_S)
            try:
                self.wfile.write(b"<rss>")
                while time.monotonic() < end:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                return

        def _interim(self, seconds: float) -> None:
            """103 Early Hints answers, one every 10 ms, and never a final one."""
            with server._lock:
                server.log.append(Seen("/interim", {}, 103))
            self.close_connection = True
            end = time.monotonic() + min(seconds, SLOW_MAX_S)
            try:
                while time.monotonic() < end:
                    self.wfile.write(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
                    self.wfile.flush()
                    time.sleep(0.01)
            except OSError:
                return

    return Handler


@contextmanager
def running_server(host: str = "127.0.0.1", *, tls: tuple[str, str] | None = None) -> Iterator[FeedServer]:
    server = FeedServer(host, tls=tls)
    server.start()
    try:
        yield server
    finally:
        server.stop()
