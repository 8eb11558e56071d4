"""The worker's Celery consumer: Celery's own, saying clearly when Redis refuses writes as it cannot write to disk.

Redis that cannot write its AOF (a full or read-only disk) answers write commands, BRPOP and the consumer's acks
included, with a MISCONF error reply until it can write again. ``broker_channel_error_retry`` (wirewatch/queue.py)
makes the consumer reconnect with backoff on such a reply instead of ending the worker; this class only adds the
line that says why, once per loss of the connection: Celery's own says ``Connection to broker lost ...
(server:ResponseError)``, without the reason. Its retries then log ``Cannot connect to ...: MISCONF ...`` until
Redis takes writes again, and ``Connected to ...`` when it does.
"""

from __future__ import annotations

from celery.worker.consumer import Consumer as CeleryConsumer

from wirewatch.logs import get_logger
from wirewatch.redis_server import cannot_persist, cannot_persist_reason
from wirewatch.settings import Settings

log = get_logger("wirewatch.worker")


def report_cannot_persist(error: BaseException, settings: Settings, url: str) -> None:
    """Log ``broker_cannot_persist``: where Redis keeps its data (the embedded server's folder, else its URL), its
    reason (the text after MISCONF), and what the worker does. Named apart from the runner's ``redis_cannot_persist``
    (same cause, seen by `run`): under `run` both are logged, each by the process that met it."""
    log.error("broker_cannot_persist", reason=cannot_persist_reason(error, settings, url),
              action="reconnecting with backoff (up to 30 s apart); consuming resumes by itself once Redis takes "
                     "writes again")  # fmt: skip


class Consumer(CeleryConsumer):  # type: ignore[misc]  # celery ships no type hints
    """Celery's consumer, logging ``broker_cannot_persist`` when the connection is lost to a MISCONF reply."""

    def on_connection_error_after_connected(self, exc: Exception) -> None:
        if cannot_persist(exc):
            conf = self.app.conf
            report_cannot_persist(exc, conf.wirewatch_settings, conf.wirewatch_redis_url)
        super().on_connection_error_after_connected(exc)
