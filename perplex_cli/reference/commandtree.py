"""The live click command tree, read into plain data for the man page and the completions.

Everything the generated documentation says about commands and options comes from here:
names, help, metavars, and the values of enumerated options (a `click.Choice`, else the
table in `choices.py`). Importing this module costs click only; building the tree imports
the commands (`cli/app.py` and `commands/`), never requests or rich.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import click

from perplex_cli.cli.epilog import epilog_examples as epilog_examples
from perplex_cli.cli.epilog import examples_epilog as examples_epilog
from perplex_cli.request.choices import option_values

PROG = "perplex"
# Metavars that name a file: their values complete as paths.
FILE_METAVARS = frozenset({"FILE", "PATH", "DIR", "FILE|URL", "PATH|URL"})


@dataclass(frozen=True)
class Option:
    names: tuple[str, ...]  # every spelling, short ones first: ("-f", "--format")
    help: str
    metavar: str  # "" for a flag
    values: tuple[str, ...]  # enumerated values; empty when the value is free text
    files: bool  # the value is a path
    repeatable: bool

    @property
    def takes_value(self) -> bool:
        return bool(self.metavar)

    @property
    def long(self) -> str:
        return next((n for n in self.names if n.startswith("--")), self.names[-1])


@dataclass(frozen=True)
class Argument:
    metavar: str
    help: str
    values: tuple[str, ...]
    files: bool


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]  # () for the root
    help: str  # the full help text; its first paragraph is the purpose
    usage: str  # "[OPTIONS] [PROMPT]..."
    epilog: str
    options: tuple[Option, ...]
    arguments: tuple[Argument, ...]
    commands: tuple[Command, ...]
    default: str  # the subcommand run when none is named ("" for none)

    @property
    def name(self) -> str:
        return " ".join((PROG, *self.path))

    @property
    def purpose(self) -> str:
        """The one line of purpose that opens the help."""
        return " ".join(self.help.strip().split("\n\n")[0].split())

    @property
    def examples(self) -> list[str]:
        return epilog_examples(self.epilog)

    def find(self, path: tuple[str, ...]) -> Command:
        node = self
        for word in path:
            node = next(c for c in node.commands if c.path[-1] == word)
        return node


def root_command() -> click.Command:
    """The live command tree of the app."""
    from perplex_cli.cli.app import root_command as live

    return live()


def command_tree(root: click.Command | None = None) -> Command:
    """The app's commands as plain data."""
    root = root or root_command()
    return _read(root, _context(root, PROG, None), ())


def walk(command: Command) -> Iterator[Command]:
    """The command and every command under it, in order."""
    yield command
    for sub in command.commands:
        yield from walk(sub)


def help_text(path: tuple[str, ...], width: int = 80, root: click.Command | None = None) -> str:
    """`perplex PATH --help` as click prints it, at a fixed width."""
    cmd = root or root_command()
    ctx = _context(cmd, PROG, None, terminal_width=width, max_content_width=width)
    for word in path:
        assert isinstance(cmd, click.Group)
        sub = cmd.get_command(ctx, word)
        assert sub is not None, word
        cmd = sub
        ctx = _context(cmd, word, ctx)
    return cmd.get_help(ctx)


def _context(
    cmd: click.Command, name: str, parent: click.Context | None, **extra: object
) -> click.Context:
    """A context as click makes it for `cmd`, without parsing anything."""
    return click.Context(cmd, info_name=name, parent=parent, **{**cmd.context_settings, **extra})


def _read(cmd: click.Command, ctx: click.Context, path: tuple[str, ...]) -> Command:
    options: list[Option] = []
    arguments: list[Argument] = []
    for param in cmd.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if isinstance(param, click.Option):
            options.append(_option(param, path))
        elif isinstance(param, click.Argument):
            arguments.append(_argument(param, ctx))
    subcommands: list[Command] = []
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            subcommands.append(_read(sub, _context(sub, name, ctx), (*path, name)))
    return Command(
        path=path,
        help=_clean(cmd.help or ""),
        usage=" ".join(cmd.collect_usage_pieces(ctx)),
        epilog=cmd.epilog or "",
        options=tuple(options),
        arguments=tuple(arguments),
        commands=tuple(subcommands),
        default=getattr(cmd, "default_cmd_name", None) or "",
    )


def _option(param: click.Option, path: tuple[str, ...]) -> Option:
    names = tuple(sorted(param.opts, key=lambda n: (n.startswith("--"), n))) + tuple(
        param.secondary_opts
    )
    takes_value = not param.is_flag and not param.count
    metavar = ""
    if takes_value:
        metavar = param.metavar or param.type.name.upper()
    long = next((n for n in names if n.startswith("--")), names[-1])
    return Option(
        names=names,
        help=_clean(param.help or ""),
        metavar=metavar,
        values=_values(param.type) or (option_values(path, long) if takes_value else ()),
        files=takes_value and _is_path(param.type, metavar),
        repeatable=bool(param.multiple),
    )


def _argument(param: click.Argument, ctx: click.Context) -> Argument:
    metavar = param.make_metavar(ctx) if _takes_ctx(param) else param.make_metavar()  # type: ignore[call-arg]
    return Argument(
        metavar=metavar,
        help=_clean(getattr(param, "help", None) or ""),
        values=_values(param.type),
        files=_is_path(param.type, (param.metavar or param.name or "").upper()),
    )


def _takes_ctx(param: click.Parameter) -> bool:
    import inspect

    return "ctx" in inspect.signature(param.make_metavar).parameters


def _values(kind: object) -> tuple[str, ...]:
    if isinstance(kind, click.Choice):
        return tuple(str(c) for c in kind.choices)
    return ()


def _is_path(kind: object, metavar: str) -> bool:
    return isinstance(kind, (click.Path, click.File)) or metavar.strip("[].") in FILE_METAVARS


def _clean(text: str) -> str:
    """Help text without click's no-rewrap markers."""
    return "\n".join(line for line in text.splitlines() if line.strip() != "\b").strip()


def request_options(tree: Command) -> tuple[Option, ...]:
    """The shared request options (`options.py`), as the first command taking them all lists them.

    One definition serves ask, chat, batch and research: the docs list these once, and each
    command only its own options besides.
    """
    from perplex_cli.cli.options import flags, shared_parameters

    shared = shared_parameters()
    names = {name for _, annotation in shared for name in flags(annotation)}
    for cmd in walk(tree):
        taken = tuple(o for o in cmd.options if names & set(o.names))
        if len(taken) == len(shared):
            return taken
    return ()


def split_options(
    cmd: Command, request: tuple[Option, ...]
) -> tuple[tuple[Option, ...], tuple[Option, ...]]:
    """(the command's own options, the request options it takes), each in --help order."""
    own = tuple(o for o in cmd.options if o not in request)
    return own, tuple(o for o in cmd.options if o in request)


def commands_taking_all(tree: Command, request: tuple[Option, ...]) -> list[Command]:
    """The commands that take every request option."""
    return [c for c in walk(tree) if request and set(request) <= set(c.options)]
