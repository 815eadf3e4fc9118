"""The input and the results file of `perplex batch`.

The input: plain lines are prompts; a line starting with `{` is a JSON object with an
"id", a "prompt" and any request option of the command line (`"model"`, `"preset"`,
`"system"`, ...) for that prompt alone. Options that belong to the whole run (timeouts,
output, the API, the log) are refused on a line, with its number.

The results file (`--output`): appended to, without a line cut short by an earlier kill;
`--resume` reads the ids whose line says "ok" from it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from perplex_cli.errors import UsageError
from perplex_cli.request.options import SHARED_NAMES

if TYPE_CHECKING:
    import click


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
        key = id_key(prompt.id)
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
