"""Text output: one blank line before the sources, --no-markers, and the related questions
and images after the sources when the request asked for them."""

from __future__ import annotations

import json

import pytest
from replay import Reply
from streams import answer, chunk, sse

SOURCES = {
    "citations": ["https://a.example/1", "https://b.example/2"],
    "search_results": [{"url": "https://a.example/1", "title": "A"}],
}
SOURCE_LINES = "\n[1] A - https://a.example/1\n[2] https://b.example/2\n"


def reply(*parts: str, **extra) -> Reply:
    return Reply(body=sse(*answer(*parts, **{**SOURCES, **extra})))


def test_the_answers_trailing_blank_lines_are_not_printed_streamed(server, cli):
    server.reply(reply("\n\nBlue sky.", "\n\n", "\n"))
    result = cli("--api", "chat", "q")
    assert result.stdout == "Blue sky.\n" + SOURCE_LINES


def test_blank_lines_inside_the_answer_are_kept(server, cli):
    server.reply(reply("One.\n", "\nTwo.\n\n"))
    assert cli("--api", "chat", "q").stdout == "One.\n\nTwo.\n" + SOURCE_LINES


def test_no_stream_has_one_blank_line_before_the_sources(server, cli):
    doc = {
        "id": "x",
        "model": "sonar",
        "choices": [{"message": {"role": "assistant", "content": "4.[1]\n\n"}}],
        **SOURCES,
    }
    server.reply(Reply(body=json.dumps(doc).encode(), content_type="application/json"))
    result = cli("--api", "chat", "--no-stream", "q")
    assert result.stdout == "4.[1]\n" + SOURCE_LINES


@pytest.mark.parametrize(
    "parts,shown",
    [
        (["Sky is blue [1].", " Sea too[1][2]."], "Sky is blue. Sea too."),
        (["Split [", "1", "] marker", " [2", "]"], "Split marker"),
        (["Not a marker [a] and 1999 [", "x]"], "Not a marker [a] and 1999 [x]"),
    ],
)
def test_no_markers_leaves_the_markers_out_of_text(server, cli, parts, shown):
    server.reply(reply(*parts))
    result = cli("--api", "chat", "--no-markers", "q")
    assert result.stdout == shown + "\n" + SOURCE_LINES


def test_no_markers_leaves_json_untouched(server, cli):
    server.reply(reply("Sky [1]."))
    result = cli("--api", "chat", "--no-markers", "-f", "json", "q")
    assert json.loads(result.stdout)["choices"][0]["message"]["content"] == "Sky [1]."


def test_config_no_markers_and_the_flag_that_overrides_it(server, cli):
    assert cli("config", "set", "no_markers", "true").code == 0
    server.reply(reply("Sky [1]."))
    server.reply(reply("Sky [1]."))
    assert cli("--api", "chat", "q").stdout.startswith("Sky.\n")
    assert cli("--api", "chat", "--markers", "q").stdout.startswith("Sky [1].\n")


EXTRAS = {
    "related_questions": ["Why is the sea blue?", "What is Rayleigh scattering?"],
    "images": [{"image_url": "https://img.example/sky.png", "origin_url": "https://a.example"}],
}


def test_related_questions_and_images_follow_the_sources_when_asked_for(server, cli):
    server.reply(Reply(body=sse(chunk("Blue."), *answer("", **SOURCES, **EXTRAS))))
    result = cli("--api", "chat", "--related-questions", "--images", "q")
    assert result.code == 0, result.stderr
    assert result.stdout == (
        "Blue.\n"
        + SOURCE_LINES
        + "\nRelated questions:\n- Why is the sea blue?\n- What is Rayleigh scattering?\n"
        + "\nImages:\n- https://img.example/sky.png (from https://a.example)\n"
    )
    body = server.requests[-1].json()
    assert (body["return_related_questions"], body["return_images"]) == (True, True)


def test_extras_the_request_did_not_ask_for_are_not_shown(server, cli):
    server.reply(Reply(body=sse(*answer("Blue.", **SOURCES, **EXTRAS))))
    assert cli("--api", "chat", "--related-questions", "q").stdout.endswith(
        "\nRelated questions:\n- Why is the sea blue?\n- What is Rayleigh scattering?\n"
    )
