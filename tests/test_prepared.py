"""Requests prepared once per URL and copied are the requests the session would prepare,
and a cookie a server sets still reaches every later request, as requests sends it."""

from __future__ import annotations

import json

import pytest
import requests
from apiserver import echo_agent_answer
from test_batch import lines_of, write_prompts

from perplex_cli.transport.prepared import Preparer

URL = "http://127.0.0.1:9/v1/agent"
HEADERS = {"Content-Type": "application/json", "Accept": "text/event-stream"}


def fields(prepared: requests.PreparedRequest) -> tuple[object, ...]:
    return (prepared.method, prepared.url, list(prepared.headers.items()), prepared.body)


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("data", [None, b"", b'{"input":"q"}', '{"input":"é"}'.encode()])
def test_a_copied_request_is_the_one_the_session_prepares(method, data, monkeypatch, tmp_path):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login user password secret\n")
    monkeypatch.setenv("NETRC", str(netrc))  # credentials the session merges in
    session = requests.Session()
    preparer = Preparer(session, None)
    first = b'{"first":1}' if method == "POST" else None
    for body in (first, data):  # the second is a copy of the first's template
        expected = session.prepare_request(
            requests.Request(method, URL, data=body, headers=HEADERS)
        )
        assert fields(preparer.prepare(method, URL, dict(HEADERS), body)) == fields(expected)
    assert len(preparer._templates) == 1


def test_a_cookie_the_server_sets_is_sent_with_every_later_request(api, cli, tmp_path):
    def answer(request, n):  # type: ignore[no-untyped-def]
        reply = echo_agent_answer(request, n)
        reply.headers["Set-Cookie"] = f"visit={n}; Path=/"
        return reply

    api.agent = answer
    result = cli("batch", "--api", "agent", "-j", "1", str(write_prompts(tmp_path, 3)))
    assert result.code == 0, result.stderr
    assert [line["status"] for line in lines_of(result.stdout)] == ["ok"] * 3
    sent = [r.headers.get("Cookie") for r in api.agent_requests()]
    assert sent == [None, "visit=1", "visit=2"]
    assert all(json.loads(r.body)["input"] for r in api.agent_requests())
