"""`perplex batch` streams its input: memory stays flat whatever its size, stdin is read
through a temporary file that is gone afterwards, every line is still checked before the
first request, and SIGTERM or SIGHUP leave a results file that `--resume` finishes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from apiserver import Answer, echo_answer
from hostile import measured
from test_batch import wait_for_requests
from userfiles import write_config

PROMPT_CHARS = 16 * 1024


@pytest.fixture(autouse=True)
def chat_unless_told(env):
    write_config(env, 'api = "chat"\n')


def lines_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def long_prompts(tmp_path: Path, count: int) -> Path:
    """`count` prompts of 16 KiB each: a large input in few requests."""
    path = tmp_path / f"prompts-{count}.txt"
    with path.open("w") as out:
        for i in range(count):
            out.write(f"prompt {i} " + "x" * PROMPT_CHARS + "\n")
    return path


@pytest.mark.parametrize("mode", [["--dry-run"], ["-j", "8"]], ids=["dry-run", "sent"])
def test_peak_memory_does_not_grow_with_the_input(api, tmp_path, mode):
    # Holding the input and every request body, as batch did, grew the peak by 35 to 38 MB
    # over these 16 MiB of prompts; read and built as needed, by under 1 MB.
    small = measured(["batch", "--no-log", *mode, str(long_prompts(tmp_path, 10))])
    large = measured(["batch", "--no-log", *mode, str(long_prompts(tmp_path, 1000))])
    assert (small.code, large.code) == (0, 0), large.stderr
    assert len(large.stdout.splitlines()) == 1000
    if mode == ["-j", "8"]:
        assert len(api.chat_requests()) == 1010
        assert {r["status"] for r in lines_of(large.stdout.decode())} == {"ok"}
    grown = large.peak_mb - small.peak_mb
    assert grown < 10, f"{small.peak_mb:.1f} MB for 10 lines, {large.peak_mb:.1f} MB for 1000"


def test_stdin_is_read_through_a_temporary_file_that_is_gone_afterwards(api, env, tmp_path):
    spool = tmp_path / "tmp"
    spool.mkdir()
    prompts = "".join(f"prompt {i}\n" for i in range(30)).encode()
    result = subprocess.run(
        [sys.executable, "-m", "perplex_cli", "batch", "--ordered", "-"],
        input=prompts,
        capture_output=True,
        env={**os.environ, "TMPDIR": str(spool)},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    records = lines_of(result.stdout.decode())
    assert [r["id"] for r in records] == list(range(30))
    assert records[7]["completion"]["choices"][0]["message"]["content"] == "answer to prompt 7"
    assert list(spool.iterdir()) == []


def test_a_fifo_is_read_once_and_every_prompt_answered(api, cli, tmp_path):
    fifo = tmp_path / "prompts.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("w") as out:
            out.write("".join(f"prompt {i}\n" for i in range(12)))

    writer = threading.Thread(target=feed)
    writer.start()
    result = cli("batch", "--ordered", str(fifo))
    writer.join(5)
    assert result.code == 0, result.stderr
    assert [r["id"] for r in lines_of(result.stdout)] == list(range(12))
    assert len(api.chat_requests()) == 12


def test_a_repeated_id_far_down_stdin_is_refused_before_any_request(api, cli):
    lines = [json.dumps({"id": f"q{i}", "prompt": f"p {i}"}) for i in range(3000)]
    lines.append(json.dumps({"id": "q2", "prompt": "again"}))
    result = cli("batch", "-", input="\n".join(lines) + "\n")
    assert result.code == 2
    assert result.stderr == (
        "perplex: error: stdin, line 3001: id 'q2' is also on line 3; "
        "ids must be unique for --resume to work\n"
    )
    assert api.requests == []


def test_a_bad_line_after_many_good_ones_is_refused_before_any_request(api, cli, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text("".join(f"prompt {i}\n" for i in range(5000)) + '{"prompt": "x", "top_p": 7}\n')
    result = cli("batch", "-j", "8", str(path))
    assert result.code == 2
    assert result.stderr.startswith(f"perplex: error: {path}, line 5001: invalid value for")
    assert api.requests == []


@pytest.mark.parametrize(("name", "status"), [("SIGTERM", 143), ("SIGHUP", 129)])
def test_a_signal_stops_the_running_requests_and_resume_finishes(
    api, spawn, cli, tmp_path, name, status
):
    # The first 6 answers come at once, every later one only after 30 s.
    api.chat = lambda request, n: Answer(echo_answer(request, n).body, delay=0 if n <= 6 else 30)
    prompts = tmp_path / "p.txt"
    prompts.write_text("".join(f"prompt {i}\n" for i in range(40)))
    out = tmp_path / "out.ndjson"
    proc = spawn("batch", "-j", "2", "--output", str(out), str(prompts))
    wait_for_requests(api, 8, limit=20)
    time.sleep(0.2)  # the 6 quick answers written, 2 requests waiting for theirs
    begun = time.monotonic()
    proc.send_signal(getattr(signal, name))
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == status
    assert time.monotonic() - begun < 3, "the running requests were not stopped"
    assert err.decode() == (
        f"perplex: terminated ({name}): 6 of 40 ok, 2 failed (2 interrupted), 32 not started\n"
    )
    text = out.read_text()
    assert text.endswith("\n")
    records = lines_of(text)  # every line whole
    assert [r["status"] for r in records] == ["ok"] * 6 + ["error"] * 2
    assert records[-1]["error"] == {"type": "interrupted", "message": f"terminated ({name})"}

    api.chat = echo_answer
    result = cli("batch", "--output", str(out), "--resume", str(prompts))
    assert result.code == 0, result.stderr
    done = [r["id"] for r in lines_of(out.read_text()) if r["status"] == "ok"]
    assert sorted(done) == list(range(40)), "a prompt was lost or answered twice"
