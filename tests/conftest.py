"""Shared fixtures: a real throwaway Redis, a real Celery worker, factories, the corpus.

The Redis is the same ``redis-server`` binary the embedded mode runs, started once per test session on a
unix socket in a temp folder and flushed around each test. The worker is a real Celery worker
(``celery.contrib.testing.worker.start_worker``) consuming from that Redis in a thread of the test process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery.contrib.testing.worker import start_worker

from schemas import RawArticle
from wirewatch import logs
from wirewatch.logs import configure_logging
from wirewatch.outcomes import Outcomes
from wirewatch.queue import celery_app
from wirewatch.redis_server import connect, spawn_redis
from wirewatch.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def corpus_dir() -> Path:
    return Path(os.environ.get("WIREWATCH_CORPUS", REPO.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus; skipped where it is absent, except in CI, where its absence fails."""
    path = corpus_dir()
    if not path.is_dir():
        if CI:
            pytest.fail(f"corpus missing at {path} (CI must have ../shared/corpus)")
        pytest.skip(f"corpus not found at {path}")
    return path


@pytest.fixture(scope="session")
def seed_text(corpus: Path) -> str:
    return (corpus / "seed" / "000_e428d6fb5a08311a.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session", autouse=True)
def _logging() -> None:
    logs.CACHE_LOGGERS = False  # or capture_logs misses loggers first used elsewhere (wirewatch/logs.py)
    configure_logging("warning", "json")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway redis-server on a unix socket; yields its redis-py URL."""
    proc, url = spawn_redis(tmp_path_factory.mktemp("redis"))
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    client = connect(redis_server)
    client.flushall()
    yield redis_server
    client.flushall()
    client.close()


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    conn = connect(redis_url)
    yield conn
    conn.close()


@pytest.fixture
def settings(redis_url: str, tmp_path: Path) -> Settings:
    return load_settings(None, redis_url=redis_url, data_dir=str(tmp_path / "data"))


@pytest.fixture
def worker_app(settings: Settings, redis_url: str) -> Iterator[Any]:
    """A real Celery worker (solo pool, in a thread) running the pipeline against the test Redis."""
    from worker.app import create_app

    app = create_app(settings, redis_url)
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30):
        yield app
    app.close()


@pytest.fixture
def submit(client: redis.Redis, settings: Settings, redis_url: str) -> Iterator[Callable[..., list[str]]]:
    """Submit RawArticles through the real ledger and broker; returns their delivery ids."""
    from producers.submit import Submitter

    app = celery_app(redis_url)
    submitter = Submitter(client, app, Outcomes(client, settings), settings.batch_size)

    def _submit(*raws: RawArticle) -> list[str]:
        return submitter.submit(raws)

    yield _submit
    app.close()


@pytest.fixture
def make_worker(settings: Settings, redis_url: str) -> Iterator[Callable[..., Any]]:
    """A worker's dependencies (``worker.pipeline.Deps``) on a client of its own. ``before_emit`` runs once, just
    before its first emit is queued (its batch's alerts are queued, nothing of them written yet); ``before_settle``
    once, just before its first terminal settle (rejected, dead, duplicate found before enrichment): a race stopped
    at that point, between the payload read and the settle. ``emit_refused``: every emit's script fails inside its
    transaction, after the alerts queued before it ran (what a bug in the script would do)."""
    from wirewatch.outcomes import SETTLE_LUA
    from worker.pipeline import Deps

    conns: list[redis.Redis] = []

    def create(before_emit: Callable[[], None] | None = None, before_settle: Callable[[], None] | None = None,
               emit_refused: bool = False) -> Deps:  # fmt: skip
        conn = connect(redis_url)
        conns.append(conn)
        hooks = {mode: [hook] for mode, hook in (("emit", before_emit), ("settle", before_settle)) if hook}
        if hooks or emit_refused:
            real = conn.register_script

            def hooked(script: str) -> Any:
                runner = real(script)
                if script != SETTLE_LUA:
                    return runner

                def run(keys: list[str], args: list[Any], client: Any = None) -> Any:
                    pending = hooks.get(args[0])
                    if pending:
                        pending.pop()()
                    if emit_refused and args[0] == "emit":
                        return client.eval("return redis.error_reply('ERR emit refused by the test')", 0)
                    return runner(keys=keys, args=args, client=client)

                return run

            conn.register_script = hooked  # type: ignore[method-assign]
        return Deps.create(conn, settings)

    yield create
    for conn in conns:
        conn.close()
