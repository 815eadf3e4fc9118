"""The start-up baseline: a minimal typer app, set up as perplex's is (plain help, no rich).

python bench/typer_min.py --help
"""

from __future__ import annotations

import typer

app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)


@app.command()
def main(name: str = "world") -> None:
    """Greet NAME."""
    typer.echo(f"hello {name}")


if __name__ == "__main__":
    app()
