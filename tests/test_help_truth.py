"""Every option a command's --help lists is one that command honours.

Each command of the live tree is run, as a user runs it, once per listed option with a
good value: no run may end in a usage error naming that option. The only refusals allowed
are the documented ones: the options the Agent API cannot carry (exit 2, by name).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from perplex_cli.api.agent_tools import AGENT_ONLY
from perplex_cli.reference.commandtree import Command, Option, command_tree, walk

VALUES = {
    "N": "1",
    "X": "0.5",
    "TEXT": "x",
    "DOMAIN": "example.com",
    "DATE": "2024-01-31",
    "LAT,LON[,CC]": "48.85,2.35",
    "LANG": "en",
    "KEY=VALUE": "user=me",
    "PATH|URL": "https://example.com/paper.pdf",
    "URL": "http://127.0.0.1:9",
    "S": "1",
    "CC": "US",
    "KEY": "k1",
    "WHEN": "30d",
    "NAME": "fast",
    "ID": "0123456789",
    "DIMS": "256",
    "A,B,C": "openai/gpt-5.5,xai/grok-4",
}
# What each command needs besides the option to be a complete command line.
ARGS = {
    "chat": [],
    "batch": ["{prompts}"],
    "completions": ["bash"],
    "research submit": ["--yes", "q"],
    "research run": ["--yes", "q"],
    "research wait": ["ID1"],
    "research status": ["ID1"],
    "research cancel": ["ID1"],
    "config get": ["model"],
    "config set": ["model", "sonar"],
    "config unset": ["model"],
    "logs show": [],
    "logs search": ["word"],
    "logs rm": ["nosuchid"],
    "key set": [],
}
LEAVES = [c for c in walk(command_tree()) if not c.commands]
# Options that start a server that runs until stopped: the tests named run them for real.
SERVES = {
    ("mcp", "--http"): "test_mcp.py::test_http_serves_the_same_tools_on_loopback",
    ("mcp", "--allow-remote"): "test_mcp_command.py (with --http: its address table)",
}


def cases() -> list[tuple[Command, Option]]:
    return [
        (c, o)
        for c in LEAVES
        for o in c.options
        if o.long not in ("--help", "--version") and (" ".join(c.path), o.long) not in SERVES
    ]


def value(option: Option, files: dict[str, str]) -> list[str]:
    if not option.takes_value:
        return [option.long]
    if option.long in files:
        return [option.long, files[option.long]]
    if option.long == "--api":
        return [option.long, "chat"]
    return [option.long, option.values[0] if option.values else VALUES[option.metavar]]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "object"}')
    key = tmp_path / "key"
    key.write_text("pplx-test-from-a-file\n")
    key.chmod(0o600)
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("q\n")
    return {
        "--json-schema": str(schema),
        "--api-key-file": str(key),
        "--output": str(tmp_path / "out.ndjson"),
        "--file": str(prompts),
        "--save-files": str(tmp_path / "saved"),
        "{prompts}": str(prompts),
    }


@pytest.mark.parametrize(
    "command,option", cases(), ids=lambda x: getattr(x, "name", None) or x.long
)
def test_every_listed_option_is_accepted(cli, env, files, monkeypatch, command, option):
    # Nothing listens on port 9: a run that gets as far as the network ends there (exit 7).
    monkeypatch.setenv("PERPLEXITY_BASE_URL", "http://127.0.0.1:9")
    path = command.path
    # On the chat API every option but the agent API's own is carried; the Agent API's
    # refusals are documented.
    chooses = any(o.long == "--api" for o in command.options)
    agent_only = ("--api", *(flag for _, flag in AGENT_ONLY))
    api = ["--api", "chat"] if chooses and option.long not in agent_only else []
    extra = [files.get(a, a) for a in ARGS.get(" ".join(path), ["q"] if _asks(command) else [])]
    result = cli(*path, *value(option, files), *api, *extra, input="")
    assert not (result.code == 2 and refuses(result.stderr, option)), result.stderr
    assert "internal error" not in result.stderr


def refuses(stderr: str, option: Option) -> bool:
    """A usage error about the option itself: click's quoted name, or ours leading the line."""
    names = "|".join(re.escape(n) for n in option.names)
    return bool(re.search(rf"'(?:{names})'|error: (?:--?[\w-]+, )*(?:{names})[,:]", stderr))


def _asks(command: Command) -> bool:
    return any(o.long == "--model" for o in command.options) and "logs" not in command.path


def test_the_walk_covers_every_command():
    assert {" ".join(c.path) for c in LEAVES} >= {"ask", "chat", "batch", "research submit"}
    assert len(cases()) > 300


@pytest.mark.parametrize(
    "path,absent",
    [
        (("chat",), {"--format", "--dry-run"}),  # chat shows text and sends every question
        (("research", "submit"), {"--dry-run", "--usage", "--render", "--no-markers"}),
        (("research", "run"), {"--dry-run"}),
        (("batch",), {"--render", "--no-markers"}),  # batch writes NDJSON only
    ],
)
def test_options_a_command_cannot_honour_are_not_listed(path, absent):
    listed = {n for o in command_tree().find(path).options for n in o.names}
    assert not absent & listed
