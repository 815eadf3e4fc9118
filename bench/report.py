"""The benchmark's rows, the medians they show, and the table they make (bench/run.py)."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from harness import Sample


@dataclass
class Row:
    case: str
    measure: str
    value: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    ok: bool | None = None  # None: information only
    asserted: bool = True


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(
            "  "
            + " | ".join(
                x for x in (row.case, row.measure, row.value, row.ratio, result_of(row)) if x
            ),
            file=sys.stderr,
            flush=True,
        )

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if r.ok is False and r.asserted]


def result_of(row: Row) -> str:
    if row.ok is None:
        return "info" if row.target == "" else row.target
    word = "PASS" if row.ok else "FAIL"
    return word if row.asserted else f"({word}, not asserted)"


def med(samples: list[Sample], attr: str = "wall") -> float:
    return statistics.median(getattr(s, attr) for s in samples)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def with_cpu(samples: list[Sample]) -> str:
    """The median wall time, and the median CPU time, which the machine's load disturbs less."""
    return f"{ms(med(samples))} ({med(samples, 'cpu') * 1000:.0f})"


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores"
        + (f" ({model})" if model else "")
        + f", Python {platform.python_version()}"
    )


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes), which the figures depend on."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load unknown"
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def table(report: Report) -> str:
    head = ("case", "measure", "perplex", "baseline", "ratio", "target", "result")
    lines = [
        (
            r.case,
            r.measure,
            r.value,
            r.baseline,
            r.ratio,
            r.target if r.ok is not None else "",
            result_of(r),
        )
        for r in report.rows
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *lines, strict=True)]
    fmt = "| " + " | ".join(f"{{:{w}}}" for w in widths) + " |"
    out = [fmt.format(*head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)
