"""The config file: typed edits that keep the file's layout, safe modes, and precedence
flags > environment > config > defaults, one test per level."""

from __future__ import annotations

import datetime
import json
import os
from typing import Literal

import pytest
from replay import ReplayServer, Reply
from streams import answer, sse
from userfiles import config_dir, config_file, mode_of, write_config

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings


@pytest.fixture
def ok(server):
    server.reply(Reply(body=sse(*answer("fine"))))
    return server


def sent(server) -> dict:
    return server.requests[-1].json()


# perplex config set / get / unset / list / path


def test_config_set_creates_the_file_0600_in_a_0700_directory(cli, env):
    result = cli("config", "set", "model", "sonar-pro")
    assert result.code == 0, result.stderr
    assert config_file(env).read_text() == 'model = "sonar-pro"\n'
    assert mode_of(config_file(env)) == 0o600
    assert mode_of(config_dir(env)) == 0o700
    assert os.listdir(config_dir(env)) == ["config.toml"]


@pytest.mark.parametrize(
    "key,value,stored,shown",
    [
        ("max_tokens", "500", "500", "500"),
        ("temperature", "0.5", "0.5", "0.5"),
        ("timeout", "30", "30.0", "30.0"),
        ("reasoning", "yes", "true", "true"),
        ("format", "json", '"json"', "json"),
        (
            "system",
            'Be "brief".\nNo fluff.',
            '"Be \\"brief\\".\\nNo fluff."',
            'Be "brief".\nNo fluff.',
        ),
        (
            "api_key_command",
            "pass show perplexity",
            '"pass show perplexity"',
            "pass show perplexity",
        ),
    ],
)
def test_config_set_stores_typed_values_and_get_reads_them(cli, env, key, value, stored, shown):
    assert cli("config", "set", key, value).code == 0
    assert config_file(env).read_text() == f"{key} = {stored}\n"
    assert cli("config", "get", key).stdout == shown + "\n"


@pytest.mark.parametrize(
    "key,value,words",
    [
        ("temperature", "5", "between 0 and 2"),
        ("max_tokens", "abc", "not an integer"),
        ("max_tokens", "0", "integer > 0"),
        ("format", "xml", "text, ndjson, json"),
        ("timeout", "0", "must be > 0 and at most 86400 seconds"),
        ("retries", "-1", ">= 0"),
        ("reasoning", "maybe", "not true or false"),
        ("base_url", "ftp://example.com", "http:// or https://"),
        ("proxy", "proxy.example:8080", "http://"),
        ("api_key_command", "  ", "empty"),
        ("no_such_key", "1", "unknown config key"),
        ("api_key_file", "/tmp/k", "unknown config key"),  # per run only
        ("allow_insecure_http", "true", "unknown config key"),  # never by file
    ],
)
def test_config_set_refuses_bad_values_like_the_flags_and_leaves_the_file(
    cli, env, key, value, words
):
    write_config(env, '# mine\nmodel = "sonar"\n')
    result = cli("config", "set", key, value)
    assert result.code == 2
    assert words in result.stderr
    assert config_file(env).read_text() == '# mine\nmodel = "sonar"\n'


def test_config_edits_keep_comments_order_and_other_keys(cli, env):
    original = (
        "# my perplex defaults\n"
        'model = "sonar"   # the cheap one\n'
        "temperature = 0.2\n"
        "\n"
        "# search\n"
        "retries = 5\n"
    )
    write_config(env, original)
    assert cli("config", "set", "model", "sonar-pro").code == 0
    assert cli("config", "set", "format", "ndjson").code == 0
    assert cli("config", "unset", "temperature").code == 0
    assert config_file(env).read_text() == (
        '# my perplex defaults\nmodel = "sonar-pro"\n\n# search\nretries = 5\nformat = "ndjson"\n'
    )


def test_config_set_replaces_a_value_written_over_several_lines(cli, env):
    write_config(env, 'system = """\nline one\nline two"""\nretries = 1\n')
    assert cli("config", "set", "system", "short").code == 0
    assert config_file(env).read_text() == 'system = "short"\nretries = 1\n'


