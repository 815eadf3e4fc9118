"""`perplex logs`: list, show, search, count and delete the exchanges in the local log.

`list` is the default subcommand, so `perplex logs -n 5` lists. Every command that prints
data takes `-f text|json|ndjson`. Text written to a terminal has its control characters
made visible (answers and titles are untrusted, web-derived text); json, ndjson and text
into a pipe are exact. This module must not import requests, sseclient or rich (D4).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer

from perplex_cli.cli.epilog import examples_epilog
from perplex_cli.cli.groups import DefaultCommandGroup
from perplex_cli.errors import UsageError
from perplex_cli.output.terminal import guard, neutralise, say

if TYPE_CHECKING:
    from datetime import datetime

    from perplex_cli.local.store import Store

FORMATS = ("text", "json", "ndjson")
PROMPT_WIDTH = 60


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


class Sink(Protocol):
    def write(self, text: str, /) -> Any: ...

    def flush(self) -> Any: ...


def _stdout() -> Sink:
    """stdout; on a terminal, stored answers and titles are shown, not obeyed, in every
    format (C1 and bidi controls pass JSON's own escaping; shown as `<U+009B>` it stays valid)."""
    from perplex_cli.commands.session import text_stream

    out = text_stream(sys.stdout)
    return guard(out)


def _say(line: str) -> None:
    say(sys.stderr, line)


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


def _when(started: float) -> datetime:
    from datetime import datetime

    return datetime.fromtimestamp(started).astimezone()


def _json(value: Any, *, pretty: bool) -> str:
    """One JSON document and a newline: indented (json) or compact (ndjson), UTF-8 as is."""
    import json

    if pretty:
        return json.dumps(value, ensure_ascii=False, indent=2) + "\n"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


def document(rec: dict[str, Any], *, request: bool = False) -> dict[str, Any]:
    """An exchange as json/ndjson output carries it."""
    doc: dict[str, Any] = {
        "id": rec["id"],
        "conversation": rec["conversation"],
        "started": _when(rec["started"]).isoformat(timespec="seconds"),
        "model": rec["model"],
        "status": rec["status"],
        "error": rec["error"],
        "system": rec["system"],
        "prompt": rec["prompt"],
        "answer": rec["answer"],
        "reasoning": rec["reasoning"],
        "finish_reason": rec["finish_reason"],
        "citations": rec["citations"] or [],
        "search_results": rec["search_results"] or [],
        "images": rec["images"] or [],
        "related_questions": rec["related_questions"] or [],
        "usage": rec["usage"],
        "cost": rec["cost"],
        "first_token": rec["first_token"],
        "duration": rec["duration"],
        "response_id": rec["response_id"],
        "source": rec.get("source") or "cli",  # "mcp": asked through `perplex mcp`
    }
    if "snippet" in rec:
        doc["snippet"] = rec["snippet"]
    if request:
        doc["request"] = rec["request"]
    return doc


def _one_line(text: str, width: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 3] + "..."


def _listing(records: list[dict[str, Any]], fmt: str) -> None:
    """The listing on stdout; on a terminal, text gets a header row and goes through $PAGER."""
    import io

    from perplex_cli.commands.session import text_stream
    from perplex_cli.output.pager import page
    from perplex_cli.output.terminal import is_terminal, neutralise

    out = text_stream(sys.stdout)
    if fmt != "text" or not is_terminal(out):
        write_records(_stdout(), records, fmt)  # json on a terminal is neutralised too
        return
    listing = io.StringIO()
    write_records(listing, records, fmt, header=True)
    page(neutralise(listing.getvalue()), out)


def write_records(
    out: Sink, records: list[dict[str, Any]], fmt: str, *, header: bool = False
) -> None:
    """A listing: one line per exchange (text), one array (json) or one object a line (ndjson).

    `header` puts a row of column names above the text lines (on a terminal).
    """
    if fmt == "json":
        out.write(_json([document(r) for r in records], pretty=True))
    elif fmt == "ndjson":
        for r in records:
            out.write(_json(document(r), pretty=False))
    else:
        header = header and bool(records)
        ids = [str(r["id"]) for r in records]
        models = [r["model"] or "-" for r in records]
        statuses = [str(r["status"]) for r in records]
        cids = [str(r["conversation"]) for r in records]
        # each column as wide as its widest value, and its name when there is a header row
        widths = [
            max([len(v) for v in column] + [len(name) if header else 1])
            for column, name in (
                (ids, "ID"),
                (models, "MODEL"),
                (statuses, "STATUS"),
                (cids, "CID"),
            )
        ]
        width, model_w, status_w, cid_w = widths
        if header:
            out.write(
                f"{'ID':>{width}}  {'WHEN':<16}  {'MODEL':<{model_w}}  {'STATUS':<{status_w}}  "
                f"{'CID':<{cid_w}}  PROMPT\n"
            )
        for r, model in zip(records, models, strict=True):
            out.write(
                f"{r['id']:>{width}}  {_when(r['started']):%Y-%m-%d %H:%M}  "
                f"{model:<{model_w}}  {r['status']:<{status_w}}  "
                f"{r['conversation']:<{cid_w}}  {_one_line(r['prompt'], PROMPT_WIDTH)}\n"
            )
            if r.get("snippet"):
                out.write(f"{'':>{width}}  {_one_line(r['snippet'], 100)}\n")
    out.flush()


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
    _listing(records, fmt)


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
    out = _stdout()
    if fmt != "text":
        out.write(_json(document(rec, request=True), pretty=fmt == "json"))
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
    _listing(records, fmt)


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
        stats = _empty_stats() if store is None else store.stats(since=after)
    out = _stdout()
    if fmt == "json":
        out.write(_json(stats, pretty=True))
    elif fmt == "ndjson":
        out.write(_json({"by": "total", **stats["total"]}, pretty=False))
        for group, key in (("by_model", "model"), ("by_day", "day")):
            for row in stats[group]:
                out.write(_json({"by": key, **row}, pretty=False))
    else:
        _write_stats_text(out, stats)
    out.flush()


def _empty_stats() -> dict[str, Any]:
    total = {
        "exchanges": 0,
        "ok": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "total_tokens": 0,
        "cost": 0.0,
    }
    return {"total": total, "by_model": [], "by_day": []}


def _write_stats_text(out: Sink, stats: dict[str, Any]) -> None:
    t = stats["total"]
    out.write(
        f"{t['exchanges']} exchanges ({t['ok']} ok), {t['total_tokens']} tokens "
        f"({t['prompt_tokens']} in, {t['completion_tokens']} out), ${t['cost']:.4f}\n"
    )
    for group, key in (("by_model", "model"), ("by_day", "day")):
        rows = stats[group]
        if not rows:
            continue
        width = max(len(key), *(len(str(r[key])) for r in rows))
        out.write(f"\n{key:<{width}}  {'exchanges':>9}  {'tokens':>9}  {'cost':>10}\n")
        for r in rows:
            out.write(
                f"{r[key] or '-':<{width}}  {r['exchanges']:>9}  {r['total_tokens']:>9}  "
                f"{'$' + format(r['cost'], '.4f'):>10}\n"
            )


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
    _say(f"perplex: deleted {_exchanges(count)} started before {_when(cutoff):%Y-%m-%d %H:%M}")


def _number(text: str) -> bool:
    """An exchange number: ASCII digits only (`²` is a digit to Python, not to the log)."""
    return text.isascii() and text.isdigit()


def _exchanges(count: int) -> str:
    return f"{count} exchange" + ("" if count == 1 else "s")
