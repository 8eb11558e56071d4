"""The near-duplicate index in Redis: one atomic check-and-insert per article (``lua/neardup.lua``).

Layout (every key shares the hash tag ``{<prefix>}`` so the script stays on one cluster slot; the scheme
name is part of every key, so signatures of another scheme are never even read)::

    {ww:nd}:<scheme>:r:<gen>   hash  8-byte digest of the article id -> shingles, story id, number
                                     sketch, packed signature, head numbers, head template and names,
                                     a correction or update mark (none in records written before them)
    {ww:nd}:<scheme>:b:<gen>   hash  8-byte band key -> the digests of the newest articles in that bucket;
                                     the lead key (``similarity.head_key``) is kept here the same way

Time is cut into generations of ``window_s / 7``; an article goes into the current generation's keys, which
expire one window after that generation ends, and lookups read the last eight generations. So an entry is
found for at least ``window_s`` and at most ``window_s * 8/7`` after it was inserted, and memory is bounded by
the articles of one window without any cleanup job (Redis 6.2 has no per-field expiry).

Buckets keep at most ``bucket_cap`` digests (the newest): a band value shared by many unrelated articles (a
common phrase's hash) then costs a bounded number of candidate checks, and a true copy is still reached
through its other bands.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

from worker import similarity as sim

DEFAULT_PREFIX = "ww:nd"
DEFAULT_WINDOW_S = 7 * 86_400
GENERATIONS_PER_WINDOW = 7
BUCKET_CAP = 4
# After the head's template and names (after its numbers when it has no template): the text carries a correction or
# update notice. Absent otherwise and in records written before it; a script that predates it reads past it (a byte
# after the names is never read, and one byte is too short to be a template), so old and new workers share an index.
REVISED_MARK = b"\x01"
DEFAULT_THRESHOLDS = sim.Thresholds()

_SCRIPT = resources.files("worker").joinpath("lua/neardup.lua").read_text("utf-8")


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an article landed: its story, whether it started it, and how well it matched."""

    story_id: str
    created: bool  # True: this article is the first of its story (story_id == article id)
    replay: bool  # True: this article id was already indexed; nothing changed
    score: float  # best verified max(Jaccard, containment) estimate; 0 for a new story


def digest(article_id: str) -> bytes:
    """8 bytes stand for the article id in the index (collisions at 2^-64 per pair do not matter here)."""
    return hashlib.blake2b(article_id.encode(), digest_size=8).digest()


class NearDupIndex:
    """Check-and-insert of signatures against the stories of the last ``window_s`` seconds."""

    def __init__(
        self,
        redis: Any,
        *,
        prefix: str = DEFAULT_PREFIX,
        window_s: float = DEFAULT_WINDOW_S,
        thresholds: sim.Thresholds = DEFAULT_THRESHOLDS,
        bucket_cap: int = BUCKET_CAP,
    ) -> None:
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        if bucket_cap < 1:
            raise ValueError("bucket_cap must be at least 1")
        self.redis = redis
        self.prefix = prefix
        self.window_s = float(window_s)
        self.gen_s = self.window_s / GENERATIONS_PER_WINDOW
        self.thresholds = thresholds
        self.bucket_cap = bucket_cap
        self._script = redis.register_script(_SCRIPT)

    def keys(self, now: float) -> list[str]:
        """(records, bands) key pairs for the generations a lookup at ``now`` must read, newest first."""
        gen = math.floor(now / self.gen_s)
        base = f"{{{self.prefix}}}:{sim.SCHEME}"
        out = []
        for g in range(gen, gen - GENERATIONS_PER_WINDOW - 1, -1):
            out += [f"{base}:r:{g}", f"{base}:b:{g}"]
        return out

    def expire_at(self, now: float) -> int:
        """When the current generation's keys go: one window after the generation ends."""
        gen = math.floor(now / self.gen_s)
        return math.ceil((gen + 1) * self.gen_s + self.window_s)

    def check_and_insert(self, article_id: str, signature: sim.Signature, now: float) -> Placement:
        """Attach the article to the best verified story in the window, or start one named after it.

        ``now`` is wall-clock time (the keys' EXPIREAT runs on the server clock), not the publication time.
        """
        keys, args = self.script_args(article_id, signature, now)
        return _placement(self._script(keys=keys, args=args))

    def check_and_insert_many(self, items: list[tuple[str, sim.Signature]], now: float) -> list[Placement]:
        """Several check-and-inserts in one round trip, applied in order (a later item sees the earlier)."""
        if not items:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for article_id, signature in items:
            self.queue(pipe, article_id, signature, now)
        return [_placement(reply) for reply in pipe.execute()]

    def queue(self, pipeline: Any, article_id: str, signature: sim.Signature, now: float) -> None:
        """Queue a check-and-insert on a pipeline (bulk loading; the result comes from ``execute``)."""
        keys, args = self.script_args(article_id, signature, now)
        self._script(keys=keys, args=args, client=pipeline)

    def script_args(self, article_id: str, signature: sim.Signature, now: float) -> tuple[list[str], list[Any]]:
        if signature.scheme != sim.SCHEME:
            raise sim.SchemeMismatch(f"index uses {sim.SCHEME!r}, signature is {signature.scheme!r}")
        th = self.thresholds
        args: list[Any] = [
            digest(article_id),
            article_id,
            signature.shingles,
            signature.packed(),
            b"".join(h.to_bytes(2, "little") for h in signature.numbers),
            self.expire_at(now),
            th.jaccard,
            th.containment,
            th.short_shingles,
            th.short_jaccard,
            th.numbers,
            th.numbers_floor,
            sim.NUMBERS_KEPT,
            self.bucket_cap,
            2.0**-sim.STORED_BITS,
            th.head_containment,
            signature.head or b"",
            f"{int(th.head_numbers)}{int(th.head_names)}",
            pack_head_numbers(signature.head_numbers)
            + pack_head_names(signature.head_template, signature.head_names)
            + (REVISED_MARK if signature.revised else b""),
            *signature.bands(),
        ]
        return self.keys(now), args


def pack_head_numbers(numbers: tuple[str, ...]) -> bytes:
    """uint8 count, then per number its 16-bit number hash, uint8 length and the number as written (ASCII digits
    and separators: ``\\d`` of a folded text is ASCII for the digits news is written in)."""
    out = bytearray([len(numbers)])
    for n in numbers:
        raw = n.encode()
        out += sim.number_hash(n).to_bytes(2, "little") + bytes([len(raw)]) + raw
    return bytes(out)


def pack_head_names(template: bytes | None, names: tuple[str, ...]) -> bytes:
    """Nothing for a head without a template; else the 8-byte template, uint8 count, then per name its uint8 length
    and the name (folded, UTF-8)."""
    if template is None:
        return b""
    out = bytearray(template) + bytes([len(names)])
    for n in names:
        raw = n.encode()
        out += bytes([len(raw)]) + raw
    return bytes(out)


def _placement(reply: list[Any]) -> Placement:
    story, created, replay, score = reply
    return Placement(_text(story), bool(created), bool(replay), float(_text(score)))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
