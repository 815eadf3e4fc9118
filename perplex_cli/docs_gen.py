"""Regenerate the documentation that ships: man page, completion scripts, README help.

    python scripts/gen_docs.py           write the files that changed
    python scripts/gen_docs.py --check   write nothing; exit 1 and name the files that drifted

The README's help blocks are the fenced blocks between `<!-- help: perplex ... --help -->`
and `<!-- end help -->`; each is replaced by that command's --help at 80 columns.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .commandtree import PROG, Command, command_tree, help_text
from .completions import FILES, MODULE, script, scripts_module
from .manpage import man_page

ROOT = Path(__file__).resolve().parent.parent
MAN_PAGE = "man/perplex.1"
README = "README.md"
_HELP_BLOCK = re.compile(
    r"(?P<open><!-- help: " + PROG + r"(?P<path>(?: [a-z][a-z0-9-]*)*) --help -->\n)"
    r".*?(?P<close><!-- end help -->)",
    re.DOTALL,
)


def readme_with_help(readme: str) -> str:
    """The README with every help block regenerated."""

    def block(match: re.Match[str]) -> str:
        path = tuple(match.group("path").split())
        text = help_text(path).rstrip("\n") + "\n"
        return match.group("open") + "```\n" + text + "```\n" + match.group("close")

    return _HELP_BLOCK.sub(block, readme)


def generated(root: Path = ROOT, tree: Command | None = None) -> dict[str, str]:
    """Every generated file, relative path -> text, as the code says it should be."""
    tree = tree or command_tree()
    files = {MAN_PAGE: man_page(tree)}
    scripts = {shell: script(shell, tree) for shell in FILES}
    files.update({path: scripts[shell] for shell, path in FILES.items()})
    files[MODULE] = scripts_module(scripts)
    files[README] = readme_with_help((root / README).read_text(encoding="utf-8"))
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
            print(f"{rel} differs from the command tree; run: python scripts/gen_docs.py")
        return 1 if stale else 0
    if args:
        print("usage: python scripts/gen_docs.py [--check]", file=sys.stderr)
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
