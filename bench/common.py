"""What every benchmark shares: the corpus, a throwaway Redis, timing helpers, machine facts."""

from __future__ import annotations

import gzip
import json
import os
import platform
import shutil
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

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


def machine() -> dict[str, str]:
    import celery

    return {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
            "cores": str(os.cpu_count()), "celery": celery.__version__, "redis-py": redis.__version__}  # fmt: skip
