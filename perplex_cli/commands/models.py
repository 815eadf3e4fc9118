"""`perplex models`: the known engines, one line each. Needs no key and no network.

The list is ours: the Agent API's presets (the default engine is preset fast), then the
Sonar models of the chat API with the Agent API engine each one maps to. Names not listed
here are still sent as given by `-m`; the API decides. Only `--api agent`, given as a
flag, asks the server for the models it serves (`agent_models`): the API chosen by
PERPLEX_API or the config never makes `models` go online.
Context sizes: Perplexity's model cards (sonar-pro 200k tokens, the others 128k).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import IO, Annotated, Any

import typer

from perplex_cli.cli.epilog import examples_epilog
from perplex_cli.cli.lazy import command_app
from perplex_cli.errors import UsageError
from perplex_cli.output.streams import current
from perplex_cli.request.choices import DEFAULT_PRESET, FORMATS, PRESETS, SONAR_ENGINES


@dataclass(frozen=True)
class Model:
    id: str
    context_length: int
    description: str
    object: str = "model"
    # What -m ID sends on the agent API: {"model": ...} or {"preset": ...}.
    agent: dict[str, str] = field(default_factory=dict)


def _sonar(name: str, context_length: int, description: str) -> Model:
    return Model(name, context_length, description, agent=dict(SONAR_ENGINES[name]))


MODELS = (
    _sonar(
        "sonar", 128_000, "Quick search-grounded answers with citations; the chat API's default."
    ),
    _sonar("sonar-pro", 200_000, "Deeper search for harder questions; more sources per answer."),
    _sonar(
        "sonar-reasoning-pro",
        128_000,
        "Reasons step by step before answering (a <think> block; --reasoning shows it).",
    ),
    _sonar(
        "sonar-deep-research",
        128_000,
        "Exhaustive multi-source research reports; takes minutes per answer.",
    ),
)


def preset_rows() -> list[dict[str, Any]]:
    """The agent API's presets, lowest effort first."""
    return [
        {
            "id": name,
            "object": "preset",
            "description": text + ("; the default" if name == DEFAULT_PRESET else ""),
        }
        for name, text in PRESETS.items()
    ]


def mapping(agent: dict[str, str]) -> str:
    """What a Sonar name becomes on the agent API, in words."""
    if "preset" in agent:
        return f"agent API: preset {agent['preset']}"
    return f"agent API: {agent['model']} with web search"


def write_models(out: IO[str], fmt: str, *, presets: bool = True) -> None:
    """The presets (unless `presets` is false: the chat API's list), then the Sonar models."""
    rows = (preset_rows() if presets else []) + [asdict(m) for m in MODELS]
    if fmt == "json":
        from perplex_cli.output.json import write_document

        write_document(out, rows)
    elif fmt == "ndjson":
        from perplex_cli.output.ndjson import write_line

        for row in rows:
            write_line(out, row)
    else:
        width = max(len(row["id"]) for row in rows)
        for row in rows:
            if row.get("object") == "preset":
                size, text = "preset", row["description"]
            else:
                size = f"{row['context_length'] // 1000}k"
                text = row["description"]
                if presets:
                    text = f"{text.rstrip('.')}; {mapping(row['agent'])}"
            out.write(f"{row['id']:<{width}}  {size:>6}  {text}\n")
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
            help="agent: the models the Agent API serves (GET /v1/models: the network, no "
            "key) and the presets; chat: only the Sonar models. Without it: the presets and "
            "the Sonar models with their agent API engines, known offline.",
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
    """List the presets and models: what each is for and what -m NAME sends."""
    from perplex_cli.request.options import Options
    from perplex_cli.request.settings import resolve

    fmt = format or "text"
    if fmt not in FORMATS:
        raise UsageError(f"invalid value for -f/--format: {fmt!r} (choose from text, json, ndjson)")
    settings = resolve(Options(api=api, base_url=base_url, format=fmt))
    if api != "agent":  # only the flag goes online; PERPLEX_API and the config do not
        write_models(current().stdout, fmt, presets=api != "chat")
        return
    # The one form of `models` that asks the server (and so imports requests).
    from perplex_cli.api.agent_models import list_agent_models, write_agent_models
    from perplex_cli.transport.connect import open_transport

    transport = open_transport(settings, current().stderr, need_key=False)
    try:
        rows = list_agent_models(transport)
    finally:
        transport.close()
    write_agent_models(rows, current().out(), fmt)  # descriptions come from the server


app = command_app(
    "models",
    models_command,
    epilog=examples_epilog(
        "  perplex models",
        "  perplex models -f json",
        "  perplex models --api agent",
        '  perplex -m sonar-pro "a harder question"   # ask with one of them',
    ),
)
