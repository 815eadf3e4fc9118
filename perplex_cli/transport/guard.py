"""What a hostile server cannot do to a request: stretch its wait, or send it elsewhere.

The socket's read timeout bounds the silence between two bytes; a server sending its
status line a byte at a time never stays silent that long. Here each connection's wait for
the response head runs under a timer: when it fires, the socket is shut down, and the wait
ends as a read timeout (`--timeout`, exit 7). The body is not under this timer: between
two of its reads the read timeout applies, as before.

A redirect is never followed (client.py sends with `allow_redirects=False`): it would
send the prompt again to wherever it points, perhaps in clear text. It is an answer that
is not the API's, a protocol error (exit 8) that names where it pointed.
"""

from __future__ import annotations

import socket
import threading
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
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            sock = conn.sock
            if sock is not None:
                try:  # the plain socket's shutdown: a TLS one would unwrap under the reader
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(deadline, expire)
        timer.daemon = True
        timer.start()
        try:
            return parent.getresponse(conn, *args, **kwargs)
        except Exception:
            if expired.is_set():  # urllib3 reports a socket timeout as a read timeout
                raise TimeoutError("the response head took longer than the deadline") from None
            raise
        finally:
            timer.cancel()

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


def redirected(response: requests.Response) -> ProtocolError:
    """The error for a 3xx answer, naming its Location."""
    from perplex_cli.errors import first_line

    location = first_line(response.headers.get("Location") or "", 200) or "nowhere"
    return ProtocolError(
        f"the server redirected the request to {location!r} (HTTP {response.status_code}); "
        "redirects are not followed",
        hint="check --base-url",
    )
