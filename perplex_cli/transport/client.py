"""HTTP: one requests session, our own retry loop, the body as raw reads
(docs/decisions.md).

Transport never formats. It returns responses whose status is 2xx, raises the typed errors
of `errors.py` for everything else, and maps requests' and urllib3's exceptions (the body is
read through urllib3 directly) to the same tree.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from perplex_cli import redact
from perplex_cli.errors import (
    ApiError,
    AuthError,
    CutStream,
    NetworkError,
    PerplexError,
    ProtocolError,
    first_line,
    for_status,
)
from perplex_cli.transport import debug, guard, pacing
from perplex_cli.transport.prepared import Preparer
from perplex_cli.transport.retry import (
    RETRY_AFTER_CAP,
    backoff,
    retry_after,
    retryable_status,
    seconds,
    status_line,
)

if TYPE_CHECKING:
    import requests
    import requests.adapters

READ_SIZE = 65536
PREFETCH = "perplex_prefetch"  # the response attribute holding the first read (see request)


@dataclass
class TransportSettings:
    base_url: str
    api_key: str | None
    connect_timeout: float = 10.0
    read_timeout: float = 300.0
    retries: int = 2
    proxy: str | None = None
    retry_base: float = 1.0
    pool_size: int = 10  # connections kept for reuse; a batch needs one per worker


class Transport:
    """Sends requests to the API and hands back successful responses."""

    def __init__(
        self,
        settings: TransportSettings,
        on_retry: Callable[[str], None] | None = None,
        *,
        adapter: requests.adapters.BaseAdapter | None = None,
    ) -> None:
        """`adapter` replaces the network: whatever it answers goes through the same retries,
        checks and body reads (tests/mock_transport.py answers from bytes in memory)."""
        import requests

        self.settings = settings
        self.on_retry = on_retry
        redact.remember(settings.api_key)
        self.session = requests.Session()
        if adapter is None:
            # The response head within --timeout, however slowly it trickles in (guard.py).
            adapter = guard.adapter(settings.pool_size, settings.read_timeout)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        # Given per request, where requests lets it override HTTPS_PROXY (the flag wins);
        # None leaves the environment's proxies and NO_PROXY to requests. trust_env stays on:
        # it is also what honours REQUESTS_CA_BUNDLE. TLS verification is never turned off.
        self.proxies = {"http": settings.proxy, "https": settings.proxy} if settings.proxy else None
        self.preparer = Preparer(self.session, self.proxies)

    def url(self, path: str) -> str:
        return self.settings.base_url.rstrip("/") + path

    def headers(self, stream: bool) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else "application/json",
            "User-Agent": _user_agent(),
        }
        if self.settings.api_key:
            headers["Authorization"] = "Bearer " + self.settings.api_key
        return headers

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        stream: bool = False,
        attempts: int | None = None,
        on_head: Callable[[int, Mapping[str, str]], None] | None = None,
    ) -> requests.Response:
        """Send with retries before any answer byte; return a 2xx response.

        With `stream=True` the first piece of the body is read here, inside the retry loop,
        so that a connection that breaks or stays silent before the answer starts is
        retried like any connection error; `body_reads` hands that piece out first.
        `attempts` replaces 1 + --retries (a caller that counts its own attempts gives 1).
        `on_head` gets the status and headers of each response as soon as they arrive.
        """
        import requests

        if attempts is None:
            attempts = max(0, self.settings.retries) + 1
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        for attempt in range(1, attempts + 1):
            failure: PerplexError
            delay: float | None = None
            try:
                response = self._send(method, path, data, stream)
            except requests.exceptions.RequestException as exc:
                failure = network_error(exc, self.settings)
            else:
                if on_head is not None:
                    on_head(response.status_code, response.headers)
                if response.status_code >= 300:
                    failure = error_from_response(response)
                    response.close()
                    if not retryable_status(response.status_code):
                        raise failure
                    delay = failure.retry_after if isinstance(failure, ApiError) else None
                elif not stream:
                    return response
                else:
                    try:
                        _prefetch(response, self.settings.read_timeout)
                    except NetworkError as exc:  # nothing of the answer has arrived yet
                        response.close()
                        failure = NetworkError(exc.message)
                    except BaseException:
                        response.close()
                        raise
                    else:
                        return response
            if attempt == attempts:
                raise failure
            if delay is None:
                delay = backoff(self.settings.retry_base, attempt)
            if self.on_retry:
                reason = status_line(failure) if isinstance(failure, ApiError) else failure.message
                self.on_retry(
                    f"perplex: retrying in {seconds(delay)} s (attempt {attempt + 1} of "
                    f"{attempts}): {reason}"
                )
            time.sleep(delay)
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, data: bytes | None, stream: bool) -> requests.Response:
        """One attempt; the exchange is shown under --debug exactly as it is sent."""
        prepared = self.preparer.prepare(method, self.url(path), self.headers(stream), data)
        url = prepared.url or self.url(path)
        sent = {name: str(value) for name, value in prepared.headers.items()}
        debug.show_request(prepared.method or method, url, sent, data)
        environment = self.preparer.environment(url)
        response = self.session.send(
            prepared,
            timeout=(self.settings.connect_timeout, self.settings.read_timeout),
            allow_redirects=False,
            **environment,
        )
        if debug.enabled():
            limits = pacing.read(response.headers)
            said = () if limits is None else (f"perplex: rate limit: {pacing.describe(limits)}",)
            debug.show_response(response, *said)
        if 300 <= response.status_code < 400:
            response.close()
            raise guard.redirected(response)
        return response

    def close(self) -> None:
        self.session.close()


@dataclass
class _Prefetch:
    first: bytes
    read_timeout: float


def _prefetch(response: requests.Response, read_timeout: float) -> None:
    """Read the first piece of the body now (inside the retry loop) and keep it for later."""
    first = _read_piece(response, read_timeout)
    setattr(response, PREFETCH, _Prefetch(first, read_timeout))


def body_reads(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: each read returns what the socket has, decoded
    (docs/decisions.md: reading the body)."""
    prefetch: _Prefetch | None = getattr(response, PREFETCH, None)
    read_timeout = prefetch.read_timeout if prefetch else None
    if prefetch is not None:
        if not prefetch.first:
            return
        yield prefetch.first
    while True:
        data = _read_piece(response, read_timeout)
        if not data:
            return
        yield data


