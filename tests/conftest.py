"""Fixtures: a replay server, an isolated environment, and two ways to run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from apiserver import ApiServer
from click.testing import CliRunner
from replay import ReplayServer

SENTINEL_KEY = "pplx-test-SENTINEL-0123456789abcdef"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes = b""


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    srv = ReplayServer()
    yield srv
    srv.close()


@pytest.fixture
def env(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: ReplayServer,
    request: pytest.FixtureRequest,
) -> dict[str, str]:
    """A clean environment: temp config and data dirs, a sentinel key, the local server.

    Tests marked `api("chat")` (modules that replay chat completions recordings) ask on
    the chat API through PERPLEX_API=chat, as a user who keeps it would; unmarked tests,
    and tests marked `api("agent")` inside such a module, get the default: the agent API.
    """
    for name in list(os.environ):
        if name.startswith(("PERPLEX", "PPLX", "XDG_", "NO_COLOR", "FORCE_COLOR")) or name.endswith(
            ("_PROXY", "_proxy")
        ):
            monkeypatch.delenv(name, raising=False)
    values = {
        "PERPLEXITY_API_KEY": SENTINEL_KEY,
        "PERPLEXITY_BASE_URL": server.url,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "HOME": str(tmp_path / "home"),
        "PERPLEX_RETRY_BASE": "0.01",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    marker = request.node.get_closest_marker("api")
    if marker is not None and marker.args[0] == "chat":
        values["PERPLEX_API"] = "chat"
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def cli(env: dict[str, str]):
    """Run perplex in-process, as a user would, with stdin given as bytes or text."""
    from perplex_cli.__main__ import run

    def invoke(*args: str, input: bytes | str | None = None) -> Result:
        runner = CliRunner()
        with runner.isolation(input=input) as streams:
            code = run(list(args))
            sys.stdout.flush()
            sys.stderr.flush()
            out_b = streams[0].getvalue()
            err_b = streams[1].getvalue()
        return Result(
            code, out_b.decode("utf-8", "replace"), err_b.decode("utf-8", "replace"), out_b
        )

    return invoke


@pytest.fixture
def spawn(env: dict[str, str]):
    """Run perplex as a real subprocess (PYTHONUNBUFFERED unset, so buffering is real)."""

    def start(*args: str, extra_env: dict[str, str] | None = None, **kw):  # type: ignore[no-untyped-def]
        e = dict(os.environ)
        e.pop("PYTHONUNBUFFERED", None)
        e.update(extra_env or {})
        return subprocess.Popen(
            [sys.executable, "-m", "perplex_cli", *args],
            stdin=kw.pop("stdin", subprocess.DEVNULL),
            stdout=kw.pop("stdout", subprocess.PIPE),
            stderr=kw.pop("stderr", subprocess.PIPE),
            env=e,
            **kw,
        )

    return start


@pytest.fixture
def api(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    """The programmable API server (batch, search, research), as the base URL of `env`."""
    srv = ApiServer()
    monkeypatch.setenv("PERPLEXITY_BASE_URL", srv.url)
    env["PERPLEXITY_BASE_URL"] = srv.url
    yield srv
    srv.close()


def needs_shared_flag(flag: str) -> None:
    """Skip a test whose option is not a shared request option yet (the option work adds it)."""
    from perplex_cli.cli.options import flags, shared_parameters

    if flag not in {f for _, annotation in shared_parameters() for f in flags(annotation)}:
        pytest.skip(f"{flag} is not a shared option yet")


@pytest.fixture
def chat(env):
    """Start `perplex chat ARGS` on a terminal; the child is closed after the test."""
    import pexpect

    children = []

    def start(*args: str, term: str = "dumb") -> pexpect.spawn:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "perplex_cli", "chat", *args],
            env={**os.environ, "TERM": term},
            encoding="utf-8",
            timeout=15,
            dimensions=(30, 100),
        )
        children.append(child)
        return child

    yield start
    for child in children:
        child.close(force=True)
