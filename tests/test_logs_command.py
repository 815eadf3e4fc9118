"""`perplex logs`: listing, filters, full-text search, stats, deletion and terminal safety."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest
from replay import Reply
from streams import answer, chunk, sse

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings


@pytest.fixture
def three(server, cli):
    """Three exchanges: two ok answers with two models, then a cut one."""
    server.reply(
        Reply(body=sse(*answer("Rayleigh scattering makes the sky blue.", usage=_usage(10, 0.01)))),
        Reply(body=sse(*answer("Photosynthesis turns light into sugar.", usage=_usage(20, 0.02)))),
        Reply(body=sse(chunk("Volcanoes erupt when"))),
    )
    assert cli("why is the sky blue").code == 0
    assert cli("-m", "sonar-pro", "how do plants eat").code == 0
    assert cli("volcanoes").code == 7
    return cli


def _usage(tokens: int, cost: float) -> dict:
    return {
        "prompt_tokens": 1,
        "completion_tokens": tokens - 1,
        "total_tokens": tokens,
        "cost": {"total_cost": cost},
    }


def prompts(result) -> list[str]:
    assert result.code == 0, result.stderr
    return [e["prompt"] for e in json.loads(result.stdout)]


def test_list_is_newest_first_and_one_line_each(three):
    lines = three("logs").stdout.splitlines()
    assert [line.split("  ")[-1] for line in lines] == [
        "volcanoes",
        "how do plants eat",
        "why is the sky blue",
    ]
    assert "partial" in lines[0] and "sonar-pro" in lines[1]


def test_list_filters_by_model_status_count_and_time(three):
    assert prompts(three("logs", "--model", "sonar-pro", "-f", "json")) == ["how do plants eat"]
    assert prompts(three("logs", "--status", "partial", "-f", "json")) == ["volcanoes"]
    assert prompts(three("logs", "-n", "1", "-f", "json")) == ["volcanoes"]
    assert len(prompts(three("logs", "list", "--since", "1h", "-f", "json"))) == 3
    tomorrow = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400))
    assert prompts(three("logs", "--since", tomorrow, "-f", "json")) == []


def test_list_refuses_bad_values_with_exit_2(three):
    assert three("logs", "--status", "fine").code == 2
    assert three("logs", "--since", "last tuesday").code == 2
    assert three("logs", "-f", "yaml").code == 2


def test_ndjson_is_one_exchange_per_line(three):
    lines = three("logs", "-f", "ndjson").stdout.splitlines()
    assert [json.loads(line)["prompt"] for line in lines] == [
        "volcanoes",
        "how do plants eat",
        "why is the sky blue",
    ]


def test_search_finds_a_word_from_an_answer_by_its_stem(three):
    assert prompts(three("logs", "search", "scattered", "-f", "json")) == ["why is the sky blue"]
    assert prompts(three("logs", "search", "light", "sugar", "-f", "json")) == ["how do plants eat"]
    assert prompts(three("logs", "search", "nothing-like-this", "-f", "json")) == []
    text = three("logs", "search", "rayleigh").stdout
    assert "why is the sky blue" in text and "«Rayleigh»" in text


def test_search_ranks_the_better_match_first(server, cli):
    server.reply(
        Reply(body=sse(*answer("tides tides tides and the moon"))),
        Reply(body=sse(*answer("the moon, once"))),
    )
    cli("first")
    cli("second")
    assert prompts(cli("logs", "search", "tides", "-f", "json")) == ["first"]
    assert prompts(cli("logs", "search", "moon", "-f", "json"))[0] == "second"


def test_search_takes_fts_syntax_characters_as_plain_text(three):
    result = three("logs", "search", 'sky"', "AND", "-f", "json")
    assert result.code == 0


def test_show_of_a_partial_answer_prints_it_and_says_so_on_stderr(three):
    shown = three("logs", "show")
    assert shown.stdout == "Volcanoes erupt when\n"
    assert "is partial" in shown.stderr


def test_show_of_an_unknown_id_is_exit_2(three):
    assert three("logs", "show", "999").code == 2


def test_stats_count_tokens_and_cost_by_model_and_day(three):
    stats = json.loads(three("logs", "stats", "-f", "json").stdout)
    assert stats["total"]["exchanges"] == 3 and stats["total"]["ok"] == 2
    assert stats["total"]["cost"] == pytest.approx(0.03)
    by_model = {row["model"]: row for row in stats["by_model"]}
    assert by_model["sonar"]["exchanges"] == 2 and by_model["sonar-pro"]["total_tokens"] == 20
    assert [row["day"] for row in stats["by_day"]] == [time.strftime("%Y-%m-%d")]
    text = three("logs", "stats").stdout
    assert text.startswith("3 exchanges (2 ok)") and "sonar-pro" in text and "$0.0300" in text
    lines = [
        json.loads(line) for line in three("logs", "stats", "-f", "ndjson").stdout.splitlines()
    ]
    assert [line["by"] for line in lines] == ["total", "model", "model", "day"]


def test_rm_deletes_exchanges_and_conversations_and_leaves_no_text_behind(three, env):
    entries = json.loads(three("logs", "-f", "json").stdout)
    result = three("logs", "rm", str(entries[0]["id"]), entries[1]["conversation"])
    assert result.code == 0 and "deleted 2 exchanges" in result.stderr
    assert prompts(three("logs", "-f", "json")) == ["why is the sky blue"]
    assert prompts(three("logs", "search", "photosynthesis", "-f", "json")) == []
    db = Path(env["XDG_DATA_HOME"]) / "perplex" / "logs.db"
    for path in db.parent.glob("logs.db*"):
        assert b"Photosynthesis" not in path.read_bytes()


def test_rm_of_an_unknown_id_deletes_nothing(three):
    first = json.loads(three("logs", "-f", "json").stdout)[0]["id"]
    result = three("logs", "rm", str(first), "424242")
    assert result.code == 2 and "424242" in result.stderr
    assert len(prompts(three("logs", "-f", "json"))) == 3


def test_prune_deletes_what_started_before_the_date(three, env):
    db = Path(env["XDG_DATA_HOME"]) / "perplex" / "logs.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE exchanges SET started = started - 40 * 86400 WHERE prompt = 'volcanoes'"
        )
    result = three("logs", "prune", "--before", "30d")
    assert result.code == 0 and "deleted 1 exchange " in result.stderr
    assert prompts(three("logs", "-f", "json")) == ["how do plants eat", "why is the sky blue"]
    assert three("logs", "prune").code == 2  # --before is required


def test_an_empty_log_lists_nothing_and_creates_nothing(cli, env):
    assert cli("logs").stdout == ""
    assert cli("logs", "-f", "json").stdout == "[]\n"
    assert cli("logs", "stats", "-f", "json").code == 0
    assert cli("logs", "show").code == 2
    assert not (Path(env["XDG_DATA_HOME"]) / "perplex").exists()


def test_logs_path_defaults_under_xdg_data_home(cli, env):
    assert cli("logs", "path").stdout == f"{env['XDG_DATA_HOME']}/perplex/logs.db\n"


def test_logs_never_imports_the_network_or_rendering_libraries(three, env):
    for args in (["logs", "-n", "1"], ["logs", "search", "sky"]):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "perplex_cli", *args],
            capture_output=True,
            text=True,
            env=dict(os.environ),
            timeout=30,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        imported = {
            line.split("|")[-1].strip().split(".")[0]
            for line in proc.stderr.splitlines()
            if line.startswith("import time:")
        }
        assert "sqlite3" in imported
        assert not imported & {"requests", "sseclient", "rich", "urllib3"}


HOSTILE = "Safe \x1b]0;owned\x07title \x1b[31mred\x1b[0m\r\n"


def test_control_characters_are_shown_not_obeyed_on_a_terminal(server, cli, env):
    server.reply(Reply(body=sse(*answer(HOSTILE))))
    cli("q")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "perplex_cli", "logs", "show"],
        env=dict(os.environ),
        encoding="utf-8",
        timeout=20,
    )
    child.expect(pexpect.EOF)
    shown = child.before
    assert "\x1b" not in shown and "\x07" not in shown
    assert "^[]0;owned^Gtitle ^[[31mred^[[0m^M" in shown
    piped = cli("logs", "show")
    assert piped.stdout == HOSTILE  # into a pipe the text stays exact


def test_completion_offers_the_logs_subcommands(env):
    e = dict(
        os.environ, _PERPLEX_COMPLETE="complete_bash", COMP_WORDS="perplex logs s", COMP_CWORD="2"
    )
    out = subprocess.run(
        [sys.executable, "-m", "perplex_cli"], env=e, capture_output=True, text=True, check=False
    )
    assert out.stdout.splitlines() == ["plain,show", "plain,search", "plain,stats"]
