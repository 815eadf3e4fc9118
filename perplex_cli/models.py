"""`perplex models`: the known models, one line each. Needs no key and no network.

The list is ours, not the server's (the chat completions API has no models endpoint).
Names not listed here are still sent as given by `-m`; the API decides.
Context sizes: Perplexity's model cards (sonar-pro 200k tokens, the others 128k).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from typing import IO, Annotated

import typer

from .errors import UsageError
from .options import FORMATS
from .terminal import guard


@dataclass(frozen=True)
class Model:
    id: str
    context_length: int
    description: str


MODELS = (
    Model("sonar", 128_000, "Quick search-grounded answers with citations; the default."),
    Model("sonar-pro", 200_000, "Deeper search for harder questions; more sources per answer."),
    Model(
        "sonar-reasoning-pro",
        128_000,
        "Reasons step by step before answering (a <think> block; --reasoning shows it).",
    ),
    Model(
        "sonar-deep-research",
        128_000,
        "Exhaustive multi-source research reports; takes minutes per answer.",
    ),
)


def write_models(out: IO[str], fmt: str) -> None:
    if fmt == "json":
        out.write(json.dumps([asdict(m) for m in MODELS], indent=2) + "\n")
    elif fmt == "ndjson":
        out.write("".join(json.dumps(asdict(m), separators=(",", ":")) + "\n" for m in MODELS))
    else:
        width = max(len(m.id) for m in MODELS)
        out.write(
            "".join(
                f"{m.id:<{width}}  {m.context_length // 1000:>4}k  {m.description}\n"
                for m in MODELS
            )
        )
    out.flush()


def models_command(
    format: Annotated[
        str | None,
        typer.Option(
            "-f",
            "--format",
            help="Output: text, json or ndjson (default text).",
            metavar="FORMAT",
            show_default=False,
        ),
    ] = None,
    api: Annotated[
        str | None,
        typer.Option(
            "--api",
            help="chat: the Sonar models, known offline (default); agent: the Agent API's "
            "catalogue (GET /v1/models, no key needed) and its presets.",
            metavar="API",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", help="API base URL (with --api agent).", metavar="URL", show_default=False
        ),
    ] = None,
) -> None:
    """List the known models: context size in tokens and what each is for."""
    from .options import Options
    from .settings import resolve

    fmt = format or "text"
    if fmt not in FORMATS:
        raise UsageError(f"invalid value for -f/--format: {fmt!r} (choose from text, json, ndjson)")
    settings = resolve(Options(api=api, base_url=base_url, format=fmt))
    if settings.api != "agent":
        write_models(sys.stdout, fmt)
        return
    # The one form of `models` that asks the server (and so imports requests).
    from .agent_models import list_agent_models, write_agent_models

    def announce(line: str) -> None:
        from .terminal import say

        if not settings.quiet:
            say(sys.stderr, line)

    rows = list_agent_models(
        settings.base_url,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.timeout,
        retries=settings.retries,
        on_retry=announce,
    )
    write_agent_models(rows, guard(sys.stdout), fmt)  # descriptions come from the server
