"""The API key: where it comes from and how it is stored (docs/keys-config-network.md).

Lookup, first found wins:

    --api-key-file FILE      ('-' reads stdin; the prompt must then be in the arguments)
    PERPLEXITY_API_KEY
    PPLX_API_KEY
    api_key_command          (config file; run without a shell, 10 s, first line of stdout)
    the key file             ($XDG_CONFIG_HOME/perplex/key, written by `perplex key set`)

A source that is present but unusable (empty, unreadable, a failing command, a key file
others can read) is exit 3: falling through to the next source would hide the mistake.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from perplex_cli.errors import AuthError, ConfigError, UsageError
from perplex_cli.local import config
from perplex_cli.local.files import KEY_LIMIT, read_limited
from perplex_cli.redact import KEY_VARIABLES, redact, remember

COMMAND_TIMEOUT = 10.0
SHOWN = 4  # characters of a key `key status` may show, at the end


@dataclass
class FoundKey:
    value: str
    source: str  # where it came from, in words the user can act on

    def tail(self) -> str:
        """The last characters, only when the key is long enough that they reveal little."""
        return self.value[-SHOWN:] if len(self.value) >= 4 * SHOWN else ""


def find_key(api_key_file: str | None, api_key_command: str | None, config_path: Path) -> FoundKey:
    """The key from the first source that has one; exit 3 when none does."""
    if api_key_file == "-":
        return checked(key_from_stdin("--api-key-file -"), "--api-key-file - (stdin)")
    if api_key_file is not None:
        path = Path(api_key_file).expanduser()
        text = read_limited(path, f"key file {path}", KEY_LIMIT)
        if text is None:
            raise ConfigError(f"key file {path} (--api-key-file) does not exist")
        return checked(text, f"--api-key-file {path}")
    for name in KEY_VARIABLES:
        value = os.environ.get(name)
        if value is not None:
            return checked(value, name)
    if api_key_command:
        where = f"api_key_command in {config_path}"
        return checked(run_key_command(api_key_command, where), where)
    path = config.key_path()
    text = read_limited(path, f"key file {path}", KEY_LIMIT, trusted=True, private=True)
    if text is not None:
        return checked(text, f"key file {path}")
    raise AuthError(
        "no API key: run 'perplex key set', or set PERPLEXITY_API_KEY (or PPLX_API_KEY)",
        hint="get a key at https://www.perplexity.ai/settings/api",
    )


def checked(text: str, source: str) -> FoundKey:
    """The key stripped of whitespace; empty or unprintable keys are exit 3."""
    key = text.strip()
    if not key:
        raise ConfigError(f"the API key from {source} is empty")
    if not all(0x21 <= ord(ch) <= 0x7E for ch in key):
        # It would break the Authorization header, and requests' error would quote it.
        raise ConfigError(
            f"the API key from {source} contains spaces, control or non-ASCII characters"
        )
    remember(key)
    return FoundKey(key, source)


def key_from_stdin(what: str) -> str:
    """All of stdin; a terminal or closed stdin is refused rather than waited on."""
    from perplex_cli.request.prompt import claim_stdin, stdin_is_terminal, stdin_stream, stdin_text

    source = stdin_stream()
    if source is None:
        if stdin_is_terminal():
            raise UsageError(f"{what} reads the key from stdin, but stdin is a terminal")
        return ""
    return stdin_text(claim_stdin(what), "the key on stdin")


def run_key_command(command: str, where: str) -> str:
    """The first line of the command's stdout; it runs without a shell, at most 10 s."""
    argv = shlex.split(command)
    try:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except FileNotFoundError:
        raise ConfigError(f"{where}: program not found: {argv[0]}") from None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot run {argv[0]}: {exc.strerror}") from None
    try:
        out, err = process.communicate(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        try:
            process.communicate(timeout=1)
        except subprocess.TimeoutExpired:
            pass  # a grandchild holds the pipes open; do not wait for it
        raise ConfigError(f"{where} did not finish within {COMMAND_TIMEOUT:g} s") from None
    lines = out.decode("utf-8", "replace").splitlines()
    first = lines[0] if lines else ""
    if process.returncode != 0:
        said = next(
            (ln.strip() for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()), ""
        )
        said = redact(said[:200], [first.strip()])
        raise ConfigError(
            f"{where} failed (exit {process.returncode})" + (f": {said}" if said else "")
        )
    if not first.strip():
        raise ConfigError(f"{where} printed no key on the first line of its output")
    return first


def store_key(text: str) -> Path:
    """Write the key file atomically, 0600 in a 0700 directory; return its path."""
    key = checked(text, "the input").value
    path = config.key_path()
    config.write_private(path, key + "\n", follow_link=False)
    return path
