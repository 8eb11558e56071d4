"""Reliability figures: run the fault-injection suite (tests/faults) and collect what each scenario recorded.

    python -m bench faults
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import REPO


def run() -> dict[str, Any]:
    report = Path(tempfile.mkdtemp(prefix="ww-faults-")) / "faults.jsonl"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "tests/faults", "-p", "no:cacheprovider"],
                          cwd=REPO, env={**os.environ, "WIREWATCH_FAULT_REPORT": str(report)},
                          capture_output=True, text=True)  # fmt: skip
    rows = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "no output"
    failed = [line.split(" ", 1)[1] for line in proc.stdout.splitlines() if line.startswith("FAILED ")]
    return {"rows": rows, "passed": proc.returncode == 0, "summary": summary, "failed": failed}


def render(result: dict[str, Any]) -> str:
    lines = [
        "## Reliability (fault injection)",
        "",
        "Each scenario runs its own redis-server on a free loopback port and real `wirewatch worker` processes "
        "(prefork, 2 children), injects the fault, and checks that every accepted article was emitted or "
        "dead-lettered with a reason, that no event id is in `ww:events` twice and that nothing is left pending. "
        "Recovery: seconds from the fault (or the restart after it) until every article had settled. "
        "Command: `python -m bench faults` (the suite alone: `make faults`).",
        "",
        f"Suite result: {result['summary']}",
        *[f"- failed: `{name}`" for name in result.get("failed", [])],
        "",
        "| scenario | articles in | events out | duplicate events | dead | recovery s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(f"| {r['scenario']} | {r['articles_in']} | {r['events_out']} | {r['duplicate_events']} | "
                     f"{r['dead']} | {r['recovery_s']} |")  # fmt: skip
    return "\n".join(lines)
