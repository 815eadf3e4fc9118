"""`models --api agent`'s part: the public catalogue read from the server, plus the presets."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from agent_recordings import MODELS, response_body
from replay import Reply

from perplex_cli.api.agent_models import list_agent_models, write_agent_models
from perplex_cli.api.agent_request import PRESETS
from perplex_cli.errors import ProtocolError

CATALOGUE = response_body(MODELS)


def catalogue(url: str) -> list[dict]:
    """list_agent_models over a transport to `url` that holds no key."""
    from perplex_cli.transport.client import Transport, TransportSettings

    transport = Transport(TransportSettings(base_url=url, api_key=None))
    try:
        return list_agent_models(transport)
    finally:
        transport.close()


def test_the_catalogue_is_read_without_a_key_and_the_presets_follow(server):
    server.reply(Reply(body=CATALOGUE, content_type="application/json"))
    rows = catalogue(server.url)
    [req] = server.requests
    assert (req.method, req.path) == ("GET", "/v1/models")
    assert "authorization" not in req.headers
    recorded = [entry["id"] for entry in json.loads(CATALOGUE)["data"]]
    assert [row["id"] for row in rows] == recorded + list(PRESETS)
    assert "perplexity/sonar" in recorded


def test_text_lists_one_id_per_line_with_owner_price_or_preset(server):
    server.reply(Reply(body=CATALOGUE, content_type="application/json"))
    out = io.StringIO()
    write_agent_models(catalogue(server.url), out)
    lines = out.getvalue().splitlines()
    sonar = next(line for line in lines if line.startswith("perplexity/sonar "))
    assert sonar.split() == [
        "perplexity/sonar",
        "perplexity,",
        "$0.25",
        "in",
        "/",
        "$2.5",
        "out",
        "per",
        "1M",
        "tokens",
    ]
    assert lines[-len(PRESETS) :][0].split()[:2] == ["fast", "preset:"]


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_json_and_ndjson_carry_the_rows(fmt):
    rows = [{"id": "perplexity/sonar", "object": "model"}, {"id": "fast", "object": "preset"}]
    out = io.StringIO()
    write_agent_models(rows, out, fmt)
    text = out.getvalue()
    parsed = (
        json.loads(text)["data"]
        if fmt == "json"
        else [json.loads(line) for line in text.splitlines()]
    )
    assert parsed == rows


@pytest.mark.parametrize("body", [b"<html>oops</html>", b'{"object": "list"}'])
def test_a_body_that_is_not_a_catalogue_is_a_protocol_error(server, body):
    server.reply(Reply(body=body, content_type="text/html"))
    with pytest.raises(ProtocolError):
        catalogue(server.url)


def test_importing_the_models_module_does_not_import_requests():
    code = "import sys, perplex_cli.api.agent_models; print('requests' in sys.modules)"
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_models_api_agent_lists_the_served_catalogue_and_presets(server, cli, fmt):
    server.reply(Reply(body=CATALOGUE, content_type="application/json"))
    result = cli("models", "--api", "agent", "-f", fmt)
    assert result.code == 0, result.stderr
    [req] = server.requests
    assert (req.method, req.path) == ("GET", "/v1/models")
    assert "authorization" not in req.headers
    listed = result.stdout if fmt == "text" else json.dumps(json.loads(result.stdout))
    for entry in json.loads(CATALOGUE)["data"]:
        assert entry["id"] in listed
    assert all(name in listed for name in PRESETS)


def test_models_without_api_agent_asks_no_server(server, cli):
    result = cli("models")
    assert result.code == 0 and "sonar-pro" in result.stdout
    assert server.requests == []
