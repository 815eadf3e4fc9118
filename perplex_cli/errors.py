"""The exception tree; each error carries its exit status, and the table of exit statuses.

    PerplexError                  any failure the user can cause or meet
    ├── UsageError (2)            bad option or value, no prompt, unknown conversation id
    ├── AuthError (3)             no key, key rejected
    │   └── ConfigError (3)       bad config file, unsafe key or config file mode
    ├── ApiError (4)              the API refused the request (400, 404, 413, 422, other 4xx)
    │   ├── RateLimited (5)       429 after the retries
    │   └── ServerError (6)       5xx after the retries; a research job that FAILED
    ├── NetworkError (7)          refused, DNS, TLS, timeouts
    │   └── CutStream (7)         the answer started but the body ended before it was complete
    ├── ProtocolError (8)         not an event stream, an event not JSON, a redirect, a limit
    ├── LogError (3)              the local log cannot be opened, read or changed
    ├── Declined (0)              the user answered no to a confirmation: nothing was sent
    ├── Interrupted (130)         Ctrl-C (SIGTERM 143, SIGHUP 129)
    └── PipeClosed (141)          the reader of stdout went away (`| head`): silent

Library code raises these; `__main__` turns them into one line on stderr and the exit code.
`EXIT_STATUS` is the one table of what each status means: the man page, docs/cli.md and
docs/failures.md are generated from it (`python scripts/gen_docs.py`).
"""

from __future__ import annotations


class PerplexError(Exception):
    """Base class: a message for stderr and an exit status."""

    exit_code = 1
    kind = "error"

    def __init__(self, message: str, hint: str | None = None) -> None:
        from perplex_cli.redact import redact

        # Messages quote the server, which may echo the key: mask it wherever they are shown
        # (stderr, the error member of json output, batch results, the log).
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(PerplexError):
    """Raised when argv, stdin or an option value cannot be used."""

    exit_code = 2
    kind = "usage_error"


class AuthError(PerplexError):
    """Raised when there is no usable key, the key is rejected, or the config is bad.

    `status` and `reason` are the HTTP status line of a rejection (401, 403), else 0 and "".
    """

    exit_code = 3
    kind = "authentication_error"

    def __init__(
        self, message: str, *, status: int = 0, reason: str = "", hint: str | None = None
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.reason = reason


class ConfigError(AuthError):
    """Raised when the config file, the key file or a key source cannot be used."""

    kind = "config_error"


class ApiError(PerplexError):
    """Raised when the API answers with an error status."""

    exit_code = 4
    kind = "api_error"

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        reason: str = "",
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.status = status  # the HTTP status, or the code of an error inside a stream
        self.reason = reason  # the status line's reason phrase, when there was one
        self.retry_after = retry_after  # seconds the server asked us to wait, if it did


class RateLimited(ApiError):
    """Raised on 429 once the retries are spent."""

    exit_code = 5
    kind = "rate_limited"


class ServerError(ApiError):
    """Raised on 5xx once the retries are spent, or for a deep-research job that failed."""

    exit_code = 6
    kind = "server_error"


class NetworkError(PerplexError):
    """Raised when the connection cannot be made or goes silent for too long."""

    exit_code = 7
    kind = "network_error"


class CutStream(NetworkError):
    """Raised when the body ends or breaks after an event but before the answer completed."""

    kind = "cut_stream"


class ProtocolError(PerplexError):
    """Raised when the body is not an event stream, or an event is not valid JSON."""

    exit_code = 8
    kind = "protocol_error"


class Declined(PerplexError):
    """The user answered no when asked to confirm (the cost of deep research): not a failure.

    Nothing was sent and nothing is printed on stdout; stderr says so; the status is 0, as
    for `rm -i` answered no.
    """

    exit_code = 0
    kind = "declined"


class Interrupted(PerplexError):
    """Raised on Ctrl-C so that the partial answer can be finished and kept."""

    exit_code = 130
    kind = "interrupted"
    DEFAULT = "interrupted (Ctrl-C)"  # what json and ndjson carry; stderr says "interrupted"

    def __init__(self, message: str | None = None, hint: str | None = None) -> None:
        from perplex_cli import signals

        # SIGTERM and SIGHUP interrupt as Ctrl-C does (signals.py), with their own status.
        if message is None:
            message = signals.describe() if signals.received() else self.DEFAULT
        super().__init__(message, hint)
        self.exit_code = signals.status()


class PipeClosed(PerplexError):
    """Raised when the reader of stdout went away (`| head`): silent exit 141.

    Part of the tree so that an answer cut this way is still an outcome with an error
    (for the log); `__main__` prints nothing for it.
    """

    exit_code = 141
    kind = "pipe_closed"

    def __init__(self, message: str = "stdout was closed by the reader") -> None:
        super().__init__(message)


class LogError(PerplexError):
    """Raised when the log cannot be opened, read or changed (a local configuration problem)."""

    exit_code = 3
    kind = "log_error"


def for_status(
    status: int,
    message: str,
    *,
    reason: str = "",
    retry_after: float | None = None,
    hint: str | None = None,
) -> ApiError | AuthError:
    """The one mapping of an HTTP status (of a response, or of an error inside a stream) to
    the error tree: 401 and 403 AuthError, 429 RateLimited, 5xx ServerError, other 4xx
    ApiError; a status that is none of those is a ServerError: the API failed to say why."""
    if status in (401, 403):
        return AuthError(message, status=status, reason=reason, hint=hint)
    kind: type[ApiError] = ServerError
    if status == 429:
        kind = RateLimited
    elif 400 <= status < 500:
        kind = ApiError
    return kind(message, status=status, reason=reason, retry_after=retry_after, hint=hint)


def first_line(text: str, limit: int = 200) -> str:
    """The first line of text that is not blank, stripped and cut at limit, for a message."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line[:limit]
    return ""


# (status, meaning): every exit_code above, plus 0 and 1.
EXIT_STATUS: tuple[tuple[int, str], ...] = (
    (0, "Success; also a confirmation answered no (nothing was sent, stderr says so)."),
    (1, "Internal error (a bug): one line on stderr, the traceback with --debug."),
    (2, "Usage error: a bad option or value, no prompt, an unknown conversation or log id."),
    (3, "Authentication or configuration: no key, key rejected (401, 403), a bad config file."),
    (4, "The API rejected the request (400, 404, 413, 422 and other 4xx)."),
    (5, "Rate limited (429) after the retries."),
    (
        6,
        "API server error (5xx) after the retries; a research run or an Agent API response "
        "that failed or was cancelled.",
    ),
    (
        7,
        "Network failure (connection refused, DNS, TLS, timeout), an answer cut off after it "
        "started, or research --max-wait exceeded.",
    ),
    (
        8,
        "Protocol: the body is not an event stream, an event is not valid JSON, a redirect, "
        "or a line, event or answer over its limit.",
    ),
    (129, "Hung up (SIGHUP); as for Ctrl-C, the partial answer is kept."),
    (130, "Interrupted (Ctrl-C); the partial answer is kept."),
    (141, "stdout was closed by the reader (| head); silent."),
    (143, "Terminated (SIGTERM); as for Ctrl-C, the partial answer is kept."),
)
