"""What the completion scripts are written from: the command tree, level by level.

A level is what can be typed after the words that lead to one command; each shell's writer
(bash.py, zsh.py, fish.py) turns the levels into its own script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

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
    from perplex_cli.request.config_values import config_keys

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