def test_config_set_writes_through_a_symlink_and_keeps_a_readable_mode(cli, env, tmp_path):
    real = tmp_path / "dotfiles" / "perplex.toml"
    real.parent.mkdir()
    real.write_text("retries = 1\n")
    os.chmod(real, 0o644)
    config_dir(env).mkdir(parents=True)
    config_file(env).symlink_to(real)
    assert cli("config", "set", "retries", "3").code == 0
    assert config_file(env).is_symlink()
    assert real.read_text() == "retries = 3\n"
    assert mode_of(real) == 0o644


def test_config_unset_of_an_absent_key_is_a_no_op(cli, env):
    assert cli("config", "unset", "model").code == 0
    assert not config_file(env).exists()
    assert cli("config", "unset", "nonsense").code == 2


def test_config_unset_removes_an_unknown_key_so_a_broken_file_can_be_fixed(cli, env):
    write_config(env, 'modle = "sonar-pro"\nretries = 1\n')
    assert cli("q").code == 3
    assert cli("config", "unset", "modle").code == 0
    assert config_file(env).read_text() == "retries = 1\n"


def test_config_list_prints_the_file_as_toml_and_json(cli, env):
    write_config(env, 'model = "sonar-pro"\nretries = 4\n')
    assert cli("config", "list").stdout == 'model = "sonar-pro"\nretries = 4\n'
    assert json.loads(cli("config", "list", "-f", "json").stdout) == {
        "model": "sonar-pro",
        "retries": 4,
    }
    every = cli("config", "list", "--all").stdout
    assert 'model = "sonar-pro"' in every and "# timeout = 300.0  (default)" in every
    assert "# api_key_command  (not set)" in every


def test_config_get_falls_back_to_the_default(cli):
    assert cli("config", "get", "model").stdout == "sonar\n"
    assert cli("config", "get", "system").stdout == ""
    assert cli("config", "get", "nope").code == 2


def test_perplex_config_overrides_the_path(cli, ok, tmp_path, monkeypatch):
    other = tmp_path / "elsewhere.toml"
    monkeypatch.setenv("PERPLEX_CONFIG", str(other))
    assert cli("config", "path").stdout == f"{other}\n"
    assert cli("config", "set", "model", "from-override").code == 0
    assert other.exists()
    assert cli("q").code == 0
    assert sent(ok)["model"] == "from-override"


def test_config_path_default_is_under_xdg_config_home(cli, env):
    assert cli("config", "path").stdout == f"{env['XDG_CONFIG_HOME']}/perplex/config.toml\n"


# a bad file is exit 3, naming the file and the key


@pytest.mark.parametrize(
    "text,words",
    [
        ('modle = "sonar"\n', "unknown key 'modle'"),
        ('max_tokens = "many"\n', "max_tokens: must be an integer, not a string"),
        ("max_tokens = 1.5\n", "max_tokens: must be an integer"),
        ("temperature = 3\n", "temperature: 3 (must be between 0 and 2)"),
        ('format = "xml"\n', "format: 'xml'"),
        ("reasoning = 1\n", "reasoning: must be true or false"),
        ('base_url = "api.perplexity.ai"\n', "base_url:"),
        ("[model]\nname = 1\n", "model: must be a string, not a table"),
        ("model = \n", "not valid TOML"),
    ],
)
def test_a_bad_config_file_is_exit_3_naming_file_and_key(server, cli, env, text, words):
    path = write_config(env, text)
    result = cli("q")
    assert result.code == 3, result.stderr
    assert str(path) in result.stderr and words in result.stderr
    assert server.requests == []
    assert cli("config", "list").code == 3


@pytest.mark.parametrize("mode", [0o666, 0o620, 0o602])
def test_a_config_file_others_can_write_is_refused(server, cli, env, tmp_path, mode):
    marker = tmp_path / "ran"
    path = write_config(env, f'api_key_command = "touch {marker}"\n', mode=mode)
    result = cli("key", "status")
    assert result.code == 3
    assert f"chmod go-w {path}" in result.stderr
    assert not marker.exists()  # the command it names never ran
    assert cli("config", "set", "model", "x").code == 3


