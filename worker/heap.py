"""Keep the cyclic garbage collector off the long-lived heap of a worker.

A worker holds a large heap that lives as long as it does: the language model, the gazetteer and name lists,
and the compiled subscriptions (about 190,000 tracked objects with 10,000 subscriptions). CPython's
collector walks all of it at every full collection, several times a minute under load: 0.82 s of 9.2 s in the
in-process benchmark, a full collection costing about 0.2 s. `freeze` moves what is alive now out of the
collector's sight (`gc.freeze`), after one collection so that no garbage is frozen with it. Frozen objects are
still freed by reference counting when dropped; only a reference cycle among them would outlive its use, and
the structures frozen here (tables, compiled queries) hold none.

The young generation is collected once ``YOUNG_COLLECTION_EVERY`` more containers are allocated than freed, not
700 as CPython's default: a batch allocates and frees hundreds of thousands of short-lived containers (tokens,
hits, events), almost all freed by reference counting, and every young collection walks whatever of them is
alive at that moment. In the
in-process benchmark (10,000 subscriptions) the collector took 0.33–0.39 s of ~9 s with the default
thresholds and 0.05–0.06 s with these (three alternating runs each; peak memory 282 against 279 MB).
"""

from __future__ import annotations

import gc
import time

from wirewatch.logs import get_logger

log = get_logger("wirewatch.heap")

YOUNG_COLLECTION_EVERY = 50_000


def freeze(reason: str, *, once: bool = False) -> None:
    """Collect once, exempt every object alive now from later collections, and space out young collections.

    ``once``: only if nothing is frozen yet (a process that builds several pipelines, as tests do, pays once).
    """
    if once and gc.get_freeze_count():
        return
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, 20, 100)
    log.info("heap_frozen", reason=reason, objects=gc.get_freeze_count(),
             seconds=round(time.perf_counter() - started, 3))  # fmt: skip
