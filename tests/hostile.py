"""A hostile server on 127.0.0.1 (one behaviour per test), and a measured CLI run.

`HostileServer(behave)` calls `behave(sock)` for each connection once the request has been
read; the behaviour writes whatever it likes, as slowly or as endlessly as it likes, until
the client goes away. `measured(args)` runs perplex in a subprocess (PYTHONUNBUFFERED
unset) and reports its exit status, output, wall time and peak memory (its VmHWM).
"""

from __future__ import annotations

import os
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from replay import _read_request

HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
)


class HostileServer:
    def __init__(self, behave: Callable[[socket.socket], None]) -> None:
        self.requests = 0
        self.gone = threading.Event()  # the client closed the connection
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                if _read_request(self.request) is None:
                    return
                outer.requests += 1
                try:
                    behave(self.request)
                except OSError:
                    outer.gone.set()

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def chunked(sock: socket.socket, data: bytes) -> None:
    """One piece of a chunked body."""
    sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))


@dataclass
class Run:
    code: int
    stdout: bytes
    stderr: str
    seconds: float
    peak_mb: float


def measured(args: list[str], limit: float = 120.0) -> Run:
    """Run `perplex ARGS` to its end (killed past `limit` seconds); its status and cost."""
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "perplex_cli", *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
        )
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _high_water_kb(proc.pid))
            if time.monotonic() - start > limit:
                proc.kill()
            time.sleep(0.01)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return Run(
            proc.returncode, out.read(), err.read().decode("utf-8", "replace"), seconds, peak / 1024
        )


def _high_water_kb(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), 0 once it has exited.

    Not the rusage of the child: Linux counts in it the memory of the process it was
    forked from (here pytest's) as it was before the exec.
    """
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
