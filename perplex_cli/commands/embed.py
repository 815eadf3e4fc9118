"""`perplex embed`: text embeddings from the Embeddings API (`POST /v1/embeddings`).

The texts are the arguments (one text each), then the lines of `--file`; with neither,
the lines of stdin (`-` says so). A blank line is not sent (the API refuses empty texts)
and has no output line, but keeps its place: `index` is the text's position among all
the arguments and lines given, from 0, so a line of the output names its line of input.

The texts go in requests within the API's limits: at most 512 texts, and at most 120,000
tokens in all, counted as UTF-8 bytes (a token is at least one byte) plus a margin per
text; one text longer than that goes alone. The requests go one after another, and the
vectors of each are written as it answers, in input order: a run that fails keeps the
lines it wrote, and the error says how many. docs/embeddings.md tells the formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer

from perplex_cli.cli.epilog import examples_epilog
from perplex_cli.cli.lazy import command_app
from perplex_cli.cli.options import shared_options
from perplex_cli.errors import Interrupted, PerplexError, ProtocolError, UsageError
from perplex_cli.request.choices import EMBED_ENCODINGS, EMBED_MODELS
from perplex_cli.request.options import CONNECTION_FLAGS, Options

if TYPE_CHECKING:
    from perplex_cli.transport.client import Transport

EMBED_PATH = "/v1/embeddings"
DEFAULT_MODEL = "pplx-embed-v1-0.6b"
MIN_DIMENSIONS = 128
MAX_DIMENSIONS = max(EMBED_MODELS.values())  # for a pplx-embed model perplex does not know
MAX_TEXTS = 512  # per request
MAX_TOKENS = 120_000  # per request, all texts together
TEXT_MARGIN = 4  # tokens a text may cost besides its bytes (the model's special tokens)
# --encoding -> the API's encoding_format: float is base64_int8 decoded here.
WIRE_ENCODING = {"float": "base64_int8", "base64_int8": "base64_int8", "binary": "base64_binary"}


@shared_options(only=(*CONNECTION_FLAGS, "--usage"))
def embed_command(
    texts: Annotated[
        list[str] | None,
        typer.Argument(
            help="Texts to embed, one per argument; without any (or with '-') the lines of stdin.",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            help="Also embed every line of FILE ('-': stdin), after the arguments.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    embed_model: Annotated[
        str,
        typer.Option(
            "-m",
            "--model",
            help="Embedding model [model]: pplx-embed-v1-0.6b (1024 dimensions, the default) or pplx-embed-v1-4b (2560).",
            metavar="MODEL",
            show_default=False,
        ),
    ] = DEFAULT_MODEL,
    dimensions: Annotated[
        int | None,
        typer.Option(
            "--dimensions",
            help="Shorter vectors [dimensions]: 128 up to the model's size (default: its size).",
            metavar="DIMS",
            show_default=False,
        ),
    ] = None,
    encoding: Annotated[
        str,
        typer.Option(
            "--encoding",
            help="How vectors are written [encoding_format]: float (numbers: the int8 values, -128..127, the default), base64_int8 or binary (1 bit per dimension), both base64 as the API sends them.",
            click_type=click.Choice(EMBED_ENCODINGS),
            show_default=False,
        ),
    ] = "float",
    fmt: Annotated[
        str,
        typer.Option(
            "-f",
            "--format",
            help="Output: ndjson, one {index, embedding} line per text (the default), or json, one document.",
            click_type=click.Choice(["ndjson", "json"]),
            show_default=False,
        ),
    ] = "ndjson",
    *,
    opts: Options,
) -> None:
    """Embed texts: one NDJSON line with the vector of each, in input order."""
    body = request_fields(embed_model, dimensions, encoding)
    arguments = texts or []
    stdin = arguments == ["-"] or file == "-" or (not arguments and file is None)
    if stdin and opts.api_key_file == "-":
        raise UsageError("stdin cannot hold both the key (--api-key-file -) and the texts")
    run_embed(body, collect(arguments, file), opts, encoding=encoding, fmt=fmt)


def request_fields(model: str, dimensions: int | None, encoding: str) -> dict[str, Any]:
    """The request's fields besides `input`; refuses what the API would (exit 2)."""
    if model.startswith("pplx-embed-context-"):
        raise UsageError(
            f"invalid value for -m/--model: {model} embeds chunks of documents, "
            "which perplex embed does not send; use pplx-embed-v1-0.6b or pplx-embed-v1-4b"
        )
    if not model.startswith("pplx-embed-"):
        raise UsageError(
            f"invalid value for -m/--model: {model!r} is not an embedding model "
            f"({', '.join(EMBED_MODELS)})"
        )
    body: dict[str, Any] = {"model": model}
    if dimensions is not None:
        most = EMBED_MODELS.get(model, MAX_DIMENSIONS)
        if not MIN_DIMENSIONS <= dimensions <= most:
            raise UsageError(
                f"invalid value for --dimensions: {dimensions} is not between "
                f"{MIN_DIMENSIONS} and {most} ({model})"
            )
        body["dimensions"] = dimensions
    body["encoding_format"] = WIRE_ENCODING[encoding]
    return body


