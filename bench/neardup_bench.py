"""Near-duplicate index cost: signature time, check-and-insert latency and Redis memory per article.

Side by side in one run with datasketch's MinHashLSH (in memory, and with Redis storage) on the same
signatures. Runs against a throwaway redis-server (the embedded Redis 6.2 binary) on a unix socket, or on
loopback TCP with ``--tcp``. Keep each run under two minutes::

    WIREWATCH_CORPUS=/work/shared/corpus python -m bench.neardup_bench --sizes 10000,100000
    WIREWATCH_CORPUS=/work/shared/corpus python -m bench.neardup_bench --sizes 1000000 --no-datasketch

Filling: the stored articles are synthetic signatures (filling a million real texts would take longer than the
run may): every min-hash uniform, except that 10 % of the band values come from a Zipf-distributed pool of
10,000 "common phrase" values, so hot buckets exist and fill up to the bucket cap as with real text.
The fill goes through the real Lua script, pipelined. The timed queries are real article bodies and their
syndicated copies, one check-and-insert round trip each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import struct
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import redis

from bench.common import pct
from bench.neardup_eval import VARIANTS, load_docs
from wirewatch.redis_server import spawn_redis
from worker import neardup as nd
from worker import similarity as sim

HOT_POOL = 10_000
HOT_SHARE = 0.10
HOT_VALUES = np.random.default_rng(12345).integers(0, 2**32 - 1, size=HOT_POOL, dtype=np.uint64).astype(np.uint32)


def start_redis(tmp: Path, tcp: bool) -> tuple[subprocess.Popen[bytes], redis.Redis]:
    port = None
    if tcp:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
    proc, url = spawn_redis(tmp, tcp_port=port)
    return proc, redis.Redis.from_url(url)


def synthetic(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n signatures (mins) and shingle counts, with hot band values drawn from a Zipf pool."""
    mins = rng.integers(0, 2**32 - 1, size=(n, sim.NUM_PERM), dtype=np.uint64).astype(np.uint32)
    hotten(mins, rng)
    sizes = rng.integers(150, 1500, size=n)
    return mins, sizes


def hotten(mins: np.ndarray, rng: np.random.Generator) -> None:
    """Replace HOT_SHARE of the band values by Zipf-chosen common values (a common phrase's hash)."""
    nb = sim.BANDS * sim.ROWS
    mask = rng.random((mins.shape[0], nb)) < HOT_SHARE
    ranks = np.minimum(rng.zipf(1.2, size=(mins.shape[0], nb)) - 1, HOT_POOL - 1)
    mins[:, :nb] = np.where(mask, HOT_VALUES[ranks], mins[:, :nb])


NUMBERS_PER_ARTICLE = 12  # mean distinct numbers of the corpus articles (median 9)
# The band hashes a hot value produces (the band number is the key's low byte, the hash the rest).
_HOT_HASHES = {int(k) >> 8 for k in sim.band_keys(np.repeat(HOT_VALUES[:, None], sim.NUM_PERM, axis=1)).ravel()}


def real_heads(docs: list[Any]) -> list[bytes]:
    """The packed head numbers, template and names of the real texts' signatures, as records store them."""
    heads = []
    for doc in docs:
        s = sim.signature(doc.text())
        heads.append(nd.pack_head_numbers(s.head_numbers) + nd.pack_head_names(s.head_template, s.head_names))
    return heads


