"""perplex's benchmark: start-up, end-to-end wall, throughput, memory and delivery latency,
each against baselines measured in the same run (this machine is shared and noisy).

    python bench/run.py            every case, a warm-up then --runs runs, medians; exit 1 on a FAIL
    python bench/run.py --quick    one small run per case; asserts mechanisms only (CI)
    python bench/run.py --only 1,6 some cases
    python bench/run.py --api chat the streaming cases on one API (default: agent, then chat)

Baselines: `floor` (bench/floor.py: the same dependencies, one streaming request read
through raw.read1, cut at blank lines, each event's JSON parsed and its text delta printed),
`curl -sN` for the raw transport (left out when curl is not installed), and a minimal
typer app's --help (bench/typer_min.py). The streaming cases (2 to 6) run on each API:
perplex with `--api agent` or `--api chat` against the floor speaking the same protocol,
the server sending Agent API events (the recordings of tests/fixtures/agent, or streams
built from their events by bench/agent_shapes.py) or chat completion chunks. perplex runs
from this checkout with the default settings, the local log included, in a temporary XDG
home; the API is bench/server.py, in its own process.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import agent_shapes
from first_token import case_first_token
from harness import APIS, CURL, PYTHON, ROOT, Bench, Sample, first_seen
from report import Report, Row, load, machine, med, ms, table, with_cpu
from server import RECORDING_NAMES, RECORDINGS, paced_token, synthetic_answer

sys.path.insert(0, str(ROOT / "tests"))
from recordings import chunks_of, expected_text

# The targets, the same on both APIs.
STARTUP_RATIO = 1.25
WALL_RATIO = 1.15
THROUGHPUT_TEXT = 0.85
THROUGHPUT_NDJSON = 0.80
MEMORY_SLACK_MB = 10.0
# json keeps the answer: its pieces (up to 4 bytes a character), the joined string and
# the document written from it.
JSON_BYTES_PER_CHAR = 6
LATENCY_MEDIAN_MS = 1.0
LATENCY_WORST_MS = 5.0
# --quick asserts mechanisms, not speed: only a collapse (quadratic work, re-parsing) fails.
QUICK_THROUGHPUT = 0.25
FORBIDDEN_AT_START = ("requests", "sqlite3", "rich")
MB = 1024.0  # ru_maxrss is in KiB
SHORT_FACTOR = 4


@dataclass
class Config:
    quick: bool
    runs: int
    apis: tuple[str, ...] = APIS


Client = Callable[[bool], Sample]


def measure(
    cfg: Config, clients: dict[str, Client], short: bool = False
) -> tuple[dict[str, Sample], dict[str, list[Sample]]]:
    """One warm-up run per client with its output captured (for checking), then cfg.runs
    runs round-robin, alternating the order so that drift hits every client alike.

    `short` cases (a run well under a second) get SHORT_FACTOR times as many runs: on this
    shared machine one process's wall time varies by +-30% from run to run."""
    first = {name: run(True) for name, run in clients.items()}
    if cfg.quick:
        return first, {name: [s] for name, s in first.items()}
    samples: dict[str, list[Sample]] = {name: [] for name in clients}
    order = list(clients.items())
    for i in range(cfg.runs * (SHORT_FACTOR if short else 1)):
        for name, run in order if i % 2 == 0 else reversed(order):
            samples[name].append(run(False))
    return first, samples


# 1. Start-up ---------------------------------------------------------------------------


