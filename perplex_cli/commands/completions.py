"""`perplex completions SHELL`: print the completion script the package ships."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import click
import typer

from perplex_cli.cli.epilog import examples_epilog
from perplex_cli.cli.lazy import command_app
from perplex_cli.request.choices import SHELLS

# The scripts, generated from the command tree by scripts/gen_docs.py (tests/test_docs.py
# keeps them equal to it); printed from the files, since building the whole tree to write
# them again costs twice a plain start.
SCRIPTS = Path(__file__).resolve().parent.parent / "data" / "completions"
NAMES = {"bash": "bash/perplex", "zsh": "zsh/_perplex", "fish": "fish/perplex.fish"}


def completions_command(
    shell: Annotated[
        str,
        typer.Argument(
            help="bash, zsh or fish.",
            click_type=click.Choice(SHELLS),
            metavar="SHELL",
            show_default=False,
        ),
    ],
) -> None:
    """Print the completion script for bash, zsh or fish.

    The script completes commands, options and the values of options such as --format and
    --model; it is static, so pressing Tab starts neither perplex nor the network.
    """
    typer.echo((SCRIPTS / NAMES[shell]).read_text(encoding="utf-8"), nl=False)


app = command_app(
    "completions",
    completions_command,
    epilog=examples_epilog(
        "  perplex completions bash > ~/.local/share/bash-completion/completions/perplex",
        "  perplex completions zsh > ~/.zfunc/_perplex    # with fpath=(~/.zfunc $fpath) in ~/.zshrc",
        "  perplex completions fish > ~/.config/fish/completions/perplex.fish",
    ),
)
