"""Experimental manipulations as protocol arrays (no code edits needed).

* silence / stimulate: an optogenetic-like current into chosen populations
  during chosen sessions and trial epochs (whole session, CS, inter-trial
  interval, US), e.g. ArchT silencing of IL during extinction (Do-Monte et al.
  2015 J Neurosci) or ChR2 stimulation of IL paired with the CS (Milad &
  Quirk 2002 electrical IL stimulation). Silencing is a hyperpolarising
  current of ``amplitude_pA``; stimulation a depolarising one.
* rapamycin (mTORC1 block; Li et al. 2010, Girgenti et al. 2017), trkb_block
  (ANA-12-like), bdnf (local BDNF infusion; Peters et al. 2010 Science):
  local infusions into regions, on the protocol clock, starting ``offset_h``
  after a session's start and lasting ``duration_h``, at ``level`` (a block
  fraction for blockers, a drive in BDNF units for BDNF).

Systemic and local NMDA antagonists are in ``protocol.block`` and the
pharmacology schedule.
"""

from __future__ import annotations

import numpy as np

from .protocol import STIM_DT_S, Schedule, slow_grid

# Layout of the infusion table (one row per slow step): each region has
# N_INFUSION_COLUMNS columns, the kind's column within them given here
# (column 0 is unused). The BDNF chain reads it through infusion_level.
INFUSION_COLUMNS = {"rapamycin": 1, "trkb_block": 2, "bdnf": 3}
N_INFUSION_COLUMNS = 4


def infusion_column(region_index: int, kind: str) -> int:
    """Column of ``kind`` for the region at ``region_index``."""
    return region_index * N_INFUSION_COLUMNS + INFUSION_COLUMNS[kind]


def infusion_level(kind: str, region_index: str) -> str:
    """Brian2 expression: the infusion level of ``kind`` in the neuron's region
    (``region_index``: an integer variable) on the protocol clock."""
    return (f"manip_slow(t_protocol, {region_index}*{N_INFUSION_COLUMNS} + "
            f"{INFUSION_COLUMNS[kind]})")


def opto_current(cfg, schedule: Schedule) -> np.ndarray:
    """(n_steps, n_populations) current in pA on the stimulus time step."""
    pops = list(cfg.network.populations)
    out = np.zeros((schedule.stim.shape[0], len(pops)))
    n = out.shape[0]
    for m in cfg.manipulations:
        if m.kind not in ("silence", "stimulate"):
            continue
        sign = -1.0 if m.kind == "silence" else 1.0
        mask = np.zeros(n, dtype=bool)
        for k in m.sessions:
            a = int(round(schedule.session_start_s[k] / STIM_DT_S))
            b = int(round((schedule.session_start_s[k] + schedule.session_duration_s[k])
                          / STIM_DT_S))
            in_session = np.zeros(n, dtype=bool)
            in_session[a:b] = True
            cs, us = schedule.stim[:, 0] > 0, schedule.stim[:, 1] > 0
            mask |= in_session & {"session": np.ones(n, dtype=bool), "cs": cs, "us": us,
                                  "iti": ~cs}[m.epoch]
        for target in m.targets:
            out[mask, pops.index(target)] += sign * m.amplitude_pA
    return out


def infusion_levels(cfg, schedule: Schedule, regions: list[str], dt_h: float) -> np.ndarray:
    """(n_slow_steps, n_regions * 4) local infusion levels on the protocol clock."""
    times = slow_grid(schedule, dt_h)
    out = np.zeros((len(times), len(regions) * N_INFUSION_COLUMNS))
    for m in cfg.manipulations:
        if m.kind not in INFUSION_COLUMNS:
            continue
        for k in m.sessions:
            a = schedule.session_abs_h[k] + m.offset_h
            on = (times >= a - 1e-9) & (times < a + m.duration_h - 1e-9)
            for r in m.targets:
                col = infusion_column(regions.index(r), m.kind)
                out[on, col] = np.maximum(out[on, col], m.level) if m.kind != "bdnf" \
                    else out[on, col] + m.level
    return out
