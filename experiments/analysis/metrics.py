"""Measures of a run: freezing per phase, per session, per block, criteria.

Every figure, ``fearsim-collect``, ``fearsim-compare`` and
``scripts/calibrate.py`` reads a run's freezing through these functions. The
first and last *block* of a phase are the ones the run file stores
(``phase_freezing_first`` / ``_last``), defined once in
:func:`model.readout.block_trials`; a session's blocks use the same rule.

Functions that take a dataset work on one run; :func:`phase_stat` and
:func:`responders` also work on a collected sweep (extra dimensions kept).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from model.readout import block_trials

PHASE_STATS = {"mean": "phase_freezing", "first": "phase_freezing_first",
               "last": "phase_freezing_last"}


def parse_phase_spec(spec: str) -> tuple[str, str]:
    """'recall' -> ('recall', 'mean'); 'conditioning:last' -> ('conditioning', 'last')."""
    phase, _, stat = spec.partition(":")
    stat = stat or "mean"
    if stat not in PHASE_STATS:
        raise ValueError(f"{spec}: statistic must be one of {sorted(PHASE_STATS)}")
    return phase, stat


def phase_stat(ds: xr.Dataset, phase: str, stat: str = "mean") -> xr.DataArray:
    """Freezing of ``phase`` (mean, first or last block), every run of ``ds``."""
    if stat not in PHASE_STATS:
        raise ValueError(f"statistic must be one of {sorted(PHASE_STATS)}, not {stat!r}")
    if "phase_name" not in ds.dims or phase not in ds.phase_name.values:
        have = list(ds.phase_name.values) if "phase_name" in ds.dims else []
        raise ValueError(f"no phase {phase!r} (phases: {have})")
    return ds[PHASE_STATS[stat]].sel(phase_name=phase, drop=True)


def phase_value(ds: xr.Dataset, phase: str, stat: str = "mean") -> float:
    """One run's freezing in ``phase`` (NaN when the run has no such phase)."""
    try:
        return float(phase_stat(ds, phase, stat))
    except ValueError:
        return float("nan")


def first_session(ds: xr.Dataset, phase: str) -> int:
    """Index of the first session of ``phase`` (-1 if none)."""
    hits = np.flatnonzero(ds.session_phase.values.astype(str) == phase)
    return int(hits[0]) if len(hits) else -1


def session_trials(ds: xr.Dataset, session: int) -> np.ndarray:
    """Freezing per trial of one session."""
    return ds.freezing.values[ds.session_of_trial.values == session]


def block(values: np.ndarray, phase: str, which: str) -> float:
    """Mean of the first or last block of a phase's (or session's) trials."""
    f = np.asarray(values, dtype=float)
    if len(f) == 0:
        return float("nan")
    if which == "mean":
        return float(f.mean())
    k = block_trials(phase, len(f))
    if which == "first":
        return float(f[:k].mean())
    if which == "last":
        return float(f[-k:].mean())
    raise ValueError(f"which must be mean, first or last, not {which!r}")


def session_value(ds: xr.Dataset, session: int, stat: str = "mean") -> float:
    """Freezing of one session: its mean, first or last block."""
    if session < 0 or session >= ds.sizes["session"]:
        return float("nan")
    return block(session_trials(ds, session), str(ds.session_phase.values[session]), stat)


def session_half(ds: xr.Dataset, session: int, half: str) -> float:
    """Mean freezing of the first or second half of a session's trials."""
    f = session_trials(ds, session)
    if len(f) == 0:
        return float("nan")
    h = len(f) // 2
    return float((f[:max(h, 1)] if half == "first" else f[h:]).mean())


def trials_mean(ds: xr.Dataset, session: int, first: int, last: int) -> float:
    """Mean freezing of trials first..last (1-based, inclusive) of a session."""
    f = session_trials(ds, session)
    if len(f) < last:
        return float("nan")
    return float(f[first - 1:last].mean())


def trials_below(ds: xr.Dataset, session: int, level: float) -> int:
    """How many trials of a session are below ``level`` % freezing."""
    return int(np.sum(session_trials(ds, session) < level))


def trials_to_criterion(ds: xr.Dataset, session: int, reference: float,
                        fraction: float) -> float:
    """Trials until freezing first falls to ``fraction`` x ``reference`` or below.

    1-based: 1 means the first trial of the session met the criterion. A
    subject that never meets it gets the session's trial count + 1 (a
    censored value: compare with rank tests).
    """
    f = session_trials(ds, session)
    if len(f) == 0 or not np.isfinite(reference):
        return float("nan")
    hit = np.flatnonzero(f <= fraction * reference)
    return float(hit[0] + 1) if len(hit) else float(len(f) + 1)


def responders(test, reference, drop: float):
    """1 where ``test`` is at least ``drop`` (a fraction) below ``reference``.

    The responder rule of every tool: a subject responds when its freezing at
    test is <= (1 - drop) x its own reference freezing. NaN where either is
    missing. Works on numbers, arrays and DataArrays alike.
    """
    if isinstance(test, xr.DataArray) or isinstance(reference, xr.DataArray):
        resp = (test <= (1.0 - drop) * reference).astype(float)
        return resp.where(test.notnull() & reference.notnull())
    t, r = np.asarray(test, dtype=float), np.asarray(reference, dtype=float)
    out = (t <= (1.0 - drop) * r).astype(float)
    return np.where(np.isfinite(t) & np.isfinite(r), out, np.nan)


def extinction_index(ds: xr.Dataset) -> float:
    """(first - last extinction block) / first block."""
    first = phase_value(ds, "extinction", "first")
    last = phase_value(ds, "extinction", "last")
    return (first - last) / first if first > 0 else float("nan")
