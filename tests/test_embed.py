"""`perplex embed`: the requests it sends, the vectors it writes, batching and failures."""

from __future__ import annotations

import base64
import json
from array import array

import pytest
from apiserver import Answer
from conftest import SENTINEL_KEY
from embeddings_api import bits_for, embeddings, vector_for

DEFAULT = "pplx-embed-v1-0.6b"


def sent(api):
    return [r.json() for r in api.requests if r.path == "/v1/embeddings"]


def lines_of(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def failing_after(good: int, status: int, message: str = "nope"):
    """An embeddings endpoint that answers `good` requests, then always `status`."""
    calls = []

    def answer(body):
        calls.append(body)
        if len(calls) <= good:
            return embeddings(body)
        error = json.dumps({"error": {"message": message}}).encode()
        return Answer(error, status, "application/json")

    return answer


@pytest.mark.parametrize(
    "args,fields",
    [
        (["a"], {"model": DEFAULT, "encoding_format": "base64_int8", "input": ["a"]}),
        (["-m", "pplx-embed-v1-4b", "a"], {"model": "pplx-embed-v1-4b"}),
        (["--model", "pplx-embed-v1-4b", "--dimensions", "2560", "a"], {"dimensions": 2560}),
        (["--dimensions", "128", "a"], {"dimensions": 128}),
        (["--dimensions", "1024", "a"], {"dimensions": 1024}),
        (["--encoding", "float", "a"], {"encoding_format": "base64_int8"}),
        (["--encoding", "base64_int8", "a"], {"encoding_format": "base64_int8"}),
        (["--encoding", "binary", "a"], {"encoding_format": "base64_binary"}),
        (["first text", "second text"], {"input": ["first text", "second text"]}),
        (["  spaced  ", "x"], {"input": ["  spaced  ", "x"]}),
        (["-f", "json", "a"], {"input": ["a"]}),
    ],
)
def test_each_flag_sets_its_request_field(api, cli, args, fields):
    result = cli("embed", *args)
    assert result.code == 0, result.stderr
    (body,) = sent(api)
    assert {k: body.get(k) for k in fields} == fields
    assert "dimensions" in body or "--dimensions" not in args
    assert set(body) <= {"model", "input", "dimensions", "encoding_format"}


def test_the_key_goes_in_the_header_to_v1_embeddings(api, cli):
    assert cli("embed", "a").code == 0
    (request,) = api.requests
    assert (request.method, request.path) == ("POST", "/v1/embeddings")
    assert request.headers["Authorization"] == f"Bearer {SENTINEL_KEY}"


@pytest.mark.parametrize(
    "args,message",
    [
        (["-m", "sonar", "a"], "-m/--model: 'sonar' is not an embedding model"),
        (["-m", "pplx-embed-context-v1-0.6b", "a"], "embeds chunks of documents"),
        (["--dimensions", "127", "a"], "--dimensions: 127 is not between 128 and 1024"),
        (["--dimensions", "1025", "a"], "--dimensions: 1025 is not between 128 and 1024"),
        (["-m", "pplx-embed-v1-4b", "--dimensions", "2561", "a"], "between 128 and 2560"),
        (["--dimensions", "many", "a"], "'--dimensions'"),
        (["--encoding", "float32", "a"], "'--encoding'"),
        (["-f", "text", "a"], "'-f' / '--format'"),
        (["--file", "/nonexistent/texts.txt"], "cannot read /nonexistent/texts.txt"),
        (["a", "-"], "'-' reads the texts from stdin: give it alone"),
        (["--api-key-file", "-"], "stdin cannot hold both the key"),
        (["   "], "no text to embed (only blank lines)"),
    ],
)
def test_bad_values_are_exit_2_before_any_request(api, cli, args, message):
    result = cli("embed", *args, input="a\n")
    assert result.code == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    if not message.startswith("'"):  # click's own usage errors show the usage first
        assert result.stderr == f"perplex: error: {result.stderr.split('error: ', 1)[1]}"
        assert result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert api.requests == []


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "no text to embed"),
        (b"\n \n\t\n", "no text to embed (only blank lines)"),
        (b"caf\xe9\n", "not valid UTF-8"),
        (b"a\x00b\n", "looks binary"),
    ],
)
def test_unusable_stdin_is_exit_2(api, cli, data, message):
    result = cli("embed", input=data)
    assert result.code == 2
    assert message in result.stderr
    assert api.requests == []


def test_float_writes_the_int8_values_as_numbers_one_line_per_text(api, cli):
    result = cli("embed", "--dimensions", "128", "hello", "world")
    assert result.code == 0, result.stderr
    assert lines_of(result.stdout) == [
        {"index": 0, "embedding": vector_for("hello", 128)},
        {"index": 1, "embedding": vector_for("world", 128)},
    ]
    assert result.stderr == ""


