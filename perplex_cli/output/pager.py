"""A long listing on a terminal goes through $PAGER, as `git log` does; pipes get it as is.

The pager is $PAGER (default `less`, with LESS=FRX unless LESS is set: quit when the text
fits on one screen, keep colours, leave the text on the screen). `PAGER=cat` or an empty
PAGER turns paging off; a pager that cannot be started is skipped, never an error.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from typing import IO

from perplex_cli.output.terminal import is_terminal


def page(text: str, out: IO[str]) -> None:
    """Write `text` (already safe for a terminal) to `out`, paged when it is taller."""
    argv = _pager() if is_terminal(out) else []
    if argv and text.count("\n") >= shutil.get_terminal_size().lines - 1:
        out.flush()
        try:
            pager = subprocess.Popen(
                argv, stdin=subprocess.PIPE, env={"LESS": "FRX", **os.environ}, text=True
            )
        except OSError:
            pass
        else:
            try:
                pager.communicate(text)
            except BrokenPipeError:  # the pager quit before reading everything
                pass
            pager.wait()
            return
    out.write(text)
    out.flush()


def _pager() -> list[str]:
    try:
        argv = shlex.split(os.environ.get("PAGER", "less"))
    except ValueError:  # unbalanced quotes: no pager rather than a failure
        return []
    return [] if argv in ([], ["cat"]) else argv
