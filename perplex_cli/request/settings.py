"""The one place where defaults are filled: flags > environment > config > defaults.

The config keys are the fields of `options.Options` (except those marked flag-only) plus
the few keys that exist only in the file (`CONFIG_ONLY`), so a new option is configurable
the day it is added. A value from the file must have the field's type, then pass the same
validators as the flag (`request.validate`) and the checks here; a bad one is exit 3
naming the file and the key.
"""

from __future__ import annotations

import os
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from perplex_cli.errors import ConfigError, UsageError
from perplex_cli.local import config
from perplex_cli.redact import no_core_dumps, remember
from perplex_cli.request.config_values import load_config, own_problem
from perplex_cli.request.options import Options
from perplex_cli.transport.cleartext import environment_proxies, is_loopback, refuse_cleartext_proxy

if typing.TYPE_CHECKING:
    from perplex_cli.local.keys import FoundKey

DEFAULT_BASE_URL = "https://api.perplexity.ai"

DEFAULTS: dict[str, Any] = {
    "model": "sonar",  # the chat API's; the agent API's default engine is preset fast
    "api": "agent",
    "format": "text",
    "reasoning": False,
    "no_citations": False,
    "no_markers": False,
    "quiet": False,
    "render": None,  # on a terminal (see run.Session.renders)
    "usage": False,
    "no_color": False,
    "base_url": DEFAULT_BASE_URL,
    "timeout": 300.0,
    "connect_timeout": 10.0,
    "retries": 2,
    "log": True,
}

ENVIRONMENT = {"base_url": "PERPLEXITY_BASE_URL", "api": "PERPLEX_API"}


@dataclass
class Settings:
    """Concrete values for one run."""

    model: str
    api: str
    format: str
    reasoning: bool
    no_citations: bool
    no_markers: bool
    quiet: bool
    render: bool | None  # None: render on a terminal, not into a pipe
    usage: bool
    no_color: bool
    base_url: str
    timeout: float
    connect_timeout: float
    retries: int
    proxy: str | None
    log: bool
    api_key_command: str | None
    api_key_file: str | None
    config_path: Path
    stdin_key: FoundKey | None  # read at once with --api-key-file -, before any prompt
    # The request options (the same object resolve filled): flags, else the environment,
    # else the config file; None where none of them gave a value.
    options: Options
    # Where each option's value came from (a flag, a variable, the config file's path or
    # "the default"), for messages that must say who chose it.
    origin: dict[str, str] = field(default_factory=dict)


def resolve(opts: Options) -> Settings:
    """Fill what was not given and check what needs no request.

    `opts` is left as the command line gave it; `Settings.options` is a copy with the
    environment's and the config file's values filled in, which every request is built
    from: a field no flag gave takes the environment's value, else the config file's, else
    stays None ("not given": the defaults live in the Settings fields only, so
    `options.api is None` still means that nobody chose an API).
    """
    opts = replace(opts)
    no_core_dumps()  # a command that may read the key: before any source of it is read
    path = config.config_path()
    from_file = load_config(path)
    flag_proxy = opts.proxy
    origin: dict[str, str] = {}  # where each value came from, for messages
    for f in fields(Options):
        value = getattr(opts, f.name)
        variable = ENVIRONMENT.get(f.name)
        if value is not None:
            origin[f.name] = flag_name(f.name)
            _refuse(f.name, value, UsageError(f"invalid value for {flag_name(f.name)}"))
        elif variable and os.environ.get(variable):
            value, origin[f.name] = os.environ[variable], variable
            _refuse(f.name, value, ConfigError(variable))
        elif f.name in from_file:
            value, origin[f.name] = from_file[f.name], str(path)
        else:
            origin[f.name] = "the default"
        setattr(opts, f.name, value)
    opts.proxy = _proxy(flag_proxy, opts.proxy, opts.base_url)
    refuse_plain_http(opts.base_url, bool(opts.allow_insecure_http), origin["base_url"], opts.proxy)
    stdin_key = None
    if opts.api_key_file == "-":
        # Before anything reads stdin as a prompt: the key must never become the prompt.
        from perplex_cli.local.keys import checked, key_from_stdin

        stdin_key = checked(key_from_stdin("--api-key-file -"), "--api-key-file - (stdin)")
    own = {f.name for f in fields(Settings)} & {f.name for f in fields(Options)}
    return Settings(
        **{name: _or_default(opts, name) for name in own},
        api_key_command=from_file.get("api_key_command"),
        config_path=path,
        stdin_key=stdin_key,
        options=opts,
        origin=origin,
    )


def _or_default(options: Options, name: str) -> Any:
    value = getattr(options, name)
    return DEFAULTS.get(name) if value is None else value


_FLAG_NAMES = {"format": "-f/--format", "render": "--render/--plain"}


def flag_name(name: str) -> str:
    return _FLAG_NAMES.get(name) or "--" + name.replace("_", "-")


def _refuse(name: str, value: Any, error: UsageError | ConfigError) -> None:
    """Raise error, its message completed with the problem, when value has one."""
    problem = own_problem(name, value)
    if problem:
        error.message = f"{error.message}: {problem}"
        error.args = (error.message,)
        raise error


def _proxy(flag: str | None, chosen: str | None, base_url: str | None) -> str | None:
    """flag > environment (left to requests, which honours NO_PROXY) > config."""
    environment = environment_proxies()
    for url in [chosen, *environment.values()]:
        password = urlsplit(url).password if url else None
        if password:
            remember(password)
    if flag:
        return flag
    scheme = urlsplit(base_url or DEFAULT_BASE_URL).scheme.lower()
    if scheme in environment or "all" in environment:
        return None
    return chosen


def refuse_plain_http(
    base_url: str | None, allowed: bool, origin: str, proxy: str | None = None
) -> None:
    """The key never travels over plain HTTP beyond this machine unless the user says so:
    not to another host, and not to a proxy on another host (`cleartext.py`)."""
    parts = urlsplit(base_url or DEFAULT_BASE_URL)
    if parts.scheme.lower() != "http" or allowed:
        return
    if is_loopback(parts.hostname or ""):
        refuse_cleartext_proxy(base_url or DEFAULT_BASE_URL, proxy)
        return
    raise ConfigError(
        f"refusing to send the API key over plain HTTP to {parts.hostname} "
        f"(base URL {base_url} from {origin})",
        hint="use an https:// base URL, or --allow-insecure-http if you really mean it",
    )


def key_for(settings: Settings) -> FoundKey:
    """The key for a run with these settings."""
    if settings.stdin_key is not None:
        return settings.stdin_key
    from perplex_cli.local.keys import find_key

    return find_key(settings.api_key_file, settings.api_key_command, settings.config_path)
