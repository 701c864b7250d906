"""Runs a command on a pseudo-terminal of a given size and copies what it writes to stdout.

    python3 pty_run.py COLUMNS ROWS -- COMMAND [ARG...]

Exits with the command's exit code (128 + N when signal N ended it). For tests of what a
person sees on a terminal: progress lines, colours, widths.
"""
import fcntl
import os
import pty
import struct
import sys
import termios


def main() -> int:
    cols, rows = int(sys.argv[1]), int(sys.argv[2])
    assert sys.argv[3] == "--"
    argv = sys.argv[4:]
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.execvp(argv[0], argv)
    out = sys.stdout.buffer
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the terminal's last writer is gone
            break
        if not data:
            break
        out.write(data)
    out.flush()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main())
