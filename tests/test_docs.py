"""The documentation that ships is generated from the code and never drifts from it.

Regenerating in memory must give the committed man page, CLI reference, completion scripts
and the generated tables in the docs byte for byte; `perplex completions SHELL` must print
the committed script; every command's --help must open with one line of purpose and show
examples; the README stays short and its links lead somewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from perplex_cli.reference.commandtree import (
    command_tree,
    help_text,
    request_options,
    root_command,
    walk,
)
from perplex_cli.reference.completions import FILES
from perplex_cli.reference.generate import CLI_REFERENCE, MAN_PAGE, generated, pages

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "python scripts/gen_docs.py"


def need(tool: str) -> str:
    """The tool's path; CI must have it, a developer's machine may lack it (skip)."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is not installed; .ci/run must install it")
        pytest.skip(f"{tool} is not installed")
    return path


@pytest.fixture(scope="module")
def fresh() -> dict[str, str]:
    return generated(ROOT)


@pytest.mark.parametrize("rel", [MAN_PAGE, CLI_REFERENCE, *FILES.values()])
def test_committed_file_matches_the_command_tree(fresh, rel):
    committed = (ROOT / rel).read_text(encoding="utf-8")
    assert committed == fresh[rel], f"{rel} drifted from the commands; run: {REGENERATE}"


def test_generated_tables_in_the_pages_match_the_code(fresh):
    for rel in pages(ROOT):
        committed = (ROOT / rel).read_text(encoding="utf-8")
        assert committed == fresh[rel], f"a table in {rel} drifted from the code; run: {REGENERATE}"


@pytest.mark.parametrize("shell", sorted(FILES))
def test_completions_command_prints_the_committed_script(cli, shell):
    result = cli("completions", shell)
    assert result.code == 0
    assert result.stdout == (ROOT / FILES[shell]).read_text(encoding="utf-8")


def test_completions_rejects_an_unknown_shell(cli):
    result = cli("completions", "tcsh")
    assert result.code == 2
    assert "bash" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["completions", "zsh"], ["--help"], ["ask", "--help"]])
def test_help_and_completions_import_no_network_or_rich_module(env, args):
    code = (
        "import sys; from perplex_cli.__main__ import run; status = run(sys.argv[1:]); "
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('requests', 'sseclient', 'rich')); "
        "sys.stderr.write(repr(heavy)); sys.exit(status)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=False, capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0
    assert out.stderr == "[]"


def test_every_command_help_opens_with_one_line_of_purpose_and_shows_examples():
    tree = command_tree()
    for cmd in walk(tree):
        text = help_text(cmd.path)
        first = text.split("\n\n")[1].strip()
        assert "\n" not in first, f"{cmd.name} --help: the purpose takes more than one line"
        assert first.endswith("."), f"{cmd.name} --help: the purpose is not a sentence"
        assert cmd.examples, f"{cmd.name} --help shows no examples (use examples_epilog)"
        assert "Examples:" in text
        assert all("perplex" in line for line in cmd.examples), cmd.examples


def test_root_help_lists_every_command_and_names_the_default():
    text = help_text(())
    tree = command_tree()
    assert tree.default == "ask"
    assert "'ask' is the default command" in text
    commands = text.split("Commands:\n", 1)[1]
    for cmd in tree.commands:
        assert f"  {cmd.path[-1]}" in commands


def test_help_is_plain_text(cli):
    for args in (["--help"], ["ask", "--help"], ["completions", "--help"]):
        result = cli(*args)
        assert result.code == 0
        assert "\x1b" not in result.stdout and "\u2500" not in result.stdout


def test_enumerated_values_come_from_click_choice_and_the_table():
    tree = command_tree()
    ask = tree.find(("ask",))
    by_name = {o.long: o for o in ask.options}
    assert by_name["--format"].values == ("text", "ndjson", "json")
    assert "sonar-pro" in by_name["--model"].values
    assert tree.find(("completions",)).arguments[0].values == ("bash", "zsh", "fish")
    # A click.Choice option on a new command is picked up without touching the table.
    extra = click.Command("x", params=[click.Option(["--colour"], type=click.Choice(["a", "b"]))])
    root = root_command()
    assert isinstance(root, click.Group)
    root.add_command(extra, "zz-probe")
    try:
        probe = command_tree(root).find(("zz-probe",))
        assert probe.options[0].values == ("a", "b")
    finally:
        del root.commands["zz-probe"]


