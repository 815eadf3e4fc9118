"""What `ask` does once argv is parsed: prompt, settings, request, stream, output."""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

from .options import Options
from .settings import Settings, api_key, resolve

if TYPE_CHECKING:
    from .transport import Transport


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
    from .output import make_formatter
    from .prompt import build_prompt
    from .request import build_body, build_messages, validate

    settings = resolve(opts)
    validate(opts)
    prompt = build_prompt(words, ignore_stdin=ignore_stdin)
    out = text_stream(sys.stdout)
    err = text_stream(sys.stderr)
    transport = open_transport(settings, err)
    body = build_body(build_messages(prompt, opts), opts, settings, stream=True)
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


def open_transport(
    settings: Settings, err: IO[str], *, retries: int | None = None, pool_size: int = 10
) -> Transport:
    """The connection for one run: the key, the timeouts, retry notices on stderr unless -q.

    `retries` overrides --retries for callers that retry at their own level (batch);
    `pool_size` is how many connections to the API stay open for reuse at once.
    """
    from .transport import Transport, TransportSettings, retry_base_from_env

    key = api_key()

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
        on_retry=announce,
    )
