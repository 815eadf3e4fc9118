"""--usage: one line on stderr after the answer with tokens, searches and cost."""

from __future__ import annotations

from typing import Any


def usage_line(usage: dict[str, Any] | None) -> str:
    """`perplex: usage: 20 prompt + 5 completion = 25 tokens, 1 search query, $0.00503`."""
    if not usage:
        return "perplex: usage: not reported by the API"
    parts = []
    tokens = [usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")]
    if any(isinstance(t, int) for t in tokens):
        prompt, completion, total = (t if isinstance(t, int) else "?" for t in tokens)
        parts.append(f"{prompt} prompt + {completion} completion = {total} tokens")
    searches = usage.get("num_search_queries")
    if isinstance(searches, int):
        parts.append(f"{searches} search {'query' if searches == 1 else 'queries'}")
    cost = total_cost(usage.get("cost"))
    parts.append("cost not reported" if cost is None else f"${_decimal(cost)}")
    return "perplex: usage: " + ", ".join(parts)


def total_cost(cost: Any) -> float | None:
    """USD from `usage.cost`: its `total_cost`, else the sum of its parts, or a bare number."""
    if isinstance(cost, (int, float)) and not isinstance(cost, bool):
        return float(cost)
    if not isinstance(cost, dict):
        return None
    total = cost.get("total_cost")
    if isinstance(total, (int, float)) and not isinstance(total, bool):
        return float(total)
    parts = [v for k, v in cost.items() if k.endswith("_cost") and isinstance(v, (int, float))]
    return float(sum(parts)) if parts else None


def _decimal(value: float) -> str:
    """Dollars without float noise or trailing zeros: 0.00503, 0.006, 0."""
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"
