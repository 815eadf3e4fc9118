"""Options -> the Agent API request body (`POST {base}/v1/agent`), checked before any request.

Which API answers: `--api`, else `PERPLEX_API`, else the config's `api`, else the agent
API (Perplexity's replacement for the Sonar chat completions, which it supported until
2026-09-27).

The engine (`engine`): `--preset` as given; with no `-m` (flag, or config `model`) the
preset `fast`; a Sonar name as its documented Agent API equivalent (`SONAR_ENGINES`);
any other name (`provider/model`) as `model`. A named model searches only when offered the
`web_search` tool, so it gets the tool and a `tool_choice` that makes it search, as Sonar
always did; `--no-search` leaves out both (with a preset, which brings its own tools, it
sets `max_tool_calls: 0`).

The options map through a table (`FIELDS`): each row names an option, where its value
goes in the body, and how it is converted. Options are read with `given()`, for which a
switch turned off or an empty list was not given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from perplex_cli.api import agent_tools
from perplex_cli.errors import UsageError
from perplex_cli.request.choices import DEFAULT_PRESET as DEFAULT_PRESET
from perplex_cli.request.choices import PRESETS as PRESETS
from perplex_cli.request.choices import SONAR_ENGINES as SONAR_ENGINES
from perplex_cli.request.options import Options
from perplex_cli.request.settings import Settings

AGENT_PATH = "/v1/agent"

# anthropic/* models refuse a request without max_output_tokens (400).
ANTHROPIC_MAX_OUTPUT_TOKENS = 8192

# The first element of a path that puts the value on the web_search tool.
WEB_SEARCH = "tools[web_search]"

_PRESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*\Z")


def given(opts: Options, name: str) -> Any:
    """The option's value, or None when it was not given (a switch turned off, an empty
    list: not given either)."""
    value = getattr(opts, name)
    if value is False or value == [] or value == ():
        return None
    return value


def choose_api(opts: Options, settings: Settings) -> str:
    """chat or agent, for this request: --api, else PERPLEX_API, else the config's api,
    else agent (`settings.api`); an agent-only option (--preset, --tool...) on the chat
    API is exit 2 naming the options and who chose chat."""
    from perplex_cli.api.agent_tools import AGENT_ONLY

    agent_only = [flag for name, flag in AGENT_ONLY if given(opts, name) is not None]
    if settings.api == "chat" and agent_only:
        chose = settings.origin.get("api", "--api")
        where = "--api chat" if chose == "--api" else f"api chat from {chose}"
        need = "needs" if len(agent_only) == 1 else "need"
        raise UsageError(f"{', '.join(agent_only)} {need} the agent API ({where})")
    return settings.api


# --- conversions: (value, flag) -> what the body holds ---------------------------------


def _as_is(value: Any, flag: str) -> Any:
    return value


def _lower(value: Any, flag: str) -> Any:
    return str(value).strip().lower()


def _as_list(value: Any, flag: str) -> list[Any]:
    return [value] if isinstance(value, str) else list(value)


def _date(value: Any, flag: str) -> str:
    """YYYY-MM-DD or M/D/YYYY -> MM/DD/YYYY, the form the agent filters take."""
    text = str(value).strip()
    for form in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, form).strftime("%m/%d/%Y")
        except ValueError:
            continue
    raise UsageError(f"invalid value for {flag}: {text!r} (expected YYYY-MM-DD or M/D/YYYY)")


def _location(value: Any, flag: str) -> dict[str, Any]:
    """LAT,LON[,CC] -> web_search.user_location."""
    if isinstance(value, dict):
        return value
    parts = [p.strip() for p in str(value).split(",")]
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        place: dict[str, Any] = {"latitude": float(parts[0]), "longitude": float(parts[1])}
    except ValueError:
        raise UsageError(f"invalid value for {flag}: {value!r} (expected LAT,LON[,CC])") from None
    if len(parts) == 3 and parts[2]:
        place["country"] = parts[2].upper()
    return place


def _response_format(value: Any, flag: str) -> dict[str, Any]:
    """A schema (or the file holding it) -> response_format, which needs a schema name."""
    schema = value
    if isinstance(value, str):
        from perplex_cli.request.values import json_schema

        schema = json_schema(value)
    if isinstance(schema, dict) and schema.get("type") == "json_schema":
        schema = (schema.get("json_schema") or {}).get(
            "schema", {}
        )  # already a chat response_format
    if not isinstance(schema, dict):
        raise UsageError(f"invalid value for {flag}: the schema must be a JSON object")
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}


@dataclass(frozen=True)
class Field:
    """One option and where it goes in the agent request body."""

    option: str
    flag: str
    path: tuple[str, ...]
    convert: Callable[[Any, str], Any] = _as_is


FIELDS: tuple[Field, ...] = (
    Field("max_tokens", "--max-tokens", ("max_output_tokens",)),
    Field("temperature", "--temperature", ("temperature",)),
    Field("top_p", "--top-p", ("top_p",)),
    Field("language", "--language", ("language_preference",)),
    Field("reasoning_effort", "--reasoning-effort", ("reasoning", "effort"), _lower),
    Field("json_schema", "--json-schema", ("response_format",), _response_format),
    Field(
        "search_domain",
        "--search-domain",
        (WEB_SEARCH, "filters", "search_domain_filter"),
        _as_list,
    ),
    Field("search_recency", "--search-recency", (WEB_SEARCH, "filters", "search_recency_filter")),
    Field(
        "search_after", "--search-after", (WEB_SEARCH, "filters", "search_after_date_filter"), _date
    ),
    Field(
        "search_before",
        "--search-before",
        (WEB_SEARCH, "filters", "search_before_date_filter"),
        _date,
    ),
    Field(
        "updated_after",
        "--updated-after",
        (WEB_SEARCH, "filters", "last_updated_after_filter"),
        _date,
    ),
    Field(
        "updated_before",
        "--updated-before",
        (WEB_SEARCH, "filters", "last_updated_before_filter"),
        _date,
    ),
    Field("search_context_size", "--search-context-size", (WEB_SEARCH, "search_context_size")),
    Field("location", "--location", (WEB_SEARCH, "user_location"), _location),
    Field("web_max_results", "--max-results", (WEB_SEARCH, "max_results"), agent_tools.max_results),
)

# Chat options with no Agent API equivalent: refused, never dropped in silence.
REFUSED: tuple[tuple[str, str], ...] = (
    ("search_mode", "--search-mode"),
    ("search_type", "--search-type"),
    ("images", "--images"),
    ("image_domain", "--image-domain"),
    ("image_format", "--image-format"),
    ("related_questions", "--related-questions"),
    ("stream_mode", "--stream-mode"),
    ("stop", "--stop"),
)


def validate_agent(opts: Options) -> None:
    """Refuse what the agent API cannot do, and values it would refuse (exit 2)."""
    refused = [flag for name, flag in REFUSED if given(opts, name) is not None]
    if refused:
        raise UsageError(f"{', '.join(refused)}: not available on the agent API (use --api chat)")
    preset = given(opts, "preset")
    if preset is not None and not _PRESET_NAME.match(str(preset)):
        raise UsageError(
            f"invalid value for --preset: {preset!r} (for example {', '.join(PRESETS)})"
        )
    if given(opts, "no_search") is not None:
        searching = [
            f.flag for f in FIELDS if f.path[0] == WEB_SEARCH and given(opts, f.option) is not None
        ]
        if searching:
            raise UsageError(f"--no-search cannot be combined with {', '.join(searching)}")
    _mapped(opts)  # conversions raise their usage errors here, before the prompt is read
    agent_tools.check(opts, preset="preset" in engine(opts))


def _mapped(opts: Options) -> list[tuple[tuple[str, ...], Any]]:
    return [
        (f.path, f.convert(value, f.flag))
        for f in FIELDS
        if (value := given(opts, f.option)) is not None
    ]


def engine(opts: Options) -> dict[str, Any]:
    """model and/or preset, from --preset and -m (None: no flag and no config gave one).

    --preset wins over a Sonar name, which stands for an engine of its own (so a config
    `model = "sonar"` kept from the chat API does not override every preset); a
    provider/model named beside a preset is sent too (any field sent overrides the
    preset's).
    """
    preset, model = given(opts, "preset"), opts.model
    chain = agent_tools.models(opts)
    if chain is not None:  # --models wins over -m, as the API prefers models to model
        return {"models": chain} if preset is None else {"preset": preset, "models": chain}
    mapped = SONAR_ENGINES.get(model) if model is not None else None
    if preset is not None:
        chosen: dict[str, Any] = {"preset": preset}
        if model is not None and mapped is None:
            chosen["model"] = model
        return chosen
    if model is None:
        return {"preset": DEFAULT_PRESET}
    return dict(mapped) if mapped is not None else {"model": model}


def build_agent_body(
    messages: list[dict[str, Any]], opts: Options, settings: Settings, *, stream: bool
) -> dict[str, Any]:
    """The agent request body for these chat messages (system first, ending with the user turn)."""
    body = engine(opts)
    instructions, body["input"] = agent_input(messages)
    if instructions is not None:
        body["instructions"] = instructions
    tool: dict[str, Any] = {"type": "web_search"}
    for path, value in _mapped(opts):
        if path[0] == WEB_SEARCH:
            _put(tool, path[1:], value)
        else:
            _put(body, path, value)
    if given(opts, "no_search") is not None:
        if "preset" in body:
            body["max_tool_calls"] = 0  # a preset brings its own tools
    elif "preset" not in body:
        # A model named directly has no tools unless offered: give it the web and make it
        # search, so that its answers are grounded and cited as Sonar's were.
        body["tools"] = [tool]
        body["tool_choice"] = {"type": "web_search"}
    elif len(tool) > 1:
        body["tools"] = [tool]  # merged with the preset's own web_search
    agent_tools.add(body, opts)
    body["stream"] = stream
    for key, value in option_pairs(given(opts, "option")):
        _put(body, tuple(key.split(".")), value)
    if "max_output_tokens" not in body and _needs_max_output_tokens(body):
        body["max_output_tokens"] = ANTHROPIC_MAX_OUTPUT_TOKENS
    return body


def _needs_max_output_tokens(body: dict[str, Any]) -> bool:
    names = [body.get("model"), *list(body.get("models") or [])]
    return any(isinstance(n, str) and n.startswith("anthropic/") for n in names)


def _put(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        inner = target.get(key)
        if not isinstance(inner, dict):
            inner = target[key] = {}
        target = inner
    target[path[-1]] = value


def option_pairs(value: Any) -> list[tuple[str, Any]]:
    """-o KEY=VALUE pairs (VALUE as JSON when it parses, else the string), in order."""
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value.items())
    pairs: list[tuple[str, Any]] = []
    for pair in [value] if isinstance(value, str) else value:
        if isinstance(pair, (tuple, list)) and len(pair) == 2:
            pairs.append((str(pair[0]), pair[1]))
            continue
        key, sep, text = str(pair).partition("=")
        if not sep or not key.strip():
            raise UsageError(f"invalid value for -o/--option: {pair!r} (expected KEY=VALUE)")
        try:
            parsed: Any = json.loads(text)
        except ValueError:
            parsed = text
        except RecursionError:
            raise UsageError(f"invalid value for -o/--option {key}: nested too deeply") from None
        pairs.append((key.strip(), parsed))
    return pairs


def agent_input(messages: list[dict[str, Any]]) -> tuple[str | None, str | list[dict[str, Any]]]:
    """Chat messages -> (instructions, input): system text becomes the instructions; one
    plain user turn is sent as a string, a conversation as `message` items in order."""
    system = [m["content"] for m in messages if m.get("role") == "system"]
    turns = [m for m in messages if m.get("role") != "system"]
    instructions = "\n\n".join(_text_of(c) for c in system) if system else None
    if (
        len(turns) == 1
        and turns[0].get("role") == "user"
        and isinstance(turns[0].get("content"), str)
    ):
        return instructions, turns[0]["content"]
    items = [
        {
            "type": "message",
            "role": m.get("role", "user"),
            "content": _agent_content(m.get("content")),
        }
        for m in turns
    ]
    return instructions, items


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content or [] if isinstance(p, dict))


def _agent_content(content: Any) -> str | list[dict[str, Any]]:
    """Chat content parts -> agent input parts (text and images by URL only)."""
    if isinstance(content, str) or content is None:
        return content or ""
    parts: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type")
        if kind == "text":
            parts.append({"type": "input_text", "text": part.get("text", "")})
        elif kind == "image_url":
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, dict) else url
            if not isinstance(url, str) or len(url) > 2048:
                raise UsageError(
                    "-a/--attach: the agent API takes images by URL of at most 2048 characters, "
                    "not local files (use --api chat)"
                )
            parts.append({"type": "input_image", "image_url": url})
        else:
            raise UsageError(
                f"-a/--attach: the agent API cannot take a {kind} part (use --api chat)"
            )
    return parts