class BulkLoader:
    """Writes synthetic articles straight into the index layout, many fields per HSET.

    Only for filling a benchmark index fast (the script costs ~0.1 ms of server time per article, too much
    for a million within the run). For random signatures the script would start a new story for each, which
    is what this writes; buckets keep the newest ``bucket_cap`` digests as the script does. ``check`` runs
    real script calls against what was loaded.
    """

    def __init__(self, idx: nd.NearDupIndex, client: redis.Redis, now: float, heads: list[bytes]) -> None:
        self.idx, self.client, self.now = idx, client, now
        self.buckets: dict[int, bytes] = {}  # only hot band keys can be shared
        self.loaded: list[tuple[str, np.ndarray, int, tuple[int, ...]]] = []
        # What a real record carries after its signature (head numbers, head template and names), taken in turn
        # from real texts' signatures: the bytes per article are then those of production records.
        self.heads = heads

    def load(self, start: int, n: int, seed: int) -> float:
        rng = np.random.default_rng(seed)
        rec_key, band_key = self.idx.keys(self.now)[:2]
        cap = self.idx.bucket_cap
        t0 = time.perf_counter()
        for off in range(0, n, 20_000):
            m = min(20_000, n - off)
            mins, sizes = synthetic(m, rng)
            nums = np.sort(rng.integers(0, 65536, size=(m, NUMBERS_PER_ARTICLE)), axis=1).astype("<u2")
            keys = sim.band_keys(mins)
            sig = (mins & np.uint32(0xFF)).astype(np.uint8)
            recs: dict[bytes, bytes] = {}
            bands: dict[bytes, bytes] = {}
            for k in range(m):
                aid = f"{start + off + k:016x}"
                d = nd.digest(aid)
                recs[d] = (
                    struct.pack("<IH", int(sizes[k]), len(aid))
                    + aid.encode()
                    + bytes([NUMBERS_PER_ARTICLE])
                    + nums[k].tobytes()
                    + sig[k].tobytes()
                    + self.heads[(start + off + k) % len(self.heads)]
                )
                # The lead key (a hash of the body's first words), stored in the bands hash like a band key.
                bands[bytes([sim.HEAD_BAND]) + rng.bytes(7)] = d
                for key in keys[k].tolist():
                    kb = key.to_bytes(8, "little")
                    if key in self.buckets or (key >> 8) in _HOT_HASHES:
                        value = (self.buckets.get(key, b"") + d)[-8 * cap :]
                        self.buckets[key] = value
                        bands[kb] = value
                    else:
                        bands[kb] = d
                if k == 0:
                    self.loaded.append((aid, mins[k].copy(), int(sizes[k]), tuple(int(x) for x in nums[k])))
            pipe = self.client.pipeline(transaction=False)
            items = list(recs.items())
            for i in range(0, len(items), 5_000):
                pipe.hset(rec_key, mapping=dict(items[i : i + 5_000]))
            items = list(bands.items())
            for i in range(0, len(items), 5_000):
                pipe.hset(band_key, mapping=dict(items[i : i + 5_000]))
            pipe.execute()
        self.client.expireat(rec_key, self.idx.expire_at(self.now))
        self.client.expireat(band_key, self.idx.expire_at(self.now))
        return time.perf_counter() - t0

    def check(self) -> None:
        """Loaded articles are found by the script: each replays, and a copy of each joins its story."""
        for aid, mins, size, nums in self.loaded[:5]:
            s = sim.Signature(sim.SCHEME, size, mins, nums)
            assert self.idx.check_and_insert(aid, s, self.now).replay, "bulk layout differs from the script's"
            p = self.idx.check_and_insert(aid + "-copy", s, self.now)
            assert p.story_id == aid and not p.created, "bulk layout differs from the script's"


