"""What `ask` does once argv is parsed: prompt, settings, request, stream, output."""

from __future__ import annotations

import os
import sys
from typing import IO, Any

from .options import Options
from .settings import api_key, resolve


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


def run_ask(words: list[str], opts: Options, *, ignore_stdin: bool = False) -> None:
    from .ask import stream_answer, warn_if_cut
    from .output import make_formatter
    from .prompt import build_prompt
    from .request import build_body, build_messages, validate
    from .transport import Transport, TransportSettings, retry_base_from_env

    settings = resolve(opts)
    validate(opts)
    prompt = build_prompt(words, ignore_stdin=ignore_stdin)
    key = api_key()
    out = text_stream(sys.stdout)
    err = text_stream(sys.stderr)
    body = build_body(build_messages(prompt, opts), opts, settings, stream=True)

    def announce(line: str) -> None:
        if not settings.quiet:
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
    )
    try:
        response = transport.request("POST", "/chat/completions", body, stream=True)
        outcome = stream_answer(response, formatter)
    finally:
        transport.close()
    if outcome.error is not None:
        raise outcome.error
    warn_if_cut(outcome.acc, err, settings.quiet)
