"""How every delivery ends: one outcome, recorded atomically and logged once.

Outcomes: ``emitted``, ``duplicate``, ``rejected:<reason>``, ``dead``. The settle script
(``wirewatch/lua/settle.lua``) is the only writer of outcomes: it clears the ledger entry, writes the
delivery's status record and counts the outcome in one step. Producers use it for what they refuse at the
door (a 50 MB file); the worker's emit stage uses its ``emit`` mode.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import redis

from wirewatch import constants as c
from wirewatch.logs import get_logger
from wirewatch.settings import Settings

SETTLE_LUA = resources.files("wirewatch").joinpath("lua/settle.lua").read_text(encoding="utf-8")
log = get_logger("wirewatch.outcome")


# What the settle script answers for a delivery another delivery of its message settled first.
ALREADY_SETTLED = "already_settled"
# What it answers when the payload processed was replaced by a newer submission of its delivery id: the newer
# payload stays in the ledger for its own trigger and gets the status (producers/submit.py). The old one's event,
# if it was new, is emitted all the same (its detail is then the stream entry); any other outcome is dropped.
SUPERSEDED = "superseded"


@dataclass(frozen=True)
class Settled:
    delivery_id: str
    outcome: str  # emitted | duplicate | rejected:<reason> | dead
    detail: str  # stream entry id, the id it duplicates, or the reason


@dataclass(frozen=True)
class Terminal:
    """An outcome that emits nothing: a duplicate found before enrichment, a rejection, a dead letter."""

    delivery_id: str
    outcome: str
    detail: str
    source: str = ""
    article_id: str = ""


class Outcomes:
    """Runs the settle script; one per process."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.script = client.register_script(SETTLE_LUA)

    def keys(self, delivery_id: str, url_hash: str, content_hash: str, article_id: str,
             story_keys: list[str] | None = None) -> list[str]:  # fmt: skip
        """The settle script's KEYS, the same for every mode; ``story_keys`` (emit mode only) go last."""
        return [
            c.url_claim_key(url_hash), c.text_claim_key(content_hash), c.article_key(article_id),
            self.settings.events_stream, c.LEDGER_PENDING, c.LEDGER_PAYLOAD, c.LEDGER_ATTEMPTS,
            c.status_key(delivery_id), c.STATS, c.DEAD_STREAM, c.DEAD_PAYLOAD, c.LEDGER_VERSION, c.DEDUP_RESERVED,
            *(story_keys or []),
        ]  # fmt: skip

    def args(self, mode: str, delivery_id: str, article_id: str, body: str, outcome: str, has_url: bool,
             source: str, version: str = "") -> list[Any]:  # fmt: skip
        """``version``: of the payload processed, as :func:`read_ledger` gave it ('' settles whatever is there)."""
        s = self.settings
        return [mode, delivery_id, article_id, body, outcome, "1" if has_url else "0", int(s.dedup.window),
                c.ARTICLE_TTL_S, c.STATUS_TTL_S, s.events_maxlen, int(time.time() * 1000), source, version]  # fmt: skip

    def settle_many(self, items: list[Terminal], refused: bool = False,
                    versions: Mapping[str, str] | None = None) -> list[Settled]:  # fmt: skip
        """Record and log each terminal outcome; nothing is emitted.

        ``refused``: the deliveries never reached the ledger (a producer turned them away at the door).
        Otherwise a delivery already settled by another delivery of its message is left as it was, and so is one
        whose payload was replaced since it was read (``versions``, from :func:`read_ledger`).
        """
        if not items:
            return []
        mode = "refuse" if refused else "settle"
        pipe = self.client.pipeline(transaction=False)
        for t in items:
            version = (versions or {}).get(t.delivery_id, "")
            self.script(
                keys=self.keys(t.delivery_id, "-", "-", "-"),
                args=self.args(mode, t.delivery_id, t.article_id, t.detail, t.outcome, False, t.source, version),
                client=pipe,
            )
        settled = []
        for t, reply in zip(items, pipe.execute(), strict=True):
            result = Settled(t.delivery_id, str(reply[0]), t.detail)
            log_outcome(result, t.source, t.article_id or None)
            settled.append(result)
        return settled


def log_outcome(settled: Settled, source: str | None, article_id: str | None = None) -> None:
    """The one log line that ends a delivery."""
    fields: dict[str, Any] = {"delivery_id": settled.delivery_id, "outcome": settled.outcome, "source": source}
    if article_id:
        fields["article_id"] = article_id
    if settled.outcome == ALREADY_SETTLED:
        log.info("delivery_already_settled", **fields)
    elif settled.outcome == SUPERSEDED:
        log.info("delivery_superseded", entry=settled.detail or None, **fields)
    elif settled.outcome == "emitted":
        log.info("article_emitted", entry=settled.detail, **fields)
    elif settled.outcome == "duplicate":
        log.info("article_duplicate", of=settled.detail, **fields)
    elif settled.outcome == "dead":
        log.error("article_dead", reason=settled.detail, **fields)
    else:
        log.warning("article_rejected", reason=settled.detail, **fields)


def read_ledger(client: redis.Redis, delivery_ids: list[str]) -> tuple[list[str | None], dict[str, str]]:
    """The payloads of deliveries (None where settled already) and the versions to settle them with."""
    if not delivery_ids:
        return [], {}
    pipe = client.pipeline(transaction=True)  # one moment: a payload and its version from the same submission
    pipe.hmget(c.LEDGER_PAYLOAD, delivery_ids)
    pipe.hmget(c.LEDGER_VERSION, delivery_ids)
    payloads, versions = pipe.execute()
    return payloads, {d: v for d, v in zip(delivery_ids, versions, strict=True) if v is not None}


def read_status(client: redis.Redis, delivery_ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """Status records of deliveries (None where there is none yet)."""
    if not delivery_ids:
        return {}
    raw = client.mget([c.status_key(d) for d in delivery_ids])
    return {d: (json.loads(r) if r else None) for d, r in zip(delivery_ids, raw, strict=True)}
