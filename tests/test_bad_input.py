"""Bad input never produces a traceback: it is a usage error (exit 2) before any request.

Files and streams that cannot be read are made without chmod (CI runs as root).
The property-based test at the end throws generated argv and stdin at the CLI.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from replay import Reply
from streams import answer, sse

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

EXIT_CODES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 130, 141}  # docs/failures.md


@pytest.fixture
def ok(server):
    server.reply(Reply(body=sse(*answer("fine"))))
    return server


@pytest.mark.parametrize(
    "args,words",
    [
        (["--max-tokens", "many", "q"], "'many' is not a valid integer"),
        (["--temperature", "warm", "q"], "'warm' is not a valid float"),
        (["--retries", "1.5", "q"], "'1.5' is not a valid integer"),
        (["--retries", "-1", "q"], "--retries: must be >= 0"),
        (["--timeout", "0", "q"], "--timeout: must be > 0"),
        (["--timeout", "nan", "q"], "--timeout: must be > 0"),
        (["--connect-timeout", "inf", "q"], "--connect-timeout: must be > 0"),
        (["--timeout", "1e300", "q"], "at most 86400 seconds"),
        (["-f"], "requires an argument"),
        (["--no-such-option", "q"], "No such option"),
        (["-Z", "q"], "No such option"),
    ],
)
def test_wrong_options_and_types_are_usage_errors(ok, cli, args, words):
    result = cli(*args)
    assert result.code == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert ok.requests == []


def test_huge_stdin_is_refused_while_streaming_it_in(ok, spawn):
    # The writer never stops: perplex must stop reading at the limit, not read it all.
    proc = spawn("summarise", stdin=subprocess.PIPE)
    written = 0

    def feed() -> None:
        nonlocal written
        block = b"x" * 65536
        try:
            while written < 200 * 1024 * 1024:
                proc.stdin.write(block)
                written += len(block)
        except (BrokenPipeError, ValueError):
            pass

    writer = threading.Thread(target=feed)
    started = time.monotonic()
    writer.start()
    err = proc.stderr.read()
    proc.wait(timeout=30)
    writer.join(timeout=30)
    assert proc.returncode == 2
    assert (
        err.decode() == "perplex: error: stdin is larger than 10 MiB; send a smaller part of it\n"
    )
    assert written < 20 * 1024 * 1024
    assert time.monotonic() - started < 10
    assert ok.requests == []


def test_unreadable_stdin_counts_as_empty_as_nohup_leaves_it(ok, env, tmp_path):
    # nohup gives a command a write-only stdin: reading it fails with EBADF.
    target = tmp_path / "sink"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT)
    try:
        asked = subprocess.run(
            [sys.executable, "-m", "perplex_cli", "q"], stdin=fd, capture_output=True
        )
        empty = subprocess.run([sys.executable, "-m", "perplex_cli"], stdin=fd, capture_output=True)
    finally:
        os.close(fd)
    assert (asked.returncode, asked.stdout) == (0, b"fine\n")
    assert ok.requests[0].json()["messages"][-1]["content"] == "q"
    assert empty.returncode == 2
    assert b"no prompt" in empty.stderr and b"Traceback" not in empty.stderr


def test_directory_as_stdin_is_refused_by_python_before_perplex_starts(ok, env, tmp_path):
    # The interpreter itself refuses to start (before any perplex code runs): no Python
    # traceback, exit 1, nothing sent. docs/failures.md documents it.
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        out = subprocess.run(
            [sys.executable, "-m", "perplex_cli", "q"], stdin=fd, capture_output=True
        )
    finally:
        os.close(fd)
    assert out.returncode == 1
    assert b"is a directory" in out.stderr
    assert b"Traceback" not in out.stderr
    assert ok.requests == []


# -- generated argv and stdin ------------------------------------------------------------

SECONDS = st.sampled_from(["0", "-1", "0.001", "0.5", "nan", "inf", "1e400", "x", ""])
WITH_VALUE = {
    "-m": st.text(max_size=12),
    "--model": st.sampled_from(["sonar", "sonar-pro", "", "no such model"]),
    "-s": st.text(max_size=20),
    "--system": st.text(max_size=20),
    "--max-tokens": st.one_of(st.integers(-5, 10**12).map(str), st.text(max_size=5)),
    "--temperature": st.one_of(st.floats(allow_nan=True).map(str), st.text(max_size=5)),
    "-f": st.sampled_from(["text", "json", "ndjson", "xml", "", "JSON"]),
    "--format": st.sampled_from(["text", "json", "ndjson", "yaml"]),
    "--timeout": SECONDS,
    "--connect-timeout": SECONDS,
    "--retries": st.sampled_from(["0", "1", "-1", "x", "2.5"]),  # small: no long backoff
}
FLAGS = [
    "-q",
    "--quiet",
    "--reasoning",
    "--no-citations",
    "--ignore-stdin",
    "--debug",
    "--",
    "-",
    "ask",
    "--help",
    "--version",
    "--no-such-option",
    "-Z",
    "--max-tokens",
]


# Words as typed, and bytes as sys.argv holds them when they are not UTF-8 (surrogateescape).
WORDS = st.one_of(
    st.text(max_size=15),
    st.binary(max_size=8).map(lambda raw: raw.decode("utf-8", "surrogateescape")),
)


@st.composite
def argv(draw: st.DrawFn) -> list[str]:
    args: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["value", "flag", "word", "word"]))
        if kind == "value":
            name = draw(st.sampled_from(sorted(WITH_VALUE)))
            args += [name, draw(WITH_VALUE[name])]
        elif kind == "flag":
            args.append(draw(st.sampled_from(FLAGS)))
        else:
            args.append(draw(WORDS))
    return args


STDIN = st.one_of(st.none(), st.binary(max_size=64), st.text(max_size=64))


@settings(
    max_examples=int(os.environ.get("PERPLEX_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(args=argv(), stdin=STDIN)
def test_generated_argv_and_stdin_never_give_a_traceback(ok, cli, args, stdin):
    result = cli(*args, input=stdin)
    if "--debug" not in args:  # which asks for tracebacks
        assert "Traceback" not in result.stderr, (args, result.stderr)
    assert result.code in EXIT_CODES - {1}, (args, result.code, result.stderr)  # 1 is a bug
    assert "\u256d" not in result.stderr  # no boxes either
