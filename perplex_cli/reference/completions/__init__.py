"""Shell completion scripts for bash, zsh and fish, generated from the command tree.

The scripts are static: each holds the commands, options and enumerated values it
completes, so pressing Tab starts neither python nor the network. `perplex completions
SHELL` prints the same text that `scripts/gen_docs.py` writes to `completions/`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated

import click
import typer

from perplex_cli.request.choices import SHELLS

if TYPE_CHECKING:
    from perplex_cli.reference.commandtree import Argument, Command, Option

HEADER = "generated from the perplex command tree by scripts/gen_docs.py; do not edit"
# Words that go into the scripts unquoted: command, option and value names ("/" is no
# special character to bash, zsh or fish: office/docx, provider/model).
_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+/-]*$|^--?[A-Za-z0-9][A-Za-z0-9._-]*$|^[a-z_]+$")


@dataclass(frozen=True)
class Level:
    """What can be typed after the words that lead to one command."""

    path: tuple[str, ...]
    commands: tuple[tuple[str, str], ...]  # (name, purpose)
    options: tuple[Option, ...]
    default: str
    argument: Argument | None  # the first positional argument, if any

    @property
    def key(self) -> str:
        return " ".join(self.path)

    @property
    def valued(self) -> tuple[str, ...]:
        return tuple(n for o in self.options if o.takes_value for n in o.names)


def levels(tree: Command) -> list[Level]:
    """One level per command; a group with a default command also takes that command's options."""
    from perplex_cli.reference.commandtree import walk

    out = []
    for cmd in walk(tree):
        options = list(cmd.options)
        if cmd.default:
            seen = {n for o in options for n in o.names}
            options += [o for o in cmd.find((cmd.default,)).options if not seen & set(o.names)]
        out.append(
            Level(
                path=cmd.path,
                commands=tuple((c.path[-1], c.purpose) for c in cmd.commands),
                options=tuple(options),
                default=cmd.default,
                argument=cmd.arguments[0] if cmd.arguments else None,
            )
        )
    out += config_levels(tree, out)
    for level in out:
        for word in [
            *(n for n, _ in level.commands),
            *(n for o in level.options for n in o.names),
            *(v for o in level.options for v in o.values),
            *(level.argument.values if level.argument else ()),
        ]:
            if not _WORD.match(word):
                raise ValueError(f"{word!r} cannot go into a completion script unquoted")
    return out


# The config commands whose first argument is a config key, and whether a value follows it.
CONFIG_KEY_COMMANDS = {
    ("config", "get"): False,
    ("config", "set"): True,
    ("config", "unset"): False,
}


def config_levels(tree: Command, out: list[Level]) -> list[Level]:
    """The config keys, as if each were a subcommand of `config get`, `set` and `unset`.

    Every shell's script then completes a key where a command name would go, and for
    `config set KEY` the values of that key (those of its flag; true/false for a switch).
    """
    from perplex_cli.reference.commandtree import Argument
    from perplex_cli.request.settings import config_keys

    keys = config_keys()
    flags = {o.long: o for o in tree.find(("ask",)).options}
    added: list[Level] = []
    for i, level in enumerate(out):
        if level.path not in CONFIG_KEY_COMMANDS:
            continue
        takes_value = CONFIG_KEY_COMMANDS[level.path]
        out[i] = replace(level, commands=tuple((k, _key_help(k, flags)) for k in keys))
        for key, kind in keys.items():
            flag = flags.get("--" + key.replace("_", "-"))
            values = ("true", "false") if kind is bool else flag.values if flag else ()
            argument = Argument("VALUE", "", values, False) if takes_value else None
            added.append(replace(level, path=(*level.path, key), argument=argument))
    return added


def _key_help(key: str, flags: dict[str, Option]) -> str:
    flag = flags.get("--" + key.replace("_", "-"))
    return flag.help if flag else f"Config key {key}."


FILES_MARK = "@files"  # in a script's value table: complete file names


def value_cases(levels: list[Level]) -> list[tuple[list[str], str]]:
    """("PATH|OPTION" keys, the words) for every option or argument with values to offer.

    The key of an argument is "PATH|"; the words are FILES_MARK where a path is expected.
    """
    cases = []
    for level in levels:
        for option in level.options:
            words = FILES_MARK if option.files else " ".join(option.values)
            if words:
                cases.append(([f"{level.key}|{n}" for n in option.names], words))
        arg = level.argument
        if arg is not None and (arg.values or arg.files):
            cases.append(([level.key + "|"], FILES_MARK if arg.files else " ".join(arg.values)))
    return cases


def describe(text: str, limit: int = 70) -> str:
    """A one-line description: the first sentence of a help text, cut at `limit`."""
    line = " ".join(text.split())
    sentence = re.split(r"(?<=\.)\s", line, maxsplit=1)[0].rstrip(".")
    return sentence if len(sentence) <= limit else sentence[: limit - 3].rstrip() + "..."


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


# The scripts as the installed package carries them, generated with the files below.
MODULE = "perplex_cli/reference/completions/generated.py"


def scripts_module(scripts: dict[str, str]) -> str:
    """The text of MODULE: every shell's script as a string constant, as ruff formats it."""
    entries = "".join(
        f"    {_quoted(shell)}: {_quoted(text)},\n" for shell, text in scripts.items()
    )
    return f'"""{HEADER}."""\n\nSCRIPTS = {{\n{entries}}}\n'


def _quoted(text: str) -> str:
    """A string literal in double quotes, as `ruff format` leaves it."""
    literal = repr(text)
    if literal.startswith('"'):
        return literal
    return '"' + literal[1:-1].replace("\\'", "'").replace('"', '\\"') + '"'


# Where the generated scripts are kept in the repository, per shell.
FILES = {
    "bash": "completions/bash/perplex",
    "zsh": "completions/zsh/_perplex",
    "fish": "completions/fish/perplex.fish",
}


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
    # Printed as generated from the command tree (tests/test_docs.py keeps them equal):
    # building the whole tree to write them again cost twice a plain start (issue 9).
    from perplex_cli.reference.completions.generated import SCRIPTS

    typer.echo(SCRIPTS[shell], nl=False)
