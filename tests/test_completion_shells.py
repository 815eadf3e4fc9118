"""The committed completion scripts, loaded into real bash, zsh and fish.

bash runs the completion function with COMP_WORDS/COMP_CWORD set as readline sets them;
fish answers `complete -C`; zsh runs its completion system in an interactive shell on a
pseudo-terminal, listing the choices (list-choices) for a line typed with a Tab.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from perplex_cli.reference.commandtree import command_tree
from perplex_cli.request.choices import MODELS as MODEL_NAMES
from perplex_cli.request.config_values import config_keys

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = ROOT / "perplex_cli" / "data" / "completions"
MODELS = set(MODEL_NAMES)
FORMATS = {"text", "ndjson", "json"}
# What the scripts must offer is what the command tree has, whatever commands it grows.
TREE = command_tree()
COMMANDS = {c.path[-1] for c in TREE.commands}
ASK_OPTIONS = {n for o in TREE.find(("ask",)).options for n in o.names}
CONFIG_KEYS = set(config_keys())


def starting(prefix: str, words: set[str]) -> set[str]:
    return {w for w in words if w.startswith(prefix)}


def bash_complete(*words: str, cwd: Path = ROOT) -> list[str]:
    """COMPREPLY for the command line `words` (the last one is being completed)."""
    script = (
        f"source {COMPLETIONS / 'bash' / 'perplex'}\n"
        'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}\n'
        "_perplex\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    out = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script, "bash", *words],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": os.environ["PATH"]},
    )
    assert out.returncode == 0 and out.stderr == "", out.stderr
    return [line for line in out.stdout.splitlines() if line]


@pytest.mark.parametrize(
    "words,expected",
    [
        (["perplex", ""], COMMANDS),
        (["perplex", "co"], starting("co", COMMANDS)),
        (["perplex", "--form"], {"--format"}),
        (["perplex", "--format", ""], FORMATS),
        (["perplex", "-f", "j"], {"json"}),
        (["perplex", "--format", "=", "nd"], {"ndjson"}),  # '=' in COMP_WORDBREAKS
        (["perplex", "--format=nd"], {"--format=ndjson"}),  # and without it
        (["perplex", "-m", ""], MODELS),
        (["perplex", "ask", "--model", "sonar-r"], {"sonar-reasoning-pro"}),
        (["perplex", "completions", ""], {"bash", "zsh", "fish"}),
        (
            ["perplex", "why", "is", "--mo"],
            {"--model", "--models"},
        ),  # the default command's options
        (["perplex", "-m", "sonar", "why", ""], set()),  # a question word: nothing to offer
        (["perplex", "ask", "--", "-"], set()),  # after --, no options
        (["perplex", "ask", "--render", "--no-c"], starting("--no-c", ASK_OPTIONS)),
        (["perplex", "config", "set", "mod"], {"model"}),
        (["perplex", "config", "get", "max_"], {"max_tokens"}),
        (["perplex", "config", "unset", "no_"], starting("no_", CONFIG_KEYS)),
        (["perplex", "config", "set", "model", ""], MODELS),
        (["perplex", "config", "set", "format", "j"], {"json"}),
        (["perplex", "config", "set", "render", ""], {"true", "false"}),
        (["perplex", "config", "set", "system", ""], set()),  # free text
    ],
)
def test_bash_completes_commands_options_and_values(words, expected):
    assert set(bash_complete(*words)) == expected


def test_bash_completes_file_names_where_a_path_is_expected(tmp_path):
    """A FILE option (none ships yet in every branch) completes paths: check the mechanism."""
    (tmp_path / "notes.md").write_text("x")
    script = (
        f"source {COMPLETIONS / 'bash' / 'perplex'}\n"
        "_perplex_values() { words=@files; }\n"
        'COMP_WORDS=(perplex --model no); COMP_CWORD=2; _perplex; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    out = subprocess.run(
        ["bash", "--norc", "-c", script], check=False, capture_output=True, text=True, cwd=tmp_path
    )
    assert out.stdout.split() == ["notes.md"], out.stderr


def fish_complete(line: str) -> list[str]:
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed")
    out = subprocess.run(
        [
            "fish",
            "--no-config",
            "-c",
            f"source {COMPLETIONS / 'fish' / 'perplex.fish'}; complete -C {line!r}",
        ],
        check=False,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "HOME": str(ROOT)},
    )
    assert out.returncode == 0 and out.stderr == "", out.stderr
    return [row.split("\t")[0] for row in out.stdout.splitlines()]


@pytest.mark.parametrize(
    "line,expected",
    [
        ("perplex ", COMMANDS),
        ("perplex --form", {"--format"}),
        ("perplex --format ", FORMATS),
        ("perplex --format=nd", {"--format=ndjson"}),
        ("perplex -m ", MODELS),
        ("perplex completions ", {"bash", "zsh", "fish"}),
        ("perplex why --mo", {"--model", "--models"}),
        ("perplex -m sonar why ", set()),
        ("perplex config set mod", {"model"}),
        ("perplex config get ", CONFIG_KEYS),
        ("perplex config set model ", MODELS),
        ("perplex config set no_markers ", {"true", "false"}),
    ],
)
def test_fish_completes_commands_options_and_values(line, expected):
    assert set(fish_complete(line)) == expected


@pytest.fixture(scope="module")
def zsh():
    """An interactive zsh with compinit, the script on $fpath, and Tab bound to list-choices."""
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed")
    import pexpect

    home = Path(os.environ.get("TMPDIR", "/tmp"))
    child = pexpect.spawn(
        "zsh",
        ["-f", "-i"],
        env={"PATH": os.environ["PATH"], "TERM": "dumb", "HOME": str(home)},
        dimensions=(60, 300),
        encoding="utf-8",
        timeout=10,
    )
    child.sendline(
        f"fpath=({COMPLETIONS / 'zsh'} $fpath); autoload -Uz compinit; compinit -u -D; "
        "bindkey '^I' list-choices; PS1='RE''ADY> '"  # the echo must not match
    )
    child.expect("READY> ")
    yield child
    child.close(force=True)


def zsh_listing(child, line: str) -> set[str]:
    """The words zsh lists as choices after `line`."""
    child.send(line + "\t")
    child.expect("READY> ")
    listing = child.before.split(line, 1)[-1] if line in child.before else child.before
    child.send("\x15")  # kill the line for the next case
    words = set()
    for row in listing.splitlines():
        row = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", row)
        names = row.split(" -- ")[0]
        words.update(w for w in names.split() if w)
    return words


@pytest.mark.parametrize(
    "line,expected,absent",
    [
        ("perplex ", COMMANDS, {"--format"}),
        ("perplex --format ", FORMATS, {"ask"}),
        ("perplex -m ", MODELS, {"json"}),
        ("perplex completions ", {"bash", "zsh", "fish"}, {"ask"}),
        ("perplex why --no-c", {"--no-citations", "--no-color"}, {"--model"}),
        ("perplex config set ", {"model", "max_tokens", "render"}, {"ask", "sonar"}),
        ("perplex config set model ", MODELS, {"model"}),
        ("perplex config set log ", {"true", "false"}, {"sonar"}),
    ],
)
def test_zsh_completes_commands_options_and_values(zsh, line, expected, absent):
    words = zsh_listing(zsh, line)
    assert expected <= words, words
    assert not absent & words, words


def test_zsh_script_can_also_be_sourced_after_compinit():
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed")
    script = (
        "autoload -Uz compinit; compinit -u -D; "
        f"source {COMPLETIONS / 'zsh' / '_perplex'}; print -r -- ${{_comps[perplex]}}"
    )
    out = subprocess.run(
        ["zsh", "-f", "-c", script],
        check=False,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("TMPDIR", "/tmp")},
    )
    assert out.stdout.strip() == "_perplex", out.stderr
