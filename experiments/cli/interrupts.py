"""How a command ends on Ctrl-C (SIGINT) or SIGTERM: one line, then the signal's own exit.

While a run is simulated, :mod:`model.standalone` stops the compiler or the
simulation binary and removes the run's results folder before the
interruption reaches here; results files are written atomically, so nothing
of an unfinished run is stored. The process then ends *by* the signal (the
shell reports 130 or 143), so a shell loop or a batch system sees that the
command was stopped, not that it failed.

Outside the command's own code (Hydra composing the config) a signal is held
back: raised there, an interruption can leave the config objects half built
and come out as a config error. :func:`signals_raise` marks the code where a
signal raises at once; one that came earlier is raised on entry.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Callable

from model.standalone import Terminated

_pending: list[int] = []


def _hold(signum, frame) -> None:
    _pending.append(signum)


def _raise(signum, frame) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


def _install(handler) -> None:
    signal.signal(signal.SIGTERM, handler)
    # Ctrl-C ignored on purpose (a background job) stays ignored
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, handler)


def run_until_signal(main: Callable[[], object]) -> object:
    """Call ``main``; if SIGINT or SIGTERM comes, say so in one line and end by it."""
    _install(_hold)
    try:
        result = main()
    except KeyboardInterrupt:
        _end_by(signal.SIGINT)
    except Terminated as exc:
        _end_by(exc.signum)
    except SystemExit:
        if _pending:
            _end_by(_pending[0])
        raise
    if _pending:
        _end_by(_pending[0])
    return result


def signals_raise(func: Callable) -> Callable:
    """Within ``func`` SIGINT raises KeyboardInterrupt and SIGTERM :class:`Terminated`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        _install(_raise)
        try:
            if _pending:
                _raise(_pending.pop(0), None)
            return func(*args, **kwargs)
        finally:
            _install(_hold)

    return wrapper


def _end_by(signum: int) -> None:
    name = signal.Signals(signum).name
    print(f"fearsim: stopped by {name}; the unfinished run was not stored", file=sys.stderr,
          flush=True)
    sys.stdout.flush()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    sys.exit(128 + signum)  # only if the signal is blocked
