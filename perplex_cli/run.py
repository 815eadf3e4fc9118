"""What `ask` does once argv is parsed: prompt, settings, request, stream, output."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from .options import Options
from .settings import Settings, api_key, resolve

if TYPE_CHECKING:
    from .events import Accumulator
    from .transport import Transport


def text_stream(stream: Any) -> IO[str]:
    """The given stdout/stderr, writing UTF-8 whatever the locale says.

    A stream closed before perplex started (`>&-`) can be None in Python: /dev/null then.
    """
    if stream is None:
        return open(os.devnull, "w", encoding="utf-8")
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(encoding="utf-8", errors="replace")
        except (ValueError, OSError):
            pass
    return stream  # type: ignore[no-any-return]


def request_for(
    api: str, messages: list[dict[str, Any]], opts: Options, settings: Settings, *, stream: bool
) -> tuple[str, dict[str, Any], Accumulator]:
    """The path, body and accumulator of one request on the chosen API ("chat" or "agent")."""
    if api == "agent":
        from .agent_events import AgentAccumulator
        from .agent_request import AGENT_PATH, build_agent_body

        return AGENT_PATH, build_agent_body(messages, opts, settings, stream=stream), AgentAccumulator()
    from .events import Accumulator
    from .request import build_body

    return "/chat/completions", build_body(messages, opts, settings, stream=stream), Accumulator()


def run_ask(words: list[str], opts: Options, *, ignore_stdin: bool = False) -> None:
    from .agent_request import choose_api, validate_agent
    from .ask import stream_answer, warn_if_cut
    from .events import Update
    from .output import make_formatter
    from .output.usage import usage_line
    from .prompt import build_prompt
    from .request import build_messages, validate
    from .spinner import Spinner, until_first_output
    from .style import decide

    settings = resolve(opts)
    validate(opts)
    api = choose_api(opts, settings)
    if api == "agent":
        validate_agent(opts)
    prompt = build_prompt(words, ignore_stdin=ignore_stdin)
    out = text_stream(sys.stdout)
    err = text_stream(sys.stderr)
    messages = build_messages(prompt, opts)
    path, body, acc = request_for(api, messages, opts, settings, stream=not opts.no_stream)
    stream = body.get("stream") is True  # -o stream=false is --no-stream too
    out_style = decide(out, no_color=settings.no_color, quiet=settings.quiet)
    err_style = decide(err, no_color=settings.no_color, quiet=settings.quiet)
    spinner: Spinner | None = None

    def announce(line: str) -> None:
        if spinner is not None:
            spinner.say(line)
        elif not settings.quiet:
            err.write(line + "\n")
            err.flush()

    # A dry run works without a key.
    transport = open_transport(settings, err, need_key=not opts.dry_run, on_retry=announce)
    if opts.dry_run:
        from .dry_run import show_request

        headers = transport.headers(stream)
        show_request(out, settings.format, "POST", transport.url(path), headers, body, [])
        transport.close()
        return
    formatter = make_formatter(
        settings.format,
        out,
        err,
        citations=not settings.no_citations,
        reasoning=settings.reasoning,
        render=out_style if settings.render else None,
    )

    def shows(update: Update) -> bool:
        """Whether the formatter prints something for this event (the spinner must go)."""
        return settings.format == "ndjson" or bool(
            update.answer or (settings.reasoning and update.reasoning)
        )

    if err_style.live:
        spinner = Spinner(err)  # from the request until the first output
    try:
        response = transport.request("POST", path, body, stream=stream)
        shown = until_first_output(formatter, spinner, shows)
        if stream:
            outcome = stream_answer(response, shown, acc)
        else:
            from .nonstream import read_answer

            outcome = read_answer(response, shown, acc)
    finally:
        if spinner is not None:
            spinner.stop()
        transport.close()
    if settings.usage and outcome.error is None:
        err.write(usage_line(outcome.acc.usage) + "\n")
        err.flush()
    if outcome.error is not None:
        raise outcome.error
    warn_if_cut(outcome.acc, err, settings.quiet)


def open_transport(
    settings: Settings,
    err: IO[str],
    *,
    retries: int | None = None,
    pool_size: int = 10,
    need_key: bool = True,
    on_retry: Callable[[str], None] | None = None,
) -> Transport:
    """The connection for one run: the key, the timeouts, retry notices on stderr unless -q.

    `retries` overrides --retries for callers that retry at their own level (batch);
    `pool_size` is how many connections to the API stay open for reuse at once;
    `on_retry` replaces the plain retry notice (the spinner shows it on its own line).
    """
    from .transport import Transport, TransportSettings, retry_base_from_env

    key = api_key() if need_key else None

    def announce(line: str) -> None:
        if not settings.quiet:
            err.write(line + "\n")
            err.flush()

    return Transport(
        TransportSettings(
            base_url=settings.base_url,
            api_key=key,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.timeout,
            retries=settings.retries if retries is None else retries,
            retry_base=retry_base_from_env(),
            pool_size=pool_size,
        ),
        on_retry=on_retry or announce,
    )
