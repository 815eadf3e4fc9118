"""The config file and the key file on disk: paths, TOML in and out, file modes.

What the values mean and which keys exist is `settings.py`'s business; this module only
knows where the files are, how to read and write them safely, and which modes to refuse.
Nothing here imports requests (docs/decisions.md): `perplex config` and `perplex key` stay fast.
"""

from __future__ import annotations

import datetime
import math
import os
import re
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from perplex_cli.errors import ConfigError


class TomlError(ValueError):
    """Text that is not valid TOML (the parser's own error, with its message)."""


def parse_toml(text: str) -> dict[str, Any]:
    # The parser is imported when there is TOML to read: most runs have no config file,
    # and importing it cost 10M CPU instructions on every start.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the backport declared in pyproject for 3.10
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    try:
        table: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TomlError(str(exc)) from None
    return table


APP = "perplex"
CONFIG_ENV = "PERPLEX_CONFIG"


def config_home() -> Path:
    """$XDG_CONFIG_HOME, or ~/.config when it is unset or not absolute (the XDG rule)."""
    value = os.environ.get("XDG_CONFIG_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / ".config"


def config_dir() -> Path:
    return config_home() / APP


def config_path() -> Path:
    """The config file: $PERPLEX_CONFIG, else $XDG_CONFIG_HOME/perplex/config.toml."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    return config_dir() / "config.toml"


def key_path() -> Path:
    """The key file written by `perplex key set` (never under the data directory)."""
    return config_dir() / "key"


def read_config(path: Path) -> str | None:
    """The config file's text (None when absent): a trusted regular file, at most 1 MiB."""
    from perplex_cli.local.files import CONFIG_LIMIT, read_limited

    return read_limited(path, f"config file {path}", CONFIG_LIMIT, trusted=True)


def load_table(path: Path) -> dict[str, Any]:
    """The parsed config file ({} when absent); unsafe modes and bad TOML are exit 3."""
    text = read_config(path)
    if text is None:
        return {}
    try:
        return parse_toml(text)
    except TomlError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def write_private(
    path: Path, text: str, *, keep_mode: bool = False, follow_link: bool = True
) -> None:
    """Replace path atomically with text, mode 0600; a missing directory is made 0700.

    keep_mode keeps an existing file's read bits (a dotfile manager's 0644 config), never
    its write bits for others. A symlinked file is written through (the link stays, its
    target gets the new content) when follow_link, else refused: nothing may redirect the
    key file. A directory another user owns or can write is refused, as when reading.
    """
    from perplex_cli.local.files import check_directories, quote

    what = f"{'config' if follow_link else 'key'} file {path}"
    if not follow_link and os.path.islink(path):
        raise ConfigError(
            f"{what} is a symbolic link; refusing to write the key through it",
            hint=f"rm {quote(path)}",
        )
    target = Path(os.path.realpath(path)) if follow_link else path
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        check_directories(target, what)
        _replace(target, text, keep_mode)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


def _replace(target: Path, text: str, keep_mode: bool) -> None:
    mode = 0o600
    if keep_mode and target.exists():
        mode = stat.S_IMODE(target.stat().st_mode) & 0o644 | 0o600
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def set_value(text: str, key: str, value: Any) -> str:
    """The config text with `key = value`, keeping every other line and comment as it was."""
    line = f"{bare_key(key)} = {toml_value(value)}\n"
    span = _find_assignment(text, key)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if span is not None:
        start, end = span
        lines[start:end] = [line]
    else:
        # A new top-level key must go before the first [table] header.
        at = next((i for i, ln in enumerate(lines) if _TABLE.match(ln)), len(lines))
        lines.insert(at, line)
    edited = "".join(lines)
    return edited if _edit_is_exact(text, edited, key, value) else _rewrite(text, key, value)


def unset_value(text: str, key: str) -> str:
    """The config text without `key`, keeping every other line and comment as it was."""
    span = _find_assignment(text, key)
    if span is None:
        return text
    lines = text.splitlines(keepends=True)
    del lines[span[0] : span[1]]
    edited = "".join(lines)
    return edited if _edit_is_exact(text, edited, key, _ABSENT) else _rewrite(text, key, _ABSENT)


_TABLE = re.compile(r"\s*\[")
_ABSENT = object()


def _find_assignment(text: str, key: str) -> tuple[int, int] | None:
    """The line span [start, end) of the top-level assignment of key, if there is one."""
    lines = text.splitlines(keepends=True)
    start_of = re.compile(
        r"\s*(?:" + re.escape(key) + r"|\"" + re.escape(key) + r"\"|'" + re.escape(key) + r"')\s*="
    )
    for start, line in enumerate(lines):
        if _TABLE.match(line):
            return None
        if not start_of.match(line):
            continue
        # The value may span lines (arrays, multi-line strings): grow until it parses.
        for end in range(start + 1, len(lines) + 1):
            try:
                if key in parse_toml("".join(lines[start:end])):
                    return start, end
            except TomlError:
                continue
        return None
    return None


def _edit_is_exact(before: str, after: str, key: str, value: Any) -> bool:
    """True when the edit changed exactly `key` and nothing else."""
    try:
        old, new = parse_toml(before), parse_toml(after)
    except TomlError:
        return False
    expected = {k: v for k, v in old.items() if k != key}
    if value is not _ABSENT:
        expected[key] = parse_toml(f"v = {toml_value(value)}")["v"]
    return bool(_comparable(new) == _comparable(expected))


def _comparable(value: Any) -> Any:
    """value with NaN spelled out: TOML's `nan` is not equal to itself, yet is unchanged."""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def _rewrite(text: str, key: str, value: Any) -> str:
    """The whole table written afresh: the fallback when a line edit would be unsafe."""
    table = parse_toml(text) if text.strip() else {}
    table.pop(key, None)
    if value is not _ABSENT:
        table[key] = value
    try:
        return dump_table(table)
    except TypeError as exc:  # a table or an array of tables: only a person can re-lay it
        raise ConfigError(
            f"cannot change {key} without rewriting the config file, and {exc}; "
            "nothing was changed",
            hint="edit the file by hand: perplex config path",
        ) from None


def dump_table(table: dict[str, Any]) -> str:
    """TOML for a flat table of simple values (what the config holds)."""
    return "".join(f"{bare_key(k)} = {toml_value(v)}\n" for k, v in table.items())


def bare_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_value(key)


def toml_value(value: Any) -> str:
    """One TOML value: strings, integers, floats, booleans, dates and arrays of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return '"' + "".join(_escape(ch) for ch in value) + '"'
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _escape(ch: str) -> str:
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    if ord(ch) < 0x20 or ord(ch) == 0x7F:
        return f"\\u{ord(ch):04x}"
    return ch
