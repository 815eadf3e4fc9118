"""`perplex models`: the known models, without a key, a request or the network stack."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

KNOWN = ["sonar", "sonar-pro", "sonar-reasoning-pro", "sonar-deep-research"]


def test_text_lists_each_model_with_context_size_and_description(server, cli, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    result = cli("models")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == KNOWN
    sizes = {line.split()[0]: line.split()[1] for line in lines}
    assert sizes == {
        "sonar": "128k",
        "sonar-pro": "200k",
        "sonar-reasoning-pro": "128k",
        "sonar-deep-research": "128k",
    }
    assert all(len(line.split(None, 2)[2]) > 10 for line in lines)  # a description each
    assert server.requests == []


def test_json_is_an_array_of_models(cli):
    result = cli("models", "-f", "json")
    assert result.code == 0
    models = json.loads(result.stdout)
    assert [m["id"] for m in models] == KNOWN
    assert all(isinstance(m["context_length"], int) and m["description"] for m in models)


def test_ndjson_is_one_model_per_line(cli):
    result = cli("models", "--format", "ndjson")
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == KNOWN


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
