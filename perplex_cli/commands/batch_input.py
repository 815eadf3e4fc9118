"""The input and the results file of `perplex batch`.

The input: plain lines are prompts; a line starting with `{` is a JSON object with an
"id", a "prompt" and any request option of the command line (`"model"`, `"preset"`,
`"system"`, ...) for that prompt alone. Options that belong to the whole run (timeouts,
output, the API, the log) are refused on a line, with its number.

The input is read twice, a line at a time, and never held whole: once to check every
line before the first request, once to send them. A regular file is read from its path;
stdin (or a pipe) is first copied to a temporary file that has no name and goes with it.

The results file (`--output`): appended to, without a line cut short by an earlier kill;
`--resume` reads the ids whose line says "ok" from it.
"""

from __future__ import annotations

import json
import os
import stat
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from perplex_cli.errors import UsageError
from perplex_cli.request.options import SHARED_NAMES

if TYPE_CHECKING:
    import click

_SPOOL_BLOCK = 1024 * 1024


@dataclass
class Prompt:
    """One line of the input."""

    index: int  # position among the prompts, from 0
    line: int  # line number in the input, for messages
    id: Any  # the id given in a JSONL object, else the index
    text: str
    given: dict[str, Any] = field(default_factory=dict)  # its own option values


def read_input(file: str, what: str = "the prompts") -> tuple[bytes, str]:
    """The input's bytes and how messages name it; `what` says what it holds."""
    from perplex_cli.request.prompt import stdin_is_terminal, stdin_stream

    if file == "-":
        source = stdin_stream()
        if source is None and stdin_is_terminal():
            raise UsageError(f"'-' reads {what} from stdin, but stdin is a terminal")
        return (source.read() if source is not None else b""), "stdin"
    try:
        return Path(file).read_bytes(), file
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None


class Input:
    """The input of a batch, to be read more than once: `name` is how messages name it."""

    def __init__(self, file: str) -> None:
        self.name = "stdin" if file == "-" else file
        self._path: str | None = None
        self._spool: IO[bytes] | None = None
        if file == "-":
            self._spool = _spooled_stdin()
        elif _is_regular(file):
            self._path = file
        else:  # a FIFO or a device reads once: /dev/stdin, <(...)
            try:
                with open(file, "rb") as source:
                    self._spool = _spooled(source)
            except OSError as exc:
                raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None

    def lines(self) -> Iterator[bytes]:
        """The input's lines, from the start, each with its newline; two readings at once
        do not disturb each other."""
        if self._spool is not None:
            spool, offset = self._spool, 0
            while True:
                spool.seek(offset)  # within the buffer, a seek reads nothing again
                line = spool.readline()
                if not line:
                    return
                offset += len(line)
                yield line
        assert self._path is not None
        try:
            with open(self._path, "rb") as source:
                yield from source
        except OSError as exc:
            raise UsageError(f"cannot read {self._path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()

    def __enter__(self) -> Input:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _spooled_stdin() -> IO[bytes]:
    from perplex_cli.request.prompt import stdin_is_terminal, stdin_stream

    source = stdin_stream()
    if source is None and stdin_is_terminal():
        raise UsageError("'-' reads the prompts from stdin, but stdin is a terminal")
    return _spooled(source)


def _spooled(source: IO[bytes] | None) -> IO[bytes]:
    """A copy of `source` in a temporary file (without a name: it is gone when closed)."""
    import tempfile

    spool: IO[bytes] | None = None
    try:
        spool = tempfile.TemporaryFile()  # noqa: SIM115 (kept open: it is the input from now on)
        while source is not None and (block := source.read(_SPOOL_BLOCK)):
            spool.write(block)
    except OSError as exc:
        if spool is not None:
            spool.close()
        why = exc.strerror or exc
        raise UsageError(f"cannot copy the prompts to a temporary file: {why}") from None
    return spool


def read_prompts(source: Input, ctx: click.Context | None) -> Iterator[Prompt]:
    """The prompts, one per line read: plain lines are prompts; a line starting with `{`
    is a JSON object with its own options. Blank lines are skipped."""
    index = 0
    for number, data in enumerate(source.lines(), 1):
        try:
            raw = data.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"{source.name}, line {number}: not valid UTF-8 text") from None
        content = (raw.removeprefix("\ufeff") if number == 1 else raw).strip()
        if not content:
            continue
        if content.startswith("{"):
            where = f"{source.name}, line {number}"
            yield _object_prompt(content, where, index, number, ctx)
        else:
            yield Prompt(index, number, index, content)
        index += 1


