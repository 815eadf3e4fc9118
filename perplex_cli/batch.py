"""`perplex batch`: many prompts, concurrently, one NDJSON result line each, resumable.

The input is read and every prompt's request built and validated before the first request,
so a bad line is exit 2 with its line number and nothing is sent. Each result is one line:
`{"id", "index", "status": "ok", "completion": <the json format's document>}` or
`{"id", "index", "status": "error", "error": {"type", "message"}}` (with the partial
`completion` when the answer had started). `--resume` reads the `--output` file and skips
the ids whose line says "ok", so a batch that was stopped continues where it stopped.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from .errors import Interrupted, PerplexError, UsageError
from .options import SHARED_NAMES, Options, given, shared_options
from .terminal import guard

if TYPE_CHECKING:
    import click

    from .pool import Finished, Pool
    from .settings import Settings

_OPTION_FIELDS = frozenset(f.name for f in fields(Options))
# Exit codes from the most to the least severe: the batch exits with the worst it met.
_SEVERITY = (130, 1, 3, 8, 7, 6, 5, 4, 2)


@dataclass
class Prompt:
    """One line of the input."""

    index: int  # position among the prompts, from 0
    line: int  # line number in the input, for messages
    id: Any  # the id given in a JSONL object, else the index
    text: str
    given: dict[str, Any] = field(default_factory=dict)  # its own option values


@shared_options
def batch_command(
    file: Annotated[
        str,
        typer.Argument(
            help='Prompts, one per line or JSONL objects ({"id", "prompt", ...}); \'-\' reads stdin.',
            metavar="FILE|-",
            show_default=False,
        ),
    ],
    concurrency: Annotated[
        int, typer.Option("-j", "--concurrency", help="Requests running at once.", metavar="N")
    ] = 4,
    ordered: Annotated[
        bool,
        typer.Option(
            "--ordered", help="Write the results in input order (default: as they finish)."
        ),
    ] = False,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            help="Append the results to FILE instead of writing them to stdout.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Skip the ids already in the --output file with status ok."),
    ] = False,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate",
            help="Start at most N requests per second, evenly spaced.",
            metavar="N",
            show_default=False,
        ),
    ] = None,
    *,
    opts: Options,
) -> None:
    """Run many prompts concurrently: one NDJSON result line each, resumable."""
    import click

    if concurrency < 1:
        raise UsageError("invalid value for -j/--concurrency: must be >= 1")
    if rate is not None and rate <= 0:
        raise UsageError("invalid value for --rate: must be > 0 requests per second")
    if resume and output is None:
        raise UsageError("--resume needs --output FILE: the results file to continue")
    if opts.format not in (None, "ndjson"):
        raise UsageError("batch always writes NDJSON: leave out -f/--format")
    if given(opts, "dry_run"):
        raise UsageError("batch has no --dry-run: try one prompt with perplex ask --dry-run")
    run_batch(
        file,
        opts,
        click.get_current_context(),
        concurrency=concurrency,
        ordered=ordered,
        output=output,
        resume=resume,
        rate=rate,
    )


def run_batch(
    file: str,
    opts: Options,
    ctx: click.Context | None,
    *,
    concurrency: int,
    ordered: bool,
    output: str | None,
    resume: bool,
    rate: float | None,
) -> None:
    from .output import error_member
    from .output.json import document
    from .pool import Job, Pool
    from .progress import StatusLine, bar, is_live
    from .run import open_transport, text_stream
    from .settings import resolve
    from .transport import retry_base_from_env

    settings = resolve(opts)
    data, name = read_input(file)
    prompts = parse_prompts(data, name, ctx)
    bodies = {p.index: request_body(p, opts, settings, name) for p in prompts}
    err = text_stream(sys.stderr)
    transport = open_transport(settings, err, retries=0, pool_size=concurrency)
    done_ids = finished_ids(output) if resume else set()
    todo = [p for p in prompts if _key(p.id) not in done_ids]
    out = open_output(output) if output else guard(text_stream(sys.stdout))
    status = StatusLine(err, is_live(err, settings.quiet))
    by_index = {p.index: p for p in todo}
    results = Results(out, [p.index for p in todo] if ordered else None)
    failures: list[PerplexError] = []
    started = time.monotonic()

    def show() -> None:
        status.show(
            bar(
                len(results.written) + len(results.pending),
                len(failures),
                len(todo),
                time.monotonic() - started,
            )
        )

    def finished(done: Finished) -> None:
        prompt = by_index[done.job.index]
        rec: dict[str, Any] = {
            "id": prompt.id,
            "index": prompt.index,
            "status": "ok" if done.error is None else "error",
        }
        if done.outcome is not None and (done.error is None or done.outcome.acc.events):
            rec["completion"] = document(done.outcome.acc, done.error)
        if done.error is not None:
            rec["error"] = error_member(done.error)
            failures.append(done.error)
        results.add(prompt.index, rec)
        show()

    def note(line: str) -> None:
        if not settings.quiet:
            status.note(line)

    pool = Pool(
        transport,
        concurrency,
        finished,
        note,
        show,
        rate=rate,
        retries=settings.retries,
        retry_base=retry_base_from_env(),
    )
    try:
        pool.run([Job(p.index, bodies[p.index], f"id {p.id}") for p in todo])
    finally:
        results.close()
        status.clear()
        transport.close()
        if output:
            out.close()
    _conclude(pool, failures, len(todo), len(prompts) - len(todo), resumable=bool(output))
    if status.live:
        done = _summary(len(todo), [], 0, len(prompts) - len(todo))
        status.note(f"perplex: batch: {done} in {time.monotonic() - started:.1f} s")


def _conclude(
    pool: Pool, failures: list[PerplexError], ran: int, skipped: int, *, resumable: bool
) -> None:
    """Raise the error that says how a batch that did not fully succeed ended (its exit code)."""
    summary = _summary(ran - pool.not_started - len(failures), failures, pool.not_started, skipped)
    if pool.interrupts and (pool.not_started or failures):
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
    if failures:
        worst = min(failures, key=lambda e: _rank(e.exit_code))
        raise type(worst)(f'batch: {summary}; their lines have "status": "error"')


def read_input(file: str) -> tuple[bytes, str]:
    """The input's bytes and how messages name it."""
    from .prompt import stdin_is_terminal, stdin_stream

    if file == "-":
        source = stdin_stream()
        if source is None and stdin_is_terminal():
            raise UsageError("'-' reads the prompts from stdin, but stdin is a terminal")
        return (source.read() if source is not None else b""), "stdin"
    try:
        return Path(file).read_bytes(), file
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None


