"""`perplex mcp` before it serves: its usage errors, the missing extra, the log's source.

None of these needs the `mcp` package: the options are checked before it is imported, and
a missing package is simulated in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
from test_log import SCHEMA_V1, db_path

from perplex_cli.local.schema import SCHEMA_VERSION

WITHOUT_MCP = (
    "import sys; sys.modules['mcp'] = None; "  # `import mcp` now raises ImportError
    "from perplex_cli.__main__ import main; main(sys.argv[1:])"
)


def test_without_the_extra_perplex_mcp_says_how_to_install_it(env):
    proc = subprocess.run(
        [sys.executable, "-c", WITHOUT_MCP, "mcp"],
        check=False,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=dict(os.environ),
        timeout=60,
    )
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "perplex: error: perplex mcp needs the mcp package, which is not installed",
        "perplex: hint: pip install 'perplex-cli[mcp]'",
    ]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--http", "0.0.0.0:8765"], "not a loopback address"),
        (["--http", "192.168.1.5:8765"], "--allow-remote"),
        (["--http", "8765"], "is not HOST:PORT"),
        (["--http", "127.0.0.1:99999"], "is not HOST:PORT"),
        (["--allow-remote"], "only with --http"),
        (["--research-wait", "0"], "--research-wait"),
        (["--api-key-file", "-"], "reads the key for each call"),
        (["--http", "127.0.0.1:8765", "--api-key-file", "-"], "reads the key for each call"),
    ],
)
def test_options_it_cannot_use_are_usage_errors_before_anything_starts(cli, args, message):
    result = cli("mcp", *args)
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("perplex: error: ")
    assert message in result.stderr


def test_a_log_from_before_the_source_column_is_migrated_its_exchanges_from_the_cli(cli, env):
    path = db_path(env)
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_V1)
    shown = cli("logs", "show", "-f", "json")
    assert shown.code == 0, shown.stderr
    assert json.loads(shown.stdout)["source"] == "cli"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = [row[1] for row in conn.execute("PRAGMA table_info(exchanges)")]
    assert "source" in columns
