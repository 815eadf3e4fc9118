"""The shape of the package: stages without cycles, a domain free of the CLI framework,
small modules, and comments that point only to documents in the repository."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "perplex_cli"
DOMAIN = ("request", "api", "transport", "local")  # no typer, no click below these
FRAMEWORK = ("typer", "click")
LIMIT = 400  # lines a module may have


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """Every module `path` imports, at any depth (inside functions and TYPE_CHECKING too)."""
    out = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out |= {f"{base}.{alias.name}" for alias in node.names}
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    return {
        name: {m for m in imports(name, path) if m in found and m != name and m != "perplex_cli"}
        for name, path in found.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_cycle():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("stage", DOMAIN)
def test_the_domain_imports_no_command_line_framework(stage):
    found = modules()
    for name, path in found.items():
        if name.startswith(f"perplex_cli.{stage}"):
            used = {m.split(".")[0] for m in imports(name, path)}
            assert not used & set(FRAMEWORK), name
            reached = {
                m
                for m in imports(name, path)
                if m.startswith(("perplex_cli.cli", "perplex_cli.commands"))
            }
            assert reached == set(), f"{name} reaches back into {reached}"


def test_every_module_is_small():
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text().splitlines())) > LIMIT
    }
    assert long == {}


CITATION = re.compile(r"\bD[1-9]\b|product\.md|\bissue \d|\bsection \d|shared/|agent-api\.md")


def test_comments_cite_only_documents_in_the_repository():
    texts = [*PACKAGE.rglob("*.py"), *(ROOT / "tests").glob("*.py"), *(ROOT / "bench").glob("*.py")]
    texts += [*(ROOT / "docs").glob("*.md"), ROOT / "README.md", ROOT / "SECURITY.md"]
    cited = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in texts
        if path != Path(__file__)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CITATION.search(line)
    ]
    assert cited == []


def test_only_the_streams_module_names_the_process_streams():
    named = re.compile(r"\bsys\.(stdin|stdout|stderr)\b")
    naming = sorted(
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if named.search(path.read_text(encoding="utf-8"))
    )
    assert naming == ["perplex_cli/output/streams.py"]
