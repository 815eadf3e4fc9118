"""JSON bodies: the plain JSON endpoints (search, the async jobs, the run files) and the
one reader of a whole JSON response, which --no-stream uses too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from perplex_cli.errors import ProtocolError

if TYPE_CHECKING:
    import requests

    from perplex_cli.transport.client import Transport


def fetch(transport: Transport, method: str, path: str, body: Any = None) -> dict[str, Any]:
    """Send with the transport's retries; the JSON object it answers (exit 8 if it is not one)."""
    return read_object(transport.request(method, path, body), f"the response to {path}", "JSON")


def read_object(
    response: requests.Response, where: str = "the response", expected: str = "a JSON document"
) -> dict[str, Any]:
    """The JSON object of a whole response body, the key masked; always closes the response.

    An empty body, text that is not JSON and JSON that is not an object are protocol
    errors (exit 8) that quote the start of what came.
    """
    from perplex_cli.api.serverjson import loads as server_json
    from perplex_cli.errors import first_line
    from perplex_cli.redact import keyfree_json
    from perplex_cli.transport.client import body_reads

    try:
        raw = b"".join(body_reads(response))
    finally:
        response.close()
    text = keyfree_json(raw.decode("utf-8", "replace").lstrip("\ufeff"))
    if not text.strip():
        raise ProtocolError(f"{where} is empty; expected a JSON document")
    try:
        doc = server_json(text, where)
    except ValueError:
        raise ProtocolError(f"{where} is not {expected}: {first_line(text, 80)!r}") from None
    if not isinstance(doc, dict):
        raise ProtocolError(f"{where} is not a JSON object: {first_line(text, 80)!r}")
    return doc
