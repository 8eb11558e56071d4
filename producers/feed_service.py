"""The shell around the feed core: config sync, the scheduler tick, one-pass polling, OPML.

- `sync_feeds` puts the ``feeds:`` of the config into the schedule (feeds added at run time stay).
- `tick` is the scheduler: it claims the due feeds and sends one poll task each to the ``feeds`` queue;
  any number of schedulers may tick at once (the claim is atomic).
- `poll_all_once` is ``run --once``: every feed polled once, in this process, a few at a time.
- `read_opml` / `write_opml`: subscription lists in and out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

import redis
from lxml import etree

from producers.fetch import FetchPolicy, private_host
from producers.poll import PollOutcome, poll_feed
from producers.schedule import FEED_URL_MAX_CHARS, FeedRecord, FeedSchedule, HostGate, feed_url
from schemas.models import RawArticle
from wirewatch.logs import get_logger

log = get_logger("wirewatch.feeds")

ONCE_PARALLEL_POLLS = 8  # polls at once in `run --once` (the host gate still spaces each host)
TICK_MAX_CLAIMS = 500  # feeds claimed per tick
OPML_MAX_BYTES = 5 * 1024 * 1024
OPML_MAX_FEEDS = 50_000


@dataclass(frozen=True)
class FeedConfig:
    """What the config says about one feed (mirrors settings.FeedSource without importing settings)."""

    url: str
    name: str | None = None
    interval: float | None = None
    full_text: bool = False


def fetch_policy(allow_private_networks: bool) -> FetchPolicy:
    return FetchPolicy(allow_private_networks=allow_private_networks)


def refused_feed_url(url: str, allow_private_networks: bool) -> str | None:
    """Why a feed at ``url`` would never be fetched, known when it is added: its host is written as a loopback,
    private or link-local address, or is localhost, and the deployment does not allow private networks. Taken, it
    failed at every poll (the fetch refuses the address), seen only in `feeds list`'s errors. None when it may be
    fetched; a host name is resolved and checked at each poll."""
    if allow_private_networks:
        return None
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None  # the URL's own check says what is wrong with it
    if not private_host(host):
        return None
    return ("a feed at a loopback, private or link-local address is never fetched without allow_private_networks "
            "(set it to watch a feed on your own network)")  # fmt: skip


def sync_feeds(schedule: FeedSchedule, feeds: Iterable[Any]) -> int:
    """Add (or update) every configured feed; return how many there are."""
    count = 0
    for feed in feeds:
        schedule.add(
            feed.url, name=feed.name, interval_s=feed.interval, full_text=bool(feed.full_text), origin="config"
        )
        count += 1
    return count


def tick(schedule: FeedSchedule, send: Callable[[dict[str, str]], Any], now: float | None = None) -> int:
    """Claim the due feeds and hand each to ``send`` (a Celery send on the feeds queue); return how many."""
    claims = schedule.claim_due(now=now, limit=TICK_MAX_CLAIMS)
    for claim in claims:
        send({"url": claim.url, "token": claim.token})
    if claims:
        log.info("feeds_claimed", count=len(claims))
    return len(claims)


def poll_all_once(
    client: redis.Redis,
    enqueue: Callable[[Sequence[RawArticle]], Any],
    policy: FetchPolicy,
    *,
    urls: Sequence[str] | None = None,
    parallel: int = ONCE_PARALLEL_POLLS,
) -> list[PollOutcome]:
    """Poll each feed once now, whatever its schedule (``run --once``); a feed whose host is busy waits
    for its turn here rather than being deferred."""
    schedule = FeedSchedule(client)
    gate = HostGate(client)
    targets = list(urls if urls is not None else schedule.urls())

    def one(url: str) -> PollOutcome:
        deadline = time.monotonic() + 300
        while True:
            claim = schedule.claim(url)
            if claim is None:
                return PollOutcome(url, "busy")
            result = poll_feed(schedule, gate, claim, enqueue, policy=policy)
            wait = max((result.next_poll_at or time.time()) - time.time(), 0.05)
            if result.outcome != "deferred" or time.monotonic() + wait > deadline:
                return result
            # the whole wait: the host gave this poll its turn then, and asking sooner only gives it a later one
            time.sleep(wait)

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(one, targets))


# --------------------------------------------------------------------------------------------------- OPML


class OPMLError(ValueError):
    """Raised when a file is not OPML we can read."""


# A feed's own settings, written on its outline so that an export imports back as it was (other readers ignore
# attributes they do not know): its minimum interval in seconds, and whether each item's page is fetched.
_OPML_INTERVAL = "wirewatchInterval"
_OPML_FULL_TEXT = "wirewatchFullText"


def _opml_interval(value: str | None) -> float | None:
    """A feed's interval from its outline, in seconds; None when absent or not a sane one. An imported file may come
    from anyone: under a minute is not taken from it (`feeds add --interval` can still set one)."""
    try:
        seconds = float(value or "")
    except ValueError:
        return None
    return seconds if 60 <= seconds <= 7 * 86_400 else None


def read_opml(data: bytes) -> list[FeedConfig]:
    """The feeds of an OPML file: every outline with an ``xmlUrl``, nested folders included (http(s) URLs up to
    FEED_URL_MAX_CHARS long)."""
    if len(data) > OPML_MAX_BYTES:
        raise OPMLError(f"OPML file over {OPML_MAX_BYTES} bytes")
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise OPMLError(f"not XML: {exc}") from exc
    if root is None or root.tag != "opml":
        raise OPMLError("not an OPML document")
    feeds: list[FeedConfig] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = feed_url((outline.get("xmlUrl") or outline.get("xmlurl") or "").strip())
        if not url.startswith(("http://", "https://")) or len(url) > FEED_URL_MAX_CHARS or url in seen:
            continue  # (a URL too long for a poll message would be claimed every lease and never polled)
        seen.add(url)
        name = (outline.get("title") or outline.get("text") or "").strip() or None
        if name is not None and feed_url(name) == url:
            name = None  # an unnamed feed's outline carries its URL as the text OPML requires: no name
        feeds.append(FeedConfig(url=url, name=name, interval=_opml_interval(outline.get(_OPML_INTERVAL)),
                                full_text=outline.get(_OPML_FULL_TEXT) == "true"))  # fmt: skip
        if len(feeds) >= OPML_MAX_FEEDS:
            break
    return feeds


def write_opml(records: Iterable[FeedRecord], title: str = "wirewatch feeds") -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_escape(title)}</title></head>",
        "  <body>",
    ]
    for record in records:
        # OPML requires a text; an unnamed feed's is its URL, and it gets no title (read back, no name either).
        named = f" title={quoteattr(record.state.name)}" if record.state.name else ""
        ours = f' {_OPML_INTERVAL}="{record.floor_s:g}"' + (f' {_OPML_FULL_TEXT}="true"' if record.full_text else "")
        lines.append(f'    <outline type="rss" text={quoteattr(record.state.name or record.url)}{named} '
                     f"xmlUrl={quoteattr(record.url)}{ours}/>")  # fmt: skip
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
