"""`perplex config path / list / get / set / unset`: defaults in the config file.

Values are checked as the flags are (`settings.parse_text`): a bad value on the command
line is exit 2 and the file is left alone. Edits keep the file's comments and layout.
Nothing here imports requests (docs/decisions.md).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from perplex_cli.cli.epilog import examples_epilog
from perplex_cli.cli.options import TextOrJson
from perplex_cli.errors import UsageError

app = typer.Typer(
    name="config",
    help="Defaults in the config file, typed and checked like the flags.",
    epilog=examples_epilog(
        "  perplex config set model sonar-pro",
        "  perplex config list --all",
        "  perplex config unset model",
        '  $EDITOR "$(perplex config path)"',
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
)


@app.command("path", epilog=examples_epilog('  $EDITOR "$(perplex config path)"'))
def path() -> None:
    """Print the config file's path (whether or not it exists)."""
    from perplex_cli.local.config import config_path

    typer.echo(str(config_path()))


@app.command(
    "list",
    epilog=examples_epilog("  perplex config list", "  perplex config list --all -f json"),
)
def list_values(
    format: TextOrJson = "text",
    all_keys: Annotated[
        bool, typer.Option("--all", help="Also every key that is not set, with its default.")
    ] = False,
) -> None:
    """Print the values set in the config file (--all: every known key)."""
    from perplex_cli.local.config import bare_key, config_path, toml_value
    from perplex_cli.request.config_values import config_keys, load_config
    from perplex_cli.request.settings import DEFAULTS

    values = load_config(config_path())
    if format == "json":
        doc = dict(values)
        if all_keys:
            doc = {k: values.get(k, DEFAULTS.get(k)) for k in sorted(config_keys())}
        from perplex_cli.output.json import write_document
        from perplex_cli.output.streams import current

        write_document(current().stdout, doc)
        return
    for key in sorted(config_keys()) if all_keys else values:
        if key in values:
            typer.echo(f"{bare_key(key)} = {toml_value(values[key])}")
        elif DEFAULTS.get(key) is not None:
            typer.echo(f"# {bare_key(key)} = {toml_value(DEFAULTS[key])}  (default)")
        else:
            typer.echo(f"# {bare_key(key)}  (not set)")


@app.command(
    "get", epilog=examples_epilog("  perplex config get model", "  perplex config get timeout")
)
def get(key: Annotated[str, typer.Argument(help="A config key, e.g. model.")]) -> None:
    """Print a key's value from the config file, else its default.

    Nothing is printed when the key has neither.
    """
    from perplex_cli.local.config import config_path
    from perplex_cli.request.config_values import load_config
    from perplex_cli.request.settings import DEFAULTS

    _known(key)
    value = load_config(config_path()).get(key, DEFAULTS.get(key))
    if value is not None:
        typer.echo(_shown(value))


# A VALUE may start with '-' (retries -1 is refused by the check, not by the parser).
@app.command(
    "set",
    context_settings={"ignore_unknown_options": True},
    epilog=examples_epilog(
        "  perplex config set model sonar-pro",
        "  perplex config set reasoning true",
        '  perplex config set search_domain \'["arxiv.org", "-pinterest.com"]\'',
        "  perplex config set api_key_command 'pass show perplexity'",
    ),
)
def set_(
    key: Annotated[str, typer.Argument(help="A config key, e.g. model.")],
    value: Annotated[str, typer.Argument(help='The value; lists as TOML: \'["a", "b"]\'.')],
) -> None:
    """Set a key in the config file (created 0600 in a 0700 directory)."""
    from perplex_cli.local import config
    from perplex_cli.request.config_values import parse_text

    _known(key)
    try:
        typed = parse_text(key, value)
    except ValueError as exc:
        raise UsageError(f"invalid value for {key}: {exc}") from None
    _edit(lambda text: config.set_value(text, key, typed))


@app.command("unset", epilog=examples_epilog("  perplex config unset model"))
def unset(key: Annotated[str, typer.Argument(help="A config key, e.g. model.")]) -> None:
    """Remove a key from the config file, so its default applies again."""
    from perplex_cli.local import config

    if key not in config.load_table(config.config_path()):
        _known(key)
        return
    _edit(lambda text: config.unset_value(text, key))


def _edit(change: Any) -> None:
    from perplex_cli.local import config

    where = config.config_path()
    config.load_table(where)  # refuses a file others can write, or one that is not TOML
    before = config.read_config(where) or ""
    after = change(before)
    if after != before or not where.exists():
        config.write_private(where, after, keep_mode=True)


def _known(key: str) -> None:
    from perplex_cli.cli.suggest import did_you_mean
    from perplex_cli.request.config_values import config_keys

    if key not in config_keys():
        raise UsageError(
            f"unknown config key {key!r}.{did_you_mean(key, config_keys())}",
            hint="perplex config list --all shows the known keys",
        )


def _shown(value: Any) -> str:
    from perplex_cli.local.config import toml_value

    return value if isinstance(value, str) else toml_value(value)