@pytest.mark.parametrize("mode", [0o644, 0o444, 0o600])
def test_a_readable_config_file_is_fine(ok, cli, env, mode):
    write_config(env, 'model = "sonar-pro"\n', mode=mode)
    assert cli("q").code == 0
    assert sent(ok)["model"] == "sonar-pro"


def test_config_values_reach_the_request(ok, cli, env):
    write_config(
        env, 'model = "sonar-pro"\nmax_tokens = 77\ntemperature = 0.3\nsystem = "Be brief."\n'
    )
    assert cli("q").code == 0
    body = sent(ok)
    assert (body["model"], body["max_tokens"], body["temperature"]) == ("sonar-pro", 77, 0.3)
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}


def test_config_format_and_no_citations_change_the_output(ok, cli, env):
    write_config(env, 'format = "json"\n')
    assert json.loads(cli("q").stdout)["choices"][0]["message"]["content"] == "fine"
    assert cli("-f", "text", "q").stdout == "fine\n"


# precedence: flags > environment > config > defaults


def test_default_applies_when_nothing_is_given(ok, cli):
    assert cli("q").code == 0
    assert sent(ok)["model"] == "sonar"


def test_config_beats_the_default(ok, cli, env):
    write_config(env, 'model = "from-config"\n')
    assert cli("q").code == 0
    assert sent(ok)["model"] == "from-config"


def test_flag_beats_the_config(ok, cli, env):
    write_config(env, 'model = "from-config"\nmax_tokens = 5\n')
    assert cli("-m", "from-flag", "--max-tokens", "9", "q").code == 0
    assert (sent(ok)["model"], sent(ok)["max_tokens"]) == ("from-flag", 9)


def test_environment_beats_the_config(ok, cli, env):
    dead = ReplayServer()
    dead.close()
    write_config(env, f'base_url = "{dead.url}"\n')
    assert cli("q").code == 0  # PERPLEXITY_BASE_URL (the live server) won
    assert len(ok.requests) == 1


def test_flag_beats_the_environment(ok, cli, monkeypatch):
    dead = ReplayServer()
    dead.close()
    monkeypatch.setenv("PERPLEXITY_BASE_URL", dead.url)
    assert cli("--base-url", ok.url, "q").code == 0
    assert len(ok.requests) == 1


