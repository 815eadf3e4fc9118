"""`perplex key set / path / status`: store the API key safely; say where it comes from.

The key itself is never printed: `status` shows its source and at most its last four
characters. Nothing here imports requests (docs/decisions.md).
"""

from __future__ import annotations

import os

import typer

from perplex_cli.cli.epilog import examples_epilog
from perplex_cli.cli.options import TextOrJson

app = typer.Typer(
    name="key",
    help="Store the API key safely and say where it comes from.",
    epilog=examples_epilog(
        "  perplex key set",
        "  pass show perplexity | perplex key set",
        "  perplex key status",
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
)


@app.command(
    "set",
    epilog=examples_epilog(
        "  perplex key set                           # type it; nothing is echoed",
        "  pass show perplexity | perplex key set",
    ),
)
def set_key() -> None:
    """Store the key in the key file: typed hidden on a terminal, or piped on stdin.

    The file is $XDG_CONFIG_HOME/perplex/key, mode 0600 in a 0700 directory, replaced
    atomically. Example: pass show perplexity | perplex key set
    """
    from perplex_cli.local.keys import key_from_stdin, store_key
    from perplex_cli.redact import KEY_VARIABLES
    from perplex_cli.request.prompt import stdin_is_terminal

    if stdin_is_terminal():
        import getpass

        try:
            text = getpass.getpass("Perplexity API key (input hidden): ")
        except EOFError:
            text = ""
    else:
        text = key_from_stdin("perplex key set")
    path = store_key(text)
    typer.echo(f"perplex: key saved to {path}", err=True)
    for name in KEY_VARIABLES:
        if os.environ.get(name) is not None:
            typer.echo(f"perplex: note: {name} is set and is used before the key file", err=True)
            break


@app.command("path", epilog=examples_epilog("  perplex key path", '  ls -l "$(perplex key path)"'))
def key_path() -> None:
    """Print where `perplex key set` stores the key."""
    from perplex_cli.local.config import key_path as where

    typer.echo(str(where()))


@app.command(
    "status",
    epilog=examples_epilog("  perplex key status", "  perplex key status -f json | jq -r .source"),
)
def status(
    format: TextOrJson = "text",
) -> None:
    """Say which source the key comes from and its last four characters, never more."""
    from perplex_cli.local.config import config_path
    from perplex_cli.local.keys import find_key
    from perplex_cli.request.config_values import load_config

    path = config_path()
    found = find_key(None, load_config(path).get("api_key_command"), path)
    tail = found.tail()
    if format == "json":
        from perplex_cli.output.json import write_document
        from perplex_cli.output.streams import current

        write_document(current().stdout, {"source": found.source, "last4": tail or None})
        return
    typer.echo(f"source: {found.source}")
    typer.echo(f"key: ...{tail}" if tail else "key: (too short to show any part of it)")
