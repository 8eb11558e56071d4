"""What a feed fetch asks for in Accept-Encoding it can unpack, and an unpacked body stays within the size limit
however it was packed: one gzip bomb, a deflate one, one packed twice, one cut into many gzip members, and one
of 800,000 empty members (a bomb for the CPU rather than the memory)."""

from __future__ import annotations

import gzip
import itertools
import time
import tracemalloc
import zlib
from collections.abc import Callable

import pytest

from producers.fetch import FetchPolicy, FetchTooLarge, fetch
from tests.producers.feed_server import FeedServer

LOOPBACK = FetchPolicy(allow_private_networks=True)
LIMIT = 1_000_000
SMALL = FetchPolicy(allow_private_networks=True, max_bytes=LIMIT)
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>a</title></item></channel></rss>'
BOMB = b"<rss>" + b" " * (30 * LIMIT)  # 30 MB unpacked, 30 kB packed

PACKERS: dict[str, Callable[[bytes], bytes]] = {"gzip": gzip.compress, "deflate": zlib.compress}


def _codings(accept_encoding: str) -> list[str]:
    """The codings an Accept-Encoding asks for (those with q=0 refuse, and are left out)."""
    asked = []
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        if params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            asked.append(coding.strip().lower())
    return [c for c in asked if c and c != "identity"]


def test_every_coding_asked_for_is_one_the_fetch_unpacks(feed_server: FeedServer) -> None:
    """Each coding named in the request's Accept-Encoding, sent back by the server, is unpacked to the feed: none is
    asked for that the fetch would then refuse as content_encoding (br or zstd without a decoder)."""
    url = feed_server.set("/feed.xml", RSS, validators=False)
    fetch(url, policy=LOOPBACK)
    asked = _codings(feed_server.requests_for("/feed.xml")[-1].headers["accept-encoding"])
    assert asked and set(asked) <= set(PACKERS), asked
    for coding in asked:
        url = feed_server.set(f"/{coding}.xml", PACKERS[coding](RSS), headers={"Content-Encoding": coding})
        assert fetch(url, policy=LOOPBACK).body == RSS, coding


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(BOMB, compresslevel=9)),
        ("deflate", zlib.compress(BOMB, 9)),
        ("deflate", zlib.compress(BOMB, 9)[2:-4]),  # raw deflate
        ("gzip, gzip", gzip.compress(gzip.compress(BOMB, compresslevel=9), compresslevel=9)),
        ("gzip", b"".join(gzip.compress(b" " * (LIMIT // 4), compresslevel=9) for _ in range(8))),  # 8 members
    ],
    ids=["gzip", "deflate", "raw-deflate", "gzip-twice", "gzip-members"],
)
def test_a_compression_bomb_stops_at_the_limit_without_unpacking_it_whole(
    feed_server: FeedServer, encoding: str, body: bytes
) -> None:
    """A body that unpacks past the limit is refused as too_large, and no more than about the limit is ever held:
    the fetch's peak memory stays far below the 30 MB the bomb unpacks to."""
    url = feed_server.set("/bomb.xml", body, content_type="application/xml", headers={"Content-Encoding": encoding})
    tracemalloc.start()
    try:
        with pytest.raises(FetchTooLarge):
            fetch(url, policy=SMALL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * LIMIT, peak


def test_800_000_empty_gzip_members_are_read_in_linear_time(feed_server: FeedServer) -> None:
    """A 16 MB body of 20-byte empty gzip members (within the feed limit, unpacking to nothing) is read in well
    under the fetch deadline (was: each member copied the rest of the body, four minutes of CPU per poll)."""
    members = gzip.compress(b"", mtime=0) * (LOOPBACK.max_bytes // 20)
    url = feed_server.set("/members.xml", members, content_type="application/xml", headers={"Content-Encoding": "gzip"})
    start = time.monotonic()
    assert fetch(url, policy=LOOPBACK).body == b""
    assert time.monotonic() - start < 10.0


@pytest.mark.parametrize("trailer", [b"", b"\r\n", b"junk after the last member"])
def test_a_feed_cut_into_gzip_members_is_read_whole(feed_server: FeedServer, trailer: bytes) -> None:
    """Members of every size, one after another, unpack to the whole feed; bytes after the last are ignored."""
    cuts = [0, 1, 2, 40, 41, len(RSS)]
    body = b"".join(gzip.compress(RSS[a:b], mtime=0) for a, b in itertools.pairwise(cuts)) + trailer
    url = feed_server.set("/members.xml", body, content_type="application/xml", headers={"Content-Encoding": "gzip"})
    assert fetch(url, policy=LOOPBACK).body == RSS
