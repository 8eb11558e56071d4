"""structlog, configured once per process.

JSON lines off a terminal, a readable console on one. Standard-library loggers (Celery, kombu, redis) are
routed through the same processors, so every line a process writes has one shape. Context (task id, article
id, source) is bound with ``structlog.contextvars`` and appears on every line logged inside it.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from typing import Any

import structlog

_configured: tuple[str, str] | None = None

# Keys whose values never reach a log line.
_SECRET_KEYS = frozenset({"secret", "token", "password", "authorization", "api_key"})


def _redact(_: Any, __: str, event_dict: structlog.types.EventDict) -> structlog.types.EventDict:
    for name in _SECRET_KEYS & event_dict.keys():
        event_dict[name] = "[redacted]"
    return event_dict


def configure_logging(level: str = "info", fmt: str = "auto", stream: Any = None) -> None:
    """Set up structlog and stdlib logging for this process. Calling it again with the same values is a no-op."""
    global _configured
    stream = stream or sys.stderr
    if fmt == "auto":
        fmt = "console" if stream.isatty() else "json"
    if _configured == (level, fmt):
        return
    _configured = (level, fmt)

    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    renderer: structlog.types.Processor
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=stream.isatty())

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Chatty libraries stay at warning unless we debug.
    for noisy in ("trafilatura", "htmldate", "courlan", "charset_normalizer", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if level == "debug" else logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