def test_man_page_has_the_sections_and_every_command_and_option(fresh):
    page = fresh[MAN_PAGE]
    for section in (
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "COMMANDS",
        "OPTIONS",
        '"REQUEST OPTIONS"',
        "FORMATS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "EXAMPLES",
        "SECURITY",
    ):
        assert f"\n.SH {section}\n" in page, section
    for cmd in walk(command_tree()):
        for option in cmd.options:
            for name in option.names:
                assert name.replace("-", "\\-") in page, name
    assert all(ord(c) < 128 for c in page), "non-ASCII must be written as groff escapes"


def test_man_page_passes_groff_lint():
    groff = need("groff")
    out = subprocess.run(
        [groff, "-man", "-ww", "-z", str(ROOT / MAN_PAGE)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")


def test_man_page_escapes_what_groff_would_misread():
    from perplex_cli.reference.manpage import escape

    assert escape("a \\ b") == "a \\e b"
    assert escape("--format -f") == "\\-\\-format \\-f"
    assert escape("well-known") == "well-known"
    assert escape("caf\u00e9 \u2014 ok") == "caf\\[u00E9] \\(em ok"


def test_check_mode_reports_a_drifted_file(tmp_path):
    from perplex_cli.reference import generate as docs_gen

    for rel, text in generated(ROOT).items():
        if rel.startswith("docs/") and rel != CLI_REFERENCE:
            continue
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    stale = "# x\n<!-- generated: exit-status -->\n| 0 | stale |\n<!-- end generated -->\n"
    (tmp_path / "docs" / "failures.md").write_text(stale)
    assert docs_gen.drifted(tmp_path) == ["docs/failures.md"]
    (tmp_path / "docs" / "failures.md").write_text(generated(tmp_path)["docs/failures.md"])
    assert docs_gen.drifted(tmp_path) == []
    assert "| 141 |" in (tmp_path / "docs" / "failures.md").read_text()


def test_ci_runs_the_test_command_the_readme_opens_with():
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    fence = readme.index("```")
    install, test_command = readme[fence + 1 : fence + 3]
    assert install.startswith("sh install.sh ")
    assert test_command.startswith("sh install.sh --test ")
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert ci[-1] == test_command


@pytest.mark.parametrize(
    ("args", "row"),
    [
        (["ask", "--help"], "[PROMPT]...  The question; '-' reads stdin."),
        (["config", "get", "--help"], "KEY  A config key, e.g. model.  [required]"),
    ],
)
def test_argument_help_is_shown_once_whatever_the_click_release(cli, args, row):
    result = cli(*args)
    assert result.code == 0
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert lines.count(row) == 1, f"click {click.__version__}: {result.stdout}"
    assert "Positional arguments:" not in lines


def test_the_shared_request_options_are_listed_once(fresh):
    """Five commands take the 47 shared options: the man page and docs/cli.md list them once."""
    from perplex_cli.reference.clidoc import option_list
    from perplex_cli.reference.manpage import option_entries

    tree = command_tree()
    request = request_options(tree)
    assert len(request) > 40
    assert {o.long for o in request} >= {"--model", "--search-domain", "--format", "--debug"}
    page, reference = fresh[MAN_PAGE], fresh[CLI_REFERENCE]
    assert page.count('\n.SH "REQUEST OPTIONS"\n') == 1
    assert reference.count("\n## Request options\n") == 1
    for option in request:
        assert page.count("\n".join(option_entries((option,))) + "\n") == 1, option.long
        assert reference.count(option_list((option,)) + "\n") == 1, option.long
    # ask's own options are under ask, and ask points to the shared list.
    ask = page.split('.SS "perplex ask"\n', 1)[1].split(".SS ", 1)[0]
    assert "\\-\\-ignore\\-stdin" in ask and "\\-\\-search\\-domain" not in ask
    assert "REQUEST OPTIONS" in ask
    # search takes some of them, and names each one it takes.
    search = page.split('.SS "perplex search"\n', 1)[1].split(".SS ", 1)[0]
    assert "\\fB\\-\\-search\\-domain\\fR" in search and "\\-\\-model" not in search
    assert len(page.splitlines()) < 1200


def test_a_page_naming_an_unknown_table_is_refused():
    from perplex_cli.reference.generate import with_tables

    with pytest.raises(ValueError, match="no generated table 'exit-codes'"):
        with_tables("<!-- generated: exit-codes -->\n<!-- end generated -->\n")
