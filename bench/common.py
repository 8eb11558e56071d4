"""What every benchmark shares: the corpus, a throwaway Redis, timing helpers, machine facts."""

from __future__ import annotations

import gzip
import json
import os
import platform
import shutil
import statistics
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from schemas import RawArticle, RawSource, utcnow
from wirewatch import constants as c
from wirewatch.redis_server import spawn_redis

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("WIREWATCH_CORPUS", REPO.parent / "shared" / "corpus"))


def scrapinghub() -> list[dict[str, Any]]:
    """The 181 scrapinghub pages: url, gold body, and the gzipped HTML."""
    root = CORPUS / "articles" / "scrapinghub-aeb"
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    out = []
    for key, item in sorted(truth.items()):
        html_path = root / "html" / f"{key}.html.gz"
        out.append({"key": key, "url": item["url"], "body": item["articleBody"],
                    "html": gzip.decompress(html_path.read_bytes()).decode("utf-8", errors="replace")})  # fmt: skip
    return out


def seed_format(title: str, url: str, body: str, source: str = "Bench Wire") -> str:
    """An article in the seed's markdown format."""
    return (f"# {title}\n\nPublished at: **2024-05-01T10:00:00+00:00**\n\nAuthor: **Bench Writer**\n\n"
            f"Original: [{source}]({url})\n\n{body}\n")  # fmt: skip


def raw_articles(contents: list[str], content_type: str = "text", urls: list[str] | None = None) -> list[RawArticle]:
    """One RawArticle per content, each with a fresh delivery id, from a source named "bench"."""
    return [RawArticle(delivery_id=uuid.uuid4().hex, source=RawSource(kind="other", name="bench"),
                       content_type=content_type, content=content, url=urls[i] if urls else None,
                       received_at=utcnow()) for i, content in enumerate(contents)]  # fmt: skip


def write_ledger(client: redis.Redis, items: list[RawArticle]) -> None:
    """The ledger payloads, as a producer writes them, so ``worker.pipeline.process`` can be called on their ids
    directly (not timed by the benchmarks: that is the producer's cost)."""
    client.hset(c.LEDGER_PAYLOAD, mapping={raw.delivery_id: raw.model_dump_json(by_alias=True) for raw in items})


@contextmanager
def throwaway_redis() -> Iterator[str]:
    """A fresh redis-server (the embedded binary) on a unix socket, no persistence."""
    folder = Path(tempfile.mkdtemp(prefix="ww-bench-"))
    proc, url = spawn_redis(folder)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


def pct(values: list[float], p: float) -> float:
    """The value at fraction ``p`` (0..1) of the sorted values (the element at index ⌊p·n⌋, capped)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def machine() -> dict[str, str]:
    import celery

    return {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
            "cores": str(os.cpu_count()), "celery": celery.__version__, "redis-py": redis.__version__}  # fmt: skip
