"""--dry-run: the request as it would be sent, printed instead of sent.

Text shows it like an HTTP message (request line, headers, a blank line, the pretty JSON
body), so `sed '1,/^$/d'` leaves the body; json and ndjson print one document with
`method`, `url`, `headers` and `body`. The key never appears: the Authorization header is
shown as `Bearer ***`, the headers go through `redact`, and so does the body if the key is
in it (only then: redact's bearer pattern would otherwise rewrite a prompt that happens to
say "Bearer something").
"""

from __future__ import annotations

import json
import os
from typing import IO, Any

from perplex_cli.redact import KEY_VARIABLES, redact

MASKED_AUTHORIZATION = "Bearer ***"


def show_request(
    out: IO[str],
    fmt: str,
    method: str,
    url: str,
    headers: dict[str, str],
    body: Any,
    secrets: list[str | None],
) -> None:
    """Print the request to `out` in the chosen format."""
    # A key in the environment is masked too, should a -o value or the prompt carry it.
    secrets = [*secrets, *(os.environ.get(name) for name in KEY_VARIABLES)]
    # Shown even without a key: a real request carries one, and its place is what matters.
    shown = {name: redact(value, secrets) for name, value in headers.items()}
    shown["Authorization"] = MASKED_AUTHORIZATION
    if fmt == "text":
        lines = [f"{method} {url}", *(f"{name}: {value}" for name, value in shown.items())]
        text = "\n".join(lines) + "\n\n" + json.dumps(body, ensure_ascii=False, indent=2) + "\n"
    else:
        doc = {"method": method, "url": url, "headers": shown, "body": body}
        compact = fmt == "ndjson"
        text = (
            json.dumps(
                doc,
                ensure_ascii=False,
                indent=None if compact else 2,
                separators=(",", ":") if compact else None,
            )
            + "\n"
        )
    if any(secret and secret in text for secret in secrets):
        text = redact(text, secrets)
    out.write(text)
    out.flush()
