"""Stories: same-story precision/recall on the labelled set, and the near-duplicate index's cost.

Runs `bench.neardup_eval` (seed 7, the set the thresholds were chosen on, and seed 8, held out) and
`bench.neardup_bench` (10k, 100k and 1M stored articles, datasketch's MinHashLSH side by side) and renders
them for BENCHMARKS.md.

    python -m bench stories
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.common import REPO


def _json(module: str, *args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", module, "--json", *args], cwd=REPO, capture_output=True,
                          text=True, check=True)  # fmt: skip
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run() -> dict[str, Any]:
    return {
        "eval": {seed: _json("bench.neardup_eval", "--seed", seed) for seed in ("7", "8")},
        "cost": _json("bench.neardup_bench", "--sizes", "10000,100000,1000000"),
    }


def render(r: dict[str, Any]) -> str:
    lines = [
        "## Stories (near-duplicate detection)",
        "",
        "Same-story quality on the generated labelled pairs (scrapinghub bodies and the seed: syndication variants "
        "as positives, same-topic articles and templated look-alikes as negatives). Goal ≥ 0.98 recall at ≥ 0.99 "
        "precision. Command: `python -m bench.neardup_eval --seed N`.",
        "",
        "| seed | pairs | precision | recall | with the stress kinds (briefs, quoted sentences): pairs, P / R |",
        "|---|---:|---:|---:|---|",
    ]
    for seed, e in r["eval"].items():
        res, stress = e["result"], e.get("with_stress_kinds")
        role = " (thresholds chosen here)" if seed == "7" else " (held out)"
        extra = f"{e['pairs']}, {stress['precision']:.4f} / {stress['recall']:.4f}" if stress else "—"
        lines.append(f"| {seed}{role} | {e.get('core_pairs', e['pairs'])} | {res['precision']:.4f} | "
                     f"{res['recall']:.4f} | {extra} |")  # fmt: skip
    cost = r["cost"]
    sig = cost["signature"]
    lines += [
        "",
        f"Index cost (scheme `{cost['scheme']}`, Redis {cost['redis_version']} over a unix socket), check-and-insert "
        "latency with queries alternating between one server per size. Goals: p50 ≤ 2 ms, p99 at 1M ≤ 1.5 × p99 at "
        "10k, ≤ 1 KB per article, signature ≤ 2 ms. Command: `python -m bench.neardup_bench --sizes 10000,100000,1000000`.",
        "",
        "| stored | bytes/article | p50 ms | p99 ms | server p50 ms | server p99 ms |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in cost["rows"]:
        lines.append(f"| {row['stored']:,} | {row['bytes_per_article']} | {row['p50_ms']:.3f} | {row['p99_ms']:.3f} | "
                     f"{row['server_p50_ms']:.3f} | {row['server_p99_ms']:.3f} |")  # fmt: skip
    if "p99_ratio_largest_vs_smallest" in cost:
        lines.append(f"\np99 at the largest size / p99 at the smallest: {cost['p99_ratio_largest_vs_smallest']:.2f}")
    lines.append(f"\nSignature: median {sig['ours_median_ms']:.3f} ms per article (datasketch `MinHash.update_batch` "
                 f"alone on the same shingles: {sig['datasketch_update_median_ms']:.3f} ms).")  # fmt: skip
    for key, v in cost.get("datasketch", {}).items():
        lines.append(f"- datasketch MinHashLSH {key}: query+insert p50 {v['p50_ms']:.3f} ms, p99 {v['p99_ms']:.3f} ms")
    return "\n".join(lines)
