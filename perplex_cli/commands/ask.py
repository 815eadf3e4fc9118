"""`perplex ask` (the default command): one question, its cited answer streamed."""

from __future__ import annotations

from typing import Annotated

import typer

from perplex_cli.cli.epilog import examples_epilog
from perplex_cli.cli.lazy import command_app
from perplex_cli.cli.options import CidOption, ContinueOption, shared_options
from perplex_cli.request.options import Options

ASK_EXAMPLES = examples_epilog(
    '  perplex "why is the sky blue"',
    '  cat notes.md | perplex "summarise this"      # stdin is the material',
    '  perplex --usage "how do magnets work"   # formatted on a terminal, then the cost',
    "  perplex -f json \"q\" | jq -r '.citations[]'",
    "  perplex ask -- -5 degrees in kelvin           # a question that starts with -",
)


@shared_options
def ask_command(
    prompt: Annotated[
        list[str] | None,
        typer.Argument(help="The question; '-' reads stdin.", show_default=False),
    ] = None,
    ignore_stdin: Annotated[bool, typer.Option("--ignore-stdin", help="Never read stdin.")] = False,
    continue_last: ContinueOption = False,
    cid: CidOption = None,
    *,
    opts: Options,
) -> None:
    """Ask one question and stream the cited answer.

    This is the default command: perplex "q" is perplex ask "q". Piped stdin is read as
    the material and the words as the instruction; on a terminal the answer is
    formatted Markdown (--plain: the raw text).
    """
    from perplex_cli.commands.session import run_ask

    run_ask(prompt or [], opts, ignore_stdin=ignore_stdin, continue_last=continue_last, cid=cid)


app = command_app(
    "ask", ask_command, context_settings={"allow_interspersed_args": True}, epilog=ASK_EXAMPLES
)
