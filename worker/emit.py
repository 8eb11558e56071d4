"""emit: append an ArticleEvent atomically, unless an exact copy was emitted first.

One call of the settle script (``wirewatch/lua/settle.lua``, mode ``emit``) per article: if neither the
canonical URL nor the normalised text is claimed by another copy (its own delivery's reservation, taken by
its alerts, is no other copy: ``worker/dedup.py``), claim both, XADD the event, store the article, clear the
ledger entry, write the status and count ``emitted`` — or settle as ``duplicate`` of the claim's holder.
A redelivered message finds its own claims, so it never emits twice. The calls are queued on the batch's
MULTI/EXEC behind its alerts (``worker/pipeline.py``): an alert and the emit of the article it names are written
together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import redis

from schemas import ArticleEvent
from wirewatch.outcomes import Outcomes, Settled, log_outcome
from worker.stories import STORY_TTL_S, story_keys


def queue_emits(outcomes: Outcomes, items: list[tuple[str, ArticleEvent, str | None, str]],
                versions: Mapping[str, str] | None, pipe: redis.client.Pipeline) -> None:  # fmt: skip
    """Queue on `pipe` one settle call per (delivery id, event, canonical-URL hash or None, source label), in order:
    each ends emitted or duplicate, read by :func:`emitted`.

    ``versions``: of the payloads processed (:func:`wirewatch.outcomes.read_ledger`); a delivery whose payload
    was replaced since is answered ``superseded``: a new article is emitted all the same, a duplicate records
    nothing, and the status and the ledger entry are left to the newer payload."""
    for delivery_id, event, url_hash, source in items:
        outcomes.script(
            keys=outcomes.keys(delivery_id, url_hash or "-", event.content_hash, event.id,
                               story_keys(event.story_id)),
            args=[*outcomes.args("emit", delivery_id, event.id, event.model_dump_json(by_alias=True), "",
                                 url_hash is not None, source, (versions or {}).get(delivery_id, "")),
                  event.story_id, event.title, event.source.name or event.source.domain or source, STORY_TTL_S,
                  outcomes.settings.dedup.story_articles, outcomes.settings.dedup.story_sources],
            client=pipe,
        )  # fmt: skip


def emitted(items: list[tuple[str, ArticleEvent, str | None, str]], replies: Sequence[Any]) -> list[Settled]:
    """How each queued emit ended (``replies``: the settle calls', in order), each logged once."""
    settled = []
    for (delivery_id, event, _, source), result in zip(items, replies, strict=True):
        done = Settled(delivery_id, str(result[0]), str(result[1]))
        log_outcome(done, source, event.id)
        settled.append(done)
    return settled
