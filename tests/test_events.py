"""The accumulator takes chunks of every shape alike: the usual one through its fast path,
the others (deep research, concise mode, error-ish chunks) through the general one."""

from __future__ import annotations

from streams import chunk

from perplex_cli.api.chat_events import Accumulator


def test_chunks_missing_fields_keep_the_last_non_empty_values():
    acc = Accumulator()
    first = chunk("Hello ", citations=["https://a"])
    no_usage = chunk("wor")
    del no_usage["usage"], no_usage["model"]
    no_choices = chunk("")
    del no_choices["choices"]
    empty_delta = chunk("")
    empty_delta["choices"][0]["delta"] = None
    last = chunk("ld", finish="stop", usage={"total_tokens": 9}, citations=[])
    answers = [acc.feed(c).answer for c in (first, no_usage, no_choices, empty_delta, last)]
    assert answers == ["Hello ", "wor", "", "", "ld"]
    assert acc.content == "Hello world"
    assert (acc.model, acc.usage) == ("sonar", {"total_tokens": 9})
    assert (acc.finish_reason, acc.complete) == ("stop", True)
    assert acc.metadata == {"citations": ["https://a"]}
    assert acc.events == 5


def test_an_answer_without_finish_reason_is_not_complete_until_the_done_object():
    acc = Accumulator()
    acc.feed(chunk("a"))
    assert not acc.complete
    acc.feed(chunk("", obj="chat.completion.done"))
    assert acc.complete and acc.finish_reason is None


def test_concise_reasoning_steps_are_reasoning_and_kept_for_the_document():
    acc = Accumulator()
    steps = chunk("", obj="chat.reasoning")
    steps["choices"][0]["delta"] = {"reasoning_steps": [{"thought": "search the web"}]}
    update = acc.feed(steps)
    assert (update.answer, update.reasoning) == ("", "search the web\n")
    both = chunk("Answer")
    both["choices"][0]["delta"]["reasoning_steps"] = ["then write"]
    update = acc.feed(both)
    assert (update.answer, update.reasoning) == ("Answer", "then write\n")
    doc = acc.completion()
    assert doc["choices"][0]["message"]["reasoning_steps"] == [
        {"thought": "search the web"},
        "then write",
    ]
    assert doc["choices"][0]["message"]["content"] == "Answer"


def test_think_blocks_are_split_before_the_fast_path_takes_over():
    acc = Accumulator()
    updates = [acc.feed(chunk(t)) for t in ("<think>plan", "</think>\n\nThe", " end")]
    assert [(u.answer, u.reasoning) for u in updates] == [("", "plan"), ("The", ""), (" end", "")]
    assert acc.reasoning == "plan"


def test_text_buffer_keeps_every_piece_in_order_across_blocks():
    from perplex_cli.api.answer_text import TextBuffer

    buf = TextBuffer()
    assert buf.getvalue() == ""
    words = [f"w{i} " for i in range(1000)]
    for w in words[:600]:
        buf.write(w)
    assert buf.getvalue() == "".join(words[:600])
    for w in words[600:]:
        buf.write(w)
    assert buf.getvalue() == buf.getvalue() == "".join(words)
