"""runner: what a scan of the inbox hands to the workers."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import redis

from wirewatch import constants as c
from wirewatch.runner import started
from wirewatch.settings import load_settings


def _queued_batches(client: redis.Redis) -> list[list[str]]:
    """The delivery ids of each message waiting on the ingest queue, oldest first."""
    messages: list[str] = client.lrange(c.INGEST_QUEUE, 0, -1)  # type: ignore[assignment]
    batches = []
    for message in reversed(messages):  # kombu pushes on the left
        args, _, _ = json.loads(base64.b64decode(json.loads(message)["body"]))
        batches.append(args[0]["delivery_ids"])
    return batches


def test_files_of_one_scan_share_messages(client: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    """Single-article files read in one scan go to the workers batch_size to a message, not one message per
    file; refused files are settled at once and never queued."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(20):
        (inbox / f"{i:02d}.txt").write_text(f"Headline {i}\n\nBody of article number {i}.\n", encoding="utf-8")
    (inbox / "records.jsonl").write_text("".join(json.dumps({"title": f"R{i}", "text": f"Record {i}."}) + "\n"
                                                 for i in range(5)), encoding="utf-8")  # fmt: skip
    (inbox / "scan.pdf").write_bytes(b"%PDF-1.4")
    settings = load_settings(None, redis_url=redis_url, data_dir=str(tmp_path / "data"), batch_size=8,
                             inbox=[{"path": str(inbox)}])  # fmt: skip
    with started(settings, with_worker=False) as runner:
        assert runner.read_inboxes(settle=False) == 26
        batches = _queued_batches(client)
        assert [len(b) for b in batches] == [8, 8, 8, 1]
        queued = {d for b in batches for d in b}
        assert len(queued) == 25 and queued < runner.tally.unsettled
        assert len(runner.tally.unsettled - queued) == 1  # the refused PDF, settled without a message
        assert client.hgetall(c.STATS) == {"rejected:unsupported_type": "1"}
