"""Reading a local file the user did not write by hand this minute: bounded and checked.

Every file perplex reads on its own (the config file, the key file, a JSON Schema) is
opened without blocking (a FIFO with no writer must not hang the run), must be a regular
file (`/dev/zero` would never end), and is read up to a limit. Files that decide what
runs or which key is sent (the config file can name an `api_key_command`) must also be
trusted the way OpenSSH trusts `~/.ssh`: owned by the user or root, not writable by
group or others, in directories that are owned by the user or root and that group and
others cannot write (unless the sticky bit is set, as on /tmp). See docs/security.md.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from perplex_cli.errors import ConfigError, PerplexError

KEY_LIMIT = 4096  # a key is a few dozen characters
CONFIG_LIMIT = 1024 * 1024
SCHEMA_LIMIT = 1024 * 1024

Refusal = Callable[[str, str], PerplexError]  # (message, hint) -> the error to raise


def config_refusal(message: str, hint: str) -> PerplexError:
    return ConfigError(message, hint=hint or None)


def read_limited(
    path: Path,
    name: str,
    limit: int,
    *,
    refuse: Refusal = config_refusal,
    trusted: bool = False,
    private: bool = False,
) -> str | None:
    """The file's UTF-8 text, or None when it does not exist; anything else is refused.

    name: the file as messages call it ("config file PATH").

    trusted: owner and directories are checked before reading (see the module's doc).
    private: group and others must have no access at all (a key file).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise refuse(f"{name} is a directory, not a file", "") from None
    except NotADirectoryError:
        raise refuse(f"cannot read {name}: a parent is not a directory", "") from None
    except OSError as exc:
        raise refuse(f"cannot read {name}: {exc.strerror or exc}", "") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise refuse(f"{name} is a directory, not a file", "")
        if not stat.S_ISREG(info.st_mode):
            raise refuse(f"{name} is not a regular file (a device, FIFO or socket)", "")
        if trusted:
            check_trusted(path, info, name, private=private)
        if info.st_size > limit:
            raise refuse(f"{name} is larger than {_size(limit)}", "")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise refuse(f"cannot read {name}: {exc.strerror or exc}", "") from None
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew while we read
        raise refuse(f"{name} is larger than {_size(limit)}", "")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise refuse(f"{name} is not UTF-8 text", "") from None


def check_trusted(path: Path, info: os.stat_result, name: str, *, private: bool) -> None:
    """Refuse (exit 3) a file another user owns or can change, or whose directory they can."""
    me = os.geteuid()
    if info.st_uid not in (me, 0):
        raise ConfigError(
            f"{name} is owned by another user (uid {info.st_uid}); refusing to use it",
            hint=f"use a file of your own: cp {quote(path)} NEW && mv NEW {quote(path)}",
        )
    mode = stat.S_IMODE(info.st_mode)
    if private and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{name} is accessible by other users (mode {mode:04o}); refusing to use it",
            hint=f"chmod 600 {quote(path)}",
        )
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(
            f"{name} is writable by other users (mode {mode:04o}) "
            "and can name a command to run; refusing to use it",
            hint=f"chmod go-w {quote(path)}",
        )
    check_directories(path, name)


def check_directories(path: Path, name: str) -> None:
    """Refuse (exit 3) a file in a directory another user owns or can write."""
    me = os.geteuid()
    for directory in _directories(path):
        _check_directory(directory, name, me)


def _directories(path: Path) -> list[Path]:
    """Every directory above the file, as named and as resolved (a symlinked dotfile)."""
    seen: list[Path] = []
    for start in (Path(os.path.abspath(path)), Path(os.path.realpath(path))):
        for directory in start.parents:
            if directory not in seen:
                seen.append(directory)
    return seen


def _check_directory(directory: Path, name: str, me: int) -> None:
    try:
        info = os.stat(directory)
    except OSError:
        return  # the file was opened through it a moment ago; nothing to judge
    if info.st_uid not in (me, 0):
        raise ConfigError(
            f"{name} is in {directory}, which another user (uid {info.st_uid}) owns; "
            "refusing to use it",
            hint="keep it in a directory of your own",
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & (stat.S_IWGRP | stat.S_IWOTH) and not mode & stat.S_ISVTX:
        raise ConfigError(
            f"{name} is in {directory}, which other users can write "
            f"(mode {mode:04o}); refusing to use it",
            hint=f"chmod go-w {quote(directory)}",
        )


def _size(limit: int) -> str:
    return f"{limit // 1024} KiB" if limit < 1024 * 1024 else f"{limit // (1024 * 1024)} MiB"


def quote(path: Path) -> str:
    """The path as a shell word, for commands we suggest."""
    import shlex

    return shlex.quote(str(path))
