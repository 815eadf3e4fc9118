"""The Embeddings API (`POST /v1/embeddings`) as the test server answers it.

Shaped as Perplexity documents it (no recording of it exists yet): `data` is a list of
`{"object": "embedding", "index", "embedding"}` with the vector as base64 of signed int8
values (`base64_int8`, the default) or of packed bits, 1 per dimension (`base64_binary`),
plus `model`, `object` and `usage` with its `cost`. Each vector is computed from its text,
so a test knows the vector of any text (`vector_for`). The server refuses what the API
refuses: more than 512 texts, an empty text, more than 120,000 tokens in one request
(counted as UTF-8 bytes, the most tokens a text can be), an unknown model, dimensions out
of the model's range.
"""

from __future__ import annotations

import base64
import hashlib
import json
from array import array
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apiserver import Answer

MODELS = {"pplx-embed-v1-0.6b": 1024, "pplx-embed-v1-4b": 2560}
PRICE_PER_TOKEN = {"pplx-embed-v1-0.6b": 0.004e-6, "pplx-embed-v1-4b": 0.03e-6}


def vector_for(text: str, dimensions: int) -> list[int]:
    """The int8 vector the server gives `text`: the same for the same text, every time."""
    return array("b", hashlib.shake_256(text.encode()).digest(dimensions)).tolist()


def bits_for(text: str, dimensions: int) -> bytes:
    """The packed bits the server gives `text` for `base64_binary`: one per dimension."""
    return bytes(
        sum(1 << bit for bit in range(8) if v[bit] >= 0)
        for v in _chunks(vector_for(text, dimensions), 8)
    )


def _chunks(values: list[int], size: int) -> list[list[int]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def refusal(body: dict[str, Any]) -> str | None:
    """What the API would say to refuse this request, or None."""
    texts = body.get("input")
    if isinstance(texts, str):
        texts = [texts]
    model = body.get("model")
    if model not in MODELS:
        return f"model must be one of {', '.join(MODELS)}"
    if not isinstance(texts, list) or not 1 <= len(texts) <= 512:
        return "input must hold 1 to 512 texts"
    if any(not isinstance(t, str) or not t for t in texts):
        return "empty strings are not allowed"
    if sum(len(t.encode()) for t in texts) > 120_000:
        return "all inputs must not exceed 120,000 tokens combined"
    dimensions = body.get("dimensions", MODELS[model])
    if not isinstance(dimensions, int) or not 128 <= dimensions <= MODELS[model]:
        return f"dimensions must be between 128 and {MODELS[model]}"
    if body.get("encoding_format", "base64_int8") not in ("base64_int8", "base64_binary"):
        return "encoding_format must be base64_int8 or base64_binary"
    return None


def echo_embeddings(body: dict[str, Any]) -> dict[str, Any] | Answer:
    """The test server's default: the response, or the API's 400 for what it refuses."""
    from apiserver import Answer

    problem = refusal(body)
    if problem is None:
        return embeddings(body)
    error = {"error": {"message": problem, "type": "invalid_request_error"}}
    return Answer(json.dumps(error).encode(), 400, "application/json")


def embeddings(body: dict[str, Any]) -> dict[str, Any]:
    """The response to a valid request (see `refusal`)."""
    texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
    model = body["model"]
    dimensions = body.get("dimensions", MODELS[model])
    binary = body.get("encoding_format") == "base64_binary"
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": base64.b64encode(
                bits_for(text, dimensions)
                if binary
                else array("b", vector_for(text, dimensions)).tobytes()
            ).decode(),
        }
        for i, text in enumerate(texts)
    ]
    tokens = sum(len(text.split()) for text in texts)
    cost = round(tokens * PRICE_PER_TOKEN[model], 12)
    return {
        "object": "list",
        "model": model,
        "data": data,
        "usage": {
            "prompt_tokens": tokens,
            "total_tokens": tokens,
            "cost": {"currency": "USD", "input_cost": cost, "total_cost": cost},
        },
    }
