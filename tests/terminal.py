"""Run perplex with its stdout and/or stderr on a pseudo-terminal, or inside tmux.

`on_terminal` gives the raw bytes each stream received (a terminal turns "\\n" into
"\\r\\n"); `TmuxScreen` runs the command in a real terminal emulator and reads its screen.
"""

from __future__ import annotations

import fcntl
import os
import pty
import shlex
import shutil
import struct
import subprocess
import sys
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    code: int
    out: bytes  # stdout, or both streams when both are on the terminal
    err: bytes  # stderr when it is a pipe (or on its own terminal)


def terminal_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "PYTHONUNBUFFERED")}
    env["TERM"] = "xterm-256color"
    env.update(extra)
    return env


def on_terminal(
    *args: str,
    stdout_tty: bool = True,
    stderr_tty: bool = True,
    env: dict[str, str] | None = None,
    size: tuple[int, int] = (30, 100),
    timeout: float = 20,
) -> Run:
    """Run `python -m perplex_cli ARGS`; the streams marked tty share one terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    err_master = err_slave = None
    if stderr_tty and not stdout_tty:
        err_master, err_slave = pty.openpty()
        fcntl.ioctl(err_slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "perplex_cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave if stdout_tty else subprocess.PIPE,
        stderr=(slave if stdout_tty else err_slave) if stderr_tty else subprocess.PIPE,
        env=env or terminal_env(),
        cwd=ROOT,
    )
    os.close(slave)
    if err_slave is not None:
        os.close(err_slave)
    screens: dict[int, bytearray] = {master: bytearray()}
    if err_master is not None:
        screens[err_master] = bytearray()
    readers = [threading.Thread(target=_drain, args=(fd, screens[fd])) for fd in screens]
    for reader in readers:
        reader.start()
    piped_out, piped_err = proc.communicate(timeout=timeout)
    for reader in readers:
        reader.join(timeout)
    for fd in screens:
        os.close(fd)
    out = bytes(screens[master]) if stdout_tty else piped_out
    if err_master is not None:
        err = bytes(screens[err_master])
    else:
        err = piped_err or b""
    return Run(proc.returncode, out, err)


def _drain(fd: int, into: bytearray) -> None:
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: every writer has closed the terminal
            return
        if not data:
            return
        into.extend(data)


def lines(data: bytes) -> bytes:
    """Terminal output with the line discipline's "\\r\\n" turned back into "\\n"."""
    return data.replace(b"\r\n", b"\n")


def drafted(out: bytes) -> tuple[bytes, bytes]:
    """A rendered answer's terminal bytes cut where rendering begins: the text shown as it
    came while the renderer was not ready (with no escape sequence: it is neutralised), and
    the rest, from the draft's erasure on."""
    at = out.find(b"\x1b")
    return (out, b"") if at < 0 else (out[:at], out[at:])


class TmuxScreen:
    """One command in a detached tmux session of a fixed size; read what its screen shows.

    The command is `perplex ARGS`, or `program` (an argv) when given; with `record`, every
    byte the pane receives is also written to that file, from the command's start.
    """

    def __init__(
        self,
        tmp: Path,
        args: list[str],
        env: dict[str, str],
        size: tuple[int, int] = (40, 100),
        *,
        program: list[str] | None = None,
        record: Path | None = None,
    ):
        if shutil.which("tmux") is None:
            if os.environ.get("CI"):
                pytest.fail("tmux is not installed; .ci/run must install it")
            pytest.skip("tmux is not installed")
        self.socket = str(tmp / "tmux.sock")
        script = tmp / "run.sh"
        exports = "".join(
            f"export {k}={shlex.quote(v)}\n" for k, v in env.items() if k.isidentifier()
        )
        command = shlex.join(program or [sys.executable, "-m", "perplex_cli", *args])
        go = tmp / "recording"
        wait = f"while [ ! -e {shlex.quote(str(go))} ]; do sleep 0.01; done\n" if record else ""
        # The server's own environment reaches the pane: keep the test process's COLUMNS out.
        script.write_text(
            f'unset COLUMNS LINES\n{exports}cd {shlex.quote(str(ROOT))}\n{wait}{command}\necho "[exit $?]"\nsleep 60\n'
        )
        self._tmux(
            "new-session", "-d", "-x", str(size[1]), "-y", str(size[0]), "-s", "t", f"sh {script}"
        )
        if record:
            self._tmux("pipe-pane", "-t", "t", f"cat > {shlex.quote(str(record))}")
            go.touch()

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-S", self.socket, "-f", "/dev/null", *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout

    def screen(self, escapes: bool = False, history: bool = False) -> str:
        """The visible screen; with `history`, the lines scrolled off above it too."""
        extra = (["-e"] if escapes else []) + (["-S", "-1000"] if history else [])
        return self._tmux("capture-pane", "-p", *extra, "-t", "t")

    def wait_for(self, text: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared on the screen:\n{self.screen()}")

    def close(self) -> None:
        self._tmux("kill-server")
