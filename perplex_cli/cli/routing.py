"""Which command a command line runs, decided before anything is built.

The first word that is neither an option nor an option's value names the command: the
options before it are the default command's (`ask`) in form only, and go to the command
named (`perplex -f json models` runs `models -f json`). A lone word that is no command but
a couple of keystrokes from one is a usage error, never a paid question; `help` and
`version` are read as the user means them. docs/prompt-and-formats.md tells the rules.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection
from typing import Any, get_args

from perplex_cli.cli.suggest import closest, did_you_mean
from perplex_cli.errors import UsageError

# The root's own options: they stay before the command word.
ROOT_OWN = frozenset({"--version", "--debug", "-h", "--help"})
# Words read as commands though no command has their name.
WORDS = ("help", "version")
# Commands that take more words (`perplex search rust`): a first word of five letters or
# more, one keystroke from one of these, is a typo even with words after it
# (`perplex serch rust`). Shorter words, and words two keystrokes away, stay questions
# there (`perplex cat facts`, `perplex searches for x`).
TAKE_WORDS = ("search", "research", "batch", "completions", "config", "logs")


def route(args: list[str], names: list[str]) -> list[str]:
    """`args` as the command tree is to read them; raises on a typo of a command name."""
    if not args:
        _usage_on_terminal(names)
        return args
    table = _ValueOptions()
    words, prompt_from = positionals(
        args, lambda name: name not in ROOT_OWN and table.takes_value(name)
    )
    if not words or words[0] >= prompt_from:
        return args  # no word, or only after '--': a question
    at = words[0]
    word = args[at]
    keep = [a for a in args[:at] if a in ROOT_OWN]
    if word in names:
        return command_first(args, at, ROOT_OWN)
    if word == "version" and len(words) == 1:
        return [*keep, "--version"]
    following = [args[i] for i in words[1:]]
    if word == "help" and (not following or following[0] in names):
        return [*keep, *following, "--help"]
    typo = following[0] if word == "help" and len(following) == 1 else word
    lone = len(words) <= 1 + (word == "help")
    if (lone and closest(typo, [*names, *WORDS])) or _leads_words(typo, names):
        raise UsageError(
            f"{typo!r} is not a command.{did_you_mean(typo, [*names, *WORDS])}",
            hint=f"to ask it as a question: perplex ask {' '.join(args[i] for i in words)}",
        )
    return args


def command_first(args: list[str], at: int, own: Collection[str]) -> list[str]:
    """`args` with the word at `at` first and the options before it after its own words
    (before a '--'), but for the group's `own` options, which stay before it."""
    if at == 0:
        return args
    keep = [a for a in args[:at] if a in own]
    moved = [a for a in args[:at] if a not in own]
    rest = args[at + 1 :]
    cut = rest.index("--") if "--" in rest else len(rest)
    return [*keep, args[at], *rest[:cut], *moved, *rest[cut:]]


def _leads_words(word: str, names: list[str]) -> bool:
    """Whether `word` is a one-keystroke typo of a command that takes more words."""
    from perplex_cli.cli.suggest import distance

    taking = [n for n in names if n in TAKE_WORDS]
    return len(word) >= 5 and any(distance(word.lower(), n) == 1 for n in taking)


def positionals(args: list[str], takes_value: Callable[[str], bool]) -> tuple[list[int], int]:
    """(the indexes of the words that are no option or option value, the index after '--')."""
    found: list[int] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return [*found, *range(i + 1, len(args))], i + 1
        if arg.startswith("--"):
            if "=" not in arg and takes_value(arg):
                i += 1
        elif arg.startswith("-") and arg != "-":
            for at, letter in enumerate(arg[1:], 2):
                if takes_value("-" + letter):
                    i += at == len(arg)  # the value is the next word, else the rest of this one
                    break
        else:
            found.append(i)
        i += 1
    return found, len(args)


class _ValueOptions:
    """The options of the default command that take a value, read from its signature.

    typer's declarations are read as they are, without building the click command: only a
    command line with an option pays for it, and that option's command builds them anyway.
    """

    def __init__(self) -> None:
        self._names: set[str] | None = None

    def takes_value(self, name: str) -> bool:
        if self._names is None:
            self._names = _value_options()
        return name in self._names


def _value_options() -> set[str]:
    from typer.models import OptionInfo

    from perplex_cli.cli.options import flags
    from perplex_cli.commands.ask import app

    infos = [c.callback for c in app.registered_commands if c.callback]
    names: set[str] = set()
    for param in inspect.signature(infos[0]).parameters.values() if infos else ():
        kind, *meta = get_args(param.annotation) or (None,)
        if meta and isinstance(meta[0], OptionInfo) and not _is_flag(kind):
            names.update(flags(param.annotation))
    return names


def _is_flag(kind: Any) -> bool:
    return kind is bool or bool in get_args(kind)


def _usage_on_terminal(names: list[str]) -> None:
    """Bare `perplex` with nothing piped in: a short usage on stderr, exit 2 (no prompt)."""
    from perplex_cli.output.streams import current
    from perplex_cli.request.prompt import stdin_is_terminal

    if not stdin_is_terminal():
        return  # stdin is read as the prompt, or found empty
    current().stderr.write(
        "usage: perplex [OPTIONS] QUESTION...   ask, and stream the cited answer\n"
        f"       perplex COMMAND [ARGS]...      {', '.join(n for n in names if n != 'ask')}\n"
        "\nexamples:\n"
        '  perplex "why is the sky blue"\n'
        '  cat notes.md | perplex "summarise this"\n'
        "  perplex chat\n"
        "  perplex help search\n"
        "\nperplex --help lists the commands and their options.\n"
    )
    raise UsageShown()


class UsageShown(Exception):
    """The usage was written: exit 2, nothing more to say."""
