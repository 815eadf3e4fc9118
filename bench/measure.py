"""Run one command and report its wall time, CPU time and peak RSS, measured from a small parent.

    python -S bench/measure.py RESULT_FILE PROGRAM [ARG...]

A child's `ru_maxrss` starts from the peak of the process it was forked from (Linux
records the old address space at exec), so run.py, whose own memory grows, starts this
small process to spawn the measured one. The wall time is taken here, around spawn and
wait, so the launcher's own start-up is not counted. stdin, stdout and stderr pass through.
"""

import os
import sys
import time


def main() -> None:
    result_path, program, args = sys.argv[1], sys.argv[2], sys.argv[2:]
    start = time.perf_counter()
    pid = os.posix_spawn(program, args, os.environ)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    with open(result_path, "w") as out:
        cpu = usage.ru_utime + usage.ru_stime
        out.write(f"{wall:.9f} {cpu:.6f} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}\n")


main()
