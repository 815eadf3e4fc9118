"""What `perplex batch` reports: its result lines (in input order with --ordered), the
failures and usage of its answers added up as they end, the summary and the exit status.

Nothing here keeps one object per prompt: the lines are written as they come (--ordered
holds only those that finished before a slower earlier one) and the answers are counted,
so that memory does not grow with the input.
"""

from __future__ import annotations

from collections import deque
from typing import IO, TYPE_CHECKING, Any

from perplex_cli.errors import Interrupted, PerplexError

if TYPE_CHECKING:
    from perplex_cli.commands.batch_input import Prompt
    from perplex_cli.commands.batch_jobs import Finished
    from perplex_cli.commands.batch_pool import Pool
    from perplex_cli.request.settings import Settings


def result_line(prompt: Prompt, done: Finished, outcome: Any, settings: Settings) -> dict[str, Any]:
    """The NDJSON result of one prompt (the shape the module docstring describes)."""
    from perplex_cli.api.chat_events import answer_and_reasoning
    from perplex_cli.output.formatter import error_member
    from perplex_cli.output.json import document

    error = done.error
    line: dict[str, Any] = {
        "id": prompt.id,
        "index": prompt.index,
        "status": "ok" if error is None else "error",
    }
    acc = outcome.acc
    if done.outcome is not None and (error is None or acc.events):
        completion = document(acc, error)
        if settings.no_citations:
            completion.pop("citations", None)
            completion.pop("search_results", None)
        line["completion"] = completion
        if settings.reasoning:
            line["reasoning"] = answer_and_reasoning(acc)[1]
    if error is not None:
        line["error"] = error_member(error)
    return line


# Exit codes from the most to the least severe: the batch exits with the worst it met.
_SEVERITY = (130, 1, 3, 8, 7, 6, 5, 4, 2)
_TOKENS = ("prompt_tokens", "completion_tokens", "total_tokens", "num_search_queries")


class Results:
    """Writes one line per prompt: as each finishes or, when `ordered`, in the order the
    prompts were given to the pool (`expect`), holding the lines that finish early."""

    def __init__(self, out: IO[str], ordered: bool) -> None:
        self.out = out
        self.order: deque[int] | None = deque() if ordered else None  # not yet written
        self.pending: dict[int, dict[str, Any]] = {}
        self.count = 0  # lines written or held

    def expect(self, index: int) -> None:
        if self.order is not None:
            self.order.append(index)

    def add(self, index: int, record: dict[str, Any]) -> None:
        self.count += 1
        if self.order is None:
            self._write(record)
            return
        self.pending[index] = record
        while self.order and self.order[0] in self.pending:
            self._write(self.pending.pop(self.order.popleft()))

    def close(self) -> None:
        """Write what finished but waits behind a prompt that never will (a stopped batch)."""
        for index in sorted(self.pending):
            self._write(self.pending.pop(index))

    def _write(self, record: dict[str, Any]) -> None:
        from perplex_cli.output.ndjson import write_line

        write_line(self.out, record)


class Tally:
    """The failures (by kind, and the most severe) and the usage of the answers so far."""

    def __init__(self) -> None:
        self.failed = 0
        self.kinds: dict[str, int] = {}
        self.worst: PerplexError | None = None
        self.answers = 0  # the answers that reported their usage
        self.usage: dict[str, Any] = {}

    def add(self, error: PerplexError | None, usage: dict[str, Any] | None) -> None:
        if error is not None:
            self.failed += 1
            self.kinds[error.kind] = self.kinds.get(error.kind, 0) + 1
            if self.worst is None or _rank(error.exit_code) < _rank(self.worst.exit_code):
                self.worst = error
        if usage:
            self._add_usage(usage)

    def _add_usage(self, usage: dict[str, Any]) -> None:
        from perplex_cli.output.usage import total_cost

        self.answers += 1
        total = self.usage
        for name in _TOKENS:
            value = usage.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                total[name] = total.get(name, 0) + value
        cost = total_cost(usage.get("cost"))
        if cost is not None:
            total["cost"] = total.get("cost", 0.0) + cost

    def usage_line(self) -> str:
        """`perplex: usage: 3 answers, 60 prompt + 15 completion = 75 tokens, $0.015`: the
        usage of every answer that reported one, added up."""
        from perplex_cli.output.usage import usage_line

        line = usage_line(self.usage).removeprefix("perplex: usage: ")
        if not self.answers:
            return f"perplex: usage: {line}"
        return f"perplex: usage: {self.answers} answer{'' if self.answers == 1 else 's'}, {line}"

    def summary(self, ok: int, not_started: int, skipped: int) -> str:
        """`7 of 10 ok (2 from before), 2 failed (1 api error, 1 interrupted), 1 not started`."""
        total = ok + self.failed + not_started + skipped
        parts = [f"{ok + skipped} of {total} ok" + (f" ({skipped} from before)" if skipped else "")]
        if self.failed:
            kinds = sorted(self.kinds.items())
            parts.append(
                f"{self.failed} failed ("
                + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in kinds)
                + ")"
            )
        if not_started:
            parts.append(f"{not_started} not started")
        return ", ".join(parts)


def conclude(
    pool: Pool, tally: Tally, not_started: int, ran: int, skipped: int, *, resumable: bool
) -> None:
    """Raise the error that says how a batch that did not fully succeed ended (its exit code)."""
    from perplex_cli import signals

    summary = tally.summary(ran - not_started - tally.failed, not_started, skipped)
    if pool.interrupts and (not_started or tally.failed):
        if signals.received():  # SIGTERM or SIGHUP: one line, as for any other command
            raise Interrupted(f"{signals.describe()}: {summary}")
        hint = (
            "run the same command again with --resume to finish"
            if resumable
            else "write the results with --output FILE to be able to --resume"
        )
        raise Interrupted(f"interrupted: {summary}", hint=hint)
    if pool.stopped_by is not None:
        raise type(pool.stopped_by)(
            f"{pool.stopped_by.message}; stopped: {summary}", hint=pool.stopped_by.hint
        )
    if tally.worst is not None:
        raise type(tally.worst)(f'batch: {summary}; their lines have "status": "error"')


def _rank(code: int) -> int:
    return _SEVERITY.index(code) if code in _SEVERITY else len(_SEVERITY)
