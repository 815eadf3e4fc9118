"""What the benchmark cases share: the server process, a clean environment, and a way to
run one client and get its wall time, peak RSS, exit status and (optionally) when each
byte of its stdout arrived.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
CURL = shutil.which("curl")
KEY = "pplx-bench-0000000000000000"
# Interpreter settings that would change what is measured (buffering, paths, tracing,
# compiling every module from source on every run).
PYTHON_KNOBS = frozenset(
    {
        "PYTHONUNBUFFERED",
        "PYTHONPATH",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONPYCACHEPREFIX",
        "PYTHONDEVMODE",
        "PYTHONTRACEMALLOC",
        "PYTHONMALLOC",
        "PYTHONPROFILEIMPORTTIME",
        "PYTHONWARNINGS",
        "PYTHONSTARTUP",
        "PYTHONINSPECT",
    }
)
# What curl posts on each protocol, and where; the default protocol first.
REQUESTS = {
    "agent": ("/v1/agent", '{"preset":"fast","input":"q","stream":true}'),
    "chat": (
        "/chat/completions",
        '{"model":"sonar","messages":[{"role":"user","content":"q"}],"stream":true}',
    ),
}
APIS = tuple(REQUESTS)


@dataclass
class Sample:
    """One run of one client."""

    wall: float  # seconds, from spawn to exit
    cpu: float  # seconds of user and system time
    rss_kb: int  # peak resident set size of the client process
    code: int
    stdout: bytes = b""
    stderr: bytes = b""
    arrivals: list[tuple[float, bytes]] = field(default_factory=list)


class Bench:
    """The server, the temporary XDG home, and the clients, for one benchmark run."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="perplex-bench-"))
        self.env = clean_env(self.tmp)
        self.writes: dict[str, dict[int, float]] = defaultdict(dict)
        self._writes_cond = threading.Condition()
        self.server = subprocess.Popen(
            [PYTHON, str(BENCH / "server.py")],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=self.env,
        )
        assert self.server.stdout is not None
        first = self.server.stdout.readline().split()
        if len(first) != 2 or first[0] != "PORT":
            self.close()
            raise RuntimeError(f"the benchmark server did not start: {first}")
        self.base = f"http://127.0.0.1:{first[1]}"
        self._reader = threading.Thread(target=self._read_server, daemon=True)
        self._reader.start()
        self._serial = 0

    def warm(self) -> None:
        """Fill the byte-code cache for every client's modules, so that no measured run
        (not even --quick's single one) pays for compiling them."""
        url = f"{self.base}/synth/10/chunked"
        for api in APIS:
            self.run(self.floor(url, api))
            self.run(self.ask(api, "q"), base_url=url)
        self.run(self.typer_min())

    def close(self) -> None:
        if self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=10)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _read_server(self) -> None:
        assert self.server.stdout is not None
        for line in self.server.stdout:
            parts = line.split()
            if len(parts) == 4 and parts[0] == "W":
                with self._writes_cond:
                    self.writes[parts[1]][int(parts[2])] = float(parts[3])
                    self._writes_cond.notify_all()

    def wait_writes(self, tag: str, count: int, timeout: float = 10.0) -> dict[int, float]:
        """The server's write times for a paced stream, once all `count` are known."""
        with self._writes_cond:
            self._writes_cond.wait_for(lambda: len(self.writes[tag]) >= count, timeout)
            return dict(self.writes[tag])

    def tag(self) -> str:
        self._serial += 1
        return f"r{self._serial}"

    # The clients -------------------------------------------------------------------

    def perplex(self, *args: str) -> list[str]:
        """perplex from this checkout, with the default settings (the log included)."""
        return [PYTHON, "-m", "perplex_cli", *args]

    def ask(self, api: str, *args: str) -> list[str]:
        """perplex asking on `api` (chat or agent), named on the command line so that the
        case holds whatever the default is."""
        return self.perplex("--api", api, *args)

    def floor(self, url: str, api: str) -> list[str]:
        return [PYTHON, str(BENCH / "floor.py"), url, "--api", api]

    def curl(self, url: str, api: str, gzip: bool = False) -> list[str]:
        assert CURL is not None
        path, body = REQUESTS[api]
        argv = [
            CURL,
            "-sN",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-H",
            "Accept: text/event-stream",
            "-H",
            f"Authorization: Bearer {KEY}",
            "--data",
            body,
        ]
        if gzip:
            argv.append("--compressed")
        return [*argv, url + path]

    def typer_min(self) -> list[str]:
        return [PYTHON, str(BENCH / "typer_min.py"), "--help"]

    # Running one client --------------------------------------------------------------

    def run(
        self,
        argv: list[str],
        *,
        base_url: str | None = None,
        capture: bool = False,
        timed_reads: bool = False,
        extra_env: dict[str, str] | None = None,
    ) -> Sample:
        """Run argv through bench/measure.py; stdout is discarded unless captured.

        `base_url` is given to perplex as PERPLEXITY_BASE_URL (the environment, so that the
        command line stays at its defaults). `timed_reads` reads stdout through a pipe
        and records when each read returned.
        """
        env = dict(self.env)
        if base_url:
            env["PERPLEXITY_BASE_URL"] = base_url
        env.update(extra_env or {})
        result = self.tmp / "measure.out"
        launcher = [PYTHON, "-S", str(BENCH / "measure.py"), str(result), *argv]
        if capture or timed_reads:
            proc = subprocess.Popen(
                launcher,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                cwd=ROOT,
                env=env,
            )
            arrivals: list[tuple[float, bytes]] = []
            errors: list[bytes] = []
            stderr_reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()))  # type: ignore[union-attr]
            stderr_reader.start()
            arrivals = read_with_times(proc.stdout.fileno())  # type: ignore[union-attr]
            proc.wait()
            stderr_reader.join()
            stdout = b"".join(data for _, data in arrivals)
        else:
            proc = subprocess.Popen(
                launcher,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                cwd=ROOT,
                env=env,
            )
            _, err = proc.communicate()
            errors, arrivals, stdout = [err], [], b""
        if proc.returncode != 0:
            raise RuntimeError(f"the launcher failed for {argv}: {b''.join(errors)!r}")
        wall, cpu, rss, code = result.read_text().split()
        if int(code) != 0:
            tail = b"".join(errors).decode("utf-8", "replace").strip()[-400:]
            raise RuntimeError(f"{' '.join(argv[:4])}... exited {code}: {tail}")
        return Sample(
            float(wall),
            float(cpu),
            int(rss),
            int(code),
            stdout,
            b"".join(errors),
            arrivals if timed_reads else [],
        )


