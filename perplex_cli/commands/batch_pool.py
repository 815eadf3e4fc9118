"""The worker pool behind `batch`: threads that stream answers, paced by one scheduler.

Worker threads only do HTTP: each takes a job, reads its answer through the same
`stream_answer` (or, for a non-streaming request, `read_answer`) as `ask`, on the API the
job's path names, and hands the outcome back with its timings. Everything else happens in the
calling (main) thread, so that the output, the counters and the decisions need no locks:

- pacing: `--rate N` spaces the starts at least 1/N s apart (measured from the last real
  start, so a late start is never made up with a burst), and the server's rate-limit
  headers hold new requests while its budget is spent (`pacing.Budget`);
- retries, before any answer byte only: the transport is given no retries of its own,
  and a retryable failure goes back into the queue with its delay; a 429 also pauses the
  whole pool for that delay (Retry-After when the server sent one), so the workers slow
  down together instead of each hammering on its own;
- a broken Agent API stream is resumed by its worker, as `ask` resumes one (within
  --retries reconnects); the worker's reconnect notices are written by this thread;
- feeding: the jobs come from an iterator, taken as the workers need them, so that at
  most twice `concurrency` of them are held at once (queued, running or waiting for a
  retry), however many the iterator has. Without --rate, up to `concurrency` jobs wait
  in the workers' queue beyond the running ones (counted as started by the server's
  budget), so that a worker whose answer ended starts its next request at once instead
  of waiting for this thread (busy writing and logging the result it just handed over).
  A stop takes the queued jobs back, unstarted, and so do a 429 and a rejected key: the
  worker that got one holds the others back until this thread has acted on it;
- Ctrl-C: the first stops new requests and lets the running ones finish, the second
  cancels them (they are reported as interrupted). A rejected key stops new requests too.
  SIGTERM and SIGHUP cancel the running requests at once, as a second Ctrl-C does.
"""

from __future__ import annotations

import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from perplex_cli.commands.batch_jobs import Finished, Job, Pacer, Unseen, next_job
from perplex_cli.errors import (
    ApiError,
    AuthError,
    Interrupted,
    PerplexError,
    RateLimited,
)
from perplex_cli.transport.pacing import Budget
from perplex_cli.transport.retry import backoff, retryable, seconds, status_line

if TYPE_CHECKING:
    from perplex_cli.api.chat_events import Accumulator
    from perplex_cli.api.resume import Resume
    from perplex_cli.transport.client import Transport

POLL = 0.1  # longest wait for a result, so that Ctrl-C is noticed promptly
HELD_PER_WORKER = 2  # jobs taken from the iterator and not yet ended, per worker


