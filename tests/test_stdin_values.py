"""Option values from stdin or inline: --json-schema FILE|-|{...} and -a - (one attachment).

stdin is the value of one option at most; the prompt is then in the arguments.
"""

from __future__ import annotations

import base64

import pytest
from replay import Reply
from streams import answer, sse

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(40))
SCHEMA = '{"type": "object", "properties": {"city": {"type": "string"}}}'


@pytest.fixture
def ok(server):
    """The server, with one answer to give; `sent(ok)` is the body it got."""
    server.reply(Reply(body=sse(*answer("fine"))))
    return server


def sent(server) -> dict:
    (request,) = server.requests
    return request.json()


@pytest.mark.parametrize("how", ["inline", "stdin", "file"])
def test_the_json_schema_comes_inline_from_stdin_or_from_a_file(ok, cli, tmp_path, how):
    path = tmp_path / "schema.json"
    path.write_text(SCHEMA)
    value = {"inline": SCHEMA, "stdin": "-", "file": str(path)}[how]
    result = cli(
        "--api", "chat", "--json-schema", value, "q", input=SCHEMA if how == "stdin" else None
    )
    assert result.code == 0, result.stderr
    body = sent(ok)
    assert body["response_format"]["json_schema"]["schema"]["properties"] == {
        "city": {"type": "string"}
    }
    assert body["messages"][-1]["content"] == "q"


@pytest.mark.parametrize(
    "value,stdin,message",
    [
        ('{"type": ', None, "--json-schema (inline): not valid JSON"),
        ("-", "[1]", "--json-schema -: must hold a JSON object"),
        ("-", "", "--json-schema -: not valid JSON"),
    ],
)
def test_a_bad_schema_is_exit_2_and_no_request(server, cli, value, stdin, message):
    result = cli("--api", "chat", "--json-schema", value, "q", input=stdin)
    assert result.code == 2
    assert message in result.stderr
    assert server.requests == []


def test_stdin_holding_the_schema_is_not_material_of_the_prompt(ok, cli):
    assert cli("--api", "chat", "--json-schema", "-", "q", input=SCHEMA).code == 0
    assert sent(ok)["messages"][-1]["content"] == "q"


@pytest.mark.parametrize("data,mime,name", [(PDF, "application/pdf", "stdin.pdf"), (PNG, "", "")])
def test_dash_attaches_stdin_with_its_type_sniffed(ok, cli, data, mime, name):
    result = cli("--api", "chat", "-a", "-", "summarise", input=data)
    assert result.code == 0, result.stderr
    text, part = sent(ok)["messages"][-1]["content"]
    assert text == {"type": "text", "text": "summarise"}
    url = part["file_url"]["url"] if mime else part["image_url"]["url"]
    assert url == f"data:{mime or 'image/png'};base64,{base64.b64encode(data).decode()}"
    assert part.get("file_name", "") == name


@pytest.mark.parametrize(
    "args,stdin,message",
    [
        (["-a", "-", "-"], PDF, "stdin cannot hold both -a - and the prompt (-)"),
        (["-a", "-", "--json-schema", "-", "q"], SCHEMA.encode(), "stdin cannot hold both"),
        (["-a", "-", "q"], b"", "-a/--attach -: stdin is empty"),
        (["-a", "-", "q"], b"\x00\x01 binary", "unknown file type"),
    ],
)
def test_stdin_serves_one_value_only(server, cli, args, stdin, message):
    result = cli("--api", "chat", *args, input=stdin)
    assert result.code == 2
    assert message in result.stderr
    assert server.requests == []
