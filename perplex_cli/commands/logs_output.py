"""How `perplex logs` shows exchanges and their statistics: text, json and ndjson."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from perplex_cli.output.terminal import guard, neutralise

if TYPE_CHECKING:
    from datetime import datetime


PROMPT_WIDTH = 60


class Sink(Protocol):
    def write(self, text: str, /) -> Any: ...

    def flush(self) -> Any: ...


def stdout_sink() -> Sink:
    """stdout; on a terminal, stored answers and titles are shown, not obeyed, in every
    format (C1 and bidi controls pass JSON's own escaping; shown as `<U+009B>` it stays valid)."""
    from perplex_cli.output.streams import current

    out = current().stdout
    return guard(out)


def when(started: float) -> datetime:
    from datetime import datetime

    return datetime.fromtimestamp(started).astimezone()


def json_text(value: Any, *, pretty: bool) -> str:
    """One JSON document and a newline, as json (indented) or ndjson (compact) write it."""
    import io

    from perplex_cli.output.json import write_document
    from perplex_cli.output.ndjson import write_line

    text = io.StringIO()
    (write_document if pretty else write_line)(text, value)
    return text.getvalue()


def document(rec: dict[str, Any], *, request: bool = False) -> dict[str, Any]:
    """An exchange as json/ndjson output carries it."""
    doc: dict[str, Any] = {
        "id": rec["id"],
        "conversation": rec["conversation"],
        "started": when(rec["started"]).isoformat(timespec="seconds"),
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


def one_line(text: str, width: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 3] + "..."


def listing(records: list[dict[str, Any]], fmt: str) -> None:
    """The listing on stdout; on a terminal, text gets a header row and goes through $PAGER."""
    import io

    from perplex_cli.output.pager import page
    from perplex_cli.output.streams import current
    from perplex_cli.output.terminal import is_terminal

    out = current().stdout
    if fmt != "text" or not is_terminal(out):
        write_records(stdout_sink(), records, fmt)  # json on a terminal is neutralised too
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
        out.write(json_text([document(r) for r in records], pretty=True))
    elif fmt == "ndjson":
        for r in records:
            out.write(json_text(document(r), pretty=False))
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
                f"{r['id']:>{width}}  {when(r['started']):%Y-%m-%d %H:%M}  "
                f"{model:<{model_w}}  {r['status']:<{status_w}}  "
                f"{r['conversation']:<{cid_w}}  {one_line(r['prompt'], PROMPT_WIDTH)}\n"
            )
            if r.get("snippet"):
                out.write(f"{'':>{width}}  {one_line(r['snippet'], 100)}\n")
    out.flush()


def empty_stats() -> dict[str, Any]:
    total = {
        "exchanges": 0,
        "ok": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "total_tokens": 0,
        "cost": 0.0,
    }
    return {"total": total, "by_model": [], "by_day": []}


def write_stats_text(out: Sink, stats: dict[str, Any]) -> None:
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
