"""`--debug`: the HTTP exchange and the traceback on stderr, with the key redacted.

Process-wide on purpose: every command that talks to the API goes through the transport,
and `__main__` prints the traceback, so no command has to pass a flag along.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from perplex_cli.output.streams import current

if TYPE_CHECKING:
    import requests

BODY_LIMIT = 65536
_state = {"enabled": False}


def set_enabled(value: bool) -> None:
    _state["enabled"] = value


def enabled() -> bool:
    return _state["enabled"]


def enable_option(value: bool | None) -> bool | None:
    """Click callback of `--debug`: switch debugging on while argv is still being parsed."""
    if value:
        set_enabled(True)
    return value


def show(lines: Iterable[str]) -> None:
    """Write lines to stderr, redacted; a closed stderr is not a reason to fail."""
    # Server-sent text (messages, headers) must not drive a terminal.
    current().say("\n".join(lines))


def show_request(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> None:
    """The request as sent: request line, headers, body (curl -v style)."""
    if not enabled():
        return
    lines = [f"> {method} {url}"]
    lines += [f"> {name}: {value}" for name, value in headers.items()]
    if body:
        lines.append(">")
        lines += ["> " + line for line in _body_text(body).splitlines()]
    show(lines)


def show_response(response: requests.Response, *notes: str) -> None:
    """The status line and headers of a response (the body is the answer itself), then
    the notes the caller read from them."""
    if not enabled():
        return
    version = {10: "HTTP/1.0", 11: "HTTP/1.1"}.get(getattr(response.raw, "version", 11), "HTTP")
    lines = [f"< {version} {response.status_code} {response.reason or ''}".rstrip()]
    lines += [f"< {name}: {value}" for name, value in response.headers.items()]
    show([*lines, *notes])


def show_traceback() -> None:
    import traceback

    show(traceback.format_exc().rstrip("\n").splitlines())


def _body_text(body: bytes) -> str:
    text = body[:BODY_LIMIT].decode("utf-8", "replace")
    if len(body) > BODY_LIMIT:
        text += f"\n[... {len(body) - BODY_LIMIT} more bytes]"
    return text
