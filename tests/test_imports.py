"""Commands that need no network start without the heavy imports (docs/decisions.md).

requests and rich cost 20-100 ms each to import, sqlite3 a few more; `--help`,
`--version`, `completions` and `models` must not pay for them. Each command runs in a
fresh interpreter, and the test reads that interpreter's sys.modules after the command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

FORBIDDEN = ("requests", "sqlite3", "rich")
COMMANDS = [["--help"], ["--version"], ["ask", "--help"], ["completions", "bash"], ["models"]]

DRIVER = """
import json, os, sys
from perplex_cli.__main__ import run
code = run(sys.argv[1:])
sys.stdout.flush()
with open(os.environ["MODULES_OUT"], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


def command_names() -> set[str]:
    from perplex_cli.cli.app import COMMANDS

    return set(COMMANDS)


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_command_imports_no_network_or_rendering_module(env, tmp_path, args):
    if not args[0].startswith("-") and args[0] not in command_names():
        pytest.skip(f"no '{args[0]}' command in this checkout yet")
    out = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, *args],
        check=False,
        env=dict(os.environ, MODULES_OUT=str(out)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    result = json.loads(out.read_text())
    assert result["code"] == 0, proc.stderr
    assert proc.stdout.strip(), "the command printed nothing"
    loaded = sorted(
        {m.split(".")[0] for m in result["modules"] if m.split(".")[0].lstrip("_") in FORBIDDEN}
    )
    assert loaded == [], f"perplex {' '.join(args)} imported {', '.join(loaded)}"


def test_the_check_sees_an_import_when_there_is_one(env, tmp_path):
    # An answer needs requests: the same driver must report it, or the test above proves nothing.
    out = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-c", DRIVER, "q"],
        check=False,
        env=dict(os.environ, MODULES_OUT=str(out)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    assert "requests" in json.loads(out.read_text())["modules"]


def sdk_modules(tmp_path, args: list[str]) -> list[str]:
    """The top-level modules of the MCP SDK (and what it needs) that `perplex ARGS` loaded."""
    out = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-c", DRIVER, *args],
        check=False,
        env=dict(os.environ, MODULES_OUT=str(out)),
        stdin=subprocess.DEVNULL,  # `perplex mcp` reads the end of its input and stops
        capture_output=True,
        timeout=60,
    )
    result = json.loads(out.read_text())
    assert result["code"] == 0
    heavy = {*FORBIDDEN, "mcp", "mcp_types", "pydantic", "anyio"}
    return sorted({m.split(".")[0] for m in result["modules"]} & heavy)


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["models"], ["mcp", "--help"]])
def test_the_mcp_sdk_is_imported_only_to_serve(env, tmp_path, args):
    # `perplex mcp --help` and the other commands start without the optional SDK (nor the
    # modules that need network or rendering).
    assert sdk_modules(tmp_path, args) == []


def test_the_check_sees_the_sdk_when_the_server_runs(env, tmp_path):
    pytest.importorskip("mcp")
    assert "mcp" in sdk_modules(tmp_path, ["mcp"])
