"""The transport for one run: the key, the timeouts, and retry notices on stderr unless -q."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from perplex_cli.request.settings import Settings

if TYPE_CHECKING:
    from perplex_cli.transport.client import Transport


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
    from perplex_cli.output.terminal import say
    from perplex_cli.request.settings import key_for
    from perplex_cli.transport.client import Transport, TransportSettings
    from perplex_cli.transport.retry import retry_base_from_env

    # A key read from stdin is used even on a dry run (it is shown masked).
    key = key_for(settings) if need_key or settings.stdin_key else None

    def announce(line: str) -> None:
        if not settings.quiet:
            say(err, line)

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