def _read_piece(response: requests.Response, read_timeout: float | None) -> bytes:
    """One read of the body; a stall or a break is CutStream, a bad encoding ProtocolError."""
    import requests
    import urllib3.exceptions as u3

    try:
        piece: bytes = response.raw.read1(READ_SIZE, decode_content=True)
        return piece
    except (u3.ReadTimeoutError, requests.exceptions.ReadTimeout, TimeoutError) as exc:
        silence = f"{read_timeout:g} s" if read_timeout else "longer than --timeout allows"
        raise CutStream(f"no data from the server for {silence}") from exc
    except u3.DecodeError as exc:
        raise ProtocolError(f"the response body could not be decoded: {exc}") from exc
    except (u3.ProtocolError, u3.HTTPError, requests.exceptions.RequestException, OSError) as exc:
        raise CutStream(f"the connection broke: {_short(exc)}") from exc


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    inner = re.search(r"\((?:'|\")?([^'\"]*?)(?:'|\")?, ", text)
    if "IncompleteRead" in text:
        return "the body ended early"
    if "reset" in text.lower():
        return "connection reset by the server"
    return inner.group(1) if inner else text.splitlines()[0]


def network_error(exc: BaseException, settings: TransportSettings) -> NetworkError:
    """A NetworkError with a short, key-free message for a requests exception."""
    import requests

    host = settings.base_url
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return NetworkError(f"could not connect to {host} within {settings.connect_timeout:g} s")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return NetworkError(f"no response from {host} within {settings.read_timeout:g} s")
    if isinstance(exc, requests.exceptions.SSLError):
        return NetworkError(f"TLS failed for {host}: {_reason(exc)}")
    if isinstance(exc, requests.exceptions.ProxyError):
        return NetworkError(f"the proxy failed: {_reason(exc)}")
    if isinstance(exc, requests.exceptions.ConnectionError):
        answered = re.search(r"BadStatusLine\((['\"])(.*?)\1\)", str(exc))
        if answered:  # something listens there, but not an HTTP server (a wrong port)
            said = answered.group(2).replace("\\r", "").replace("\\n", "")[:60]
            return NetworkError(
                f"{host} is not an HTTP server (it answered {said!r}); check the URL"
            )
        return NetworkError(f"could not connect to {host}: {_reason(exc)}")
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return NetworkError(f"invalid base URL {host}")
    return NetworkError(f"request failed: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for pattern, reason in (
        (r"Connection refused", "connection refused"),
        (
            r"Name or service not known|nodename nor servname|Temporary failure in name",
            "host not found",
        ),
        (r"timed out", "timed out"),
        (r"CERTIFICATE_VERIFY_FAILED", "certificate verify failed"),
        (r"Connection reset", "connection reset"),
        (r"RemoteDisconnected|closed connection without response", "server closed the connection"),
    ):
        if re.search(pattern, text):
            return reason
    ssl = re.search(r"\[SSL: \w+\] (.+?) \(_ssl", text)
    if ssl:  # e.g. "wrong version number": the port does not speak TLS
        return ssl.group(1)
    return text.splitlines()[0][:200] if text else type(exc).__name__