def collect(arguments: list[str], file: str | None) -> list[tuple[int, str]]:
    """(position, text) of every text to send: the arguments, then the lines of the file
    (or of stdin); blank ones are left out but counted."""
    from perplex_cli.commands.batch_input import read_input
    from perplex_cli.request.prompt import stdin_text

    if "-" in arguments and (len(arguments) > 1 or file is not None):
        raise UsageError("'-' reads the texts from stdin: give it alone, without --file")
    given = [] if arguments == ["-"] else list(arguments)
    if file is not None or not given:
        if file is None and not arguments:
            _need_piped_stdin()
        data, where = read_input(file or "-", "the texts")
        lines = stdin_text(data, where).split("\n")
        if lines[-1] == "":
            lines.pop()  # the end of the last line, not a line
        given += [line.removesuffix("\r") for line in lines]
    positions = [(i, text) for i, text in enumerate(given) if text.strip()]
    if not positions:
        raise UsageError("no text to embed" + (" (only blank lines)" if given else ""))
    return positions


def _need_piped_stdin() -> None:
    from perplex_cli.request.prompt import stdin_is_terminal, stdin_stream

    if stdin_stream() is None and stdin_is_terminal():
        raise UsageError(
            'no text: give some (perplex embed "first text" "second text"), '
            "pipe lines in, or use --file FILE"
        )


