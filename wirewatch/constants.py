"""Numbers and key names in one place, each with its unit. Why each number: docs/decisions.md."""

from __future__ import annotations

# --- Redis keys. Every key starts with the prefix; Lua scripts touch only keys sharing the hash tag.
KEY_PREFIX = "ww"
HASH_TAG = "{ww}"
EVENTS_STREAM = "ww:events"
ALERTS_STREAM = "ww:alerts"
DEAD_STREAM = "ww:dead"
FEEDS_STREAM = "ww:feeds"


def key(*parts: str) -> str:
    """A key in wirewatch's keyspace that Lua scripts may touch together: ``ww:{ww}:a:b``."""
    return ":".join((KEY_PREFIX, HASH_TAG, *parts))


LEDGER_PENDING = key("ledger", "pending")  # zset delivery_id -> accepted, re-sent or last started at (unix s)
LEDGER_PAYLOAD = key("ledger", "payload")  # hash delivery_id -> RawArticle JSON
LEDGER_ATTEMPTS = key("ledger", "attempts")  # hash delivery_id -> deliveries started
# hash delivery_id -> token of the submission its payload came from: a settle clears only the payload it
# processed, never a newer one of the same id (docs/decisions.md, "Submitting a delivery id again")
LEDGER_VERSION = key("ledger", "version")
DEAD_PAYLOAD = key("dead", "payload")  # hash delivery_id -> RawArticle JSON of dead-lettered items
STATS = key("stats")  # hash outcome -> count, lifetime
LATENCY = key("latency")  # hash "<name>|<bucket>" -> count, "<name>|sum", "<name>|count" (wirewatch/latency.py)
EMBEDDED_MARKER = key("meta", "instance")  # set by producers; gone = Redis lost its state


# hash delivery_id -> the exact claims its alerts reserved ("<claim key> <article id>" per line), cleared by its
# settle, which lets go of those it still holds unless it emitted them (worker/lua/alerts.lua, wirewatch/lua/settle.lua)
DEDUP_RESERVED = key("dedup", "reserved")


def status_key(delivery_id: str) -> str:
    return key("status", delivery_id)


def inbox_memory_key(folder_digest: str) -> str:
    """What an inbox watcher has read (path -> size and mtime), by a digest of the folder's absolute path."""
    return key("inbox", folder_digest)


def inbox_folder_key(folder_id: str) -> str:
    """What an inbox watcher has read (path in the folder -> stamp), by the id in the folder's marker file
    (``producers/inbox.py`` `InboxMemory`); apart from the path digests, which anyone can compute."""
    return key("inbox", "id", folder_id)


def article_key(article_id: str) -> str:
    return key("article", article_id)


def done_key(article_id: str) -> str:
    return key("done", article_id)


def url_claim_key(canonical_url_hash: str) -> str:
    return key("dedup", "url", canonical_url_hash)


def text_claim_key(content_hash: str) -> str:
    return key("dedup", "text", content_hash)


# --- Time windows (seconds).
DEDUP_WINDOW_S = 7 * 86_400  # exact-duplicate claims live this long
ARTICLE_TTL_S = 30 * 86_400  # stored articles
STATUS_TTL_S = 7 * 86_400  # per-delivery outcome records
EVENTS_MAXLEN = 1_000_000  # approximate cap on ww:events entries
# Article ids a story keeps besides its first: the newest this many (its count goes on). Daily copies keep a story
# alive past its TTL, and its list grew without bound; 1,000 is far more than a reader pages through (docs/stories.md).
STORY_ARTICLES_KEPT = 1_000
# Sources a story keeps besides its first: the newest this many to carry it (its source count goes on). A wire story
# carried by ever more outlets (an inbox or HTTP source names each by its site) grew its source set without bound.
STORY_SOURCES_KEPT = 1_000

# --- Limits on untrusted input.
ARTICLE_MAX_BYTES = 5 * 1024 * 1024  # one inbox file or one article body
JSONL_MAX_RECORDS = 100_000  # records read from one JSON / JSON lines file
TITLE_MAX_CHARS = 2_000
TEXT_MAX_CHARS = 1_000_000  # parsed text is cut (and the cut logged) past this

# --- Celery.
TASK_SOFT_TIME_LIMIT_S = 60
TASK_TIME_LIMIT_S = 120
VISIBILITY_TIMEOUT_S = 900  # > TASK_TIME_LIMIT_S, so a running task is never redelivered
MAX_ATTEMPTS = 5  # deliveries of one article before it is dead-lettered
WORKER_MEMORY_LIMIT_MB = 4096  # address space per worker child; trafilatura + lxml on a 5 MB page stay far below
BATCH_SIZE = 16  # articles per Celery message
INGEST_QUEUE = "ingest"
FEEDS_QUEUE = "feeds"  # feed polls: scaled and rate-limited apart from article processing

