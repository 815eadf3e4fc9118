"""The values of the config file: typed as their flags, and checked by the same rules."""

from __future__ import annotations

import datetime
import functools
import re
import shlex
import types
import typing
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any, Literal, Union
from urllib.parse import urlsplit

from perplex_cli.errors import ConfigError, UsageError
from perplex_cli.local import config
from perplex_cli.request.choices import APIS, FORMATS
from perplex_cli.request.options import Options

MAX_TIMEOUT = 86400.0  # a day: more than any answer needs


PROXY_SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")


# Keys that only the config file sets (with their types): no flag exists for them.
CONFIG_ONLY: dict[str, Any] = {"api_key_command": str}


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
        from perplex_cli.request.values import validate

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