def fill(idx: nd.NearDupIndex, client: redis.Redis, start: int, n: int, now: float, seed: int) -> float:
    """Insert n synthetic articles through the script, pipelined; returns seconds taken."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    batch = 20_000
    for off in range(0, n, batch):
        m = min(batch, n - off)
        mins, sizes = synthetic(m, rng)
        pipe = client.pipeline(transaction=False)
        for k in range(m):
            s = sim.Signature(sim.SCHEME, int(sizes[k]), mins[k], ())
            idx.queue(pipe, f"f{start + off + k:08d}", s, now)
            if k % 2000 == 1999:
                pipe.execute()
        pipe.execute()
    return time.perf_counter() - t0


def queries(docs: list[Any], n: int, row: int, seed: int) -> list[tuple[str, sim.Signature]]:
    """Real bodies, then syndicated copies of them: the same mix for every row.

    Words are marked (``word`` -> ``wordx<row>``) so a row can start stories of its own, and the
    signatures get the fill's share of hot band values, as real text has common phrases.
    """
    rng = random.Random(seed + row)
    nrng = np.random.default_rng(seed + row)
    out = []
    for i in range(n):
        d = docs[i % len(docs)]
        if i >= len(docs):
            d = VARIANTS[rng.choice(sorted(VARIANTS))](d, rng, docs)
        text = " ".join(w + f"x{row}" for w in d.text().split(" "))
        s = sim.signature(text)
        mins = s.mins.copy()[None, :]
        hotten(mins, nrng)
        out.append((f"q{row}-{i:06d}", sim.Signature(s.scheme, s.shingles, mins[0], s.numbers)))
    return out


def datasketch_run(
    kind: str,
    client: redis.Redis | None,
    fill_n: int,
    sigs: list[tuple[str, sim.Signature]],
    seed: int,
    fill_budget_s: float,
) -> dict[str, Any]:
    """MinHashLSH(threshold=0.5, 128 perms): fill, then query + insert (not atomic) per timed article."""
    from datasketch import LeanMinHash, MinHashLSH

    cfg = None
    if kind == "redis":
        kw = client.connection_pool.connection_kwargs
        conn = {"unix_socket_path": kw["path"]} if "path" in kw else {"host": kw["host"], "port": kw["port"]}
        cfg = {"type": "redis", "basename": b"dsbench", "redis": conn}
    lsh = MinHashLSH(threshold=0.5, num_perm=sim.NUM_PERM, storage_config=cfg)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    done = 0
    while done < fill_n and time.perf_counter() - t0 < fill_budget_s:
        m = min(5_000, fill_n - done)
        mins, _ = synthetic(m, rng)
        if kind == "redis":
            with lsh.insertion_session(buffer_size=5_000) as sess:
                for k in range(m):
                    sess.insert(
                        f"f{done + k}",
                        LeanMinHash(seed=1, hashvalues=mins[k].astype(np.uint64), scheme="legacy"),
                    )
        else:
            for k in range(m):
                lsh.insert(
                    f"f{done + k}",
                    LeanMinHash(seed=1, hashvalues=mins[k].astype(np.uint64), scheme="legacy"),
                )
        done += m
    fill_s = time.perf_counter() - t0
    lat = []
    for aid, s in sigs:
        mh = LeanMinHash(seed=1, hashvalues=s.mins.astype(np.uint64), scheme="legacy")
        t = time.perf_counter()
        lsh.query(mh)
        lsh.insert(aid, mh)
        lat.append(time.perf_counter() - t)
    return {
        "stored": done,
        "fill_s": round(fill_s, 1),
        "p50_ms": pct(lat, 0.5) * 1e3,
        "p99_ms": pct(lat, 0.99) * 1e3,
    }


def signature_cost(docs: list[Any]) -> dict[str, float]:
    """Median per-article signature time (ours, all of it) vs datasketch MinHash over the same shingles."""
    from datasketch import MinHash

    texts = [d.text() for d in docs]
    ours, ds = [], []
    for t in texts:
        a = time.perf_counter()
        s = sim.signature(t)
        s.bands()
        s.packed()
        ours.append(time.perf_counter() - a)
        toks = sim.words(t)
        shingles = [" ".join(toks[i : i + sim.SHINGLE_WORDS]).encode() for i in range(len(toks) - 3)]
        a = time.perf_counter()
        m = MinHash(sim.NUM_PERM)
        m.update_batch(shingles)
        ds.append(time.perf_counter() - a)
    return {
        "ours_median_ms": statistics.median(ours) * 1e3,
        "ours_p99_ms": pct(ours, 0.99) * 1e3,
        "datasketch_update_median_ms": statistics.median(ds) * 1e3,
        "median_words": statistics.median(len(sim.words(t)) for t in texts),
    }


def pipeline_cost(rounds: int) -> dict[str, Any]:
    """In-process pipeline throughput with and without story assignment, alternating rounds."""
    from unittest import mock

    from bench import pipeline
    from wirewatch.logs import configure_logging
    from worker.pipeline import Deps

    configure_logging("error", "json")
    texts = pipeline.articles(copies=3)
    real_create = Deps.create

    def without_stories(client: Any, settings: Any) -> Deps:
        deps = real_create(client, settings)
        deps.neardup = None
        return deps

    runs: dict[str, list[float]] = {"with_stories": [], "without_stories": []}
    for _ in range(rounds):  # no subscriptions: what the stories stage costs the rest of the pipeline
        runs["with_stories"].append(pipeline.in_process(texts, [])["per_s"])
        with mock.patch.object(Deps, "create", staticmethod(without_stories)):
            runs["without_stories"].append(pipeline.in_process(texts, [])["per_s"])
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {"articles": len(texts), "runs": runs, "median_per_s": med,
            "ratio": med["with_stories"] / med["without_stories"]}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="stored articles at which to time (ascending)")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--tcp", action="store_true", help="loopback TCP instead of a unix socket")
    ap.add_argument("--fill", choices=["bulk", "script"], default="bulk", help="how to fill (see BulkLoader)")
    ap.add_argument("--no-datasketch", action="store_true")
    ap.add_argument("--datasketch-fill-s", type=float, default=15.0, help="fill time budget per datasketch run")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--pipeline", type=int, metavar="ROUNDS", default=0,
                    help="only: in-process pipeline articles/s with and without stories, ROUNDS alternating rounds")
    args = ap.parse_args()
    if args.pipeline:
        print(json.dumps(pipeline_cost(args.pipeline)))
        return
    sizes = [int(x) for x in args.sizes.split(",")]

    docs = load_docs()
    report: dict[str, Any] = {"scheme": sim.SCHEME, "transport": "tcp" if args.tcp else "unix", "rows": []}
    report["signature"] = signature_cost(docs)
    now = time.time()

    with tempfile.TemporaryDirectory() as tmp:
        # One server per size, filled once; the timed queries then alternate between the servers, so the
        # noise of a shared machine falls on every size alike (a side-by-side run, not one after another).
        servers = []
        try:
            for size in sizes:
                folder = Path(tmp) / str(size)
                folder.mkdir()
                proc, client = start_redis(folder, args.tcp)
                servers.append((proc, client))
            report["redis_version"] = servers[0][1].info("server")["redis_version"]
            indexes, rows = [], []
            for i, (size, (_, client)) in enumerate(zip(sizes, servers, strict=True)):
                idx = nd.NearDupIndex(client)
                loader = BulkLoader(idx, client, now, real_heads(docs))
                base_mem = client.info("memory")["used_memory"]
                if args.fill == "bulk":
                    fill_s = loader.load(0, size, args.seed + i)
                else:
                    fill_s = fill(idx, client, 0, size, now, args.seed + i)
                mem = client.info("memory")["used_memory"] - base_mem
                loader.check()
                indexes.append(idx)
                rows.append({"stored": size, "fill_s": round(fill_s, 1), "bytes_per_article": round(mem / size)})
            part = queries(docs, args.queries, 0, args.seed)
            for _, client in servers:
                client.config_set("slowlog-log-slower-than", 0)
                client.config_set("slowlog-max-len", 4 * args.queries)
                client.slowlog_reset()
            lat: list[list[float]] = [[] for _ in sizes]
            created = [0] * len(sizes)
            for q, (aid, sig) in enumerate(part):
                for k in range(len(sizes)):
                    j = (q + k) % len(sizes)  # rotate who goes first
                    t = time.perf_counter()
                    created[j] += indexes[j].check_and_insert(aid, sig, now).created
                    lat[j].append(time.perf_counter() - t)
            for j, (_, client) in enumerate(servers):
                server = [e["duration"] / 1e3 for e in client.slowlog_get(4 * args.queries)
                          if e["command"].startswith(b"EVALSHA")]  # fmt: skip
                rows[j].update({
                    "p50_ms": pct(lat[j], 0.5) * 1e3, "p99_ms": pct(lat[j], 0.99) * 1e3,
                    "server_p50_ms": pct(server, 0.5), "server_p99_ms": pct(server, 0.99),
                    "new_stories": created[j],
                })  # fmt: skip
            report["rows"] = rows
            if not args.no_datasketch:
                ds: dict[str, Any] = {}
                for size in sizes:
                    ds[f"memory@{size}"] = datasketch_run("memory", None, size, part, args.seed, args.datasketch_fill_s)
                client = servers[0][1]
                client.flushall()
                ds[f"redis@{sizes[0]}"] = datasketch_run(
                    "redis", client, sizes[0], part, args.seed, args.datasketch_fill_s
                )
                report["datasketch"] = ds
        finally:
            for proc, _ in servers:
                proc.terminate()
                proc.wait(10)
    if len(report["rows"]) > 1:
        report["p99_ratio_largest_vs_smallest"] = report["rows"][-1]["p99_ms"] / report["rows"][0]["p99_ms"]
    if args.json:
        print(json.dumps(report))
        return
    print(f"scheme {report['scheme']}  redis {report['redis_version']} over {report['transport']}")
    sc = report["signature"]
    print(
        f"signature: ours median {sc['ours_median_ms']:.3f} ms (p99 {sc['ours_p99_ms']:.3f}), datasketch "
        f"MinHash.update_batch median {sc['datasketch_update_median_ms']:.3f} ms; "
        f"median {sc['median_words']} words"
    )
    print(
        f"{'stored':>9} {'fill s':>7} {'B/article':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'srv p50':>8} {'srv p99':>8} "
        f"{'new stories':>12}"
    )
    for r in report["rows"]:
        print(
            f"{r['stored']:>9} {r['fill_s']:>7} {r['bytes_per_article']:>10} {r['p50_ms']:>8.3f} "
            f"{r['p99_ms']:>8.3f} {r['server_p50_ms']:>8.3f} {r['server_p99_ms']:>8.3f} "
            f"{r['new_stories']:>12}"
        )
    if "p99_ratio_largest_vs_smallest" in report:
        print(f"p99 ratio largest/smallest: {report['p99_ratio_largest_vs_smallest']:.2f}")
    for k, v in report.get("datasketch", {}).items():
        print(
            f"datasketch {k}: stored {v['stored']} (fill {v['fill_s']} s) "
            f"query+insert p50 {v['p50_ms']:.3f} ms "
            f"p99 {v['p99_ms']:.3f} ms"
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
