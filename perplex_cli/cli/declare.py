"""How an option is declared for typer: no default shown, None meaning not given."""

from __future__ import annotations

from typing import Any, Optional

import typer


def opt(*names: str, help: str, metavar: str | None = None, **kw: Any) -> Any:
    """A typer option, never showing a default (None means not given)."""
    return typer.Option(*names, help=help, metavar=metavar, show_default=False, **kw)


def one_of(values: tuple[str, ...]) -> str:
    """The allowed values, as help lists them."""
    return ", ".join(values)


# Spelled with Optional: typer reads these aliases at run time, on every supported Python.
Str = Optional[str]  # noqa: UP045

Strs = Optional[list[str]]  # noqa: UP045

Flag = Optional[bool]  # noqa: UP045
