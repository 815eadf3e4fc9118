"""Arguments a user (or a script) can get wrong in odd ways: bytes that are not UTF-8,
digits that are not ASCII, numbers beyond 64 bits, dates before the year 1."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from replay import Reply
from streams import answer, sse

NOT_UTF8 = [
    [b"q\xff"],
    [b"--dry-run", b"caf\xe9"],
    [b"search", b"\xfe"],
    [b"logs", b"rm", b"\xff"],
    [b"config", b"set", b"model", b"\xff"],
    [b"batch", b"--output", b"\xff", b"-"],
]


@pytest.mark.parametrize("args", NOT_UTF8, ids=lambda a: b" ".join(a).decode("latin-1"))
def test_an_argument_that_is_not_utf8_is_refused_by_position(server, env, args):
    result = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"perplex_cli", *args],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    bad = next(i for i, a in enumerate(args, 1) if not _utf8(a))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"perplex: error: argument {bad} is not valid UTF-8: ".encode())
    assert b"\\x" in result.stderr  # the bad byte, shown escaped
    assert b"Traceback" not in result.stderr
    assert result.stdout == b""
    assert server.requests == []


def _utf8(arg: bytes) -> bool:
    try:
        arg.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize(
    "args",
    [
        ["logs", "rm", "\u00b2"],
        ["logs", "rm", "99999999999999999999999"],
        ["logs", "show", "99999999999999999999999"],
        ["logs", "prune", "--before", "999999999d"],
        ["logs", "prune", "--before", "99999999999999999999999w"],
        ["logs", "stats", "--since", "999999999d"],
    ],
)
def test_odd_log_ids_and_dates_are_usage_errors(server, cli, args):
    server.reply(Reply(body=sse(*answer("kept"))))
    assert cli("--api", "chat", "q").code == 0
    result = cli(*args)
    assert result.code == 2, result.stderr
    assert result.stderr.startswith("perplex: error: ")
    assert "internal error" not in result.stderr
    assert "kept" in cli("logs", "show").stdout  # nothing was deleted


def test_a_huge_limit_lists_everything(server, cli):
    server.reply(Reply(body=sse(*answer("kept"))))
    assert cli("--api", "chat", "kept").code == 0
    for args in (
        ["logs", "-n", "99999999999999999999999"],
        ["logs", "search", "-n", "99999999999999999999", "kept"],
    ):
        result = cli(*args)
        assert "internal error" not in result.stderr
        assert result.code == 0, result.stderr
        assert "kept" in result.stdout


DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize("api", ["chat", "agent"])
def test_a_deeply_nested_option_value_is_a_usage_error(server, cli, api):
    result = cli("--api", api, "--dry-run", "-o", f"x={DEEP}", "q")
    assert result.code == 2, result.stderr
    assert "invalid value for -o/--option x: nested too deeply" in result.stderr
    assert "internal error" not in result.stderr


def test_a_deeply_nested_batch_line_is_a_usage_error_naming_the_line(server, cli, tmp_path):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"prompt": "fine"}\n{"prompt": "a", "x": ' + DEEP + "}\n")
    result = cli("batch", "--api", "chat", "--dry-run", str(prompts))
    assert result.code == 2, result.stderr
    assert "line 2: JSON nested too deeply" in result.stderr
    assert server.requests == []
