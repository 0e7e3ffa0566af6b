"""Live progress of a C++ standalone run: sessions done, time left, the compile step.

The compiled binary runs the whole protocol in one go, so Python sees nothing
of it until it ends. Two cheap things make it visible:

* a marker line that the binary prints after each session
  (:func:`session_marker_code`, put into ``main`` with Brian2's
  ``device.insert_code`` right after the session's ``run``). It costs nothing
  per time step; Brian2's own ``report`` option reads the process clock once
  per object per step (``std::clock``, about 2 us each on a virtual machine),
  which would slow the simulation several-fold;
* :class:`SessionProgress`, which follows the binary's stdout file while it
  runs and turns each marker into a message with the time left, estimated from
  the simulated time so far (the cost of a session grows with its length).

:func:`compile_notice` says, before a build, what is being compiled and how
long earlier builds on this machine took (the build cache's ``builds.log``).
"""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from pathlib import Path

MARKER = "fearsim-session-done"
POLL_S = 0.5


def session_marker_code(index: int) -> str:
    """C++ for ``main``: one flushed line when session ``index`` has been simulated."""
    return f'std::cout << "{MARKER} {int(index)}" << std::endl;'


def fmt_seconds(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    m, s = divmod(seconds, 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


def sessions_of(cfg) -> list[tuple[str, float]]:
    """(label, simulated seconds) of each session of a config's protocol."""
    pr = cfg.protocol
    return [(f"{s.phase}, context {s.context}", (s.n_trials + s.cs_minus_trials) * pr.trial_s)
            for s in pr.sessions]


class SessionProgress:
    """Turns the binary's session markers into messages for ``say``.

    ``sessions``: (label, simulated seconds) of each session, in order.
    """

    def __init__(self, sessions: list[tuple[str, float]], say, clock=time.monotonic):
        self.sessions = list(sessions)
        self.say = say
        self.clock = clock
        self.total_s = float(sum(d for _, d in self.sessions))
        self.started = clock()
        self.done = 0

    def start(self, where: str = "in one C++ process") -> None:
        self.started = self.clock()
        self.say(f"simulating {len(self.sessions)} sessions ({self.total_s:g} s of network "
                 f"time) {where}")

    def feed(self, line: str) -> None:
        """One line of the binary's output: a session marker, or anything else (ignored)."""
        parts = line.split()
        if len(parts) == 2 and parts[0] == MARKER and parts[1].isdigit():
            self.session_done(int(parts[1]))

    def session_done(self, k: int) -> None:
        if not 0 <= k < len(self.sessions):
            return
        self.done = k + 1
        elapsed = self.clock() - self.started
        simulated = sum(d for _, d in self.sessions[:self.done])
        left = (self.total_s - simulated) * elapsed / simulated if simulated > 0 else 0.0
        tail = f"; about {fmt_seconds(left)} left" if self.done < len(self.sessions) else ""
        self.say(f"session {self.done}/{len(self.sessions)} ({self.sessions[k][0]}) done: "
                 f"{simulated:g} of {self.total_s:g} s simulated in {fmt_seconds(elapsed)}"
                 f"{tail}")

    @contextlib.contextmanager
    def follow(self, stdout_path: Path):
        """While the block runs, feed every new line of ``stdout_path`` (the binary's stdout)."""
        stop = threading.Event()
        thread = threading.Thread(target=self._tail, args=(Path(stdout_path), stop),
                                  name="fearsim-progress", daemon=True)
        self.start()
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()

    def _tail(self, path: Path, stop: threading.Event) -> None:
        handle, pending = None, ""
        try:
            while True:
                finished = stop.is_set()  # read what is there once more after the end
                if handle is None and path.exists():
                    handle = open(path, errors="replace")
                if handle is not None:
                    pending += handle.read()
                    *lines, pending = pending.split("\n")
                    for line in lines:
                        self.feed(line)
                if finished:
                    return
                stop.wait(POLL_S)
        finally:
            if handle is not None:
                handle.close()


def earlier_builds(cache_root: Path) -> list[float]:
    """Seconds of every compilation recorded in the build cache (``*/builds.log``)."""
    seconds = []
    for log in Path(cache_root).glob("*/builds.log"):
        for line in log.read_text(errors="replace").splitlines():
            parts = line.split()
            try:
                seconds.append(float(parts[2]))
            except (IndexError, ValueError):
                continue
    return seconds


def compile_notice(directory: Path, cache_root: Path | None) -> str:
    """What the compile step does and how long it took before on this machine."""
    past = earlier_builds(cache_root) if cache_root is not None else []
    if past:
        typical = (f"{len(past)} earlier build{'s' if len(past) > 1 else ''} here took "
                   f"{fmt_seconds(min(past))}-{fmt_seconds(max(past))}, median "
                   f"{fmt_seconds(statistics.median(past))}")
    else:
        typical = "no earlier build on record here"
    return (f"compiling the C++ code of this network structure, once ({typical}); later runs "
            f"of the same structure reuse it: {directory}")