@dataclass
class Pool:
    """Runs jobs over `concurrency` threads; `on_finished` gets each final result."""

    transport: Transport
    concurrency: int
    on_finished: Callable[[Finished], None]
    on_note: Callable[[str], None]
    on_tick: Callable[[], None] = lambda: None
    rate: float | None = None
    retries: int = 2
    retry_base: float = 1.0
    interrupts: int = 0
    stopped_by: PerplexError | None = None  # the rejection that stopped new requests
    _jobs: Iterator[Job] = field(default_factory=lambda: iter(()))  # not taken yet
    _fresh: deque[Job] = field(default_factory=deque)
    _waiting: list[Job] = field(default_factory=list)  # retries, each with its not_before
    _running: dict[int, Job] = field(default_factory=dict)
    _pacer: Pacer = field(default_factory=Pacer)
    _budget: Budget = field(default_factory=Budget)  # the server's rate limit (pacing.py)
    _strikes: int = 0  # 429s in a row: the shared backoff when no Retry-After is sent
    _told: bool = False
    _hold: bool = False  # a worker got a 429 or a rejection: queued jobs wait (_settle)
    _active: dict[int, Any] = field(default_factory=dict)  # index -> streaming response
    _notes: queue.SimpleQueue[str] = field(default_factory=queue.SimpleQueue)  # from workers
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, jobs: Iterator[Job]) -> None:
        """Run the jobs; those never started stay in the iterator or were dropped."""
        self._jobs = jobs
        self._take()
        self._pacer = Pacer(self.rate)
        work: queue.Queue[Job | None] = queue.Queue()
        results: queue.Queue[Finished] = queue.Queue()
        for _ in range(self.concurrency):
            threading.Thread(target=self._worker, args=(work, results), daemon=True).start()
        restore = self._catch_signals()
        try:
            with self._noted(restore):
                while self._fresh or self._waiting or self._running:
                    if self.stopping:
                        self._unqueue(work)
                    if self.interrupts >= 2:
                        for job in self._running.values():
                            self._cancel(job)
                        self._running.clear()
                        break
                    if self.interrupts and self._running and not self._told:
                        self._told = True
                        self.on_note(
                            f"perplex: stopping: waiting for {len(self._running)} running "
                            "request(s); Ctrl-C again cancels them"
                        )
                    wake = self._start_due(work)
                    if self.stopping and not self._running:
                        break
                    self._tell()
                    self.on_tick()
                    try:
                        done = results.get(timeout=max(0.0, wake - time.monotonic()))
                    except queue.Empty:
                        continue
                    self._settle(done, work)
        finally:
            with self._lock:
                for response in self._active.values():
                    response.close()
            for _ in range(self.concurrency):
                work.put(None)
            for signum, handler in restore.items():
                signal.signal(signum, handler)

    @staticmethod
    def _noted(restore: dict[int, Any]) -> AbstractContextManager[None]:
        """While the pool's own handlers are in place, they only count the signals."""
        from perplex_cli import signals

        return signals.noted() if restore else nullcontext()

    def _take(self) -> None:
        """Take jobs from the iterator while fewer than the most held are."""
        held = len(self._fresh) + len(self._waiting) + len(self._running)
        for _ in range(HELD_PER_WORKER * self.concurrency - held):
            job = next(self._jobs, None)
            if job is None:
                return
            self._fresh.append(job)

    def _start_due(self, work: queue.Queue[Job | None]) -> float:
        """Start every job that may start now; return when to look again."""
        if not self.stopping:
            self._take()
        now = time.monotonic()
        wake = now + POLL
        # Unpaced, a job is queued for each worker beyond the running ones (the docstring).
        most = self.concurrency if self.rate else 2 * self.concurrency
        while not self.stopping and len(self._running) < most:
            job = next_job(self._fresh, self._waiting, now)
            if job is None:
                break
            at = max(
                job.not_before,
                self._pacer.ready_at(),
                self._budget.ready_at(now, len(self._running)),
            )
            if at > now:
                return min(wake, at)
            if self._fresh and job is self._fresh[0]:
                self._fresh.popleft()
            else:
                self._waiting.remove(job)
            job.attempts += 1
            job.clock = None  # set by the worker, when the request starts
            self._running[job.index] = job
            self._pacer.started(now)
            self._budget.started(job.index, now)
            work.put(job)
        return wake

    def _unqueue(self, work: queue.Queue[Job | None]) -> None:
        """Take back the queued jobs no worker has started, to start later in their order."""
        taken: list[Job] = []
        while True:
            try:
                job = work.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                taken.append(job)
        for job in reversed(taken):  # each goes back to the front of the fresh ones
            self._put_back(job)

    def _put_back(self, job: Job) -> None:
        del self._running[job.index]
        self._budget.forget(job.index)
        job.attempts -= 1
        if job.attempts:
            self._waiting.append(job)
        else:
            self._fresh.appendleft(job)

    def _tell(self) -> None:
        """Pass on the notices the workers left (reconnects), from this thread."""
        while not self._notes.empty():
            self.on_note(self._notes.get())

    def _settle(self, done: Finished, work: queue.Queue[Job | None]) -> None:
        """Report a final result, or put the job back to be retried after its delay."""
        self._tell()
        if not done.started:
            self._put_back(done.job)
            return
        if isinstance(done.error, RateLimited | AuthError):  # the workers were held back
            self._unqueue(work)
            self._hold = False
        del self._running[done.job.index]
        delay = self._retry_delay(done)
        if delay is None:
            if done.error is None:
                self._strikes = 0
            if not isinstance(done.error, AuthError):
                # The freed worker gets its next request before the result is written and
                # logged, so that this thread's work overlaps the requests, not adds to them.
                self._start_due(work)
            self._report(done)
            return
        now = time.monotonic()
        job, error = done.job, done.error
        assert error is not None, "only a failure is retried"
        job.not_before = now + delay
        self._waiting.append(job)
        shared = isinstance(done.error, RateLimited)
        if shared:
            self._strikes += 1
            self._pacer.pause(delay, now)
        self.on_note(
            f"perplex: retrying {job.label} in {seconds(delay)} s (attempt {job.attempts + 1} of "
            f"{self.retries + 1}): {status_line(error)}" + ("; all requests wait" if shared else "")
        )

    @property
    def stopping(self) -> bool:
        return bool(self.interrupts) or self.stopped_by is not None

    def _cancel(self, job: Job) -> None:
        from perplex_cli import signals

        with self._lock:
            response = self._active.pop(job.index, None)
        if response is not None:
            response.close()
        why = None if signals.received() else "cancelled by a second Ctrl-C"
        if job.clock is None:  # its worker took it as the stop came, and had not started it
            from perplex_cli.commands.session import Clock

            job.clock = Clock(Unseen())
        self.on_finished(Finished(job, None, Interrupted(why)))

    def _report(self, done: Finished) -> None:
        if isinstance(done.error, AuthError) and self.stopped_by is None:
            self.stopped_by = done.error  # every other request would be rejected too
        self.on_finished(done)

    def _retry_delay(self, done: Finished) -> float | None:
        """Seconds before trying the job again, or None when its result is final."""
        error = done.error
        if (
            error is None
            or done.outcome is not None  # the answer had started: never retried
            or self.stopping
            or done.job.attempts > self.retries
            or not retryable(error)
        ):
            return None
        if isinstance(error, ApiError) and error.retry_after is not None:
            return error.retry_after
        # 429s back off together, by how many came in a row; other failures by their own tries
        attempt = self._strikes + 1 if isinstance(error, RateLimited) else done.job.attempts
        return backoff(self.retry_base, attempt)

    def _catch_signals(self) -> dict[int, Any]:
        """Count Ctrl-C instead of raising, so a result line is never cut in half; SIGTERM
        and SIGHUP cancel the running requests. The handlers they replace, to restore."""
        from perplex_cli import signals

        if threading.current_thread() is not threading.main_thread():
            return {}

        def count(signum: int, frame: Any) -> None:
            self.interrupts += 1

        def end(signum: int, frame: Any) -> None:
            signals.record(signum)
            self.interrupts = max(self.interrupts, 2)

        restore: dict[int, Any] = {signal.SIGINT: signal.signal(signal.SIGINT, count)}
        for signum in signals.ending():
            restore[signum] = signal.signal(signum, end)
        return restore

    def _worker(self, work: queue.Queue[Job | None], results: queue.Queue[Finished]) -> None:
        while True:
            job = work.get()
            if job is None:
                return
            if self.stopping or self._hold:  # queued before a stop or a 429: not sent
                results.put(Finished(job, None, None, started=False))
                continue
            try:
                done = self._attempt(job)
            except Exception as exc:  # a bug must not leave the pool waiting forever
                done = Finished(
                    job, None, PerplexError(f"internal error: {type(exc).__name__}: {exc}")
                )
            if isinstance(done.error, RateLimited | AuthError):
                self._hold = True
            results.put(done)

    def _attempt(self, job: Job) -> Finished:
        from perplex_cli.api.stream import stream_answer
        from perplex_cli.commands.session import Clock

        stream = job.body.get("stream") is True  # -o stream=false is --no-stream too
        clock = job.clock = Clock(Unseen())
        try:
            response = self.transport.request(
                "POST",
                job.path,
                job.body,
                stream=stream,
                on_head=partial(self._budget.observe, job.index),
            )
        except PerplexError as exc:
            self._budget.forget(job.index)
            return Finished(job, None, exc)
        with self._lock:
            self._active[job.index] = response
        try:
            if stream:
                acc = job.accumulator()
                outcome = stream_answer(response, clock, acc, self._resume(acc))
            else:
                from perplex_cli.api.nonstream import read_answer

                outcome = read_answer(response, clock, job.accumulator())
        finally:
            with self._lock:
                self._active.pop(job.index, None)
        return Finished(job, outcome, outcome.error)

    def _resume(self, acc: Accumulator) -> Resume | None:
        """How a broken stream of this answer is picked up again: only the agent API can,
        within --retries reconnects (the transport itself has none: the pool retries)."""
        from perplex_cli.api.agent_events import AgentAccumulator
        from perplex_cli.api.resume import Resume

        if not isinstance(acc, AgentAccumulator):
            return None
        resume = Resume(self.transport, acc, self._notes.put)
        resume.budget = self.retries
        return resume
