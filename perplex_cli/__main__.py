"""Entry point: runs the command tree and maps the outermost failures to exit codes."""

from __future__ import annotations

import os
import sys
from typing import NoReturn


def main(argv: list[str] | None = None) -> NoReturn:
    """Run perplex; never returns."""
    sys.exit(run(sys.argv[1:] if argv is None else argv))


def run(args: list[str]) -> int:
    """Run the command line and return the exit status."""
    import click

    from .errors import PerplexError, PipeClosed

    debug = "--debug" in args
    try:
        from typer.main import get_command

        from .cli import app

        command = get_command(app)
        result = command.main(args=args, prog_name="perplex", standalone_mode=False)
        status = result if isinstance(result, int) else 0
        _flush()
        return status
    except PipeClosed:
        return _pipe_closed()
    except BrokenPipeError:
        return _pipe_closed()
    except PerplexError as exc:
        _say(f"perplex: error: {exc.message}")
        if exc.hint:
            _say(f"perplex: hint: {exc.hint}")
        if debug:
            _traceback()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        _say("perplex: interrupted")
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        _say("perplex: interrupted")
        return 130
    except Exception as exc:  # a bug: one line, the traceback only with --debug
        _say(f"perplex: internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
        if debug:
            _traceback()
        return 1


def _say(line: str) -> None:
    """One diagnostic on stderr: the key masked, server-sent escapes inert on a terminal."""
    from .redact import redact
    from .terminal import is_terminal, neutralise

    line = redact(line)
    if is_terminal(sys.stderr):
        line = neutralise(line)
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _traceback() -> None:
    import traceback

    _say(traceback.format_exc().rstrip("\n"))


def _flush() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        raise


def _pipe_closed() -> int:
    _silence_stdout()
    return 141


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush cannot fail (D5)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    main()
