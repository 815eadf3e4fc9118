"""Case 7: how soon the first token of the answer is on a terminal, rendered or plain.

perplex runs with stdout on a pseudo-terminal (stderr, where only the spinner would
write, on /dev/null) against the benchmark server answering at once
(`/synth/<n>/chunked`: no wait that the import of the renderer could hide behind). The time is from spawning perplex to the first read of the
terminal that holds the answer's first token; the rendered answer (the default on a
terminal) is measured against `--plain`, interleaved, medians.

    python bench/run.py --only 7
"""

from __future__ import annotations

import fcntl
import os
import pty
import statistics
import struct
import subprocess
import termios
import time
from typing import Protocol

from harness import PYTHON, ROOT, Bench, first_seen, read_with_times
from report import Report, Row
from server import synthetic_answer

FIRST_TOKEN_RATIO = 1.15
SHORT_FACTOR = 4  # runs per --runs: a run is well under a second, and noisy
CHUNKS = 50
SIZE = (40, 100)  # rows, columns


def on_terminal(
    bench: Bench, argv: list[str], base_url: str, token: bytes
) -> tuple[float | None, bytes, int]:
    """Seconds from spawn until the terminal showed `token` (None: never), everything the
    terminal received, and the exit status."""
    env = dict(bench.env, PERPLEXITY_BASE_URL=base_url, TERM="xterm-256color")
    for name in ("COLUMNS", "LINES"):
        env.pop(name, None)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", *SIZE, 0, 0))
    start = time.monotonic()
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.DEVNULL, env=env, cwd=ROOT
    )
    os.close(slave)
    arrivals = read_with_times(master)
    code = proc.wait()
    os.close(master)
    seen = first_seen(arrivals, [token]).get(0)
    return None if seen is None else seen - start, b"".join(d for _, d in arrivals), code


class Config(Protocol):
    quick: bool
    runs: int
    apis: tuple[str, ...]


def case_first_token(bench: Bench, cfg: Config, report: Report) -> None:
    for api in cfg.apis:
        one_api(bench, report, quick=cfg.quick, runs=cfg.runs * SHORT_FACTOR, api=api)


def one_api(bench: Bench, report: Report, *, quick: bool, runs: int, api: str) -> None:
    case = f"7 first token ({api})"
    url = f"{bench.base}/synth/{CHUNKS}/chunked"
    clients = {
        "rendered": [PYTHON, "-m", "perplex_cli", "--api", api, "q"],
        "plain": [PYTHON, "-m", "perplex_cli", "--api", api, "--plain", "q"],
    }
    times: dict[str, list[float]] = {name: [] for name in clients}
    words = synthetic_answer(CHUNKS).split()
    first, last = words[0].encode(), words[-1].encode()
    drafted = True
    order = list(clients.items())
    for i in range(1 if quick else runs + 1):  # the first round warms the byte-code cache
        for name, argv in order if i % 2 == 0 else reversed(order):
            seen, data, code = on_terminal(bench, argv, url, first)
            if code != 0 or seen is None or last not in data:
                report.add(Row(case, f"perplex {name}", f"exit {code}: {data[-300:]!r}", ok=False))
                return
            if name == "rendered":
                # Before rich is ready the renderer writes the text as it came: before
                # any escape sequence (neutralised, the text has none).
                drafted = drafted and first in data.split(b"\x1b", 1)[0]
            if quick or i:
                times[name].append(seen)
    report.add(
        Row(
            case,
            "rendered: the first text is drawn before rich is imported",
            "yes, then redrawn" if drafted else "no: it waited for rich",
            target="every run",
            ok=drafted,
        )
    )
    rendered, plain = (statistics.median(times[name]) for name in ("rendered", "plain"))
    ratio = rendered / plain
    report.add(
        Row(
            case,
            "rendered, from start (median)",
            f"{rendered * 1000:.0f} ms",
            f"--plain {plain * 1000:.0f} ms",
            f"{ratio:.2f}x",
            f"<= {FIRST_TOKEN_RATIO}x",
            ratio <= FIRST_TOKEN_RATIO,
            asserted=not quick,
        )
    )