def read_with_times(fd: int) -> list[tuple[float, bytes]]:
    """Each read of a pipe or a terminal until its end, with time.monotonic() after it."""
    arrivals = []
    while True:
        try:
            data = os.read(fd, 1 << 20)
        except OSError:  # EIO: a terminal with no writer left
            return arrivals
        if not data:
            return arrivals
        arrivals.append((time.monotonic(), data))


def clean_env(tmp: Path) -> dict[str, str]:
    """The caller's environment without perplex settings, proxies or config: a new user."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PERPLEX", "PPLX", "XDG_", "NO_COLOR", "FORCE_COLOR"))
        and not name.lower().endswith("_proxy")
        and name not in PYTHON_KNOBS
    }
    for name in ("config", "data", "state", "cache", "home", "pycache"):
        (tmp / name).mkdir()
    env.update(
        PERPLEXITY_API_KEY=KEY,
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_STATE_HOME=str(tmp / "state"),
        XDG_CACHE_HOME=str(tmp / "cache"),
        HOME=str(tmp / "home"),
        NO_PROXY="127.0.0.1,localhost",
        # Byte code as an installed package has it, kept out of the checkout; the warm-up
        # run of each client fills it.
        PYTHONPYCACHEPREFIX=str(tmp / "pycache"),
    )
    return env


def first_seen(arrivals: list[tuple[float, bytes]], tokens: list[bytes]) -> dict[int, float]:
    """When each token was first complete in the output read so far."""
    seen: dict[int, float] = {}
    data = b""
    for at, piece in arrivals:
        data += piece
        for i, token in enumerate(tokens):
            if i not in seen and token in data:
                seen[i] = at
    return seen
