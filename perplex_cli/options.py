"""The options shared by the commands that ask (ask, chat, batch, research), defined once.

`shared_options` adds these parameters to a typer command and hands the command one
`Options` object instead. Every option defaults to None ("not given"), so that the one
place that fills defaults (`settings.py`) can apply flags > environment > config > defaults.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Annotated, Any, Optional

import typer

FORMATS = ("text", "ndjson", "json")


@dataclass
class Options:
    """What the user gave on the command line; None means "not given"."""

    # request fields
    model: str | None = None
    system: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    # output
    format: str | None = None
    reasoning: bool | None = None
    no_citations: bool | None = None
    quiet: bool | None = None
    # connection
    base_url: str | None = None
    timeout: float | None = None
    connect_timeout: float | None = None
    retries: int | None = None
    # local data
    log: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _opt(*names: str, help: str, metavar: str | None = None, **kw: Any) -> Any:
    return typer.Option(*names, help=help, metavar=metavar, show_default=False, **kw)


# (name, annotation) in the order --help lists them.
SHARED_PARAMETERS: list[tuple[str, Any]] = [
    ("model", Annotated[Optional[str], _opt("-m", "--model", help="Model [model] (default sonar; see perplex models).", metavar="NAME")]),
    ("system", Annotated[Optional[str], _opt("-s", "--system", help="System message [messages].", metavar="TEXT")]),
    ("max_tokens", Annotated[Optional[int], _opt("--max-tokens", help="Longest answer in tokens [max_tokens], > 0.", metavar="N")]),
    ("temperature", Annotated[Optional[float], _opt("--temperature", help="Randomness 0..2 [temperature].", metavar="X")]),
    ("format", Annotated[Optional[str], _opt("-f", "--format", help="Output: text, ndjson or json (default text).", metavar="FORMAT")]),
    ("reasoning", Annotated[Optional[bool], _opt("--reasoning", help="Show the model's reasoning on stderr.")]),
    ("no_citations", Annotated[Optional[bool], _opt("--no-citations", help="Do not list the sources after a text answer.")]),
    ("quiet", Annotated[Optional[bool], _opt("-q", "--quiet", help="No retry notices, warnings or progress on stderr.")]),
    ("base_url", Annotated[Optional[str], _opt("--base-url", help="API base URL (default https://api.perplexity.ai; env PERPLEXITY_BASE_URL).", metavar="URL")]),
    ("timeout", Annotated[Optional[float], _opt("--timeout", help="Longest silence allowed between bytes, in seconds (default 300).", metavar="S")]),
    ("connect_timeout", Annotated[Optional[float], _opt("--connect-timeout", help="Seconds allowed to connect (default 10).", metavar="S")]),
    ("retries", Annotated[Optional[int], _opt("--retries", help="Retries before the answer starts, on connection errors, 408, 409, 429, 5xx (default 2).", metavar="N")]),
    ("log", Annotated[Optional[bool], _opt("--log/--no-log", help="Write the exchange to the local log (default on; config log = false).")]),
]

SHARED_NAMES = frozenset(name for name, _ in SHARED_PARAMETERS)
_OPTION_FIELDS = frozenset(f.name for f in fields(Options))


def shared_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the shared options; it receives them as `opts: Options`."""
    own = [
        p for p in inspect.signature(func, eval_str=True).parameters.values() if p.name != "opts"
    ]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ann)
        for name, ann in SHARED_PARAMETERS
    ]
    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared

    @functools.wraps(func)
    def command(**kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in list(kwargs) if name in SHARED_NAMES}
        opts = Options(**{k: v for k, v in given.items() if k in _OPTION_FIELDS})
        opts.extra = {k: v for k, v in given.items() if k not in _OPTION_FIELDS}
        return func(opts=opts, **kwargs)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    del command.__wrapped__  # type: ignore[attr-defined]
    return command
