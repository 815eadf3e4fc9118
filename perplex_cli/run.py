"""What `ask` does once argv is parsed: prompt, settings, request, stream, output."""

from __future__ import annotations

import sys
from typing import IO, Any

from .options import Options
from .settings import api_key, resolve


def text_stream(stream: Any) -> IO[str]:
    """The given stdout/stderr, writing UTF-8 whatever the locale says."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(encoding="utf-8", errors="replace")
        except (ValueError, OSError):
            pass
    return stream  # type: ignore[no-any-return]


def run_ask(words: list[str], opts: Options, *, ignore_stdin: bool = False) -> None:
    from .ask import stream_answer, warn_if_cut
    from .events import Update
    from .output import make_formatter
    from .output.usage import usage_line
    from .prompt import build_prompt
    from .request import build_body, build_messages, validate
    from .spinner import Spinner, until_first_output
    from .style import decide
    from .transport import Transport, TransportSettings, retry_base_from_env

    settings = resolve(opts)
    validate(opts)
    prompt = build_prompt(words, ignore_stdin=ignore_stdin)
    key = api_key()
    out = text_stream(sys.stdout)
    err = text_stream(sys.stderr)
    body = build_body(build_messages(prompt, opts), opts, settings, stream=True)

    out_style = decide(out, no_color=settings.no_color, quiet=settings.quiet)
    err_style = decide(err, no_color=settings.no_color, quiet=settings.quiet)
    spinner: Spinner | None = None

    def announce(line: str) -> None:
        if spinner is not None:
            spinner.say(line)
        elif not settings.quiet:
            err.write(line + "\n")
            err.flush()

    transport = Transport(
        TransportSettings(
            base_url=settings.base_url,
            api_key=key,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.timeout,
            retries=settings.retries,
            retry_base=retry_base_from_env(),
        ),
        on_retry=announce,
    )
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
        response = transport.request("POST", "/chat/completions", body, stream=True)
        outcome = stream_answer(response, until_first_output(formatter, spinner, shows))
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
