"""The recorded error bodies give the documented exit codes and one line on stderr."""

from __future__ import annotations

import pytest
from recordings import PERPLEXITY
from replay import Reply


@pytest.mark.parametrize(
    "fragment,status,ctype,code,words",
    [
        ("auth_error__20250731_6f2e2a1__0.txt", 401, "text/html", 3, "401 Authorization Required"),
        ("auth_error__20260316_ce76568__0.json", 401, "application/json", 3, "Invalid API key"),
        ("replace_true__20250810_6d15549__1.json", 400, "application/json", 4, "should alternate"),
        (
            "context_length_exceeded_errors__20260109_f770a00__0.json",
            400,
            "application/json",
            4,
            "exceeds 200000 tokens",
        ),
        (
            "TestPerplexityTool__20250820_f4eb9eb__0.json",
            400,
            "application/json",
            4,
            "Invalid model",
        ),
    ],
)
def test_recorded_error_gives_exit_code_and_the_api_message(
    server, cli, fragment, status, ctype, code, words
):
    body = next(p for p in PERPLEXITY.iterdir() if p.name.endswith(fragment)).read_bytes()
    server.reply(Reply(status=status, body=body, content_type=ctype, framing="length"))
    result = cli("q")
    assert result.code == code
    assert result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first.startswith("perplex: error:") and words in first
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) <= 2  # the message, and a hint where one helps


def test_422_detail_list_is_shown_in_one_line(server, cli):
    body = b'{"detail":[{"loc":["body","temperature"],"msg":"must be <= 2","type":"value_error"}]}'
    server.reply(Reply(status=422, body=body, content_type="application/json", framing="length"))
    result = cli("q")
    assert result.code == 4
    assert "temperature: must be <= 2" in result.stderr


def test_missing_key_is_exit_3_with_how_to_set_one(cli, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    result = cli("q")
    assert result.code == 3
    assert "PERPLEXITY_API_KEY" in result.stderr
