"""Keep the cyclic garbage collector off the long-lived heap of a worker.

A worker holds a large heap that lives as long as it does: the language model, the gazetteer and name lists,
and the compiled subscriptions (about 190,000 tracked objects with 10,000 subscriptions). CPython's
collector walks all of it at every full collection, several times a minute under load: 0.82 s of 9.2 s in the
in-process benchmark, a full collection costing about 0.2 s. `freeze` moves what is alive now out of the
collector's sight (`gc.freeze`), after one collection so that no garbage is frozen with it. Frozen objects are
still freed by reference counting when dropped; only a reference cycle among them would outlive its use, and
the structures frozen here (tables, compiled queries) hold none.
"""

from __future__ import annotations

import gc
import time

from wirewatch.logs import get_logger

log = get_logger("wirewatch.heap")


def freeze(reason: str, *, once: bool = False) -> None:
    """Collect once, then exempt every object alive now from later collections.

    ``once``: only if nothing is frozen yet (a process that builds several pipelines, as tests do, pays once).
    """
    if once and gc.get_freeze_count():
        return
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    log.info("heap_frozen", reason=reason, objects=gc.get_freeze_count(),
             seconds=round(time.perf_counter() - started, 3))  # fmt: skip