def parse_prompts(data: bytes, name: str, ctx: click.Context | None) -> list[Prompt]:
    """Plain lines are prompts; a line starting with `{` is a JSON object with its own options."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UsageError(f"{name}, line {line}: not valid UTF-8 text") from None
    prompts: list[Prompt] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), 1):
        content = raw.strip()
        if not content:
            continue
        where = f"{name}, line {number}"
        index = len(prompts)
        if content.startswith("{"):
            prompt = _object_prompt(content, where, index, number, ctx)
        else:
            prompt = Prompt(index, number, index, content)
        key = _key(prompt.id)
        if key in seen:
            raise UsageError(
                f"{where}: id {prompt.id!r} is also on line {seen[key]}; "
                "ids must be unique for --resume to work"
            )
        seen[key] = number
        prompts.append(prompt)
    if not prompts:
        raise UsageError(f"no prompts in {name}")
    return prompts


def _object_prompt(
    line: str, where: str, index: int, number: int, ctx: click.Context | None
) -> Prompt:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{where}: not a valid JSON object ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise UsageError(f"{where}: not a JSON object")
    text = obj.pop("prompt", None)
    if not isinstance(text, str) or not text.strip():
        raise UsageError(f'{where}: "prompt" must be a non-empty string')
    ident = obj.pop("id", index)
    if isinstance(ident, bool) or not isinstance(ident, (str, int)):
        raise UsageError(f'{where}: "id" must be a string or an integer')
    own = {}
    for key, value in obj.items():
        name = key.lstrip("-").replace("-", "_")
        if name in run_wide():
            raise UsageError(
                f"{where}: {key!r} applies to the whole batch; give it on the command line"
            )
        if name not in SHARED_NAMES:
            raise UsageError(
                f'{where}: unknown key {key!r} (use "id", "prompt" and '
                'request options such as "model" or "system")'
            )
        if value is not None:
            own[name] = _cast(ctx, name, value, where)
    return Prompt(index, number, ident, text, own)


def run_wide() -> frozenset[str]:
    """Options that belong to the whole batch, not to one prompt: those with a run-wide
    setting (timeouts, output, the base URL: what settings.py fills), except the model,
    which is part of each request."""
    from .settings import DEFAULTS

    return (frozenset(DEFAULTS) - {"model"}) | {"dry_run"}


def _cast(ctx: click.Context | None, name: str, value: Any, where: str) -> Any:
    """Convert a JSON value exactly as the option's flag would convert its argument."""
    import click

    param = next((p for p in ctx.command.params if p.name == name), None) if ctx else None
    if param is None:
        return value
    if param.multiple and not isinstance(value, list):
        value = [value]
    try:
        cast = param.type_cast_value(ctx, value)  # type: ignore[arg-type]
    except click.BadParameter as exc:
        raise UsageError(f"{where}: invalid value for {name!r}: {exc.message}") from None
    return list(cast) if isinstance(cast, tuple) else cast


