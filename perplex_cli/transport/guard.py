"""What a hostile server cannot do to a request: stretch its wait, or send it elsewhere.

The socket's read timeout bounds the silence between two bytes; a server sending its
status line a byte at a time never stays silent that long. Here each connection's wait for
the response head runs under a deadline: when it passes, the socket is shut down, and the
wait ends as a read timeout (`--timeout`, exit 7). The body is not under this deadline:
between two of its reads the read timeout applies, as before. One thread watches the
deadlines of every connection (a batch sends hundreds of requests; a thread started for
each cost more CPU than reading its answer).

A redirect is never followed (client.py sends with `allow_redirects=False`): it would
send the prompt again to wherever it points, perhaps in clear text. It is an answer that
is not the API's, a protocol error (exit 8) that names where it pointed.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from perplex_cli.errors import ProtocolError

if TYPE_CHECKING:
    import requests


def adapter(pool_size: int, deadline: float) -> requests.adapters.HTTPAdapter:
    """A requests adapter whose connections get their response head within `deadline` s."""
    import requests
    import urllib3.poolmanager
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    def getresponse(conn: Any, parent: Any, args: Any, kwargs: Any) -> Any:
        expired: list[bool] = []

        def expire() -> None:
            expired.append(True)
            sock = conn.sock
            if sock is not None:
                try:  # the plain socket's shutdown: a TLS one would unwrap under the reader
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    pass

        watch = DEADLINES.watch(deadline, expire)
        try:
            return parent.getresponse(conn, *args, **kwargs)
        except Exception:
            if expired:  # urllib3 reports a socket timeout as a read timeout
                raise TimeoutError("the response head took longer than the deadline") from None
            raise
        finally:
            DEADLINES.cancel(watch)

    class Plain(HTTPConnection):
        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            return getresponse(self, HTTPConnection, args, kwargs)

    class Secure(HTTPSConnection):
        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            return getresponse(self, HTTPSConnection, args, kwargs)

    class PlainPool(HTTPConnectionPool):
        ConnectionCls = Plain

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = Secure

    pools = {"http": PlainPool, "https": SecurePool}
    default = urllib3.poolmanager.pool_classes_by_scheme

    class Adapter(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, proxy: Any, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **kwargs)
            if manager.pool_classes_by_scheme is default:  # a SOCKS manager keeps its own
                manager.pool_classes_by_scheme = pools
            return manager

    return Adapter(pool_maxsize=pool_size)


class Deadlines:
    """Calls each watched `expire` once its deadline has passed, unless cancelled first.

    One daemon thread, started by the first watch, sleeps until the earliest deadline; a
    watch wakes it only when it brings that deadline forward.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._waits: dict[int, tuple[float, Callable[[], None]]] = {}
        self._count = 0
        self._wake = math.inf  # when the thread looks next
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float, expire: Callable[[], None]) -> int:
        """Call `expire` (from the watching thread) in `seconds`; returns what `cancel` takes."""
        at = time.monotonic() + seconds
        with self._cond:
            self._count += 1
            self._waits[self._count] = (at, expire)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
                self._thread.start()
            elif at < self._wake:
                self._cond.notify()
            return self._count

    def cancel(self, watch: int) -> None:
        with self._cond:
            self._waits.pop(watch, None)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for watch in [w for w, (at, _) in self._waits.items() if at <= now]:
                    self._waits.pop(watch)[1]()
                self._wake = min((at for at, _ in self._waits.values()), default=math.inf)
                self._cond.wait(None if self._wake == math.inf else self._wake - now)


DEADLINES = Deadlines()


def redirected(response: requests.Response) -> ProtocolError:
    """The error for a 3xx answer, naming its Location."""
    from perplex_cli.errors import first_line

    location = first_line(response.headers.get("Location") or "", 200) or "nowhere"
    return ProtocolError(
        f"the server redirected the request to {location!r} (HTTP {response.status_code}); "
        "redirects are not followed",
        hint="check --base-url",
    )
