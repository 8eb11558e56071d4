"""Serving the app with uvicorn: in the foreground (``wirewatch serve``) or in a thread (``run``, tests, benches)."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from wirewatch.api.app import create_app
from wirewatch.logs import get_logger
from wirewatch.settings import Settings

log = get_logger("wirewatch.serve")
START_TIMEOUT_S = 10.0


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one (read it back from ``getsockname``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY on accepted connections only then, and without it every
    # response (headers, then body) waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def make_server(settings: Settings, redis_url: str,
                on_submit: Callable[[list[str]], None] | None = None) -> uvicorn.Server:  # fmt: skip
    app = create_app(settings, redis_url, on_submit)
    # limit_concurrency: with that many connections open, uvicorn answers a new request 503 and closes it, so
    # requests held open (slow bodies) cannot pile up until file descriptors run out and /healthz starves.
    # That 503 is uvicorn's own plain text (the request never reaches the app). A client that never finishes
    # its headers is not cut off by uvicorn at all: that needs a proxy with header timeouts (docs/http.md).
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=3,
        server_header=False, proxy_headers=False, limit_concurrency=settings.http.max_connections,
    )  # fmt: skip
    return uvicorn.Server(config)


def base_url(host: str, port: int) -> str:
    """``http://host:port`` of a bound socket, an IPv6 host in brackets."""
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


def serve(settings: Settings, redis_url: str, on_listening: Callable[[str], None] | None = None) -> None:
    """Serve in the foreground until SIGINT/SIGTERM (uvicorn's own handlers stop it gracefully). ``on_listening``
    is given the URL served, once the socket is bound (the port chosen, for port 0)."""
    sock = bind(settings.http.host, settings.http.port)
    host, port = sock.getsockname()[:2]
    server = make_server(settings, redis_url)

    def stop(*_: object) -> None:
        server.should_exit = True

    # Ours until uvicorn installs its own, and again after: uvicorn re-raises the signal it caught once it
    # has shut down, which with the default handlers would end the process with -SIGTERM instead of 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    url = base_url(host, port) + "/"
    log.info("http_listening", url=url)
    if on_listening is not None:
        on_listening(url)
    server.run(sockets=[sock])
    log.info("http_stopped")


@contextmanager
def serving(settings: Settings, redis_url: str,
            on_submit: Callable[[list[str]], None] | None = None) -> Iterator[str]:  # fmt: skip
    """The app served from a thread for the block; yields its base URL (``http://127.0.0.1:PORT``).
    ``on_submit`` is told the delivery ids of every accepted body (``wirewatch run``'s summary counts them)."""
    sock = bind(settings.http.host, settings.http.port)
    host, port = sock.getsockname()[:2]
    server = make_server(settings, redis_url, on_submit)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="wirewatch-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the HTTP server did not start on {host}:{port}")
        time.sleep(0.01)
    base = base_url(host, port)
    log.info("http_listening", url=base + "/")
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
