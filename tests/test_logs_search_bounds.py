"""`logs search` stays fast on an exchange where the word repeats 80,000 times, or on a
10 MB prompt: the excerpt is cut around the first match in Python, not by FTS5's
snippet() (quadratic in the repeats: 46 s, and over 11 minutes for the 10 MB prompt)."""

from __future__ import annotations

import json
import time

from replay import Reply
from streams import answer, sse

from perplex_cli.local.snippet import snippet


def test_a_word_repeated_80000_times_and_a_10_mb_prompt_are_searched_quickly(server, cli):
    server.reply(
        Reply(body=sse(*answer("Magnets attract iron. " * 2000))), Reply(body=sse(*answer("ok")))
    )
    assert cli("-f", "json", "--api", "chat", input="magnet " * 80_000).code == 0
    prompt = ("lorem ipsum dolor " * 580_000)[:10_000_000] + " the word compass at the end"
    assert cli("-f", "json", "--api", "chat", input=prompt).code == 0
    cli("logs", "search", "nothing")  # indexes both: timed apart from the search itself

    start = time.monotonic()
    found = json.loads(cli("logs", "search", "magnets", "-f", "json").stdout)
    compass = json.loads(cli("logs", "search", "compass", "-f", "json").stdout)
    assert time.monotonic() - start < 20  # minutes before
    assert len(found) == 1 and found[0]["snippet"].startswith("«magnet» «magnet»")
    assert len(compass) == 1
    assert compass[0]["snippet"] == "…lorem ipsu the word «compass» at the end"


def test_the_excerpt_marks_every_form_of_the_words_found_around_the_first():
    text = "Light from the sun is scattered by the air; blue light scatters most."
    assert (
        snippet(["scattering", "light"], "why is the sky blue", text)
        == "«Light» from the sun is «scattered» by the…"
    )
    assert snippet(["café"], None, "un cafe noir") == "un «cafe» noir"
    assert snippet(["absent"], "the prompt", "the answer") == "the prompt"
