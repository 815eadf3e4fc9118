"""`perplex logs` on a terminal: a header row, and a listing taller than the screen goes
through $PAGER; into a pipe the lines are as they were, with no header and no pager."""

from __future__ import annotations

import subprocess
import sys

import pytest
from replay import Reply
from streams import answer, sse
from terminal import on_terminal, terminal_env


@pytest.fixture
def logged(server, cli, env):
    """Twelve exchanges in the log."""
    server.reply(*(Reply(body=sse(*answer(f"answer {n}"))) for n in range(12)))
    for n in range(12):
        assert cli("--api", "chat", f"question number {n}").code == 0
    return env


# A pager that marks each line it shows, so the test sees that the listing went through it.
MARKING_PAGER = (
    f"{sys.executable} -c \"import sys; [print('PAGED', l, end='') for l in sys.stdin]\""
)


def test_a_terminal_gets_a_header_row(logged):
    run = on_terminal("logs", "-n", "3", env=terminal_env(**logged))
    lines = run.out.decode().splitlines()
    assert run.code == 0
    assert lines[0].split() == ["ID", "WHEN", "MODEL", "STATUS", "CID", "PROMPT"]
    assert len(lines) == 4 and "question number 11" in lines[1]


def test_a_listing_taller_than_the_screen_goes_through_the_pager(logged):
    run = on_terminal("logs", env=terminal_env(**logged, PAGER=MARKING_PAGER), size=(8, 100))
    lines = run.out.decode().splitlines()
    assert run.code == 0
    assert len(lines) == 13
    assert all(line.startswith("PAGED ") for line in lines)


def test_a_short_listing_is_not_paged(logged):
    env = terminal_env(**logged, PAGER=MARKING_PAGER)
    run = on_terminal("logs", "-n", "2", env=env, size=(30, 100))
    assert b"PAGED" not in run.out and b"ID" in run.out


def test_a_pipe_gets_no_header_and_no_pager(logged):
    out = subprocess.run(
        [sys.executable, "-m", "perplex_cli", "logs"],
        env=terminal_env(**logged, PAGER=MARKING_PAGER),
        capture_output=True,
        text=True,
    )
    lines = out.stdout.splitlines()
    assert len(lines) == 12
    assert "PAGED" not in out.stdout and not lines[0].startswith(" ID")
    assert lines[0].split()[0] == "12"
