"""The options shared by the commands that ask (ask, chat, batch, research), declared once.

The typer declarations of the fields of `request.options.Options`: the options of the run
here, those that shape the request in request_options.py. `shared_options` adds these
parameters to a typer command and hands the command one `Options` object instead. Every
option defaults to None ("not given"), so that the one place that fills defaults
(`request/settings.py`) can apply flags > environment > config > defaults.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection
from typing import Annotated, Any, get_args, overload

import click
import typer

from perplex_cli.cli.declare import Flag, opt
from perplex_cli.cli.request_options import request_parameters
from perplex_cli.request.options import SHARED_NAMES, Options
from perplex_cli.transport.debug import enable_option

# `-f/--format` for commands that print data as text or json (ask has its own, with ndjson).
TextOrJson = Annotated[
    str,
    opt("-f", "--format", help="Output: text or json.", click_type=click.Choice(["text", "json"])),
]


@functools.cache
def shared_parameters() -> list[tuple[str, Any]]:
    """(name, annotation) of every shared option, in the order --help lists them.

    Built when a command that takes them is built, not at import: the typer options cost
    a start that runs another command (--version, models, completions) about a third of
    perplex's own import time.
    """
    return [
        *request_parameters(),
        (
            "no_stream",
            Annotated[
                Flag,
                opt(
                    "--no-stream",
                    help="One non-streaming request [stream: false]; the answer prints when complete.",
                ),
            ],
        ),
        (
            "dry_run",
            Annotated[
                Flag,
                opt(
                    "--dry-run",
                    help="Print the request (method, URL, headers, JSON body) and send nothing; needs no key.",
                ),
            ],
        ),
        (
            "format",
            Annotated[
                str | None,
                opt(
                    "-f",
                    "--format",
                    help="Output: text, ndjson or json (default text).",
                    metavar="FORMAT",
                ),
            ],
        ),
        (
            "reasoning",
            Annotated[
                bool | None,
                opt(
                    "--reasoning/--no-reasoning",
                    help="Show the model's reasoning on stderr (--no-reasoning overrides the config).",
                ),
            ],
        ),
        (
            "no_citations",
            Annotated[
                bool | None,
                opt(
                    "--no-citations/--citations",
                    help="Do not list the sources after a text answer (--citations overrides the config).",
                ),
            ],
        ),
        (
            "no_markers",
            Annotated[
                bool | None,
                opt(
                    "--no-markers/--markers",
                    help="Leave the inline [n] source markers out of a text answer (json and ndjson keep them).",
                ),
            ],
        ),
        (
            "quiet",
            Annotated[
                bool | None,
                opt(
                    "-q",
                    "--quiet/--no-quiet",
                    help="No retry notices, warnings or progress on stderr; plain output (--no-quiet overrides the config).",
                ),
            ],
        ),
        (
            "render",
            Annotated[
                bool | None,
                opt(
                    "--render/--plain",
                    " /--no-render",
                    help="Formatted Markdown with linked sources (the default on a terminal); --plain: the raw text.",
                ),
            ],
        ),
        (
            "usage",
            Annotated[
                bool | None,
                opt(
                    "--usage/--no-usage",
                    help="After the answer, print tokens, searches and cost on stderr (--no-usage overrides the config).",
                ),
            ],
        ),
        (
            "no_color",
            Annotated[
                bool | None,
                opt("--no-color", help="No colour, styles, links or spinner (as NO_COLOR does)."),
            ],
        ),
        (
            "base_url",
            Annotated[
                str | None,
                opt(
                    "--base-url",
                    help="API base URL (default https://api.perplexity.ai; env PERPLEXITY_BASE_URL).",
                    metavar="URL",
                ),
            ],
        ),
        (
            "timeout",
            Annotated[
                float | None,
                opt(
                    "--timeout",
                    help="Longest silence allowed between bytes, in seconds (default 300).",
                    metavar="S",
                ),
            ],
        ),
        (
            "connect_timeout",
            Annotated[
                float | None,
                opt(
                    "--connect-timeout",
                    help="Seconds allowed to connect (default 10).",
                    metavar="S",
                ),
            ],
        ),
        (
            "retries",
            Annotated[
                int | None,
                opt(
                    "--retries",
                    help="Retries before the answer starts, on connection errors, 408, 409, 429, 5xx; also the reconnects of a broken Agent API answer (default 2).",
                    metavar="N",
                ),
            ],
        ),
        (
            "proxy",
            Annotated[
                str | None,
                opt(
                    "--proxy",
                    help="Proxy for API requests (default: HTTPS_PROXY, NO_PROXY from the environment).",
                    metavar="URL",
                ),
            ],
        ),
        (
            "api_key_file",
            Annotated[
                str | None,
                opt(
                    "--api-key-file",
                    help="Read the API key from FILE; '-' reads it from stdin (the prompt must then be in the arguments).",
                    metavar="FILE",
                ),
            ],
        ),
        (
            "allow_insecure_http",
            Annotated[
                bool | None,
                opt(
                    "--allow-insecure-http",
                    help="Allow plain http:// to a host other than this machine, or through a proxy on one (the key travels unencrypted).",
                ),
            ],
        ),
        (
            "log",
            Annotated[
                bool | None,
                opt(
                    "--log/--no-log",
                    help="Write the exchange to the local log (default on; config log = false).",
                ),
            ],
        ),
        (
            "debug",
            Annotated[
                bool | None,
                opt(
                    "--debug",
                    help="Show the HTTP exchange and tracebacks on stderr (key redacted).",
                    callback=enable_option,
                    is_eager=True,
                ),
            ],
        ),
    ]


def flags(annotation: Any) -> tuple[str, ...]:
    """The command-line names of a shared parameter, e.g. ("-m", "--model")."""
    info = get_args(annotation)[1]
    # With Annotated, typer takes a string first argument as a name, not as a default.
    first = (info.default,) if isinstance(info.default, str) else ()
    # "--reasoning/--no-reasoning" is two names.
    return tuple(part for name in first + tuple(info.param_decls) for part in name.split("/"))


@overload
def shared_options(
    func: Callable[..., Any],
    *,
    only: Collection[str] | None = None,
    exclude: Collection[str] = (),
) -> Callable[..., Any]: ...


@overload
def shared_options(
    *, only: Collection[str] | None = None, exclude: Collection[str] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...


def shared_options(
    func: Callable[..., Any] | None = None,
    *,
    only: Collection[str] | None = None,
    exclude: Collection[str] = (),
) -> Any:
    """Give a command the shared options; it receives them as `opts: Options`.

    `only` picks a subset by flag (`--search-domain`), for commands such as `search` that
    take some of the options: the flags are the contract, the Python names are not.
    `exclude` leaves options out by flag, for a command that has its own (batch's -f).
    """
    if func is None:
        return lambda f: shared_options(f, only=only, exclude=exclude)
    return SharedOptionsCommand(func, only, exclude)


class SharedOptionsCommand:
    """A command function with the shared options added to its signature.

    typer reads `__signature__` and `__annotations__` when it builds the command, so they
    are made then, not when the command is defined: a start builds one command, and every
    module defining commands would otherwise pay for all of them (docs/decisions.md).
    """

    def __init__(
        self, func: Callable[..., Any], only: Collection[str] | None, exclude: Collection[str] = ()
    ) -> None:
        self._func = func
        self._only = only
        self._exclude = set(exclude)
        self.__name__ = func.__name__
        self.__qualname__ = func.__qualname__
        self.__module__ = func.__module__
        self.__doc__ = func.__doc__

    @functools.cached_property
    def __signature__(self) -> inspect.Signature:
        chosen = [
            (name, ann)
            for name, ann in shared_parameters()
            if (self._only is None or set(flags(ann)) & set(self._only))
            and not set(flags(ann)) & self._exclude
        ]
        own = [
            p
            for p in inspect.signature(self._func, eval_str=True).parameters.values()
            if p.name != "opts"
        ]
        shared = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ann)
            for name, ann in chosen
        ]
        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared
        return inspect.Signature(params)

    @property
    def __annotations__(self) -> dict[str, Any]:  # type: ignore[override]
        return {p.name: p.annotation for p in self.__signature__.parameters.values()}

    def __call__(self, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in list(kwargs) if name in SHARED_NAMES}
        opts = Options(**given)
        return self._func(opts=opts, **kwargs)


# Which conversation to continue, for ask and chat; the turns come from the local log.
ContinueOption = Annotated[
    bool, typer.Option("-c", "--continue", help="Continue the latest conversation in the log.")
]
CidOption = Annotated[
    str | None,
    typer.Option(
        "--cid",
        help="Continue the conversation with this id (perplex logs shows ids).",
        metavar="ID",
        show_default=False,
    ),
]
