"""The output items of the Agent API's tools: which are sources, which are files, and the
line each adds to the reasoning shown on stderr (--reasoning).

- sources: the pages of `fetch_url_results`, the people of `people_search_results` and
  the `sources` of `finance_results` entries, where they carry a URL. They are numbered
  after the web search results (`AgentAccumulator`), whose ids the answer's `[n]`
  markers name, so a tool's output never shifts that numbering;
- files: `share_file` items (a sandbox file the run delivered: file_id, filename,
  size_bytes), listed after the sources and downloaded by --save-files;
- summaries: a line per item that has no URL to show: finance data without sources,
  sandbox runs (language, status, exit code, duration; the newer API nests executions in
  `results`, the older one puts their fields on the item), loaded skills, shared files.

The API adds item types over time: unknown ones add nothing. Every field is read
leniently (a missing or mistyped field is left out, never an error).
"""

from __future__ import annotations

from typing import Any


def _text(value: Any) -> str:
    return value.strip() if type(value) is str else ""


def _url(value: Any) -> str:
    url = value.get("url") if isinstance(value, dict) else value
    url = _text(url)
    return url if url.startswith(("https://", "http://")) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _tickers(entry: dict[str, Any]) -> str:
    return ", ".join(_text(t) for t in _list(entry.get("tickers")) if _text(t))


def _finance_title(entry: dict[str, Any]) -> str:
    category = _text(entry.get("category")) or "finance data"
    tickers = _tickers(entry)
    return f"{category} ({tickers})" if tickers else category


def tool_sources(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The sources a tool's output item carries, as search results ({title, url, ...})."""
    kind = item.get("type")
    found: list[dict[str, Any]] = []
    if kind == "fetch_url_results":
        for page in _list(item.get("contents")):
            if url := _url(page):
                found.append({"title": _text(page.get("title")), "url": url, "source": "fetch_url"})
    elif kind == "people_search_results":
        for person in _list(item.get("results")):
            if url := _url(person):
                title = _text(person.get("title")) or _text(person.get("name"))
                found.append({"title": title, "url": url, "source": "people"})
    elif kind == "finance_results":
        for entry in _list(item.get("results")):
            if not isinstance(entry, dict):
                continue
            title = _finance_title(entry)
            for source in [*_list(entry.get("sources")), entry]:
                if url := _url(source):
                    found.append({"title": title, "url": url, "source": "finance"})
    return found


def shared_file(item: dict[str, Any]) -> dict[str, Any] | None:
    """A `share_file` item's file as {id, filename, bytes}, or None (failed or not one)."""
    if item.get("type") != "share_file" or item.get("error"):
        return None
    file_id = _text(item.get("file_id"))
    if not file_id:
        return None
    size = item.get("size_bytes")
    return {
        "id": file_id,
        "filename": _text(item.get("filename")) or file_id,
        "bytes": size if type(size) is int else None,
    }


def summary(item: dict[str, Any]) -> str:
    """The lines an item adds to the reasoning on stderr ("" for none)."""
    kind = item.get("type")
    lines: list[str] = []
    if kind == "finance_results":
        plain = [
            _finance_title(e)
            for e in _list(item.get("results"))
            if isinstance(e, dict) and not tool_sources({"type": kind, "results": [e]})
        ]
        if plain:
            lines.append("Finance data: " + "; ".join(plain))
    elif kind == "sandbox_results":
        lines.extend(_sandbox(item))
    elif kind == "skill_loaded":
        lines.append(f"Loaded skill {_text(item.get('name')) or '(unnamed)'}")
    elif kind == "share_file":
        shared = shared_file(item)
        if shared is not None:
            lines.append(f"Shared file {shared['filename']}{_size(shared['bytes'])}")
        else:
            reason = _text(item.get("error")) or "no file id"
            lines.append(f"Sharing {_text(item.get('filename')) or 'a file'} failed: {reason}")
    elif kind == "people_search_results" and not tool_sources(item):
        lines.append(f"People search: {len(_list(item.get('results')))} results")
    return "".join(line + "\n" for line in lines)


def _size(size: Any) -> str:
    return f" ({size} bytes)" if type(size) is int else ""


def _sandbox(item: dict[str, Any]) -> list[str]:
    language = _text(item.get("language")) or "code"
    runs = [r for r in _list(item.get("results")) if isinstance(r, dict)] or [item]
    lines = []
    for run in runs:
        parts = [_text(run.get("status")) or _text(item.get("status")) or "ran"]
        code = run.get("exit_code")
        if type(code) is int:
            parts.append(f"exit {code}")
        ms = run.get("duration_ms")
        if type(ms) is int:
            parts.append(f"{ms / 1000:.1f} s")
        lines.append(f"Sandbox ({language}): {', '.join(parts)}")
        error = _text(run.get("stderr"))
        if error and (type(code) is not int or code != 0):
            lines.append(f"  {error.splitlines()[-1]}")
    return lines


def files_lines(files: list[dict[str, Any]]) -> str:
    """The files a run delivered, for the text output after the sources."""
    if not files:
        return ""
    listed = "".join(f"- {f.get('filename')}{_size(f.get('bytes'))}\n" for f in files)
    return "\nFiles:\n" + listed
