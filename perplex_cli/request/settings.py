"""The one place where defaults are filled: flags > environment > config > defaults.

The config keys are the fields of `options.Options` (except those marked flag-only) plus
the few keys that exist only in the file (`CONFIG_ONLY`), so a new option is configurable
the day it is added. A value from the file must have the field's type, then pass the same
validators as the flag (`request.validate`) and the checks here; a bad one is exit 3
naming the file and the key.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import os
import re
import shlex
import sys
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, Union
from urllib.parse import urlsplit

from perplex_cli.errors import ConfigError, UsageError
from perplex_cli.local import config
from perplex_cli.redact import no_core_dumps, remember
from perplex_cli.request.choices import APIS, FORMATS
from perplex_cli.request.options import Options

if typing.TYPE_CHECKING:
    from perplex_cli.local.keys import FoundKey

DEFAULT_BASE_URL = "https://api.perplexity.ai"
MAX_TIMEOUT = 86400.0  # a day: more than any answer needs
KEY_VARIABLES = ("PERPLEXITY_API_KEY", "PPLX_API_KEY")  # looked up by keys.find_key

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

# Keys that only the config file sets (with their types): no flag exists for them.
CONFIG_ONLY: dict[str, Any] = {"api_key_command": str}

PROXY_SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")


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

    opts is filled in place, so every command that builds a request from it gets the
    environment's and the config file's values: a field no flag gave takes the
    environment's value, else the config file's, else stays None ("not given": the
    defaults live in the Settings fields only, so `opts.api is None` still means that
    nobody chose an API).
    """
    no_core_dumps()  # a command that may read the key: before any source of it is read
    path = config.config_path()
    from_file = load_config(path)
    flag_proxy = opts.proxy
    origin: dict[str, str] = {}  # where each value came from, for messages
    for f in fields(Options):
        if f.name == "extra":
            continue
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


def load_config(path: Path) -> dict[str, Any]:
    """The config file's values, each checked; unknown keys and bad values are exit 3."""
    keys = config_keys()
    values: dict[str, Any] = {}
    for key, raw in config.load_table(path).items():
        if key not in keys:
            raise ConfigError(
                f"{path}: unknown key {key!r}",
                hint="perplex config list --all shows the known keys",
            )
        try:
            values[key] = check_value(key, raw)
        except ValueError as exc:
            raise ConfigError(f"{path}: {key}: {exc}") from None
    return values


@functools.cache
def config_keys() -> dict[str, Any]:
    """Every key the config file may set, with the type its value must have."""
    hints = typing.get_type_hints(Options)
    keys = {
        f.name: _without_none(hints[f.name])
        for f in fields(Options)
        if f.metadata.get("config", True)
    }
    keys.update(CONFIG_ONLY)
    return keys


def check_value(name: str, value: Any) -> Any:
    """The value with its field's type, checked like the flag; ValueError says what is wrong."""
    value = coerce(config_keys()[name], value)
    problem = own_problem(name, value)
    if problem:
        raise ValueError(problem)
    if name in {f.name for f in fields(Options)}:
        from perplex_cli.api.chat_request import validate

        try:
            validate(Options(**{name: value}))
        except UsageError as exc:
            message = exc.message
            raise ValueError(
                message.split(": ", 1)[1] if message.startswith("invalid value for ") else message
            ) from None
    return value


def parse_text(name: str, text: str) -> Any:
    """A value typed on the command line (`perplex config set KEY VALUE`), checked."""
    expected = config_keys()[name]
    return check_value(name, _from_text(expected, text))


def _from_text(expected: Any, text: str) -> Any:
    origin = typing.get_origin(expected)
    if expected is bool:
        word = text.strip().lower()
        if word in ("true", "yes", "on", "1"):
            return True
        if word in ("false", "no", "off", "0"):
            return False
        raise ValueError(f"{text!r} is not true or false")
    if expected is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not an integer") from None
    if expected is float:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if origin in (list, tuple):
        if text.lstrip().startswith("["):
            try:
                return config.parse_toml(f"v = {text}")["v"]
            except config.TomlError:
                raise ValueError(f'{text!r} is not a TOML array such as ["a", "b"]') from None
        return [_from_text(typing.get_args(expected)[0], text)]
    if origin in (Union, types.UnionType):
        for option in typing.get_args(expected):
            try:
                return _from_text(option, text)
            except ValueError:
                continue
    return text


def coerce(expected: Any, value: Any) -> Any:
    """value as `expected` (str, int, float, bool, list/tuple of them, Literal), or ValueError."""
    origin = typing.get_origin(expected)
    if expected is Any:
        return value
    if expected is bool:
        if isinstance(value, bool):
            return value
    elif expected is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif expected is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif expected is str:
        if isinstance(value, str):
            return value
        if isinstance(value, datetime.date):  # TOML dates: search_after = 2025-01-31
            return value.isoformat()
    elif origin in (list, tuple):
        inner = typing.get_args(expected)[0] if typing.get_args(expected) else Any
        # One value stands for a list of one, as one flag does: stop = "###".
        items = value if isinstance(value, list) else [value]
        if isinstance(value, list) or not isinstance(value, dict):
            converted = [coerce(inner, item) for item in items]
            return converted if origin is list else tuple(converted)
    elif origin is Literal:
        if value in typing.get_args(expected):
            return value
        raise ValueError(
            f"{value!r} is not one of {', '.join(map(str, typing.get_args(expected)))}"
        )
    elif origin in (Union, types.UnionType):
        for option in typing.get_args(expected):
            try:
                return coerce(option, value)
            except ValueError:
                continue
    elif isinstance(expected, type) and isinstance(value, expected):
        return value
    raise ValueError(f"must be {describe(expected)}, not {_toml_type(value)}")


