"""The plain JSON endpoints (search, the async jobs): one request, one JSON object back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from perplex_cli.errors import ProtocolError

if TYPE_CHECKING:
    from perplex_cli.transport.client import Transport


def fetch(transport: Transport, method: str, path: str, body: Any = None) -> dict[str, Any]:
    """Send with the transport's retries; the JSON object it answers (exit 8 if it is not one)."""
    from perplex_cli.api.serverjson import loads as server_json
    from perplex_cli.errors import first_line
    from perplex_cli.redact import keyfree_json
    from perplex_cli.transport.client import body_reads

    response = transport.request(method, path, body)
    try:
        text = keyfree_json(b"".join(body_reads(response)).decode("utf-8", "replace"))
    finally:
        response.close()
    try:
        doc = server_json(text, f"the response to {path}")
    except ValueError:
        raise ProtocolError(
            f"the response to {path} is not JSON: {first_line(text, 80)!r}"
        ) from None
    if not isinstance(doc, dict):
        raise ProtocolError(f"the response to {path} is not a JSON object")
    return doc
