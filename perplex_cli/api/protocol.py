"""The seam between the commands that ask and the two API protocols.

One object per protocol, `AGENT` (`POST /v1/agent`, the default) and `CHAT`
(`POST /chat/completions`), with the same steps; a command never names a path, a
body builder or a decoder itself:

    api = choose_api(opts, settings)   # --api > PERPLEX_API > config api > agent
    protocol = protocol_for(api)
    protocol.check(opts, settings)     # what this API refuses, before any I/O (exit 2)
    body = protocol.body(messages, opts, settings, stream=True)
    acc = protocol.accumulator()       # builds the same chat.completion document for both
    response = protocol.send(transport, body, stream=True)
    outcome = protocol.read(response, formatter, acc, stream=True)

(`choose_api` is `agent_request.choose_api`; `settings` is `settings.resolve(opts)`.)

`messages` are chat messages: system first, then the earlier turns, ending with the new
user turn (`request.build_messages`). `read` never raises for what the API or the network
did: the error is in the outcome, after the formatter has shown what arrived (a stream's
events as they come, or one JSON document; a non-streamed agent run that ended failed or
cancelled with HTTP 200 is an error too). `send` raises what the transport raises; on
the chat API a 404 or 410, or an error saying the API is deprecated or retired, is exit 4
with a pointer to the agent API. `engine_of` reads back, from a logged request body,
which API and engine it used, and `continued` makes a conversation go on with them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from perplex_cli.api.agent_events import AgentAccumulator
from perplex_cli.api.agent_request import (
    AGENT_PATH,
    build_agent_body,
    choose_api,
    engine,
    validate_agent,
)
from perplex_cli.api.chat_events import Accumulator
from perplex_cli.api.chat_request import build_body
from perplex_cli.errors import ApiError
from perplex_cli.request.options import Options
from perplex_cli.request.settings import Settings
from perplex_cli.request.values import chat_reasoning_effort

if TYPE_CHECKING:
    import requests

    from perplex_cli.api.resume import Resume
    from perplex_cli.api.stream import Outcome
    from perplex_cli.output.formatter import Formatter
    from perplex_cli.transport.client import Transport


def request_for(
    api: str, messages: list[dict[str, Any]], opts: Options, settings: Settings, *, stream: bool
) -> tuple[str, dict[str, Any], Accumulator]:
    """The path, body and accumulator of one request on the chosen API ("chat" or "agent").

    A shorthand for the protocol seam (`protocol.protocol_for(api)`), which also sends
    the request and reads the answer.
    """
    from perplex_cli.api.protocol import protocol_for

    protocol = protocol_for(api)
    body = protocol.body(messages, opts, settings, stream=stream)
    return protocol.path, body, protocol.accumulator()


CHAT_PATH = "/chat/completions"

# Words with which an API says that it (not one of its parameters) is gone for good.
_RETIRED = re.compile(r"deprecat|retired|sunset|no longer (?:supported|available)", re.I)
_WHAT = re.compile(r"\b(?:api|endpoint|chat|completions|sonar|models?)\b", re.I)
RETIRED_HINT = (
    "chat completions may be retired for this account: leave out --api chat "
    "(or PERPLEX_API, config api) to use the Agent API"
)

# The request fields that name the engine, as the log keeps them.
ENGINE_FIELDS = ("model", "preset")


@dataclass(frozen=True)
class Protocol:
    """What differs between the APIs: name, path, refusals, body, accumulator."""

    name: str
    path: str
    refuse: Callable[[Options, Settings], None]
    build: Callable[..., dict[str, Any]]  # (messages, opts, settings, *, stream)
    accumulator: Callable[[], Accumulator]

    def check(self, opts: Options, settings: Settings) -> None:
        """Refuse (UsageError, exit 2) what this API cannot take."""
        self.refuse(opts, settings)

    def body(
        self, messages: list[dict[str, Any]], opts: Options, settings: Settings, *, stream: bool
    ) -> dict[str, Any]:
        """The request body for these chat messages; -o overrides are applied last."""
        return self.build(messages, opts, settings, stream=stream)

    def send(
        self, transport: Transport, body: dict[str, Any], *, stream: bool
    ) -> requests.Response:
        """POST the body; a 2xx response (the transport retries and raises the rest)."""
        try:
            return transport.request("POST", self.path, body, stream=stream)
        except ApiError as exc:
            gone = retired(exc) if self.name == "chat" else None
            if gone is None:
                raise
            raise gone from None

    def read(
        self,
        response: requests.Response,
        formatter: Formatter,
        acc: Accumulator,
        *,
        stream: bool,
        resume: Resume | None = None,
    ) -> Outcome:
        """The answer through the formatter; always closes the response. A stream that
        breaks is picked up again by `resume` (the agent API's) when one is given."""
        if stream:
            from perplex_cli.api.stream import stream_answer

            return stream_answer(response, formatter, acc, resume)
        from perplex_cli.api.nonstream import read_answer

        return read_answer(response, formatter, acc)


def _refuse_on_chat(opts: Options, settings: Settings) -> None:
    choose_api(opts, settings)
    chat_reasoning_effort(opts)


CHAT = Protocol("chat", CHAT_PATH, _refuse_on_chat, build_body, Accumulator)
AGENT = Protocol(
    "agent",
    AGENT_PATH,
    lambda opts, settings: validate_agent(opts),
    build_agent_body,
    AgentAccumulator,
)
PROTOCOLS: dict[str, Protocol] = {"chat": CHAT, "agent": AGENT}


def protocol_for(api: str) -> Protocol:
    """The protocol named "chat" or "agent"."""
    return PROTOCOLS[api]


def retired(error: ApiError) -> ApiError | None:
    """The chat API's error as exit 4 with a pointer to the agent API when it says the
    endpoint is gone (404, 410, or a message about deprecation); else None."""
    said = _RETIRED.search(error.message) and _WHAT.search(error.message)
    if error.status not in (404, 410) and not said:
        return None
    return ApiError(f"{error.message} ({RETIRED_HINT})", status=error.status, reason=error.reason)


def engine_of(request: Any) -> tuple[str, dict[str, str]] | None:
    """(api, {model and/or preset}) of a logged request body, or None when it names none."""
    if not isinstance(request, dict):
        return None
    api = "chat" if "messages" in request else "agent" if "input" in request else None
    fields = {k: request[k] for k in ENGINE_FIELDS if isinstance(request.get(k), str)}
    if api is None or not fields:
        return None
    return api, fields


def continued(
    request: Any, flags: dict[str, Any], current: Protocol, opts: Options, settings: Settings
) -> Protocol:
    """The protocol a conversation continues on, its engine put into opts and settings.

    `request` is the body logged for the conversation's last exchange; `flags` the api,
    model and preset the command line itself gave (None: not given). --api chooses the
    API (and --preset the agent API); -m or --preset the engine. Where a flag chooses
    another API than the conversation's, the engine is that API's default, as for a new
    question. The config and PERPLEX_API do not override the conversation's choice.
    """
    used = engine_of(request)
    if used is None:
        return current
    api, engine = used
    protocol = current
    if flags["api"] is None and flags["preset"] is None:
        settings.api = api
        settings.origin["api"] = "the conversation"
        protocol = protocol_for(api)
    if api == settings.api and flags["model"] is None and flags["preset"] is None:
        opts.model = engine.get("model")
        opts.preset = engine.get("preset")
        settings.model = opts.model or settings.model
    protocol.check(opts, settings)
    return protocol


def engine_label(api: str, opts: Options, settings: Settings) -> str:
    """The model or preset a question goes to, as a short label (chat's prompt shows it)."""
    if api == "chat":
        return settings.model
    chosen = engine(opts)
    return str(chosen.get("model") or chosen.get("preset") or ",".join(chosen.get("models", [])))
