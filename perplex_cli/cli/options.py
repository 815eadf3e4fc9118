"""The options shared by the commands that ask (ask, chat, batch, research), declared once.

The typer declarations of the fields of `optionset.Options`. `shared_options` adds these parameters to a typer command and hands the command one
`Options` object instead. Every option defaults to None ("not given"), so that the one
place that fills defaults (`settings.py`) can apply flags > environment > config > defaults.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection
from typing import Annotated, Any, Optional, get_args, overload

import click
import typer

# The allowed values live in one table, read by validation, help and the completions.
from perplex_cli.request.choices import AGENT_TOOLS as AGENT_TOOLS
from perplex_cli.request.choices import APIS as APIS
from perplex_cli.request.choices import CONTEXT_SIZES as CONTEXT_SIZES
from perplex_cli.request.choices import FORMATS as FORMATS
from perplex_cli.request.choices import IMAGE_FORMATS as IMAGE_FORMATS
from perplex_cli.request.choices import OFFICE_SKILLS as OFFICE_SKILLS
from perplex_cli.request.choices import REASONING_EFFORTS as REASONING_EFFORTS
from perplex_cli.request.choices import RECENCIES as RECENCIES
from perplex_cli.request.choices import SEARCH_MODES as SEARCH_MODES
from perplex_cli.request.choices import SEARCH_TYPES as SEARCH_TYPES
from perplex_cli.request.choices import STREAM_MODES as STREAM_MODES
from perplex_cli.request.options import CONNECTION_FLAGS as CONNECTION_FLAGS
from perplex_cli.request.options import OPTION_FIELDS, Options
from perplex_cli.request.options import SHARED_NAMES as SHARED_NAMES
from perplex_cli.transport.debug import enable_option


def _opt(*names: str, help: str, metavar: str | None = None, **kw: Any) -> Any:
    return typer.Option(*names, help=help, metavar=metavar, show_default=False, **kw)


# `-f/--format` for commands that print data as text or json (ask has its own, with ndjson).
TextOrJson = Annotated[
    str,
    _opt("-f", "--format", help="Output: text or json.", click_type=click.Choice(["text", "json"])),
]


def _one_of(values: tuple[str, ...]) -> str:
    return ", ".join(values)


# Spelled with Optional: typer reads these aliases at run time, on every supported Python.
_Str = Optional[str]  # noqa: UP045
_Strs = Optional[list[str]]  # noqa: UP045
_Flag = Optional[bool]  # noqa: UP045


@functools.cache
def shared_parameters() -> list[tuple[str, Any]]:
    """(name, annotation) of every shared option, in the order --help lists them.

    Built when a command that takes them is built, not at import: the 48 typer options
    cost a start that runs another command (--version, models, completions) about a
    third of perplex's own import time (issue 9).
    """
    return [
        (
            "model",
            Annotated[
                str | None,
                _opt(
                    "-m",
                    "--model",
                    help="Model [model]: without it the agent API uses preset fast, --api chat sonar; a Sonar name (sonar, sonar-pro, sonar-reasoning-pro, sonar-deep-research) becomes its agent API engine (perplex models); provider/model names are sent as given, with web search.",
                    metavar="NAME",
                ),
            ],
        ),
        (
            "api",
            Annotated[
                str | None,
                _opt(
                    "--api",
                    help="Protocol [api]: agent (/v1/agent), the default: Perplexity's replacement for Sonar chat completions; or chat (/chat/completions), supported by Perplexity until 2026-09-27 (env PERPLEX_API).",
                    metavar="API",
                ),
            ],
        ),
        (
            "preset",
            Annotated[
                str | None,
                _opt(
                    "--preset",
                    help="Agent API preset [preset]: fast (the default), low, medium, high or xhigh; wins over a Sonar -m.",
                    metavar="NAME",
                ),
            ],
        ),
        (
            "tool",
            Annotated[
                _Strs,
                _opt(
                    "--tool",
                    help=f"Agent API only: offer this tool too; repeatable [tools]: {_one_of(AGENT_TOOLS)}. A named model then picks its tools itself (web search is no longer forced) and runs 3 steps unless told otherwise.",
                    metavar="TOOL",
                ),
            ],
        ),
        (
            "skill",
            Annotated[
                _Strs,
                _opt(
                    "--skill",
                    help=f"Agent API only: a built-in skill, run in the sandbox; repeatable [skills: builtin]: {_one_of(OFFICE_SKILLS)}. The documents it makes are listed after the sources.",
                    metavar="NAME",
                ),
            ],
        ),
        (
            "max_steps",
            Annotated[
                int | None,
                _opt(
                    "--max-steps",
                    help="Agent API only: most steps of the run, 1..100 [max_steps]; a named model takes 1 step unless told (3 with --tool or --skill).",
                    metavar="N",
                ),
            ],
        ),
        (
            "web_max_results",
            Annotated[
                int | None,
                _opt(
                    "--max-results",
                    help="Agent API only: results per web search, 1..50 [tools: web_search.max_results].",
                    metavar="N",
                ),
            ],
        ),
        (
            "models",
            Annotated[
                _Str,
                _opt(
                    "--models",
                    help="Agent API only: fallback chain of up to 5 provider/model names, tried in order [models]; wins over -m.",
                    metavar="A,B,C",
                ),
            ],
        ),
        (
            "save_files",
            Annotated[
                _Str,
                _opt(
                    "--save-files",
                    help="Agent API only: download the files the run delivers into DIR (created if missing); an existing file is never replaced: the new one gets a free name (report-2.csv).",
                    metavar="DIR",
                ),
            ],
        ),
        (
            "system",
            Annotated[
                str | None,
                _opt("-s", "--system", help="System message [messages].", metavar="TEXT"),
            ],
        ),
        (
            "max_tokens",
            Annotated[
                int | None,
                _opt(
                    "--max-tokens",
                    help="Longest answer in tokens [max_tokens], > 0; on the agent API [max_output_tokens], default 8192 for anthropic/* models, which require it.",
                    metavar="N",
                ),
            ],
        ),
        (
            "temperature",
            Annotated[
                float | None,
                _opt("--temperature", help="Randomness 0..2 [temperature].", metavar="X"),
            ],
        ),
        (
            "top_p",
            Annotated[
                float | None,
                _opt("--top-p", help="Nucleus sampling [top_p]: 0..1.", metavar="X"),
            ],
        ),
        (
            "stop",
            Annotated[
                _Strs,
                _opt(
                    "--stop",
                    help="Stop generating at this text [stop]: a string; repeated, a list.",
                    metavar="TEXT",
                ),
            ],
        ),
        (
            "search_domain",
            Annotated[
                _Strs,
                _opt(
                    "--search-domain",
                    help="Search only this domain, or never it with a leading '-' (-pinterest.com); repeatable, at most 20 [search_domain_filter].",
                    metavar="DOMAIN",
                ),
            ],
        ),
        (
            "search_recency",
            Annotated[
                _Str,
                _opt(
                    "--search-recency",
                    help=f"Only results published in the last [search_recency_filter]: {_one_of(RECENCIES)}. Not with --search-after/--search-before.",
                    metavar="PERIOD",
                ),
            ],
        ),
        (
            "search_after",
            Annotated[
                _Str,
                _opt(
                    "--search-after",
                    help="Only results published after [search_after_date_filter]: YYYY-MM-DD or M/D/YYYY.",
                    metavar="DATE",
                ),
            ],
        ),
        (
            "search_before",
            Annotated[
                _Str,
                _opt(
                    "--search-before",
                    help="Only results published before [search_before_date_filter]: YYYY-MM-DD or M/D/YYYY.",
                    metavar="DATE",
                ),
            ],
        ),
        (
            "updated_after",
            Annotated[
                _Str,
                _opt(
                    "--updated-after",
                    help="Only pages updated after [last_updated_after_filter]: YYYY-MM-DD or M/D/YYYY.",
                    metavar="DATE",
                ),
            ],
        ),
        (
            "updated_before",
            Annotated[
                _Str,
                _opt(
                    "--updated-before",
                    help="Only pages updated before [last_updated_before_filter]: YYYY-MM-DD or M/D/YYYY.",
                    metavar="DATE",
                ),
            ],
        ),
        (
            "search_mode",
            Annotated[
                _Str,
                _opt(
                    "--search-mode",
                    help=f"Where to search [search_mode]: {_one_of(SEARCH_MODES)}.",
                    metavar="MODE",
                ),
            ],
        ),
        (
            "search_context_size",
            Annotated[
                _Str,
                _opt(
                    "--search-context-size",
                    help=f"How much search context [web_search_options.search_context_size]: {_one_of(CONTEXT_SIZES)}.",
                    metavar="SIZE",
                ),
            ],
        ),
        (
            "search_type",
            Annotated[
                _Str,
                _opt(
                    "--search-type",
                    help=f"Search depth [web_search_options.search_type]: {_one_of(SEARCH_TYPES)} (pro needs streaming).",
                    metavar="TYPE",
                ),
            ],
        ),
        (
            "location",
            Annotated[
                _Str,
                _opt(
                    "--location",
                    help="Search as if from here [web_search_options.user_location]: LAT,LON[,CC], e.g. 48.85,2.35,FR.",
                    metavar="LAT,LON[,CC]",
                ),
            ],
        ),
        (
            "language",
            Annotated[
                _Str,
                _opt(
                    "--language",
                    help="Answer language [language_preference]: an ISO 639-1 code (en, de, fr, ...).",
                    metavar="LANG",
                ),
            ],
        ),
        (
            "images",
            Annotated[
                _Flag, _opt("--images", help="Return images with the answer [return_images: true].")
            ],
        ),
        (
            "image_domain",
            Annotated[
                _Strs,
                _opt(
                    "--image-domain",
                    help="Images only from this domain, or never from it with '-'; repeatable, at most 10 [image_domain_filter].",
                    metavar="DOMAIN",
                ),
            ],
        ),
        (
            "image_format",
            Annotated[
                _Strs,
                _opt(
                    "--image-format",
                    help=f"Images only in this format; repeatable [image_format_filter]: {_one_of(IMAGE_FORMATS)}.",
                    metavar="FORMAT",
                ),
            ],
        ),
        (
            "related_questions",
            Annotated[
                _Flag,
                _opt(
                    "--related-questions",
                    help="Return related questions [return_related_questions: true].",
                ),
            ],
        ),
        (
            "reasoning_effort",
            Annotated[
                _Str,
                _opt(
                    "--reasoning-effort",
                    help=f"How hard reasoning models think [reasoning_effort]: {_one_of(REASONING_EFFORTS)}; xhigh and max on the agent API only [reasoning.effort].",
                    metavar="EFFORT",
                ),
            ],
        ),
        (
            "no_search",
            Annotated[
                _Flag,
                _opt(
                    "--no-search",
                    help="Answer without searching the web [disable_search: true; agent API: no web_search tool].",
                ),
            ],
        ),
        (
            "json_schema",
            Annotated[
                _Str,
                _opt(
                    "--json-schema",
                    help="Answer as JSON matching this JSON Schema: a FILE, '-' (stdin) or inline JSON ({...}) [response_format: json_schema].",
                    metavar="FILE",
                ),
            ],
        ),
        (
            "stream_mode",
            Annotated[
                _Str,
                _opt(
                    "--stream-mode",
                    help=f"Stream format [stream_mode]: {_one_of(STREAM_MODES)} (concise streams reasoning steps).",
                    metavar="MODE",
                ),
            ],
        ),
        (
            "option",
            Annotated[
                _Strs,
                _opt(
                    "-o",
                    "--option",
                    help="Set any body field; VALUE is JSON when it parses, else a string; dotted keys nest (-o web_search_options.search_context_size=high); overrides the flags; repeatable.",
                    metavar="KEY=VALUE",
                ),
            ],
        ),
        (
            "attach",
            Annotated[
                _Strs,
                _opt(
                    "-a",
                    "--attach",
                    help="Attach an image (png, jpeg, webp, gif) or a document (pdf, doc, docx, txt, rtf), a local file up to 50 MB ('-': stdin, type sniffed) or an https URL; repeatable [messages: image_url, file_url].",
                    metavar="PATH|URL",
                ),
            ],
        ),
        (
            "no_stream",
            Annotated[
                _Flag,
                _opt(
                    "--no-stream",
                    help="One non-streaming request [stream: false]; the answer prints when complete.",
                ),
            ],
        ),
        (
            "dry_run",
            Annotated[
                _Flag,
                _opt(
                    "--dry-run",
                    help="Print the request (method, URL, headers, JSON body) and send nothing; needs no key.",
                ),
            ],
        ),
        (
            "format",
            Annotated[
                str | None,
                _opt(
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
                _opt(
                    "--reasoning/--no-reasoning",
                    help="Show the model's reasoning on stderr (--no-reasoning overrides the config).",
                ),
            ],
        ),
        (
            "no_citations",
            Annotated[
                bool | None,
                _opt(
                    "--no-citations/--citations",
                    help="Do not list the sources after a text answer (--citations overrides the config).",
                ),
            ],
        ),
        (
            "no_markers",
            Annotated[
                bool | None,
                _opt(
                    "--no-markers/--markers",
                    help="Leave the inline [n] source markers out of a text answer (json and ndjson keep them).",
                ),
            ],
        ),
        (
            "quiet",
            Annotated[
                bool | None,
                _opt(
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
                _opt(
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
                _opt(
                    "--usage/--no-usage",
                    help="After the answer, print tokens, searches and cost on stderr (--no-usage overrides the config).",
                ),
            ],
        ),
        (
            "no_color",
            Annotated[
                bool | None,
                _opt("--no-color", help="No colour, styles, links or spinner (as NO_COLOR does)."),
            ],
        ),
        (
            "base_url",
            Annotated[
                str | None,
                _opt(
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
                _opt(
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
                _opt(
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
                _opt(
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
                _opt(
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
                _opt(
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
                _opt(
                    "--allow-insecure-http",
                    help="Allow plain http:// to a host other than this machine, or through a proxy on one (the key travels unencrypted).",
                ),
            ],
        ),
        (
            "log",
            Annotated[
                bool | None,
                _opt(
                    "--log/--no-log",
                    help="Write the exchange to the local log (default on; config log = false).",
                ),
            ],
        ),
        (
            "debug",
            Annotated[
                bool | None,
                _opt(
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
    module defining commands would otherwise pay for all of them (issue 9).
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
        opts = Options(**{k: v for k, v in given.items() if k in OPTION_FIELDS})
        opts.extra = {k: v for k, v in given.items() if k not in OPTION_FIELDS}
        return self._func(opts=opts, **kwargs)
