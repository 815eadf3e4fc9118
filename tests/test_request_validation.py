"""Every value the API would refuse is a usage error before any request: exit 2, one line
naming the option and what it allows, nothing on stdout, nothing sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from perplex_cli.errors import UsageError
from perplex_cli.request.options import Options
from perplex_cli.request.values import validate

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

DOMAINS_21 = [arg for n in range(21) for arg in ("--search-domain", f"d{n}.com")]
IMAGE_DOMAINS_11 = [arg for n in range(11) for arg in ("--image-domain", f"i{n}.com")]

# (flags, words the error line must contain: the option and the allowed values)
RULES: list[tuple[list[str], list[str]]] = [
    (["--max-tokens", "0"], ["--max-tokens", "> 0"]),
    (["--max-tokens", "-5"], ["--max-tokens", "> 0"]),
    (["--temperature", "2.01"], ["--temperature", "between 0 and 2"]),
    (["--temperature", "-0.1"], ["--temperature", "between 0 and 2"]),
    (["--temperature", "nan"], ["--temperature", "finite"]),
    (["--top-p", "1.5"], ["--top-p", "between 0 and 1"]),
    (["--top-p", "-1"], ["--top-p", "between 0 and 1"]),
    (["--stop", ""], ["--stop", "empty"]),
    (["--search-recency", "hourly"], ["--search-recency", "hour, day, week, month, year"]),
    (["--search-mode", "news"], ["--search-mode", "web, academic, sec"]),
    (["--search-context-size", "huge"], ["--search-context-size", "low, medium, high"]),
    (["--search-type", "slow"], ["--search-type", "fast, pro, auto"]),
    (["--reasoning-effort", "max"], ["--reasoning-effort", "minimal, low, medium, high"]),
    (["--stream-mode", "fast"], ["--stream-mode", "full, concise"]),
    (["--image-format", "bmp"], ["--image-format", "gif, jpg, png, webp"]),
    (
        ["--search-recency", "week", "--search-after", "2025-01-01"],
        ["--search-recency", "--search-after/--search-before"],
    ),
    (
        ["--search-recency", "day", "--search-before", "1/1/2025"],
        ["--search-recency", "--search-after/--search-before"],
    ),
    (DOMAINS_21, ["--search-domain", "21", "at most 20"]),
    (IMAGE_DOMAINS_11, ["--image-domain", "11", "at most 10"]),
    (["--search-domain", ""], ["--search-domain", "example.com"]),
    (["--search-domain", "not a domain"], ["--search-domain", "example.com"]),
    (["--image-domain", "-"], ["--image-domain", "example.com"]),
    (["--search-after", "2025-02-30"], ["--search-after", "not a real date"]),
    (["--search-before", "2/29/2025"], ["--search-before", "not a real date"]),
    (["--updated-after", "13/1/2025"], ["--updated-after", "not a real date", "month first"]),
    (["--updated-before", "2025.01.01"], ["--updated-before", "YYYY-MM-DD or M/D/YYYY"]),
    (["--search-after", "yesterday"], ["--search-after", "YYYY-MM-DD or M/D/YYYY"]),
    (
        ["--search-after", "2025-03-01", "--search-before", "2025-01-01"],
        ["--search-after 2025-03-01", "later than", "--search-before 2025-01-01"],
    ),
    (
        ["--updated-after", "2025-03-01", "--updated-before", "2025-02-28"],
        ["--updated-after", "later than", "--updated-before"],
    ),
    (["--location", "91,0"], ["--location", "LAT,LON[,CC]", "-90..90"]),
    (["--location", "0,181"], ["--location", "-180..180"]),
    (["--location", "paris"], ["--location", "LAT,LON[,CC]"]),
    (["--location", "1,2,USA"], ["--location", "two-letter country code"]),
    (["--location", "1,2,FR,x"], ["--location", "LAT,LON[,CC]"]),
    (["--language", "english"], ["--language", "ISO 639-1"]),
    (["--search-type", "pro", "--no-stream"], ["--search-type pro", "streaming", "--no-stream"]),
    (["-o", "no-equals-sign"], ["-o/--option", "KEY=VALUE"]),
    (["-o", "=1"], ["-o/--option", "KEY=VALUE"]),
    (["-o", "a..b=1"], ["-o/--option", "KEY=VALUE"]),
    (["-o", "model.name=x"], ["-o model.name", "model is a string", "not an object"]),
    (["-o", "a=1", "-o", "a.b=2"], ["-o a.b", "a is a number", "not an object"]),
]


@pytest.mark.parametrize(
    "flags,words", RULES, ids=lambda v: " ".join(v)[:50] if isinstance(v, list) else ""
)
def test_invalid_value_is_exit_2_naming_the_option_and_nothing_is_sent(server, cli, flags, words):
    result = cli(*flags, "q")
    assert result.code == 2, result.stderr
    assert result.stdout == ""
    line = result.stderr.strip()
    assert line.startswith("perplex: error:") and len(line.splitlines()) == 1
    for word in words:
        assert word in line
    assert server.requests == []


@pytest.mark.parametrize("flags", [r[0] for r in RULES[:6]], ids=lambda v: " ".join(v)[:40])
def test_dry_run_validates_too(server, cli, flags):
    result = cli("--dry-run", *flags, "q")
    assert (result.code, result.stdout) == (2, "")


def test_exactly_20_search_domains_and_10_image_domains_are_allowed(server, cli):
    result = cli("--dry-run", *DOMAINS_21[:40], *IMAGE_DOMAINS_11[:20], "q")
    assert result.code == 0, result.stderr


def schema_cases(tmp_path: Path) -> dict[str, tuple[str, list[str]]]:
    (tmp_path / "bad.json").write_text('{"type": "object",}')
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "latin1.json").write_bytes(b'{"t": "caf\xe9"}')
    (tmp_path / "plain").write_text("x")
    (tmp_path / "dir").mkdir()
    return {
        "missing": (str(tmp_path / "nope.json"), ["cannot read", "No such file"]),
        # root can read any file: unreadable is a path whose parent is a regular file
        "unreadable": (str(tmp_path / "plain" / "schema.json"), ["cannot read"]),
        "directory": (str(tmp_path / "dir"), ["is a directory"]),
        "invalid JSON": (str(tmp_path / "bad.json"), ["not valid JSON", "line 1"]),
        "not an object": (str(tmp_path / "list.json"), ["JSON object", "not an array"]),
        "not UTF-8": (str(tmp_path / "latin1.json"), ["not UTF-8"]),
    }


@pytest.mark.parametrize(
    "case", ["missing", "unreadable", "directory", "invalid JSON", "not an object", "not UTF-8"]
)
def test_json_schema_file_must_be_readable_json(server, cli, tmp_path, case):
    path, words = schema_cases(tmp_path)[case]
    result = cli("--json-schema", path, "q")
    assert result.code == 2
    assert result.stdout == ""
    assert f"--json-schema {path}" in result.stderr
    for word in words:
        assert word in result.stderr
    assert server.requests == []


def test_non_numeric_values_are_refused_by_the_command_line(server, cli):
    result = cli("--temperature", "warm", "q")
    assert result.code == 2
    assert "--temperature" in result.stderr
    assert server.requests == []


# validate() checks values on their own, as `config set` will use it.
@pytest.mark.parametrize(
    "opts",
    [
        Options(search_domain="example.com"),  # a config file may give one string
        Options(temperature="0.5"),  # type: ignore[arg-type]
        Options(max_tokens="100"),  # type: ignore[arg-type]
        Options(search_recency="Week"),
        Options(image_format="png"),  # type: ignore[arg-type]
        Options(search_after="2025-01-01", updated_before="1/31/2025"),
    ],
    ids=str,
)
def test_validate_accepts_values_given_as_config_strings(opts):
    validate(opts)


@pytest.mark.parametrize(
    "opts,words",
    [
        (Options(search_recency="hourly"), ["--search-recency", "hour, day"]),
        (Options(temperature="warm"), ["--temperature", "a number"]),  # type: ignore[arg-type]
        (Options(max_tokens="1.5"), ["--max-tokens", "an integer"]),  # type: ignore[arg-type]
        (Options(max_tokens=True), ["--max-tokens"]),  # type: ignore[arg-type]
        (Options(search_domain=["a.com"] * 21), ["at most 20"]),
        (Options(location="north"), ["--location"]),
    ],
    ids=str,
)
def test_validate_refuses_bad_values_on_their_own(opts, words):
    with pytest.raises(UsageError) as caught:
        validate(opts)
    for word in words:
        assert word in caught.value.message
