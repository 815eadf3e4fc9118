"""Where the key comes from (docs/keys-config-network.md), in which order, and how it is stored."""

from __future__ import annotations

import os
import sys
import time

import pexpect
import pytest
from conftest import SENTINEL_KEY
from replay import Reply
from streams import answer, sse
from userfiles import config_dir, key_file, mode_of, sent_key, toml_str, write_config, write_key

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

KEYS = {
    "flag file": "pplx-from-flag-file-000000000000",
    "PERPLEXITY_API_KEY": "pplx-from-perplexity-var-1111111",
    "PPLX_API_KEY": "pplx-from-pplx-var-2222222222222",
    "command": "pplx-from-command-33333333333333",
    "key file": "pplx-from-key-file-4444444444444",
}
ORDER = list(KEYS)


def print_command(text: str) -> str:
    """An api_key_command that prints text (run without a shell, so quoting is shlex's)."""
    return f"echo '{text}'"  # the echo program: no shell is involved


@pytest.fixture
def ok(server):
    server.reply(Reply(body=sse(*answer("fine"))))
    return server


@pytest.fixture
def every_source(env, tmp_path, monkeypatch):
    """All five sources set, each with its own key; returns the args for the flag source."""
    flag_file = tmp_path / "flag-key"
    flag_file.write_text(KEYS["flag file"] + "\n")
    monkeypatch.setenv("PERPLEXITY_API_KEY", KEYS["PERPLEXITY_API_KEY"])
    monkeypatch.setenv("PPLX_API_KEY", KEYS["PPLX_API_KEY"])
    write_config(env, f"api_key_command = {toml_str(print_command(KEYS['command']))}\n")
    write_key(env, KEYS["key file"] + "\n")
    return ["--api-key-file", str(flag_file)]


