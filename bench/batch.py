"""Batch benchmark: N prompts against a local server that answers after a fixed latency.

Runs `perplex batch -j J` as a user would (a subprocess, cold start included) against the
test suite's API server (tests/apiserver.py, in this process) and compares the wall time
with the ideal, ceil(N / J) x latency: the time the answers take if the client added
nothing (J requests at a time, each answered after the latency). The same prompts then go
through the floor (bench/batch_floor.py: J threads on one requests session, every event
parsed, nothing else) against a fresh server, so that each figure has a reference from
the same run on the same machine.
The answers are the chat echo stream, or with `--api agent` the recorded Agent API stream
(tests/fixtures/agent) carrying the same echo text. Every exchange is logged, as by default.
perplex runs as a new user's installed copy would (bench/harness.py's environment: the
caller's Python settings left out, byte code kept, filled by a warm-up run first).

    python bench/batch.py                  # 500 prompts, 50 ms, -j 8, the chat API
    python bench/batch.py --api agent      # the same on the Agent API
    python bench/batch.py --json           # one JSON object
    python bench/batch.py --floor-client http.client   # the floor on the standard library

`ratio` is wall / ideal (1.00 would be a perfect client); `span_ratio` leaves out the
start-up and the end: from the first request the server received to the last answer it
sent. `start_s` is the start-up (from spawning perplex to its first request), `end_s` the
time from the last answer sent to perplex's exit. `cpu_s` is perplex's CPU time (user and
system): on a shared machine it moves much less than the wall time does. The `floor_`
figures are the floor's, and `vs_floor` is perplex's wall time over the floor's.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from apiserver import (  # noqa: E402 (needs the path above)
    Answer,
    ApiServer,
    echo_agent_answer,
    echo_answer,
)
from harness import clean_env  # noqa: E402


def measure(
    prompts: int, latency: float, concurrency: int, api: str, pycache: str, floor_client: str
) -> dict[str, float | int | str]:
    """perplex's figures and the floor's, from one run of each."""
    ours = run_client(PERPLEX, prompts, latency, concurrency, api, pycache)
    floor_command = [*FLOOR, "--client", floor_client]
    floor = run_client(floor_command, prompts, latency, concurrency, api, pycache)
    return {
        **ours,
        **{f"floor_{name}": floor[name] for name in FIGURES},
        "vs_floor": round(float(ours["wall_s"]) / float(floor["wall_s"]), 3),
    }


PERPLEX = [sys.executable, "-m", "perplex_cli", "batch", "-q", "--api", "{api}", "-j", "{j}"]
FLOOR = [
    sys.executable,
    str(ROOT / "bench" / "batch_floor.py"),
    "{url}",
    "-j",
    "{j}",
    "--api",
    "{api}",
]
FIGURES = ("wall_s", "ratio", "span_ratio", "start_s", "cpu_s")


def run_client(
    command: list[str], prompts: int, latency: float, concurrency: int, api: str, pycache: str
) -> dict[str, float | int | str]:
    server = ApiServer(lifetime=600)
    sent: list[float] = []
    echo = echo_agent_answer if api == "agent" else echo_answer

    def answer(request: dict, n: int) -> Answer:
        reply = echo(request, n)
        reply.delay = latency
        sent.append(time.monotonic() + latency)
        return reply

    server.chat = server.agent = answer
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "prompts.txt"
        source.write_text("".join(f"question {i}\n" for i in range(prompts)))
        env = clean_env(Path(tmp))
        env.update(PERPLEXITY_BASE_URL=server.url, PYTHONPYCACHEPREFIX=pycache)
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.monotonic()
        given = {"api": api, "j": str(concurrency), "url": server.url}
        done = subprocess.run(
            [part.format(**given) for part in command] + [str(source)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            check=False,
        )
        wall = time.monotonic() - began
        now = resource.getrusage(resource.RUSAGE_CHILDREN)
    server.close()
    lines = done.stdout.decode().splitlines()
    if done.returncode != 0 or len(lines) != prompts:
        raise SystemExit(
            f"batch failed (exit {done.returncode}, {len(lines)} lines): "
            f"{done.stderr.decode()[-500:]}"
        )
    ideal = math.ceil(prompts / concurrency) * latency
    span = max(sent) - server.requests[0].at
    return {
        "api": api,
        "prompts": prompts,
        "latency_ms": round(latency * 1000),
        "concurrency": concurrency,
        "ideal_s": round(ideal, 3),
        "wall_s": round(wall, 3),
        "ratio": round(wall / ideal, 3),
        "span_s": round(span, 3),
        "span_ratio": round(span / ideal, 3),
        "start_s": round(server.requests[0].at - began, 3),
        "end_s": round(began + wall - max(sent), 3),
        "cpu_s": round(now.ru_utime - used.ru_utime + now.ru_stime - used.ru_stime, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.050, help="seconds per answer")
    parser.add_argument("-j", "--concurrency", type=int, default=8)
    parser.add_argument("--api", choices=("chat", "agent"), default="chat")
    parser.add_argument("--runs", type=int, default=1, help="report the median of this many")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--floor-client",
        choices=("requests", "http.client"),
        default="requests",
        help="the floor's HTTP library (requests: perplex's)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="perplex-bench-pycache-") as pycache:
        warm_up = (args.concurrency, 0.001, args.concurrency, args.api, pycache)
        measure(*warm_up, args.floor_client)
        runs = sorted(
            (
                measure(
                    args.prompts,
                    args.latency,
                    args.concurrency,
                    args.api,
                    pycache,
                    args.floor_client,
                )
                for _ in range(args.runs)
            ),
            key=lambda r: r["ratio"],
        )
    result = runs[len(runs) // 2]
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"batch ({result['api']} API): {result['prompts']} prompts, "
        f"{result['latency_ms']} ms latency, "
        f"-j {result['concurrency']}: wall {result['wall_s']:.2f} s against ideal "
        f"{result['ideal_s']:.2f} s, ratio {result['ratio']:.2f} "
        f"(start-up {result['start_s']:.2f} s, end {result['end_s']:.2f} s; without them "
        f"{result['span_s']:.2f} s, ratio {result['span_ratio']:.2f}; "
        f"CPU {result['cpu_s']:.2f} s); the floor: wall {result['floor_wall_s']:.2f} s, "
        f"ratio {result['floor_ratio']:.2f} (start-up {result['floor_start_s']:.2f} s, "
        f"without it {result['floor_span_ratio']:.2f}; CPU {result['floor_cpu_s']:.2f} s); "
        f"perplex / floor {result['vs_floor']:.2f}"
    )


if __name__ == "__main__":
    main()