def commands(bench: Bench) -> set[str]:
    """The command names perplex has in this checkout (some land with other issues)."""
    code = "from perplex_cli.cli.app import COMMANDS\nprint(' '.join(COMMANDS))"
    out = subprocess.run(
        [PYTHON, "-c", code], cwd=ROOT, env=bench.env, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def imported_at_start(bench: Bench, args: list[str]) -> list[str]:
    """Which of FORBIDDEN_AT_START `perplex ARGS` imports (python -X importtime)."""
    sample = bench.run(
        bench.perplex(*args), capture=True, extra_env={"PYTHONPROFILEIMPORTTIME": "1"}
    )
    found = set()
    for line in sample.stderr.decode("utf-8", "replace").splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            found.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return [name for name in FORBIDDEN_AT_START if name in found or "_" + name in found]


def case_startup(bench: Bench, cfg: Config, report: Report) -> None:
    present = commands(bench)
    wanted = [["--help"], ["--version"], ["ask", "--help"], ["completions", "bash"], ["models"]]
    clients: dict[str, Client] = {"typer": lambda cap: bench.run(bench.typer_min(), capture=cap)}
    for args in wanted:
        if args[0] not in present and not args[0].startswith("-"):
            report.add(
                Row(
                    "1 start-up",
                    f"perplex {' '.join(args)}",
                    "skipped: no such command yet",
                    ok=None,
                )
            )
            continue
        clients[" ".join(args)] = lambda cap, a=args: bench.run(bench.perplex(*a), capture=cap)
    first, samples = measure(cfg, clients, short=True)
    base = med(samples["typer"])
    for name in clients:
        if name == "typer":
            continue
        if not first[name].stdout.strip():
            report.add(Row("1 start-up", f"perplex {name}", "printed nothing", ok=False))
            continue
        ratio = med(samples[name]) / base
        report.add(
            Row(
                "1 start-up",
                f"perplex {name} (cpu)",
                with_cpu(samples[name]),
                f"typer --help {with_cpu(samples['typer'])}",
                f"{ratio:.2f}x",
                f"<= {STARTUP_RATIO}x",
                ratio <= STARTUP_RATIO,
                asserted=not cfg.quick,
            )
        )
    for name in clients:
        if name == "typer":
            continue
        found = imported_at_start(bench, name.split())
        report.add(
            Row(
                "1 imports",
                f"perplex {name}",
                ", ".join(found) or "none of them",
                target="none of " + ", ".join(FORBIDDEN_AT_START),
                ok=not found,
            )
        )


# 2 and 3. One recorded answer end to end -------------------------------------------------


def case_recording(
    bench: Bench, cfg: Config, report: Report, case: str, key: str, mode: str
) -> None:
    for api in cfg.apis:
        one_recording(bench, cfg, report, f"{case} ({api})", key, mode, api)


def one_recording(
    bench: Bench, cfg: Config, report: Report, case: str, key: str, mode: str, api: str
) -> None:
    url = f"{bench.base}/rec/{key}/chunked/{mode}"
    clients: dict[str, Client] = {
        "floor": lambda cap: bench.run(bench.floor(url, api), capture=cap),
        "perplex": lambda cap: bench.run(bench.ask(api, "q"), base_url=url, capture=cap),
    }
    if CURL:
        clients["curl"] = lambda cap: bench.run(bench.curl(url, api), capture=cap)
    first, samples = measure(cfg, clients, short=True)
    if api == "agent":
        expected = agent_shapes.recording_output(key)
    else:
        expected = expected_text(chunks_of(RECORDINGS / RECORDING_NAMES[key]))
    if first["perplex"].stdout.decode("utf-8") != expected:
        report.add(Row(case, "perplex output", "differs from the recording's answer", ok=False))
    floor = med(samples["floor"])
    ratio = med(samples["perplex"]) / floor
    report.add(
        Row(
            case,
            "perplex wall (cpu)",
            with_cpu(samples["perplex"]),
            f"floor {with_cpu(samples['floor'])}",
            f"{ratio:.2f}x",
            f"<= {WALL_RATIO}x",
            ratio <= WALL_RATIO,
            asserted=not cfg.quick,
        )
    )
    if CURL:
        report.add(Row(case, "curl wall (raw transport)", ms(med(samples["curl"]))))


# 4 and 5. Throughput and memory ------------------------------------------------------------


def check_stream_output(name: str, sample: Sample, n: int, api: str) -> str | None:
    answer = synthetic_answer(n)
    out = sample.stdout
    agent = api == "agent"
    text = answer + "\n" if name == "floor" or not agent else agent_shapes.text_output(answer)
    if name in ("floor", "text") and out.decode() != text:
        return "the text is not the streamed answer"
    if name == "ndjson":
        lines = agent_shapes.event_count(n) if agent else n + 1
        first = json.loads(out[: out.index(b"\n")]) if b"\n" in out else {}
        opening = first.get("event") == "response.created" if agent else first.get("id") == "bench"
        if out.count(b"\n") != lines or not opening:
            return f"expected {lines} lines of events"
    if name == "json" and json.loads(out)["choices"][0]["message"]["content"] != answer:
        return "the document does not hold the answer"
    return None


def case_stream(bench: Bench, cfg: Config, report: Report) -> None:
    for api in cfg.apis:
        one_stream(bench, cfg, report, api)


def one_stream(bench: Bench, cfg: Config, report: Report, api: str) -> None:
    sizes = (4_000, 40_000) if cfg.quick else (20_000, 200_000)
    runs: dict[int, dict[str, list[Sample]]] = {}
    throughput, memory = f"4 throughput ({api})", f"5 memory ({api})"
    for n in sizes:
        url = f"{bench.base}/synth/{n}/chunked"
        clients: dict[str, Client] = {
            "floor": lambda cap, u=url: bench.run(bench.floor(u, api), capture=cap)
        }
        for fmt in ("text", "ndjson", "json"):
            clients[fmt] = lambda cap, u=url, f=fmt: bench.run(
                bench.ask(api, "-f", f, "q"), base_url=u, capture=cap
            )
        if CURL and n == sizes[-1] and not cfg.quick:
            clients["curl"] = lambda cap, u=url: bench.run(bench.curl(u, api), capture=cap)
        first, runs[n] = measure(cfg, clients)
        for name, sample in first.items():
            problem = None if name == "curl" else check_stream_output(name, sample, n, api)
            if problem:
                report.add(Row(throughput, f"perplex {name}, {n:,} chunks", problem, ok=False))
    small, large = sizes
    floor_eps = large / med(runs[large]["floor"])
    for fmt, target in (("text", THROUGHPUT_TEXT), ("ndjson", THROUGHPUT_NDJSON)):
        eps = large / med(runs[large][fmt])
        ratio = eps / floor_eps
        bound = QUICK_THROUGHPUT if cfg.quick else target
        report.add(
            Row(
                throughput,
                f"{fmt}, {large:,} chunks (cpu)",
                f"{eps:,.0f} ev/s ({large / med(runs[large][fmt], 'cpu'):,.0f})",
                f"floor {floor_eps:,.0f} ev/s ({large / med(runs[large]['floor'], 'cpu'):,.0f})",
                f"{ratio:.2f}x",
                f">= {bound}x",
                ratio >= bound,
            )
        )
    if "curl" in runs[large]:
        report.add(
            Row(
                throughput,
                "curl (raw transport)",
                f"{large / med(runs[large]['curl']):,.0f} ev/s",
            )
        )

    def growth(name: str) -> float:
        return (med(runs[large][name], "rss_kb") - med(runs[small][name], "rss_kb")) / MB

    floor_growth = growth("floor")
    answer_growth = (len(synthetic_answer(large)) - len(synthetic_answer(small))) / (MB * MB)
    for fmt in ("text", "ndjson", "json"):
        slack = MEMORY_SLACK_MB + (JSON_BYTES_PER_CHAR * answer_growth if fmt == "json" else 0.0)
        peak = med(runs[large][fmt], "rss_kb") / MB
        report.add(
            Row(
                memory,
                f"{fmt}, {small:,} -> {large:,} chunks",
                f"{growth(fmt):+.1f} MB (peak {peak:.1f} MB)",
                f"floor {floor_growth:+.1f} MB",
                f"{growth(fmt) - floor_growth:+.1f} MB",
                f"< +{slack:.1f} MB",
                growth(fmt) - floor_growth < slack,
            )
        )


# 6. Delivery latency ------------------------------------------------------------------------


def case_latency(bench: Bench, cfg: Config, report: Report) -> None:
    for api in cfg.apis:
        one_latency(bench, cfg, report, api)


def one_latency(bench: Bench, cfg: Config, report: Report, api: str) -> None:
    n, pace = (5, 100) if cfg.quick else (12, 50)
    runs = 1 if cfg.quick else cfg.runs
    # --quick checks the mechanism (each event on stdout before the next is sent) on text;
    # tests/test_delivery.py checks ndjson the same way.
    names = ["text"] if cfg.quick else (["curl"] if CURL else []) + ["text", "ndjson"]
    for framing, gz in (("chunked", False), ("close", False), ("chunked", True), ("close", True)):
        label = framing + ("+gzip" if gz else "")
        delays: dict[str, list[float]] = {}
        held: dict[str, list[int]] = {}
        for name in names:
            delays[name], held[name] = [], []
            for _ in range(runs):
                tag = bench.tag()
                url = f"{bench.base}/paced/{n}/{framing}/{'gzip' if gz else 'plain'}/{pace}/{tag}"
                if name == "curl":
                    sample = bench.run(bench.curl(url, api, gzip=gz), timed_reads=True)
                else:
                    argv = bench.ask(api, "-f", name, "q")
                    sample = bench.run(argv, base_url=url, timed_reads=True)
                writes = bench.wait_writes(tag, n + 1)
                seen = first_seen(sample.arrivals, [paced_token(i).encode() for i in range(n)])
                held[name] += [i for i in range(n) if i not in seen or seen[i] >= writes[i + 1]]
                delays[name] += [seen[i] - writes[i] for i in seen]
        for name in names:
            if name != "curl":
                report.add(
                    latency_row(
                        cfg, api, f"{name}, {label}", delays[name], held[name], delays.get("curl")
                    )
                )


def latency_row(
    cfg: Config, api: str, what: str, got: list[float], held: list[int], ref: list[float] | None
) -> Row:
    """Median and worst delay against curl's; an event held until the next one fails."""
    case = f"6 latency ({api})"
    measure = f"{what} (median / worst)"
    if held or not got:
        return Row(
            case,
            measure,
            f"events {sorted(set(held))} held back until the next",
            target="each event out before the next is sent",
            ok=False,
        )
    value = f"{statistics.median(got) * 1000:.2f} / {max(got) * 1000:.2f} ms"
    if ref is None:
        why = "--quick: each event out before the next" if cfg.quick else "no curl to compare"
        return Row(case, measure, value, target=why, ok=True)
    d_med = (statistics.median(got) - statistics.median(ref)) * 1000
    d_max = (max(got) - max(ref)) * 1000
    return Row(
        case,
        measure,
        value,
        f"curl {statistics.median(ref) * 1000:.2f} / {max(ref) * 1000:.2f} ms",
        f"{d_med:+.2f} / {d_max:+.2f} ms",
        f"<= +{LATENCY_MEDIAN_MS:g} / +{LATENCY_WORST_MS:g} ms",
        d_med <= LATENCY_MEDIAN_MS and d_max <= LATENCY_WORST_MS,
    )


# The table --------------------------------------------------------------------------------


CASES = {
    "1": case_startup,
    "2": lambda b, c, r: case_recording(b, c, r, "2 answer", "answer", "events"),
    "3": lambda b, c, r: case_recording(b, c, r, "3 largest", "largest", "whole"),
    "4": case_stream,  # throughput and memory (cases 4 and 5) share their runs
    "6": case_latency,
    "7": case_first_token,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="one small run per case; mechanisms only"
    )
    parser.add_argument("--runs", type=int, default=5, help="measured runs per client (default 5)")
    parser.add_argument("--only", default="", help="comma-separated cases: 1,2,3,4 (with 5),6,7")
    parser.add_argument(
        "--api", choices=APIS, action="append", help="the streaming cases' API (default: both)"
    )
    args = parser.parse_args(argv)
    cfg = Config(quick=args.quick, runs=max(1, args.runs), apis=tuple(args.api or APIS))
    chosen = [c.strip() for c in args.only.split(",") if c.strip()] or list(CASES)
    chosen = ["4" if c == "5" else c for c in chosen]
    mode = (
        "--quick: mechanisms asserted, timings shown only"
        if cfg.quick
        else f"medians of {cfg.runs} runs after a warm-up ({cfg.runs * SHORT_FACTOR} for cases 1-3, 7)"
    )
    print(f"perplex benchmark, {datetime.date.today()}, {machine()}, {load()}; {mode}", flush=True)
    bench = Bench()
    report = Report()
    try:
        bench.warm()
        for case in dict.fromkeys(chosen):
            try:
                CASES[case](bench, cfg, report)
            except RuntimeError as exc:  # a client failed: the case cannot be measured
                report.add(Row(f"{case} error", "a run failed", str(exc)[:300], ok=False))
    finally:
        bench.close()
    print(table(report))
    print(f"\nafterwards: {load()}")
    failed = report.failed
    print(f"\n{len(failed)} failed" if failed else "\nall PASS", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