# What a user can do about a refusal, said under the error line.
_CHECK_KEY = "check the key: perplex key status (PERPLEXITY_API_KEY, perplex key set)"
HINTS = {401: _CHECK_KEY, 403: _CHECK_KEY, 429: "slow down, or raise --retries"}


def error_from_response(response: requests.Response) -> ApiError | AuthError:
    """The typed error for a non-2xx answer, with the API's own message in one line."""
    status = response.status_code
    try:
        raw = response.raw.read(65536, decode_content=True) or b""
    except Exception:  # the body of an error is a courtesy: the status says enough
        raw = b""
    message = api_message(raw.decode("utf-8", "replace")) or response.reason or "no message"
    text = f"{message} (HTTP {status})"
    reset = _reset_in(response) if status == 429 else None
    if status == 429:
        text += _when_to_retry(response, reset)
    wait = retry_after(response.headers.get("Retry-After"))
    if wait is None and reset is not None:  # a 429 waits for the reset
        wait = min(reset, RETRY_AFTER_CAP)
    return for_status(
        status, text, reason=response.reason or "", retry_after=wait, hint=HINTS.get(status)
    )


def _reset_in(response: requests.Response) -> float | None:
    limits = pacing.read(response.headers)
    return limits.reset_in if limits is not None else None


def _when_to_retry(response: requests.Response, reset: float | None) -> str:
    """What a 429's headers say of when to try again: the reset, else Retry-After."""
    if reset:
        return f"; the rate limit resets {pacing.when(reset)}"
    wait = retry_after(response.headers.get("Retry-After"), cap=math.inf)  # as the server said
    return f"; the server asks to retry {pacing.when(wait)}" if wait else ""


def api_message(body: str) -> str:
    """The API's message from a JSON error, a 422 detail list, or an HTML page's title."""
    body = body.strip()
    if not body:
        return ""
    from perplex_cli.api.serverjson import loads as server_json

    try:
        doc = server_json(body, "the error")
    except (ValueError, PerplexError):
        doc = None
    if isinstance(doc, dict):
        err = doc.get("error")
        if isinstance(err, dict) and err.get("message"):
            kind = err.get("type")
            msg = str(err["message"])
            return f"{msg} [{kind}]" if kind else msg
        if isinstance(err, str):
            return err
        detail = doc.get("detail")
        if isinstance(detail, list):
            parts = []
            for item in detail:
                if isinstance(item, dict):
                    loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                    parts.append(
                        f"{loc}: {item.get('msg', '')}" if loc else str(item.get("msg", ""))
                    )
            return "; ".join(parts)
        if isinstance(detail, str):
            return detail
        if isinstance(doc.get("message"), str):
            return str(doc["message"])
    title = re.search(r"<title[^>]*>(.*?)</title>", body, re.IGNORECASE | re.DOTALL)
    if title:
        return " ".join(title.group(1).split())
    return first_line(body)


def _user_agent() -> str:
    from perplex_cli import __version__

    return f"perplex/{__version__}"
