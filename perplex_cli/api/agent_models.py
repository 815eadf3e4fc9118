"""`perplex models --api agent`: the Agent API's catalogue (`GET {base}/v1/models`) and the presets.

The catalogue is public, so no key is read or sent. Presets and the chat API's Sonar
names are not in it; the presets are listed from what this build knows. This is the
only form of `models` that imports requests (through the transport, lazily).
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from perplex_cli.api.agent_request import PRESETS
from perplex_cli.errors import ProtocolError

if TYPE_CHECKING:
    from perplex_cli.transport.client import Transport


def list_agent_models(transport: Transport) -> list[dict[str, Any]]:
    """The catalogue's entries as the API gives them (it needs no key), then one row per
    preset."""
    from perplex_cli.api.jsonapi import fetch

    data = fetch(transport, "GET", "/v1/models").get("data")
    if not isinstance(data, list):
        raise ProtocolError("the model list has no data array")
    rows = [entry for entry in data if isinstance(entry, dict) and entry.get("id")]
    rows += [
        {"id": name, "object": "preset", "description": text} for name, text in PRESETS.items()
    ]
    return rows


def describe(row: dict[str, Any]) -> str:
    """One line about a row: a preset's effort, or a model's owner and price."""
    if row.get("object") == "preset":
        return f"preset: {row.get('description', '')}"
    words = [str(row.get("owned_by") or "")]
    pricing = row.get("pricing")
    if isinstance(pricing, dict) and pricing.get("unit") == "usd_per_1m_tokens":
        words.append(f"${pricing.get('input')} in / ${pricing.get('output')} out per 1M tokens")
    return ", ".join(w for w in words if w)


def write_agent_models(rows: list[dict[str, Any]], out: IO[str], fmt: str = "text") -> None:
    """text: `ID  description` per line; json: one {object: list, data} document; ndjson: a row per line."""
    if fmt == "json":
        from perplex_cli.output.json import write_document

        write_document(out, {"object": "list", "data": rows})
        return
    if fmt == "ndjson":
        from perplex_cli.output.ndjson import write_line

        for row in rows:
            write_line(out, row)
    else:
        width = max((len(str(row["id"])) for row in rows), default=0)
        out.write(
            "".join(f"{row['id']!s:<{width}}  {describe(row)}".rstrip() + "\n" for row in rows)
        )
    out.flush()
