"""`perplex models`: the known models, without a key, a request or the network stack."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

KNOWN = ["sonar", "sonar-pro", "sonar-reasoning-pro", "sonar-deep-research"]
PRESETS = ["fast", "low", "medium", "high", "xhigh"]
# What each Sonar name becomes on the agent API (Perplexity's migration guide).
AGENT = {
    "sonar": {"model": "perplexity/sonar"},
    "sonar-pro": {"preset": "low"},
    "sonar-reasoning-pro": {"preset": "low"},
    "sonar-deep-research": {"preset": "medium"},
}


def test_text_lists_the_presets_then_each_model_with_size_and_agent_engine(
    server, cli, monkeypatch
):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    result = cli("models")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == PRESETS + KNOWN
    sizes = {line.split()[0]: line.split()[1] for line in lines}
    assert sizes == {
        **dict.fromkeys(PRESETS, "preset"),
        "sonar": "128k",
        "sonar-pro": "200k",
        "sonar-reasoning-pro": "128k",
        "sonar-deep-research": "128k",
    }
    assert all(len(line.split(None, 2)[2]) > 10 for line in lines)  # a description each
    assert "the default" in lines[0]
    assert lines[5].endswith("agent API: perplexity/sonar with web search")
    assert lines[6].endswith("agent API: preset low")
    assert lines[8].endswith("agent API: preset medium")
    assert server.requests == []


def test_json_is_an_array_of_presets_and_models(cli):
    result = cli("models", "-f", "json")
    assert result.code == 0
    rows = json.loads(result.stdout)
    assert [m["id"] for m in rows] == PRESETS + KNOWN
    presets, models = rows[: len(PRESETS)], rows[len(PRESETS) :]
    assert all(p["object"] == "preset" and p["description"] for p in presets)
    assert all(isinstance(m["context_length"], int) and m["description"] for m in models)
    assert {m["id"]: m["agent"] for m in models} == AGENT


def test_ndjson_is_one_row_per_line(cli):
    result = cli("models", "--format", "ndjson")
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == PRESETS + KNOWN


def test_api_chat_lists_only_the_sonar_models(server, cli):
    result = cli("models", "--api", "chat")
    assert [line.split()[0] for line in result.stdout.splitlines()] == KNOWN
    assert "agent API" not in result.stdout and server.requests == []


def test_the_api_chosen_by_the_environment_never_makes_models_go_online(server, cli, monkeypatch):
    monkeypatch.setenv("PERPLEX_API", "agent")
    result = cli("models")
    assert result.code == 0 and result.stdout.split()[0] == "fast"
    assert server.requests == []


def test_bad_format_is_a_usage_error(cli):
    result = cli("models", "-f", "xml")
    assert result.code == 2
    assert "text, json, ndjson" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("args", [["models"], ["ask", "--help"]])
def test_models_and_help_do_not_import_the_network_stack(env, args):
    code = (
        f"import sys; from perplex_cli.__main__ import run; status = run({args!r}); "
        "heavy = [m for m in ('requests', 'sseclient', 'rich') if m in sys.modules]; "
        "print(status, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.stdout.splitlines()[-1] == "0 []", out.stderr