def describe(expected: Any) -> str:
    origin = typing.get_origin(expected)
    if origin in (list, tuple):
        args = typing.get_args(expected)
        return f"a list of {describe(args[0]).split(' ', 1)[-1]}s" if args else "a list"
    if origin in (Union, types.UnionType):
        return " or ".join(describe(a) for a in typing.get_args(expected))
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(
        expected, getattr(expected, "__name__", str(expected))
    )


def _toml_type(value: Any) -> str:
    return (
        describe(type(value))
        if not isinstance(value, (list, dict))
        else ("a list" if isinstance(value, list) else "a table")
    )


def _without_none(hint: Any) -> Any:
    if typing.get_origin(hint) in (Union, types.UnionType):
        rest = [a for a in typing.get_args(hint) if a is not type(None)]
        return rest[0] if len(rest) == 1 else Union[tuple(rest)]  # noqa: UP007 - built at run time
    return hint


def own_problem(name: str, value: Any) -> str | None:
    """What is wrong with a value by the checks that belong to settings, or None."""
    check = _CHECKS.get(name)
    return check(value) if check else None


def _positive_seconds(value: float) -> str | None:
    # Also refuses nan and inf, which the socket layer cannot take.
    if 0 < value <= MAX_TIMEOUT:
        return None
    return f"must be > 0 and at most {MAX_TIMEOUT:g} seconds"


def _api_key_command(value: str) -> str | None:
    try:
        return None if shlex.split(value) else "is empty"
    except ValueError as exc:
        return f"cannot be split into words: {exc}"


_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "format": lambda v: None if v in FORMATS else f"{v!r} (choose from {', '.join(FORMATS)})",
    "api": lambda v: None if v in APIS else f"{v!r} (choose from {', '.join(APIS)})",
    "timeout": _positive_seconds,
    "connect_timeout": _positive_seconds,
    "retries": lambda v: None if v >= 0 else "must be >= 0",
    "base_url": lambda v: url_problem(v, ("http", "https")),
    "proxy": lambda v: url_problem(v, PROXY_SCHEMES),
    "api_key_command": _api_key_command,
}


def url_problem(url: str, schemes: tuple[str, ...]) -> str | None:
    """Why url is not a usable URL with one of schemes, or None."""
    shown = repr(re.sub(r"(//[^/@]*?:)[^/@]*@", r"\1***@", url))  # never echo a password
    if any(ch.isspace() or ord(ch) < 0x20 or ch == "\\" for ch in url):
        return f"{shown} contains spaces, backslashes or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return f"{shown} is not a valid URL: {exc}"
    if parts.scheme.lower() not in schemes or not parts.hostname:
        return f"{shown} must start with {' or '.join(s + '://' for s in schemes)} and name a host"
    return None


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


def environment_proxies() -> dict[str, str]:
    """urllib.request.getproxies(): on Linux, the *_proxy variables, lower case first.

    Importing urllib.request for it cost 83M CPU instructions, more than the rest of an
    offline command such as `models` (issue 9); elsewhere getproxies also reads the
    system's settings, so it is still asked there.
    """
    if sys.platform in ("darwin", "win32"):
        import urllib.request

        return urllib.request.getproxies()
    found: dict[str, str] = {}
    for name, value in os.environ.items():
        if value and name.lower().endswith("_proxy"):
            found[name.lower()[:-6]] = value
    if "REQUEST_METHOD" in os.environ:  # a CGI script: HTTP_PROXY may come from a request header
        found.pop("http", None)
    for name, value in os.environ.items():  # a lower-case suffix wins, and empty clears
        if name.endswith("_proxy"):
            if value:
                found[name.lower()[:-6]] = value
            else:
                found.pop(name.lower()[:-6], None)
    return found


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: traffic that never leaves this machine."""
    host = host.lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def refuse_plain_http(
    base_url: str | None, allowed: bool, origin: str, proxy: str | None = None
) -> None:
    """The key never travels over plain HTTP beyond this machine unless the user says so:
    not to another host, and not to a proxy on another host (`cleartext.py`)."""
    parts = urlsplit(base_url or DEFAULT_BASE_URL)
    if parts.scheme.lower() != "http" or allowed:
        return
    if is_loopback(parts.hostname or ""):
        from perplex_cli.transport.cleartext import refuse_cleartext_proxy

        refuse_cleartext_proxy(base_url or DEFAULT_BASE_URL, proxy)
        return
    raise ConfigError(
        f"refusing to send the API key over plain HTTP to {parts.hostname} "
        f"(base URL {base_url} from {origin})",
        hint="use an https:// base URL, or --allow-insecure-http if you really mean it",
    )
