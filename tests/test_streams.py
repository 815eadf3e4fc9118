"""The streams a command line runs with are built once at the entry point and handed to
every command: a command given other streams writes to those and to nothing else."""

from __future__ import annotations

import io
import json

import pytest

from perplex_cli.__main__ import run
from perplex_cli.output.streams import Streams, current, using


def double() -> Streams:
    return Streams(stdin=None, stdout=io.StringIO(), stderr=io.StringIO())


def test_a_command_writes_to_the_streams_it_is_given(env, capfd):
    streams = double()
    assert run(["models", "-f", "json"], streams) == 0
    listed = json.loads(streams.stdout.getvalue())
    assert any(row["id"] == "fast" for row in listed)
    assert streams.stderr.getvalue() == ""
    assert capfd.readouterr() == ("", "")  # nothing reached the process's own streams


def test_a_failure_is_said_on_the_given_stderr(env, capfd):
    streams = double()
    assert run(["search", "--search-type", "nope", "q"], streams) == 2
    assert streams.stderr.getvalue().startswith("perplex: error: ")
    assert streams.stdout.getvalue() == ""
    assert capfd.readouterr() == ("", "")


def test_given_streams_last_for_their_run_only():
    outer = current()
    inner = double()
    with using(inner):
        assert current() is inner
    assert current() is not inner
    assert type(current()) is type(outer)


@pytest.mark.parametrize(
    "args",
    [["key", "status"], ["config", "list"], ["models"], ["logs", "stats"]],
    ids=" ".join,
)
def test_every_json_document_is_written_one_way(cli, args):
    # -f json: indented by two, UTF-8 as is, one newline; whichever command writes it
    result = cli(*args, "-f", "json")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert result.stdout == json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
