"""Planted local files: other owners, loose directories, symlinks, FIFOs, devices, cut lines.

Foreign ownership is made with os.chown to uid 65534 (nobody), which needs root (the CI
runs as root); those tests skip with a reason otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fuzzing import fuzzing
from hypothesis import given
from hypothesis import strategies as st
from replay import Reply
from streams import answer, sse
from userfiles import config_dir, write_config, write_key

pytestmark = pytest.mark.api("chat")  # the answers served here are chat completions recordings

OTHER_UID = 65534
as_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="making a file another user owns needs root (os.chown)"
)


def no_traceback(result) -> None:  # type: ignore[no-untyped-def]
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def marker_command(tmp_path: Path) -> tuple[str, Path]:
    """An api_key_command that leaves a file behind when it runs."""
    ran = tmp_path / "ran"
    return f"sh -c 'touch {ran}; echo pplx-from-command-0000000000'", ran


@as_root
def test_a_config_file_another_user_owns_is_refused_and_its_command_never_runs(
    server, cli, env, monkeypatch, tmp_path
):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    command, ran = marker_command(tmp_path)
    path = write_config(env, f"api_key_command = {json.dumps(command)}\n", mode=0o644)
    os.chown(path, OTHER_UID, OTHER_UID)
    result = cli("q")
    assert result.code == 3
    assert f"config file {path} is owned by another user (uid {OTHER_UID})" in result.stderr
    assert "hint:" in result.stderr
    no_traceback(result)
    assert not ran.exists()
    assert server.requests == []


@as_root
def test_a_key_file_another_user_owns_is_refused(server, cli, env, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    path = write_key(env, "pplx-planted-key-000000000000\n", mode=0o600)
    os.chown(path, OTHER_UID, OTHER_UID)
    result = cli("q")
    assert result.code == 3
    assert f"key file {path} is owned by another user" in result.stderr
    assert "pplx-planted" not in result.stderr
    assert server.requests == []


@as_root
def test_a_config_directory_another_user_owns_is_refused(server, cli, env, monkeypatch, tmp_path):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    command, ran = marker_command(tmp_path)
    path = write_config(env, f"api_key_command = {json.dumps(command)}\n")
    os.chown(config_dir(env), OTHER_UID, OTHER_UID)
    result = cli("q")
    assert result.code == 3
    assert f"is in {config_dir(env)}, which another user (uid {OTHER_UID}) owns" in result.stderr
    assert str(path) in result.stderr
    no_traceback(result)
    assert not ran.exists()


@pytest.mark.parametrize("mode", [0o777, 0o770])
def test_a_config_directory_others_can_write_is_refused_with_the_fix(
    server, cli, env, monkeypatch, tmp_path, mode
):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    command, ran = marker_command(tmp_path)
    write_config(env, f"api_key_command = {json.dumps(command)}\n")
    os.chmod(config_dir(env), mode)
    result = cli("q")
    assert result.code == 3
    assert f"which other users can write (mode {mode:04o})" in result.stderr
    assert f"chmod go-w {config_dir(env)}" in result.stderr
    assert not ran.exists()
    os.chmod(config_dir(env), mode | 0o1000)  # sticky, as /tmp: others cannot replace it
    server.reply(Reply(body=sse(*answer("fine"))))
    assert cli("q").code == 0
    assert ran.exists()


@as_root
def test_key_set_refuses_a_config_directory_another_user_owns(cli, env):
    config_dir(env).mkdir(mode=0o700, parents=True)
    os.chown(config_dir(env), OTHER_UID, OTHER_UID)
    result = cli("key", "set", input="pplx-new-key-0000000000000000\n")
    assert result.code == 3
    assert f"which another user (uid {OTHER_UID}) owns" in result.stderr
    no_traceback(result)
    assert not (config_dir(env) / "key").exists()


def test_key_set_refuses_a_symlink_planted_at_the_key_path(cli, env, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    config_dir(env).mkdir(mode=0o700, parents=True)
    (config_dir(env) / "key").symlink_to(victim)
    result = cli("key", "set", input="pplx-new-key-0000000000000000\n")
    assert result.code == 3
    assert "is a symbolic link" in result.stderr
    no_traceback(result)
    assert victim.read_text() == "precious\n"
    assert (config_dir(env) / "key").is_symlink()


def run_cli(args: list[str], drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess[bytes]:
    """perplex as a subprocess, with a time limit: a blocked read fails the test."""
    e = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run(
        [sys.executable, "-m", "perplex_cli", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=e,
        timeout=20,
    )


@pytest.mark.parametrize("which", ["config", "key", "api-key-file", "json-schema"])
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_a_fifo_or_device_is_refused_without_blocking_or_reading_it(
    server, env, tmp_path, which, kind
):
    if kind == "fifo":
        special = tmp_path / "special"
        os.mkfifo(special)  # nobody ever writes it: reading would block forever
    else:
        special = Path("/dev/zero")  # reading it would never end
    config_dir(env).mkdir(mode=0o700, parents=True)
    args = ["--api", "chat", "q"]
    drop: tuple[str, ...] = ()
    if which == "config":
        (config_dir(env) / "config.toml").symlink_to(special)
    elif which == "key":
        (config_dir(env) / "key").symlink_to(special)
        drop = ("PERPLEXITY_API_KEY",)
    elif which == "api-key-file":
        args = ["--api-key-file", str(special), *args]
    else:
        args = ["--json-schema", str(special), *args]
    result = run_cli(args, drop)
    text = result.stderr.decode()
    assert result.returncode == (2 if which == "json-schema" else 3), text
    assert "not a regular file" in text
    assert "Traceback" not in text
    assert server.requests == []


def test_a_device_as_attachment_is_refused_without_reading_it(server, cli):
    result = cli("--api", "chat", "-a", "/dev/zero", "q")
    assert result.code == 2
    assert "-a/--attach /dev/zero: is a device, not a file" in result.stderr
    assert server.requests == []


def test_a_huge_config_file_is_refused_by_size(server, cli, env):
    write_config(env, "# " + "x" * (1024 * 1024) + "\n")
    result = cli("q")
    assert result.code == 3
    assert "larger than 1 MiB" in result.stderr


def test_batch_output_keeps_an_unterminated_last_line_that_is_not_a_result(api, cli, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("one\n")
    out = tmp_path / "out.ndjson"
    out.write_text("my notes, no newline")
    result = cli("batch", "--api", "chat", "--output", str(out), str(prompts))
    assert result.code == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "my notes, no newline"
    assert json.loads(lines[1])["status"] == "ok"


def test_batch_refuses_its_input_file_as_output(api, cli, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("one\ntwo")
    for extra in ([], ["--resume"]):
        result = cli("batch", "--api", "chat", *extra, "--output", str(prompts), str(prompts))
        assert result.code == 2
        assert "is the input file" in result.stderr
        assert prompts.read_text() == "one\ntwo"
    assert api.requests == []


@pytest.mark.parametrize("value", ["nan", "-inf", "{a = 1}", "[nan, {b = 2}]"])
def test_config_set_keeps_comments_beside_values_that_are_not_equal_to_themselves(cli, env, value):
    write_config(env, f'# mine\nmodel = "sonar"\nextra = {value}\n# end\n')
    result = cli("config", "set", "retries", "3")
    no_traceback(result)
    assert result.code == 0, result.stderr
    text = (config_dir(env) / "config.toml").read_text()
    assert text == f'# mine\nmodel = "sonar"\nextra = {value}\n# end\nretries = 3\n'


def test_config_set_refuses_a_rewrite_it_cannot_write_and_changes_nothing(cli, env):
    # `retries = 9` inside the string looks like the assignment: a line edit would be
    # wrong, and the whole table cannot be written again because of the inline table.
    before = 's = """\nretries = 9\n"""\nt = {a = 1}\n'
    write_config(env, before)
    result = cli("config", "set", "retries", "3")
    no_traceback(result)
    assert result.code == 3
    assert "cannot change retries without rewriting the config file" in result.stderr
    assert (config_dir(env) / "config.toml").read_text() == before


TOML_VALUES = st.one_of(
    st.sampled_from(["nan", "+inf", "-nan", "1e400", "9223372036854775807", "{a = nan}", "[]"]),
    st.sampled_from(["1979-05-27T07:32:00Z", "07:32:00", "'''x'''", '"\\u00e9"', "true"]),
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=8).map(lambda s: json.dumps(s)),
)


@fuzzing(40)
@given(key=st.sampled_from(["extra", "retries", "timeout", "model", "proxy"]), value=TOML_VALUES)
def test_fuzzed_config_values_never_cause_an_internal_error(cli, env, key, value):
    write_config(env, f"# keep me\n{key} = {value}\n")
    for args in (
        ["config", "set", "retries", "3"],
        ["config", "list", "-f", "json"],
        ["config", "get", key],
        ["--api", "chat", "--dry-run", "q"],
    ):
        result = cli(*args)
        no_traceback(result)
        assert result.code in (0, 2, 3), (args, result.stderr)
        if args[0:2] == ["config", "set"] and result.code == 0:
            assert "# keep me" in (config_dir(env) / "config.toml").read_text()
        if "json" in args and result.code == 0:
            json.loads(result.stdout, parse_constant=lambda name: pytest.fail(name))