def test_config_base_url_applies_without_the_environment(ok, cli, env, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_BASE_URL")
    write_config(env, f'base_url = "{ok.url}"\n')
    assert cli("q").code == 0
    assert len(ok.requests) == 1


def test_default_base_url_is_the_public_api(server, cli, monkeypatch):
    """Seen through a proxy (the local server) so that nothing leaves the machine."""
    monkeypatch.delenv("PERPLEXITY_BASE_URL")
    server.reply(Reply(status=502, body=b"", framing="length"))
    result = cli("--proxy", server.url, "--retries", "0", "q")
    assert result.code == 7
    assert (server.requests[0].method, server.requests[0].path) == (
        "CONNECT",
        "api.perplexity.ai:443",
    )


def test_key_and_config_commands_do_not_import_the_network_stack(env):
    """`perplex key ...` and `perplex config ...` stay fast."""
    import subprocess
    import sys

    commands = [
        ["key", "set"],
        ["key", "path"],
        ["key", "status"],
        ["config", "path"],
        ["config", "set", "model", "x"],
        ["config", "get", "model"],
        ["config", "list", "--all"],
        ["config", "unset", "model"],
        ["key", "--help"],
        ["config", "--help"],
    ]
    probe = (
        "import json, sys\n"
        "from perplex_cli.__main__ import run\n"
        "codes = [run(args) for args in json.loads(sys.argv[1])]\n"
        "heavy = [m for m in ('requests', 'sseclient', 'rich', 'urllib3') if m in sys.modules]\n"
        "print(json.dumps([codes, heavy]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(commands)],
        input="pplx-probe-key-0000\n",
        capture_output=True,
        text=True,
        check=True,
    )
    codes, heavy = json.loads(out.stdout.splitlines()[-1])
    assert codes == [0] * len(commands), out.stderr
    assert heavy == []


@pytest.mark.parametrize(
    "expected,value,result",
    [
        (list[str], ["a.com", "-b.org"], ["a.com", "-b.org"]),
        (list[str], "a.com", ["a.com"]),  # one value, as one flag gives
        (tuple[str, ...], ["x"], ("x",)),
        (float, 1, 1.0),
        (Literal["fast", "pro"], "pro", "pro"),
        (int | str, "7", "7"),
        (str, datetime.date(2025, 1, 31), "2025-01-31"),  # a bare TOML date
    ],
)
def test_config_values_are_typed_by_the_option_field(expected, value, result):
    """The types options may grow (lists for repeatable flags, choices) are checked too."""
    from perplex_cli.request.config_values import coerce

    assert coerce(expected, value) == result


@pytest.mark.parametrize(
    "expected,value",
    [
        (list[str], {"a": 1}),
        (list[str], [1]),
        (int, True),
        (int, 1.5),
        (bool, "true"),
        (str, 3),
        (Literal["fast", "pro"], "slow"),
    ],
)
def test_config_values_of_the_wrong_type_are_refused(expected, value):
    from perplex_cli.request.config_values import coerce

    with pytest.raises(ValueError):
        coerce(expected, value)


def test_a_config_path_under_a_regular_file_is_exit_3(cli, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("PERPLEX_CONFIG", str(blocker / "config.toml"))  # parent is a file
    for args in (["config", "set", "model", "x"], ["config", "list"], ["q"]):
        result = cli(*args)
        assert result.code == 3 and "not a directory" in result.stderr
        assert "Traceback" not in result.stderr


def test_a_directory_where_the_config_file_should_be_is_exit_3(server, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PERPLEX_CONFIG", str(tmp_path))
    result = cli("q")
    assert result.code == 3 and "is a directory" in result.stderr
    assert server.requests == []


def test_the_documented_config_example_is_a_valid_config(cli, env):
    from pathlib import Path

    page = Path(__file__).resolve().parent.parent / "docs" / "keys-config-network.md"
    section = page.read_text().split("## The config file", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    write_config(env, example)
    result = cli("config", "list")
    assert result.code == 0, result.stderr
    assert 'model = "sonar-pro"' in result.stdout and "api_key_command" in result.stdout


@pytest.mark.parametrize(
    "setting,flag,then",
    [
        ("reasoning = true", "--no-reasoning", "hidden"),
        ("no_citations = true", "--citations", "listed"),
    ],
)
def test_a_flag_turns_off_what_the_config_turned_on(server, cli, env, setting, flag, then):
    server.reply(
        Reply(body=sse(*answer("<think>plan</think>Answer.", citations=["https://a.example/"])))
    )
    write_config(env, setting + "\n")
    configured = cli("q")
    overridden = cli(flag, "q")
    if then == "hidden":
        assert "plan" in configured.stderr and "plan" not in overridden.stderr
    else:
        assert "[1]" not in configured.stdout and "[1] https://a.example/" in overridden.stdout


def test_list_options_reach_the_request_from_the_config(ok, cli, env):
    write_config(env, 'stop = "###"\nsearch_domain = ["a.com", "-b.org"]\n')
    assert cli("q").code == 0
    body = sent(ok)
    assert body["stop"] == "###" and body["search_domain_filter"] == ["a.com", "-b.org"]
    assert cli("config", "set", "search_domain", '["x.org"]').code == 0
    assert cli("config", "get", "search_domain").stdout == '["x.org"]\n'


def test_per_run_options_are_not_config_keys(cli):
    for key in ("attach", "dry_run", "json_schema", "debug", "api_key_file", "allow_insecure_http"):
        assert cli("config", "set", key, "x").code == 2
