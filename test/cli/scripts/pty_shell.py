#!/usr/bin/env python3
"""Drives a command through a real pseudo-terminal, as a person at a terminal would.

Node has no pty module; the shell tests start this script with a JSON plan on stdin:
  {"argv": [...], "env": {...}, "cols": 120, "rows": 40,
   "steps": [{"send": "text"}, {"expect": "regex", "timeout": 30}, {"exit": true, "timeout": 30}]}
"send" writes keys (Ctrl-C is "\u0003", TAB "\t", Enter "\r"); "expect" waits until the
regex matches the output after the previous match, escape sequences removed; "exit" waits
for the command to end. A plan that ends with the command running kills it. Prints JSON:
{"ok", "failed" (the step that timed out), "output" (escape sequences removed), "status"}.
"""
import json
import os
import re
import select
import signal
import struct
import sys
import time

import fcntl
import termios

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def main() -> None:
    plan = json.load(sys.stdin)
    pid, fd = os.forkpty()
    if pid == 0:
        # The size is set on the child's own terminal before the command starts, so it reads this one.
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", plan.get("rows", 40), plan.get("cols", 120), 0, 0))
        os.execvpe(plan["argv"][0], plan["argv"], plan.get("env", dict(os.environ)))

    raw = bytearray()
    status = None
    closed = False

    def pump(deadline: float) -> None:
        """Reads what the command wrote until the deadline or until the terminal closes."""
        nonlocal closed
        wait = max(0.0, deadline - time.monotonic())
        if closed:
            time.sleep(min(wait, 0.05))
            return
        ready, _, _ = select.select([fd], [], [], min(wait, 0.1))
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the command closed the terminal
                data = b""
            if data:
                raw.extend(data)
            else:
                closed = True

    def text() -> str:
        return ANSI.sub("", raw.decode("utf-8", "replace"))

    def reap(block: bool) -> None:
        nonlocal status
        if status is not None:
            return
        done, code = os.waitpid(pid, 0 if block else os.WNOHANG)
        if done == pid:
            status = os.waitstatus_to_exitcode(code)

    mark = 0
    failed = None
    for i, step in enumerate(plan["steps"]):
        if "send" in step:
            os.write(fd, step["send"].encode("utf-8"))
        elif "expect" in step:
            pattern = re.compile(step["expect"])
            deadline = time.monotonic() + step.get("timeout", 30)
            while True:
                m = pattern.search(text(), mark)
                if m:
                    mark = m.end()
                    break
                if time.monotonic() >= deadline or (closed and status is not None):
                    failed = i
                    break
                pump(deadline)
                if closed:
                    reap(False)
            if failed is not None:
                break
        elif "exit" in step:
            deadline = time.monotonic() + step.get("timeout", 30)
            while status is None and time.monotonic() < deadline:
                pump(deadline)
                reap(False)
            if status is None:
                failed = i
                break
    if status is None:
        os.kill(pid, signal.SIGKILL)
        reap(True)
    # What is left to read once the command is gone.
    deadline = time.monotonic() + 5
    while not closed and time.monotonic() < deadline:
        pump(deadline)
    json.dump({"ok": failed is None, "failed": failed, "output": text(), "status": status}, sys.stdout)


if __name__ == "__main__":
    main()
