"""The embedded Redis: a real server under the data folder that keeps its data and leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from wirewatch.redis_server import EmbeddedRedis, EmbeddedRedisError, connect, to_broker_url


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_start_persist_stop(tmp_path: Path) -> None:
    """Data written before a clean stop is there after the next start; no redis-server is left running."""
    server = EmbeddedRedis(tmp_path / "data")
    client = connect(server.start())
    assert server.process is not None
    pid = server.process.pid
    client.set("k", "v")
    info = client.config_get("appendonly")
    assert info == {"appendonly": "yes"}
    assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    client.close()
    server.stop()
    assert not _alive(pid)
    assert not server.socket_path.exists()
    again = EmbeddedRedis(tmp_path / "data")
    client = connect(again.start())
    assert client.get("k") == "v"
    client.close()
    again.stop()


def test_second_user_joins_and_does_not_stop_it(tmp_path: Path) -> None:
    """A second EmbeddedRedis on the same folder joins the running server and leaves it up for its owner."""
    owner = EmbeddedRedis(tmp_path / "data")
    url = owner.start()
    guest = EmbeddedRedis(tmp_path / "data")
    assert guest.start() == url and not guest.owned
    guest.stop()
    assert owner.process is not None and owner.process.poll() is None
    owner.stop()
    assert owner.process.poll() is not None


def test_the_last_user_out_stops_it_whoever_started_it(tmp_path: Path) -> None:
    """The starter stopping first leaves the server to the user that joined it (`wirewatch events` started
    Redis, `wirewatch run` joined while it ran); that user, the last one, shuts it down on its way out."""
    starter = EmbeddedRedis(tmp_path / "data")
    url = starter.start()
    assert starter.owned and starter.process is not None
    joined = EmbeddedRedis(tmp_path / "data")
    assert joined.start() == url and not joined.owned
    client = connect(url)
    client.set("k", "v")
    starter.stop()
    assert starter.process.poll() is None and client.get("k") == "v"
    client.close()
    joined.stop()
    assert starter.process.wait(timeout=10) == 0
    assert not starter.socket_path.exists()
    again = EmbeddedRedis(tmp_path / "data")
    client = connect(again.start())
    assert client.get("k") == "v", "shut down cleanly, AOF flushed"
    client.close()
    again.stop()


def test_owner_leaves_it_up_while_another_wirewatch_process_uses_it(tmp_path: Path) -> None:
    """The owner does not pull the server from under another wirewatch client (named ww-<pid>, a live process);
    one whose process has exited (our workers, stopped a moment before the server, still listed until the server
    reads their hang-up) does not keep it up: nobody would stop it later."""
    alive = subprocess.Popen(["sleep", "60"])
    try:
        owner = EmbeddedRedis(tmp_path / "data")
        url = owner.start()
        other = connect(url)
        other.client_setname(f"ww-{alive.pid}")
        owner.stop()
        assert other.ping()
        other.shutdown(nosave=False)
    finally:
        alive.kill()
        alive.wait()
    gone = subprocess.Popen(["true"])
    gone.wait()
    owner = EmbeddedRedis(tmp_path / "data2")
    url = owner.start()
    ghost = connect(url)
    ghost.client_setname(f"ww-{gone.pid}")
    owner.stop()
    assert _servers_on(tmp_path / "data2") == []


def test_long_data_dir_uses_short_socket(tmp_path: Path) -> None:
    """A data folder too deep for a unix socket path still works (the socket goes to the temp folder)."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    server = EmbeddedRedis(deep)
    assert len(str(server.socket_path)) <= 100
    client = connect(server.start())
    assert client.ping()
    client.close()
    server.stop()


@pytest.mark.parametrize(
    ("url", "broker"),
    [("unix:///tmp/a.sock?db=0", "redis+socket:///tmp/a.sock?virtual_host=0"),
     ("redis://h:6379/2", "redis://h:6379/2")],
)  # fmt: skip
def test_broker_url(url: str, broker: str) -> None:
    """kombu gets its own spelling of a unix socket URL."""
    assert to_broker_url(url) == broker


def _servers_on(folder: Path) -> list[str]:
    """The redis-server processes whose socket lives in ``folder``."""
    found = subprocess.run(["pgrep", "-f", f"redis-server.*{folder}"], capture_output=True, text=True).stdout
    return found.split()


def test_a_stalled_server_is_never_started_twice(tmp_path: Path) -> None:
    """A command that starts while the server is stalled (stopped, swapped out, a VM pause) never unlinks its
    socket and starts a second redis-server on the same AOF: it fails with a reason, and the server goes on."""
    owner = EmbeddedRedis(tmp_path / "data")
    url = owner.start()
    assert owner.process is not None
    client = connect(url)
    client.set("k", "v")
    os.kill(owner.process.pid, signal.SIGSTOP)
    try:
        guest = EmbeddedRedis(tmp_path / "data")
        with pytest.raises(EmbeddedRedisError, match="does not answer"):
            guest.start()
        assert _servers_on(tmp_path / "data") == [str(owner.process.pid)]
    finally:
        os.kill(owner.process.pid, signal.SIGCONT)
    assert owner.socket_path.exists() and client.get("k") == "v"
    client.close()
    owner.stop()


def test_a_damaged_aof_is_one_line_naming_the_file(tmp_path: Path) -> None:
    """An AOF damaged mid-file (a disk error, an editor) stops the start with one line naming the file and Redis's
    reason, not the last 300 characters of its log cut mid-word across several lines; nothing is left running."""
    server = EmbeddedRedis(tmp_path / "data")
    client = connect(server.start())
    client.set("k", "v")
    client.close()
    server.stop()
    aof = server.redis_dir / "wirewatch.aof"
    data = aof.read_bytes()
    aof.write_bytes(data.replace(b"*3\r\n$3\r\nSET", b"#3\r\n$3\r\nSET", 1))
    with pytest.raises(EmbeddedRedisError) as failed:
        EmbeddedRedis(tmp_path / "data").start()
    message = str(failed.value)
    assert "\n" not in message and str(aof) in message and "Bad file format" in message, message
    assert _servers_on(tmp_path / "data") == []