def drop(source: str, env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    if source in ("PERPLEXITY_API_KEY", "PPLX_API_KEY"):
        monkeypatch.delenv(source)
    elif source == "command":
        write_config(env, "")
    elif source == "key file":
        key_file(env).unlink()


@pytest.mark.parametrize("winner", ORDER)
def test_first_source_found_wins_in_the_documented_order(
    ok, cli, env, monkeypatch, every_source, winner
):
    for source in ORDER[: ORDER.index(winner)]:
        drop(source, env, monkeypatch)
    args = every_source if winner == "flag file" else []
    result = cli(*args, "q")
    assert result.code == 0, result.stderr
    assert sent_key(ok) == KEYS[winner]


@pytest.mark.parametrize("winner", ORDER[1:])
def test_key_status_names_the_source_in_use_and_only_the_last_four(
    cli, env, monkeypatch, every_source, winner
):
    for source in ORDER[: ORDER.index(winner)]:
        drop(source, env, monkeypatch)
    result = cli("key", "status")
    assert result.code == 0, result.stderr
    key = KEYS[winner]
    assert f"...{key[-4:]}" in result.stdout
    assert key[:-4] not in result.stdout + result.stderr and key[-5:] not in result.stdout
    where = {"command": "api_key_command in", "key file": f"key file {key_file(env)}"}
    assert where.get(winner, winner) in result.stdout


def test_key_status_json_is_a_source_and_last4(cli):
    import json

    result = cli("key", "status", "-f", "json")
    assert json.loads(result.stdout) == {"source": "PERPLEXITY_API_KEY", "last4": SENTINEL_KEY[-4:]}


def test_key_from_stdin_takes_the_prompt_from_the_arguments(ok, cli, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    result = cli("--api-key-file", "-", "the question", input="pplx-on-stdin-key-5555555555\n")
    assert result.code == 0, result.stderr
    assert sent_key(ok) == "pplx-on-stdin-key-5555555555"
    assert ok.requests[-1].json()["messages"][-1]["content"] == "the question"


@pytest.mark.parametrize("words", [["-"], []])
def test_key_on_stdin_leaves_no_stdin_for_the_prompt(server, cli, words):
    result = cli("--api-key-file", "-", *words, input="pplx-on-stdin-key-5555555555\n")
    assert result.code == 2
    assert server.requests == []


def test_missing_api_key_file_is_exit_3(server, cli, tmp_path):
    result = cli("--api-key-file", str(tmp_path / "nope"), "q")
    assert result.code == 3 and "does not exist" in result.stderr
    assert server.requests == []


@pytest.mark.parametrize(
    "text", ["  pplx-padded-key-666666666666 \n\n", "\tpplx-padded-key-666666666666\r\n"]
)
def test_keys_are_stripped_of_whitespace(ok, cli, env, monkeypatch, text):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    write_key(env, text)
    assert cli("q").code == 0
    assert sent_key(ok) == "pplx-padded-key-666666666666"
    monkeypatch.setenv("PPLX_API_KEY", text)
    assert cli("q").code == 0
    assert sent_key(ok) == "pplx-padded-key-666666666666"


@pytest.mark.parametrize("source", ["PERPLEXITY_API_KEY", "PPLX_API_KEY", "key file", "command"])
def test_an_empty_key_is_exit_3_not_a_fall_through(server, cli, env, monkeypatch, source):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    write_key(env, "pplx-would-be-found-later-777777\n")
    if source == "key file":
        write_key(env, " \n")
    elif source == "command":
        write_config(env, f"api_key_command = {toml_str(print_command('   '))}\n")
    else:
        monkeypatch.setenv(source, "  ")
    result = cli("q")
    assert result.code == 3
    assert "empty" in result.stderr or "no key" in result.stderr
    assert server.requests == []


def test_a_key_with_inner_spaces_is_refused_without_echoing_it(server, cli, monkeypatch):
    monkeypatch.setenv("PERPLEXITY_API_KEY", "pplx-half one-8888888888888")
    result = cli("q")
    assert result.code == 3
    assert "half" not in result.stderr and "8888" not in result.stderr
    assert server.requests == []


def test_a_key_file_others_can_read_is_refused_with_the_fix(server, cli, env, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    path = write_key(env, "pplx-world-readable-99999999999\n", mode=0o644)
    result = cli("q")
    assert result.code == 3
    assert f"chmod 600 {path}" in result.stderr
    assert "pplx-world-readable" not in result.stderr
    assert server.requests == []
    os.chmod(path, 0o600)
    server.reply(Reply(body=sse(*answer("fine"))))
    assert cli("q").code == 0
    assert sent_key(server) == "pplx-world-readable-99999999999"


def test_no_key_anywhere_says_how_to_set_one(server, cli, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    result = cli("q")
    assert result.code == 3
    assert "perplex key set" in result.stderr and "PERPLEXITY_API_KEY" in result.stderr


# api_key_command


def test_api_key_command_runs_without_a_shell(ok, cli, env, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    write_config(env, 'api_key_command = "echo pplx-$HOME-literal;x"\n')
    assert cli("q").code == 0
    assert sent_key(ok) == "pplx-$HOME-literal;x"


def test_api_key_command_uses_the_first_line_of_stdout(ok, cli, env, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    cmd = f"{sys.executable} -c \"print('pplx-first-line-key-1212'); print('second')\""
    write_config(env, f"api_key_command = {toml_str(cmd)}\n")
    assert cli("q").code == 0
    assert sent_key(ok) == "pplx-first-line-key-1212"


def test_api_key_command_does_not_read_our_stdin(server, cli, env, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    write_config(env, 'api_key_command = "cat"\n')
    result = cli("summarise", input="pplx-not-for-the-command-3434\n")
    assert result.code == 3 and "printed no key" in result.stderr


@pytest.mark.parametrize(
    "command,words",
    [
        (
            f"{sys.executable} -c \"import sys; sys.exit('vault is locked')\"",
            "failed (exit 1): vault is locked",
        ),
        ("/no/such/program --flag", "program not found: /no/such/program"),
        (f'{sys.executable} -c "pass"', "printed no key"),
    ],
)
def test_api_key_command_failures_are_exit_3_with_the_reason(
    server, cli, env, monkeypatch, command, words
):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    path = write_config(env, f"api_key_command = {toml_str(command)}\n")
    result = cli("q")
    assert result.code == 3
    assert f"api_key_command in {path}" in result.stderr and words in result.stderr
    assert server.requests == []


def test_api_key_command_that_hangs_is_stopped(server, cli, env, monkeypatch):
    import perplex_cli.local.keys

    monkeypatch.setattr(perplex_cli.local.keys, "COMMAND_TIMEOUT", 0.3)
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    sleeper = f'{sys.executable} -c "import time; time.sleep(30)"'
    write_config(env, f"api_key_command = {toml_str(sleeper)}\n")
    started = time.monotonic()
    result = cli("q")
    assert result.code == 3 and "did not finish within 0.3 s" in result.stderr
    assert time.monotonic() - started < 5


# key set / path


def test_key_set_from_a_pipe_writes_0600_in_a_0700_directory(cli, env):
    result = cli("key", "set", input="  pplx-stored-key-abcdefabcdef\n")
    assert result.code == 0, result.stderr
    path = key_file(env)
    assert path.read_text() == "pplx-stored-key-abcdefabcdef\n"
    assert mode_of(path) == 0o600
    assert mode_of(config_dir(env)) == 0o700
    assert os.listdir(config_dir(env)) == ["key"]  # nothing left of the atomic write
    assert "pplx-stored" not in result.stdout + result.stderr
    assert "PERPLEXITY_API_KEY is set" in result.stderr  # it will shadow the file


def test_key_set_replaces_a_loose_key_file_with_a_private_one(cli, env):
    write_key(env, "old\n", mode=0o644)
    assert cli("key", "set", input="pplx-replacement-key-0000\n").code == 0
    assert key_file(env).read_text() == "pplx-replacement-key-0000\n"
    assert mode_of(key_file(env)) == 0o600


@pytest.mark.parametrize("stdin", ["", "   \n", None])
def test_key_set_with_nothing_to_store_is_exit_3(cli, env, stdin):
    result = cli("key", "set", input=stdin)
    assert result.code == 3
    assert not key_file(env).exists()


def test_key_set_on_a_terminal_reads_the_key_hidden(env):
    child = pexpect.spawn(
        sys.executable, ["-m", "perplex_cli", "key", "set"], env=dict(os.environ), timeout=10
    )
    child.expect("API key")
    child.sendline("pplx-typed-hidden-key-5678")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert b"pplx-typed" not in child.before  # not echoed
    assert key_file(env).read_text() == "pplx-typed-hidden-key-5678\n"


def test_key_path_is_under_the_config_home(cli, env):
    result = cli("key", "path")
    assert (result.code, result.stdout) == (0, f"{env['XDG_CONFIG_HOME']}/perplex/key\n")


def test_stored_key_is_used(ok, cli, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    assert cli("key", "set", input="pplx-round-trip-key-9090\n").code == 0
    assert cli("q").code == 0
    assert sent_key(ok) == "pplx-round-trip-key-9090"


def test_key_set_where_the_directory_cannot_be_made_is_exit_3(cli, env, monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))
    result = cli("key", "set", input="pplx-cannot-store-0000000000\n")
    assert result.code == 3 and "cannot write" in result.stderr
    assert "pplx-cannot-store" not in result.stderr


def test_a_directory_where_the_key_file_should_be_is_exit_3(server, cli, env, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    key_file(env).mkdir(parents=True)
    result = cli("q")
    assert result.code == 3 and "is a directory" in result.stderr


@pytest.mark.parametrize(
    "command,words",
    [
        (["ask"], ["the question"]),
        (["search"], ["the query"]),
        (["research", "submit"], ["the question"]),
        (["batch"], ["PROMPTS"]),
    ],
)
def test_a_key_on_stdin_never_becomes_the_prompt(api, cli, monkeypatch, tmp_path, command, words):
    """Every command that reads stdin as input takes the key first when it is told to."""
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("the question\n")
    args = [
        *command,
        "--api-key-file",
        "-",
        *[str(prompts) if w == "PROMPTS" else w for w in words],
    ]
    key = "pplx-stdin-only-key-0000000000"
    result = cli(*args, input=key + "\n")
    assert result.code == 0, result.stderr
    assert api.requests
    for request in api.requests:
        assert key.encode() not in request.body
        headers = {name.lower(): value for name, value in request.headers.items()}
        assert headers["authorization"] == f"Bearer {key}"
