"""Regenerate the documentation that ships: man page, CLI reference, completions, tables.

    python scripts/gen_docs.py           write the files that changed
    python scripts/gen_docs.py --check   write nothing; exit 1 and name the files that drifted

The hand-written pages (README.md, docs/*.md) may hold generated tables: the text between
`<!-- generated: NAME -->` and `<!-- end generated -->` is replaced by the table NAME
(`exit-status`, `environment`, `agent-fields`, `presets`), made from the one table in
the code that the program itself reads.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from perplex_cli.reference.clidoc import (
    agent_fields_table,
    cli_reference,
    environment_table,
    exit_status_table,
    presets_table,
    sonar_table,
)
from perplex_cli.reference.commandtree import Command, command_tree
from perplex_cli.reference.completions import FILES, script
from perplex_cli.reference.manpage import man_page

ROOT = Path(__file__).resolve().parents[2]
MAN_PAGE = "man/perplex.1"
CLI_REFERENCE = "docs/cli.md"
README = "README.md"
TABLES: dict[str, Callable[[], str]] = {
    "exit-status": exit_status_table,
    "environment": environment_table,
    "agent-fields": agent_fields_table,
    "presets": presets_table,
    "sonar-engines": sonar_table,
}
_BLOCK = re.compile(
    r"(?P<open><!-- generated: (?P<name>[a-z-]+) -->\n).*?(?P<close><!-- end generated -->)",
    re.DOTALL,
)


def with_tables(text: str) -> str:
    """A page with every generated table regenerated; an unknown table name is an error."""

    def block(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in TABLES:
            raise ValueError(f"no generated table {name!r}; the tables are {', '.join(TABLES)}")
        return match.group("open") + TABLES[name]() + "\n" + match.group("close")

    return _BLOCK.sub(block, text)


def pages(root: Path) -> list[str]:
    """The hand-written pages that may hold generated tables, relative to root."""
    docs = sorted(p.relative_to(root).as_posix() for p in (root / "docs").glob("*.md"))
    return [README, *(rel for rel in docs if rel != CLI_REFERENCE)]


def generated(root: Path = ROOT, tree: Command | None = None) -> dict[str, str]:
    """Every generated file, relative path -> text, as the code says it should be."""
    tree = tree or command_tree()
    files = {MAN_PAGE: man_page(tree), CLI_REFERENCE: cli_reference(tree)}
    scripts = {shell: script(shell, tree) for shell in FILES}
    files.update({path: scripts[shell] for shell, path in FILES.items()})
    for rel in pages(root):
        files[rel] = with_tables((root / rel).read_text(encoding="utf-8"))
    return files


def drifted(root: Path = ROOT) -> list[str]:
    """The generated files whose committed text differs from what the code generates."""
    out = []
    for rel, text in generated(root).items():
        path = root / rel
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            out.append(rel)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        stale = drifted()
        for rel in stale:
            print(f"{rel} differs from the code; run: python scripts/gen_docs.py")
        return 1 if stale else 0
    if args:
        from perplex_cli.output.streams import current

        current().say("usage: python scripts/gen_docs.py [--check]")
        return 2
    for rel, text in generated().items():
        path = ROOT / rel
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