def check_prompts(source: Input, ctx: click.Context | None) -> Iterator[Prompt]:
    """Every prompt of the input, refusing a line whose id an earlier line has (exit 2)."""
    seen = Fingerprints()
    for prompt in read_prompts(source, ctx):
        key = id_key(prompt.id)
        if seen.add(key):
            first = next((p.line for p in read_prompts(source, ctx) if id_key(p.id) == key), 0)
            if first < prompt.line:  # not a mere collision of fingerprints
                raise UsageError(
                    f"{source.name}, line {prompt.line}: id {prompt.id!r} is also on line "
                    f"{first}; ids must be unique for --resume to work"
                )
        yield prompt


class Fingerprints:
    """A set of strings kept as 64-bit fingerprints in one flat table, 16 to 32 bytes each
    (a set of the strings costs ~100 bytes each). `add` says whether an equal fingerprint
    was there already: the string was seen before, or (rarely) another shares it."""

    def __init__(self) -> None:
        self._table = array("Q", [0]) * 1024
        self._count = 0

    def add(self, text: str) -> bool:
        mark = (hash(text) & 0xFFFF_FFFF_FFFF_FFFF) | 1  # never 0, the empty slot
        if self._place(self._table, mark):
            return True
        self._count += 1
        if 2 * self._count > len(self._table):
            bigger = array("Q", [0]) * (2 * len(self._table))
            for old in self._table:
                if old:
                    self._place(bigger, old)
            self._table = bigger
        return False

    @staticmethod
    def _place(table: array[int], mark: int) -> bool:
        """Put `mark` in `table` (open addressing); True when it was there already."""
        mask = len(table) - 1
        slot = mark & mask
        while table[slot]:
            if table[slot] == mark:
                return True
            slot = (slot + 1) & mask
        table[slot] = mark
        return False


def _object_prompt(
    line: str, where: str, index: int, number: int, ctx: click.Context | None
) -> Prompt:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{where}: not a valid JSON object ({exc.msg})") from None
    except RecursionError:
        raise UsageError(f"{where}: JSON nested too deeply") from None
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
                'request options such as "model", "preset" or "system")'
            )
        if value is not None:
            own[name] = _cast(ctx, name, value, where)
    return Prompt(index, number, ident, text, own)


def run_wide() -> frozenset[str]:
    """Options that belong to the whole batch, not to one prompt: those with a run-wide
    setting (timeouts, output, the base URL: what settings.py fills), except the model,
    which is part of each request."""
    from perplex_cli.request.settings import DEFAULTS

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
                    done.add(id_key(rec["id"]))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return done


def open_output(path: str, input_file: str) -> IO[str]:
    """The results file, opened to append; what it already holds is never cut.

    A last line without a newline gets one first, so the first result starts a line of its
    own, unless that line is a result cut short by a kill (it begins with `{"id"`): that
    one is removed (--resume runs its prompt again). The input file itself is refused.
    """
    if input_file != "-" and _same_file(path, input_file):
        raise UsageError(f"--output {path} is the input file; write the results elsewhere")
    try:
        with open(path, "ab"):
            pass
        with open(path, "rb+") as raw:
            _end_last_line(raw)
        return open(path, "a", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _same_file(one: str, other: str) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _end_last_line(raw: IO[bytes]) -> None:
    end = raw.seek(0, os.SEEK_END)
    if end == 0:
        return
    raw.seek(end - 1)
    if raw.read(1) == b"\n":
        return
    start = max(0, end - 65536)
    raw.seek(start)
    block = raw.read(end - start)
    cut = block.rfind(b"\n")
    if cut >= 0 or start == 0:
        last = start + cut + 1  # where the unterminated last line begins
        if block[last - start :].startswith(b'{"id"'):
            raw.truncate(last)
            return
    raw.seek(end)
    raw.write(b"\n")


def id_key(ident: Any) -> str:
    """Ids compare as JSON values: 3 and "3" are different ids."""
    return json.dumps(ident, sort_keys=True)
