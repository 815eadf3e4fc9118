"""Entry point: runs the command tree and maps the outermost failures to exit codes."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import click

    from perplex_cli.output.streams import Streams


def main(argv: list[str] | None = None) -> NoReturn:
    """Run perplex; never returns."""
    from perplex_cli import signals

    _plug_closed_descriptors()
    signals.install()
    try:
        status = run(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:  # Ctrl-C while click itself was still being imported
        _say("perplex: " + signals.describe())
        status = signals.status()
    _exit(status)


def _exit(status: int) -> NoReturn:
    """Leave at once, once everything written is out: skip the interpreter's teardown.

    Tearing down the modules of typer, click and requests took about 40 ms of CPU after
    the answer was complete (a fifth of a whole one-answer run). Nothing of
    perplex waits for it: files are written and closed with `with`, the log's transactions
    are committed, no atexit handler or non-daemon thread is used. What the streams still
    buffer is flushed here; a reader that left meanwhile is a closed pipe (docs/decisions.md).
    """
    from perplex_cli.output.streams import current

    streams = current()
    try:
        streams.stdout.flush()
    except BrokenPipeError:
        status = status or 141
    except OSError as exc:  # a full disk: what was left to write is lost
        _say(f"perplex: error: cannot write the output: {exc.strerror or exc}")
        status = status or 1
    except (ValueError, AttributeError):  # stdout closed, or none at all (`>&-`)
        pass
    try:
        streams.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
    os._exit(status)


def _plug_closed_descriptors() -> None:
    """Open /dev/null on a closed stdin, stdout or stderr (`<&-`, `>&-`, `2>&-`).

    Otherwise the next socket takes the free descriptor and a retry notice written to
    "stderr" would go into the HTTP connection. A closed stdin reads as empty, closed
    output streams discard what is written, as /dev/null would.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)
            except OSError:
                pass


def run(args: list[str], streams: Streams | None = None) -> int:
    """Run the command line and return the exit status.

    The streams (the process's own unless others are given, as a test does) are taken
    here, once, and handed to the commands (`output.streams.current`).
    """
    from perplex_cli.output.streams import Streams, using

    with using(streams or Streams.of_process()):
        return _run(args)


def _run(args: list[str]) -> int:
    import click

    from perplex_cli import signals
    from perplex_cli.errors import Declined, Interrupted, PerplexError, PipeClosed
    from perplex_cli.transport import debug

    debug.set_enabled(False)  # --debug switches it on while argv is parsed
    try:
        _refuse_undecodable(args)
        from perplex_cli.cli.app import COMMANDS, root_command
        from perplex_cli.cli.routing import UsageShown, route

        if not os.environ.get("_PERPLEX_COMPLETE"):
            try:
                args = route(args, list(COMMANDS))
            except UsageShown:
                return 2
        command = root_command()
        result = command.main(args=args, prog_name="perplex", standalone_mode=False)
        status = result if isinstance(result, int) else 0
        _flush()
        return status
    except (PipeClosed, BrokenPipeError):
        return _pipe_closed()
    except Declined as exc:
        _say(f"perplex: {exc.message}")
        return exc.exit_code
    except Interrupted as exc:
        _say("perplex: " + ("interrupted" if exc.message == Interrupted.DEFAULT else exc.message))
        if exc.hint:
            _say(f"perplex: hint: {exc.hint}")
        return exc.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        _say("perplex: " + signals.describe())
        return signals.status()
    except PerplexError as exc:
        _say(f"perplex: error: {exc.message}")
        if exc.hint:
            _say(f"perplex: hint: {exc.hint}")
        if debug.enabled():
            debug.show_traceback()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.NoSuchOption as exc:
        _suggest_option(exc)
        exc.show()
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except Exception as exc:  # a bug: one line, the traceback only with --debug
        _flush_or_silence()  # a failed stdout (a full disk) must not fail again at exit
        if debug.enabled():
            debug.show_traceback()
            _say(f"perplex: internal error: {type(exc).__name__}: {exc}")
        else:
            _say(
                f"perplex: internal error: {type(exc).__name__}: {exc} "
                "(run with --debug for the details)"
            )
        return 1


def _suggest_option(exc: click.exceptions.NoSuchOption) -> None:
    """Suggest the options near the typo, the root's own among them (`perplex --verison`).

    The message is written here, not by click, whose wording differs between releases:
    "No such option '--verison'. Did you mean '--version'?" with every click in the range.
    A suggestion of more than three options (`-f` is one letter from every short option)
    helps nobody and is left out.
    """
    from perplex_cli.cli.suggest import closest, did_you_mean

    names: list[str] = []
    ctx = exc.ctx
    while ctx is not None:
        names += [n for p in ctx.command.get_params(ctx) for n in (*p.opts, *p.secondary_opts)]
        ctx = ctx.parent if ctx.parent is not None and ctx.parent.parent is None else None
    near = closest(exc.option_name, names)
    suggestion = did_you_mean(exc.option_name, near) if len(near) <= 3 else ""
    exc.message = f"No such option '{exc.option_name}'.{suggestion}"  # type: ignore[misc]
    exc.possibilities = []  # type: ignore[misc]


def _refuse_undecodable(args: list[str]) -> None:
    """Bytes that are not UTF-8 reach sys.argv as lone surrogates: refuse them (exit 2)
    before they become a prompt, a file name or a log row."""
    from perplex_cli.errors import UsageError

    for number, arg in enumerate(args, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
            raise UsageError(f"argument {number} is not valid UTF-8: '{shown}'") from None


def _say(line: str) -> None:
    from perplex_cli.transport.debug import show

    show([line])


def _flush() -> None:
    from perplex_cli.output.streams import current

    try:
        current().flush_stdout()
    except BrokenPipeError:
        current().silence_stdout()
        raise


def _flush_or_silence() -> None:
    from perplex_cli.output.streams import current

    try:
        current().flush_stdout()
    except OSError:
        current().silence_stdout()


def _pipe_closed() -> int:
    from perplex_cli.output.streams import current

    current().silence_stdout()
    return 141


if __name__ == "__main__":
    main()
