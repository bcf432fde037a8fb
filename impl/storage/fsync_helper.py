"""The fsync helper: a child process that makes a server's txn log durable on request.

Run by path (``python -S fsync_helper.py``, importing nothing of ``impl``), it first says
``ready``; then each request on stdin is a line ``<seq>\\t<path in hex>`` (a path may hold
any byte): fsync that file (every txn appended up to ``seq`` is in it or in an older
segment, which was fsynced when it was closed), then answer ``<seq>`` on stdout, or
``<seq>\\tERR <reason>`` if the fsync failed. A file gone meanwhile
was rolled (fsynced) and removed, or truncated away: nothing is left to sync. The helper
ends when its stdin closes (its server stopped or died).

Linux's fsync makes a file's data durable whichever descriptor wrote it, so the helper opens
the file itself. It runs outside the server's process so that the server's event loop never
waits for a thread to hand the GIL back after an fsync.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

READY = b"ready\n"
"""The helper's first line: it is running and reading requests."""


def serve(requests: object, answers: object) -> None:
    for line in requests:  # type: ignore[attr-defined]
        seq, _, hex_path = line.rstrip(b"\n").partition(b"\t")
        path = bytes.fromhex(hex_path.decode())
        reply = seq
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            fd = None
        except OSError as exc:
            fd, reply = None, seq + b"\tERR " + str(exc).encode()
        if fd is not None:
            try:
                os.fsync(fd)
            except OSError as exc:
                reply = seq + b"\tERR " + str(exc).encode()
            finally:
                os.close(fd)
        answers.write(reply + b"\n")  # type: ignore[attr-defined]
        answers.flush()  # type: ignore[attr-defined]


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when this ends
    with contextlib.suppress(BrokenPipeError):  # the server is gone
        sys.stdout.buffer.write(READY)
        sys.stdout.buffer.flush()
        serve(sys.stdin.buffer, sys.stdout.buffer)
