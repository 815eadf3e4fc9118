"""What the batch pool handles: a job, how it ended, when the next may start, and which
job is next (batch_pool.py runs them)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from perplex_cli.api.answer_text import Update
    from perplex_cli.api.chat_events import Accumulator
    from perplex_cli.api.stream import Outcome
    from perplex_cli.commands.session import Clock
    from perplex_cli.errors import PerplexError


@dataclass(eq=False)
class Job:
    """One prompt's request, as the pool sees it."""

    index: int
    path: str  # where it is posted: the chat or the agent API
    body: dict[str, Any]
    accumulator: Callable[[], Accumulator]  # a fresh one for each attempt
    label: str  # how notices name it, e.g. "id 17"
    attempts: int = 0
    not_before: float = 0.0
    clock: Clock | None = None  # the timings of its latest attempt, from when it started


@dataclass
class Finished:
    """How a job ended: an outcome once the answer started, else only the error."""

    job: Job
    outcome: Outcome | None
    error: PerplexError | None
    started: bool = True  # False: taken from the queue during a stop or a hold, never sent


@dataclass
class Pacer:
    """When the next request may start: --rate spacing and the pause after a 429."""

    rate: float | None = None
    next_start: float = 0.0
    paused_until: float = 0.0

    def ready_at(self) -> float:
        return max(self.next_start, self.paused_until)

    def started(self, now: float) -> None:
        if self.rate:
            self.next_start = now + 1.0 / self.rate

    def pause(self, seconds: float, now: float) -> None:
        self.paused_until = max(self.paused_until, now + seconds)


def next_job(fresh: deque[Job], waiting: list[Job], now: float) -> Job | None:
    """A retry that is due, else the next fresh job, else the retry due soonest."""
    soonest = min(waiting, key=lambda j: j.not_before) if waiting else None
    if soonest is not None and soonest.not_before <= now:
        return soonest
    if fresh:
        return fresh[0]
    return soonest


class Unseen:
    """A formatter that shows nothing: a batch answer is written whole, as a record."""

    def chunk(self, raw: dict[str, Any], update: Update) -> None:
        pass

    def end(self, acc: Accumulator, error: PerplexError | None) -> None:
        pass
