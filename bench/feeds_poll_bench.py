"""Polls per second of unchanged feeds: what a monitor spends most of its time doing.

    python -m bench.feeds_poll_bench [--feeds 1000] [--threads 8]

A throwaway redis-server and a loopback HTTP server with ``--feeds`` small RSS feeds, each under its own
host name (resolved to 127.0.0.1 by the fetch policy, so the per-host gate does not serialise them). A first
pass polls every feed (full bodies, ETags stored); the timed pass polls them all again: every request is
conditional and answered 304, nothing is parsed or handed on. Reported: polls/s for the timed pass, with
the same pass done as plain conditional GETs (fetch alone, no scheduling) as the anchor.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from producers.fetch import FetchPolicy, fetch
from producers.poll import poll_feed
from producers.schedule import FeedSchedule, HostGate
from tests.producers.feed_server import running_server
from wirewatch.redis_server import connect, redis_binary


def _rss(i: int) -> bytes:
    items = "".join(
        f"<item><title>Feed {i} item {j}</title><link>https://f{i}.example/{j}</link><guid>{i}-{j}</guid></item>"
        for j in range(10)
    )
    return f'<rss version="2.0"><channel><title>Feed {i}</title>{items}</channel></rss>'.encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ww-poll-bench-"))
    sock = folder / "r.sock"
    redis_proc = subprocess.Popen(
        [redis_binary(), "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not sock.exists():
            time.sleep(0.02)
        client = connect(f"unix://{sock}?db=0")
        with running_server() as server:
            policy = FetchPolicy(allowed_networks=("127.0.0.0/8",), resolver=lambda host, port: ["127.0.0.1"])
            schedule = FeedSchedule(client)
            gate = HostGate(client, delay_s=0.0)
            urls = []
            for i in range(args.feeds):
                server.set(f"/feed{i}.xml", _rss(i))
                urls.append(f"http://f{i}.test:{server.port}/feed{i}.xml")
                schedule.add(urls[-1])
            sink: list[int] = []

            def poll_all() -> tuple[float, dict[str, int]]:
                def one(url: str) -> str:
                    claim = schedule.claim(url)
                    assert claim is not None
                    return poll_feed(
                        schedule, gate, claim, lambda a: sink.append(len(a)), policy=policy, rng=random.Random(1)
                    ).outcome

                start = time.perf_counter()
                with ThreadPoolExecutor(args.threads) as pool:
                    outcomes = list(pool.map(one, urls))
                counts: dict[str, int] = {}
                for o in outcomes:
                    counts[o] = counts.get(o, 0) + 1
                return time.perf_counter() - start, counts

            dt_first, first = poll_all()
            print(f"first pass: {args.feeds} feeds in {dt_first:.2f}s ({args.feeds / dt_first:,.0f}/s) {first}")
            dt, second = poll_all()
            print(f"unchanged pass, poll_feed: {args.feeds / dt:,.0f} polls/s {second}")

            etags = {u: r.state.etag for u in urls if (r := schedule.get(u)) is not None}
            start = time.perf_counter()
            with ThreadPoolExecutor(args.threads) as pool:
                results = list(pool.map(lambda u: fetch(u, policy=policy, etag=etags[u]), urls))
            dt_fetch = time.perf_counter() - start
            assert all(r.not_modified for r in results)
            print(f"unchanged pass, fetch alone (anchor): {args.feeds / dt_fetch:,.0f} requests/s")
            print(f"scheduling overhead: poll_feed at {dt_fetch / dt:.0%} of bare conditional GET throughput")
    finally:
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