def test_float_decodes_signed_bytes(api, cli):
    # 0x80 0x7f 0x00 0xff: the ends of the int8 range, zero and minus one.
    api.embeddings = lambda body: {"data": [{"index": 0, "embedding": "gH8A/w=="}]}
    assert lines_of(cli("embed", "a").stdout) == [{"index": 0, "embedding": [-128, 127, 0, -1]}]


def test_the_base64_encodings_are_written_as_the_api_sends_them(api, cli):
    int8 = lines_of(cli("embed", "--encoding", "base64_int8", "--dimensions", "256", "x").stdout)
    assert int8 == [
        {"index": 0, "embedding": base64.b64encode(array("b", vector_for("x", 256))).decode()}
    ]
    binary = lines_of(cli("embed", "--encoding", "binary", "--dimensions", "256", "x").stdout)
    assert binary == [{"index": 0, "embedding": base64.b64encode(bits_for("x", 256)).decode()}]
    assert len(base64.b64decode(binary[0]["embedding"])) == 256 // 8


def test_blank_lines_are_not_sent_but_keep_their_index(api, cli):
    result = cli("embed", input="alpha\n\n  \nbeta\r\ngamma")
    assert result.code == 0, result.stderr
    (body,) = sent(api)
    assert body["input"] == ["alpha", "beta", "gamma"]
    got = lines_of(result.stdout)
    assert [line["index"] for line in got] == [0, 3, 4]
    assert got[1]["embedding"] == vector_for("beta", 1024)


