"""The hand-written docs: a short README that opens with the set-up, links that lead
somewhere, and exit-status and environment tables that come from the code's own tables."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from perplex_cli import errors
from perplex_cli.reference.clidoc import environment_table, exit_status_table
from perplex_cli.request.environment import ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SETUP = [
    'sh install.sh "why is the sky blue"',
    "sh install.sh --test .venv && .venv/bin/python -m pytest",
]
# A Markdown link to a file of the repository: [text](path) or [text](path#anchor).
LINK = re.compile(r"\]\((?!https?:|mailto:)(?P<path>[^)#\s]*)(?:#(?P<anchor>[^)\s]+))?\)")


def guide_pages() -> list[Path]:
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


def anchors(page: Path) -> set[str]:
    """The anchors GitHub makes for a page's headings."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    heads = re.findall(r"^#+ (.+)$", text, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


def test_the_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; the guide belongs in docs/"


def test_the_readme_opens_with_the_two_setup_commands():
    text = README.read_text(encoding="utf-8")
    first_block = text.split("```\n", 2)[1]
    assert first_block.splitlines() == SETUP
    assert "<!-- help:" not in text, "help output belongs in docs/cli.md, generated"


def test_the_readme_links_every_page_of_the_guide():
    text = README.read_text(encoding="utf-8")
    linked = {m.group("path") for m in LINK.finditer(text)}
    pages = {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")}
    assert pages - linked == set(), "a page of docs/ the README does not link to"


@pytest.mark.parametrize("page", guide_pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_link_leads_to_a_file_and_heading_that_exist(page):
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    for match in LINK.finditer(text):
        target = (page.parent / match.group("path")).resolve() if match.group("path") else page
        assert target.exists(), f"{page.name} links to {match.group('path')}, which is missing"
        anchor = match.group("anchor")
        if anchor and target.suffix == ".md":
            assert anchor in anchors(target), f"{page.name}: no heading #{anchor} in {target.name}"


def test_the_link_pattern_finds_links_and_anchors():
    found = [
        m.groups() for m in LINK.finditer("[a](docs/x.md) [b](#c) [d](y.md#e-f) [g](https://h)")
    ]
    assert found == [("docs/x.md", None), ("", "c"), ("y.md", "e-f")]
    assert "the-field-map-the-agent-api" in anchors(ROOT / "docs" / "request-options.md")


def test_the_failure_and_environment_pages_hold_the_generated_tables():
    failures = (ROOT / "docs" / "failures.md").read_text(encoding="utf-8")
    network = (ROOT / "docs" / "keys-config-network.md").read_text(encoding="utf-8")
    assert "<!-- generated: exit-status -->\n" + exit_status_table() + "\n" in failures
    assert "<!-- generated: environment -->\n" + environment_table() + "\n" in network
    assert "| 7 | Network failure" in failures and "--max-wait" in failures
    assert "`PERPLEX_RETRY_BASE`" in network and "`PERPLEX_API`" in network


def test_the_exit_status_table_has_every_code_the_errors_carry():
    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    carried = {cls.exit_code for cls in subclasses(errors.PerplexError)}
    carried |= {128 + signal.SIGHUP, 128 + signal.SIGTERM}  # Interrupted by those signals
    listed = [code for code, _ in errors.EXIT_STATUS]
    assert sorted(set(listed)) == listed, "each status once, in order"
    assert set(listed) == carried | {0}


def test_the_environment_table_lists_every_variable_the_code_reads():
    from perplex_cli import redact
    from perplex_cli.local import config
    from perplex_cli.request import settings

    source = "\n".join(p.read_text() for p in (ROOT / "perplex_cli").rglob("*.py"))
    read = set(re.findall(r"(?:environ|env)(?:\.get\(|\[)\"([A-Z][A-Z0-9_]+)\"", source))
    read |= set(redact.KEY_VARIABLES) | set(settings.ENVIRONMENT.values()) | {config.CONFIG_ENV}
    listed = {name for names, _ in ENVIRONMENT for name in names}
    assert read, "the pattern must find the variables the code reads"
    assert read - listed == set()
    assert {"PERPLEX_RETRY_BASE", "PERPLEX_LOG_DB", "NO_COLOR", "PERPLEX_API"} <= listed
