"""Guard of one child process: it never outlives the Python run that started it.

Run as a script, standard library only, by :func:`model.standalone.supervise`::

    python -I -S child_guard.py GRACE_S CLEAN -- COMMAND...

The guard starts COMMAND in a process group of its own and waits for it.
The kernel sends the guard SIGTERM when the Python process dies, however it
dies (``PR_SET_PDEATHSIG``, set by the parent); the parent sends the same
SIGTERM to stop a run on Ctrl-C. Then the guard signals COMMAND's whole group
with SIGTERM, after GRACE_S seconds with SIGKILL, cleans up and ends by
SIGTERM itself. A guard is needed because neither child cleans up after
itself: make's SIGTERM handling stops the recipe's shell but not the compiler
under it (measured: g++ ran on for seconds after make had exited), and the
simulation binary leaves its results folder behind.

CLEAN says what to remove after a stop:

* ``objects``: every object file, ``main``, ``make.deps`` and precompiled
  header under the working directory written since the guard started (one
  written while make was stopped may be cut short yet newer than its source,
  which the next make would take as up to date);
* a folder path: that folder (the binary's results folder); a file path: that
  file (a precompiled header being written);
* ``-``: nothing.

The guard exits with COMMAND's exit code, or ends by the signal that killed
COMMAND, so the parent sees what the command did.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
import time

# no subprocess: its import alone takes tens of milliseconds, paid twice a run

_PR_SET_PDEATHSIG = 1
START = time.time() - 1.0  # file times have a granularity; err towards removing


def _start(cmd: list[str]) -> int:
    """Fork and exec COMMAND in a group of its own, to get SIGKILL when the guard dies."""
    guard = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setpgid(0, 0)
        if sys.platform.startswith("linux"):
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() == guard:  # else the guard died before prctl took effect
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)


def _reaped(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return True
        except ChildProcessError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def _stop_group(pid: int, grace_s: float) -> None:
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 1.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        _reaped(pid, wait_s)
    time.sleep(0.05)  # let the killed group's last writes land before cleaning


def _clean(what: str) -> None:
    if what == "objects":
        for root, _, files in os.walk("."):
            for name in files:
                path = os.path.join(root, name)
                if (name.endswith((".o", ".gch")) or name in ("main", "make.deps")) \
                        and os.stat(path).st_mtime >= START:
                    os.unlink(path)
    elif what == "-":
        return
    elif os.path.isdir(what):
        shutil.rmtree(what, ignore_errors=True)
    elif os.path.exists(what):
        os.unlink(what)


def _end_like(status: int) -> None:
    """Exit as COMMAND did: the same exit code, or death by the same signal."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig != signal.SIGKILL:
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    sys.exit(os.waitstatus_to_exitcode(status))


def main(argv: list[str]) -> None:
    grace_s, clean, sep, *cmd = argv
    assert sep == "--" and cmd, "usage: child_guard.py GRACE_S CLEAN -- COMMAND..."
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it sends SIGTERM
    child = _start(cmd)

    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop_group(child, float(grace_s))
        _clean(clean)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    _end_like(os.waitpid(child, 0)[1])


if __name__ == "__main__":
    main(sys.argv[1:])