def test_arguments_come_first_then_the_lines_of_the_file(api, cli, tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("one\ntwo\n")
    result = cli("embed", "query", "--file", str(texts))
    assert sent(api)[0]["input"] == ["query", "one", "two"]
    assert [line["embedding"] for line in lines_of(result.stdout)] == [
        vector_for(t, 1024) for t in ("query", "one", "two")
    ]
    assert sent(api)[0]["input"] == ["query", "one", "two"]
    from_stdin = cli("embed", "--file", "-", input="three\n")
    assert from_stdin.code == 0 and sent(api)[1]["input"] == ["three"]
    dash = cli("embed", "-", input="four\n")
    assert dash.code == 0 and sent(api)[2]["input"] == ["four"]


def test_json_is_one_document_with_the_usage_of_every_request_added_up(api, cli):
    result = cli("embed", "-f", "json", "--dimensions", "128", input="a b\n" * 600)
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert result.stdout.count("\n") == 1
    assert [line["index"] for line in doc["data"]] == list(range(600))
    assert doc["data"][599]["embedding"] == vector_for("a b", 128)
    assert doc["model"] == DEFAULT
    assert doc["usage"]["prompt_tokens"] == doc["usage"]["total_tokens"] == 1200
    answered = [embeddings(body)["usage"]["cost"]["total_cost"] for body in sent(api)]
    assert doc["usage"]["cost"]["total_cost"] == pytest.approx(sum(answered))
    assert doc["usage"]["cost"]["currency"] == "USD"
    assert "error" not in doc


def test_usage_adds_up_on_stderr(api, cli):
    result = cli("embed", "--usage", input="a b c\n" * 513)
    assert result.code == 0, result.stderr
    assert len(sent(api)) == 2
    assert result.stderr.startswith("perplex: usage: 1539 prompt + 0 completion = 1539 tokens, $")
    api.embeddings = lambda body: {"data": [{"index": 0, "embedding": "AA=="}]}
    assert cli("embed", "--usage", "a").stderr == "perplex: usage: not reported by the API\n"


def test_a_thousand_lines_go_in_two_requests_within_the_limit_in_order(api, cli):
    texts = [f"line number {i}" for i in range(1000)]
    result = cli("embed", "--dimensions", "128", input="\n".join(texts) + "\n")
    assert result.code == 0, result.stderr
    assert [len(body["input"]) for body in sent(api)] == [512, 488]
    assert [t for body in sent(api) for t in body["input"]] == texts
    got = lines_of(result.stdout)
    assert [line["index"] for line in got] == list(range(1000))
    assert all(line["embedding"] == vector_for(texts[line["index"]], 128) for line in got)


def test_long_texts_are_batched_within_the_token_budget(api, cli):
    # 300 texts of 1000 bytes: 120,000 tokens is at most 119 of them per request.
    texts = [f"{i:04d}" + "x" * 996 for i in range(300)]
    result = cli("embed", "--dimensions", "128", input="\n".join(texts))
    assert result.code == 0, result.stderr  # the server refuses a request over the budget
    sizes = [sum(len(t.encode()) for t in body["input"]) for body in sent(api)]
    assert [len(body["input"]) for body in sent(api)] == [119, 119, 62]
    assert max(sizes) <= 120_000
    assert [line["index"] for line in lines_of(result.stdout)] == list(range(300))


def test_a_text_over_the_budget_goes_alone(api, cli):
    api.embeddings = embeddings  # as an API whose tokens are fewer than the bytes
    huge = "word " * 26_000
    result = cli("embed", "before", huge, "after")
    assert result.code == 0, result.stderr
    assert [body["input"] for body in sent(api)] == [["before"], [huge], ["after"]]
    assert [line["index"] for line in lines_of(result.stdout)] == [0, 1, 2]


@pytest.mark.parametrize(
    "status,code", [(400, 4), (401, 3), (403, 3), (422, 4), (429, 5), (500, 6), (503, 6)]
)
def test_api_errors_keep_what_was_written_and_their_exit_code(api, cli, status, code):
    api.embeddings = failing_after(1, status)
    result = cli("embed", "--retries", "1", "--dimensions", "128", input="t\n" * 700)
    assert result.code == code
    got = lines_of(result.stdout)
    assert [line["index"] for line in got] == list(range(512))
    error, hint = result.stderr.splitlines()[-2:]
    assert error.startswith("perplex: error: ")
    written = "perplex: hint: 512 of 700 texts were embedded and written (up to index 511)"
    assert hint.startswith(written)


def test_an_error_on_the_first_request_writes_nothing(api, cli):
    api.embeddings = failing_after(0, 401, "invalid api key")
    result = cli("embed", "-f", "json", "a")
    assert (result.code, result.stdout) == (3, "")
    assert "invalid api key" in result.stderr and "written" not in result.stderr


def test_json_that_fails_midway_is_the_partial_document_with_the_error(api, cli):
    api.embeddings = failing_after(1, 500, "overloaded")
    result = cli("embed", "-f", "json", "--retries", "0", input="t\n" * 600)
    assert result.code == 6
    doc = json.loads(result.stdout)
    assert len(doc["data"]) == 512
    assert doc["error"] == {"type": "server_error", "message": "overloaded (HTTP 500)"}


def test_rate_limits_and_server_errors_are_retried(api, cli):
    replies = [Answer(b'{"error":{"message":"slow down"}}', 429, "application/json")]
    api.embeddings = lambda body: replies.pop() if replies else embeddings(body)
    result = cli("embed", "a")
    assert result.code == 0, result.stderr
    assert len(sent(api)) == 2
    assert "429" in result.stderr  # the retry notice


@pytest.mark.parametrize(
    "doc",
    [
        {"data": []},
        {"data": [{"index": 1, "embedding": "AA=="}]},
        {"data": [{"index": 0}]},
        {"data": [{"index": 0, "embedding": "not base64!"}]},
        {"data": [{"index": 0, "embedding": {"x": 1}}]},
        {"results": []},
    ],
)
def test_a_response_without_one_vector_per_text_is_exit_8(api, cli, doc):
    api.embeddings = lambda body: doc
    result = cli("embed", "a")
    assert result.code == 8
    assert "embeddings response" in result.stderr
    assert result.stdout == ""


def test_the_key_is_never_shown_even_when_the_server_echoes_it(api, cli):
    api.embeddings = failing_after(0, 400, f"bad request from key {SENTINEL_KEY}")
    for args in (["embed", "a"], ["--debug", "embed", "a"], ["embed", "-f", "json", "a"]):
        result = cli(*args)
        assert result.code == 4
        assert SENTINEL_KEY not in result.stdout + result.stderr
        assert "bad request from key" in result.stderr


def test_no_progress_or_escapes_when_stderr_is_not_a_terminal(api, cli):
    result = cli("embed", input="t\n" * 1100)
    assert result.code == 0
    assert result.stderr == ""


def test_on_a_terminal_progress_counts_the_requests_and_is_erased(api, env, tmp_path):
    import os
    import sys

    import pexpect

    texts = tmp_path / "texts.txt"
    texts.write_text("t\n" * 1100)
    out = tmp_path / "out.ndjson"

    def slow(body):
        import time

        time.sleep(0.2)
        return embeddings(body)

    api.embeddings = slow
    child = pexpect.spawn(
        "/bin/sh",
        ["-c", f'"{sys.executable}" -m perplex_cli embed --file "{texts}" > "{out}"'],
        env=dict(os.environ),
        timeout=15,
        encoding="utf-8",
    )
    child.expect(r"embedding: 512/1100 texts, request 2 of 3")
    child.expect(r"embedding: 1024/1100 texts, request 3 of 3")
    child.expect("\r\x1b\\[K")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert len(out.read_text().splitlines()) == 1100


def test_another_pplx_embed_model_is_sent_as_given_for_the_api_to_judge(api, cli):
    result = cli("embed", "-m", "pplx-embed-v2-8b", "--dimensions", "2560", "a")
    assert sent(api)[0]["model"] == "pplx-embed-v2-8b"
    assert sent(api)[0]["dimensions"] == 2560
    assert result.code == 4  # this server knows only the two models of today
    assert "model must be one of" in result.stderr