def request_body(prompt: Prompt, base: Options, settings: Settings, name: str) -> dict[str, Any]:
    """The request for one prompt: the command line's options, then the prompt's own."""
    from .request import build_body, build_messages, validate

    opts = replace(base, **{k: v for k, v in prompt.given.items() if k in _OPTION_FIELDS})
    opts.extra = {
        **base.extra,
        **{k: v for k, v in prompt.given.items() if k not in _OPTION_FIELDS},
    }
    own = (
        replace(settings, model=opts.model) if opts.model and "model" in prompt.given else settings
    )
    try:
        validate(opts)
        return build_body(build_messages(prompt.text, opts), opts, own, stream=True)
    except UsageError as exc:
        raise UsageError(f"{name}, line {prompt.line}: {exc.message}", hint=exc.hint) from None


def finished_ids(path: str | None) -> set[str]:
    """The ids with status ok in a results file (lines that do not parse are ignored)."""
    done: set[str] = set()
    if path is None or not os.path.exists(path):
        return done
    try:
        with open(path, encoding="utf-8", errors="replace") as results:
            for line in results:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # a line cut by a kill: that prompt runs again
                if isinstance(rec, dict) and rec.get("status") == "ok" and "id" in rec:
                    done.add(_key(rec["id"]))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return done


def open_output(path: str) -> IO[str]:
    """The results file, opened to append, without a line cut short by an earlier kill."""
    try:
        with open(path, "ab"):
            pass
        with open(path, "rb+") as raw:
            _drop_partial_line(raw)
        return open(path, "a", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _drop_partial_line(raw: IO[bytes]) -> None:
    end = raw.seek(0, os.SEEK_END)
    pos = end
    while pos > 0:
        start = max(0, pos - 65536)
        raw.seek(start)
        block = raw.read(pos - start)
        if pos == end and block.endswith(b"\n"):
            return
        cut = block.rfind(b"\n")
        if cut >= 0:
            raw.truncate(start + cut + 1)
            return
        pos = start
    raw.truncate(0)


class Results:
    """Writes one line per prompt: as each finishes or, with an `order`, in that order."""

    def __init__(self, out: IO[str], order: list[int] | None) -> None:
        self.out = out
        self.order = order
        self._next = 0  # position in `order` of the next line to write
        self.pending: dict[int, dict[str, Any]] = {}
        self.written: list[int] = []

    def add(self, index: int, record: dict[str, Any]) -> None:
        if self.order is None:
            self._write(index, record)
            return
        self.pending[index] = record
        while self._next < len(self.order) and self.order[self._next] in self.pending:
            index = self.order[self._next]
            self._write(index, self.pending.pop(index))
            self._next += 1

    def close(self) -> None:
        """Write what finished but waits behind a prompt that never will (a stopped batch)."""
        for index in sorted(self.pending):
            self._write(index, self.pending.pop(index))

    def _write(self, index: int, record: dict[str, Any]) -> None:
        from .output.ndjson import write_line

        write_line(self.out, record)
        self.written.append(index)


def _summary(ok: int, failures: list[PerplexError], not_started: int, skipped: int) -> str:
    total = ok + len(failures) + not_started + skipped
    parts = [f"{ok + skipped} of {total} ok" + (f" ({skipped} from before)" if skipped else "")]
    if failures:
        kinds: dict[str, int] = {}
        for error in failures:
            kinds[error.kind] = kinds.get(error.kind, 0) + 1
        parts.append(
            f"{len(failures)} failed ("
            + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(kinds.items()))
            + ")"
        )
    if not_started:
        parts.append(f"{not_started} not started")
    return ", ".join(parts)


def _rank(code: int) -> int:
    return _SEVERITY.index(code) if code in _SEVERITY else len(_SEVERITY)


def _key(ident: Any) -> str:
    """Ids compare as JSON values: 3 and "3" are different ids."""
    return json.dumps(ident, sort_keys=True)