# --- HTTP API (docs/http.md).
HTTP_PORT = 8787
HTTP_MAX_BODY_BYTES = 8 * 1024 * 1024  # one POST /v1/articles body: a batch of long articles
HTTP_MAX_BATCH = 1_000  # records in one POST
HTTP_RATE_LIMIT = 600  # requests per token per window
HTTP_RATE_WINDOW_S = 60
HTTP_ANONYMOUS_RATE_LIMIT = 6000  # per client address per window: a flood bound, far above dashboards behind one NAT
HTTP_PAGE_MAX = 500  # items in one page of the read API
SSE_BLOCK_MS = 15_000  # an SSE stream sends a keep-alive comment at least this often


def rate_key(token_name: str, window: int) -> str:
    return key("http", "rate", token_name, str(window))


# --- Embedded Redis.
EMBEDDED_START_TIMEOUT_S = 10.0
EMBEDDED_STOP_TIMEOUT_S = 10.0

# --- Subscriptions and alerts (docs/matching.md).
SUBSCRIPTIONS = key("subs")  # hash subscription id -> Subscription JSON
SUBSCRIPTIONS_VERSION = key("subs", "version")  # int, bumped by every change; workers poll it
API_REDIS_TIMEOUT_S = 10.0  # the API's commands: a Redis that stops answering gets 503s, not hung request threads
SUBSCRIPTIONS_POLL_S = 0.5  # how often a worker checks the version: changes reach it within a second
# Webhooks switched off by their receiver (a 410 Gone): hash subscription id -> WebhookOff JSON, kept apart from the
# Subscription (schemas/models.py forbids extra fields, and a subscription's body is what the user gave).
WEBHOOKS_OFF = key("webhooks", "off")
ALERT_STATS = key("stats", "alerts")  # hash outcome -> count: alerted, webhook:delivered, webhook:gave_up
ALERT_CLAIM_TTL_S = 30 * 86_400  # one alert per subscription per story until this long after its latest alert
# Webhook messages written with their alerts, in one script, and cleared once on the broker: a worker that dies
# between the two leaves them here, for the redelivered message (or the runner's sweep) to send.
WEBHOOK_OUTBOX = key("webhooks", "outbox")  # hash "<subscription id> <story id>" -> "<unix s> <alert JSON>"
WEBHOOK_OUTBOX_STALE_S = 300  # the sweep sends what has waited this long (a redelivery usually comes first)
ALERTS_MAXLEN = 1_000_000  # approximate cap on ww:alerts entries
FEED_INTERVAL_S = 600.0  # a feed's floor when its config entry, `feeds add` or an OPML import names none
FEED_URL_MAX_CHARS = 4000  # a longer URL cannot travel in a poll message (worker.feed_tasks.PollMessage)
WEBHOOK_QUEUE = "webhooks"  # its own queue: a slow or dead webhook never holds up ingestion
WEBHOOK_TIMEOUT_S = 10.0  # total time for one POST
WEBHOOK_MAX_ATTEMPTS = 6  # then give up, logged and counted
WEBHOOK_BACKOFF_S = 2.0  # first retry delay; doubles each attempt, with jitter
WEBHOOK_BACKOFF_MAX_S = 300.0
# A 429 or 503 with Retry-After waits at least that long, up to this: a Celery retry waits on the worker as an
# unacknowledged message, which the broker hands out again after VISIBILITY_TIMEOUT_S (a second POST).
WEBHOOK_RETRY_AFTER_MAX_S = 600.0
WEBHOOK_TOLERANCE_S = 300  # receivers should refuse signatures older than this (replay window)
# A subscription's signing secret, in characters, checked by `worker.subscriptions.check_secret` for the CLI, the
# config file and the HTTP API alike: 16 (the API tokens' floor) is 96 bits of hex, short of guessing; 200 is far
# over any HMAC key worth having (SHA-256 hashes a key over 64 bytes down to 32) and bounds what is stored.
WEBHOOK_SECRET_MIN_CHARS = 16
WEBHOOK_SECRET_MAX_CHARS = 200
# Deliveries in flight to one receiver (host and port) at a time, across all workers: a receiver that hangs
# holds this many threads for its timeout, not every thread of the webhooks (and feeds) worker.
WEBHOOK_HOST_MAX_CONCURRENT = 2
WEBHOOK_GATE_RETRY_S = 1.0  # a delivery whose receiver is at its cap is re-queued after about this long


ALERT_CLAIM_PREFIX = key("claims", "")  # then "<story>": string "<subscription id>\n" per alert (worker/alerts.py)


def alert_claim_key(story_id: str) -> str:
    """A story's alert claims: the ids of the subscriptions that alerted on it, each followed by a newline."""
    return f"{ALERT_CLAIM_PREFIX}{story_id}"

# Queues by kind of work, so each scales and is limited on its own (`wirewatch worker -Q …`).
ALL_QUEUES = (INGEST_QUEUE, FEEDS_QUEUE, WEBHOOK_QUEUE)
IO_QUEUES = (FEEDS_QUEUE, WEBHOOK_QUEUE)  # network-bound: a threads pool in `run`, apart from ingestion
IO_WORKER_THREADS = 8
