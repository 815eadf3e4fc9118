"""The enumerated values of options that are validated in code rather than by click.Choice.

One table, read by the code that validates these options and by the generator of the man
page and the shell completions (`commandtree.py`), so that a value added here is offered
by every completion script after the next regeneration. An option whose click type is a
`click.Choice` needs no entry: its choices are read from the command tree.
"""

from __future__ import annotations

FORMATS = ("text", "ndjson", "json")
# Models the API serves today (docs/apis.md); unknown names are still sent as given.
MODELS = ("sonar", "sonar-pro", "sonar-reasoning-pro", "sonar-deep-research")
RECENCIES = ("hour", "day", "week", "month", "year")
SEARCH_MODES = ("web", "academic", "sec")
CONTEXT_SIZES = ("low", "medium", "high")
SEARCH_TYPES = ("fast", "pro", "auto")
# The Search API's search_type (ask's --search-type is the chat API's search depth).
SEARCH_API_TYPES = ("web", "people")
IMAGE_FORMATS = ("gif", "jpg", "png", "webp")
# The chat API takes the first four; the agent API all of them.
CHAT_REASONING_EFFORTS = ("minimal", "low", "medium", "high")
REASONING_EFFORTS = (*CHAT_REASONING_EFFORTS, "xhigh", "max")
STREAM_MODES = ("full", "concise")
SHELLS = ("bash", "zsh", "fish")
APIS = ("chat", "agent")
# The Embeddings API's models, each with its full vector size (the most --dimensions asks).
EMBED_MODELS: dict[str, int] = {"pplx-embed-v1-0.6b": 1024, "pplx-embed-v1-4b": 2560}
# What `perplex embed` writes: numbers, or the API's own base64 of int8 values or of bits.
EMBED_ENCODINGS = ("float", "base64_int8", "binary")

# Effort levels, lowest first (the API renamed them twice; unknown names are sent as given).
PRESETS: dict[str, str] = {
    "fast": "lowest effort: quick lookups, one search",
    "low": "low effort: a few searches",
    "medium": "medium effort: more searching and reasoning",
    "high": "high effort: deep research",
    "xhigh": "highest effort: long agentic research runs",
}

# With no -m and no --preset.
DEFAULT_PRESET = "fast"

# The chat API's model names as their Agent API equivalents (Perplexity's migration guide):
# sonar is the same model with web search; the others have no model slug and become the
# preset of the same depth. sonar-reasoning, retired before the guide, goes with
# sonar-reasoning-pro.
SONAR_ENGINES: dict[str, dict[str, str]] = {
    "sonar": {"model": "perplexity/sonar"},
    "sonar-pro": {"preset": "low"},
    "sonar-reasoning": {"preset": "low"},
    "sonar-reasoning-pro": {"preset": "low"},
    "sonar-deep-research": {"preset": "medium"},
}

# The Agent API's tools beside web_search (--tool), and its built-in skills (--skill): the
# office documents, all four (office) or one format each.
AGENT_TOOLS = ("fetch_url", "finance_search", "people_search", "sandbox")
OFFICE_SKILLS = ("office", "office/pdf", "office/docx", "office/pptx", "office/xlsx")

LOG_STATUSES = ("ok", "partial", "error", "interrupted")

# Keyed by the option's long name; "COMMAND PATH --option" (e.g. "logs --format") overrides
# the plain entry for one command. Entries for options a command does not have are unused.
OPTION_VALUES: dict[str, tuple[str, ...]] = {
    "--format": FORMATS,
    "--api": APIS,
    "--model": MODELS,
    "--search-recency": RECENCIES,
    "--search-mode": SEARCH_MODES,
    "--search-context-size": CONTEXT_SIZES,
    "--search-type": SEARCH_TYPES,
    "--image-format": IMAGE_FORMATS,
    "--reasoning-effort": REASONING_EFFORTS,
    "--stream-mode": STREAM_MODES,
    "search --search-type": SEARCH_API_TYPES,
    "--tool": AGENT_TOOLS,
    "--skill": OFFICE_SKILLS,
    "logs list --status": LOG_STATUSES,
    "batch --format": ("ndjson",),
    "embed --model": tuple(EMBED_MODELS),
}


def option_values(path: tuple[str, ...], long_name: str) -> tuple[str, ...]:
    """The values to offer for `long_name` of the command at `path` (empty: free text)."""
    return OPTION_VALUES.get(" ".join((*path, long_name)), OPTION_VALUES.get(long_name, ()))
