"""The Agent API's tools and run limits as flags: --tool, --skill, --max-steps,
--max-results, --models and --save-files, checked before any request.

- `--tool NAME` (repeatable) offers `{"type": NAME}` beside web search; `--skill NAME`
  adds `{"type": "builtin", "name": NAME}` to `skills` (the API runs skills in the
  sandbox). A model named directly (no preset) then chooses among its tools itself: web
  search stays offered but is no longer forced, and the run gets `max_steps: 3` unless
  --max-steps says otherwise, since loading a skill or a finance search takes steps of
  their own and such a model otherwise runs one step.
- `--max-steps N` is `max_steps` (1..100); `--max-results N` is the web_search tool's
  `max_results` (1..50); `--models a,b,c` is the `models` fallback chain (1..5 names),
  which the API prefers to `model`.
- `--save-files DIR` is the client's: the files the run delivers are downloaded after the
  answer (`agent_files.py`); DIR must be a directory if it exists.

None of these exist on the chat API: `agent_request.choose_api` refuses them by name.
"""

from __future__ import annotations

import os
from typing import Any

from perplex_cli.errors import UsageError
from perplex_cli.request.choices import AGENT_TOOLS, OFFICE_SKILLS
from perplex_cli.request.options import Options

MAX_STEPS = 100
MAX_RESULTS = 50
MAX_MODELS = 5
# The steps a named model gets with --tool or --skill when --max-steps is not given.
TOOL_STEPS = 3

# (Options field, flag) of the options only the agent API has.
AGENT_ONLY: tuple[tuple[str, str], ...] = (
    ("preset", "--preset"),
    ("tool", "--tool"),
    ("skill", "--skill"),
    ("max_steps", "--max-steps"),
    ("web_max_results", "--max-results"),
    ("models", "--models"),
    ("save_files", "--save-files"),
)


def _given(opts: Options, name: str) -> Any:
    value = getattr(opts, name, None)
    return None if value is None or value == [] or value == () else value


def _names(value: Any, flag: str, allowed: tuple[str, ...]) -> list[str]:
    """The repeated values, each one of `allowed`, in order, without repeats."""
    out: list[str] = []
    for raw in [value] if isinstance(value, str) else list(value or []):
        name = str(raw).strip().lower()
        if name not in allowed:
            raise UsageError(
                f"invalid value for {flag}: {raw!r} (choose from {', '.join(allowed)})"
            )
        if name not in out:
            out.append(name)
    return out


def tools(opts: Options) -> list[str]:
    """The --tool names, checked."""
    return _names(_given(opts, "tool"), "--tool", AGENT_TOOLS)


def skills(opts: Options) -> list[str]:
    """The --skill names, checked."""
    return _names(_given(opts, "skill"), "--skill", OFFICE_SKILLS)


def count(value: Any, flag: str, high: int) -> int | None:
    """An integer option in 1..high, or None when not given."""
    if value is None:
        return None
    if type(value) is not int:
        try:
            value = int(str(value).strip())
        except ValueError:
            raise UsageError(f"invalid value for {flag}: {value!r} (must be an integer)") from None
    if not 1 <= value <= high:
        raise UsageError(f"invalid value for {flag}: {value} (must be between 1 and {high})")
    return int(value)


def max_results(value: Any, flag: str) -> int | None:
    """--max-results, the web_search tool's max_results (a conversion of the agent FIELDS)."""
    return count(value, flag, MAX_RESULTS)


def models(opts: Options) -> list[str] | None:
    """The --models fallback chain: 1..5 comma-separated names, or None."""
    value = _given(opts, "models")
    if value is None:
        return None
    names = [n.strip() for n in str(value).split(",")]
    if not all(names) or any(any(c.isspace() for c in n) for n in names):
        raise UsageError(
            f"invalid value for --models: {value!r} (comma-separated provider/model names)"
        )
    if len(names) > MAX_MODELS:
        raise UsageError(f"too many --models: {len(names)} (at most {MAX_MODELS})")
    return names


def save_dir(opts: Options) -> str | None:
    """--save-files DIR, refused when DIR exists and is not a directory."""
    value = _given(opts, "save_files")
    if value is None:
        return None
    path = str(value)
    if not path or "\x00" in path:
        raise UsageError(f"invalid value for --save-files: {path!r} (a directory)")
    if os.path.lexists(path) and not os.path.isdir(path):
        raise UsageError(f"--save-files {path}: not a directory")
    return path


def check(opts: Options, *, preset: bool) -> None:
    """Refuse bad values and combinations (exit 2); `preset`: the run uses a preset."""
    offered = tools(opts) + skills(opts)
    count(_given(opts, "max_steps"), "--max-steps", MAX_STEPS)
    models(opts)
    save_dir(opts)
    if offered and preset and _given(opts, "no_search") is not None:
        flags = [f for name, f in (("tool", "--tool"), ("skill", "--skill")) if _given(opts, name)]
        raise UsageError(
            f"--no-search with a preset stops every tool: it cannot be combined with "
            f"{', '.join(flags)}"
        )


def add(body: dict[str, Any], opts: Options) -> None:
    """Put the tools, skills and steps into an agent body built without them (the engine,
    --models included, is `agent_request.engine`'s)."""
    names, builtin = tools(opts), skills(opts)
    steps = count(_given(opts, "max_steps"), "--max-steps", MAX_STEPS)
    if names or builtin:
        offered = [*body.get("tools", []), *({"type": n} for n in names)]
        if offered:
            body["tools"] = offered
        if builtin:
            body["skills"] = [{"type": "builtin", "name": n} for n in builtin]
        if "preset" not in body:
            body.pop("tool_choice", None)  # the model chooses among the tools offered
            steps = TOOL_STEPS if steps is None else steps
    if steps is not None:
        body["max_steps"] = steps
