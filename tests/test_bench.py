"""CI runs the benchmark's mechanism checks (`bench/run.py --quick`), not its timings.

--quick asserts what does not depend on the machine's speed, on the Agent API (the
default) and on chat completions alike: no heavy import at start-up, each event on stdout
before the next is sent (chunked, close-delimited, gzip), memory that does not grow with
the number of chunks, the right output, the rendered answer's first text on a terminal
before rich is imported, and no collapse in events per second against the
floor script speaking the same protocol (a quarter of it: quadratic work or re-parsing,
not noise).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"
# The rows each API must produce: a case that errors out or is skipped shows up as missing.
PER_API = (
    "2 answer",
    "3 largest",
    "4 throughput",
    "5 memory",
    "6 latency",
    "7 first token",
)


def test_benchmark_quick_mode_passes_its_mechanism_checks():
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert "all PASS" in proc.stdout
    rows = [line.split("|")[1].strip() for line in proc.stdout.splitlines() if line[:2] == "| "]
    for api in ("agent", "chat"):
        for case in PER_API:
            assert f"{case} ({api})" in rows, (case, api, proc.stdout)
    assert "1 imports" in rows