def requests_for(texts: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """The texts cut into requests within the API's limits, in order."""
    batches: list[list[tuple[int, str]]] = []
    size = 0
    for text in texts:
        cost = len(text[1].encode("utf-8")) + TEXT_MARGIN
        if not batches or len(batches[-1]) == MAX_TEXTS or size + cost > MAX_TOKENS:
            batches.append([])
            size = 0
        batches[-1].append(text)
        size += cost
    return batches


@dataclass
class Embedded:
    """What the API answered so far: how many vectors, the usage added up, and for the
    json document (only: ndjson keeps nothing) the lines themselves."""

    model: str
    keep: bool
    lines: list[dict[str, Any]] = field(default_factory=list)
    done: int = 0
    last: int = -1  # the index of the last vector
    usage: dict[str, Any] = field(default_factory=dict)
    reported: bool = False  # whether any response carried usage

    def add(self, lines: list[dict[str, Any]]) -> None:
        self.done += len(lines)
        self.last = lines[-1]["index"]
        if self.keep:
            self.lines.extend(lines)

    def document(self, error: PerplexError | None) -> dict[str, Any]:
        from perplex_cli.output.formatter import error_member

        doc: dict[str, Any] = {"object": "list", "model": self.model, "data": self.lines}
        if self.reported:
            doc["usage"] = self.usage
        if error is not None:
            doc["error"] = error_member(error)
        return doc


def run_embed(
    body: dict[str, Any],
    texts: list[tuple[int, str]],
    opts: Options,
    *,
    encoding: str,
    fmt: str,
) -> None:
    from perplex_cli.output.ndjson import write_line
    from perplex_cli.output.progress import StatusLine, is_live
    from perplex_cli.output.streams import current
    from perplex_cli.request.settings import resolve
    from perplex_cli.transport.connect import open_transport

    settings = resolve(opts)
    err = current().stderr
    out = current().out()
    status = StatusLine(err, is_live(err, settings.quiet or settings.no_color))
    transport = open_transport(settings, err, on_retry=status.note)
    batches = requests_for(texts)
    got = Embedded(body["model"], keep=fmt == "json")
    try:
        for number, batch in enumerate(batches, 1):
            if len(batches) > 1:
                status.show(
                    f"embedding: {got.done}/{len(texts)} texts, request {number} of {len(batches)}",
                    force=True,
                )
            lines = embed_batch(transport, body, batch, encoding, got)
            for line in lines if fmt == "ndjson" else ():
                write_line(out, line)
            got.add(lines)
    except (PerplexError, KeyboardInterrupt) as exc:
        status.clear()
        error = exc if isinstance(exc, PerplexError) else Interrupted()
        if got.done:
            written = (
                f"{got.done} of {len(texts)} texts were embedded and written "
                f"(up to index {got.last})"
            )
            error.hint = f"{written}; {error.hint}" if error.hint else written
        if got.keep and got.done:
            write_line(out, got.document(error))
        raise error from None
    finally:
        status.clear()
        transport.close()
    if fmt == "json":
        write_line(out, got.document(None))  # compact: a vector is hundreds of numbers
    if settings.usage:
        from perplex_cli.output.terminal import say
        from perplex_cli.output.usage import usage_line

        say(err, usage_line({"completion_tokens": 0, **got.usage} if got.reported else None))


def embed_batch(
    transport: Transport,
    body: dict[str, Any],
    batch: list[tuple[int, str]],
    encoding: str,
    got: Embedded,
) -> list[dict[str, Any]]:
    """Send one request; its output lines, in input order (`got` adds up the usage)."""
    from perplex_cli.api.jsonapi import fetch

    doc = fetch(transport, "POST", EMBED_PATH, {**body, "input": [t for _, t in batch]})
    vectors = vectors_of(doc, len(batch))
    lines = [
        {"index": position, "embedding": decoded(vector) if encoding == "float" else vector}
        for (position, _), vector in zip(batch, vectors, strict=True)
    ]
    if isinstance(doc.get("model"), str):
        got.model = doc["model"]
    usage = doc.get("usage")
    if isinstance(usage, dict):
        got.reported = True
        add_up(got.usage, usage)
    return lines


def vectors_of(doc: dict[str, Any], count: int) -> list[Any]:
    """The `count` embeddings of a response, in the order of its input (exit 8 otherwise)."""
    data = doc.get("data")
    if not isinstance(data, list) or len(data) != count:
        raise ProtocolError(
            f"the embeddings response has {len(data) if isinstance(data, list) else 'no'} "
            f"embeddings for {count} texts"
        )
    vectors: dict[int, Any] = {}
    for item in data:
        index = item.get("index") if isinstance(item, dict) else None
        if not isinstance(index, int) or not 0 <= index < count or index in vectors:
            raise ProtocolError("the embeddings response has an embedding with a bad index")
        if item.get("embedding") is None:
            raise ProtocolError(f"the embeddings response has no vector for text {index}")
        vectors[index] = item["embedding"]
    return [vectors[i] for i in range(count)]


def decoded(vector: Any) -> Any:
    """base64 of signed int8 values as a list of numbers; a list of numbers as it is."""
    import base64
    import binascii
    from array import array

    if isinstance(vector, list):
        return vector
    if not isinstance(vector, str):
        raise ProtocolError(
            "the embeddings response has a vector that is neither base64 nor numbers"
        )
    try:
        return array("b", base64.b64decode(vector, validate=True)).tolist()
    except (binascii.Error, ValueError):
        raise ProtocolError("the embeddings response has a vector that is not base64") from None


def add_up(total: dict[str, Any], usage: dict[str, Any]) -> None:
    """Add the numbers of one response's usage (and of its cost) into `total`."""
    for name, value in usage.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            total[name] = total.get(name, 0) + value
        elif isinstance(value, float):
            total[name] = round(total.get(name, 0) + value, 12)  # no float noise in the sum
        elif isinstance(value, dict):
            add_up(total.setdefault(name, {}), value)
        elif name not in total:
            total[name] = value  # the currency


app = command_app(
    "embed",
    embed_command,
    epilog=examples_epilog(
        '  perplex embed "first text" "second text"',
        "  perplex embed --file sentences.txt > vectors.ndjson",
        "  perplex embed -m pplx-embed-v1-4b --dimensions 512 -f json - < notes.txt",
    ),
)
