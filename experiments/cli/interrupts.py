"""How a command ends on Ctrl-C (SIGINT) or SIGTERM: one line, then the signal's own exit.

While a run is simulated, :mod:`model.standalone` stops the compiler or the
simulation binary and removes the run's results folder before the
interruption reaches here; results files are written atomically, so nothing
of an unfinished run is stored. The process then ends *by* the signal (the
shell reports 130 or 143), so a shell loop or a batch system sees that the
command was stopped, not that it failed.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

from model.standalone import Terminated, raise_terminated


def run_until_signal(main: Callable[[], object]) -> object:
    """Call ``main`` with SIGTERM raising :class:`Terminated`; end by the signal if one comes."""
    signal.signal(signal.SIGTERM, raise_terminated)
    try:
        return main()
    except KeyboardInterrupt:
        _end_by(signal.SIGINT)
    except Terminated as exc:
        _end_by(exc.signum)


def _end_by(signum: int) -> None:
    name = signal.Signals(signum).name
    print(f"fearsim: stopped by {name}; the unfinished run was not stored", file=sys.stderr,
          flush=True)
    sys.stdout.flush()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    sys.exit(128 + signum)  # only if the signal is blocked
