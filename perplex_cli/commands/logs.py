"""`perplex logs`: list, show, search, count and delete the exchanges in the local log.

`list` is the default subcommand, so `perplex logs -n 5` lists. Every command that prints
data takes `-f text|json|ndjson`. Text written to a terminal has its control characters
made visible (answers and titles are untrusted, web-derived text); json, ndjson and text
into a pipe are exact. This module must not import requests or rich (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from perplex_cli.cli.epilog import examples_epilog
from perplex_cli.cli.groups import DefaultCommandGroup
from perplex_cli.commands.logs_output import (
    document,
    empty_stats,
    json_text,
    listing,
    stdout_sink,
    when,
    write_stats_text,
)
from perplex_cli.errors import UsageError
from perplex_cli.output.streams import current
from perplex_cli.output.terminal import neutralise

if TYPE_CHECKING:
    from perplex_cli.local.store import Store

FORMATS = ("text", "json", "ndjson")


class LogsGroup(DefaultCommandGroup):
    """`list` is the default subcommand of `logs`."""

    default_command = "list"


app = typer.Typer(
    cls=LogsGroup,
    name="logs",
    help="Browse, search and prune the local log of every exchange.",
    epilog=examples_epilog(
        "  perplex logs -n 5",
        "  perplex logs search rayleigh scattering",
        "  perplex logs stats --since 30d",
    ),
    rich_markup_mode=None,
    no_args_is_help=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

FormatOption = Annotated[
    str, typer.Option("-f", "--format", help="Output: text, json or ndjson.", metavar="FORMAT")
]
LimitOption = Annotated[
    int, typer.Option("-n", "--limit", help="At most N exchanges (0: all).", metavar="N")
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Only since this date or time (YYYY-MM-DD, YYYY-MM-DDTHH:MM) or age (30m, 7d, 2w).",
        metavar="WHEN",
        show_default=False,
    ),
]


# --- terminal safety -------------------------------------------------------------------------


def _say(line: str) -> None:
    current().say(line)


# --- options and the database ----------------------------------------------------------------


def _format(value: str) -> str:
    if value not in FORMATS:
        raise UsageError(
            f"invalid value for -f/--format: {value!r} (choose from {', '.join(FORMATS)})"
        )
    return value


_AGE = r"(\d+)\s*([mhdw])"
_UNIT = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_when(text: str, option: str) -> float:
    """A date (local midnight), a local date and time, or an age before now, as unix time."""
    import re
    import time
    from datetime import datetime

    text = text.strip()
    age = re.fullmatch(_AGE, text, re.ASCII)
    try:
        if age:
            when = time.time() - int(age.group(1)) * _UNIT[age.group(2)]
        else:
            when = datetime.fromisoformat(text).timestamp()
        datetime.fromtimestamp(when)  # a date that can be shown (not before the year 1)
        return when
    except (ValueError, OverflowError, OSError):
        raise UsageError(
            f"invalid value for {option}: {text!r} "
            "(a date YYYY-MM-DD, a time YYYY-MM-DDTHH:MM, or an age such as 30m, 12h, 7d, 2w)"
        ) from None


@contextmanager
def _opened(*, create: bool = False) -> Iterator[Store | None]:
    """The log, or None when there is none yet; a broken log is one clear error (exit 3)."""
    import sqlite3

    from perplex_cli.errors import LogError
    from perplex_cli.local.store import Store, log_path

    path = log_path()
    try:
        store = Store.open(path, create=create)
    except (sqlite3.Error, OSError) as exc:
        raise LogError(f"cannot open the log {path}: {exc}") from None
    try:
        yield store
    except sqlite3.Error as exc:
        raise LogError(f"the log {path} failed: {exc}") from None
    finally:
        if store is not None:
            store.close()


# --- documents ------------------------------------------------------------------------------


# --- commands -------------------------------------------------------------------------------


@app.command(
    "list",
    epilog=examples_epilog(
        "  perplex logs -n 50 --since 7d",
        "  perplex logs --status partial -f json | jq -r '.[].prompt'",
    ),
)
def list_command(
    limit: LimitOption = 20,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Only this model.", metavar="NAME", show_default=False),
    ] = None,
    since: SinceOption = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only ok, partial, error or interrupted.",
            metavar="STATUS",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOption = "text",
) -> None:
    """List recent exchanges, newest first (the default)."""
    from perplex_cli.local.store import STATUSES

    fmt = _format(fmt)
    if status is not None and status not in STATUSES:
        raise UsageError(
            f"invalid value for --status: {status!r} (choose from {', '.join(STATUSES)})"
        )
    after = None if since is None else parse_when(since, "--since")
    with _opened() as store:
        records = (
            []
            if store is None
            else store.exchanges(limit=limit, model=model, since=after, status=status)
        )
    listing(records, fmt)


@app.command(
    "show",
    epilog=examples_epilog("  perplex logs show", "  perplex logs show 42 -f json | jq .usage"),
)
def show_command(
    exchange_id: Annotated[
        int | None,
        typer.Argument(
            metavar="[ID]", help="The exchange (default: the latest).", show_default=False
        ),
    ] = None,
    fmt: FormatOption = "text",
) -> None:
    """Show one exchange: the answer with its sources."""
    from perplex_cli.output.text import source_lines

    fmt = _format(fmt)
    with _opened() as store:
        rec = None if store is None else store.get(exchange_id)
    if rec is None:
        what = (
            "the log is empty" if exchange_id is None else f"no exchange {exchange_id} in the log"
        )
        raise UsageError(what, hint="perplex logs lists the exchanges")
    out = stdout_sink()
    if fmt != "text":
        out.write(json_text(document(rec, request=True), pretty=fmt == "json"))
        out.flush()
        return
    if rec["status"] != "ok":
        detail = f": {rec['error']}" if rec["error"] else ""
        _say(neutralise(f"perplex: exchange {rec['id']} is {rec['status']}{detail}"))
    answer = rec["answer"]
    if answer:
        out.write(answer if answer.endswith("\n") else answer + "\n")
    listed = source_lines(
        {"citations": rec["citations"] or [], "search_results": rec["search_results"] or []}
    )
    if listed:
        out.write("\n" + listed)
    out.flush()


@app.command(
    "search",
    epilog=examples_epilog(
        "  perplex logs search rayleigh scattering",
        "  perplex logs search -f json tides | jq -r '.[].answer'",
    ),
)
def search_command(
    words: Annotated[
        list[str],
        typer.Argument(metavar="TEXT...", help="Words that must all occur (matched by stem)."),
    ],
    limit: LimitOption = 20,
    fmt: FormatOption = "text",
) -> None:
    """Full-text search of prompts and answers, best match first."""
    fmt = _format(fmt)
    with _opened() as store:
        records = [] if store is None else store.search(words, limit=limit)
    listing(records, fmt)


@app.command(
    "path",
    epilog=examples_epilog("  perplex logs path", '  sqlite3 "$(perplex logs path)" .schema'),
)
def path_command() -> None:
    """Print where the log is (PERPLEX_LOG_DB overrides)."""
    from perplex_cli.local.store import log_path

    typer.echo(str(log_path()))


@app.command(
    "stats",
    epilog=examples_epilog("  perplex logs stats", "  perplex logs stats --since 30d -f json"),
)
def stats_command(since: SinceOption = None, fmt: FormatOption = "text") -> None:
    """Counts, tokens and cost, in total, by model and by day."""
    fmt = _format(fmt)
    after = None if since is None else parse_when(since, "--since")
    with _opened() as store:
        stats = empty_stats() if store is None else store.stats(since=after)
    out = stdout_sink()
    if fmt == "json":
        out.write(json_text(stats, pretty=True))
    elif fmt == "ndjson":
        out.write(json_text({"by": "total", **stats["total"]}, pretty=False))
        for group, key in (("by_model", "model"), ("by_day", "day")):
            for row in stats[group]:
                out.write(json_text({"by": key, **row}, pretty=False))
    else:
        write_stats_text(out, stats)
    out.flush()


@app.command(
    "rm",
    epilog=examples_epilog(
        "  perplex logs rm 42 43", "  perplex logs rm k3xq7m2pta   # a whole conversation"
    ),
)
def rm_command(
    ids: Annotated[
        list[str], typer.Argument(metavar="ID...", help="Exchange numbers or conversation ids.")
    ],
) -> None:
    """Delete exchanges, or whole conversations, from the log."""
    numbers = [int(i) for i in ids if _number(i)]
    conversations = [i for i in ids if not _number(i)]
    with _opened() as store:
        unknown = [str(n) for n in numbers if store is None or store.get(n) is None]
        unknown += [c for c in conversations if store is None or not store.has_conversation(c)]
        if unknown:
            raise UsageError(
                f"not in the log: {', '.join(unknown)}; nothing was deleted",
                hint="perplex logs lists the exchanges",
            )
        assert store is not None
        count = store.remove(numbers, conversations)
    _say(f"perplex: deleted {_exchanges(count)}")


@app.command(
    "prune",
    epilog=examples_epilog(
        "  perplex logs prune --before 2026-01-01", "  perplex logs prune --before 90d"
    ),
)
def prune_command(
    before: Annotated[
        str,
        typer.Option(
            "--before",
            help="Delete what started before this date, time or age (2026-01-01, 90d).",
            metavar="WHEN",
        ),
    ],
) -> None:
    """Delete every exchange older than a date."""
    cutoff = parse_when(before, "--before")
    with _opened() as store:
        count = 0 if store is None else store.prune(cutoff)
    _say(f"perplex: deleted {_exchanges(count)} started before {when(cutoff):%Y-%m-%d %H:%M}")


def _number(text: str) -> bool:
    """An exchange number: ASCII digits only (`²` is a digit to Python, not to the log)."""
    return text.isascii() and text.isdigit()


def _exchanges(count: int) -> str:
    return f"{count} exchange" + ("" if count == 1 else "s")
