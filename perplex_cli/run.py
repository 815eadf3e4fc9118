"""What `ask` does once argv is parsed: prompt, settings, request, stream, output."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from .options import Options
from .settings import Settings, resolve

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
    from .errors import UsageError
    from .events import Update
    from .output import make_formatter
    from .output.usage import usage_line
    from .prompt import build_prompt
    from .request import build_messages, validate
    from .spinner import Spinner, until_first_output
    from .style import decide
    from .terminal import guard

    settings = resolve(opts)  # also fills opts with the environment's and config's values
    validate(opts)
    api = choose_api(opts, settings)
    if api == "agent":
        validate_agent(opts)
    key_on_stdin = settings.stdin_key is not None  # resolve read it: the prompt is in argv
    if key_on_stdin and words == ["-"]:
        raise UsageError("stdin cannot hold both the key (--api-key-file -) and the prompt (-)")
    prompt = build_prompt(words, ignore_stdin=ignore_stdin or key_on_stdin)
    raw_out = text_stream(sys.stdout)
    raw_err = text_stream(sys.stderr)
    messages = build_messages(prompt, opts)
    path, body, acc = request_for(api, messages, opts, settings, stream=not opts.no_stream)
    stream = body.get("stream") is True  # -o stream=false is --no-stream too
    out_style = decide(raw_out, no_color=settings.no_color, quiet=settings.quiet)
    err_style = decide(raw_err, no_color=settings.no_color, quiet=settings.quiet)
    # Web text reaches a terminal neutralised: through a guarded stream, or, with --render,
    # by the renderer itself, which then needs the raw stream for its own styles. The
    # spinner writes its own escapes to the raw stderr.
    renders = settings.render and out_style.styled and settings.format == "text"
    out = raw_out if renders else guard(raw_out)
    err = guard(raw_err)
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
        spinner = Spinner(raw_err)  # from the request until the first output
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
    from .keys import key_for
    from .transport import Transport, TransportSettings, retry_base_from_env

    # A key read from stdin is used even on a dry run (it is shown masked).
    key = key_for(settings) if need_key or settings.stdin_key else None

    def announce(line: str) -> None:
        if not settings.quiet:
            err.write(line + "\n")
            err.flush()

    return Transport(
        TransportSettings(
            base_url=settings.base_url,
            api_key=key.value if key else None,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.timeout,
            retries=settings.retries if retries is None else retries,
            retry_base=retry_base_from_env(),
            pool_size=pool_size,
            proxy=settings.proxy,
        ),
        on_retry=on_retry or announce,
    )
