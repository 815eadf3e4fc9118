"""`perplex mcp`: perplex as a Model Context Protocol server, for coding agents.

The command checks its options, then hands over to `mcp_app`, which needs the optional
`mcp` package (`pip install 'perplex-cli[mcp]'`); without it the command says so (exit 3).
Nothing else in perplex imports either module. The tools themselves are in `mcp_tools`.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from perplex_cli.cli.epilog import examples_epilog
from perplex_cli.cli.lazy import command_app
from perplex_cli.cli.options import shared_options
from perplex_cli.errors import ConfigError, UsageError
from perplex_cli.request.options import CONNECTION_FLAGS, Options

MCP_FLAGS = ("--api", "--log", *CONNECTION_FLAGS)
RESEARCH_WAIT = 50.0  # seconds a research call waits for its report before it returns the id
INSTALL = "pip install 'perplex-cli[mcp]'"


@shared_options(only=MCP_FLAGS)
def mcp_command(
    http: Annotated[
        str | None,
        typer.Option(
            "--http",
            help="Serve streamable HTTP on HOST:PORT (loopback only, unless --allow-remote) instead of stdio.",
            metavar="HOST:PORT",
            show_default=False,
        ),
    ] = None,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Let --http listen on an address other than loopback (anyone who reaches it spends your key).",
        ),
    ] = False,
    research_wait: Annotated[
        float | None,
        typer.Option(
            "--research-wait",
            help=f"Seconds the research tool waits for a report before it returns the run's id (default {RESEARCH_WAIT:g}).",
            metavar="S",
            show_default=False,
        ),
    ] = None,
    *,
    opts: Options,
) -> None:
    """Serve ask, search and research to coding agents over MCP.

    On stdio, or streamable HTTP with --http. Needs the mcp extra: pip install
    'perplex-cli[mcp]'. The tools use the key, config,
    retries and log of the command line; docs/mcp.md has the client configurations.
    """
    wait = RESEARCH_WAIT if research_wait is None else research_wait
    if wait <= 0:
        raise UsageError("invalid value for --research-wait: must be > 0 seconds")
    if opts.api_key_file == "-":
        raise UsageError("--api-key-file -: the server reads the key for each call; give a file")
    if allow_remote and http is None:
        raise UsageError("--allow-remote: only with --http")
    address = None if http is None else listen_address(http, allow_remote=allow_remote)
    try:
        import mcp  # noqa: F401
    except ImportError:
        raise ConfigError(
            "perplex mcp needs the mcp package, which is not installed", hint=INSTALL
        ) from None
    from perplex_cli.commands.mcp_app import serve

    serve(opts, research_wait=wait, address=address)


def listen_address(text: str, *, allow_remote: bool) -> tuple[str, int]:
    """(host, port) of --http HOST:PORT; a host that is not loopback needs --allow-remote."""
    host, colon, port = text.rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"invalid value for --http: {text!r} is not HOST:PORT (127.0.0.1:8765)")
    if not allow_remote and not _loopback(host):
        raise UsageError(
            f"--http {text}: not a loopback address; serving beyond this machine needs "
            "--allow-remote"
        )
    return host, int(port)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


app = command_app(
    "mcp",
    mcp_command,
    epilog=examples_epilog(
        "  claude mcp add perplex -- perplex mcp",
        "  perplex mcp --http 127.0.0.1:8765",
        "  perplex mcp --research-wait 100 --retries 5",
    ),
)
