"""The wheel carries everything an installed perplex needs, and installs it where it belongs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What the wheel installs under the environment's prefix, and the file of the repo it is.
SHARED = {
    "share/man/man1/perplex.1": "man/perplex.1",
    "share/bash-completion/completions/perplex": "perplex_cli/data/completions/bash/perplex",
    "share/zsh/site-functions/_perplex": "perplex_cli/data/completions/zsh/_perplex",
    "share/fish/vendor_completions.d/perplex.fish": "perplex_cli/data/completions/fish/perplex.fish",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the source tree, offline, with the test environment's
    setuptools (the test extras require the version pyproject's build needs)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv*",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            ".*_cache",
            ".hypothesis",
        ),
    )
    out = tmp / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("perplex_cli-*.whl")
    return built


def test_the_wheel_carries_the_command_the_man_page_and_the_completions(wheel: Path) -> None:
    import perplex_cli

    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        data = f"perplex_cli-{perplex_cli.__version__}.data/data/"
        for installed, repo_file in SHARED.items():
            assert data + installed in names, installed
            assert z.read(data + installed) == (ROOT / repo_file).read_bytes(), installed
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert "perplex = perplex_cli.__main__:main" in z.read(entry_points).decode()
        assert "perplex_cli/output/json.py" in names
        assert "perplex_cli/reference/completions/bash.py" in names
        for repo_file in SHARED.values():  # `perplex completions SHELL` prints these
            if repo_file.startswith("perplex_cli/"):
                assert z.read(repo_file) == (ROOT / repo_file).read_bytes(), repo_file
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        assert f"Version: {perplex_cli.__version__}" in z.read(metadata).decode()


def test_installing_the_wheel_puts_each_file_where_its_reader_looks(
    wheel: Path, tmp_path: Path
) -> None:
    prefix = tmp_path / "prefix"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--ignore-installed",  # leave this environment's own perplex-cli installed
            "--prefix",
            str(prefix),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    for installed, repo_file in SHARED.items():
        assert (prefix / installed).read_bytes() == (ROOT / repo_file).read_bytes(), installed
    assert (prefix / "bin" / "perplex").is_file()
    # The installed package prints the scripts it ships, without the repository.
    (site,) = prefix.glob("lib/python*/site-packages")
    printed = subprocess.run(
        [sys.executable, "-m", "perplex_cli", "completions", "fish"],
        env={**os.environ, "PYTHONPATH": str(site)},
        cwd=tmp_path,
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    assert (
        printed.stdout
        == (ROOT / SHARED["share/fish/vendor_completions.d/perplex.fish"]).read_bytes()
    )


def test_one_version_number_and_a_changelog_entry_for_it() -> None:
    import perplex_cli

    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'version = {attr = "perplex_cli.__version__"}' in pyproject
    assert "version =" not in pyproject.split("[project]")[1].split("[")[0].replace(
        'dynamic = ["version"]', ""
    )
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {perplex_cli.__version__} " in changelog
