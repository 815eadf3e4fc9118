"""The user's files in the temp config dir the `env` fixture gives: config file and key file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path


def config_dir(env: dict[str, str]) -> Path:
    return Path(env["XDG_CONFIG_HOME"]) / "perplex"


def config_file(env: dict[str, str]) -> Path:
    return config_dir(env) / "config.toml"


def key_file(env: dict[str, str]) -> Path:
    return config_dir(env) / "key"


def write_config(env: dict[str, str], text: str, mode: int = 0o600) -> Path:
    return _write(config_file(env), text, mode)


def write_key(env: dict[str, str], text: str, mode: int = 0o600) -> Path:
    return _write(key_file(env), text, mode)


def _write(path: Path, text: str, mode: int) -> Path:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def toml_str(text: str) -> str:
    """A TOML basic string (JSON's string escapes are valid TOML)."""
    return json.dumps(text)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def sent_key(server) -> str:  # type: ignore[no-untyped-def]
    """The key in the Authorization header of the last request the server received."""
    header = server.requests[-1].headers["authorization"]
    assert header.startswith("Bearer ")
    return header.removeprefix("Bearer ")
