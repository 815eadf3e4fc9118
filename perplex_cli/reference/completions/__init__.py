"""Shell completion scripts for bash, zsh and fish, generated from the command tree.

The scripts are static: each holds the commands, options and enumerated values it
completes, so pressing Tab starts neither python nor the network. `scripts/gen_docs.py`
writes them to the files named in FILES, which the package ships and
`perplex completions SHELL` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from perplex_cli.reference.completions.levels import Level, levels

if TYPE_CHECKING:
    from perplex_cli.reference.commandtree import Command


def script(shell: str, tree: Command | None = None) -> str:
    """The completion script for `shell` (bash, zsh or fish)."""
    from perplex_cli.reference.commandtree import command_tree
    from perplex_cli.reference.completions import bash, fish, zsh

    writers: dict[str, Callable[[list[Level]], str]] = {
        "bash": bash.script,
        "zsh": zsh.script,
        "fish": fish.script,
    }
    return writers[shell](levels(tree or command_tree()))


# Where the generated scripts are kept in the repository, per shell.
FILES = {
    "bash": "perplex_cli/data/completions/bash/perplex",
    "zsh": "perplex_cli/data/completions/zsh/_perplex",
    "fish": "perplex_cli/data/completions/fish/perplex.fish",
}
