"""structlog, configured once per process.

JSON lines off a terminal, a readable console on one. Standard-library loggers (Celery, kombu, redis) are
routed through the same processors, so every line a process writes has one shape. Context (task id, article
id, source) is bound with ``structlog.contextvars`` and appears on every line logged inside it.
"""

from __future__ import annotations

import logging
import logging.config
import re
import sys
from types import TracebackType
from typing import Any, TextIO

import structlog

_configured: tuple[str, str, bool] | None = None

# Keys whose values never reach a log line.
_SECRET_KEYS = frozenset({"secret", "token", "password", "authorization", "api_key"})
# The user-info of a URL (`redis://:pw@host`, `https://user:pw@feeds.example/rss`, `https://token@host/`),
# wherever it appears: a value, a message of another library, an exception's text.
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^\s/?#@\[\]]+)@")
# What a terminal acts on instead of showing: C0/C1 controls (ESC starts a sequence that can retitle the window,
# clear the screen or fake a line) and the bidi overrides that reorder what is shown.
_TERMINAL_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _hide_userinfo(match: re.Match[str]) -> str:
    user, colon, _ = match[2].partition(":")
    return f"{match[1]}{user}:[redacted]@" if colon else f"{match[1]}[redacted]@"


def redact_text(text: str) -> str:
    """``text`` with the credentials of any URL in it replaced by ``[redacted]`` (a user name before a
    password stays, to say whose it was)."""
    return _URL_USERINFO.sub(_hide_userinfo, text) if "@" in text and "://" in text else text


def _redact(_: Any, __: str, event_dict: structlog.types.EventDict) -> structlog.types.EventDict:
    for name in _SECRET_KEYS & event_dict.keys():
        event_dict[name] = "[redacted]"
    for name, value in event_dict.items():
        if isinstance(value, str):
            event_dict[name] = redact_text(value)
    return event_dict


def _escape_control(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _printable_event(_: Any, __: str, event_dict: structlog.types.EventDict) -> structlog.types.EventDict:
    """On the console, the message is printed as it is (the other values are repr'd when they hold controls): a
    message of another library that carries a sender's text (a title, a path) must not drive the terminal."""
    event = event_dict.get("event")
    if isinstance(event, str):
        event_dict["event"] = _TERMINAL_CONTROLS.sub(_escape_control, event)
    return event_dict


class _ConsoleTraceback:
    """A traceback for the console without the values of local variables (structlog's rich default shows them:
    the token a request presented, a webhook's secret), with URL credentials in exception messages redacted and
    their control characters escaped."""

    def __init__(self, colors: bool) -> None:
        self.colors = colors

    def __call__(self, sio: TextIO, exc_info: tuple[type[BaseException], BaseException, TracebackType | None]) -> None:
        from rich.console import Console
        from rich.traceback import Traceback

        tb = Traceback.from_exception(*exc_info, show_locals=False, word_wrap=True)
        for stack in tb.trace.stacks:
            stack.exc_value = _TERMINAL_CONTROLS.sub(_escape_control, redact_text(stack.exc_value))
        sio.write("\n")
        Console(file=sio, color_system="truecolor" if self.colors else None).print(tb)


# Each module's logger is built once, on its first use (structlog's cache_logger_on_first_use). A test session
# turns this off before anything logs: `structlog.testing.capture_logs` cannot see a logger cached before, or
# during, another capture, and in-process CLI commands configure logging again.
CACHE_LOGGERS = True


def configure_logging(level: str = "info", fmt: str = "auto", stream: Any = None) -> None:
    """Set up structlog and stdlib logging for this process. Calling it again with the same values is a no-op."""
    global _configured
    cache = CACHE_LOGGERS
    stream = stream or sys.stderr
    if fmt == "auto":
        fmt = "console" if stream.isatty() else "json"
    if _configured == (level, fmt, cache):
        return
    _configured = (level, fmt, cache)

    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
        shared += [structlog.processors.format_exc_info, _redact]  # the traceback's text is redacted too
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=stream.isatty(), exception_formatter=_ConsoleTraceback(stream.isatty())
        )
        shared += [_redact, _printable_event]

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=cache,
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
