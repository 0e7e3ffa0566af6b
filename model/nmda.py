"""NMDA receptors: the Mg2+ block, occupancy by antagonists, and what is left free.

Where NMDA block enters the model, in one place:

* **Mg2+ block** (Jahr & Stevens 1990 J Neurosci): the unblocked fraction at
  membrane potential v is

      B(v) = 1 / (1 + [Mg2+]/3.57 mM * exp(-0.062 v/mV)).

  It gates the NMDA current (model/neurons.py) and the presynaptically
  triggered calcium of plastic synapses (model/plasticity.py); both use the
  expressions built here from the two constants below.
* **Occupancy** by antagonists, per *channel*: a (region, cell kind) pair,
  in the order the populations first name it. A configured blockade
  (``protocol.block``) and the drug doses of the pharmacology schedule
  (model/pharmacology/occupancy.py) act independently, so their free fractions
  multiply. Occupancy is laid out on both time axes (docs/model.md,
  sections 1, 8 and 10): one row per trial for the spiking sessions
  (``occ_fast``), one row per slow step on the protocol clock (``occ_slow``).
* **Availability** ``nmda_avail = 1 - occupancy``: read from ``occ_fast``
  into every neuron on the 5 ms stimulus grid during sessions. The one number
  scales the NMDA current and both calcium jumps of the learning rule, so a
  blockade acts on the current and on learning by the same amount. On the
  slow axis the occupancy is read at the protocol time ``t_protocol`` by the
  consolidation drive (model/plasticity.py) and the BDNF chain
  (model/synaptogenesis.py), through :func:`slow_occupancy`.
"""

from __future__ import annotations

import numpy as np

# Jahr & Stevens (1990): B = 1 / (1 + [Mg]/MG_HALF_MM * exp(-MG_SLOPE_PER_MV * v))
MG_HALF_MM = 3.57
MG_SLOPE_PER_MV = 0.062
# membrane potential at which the presynaptic calcium jump has its nominal size
CALCIUM_REFERENCE_MV = -50

# availability from the fast occupancy table (one row per trial): read on the
# stimulus grid of the neurons' external currents (model/neurons.py), which
# holds every trial start
AVAILABILITY_UPDATE = "nmda_avail = 1 - occ_fast(t, nmda_channel)"


def mg_block(v_mV, mg_mM=1.0):
    """Jahr & Stevens (1990) unblocked fraction at membrane potential v (mV)."""
    v = np.asarray(v_mV, dtype=float)
    return 1.0 / (1.0 + mg_mM / MG_HALF_MM * np.exp(-MG_SLOPE_PER_MV * v))


def mg_block_expression(v: str = "v", mg: str = "Mg") -> str:
    """The Brian2 expression of B(v) for voltage ``v`` and Mg2+ concentration ``mg``."""
    return f"1/(1 + {mg}/({MG_HALF_MM}*mM)*exp(-{MG_SLOPE_PER_MV}*{v}/mV))"


def reference_block_inverse(mg: str = "Mg_post") -> str:
    """Brian2 expression of 1 / B(CALCIUM_REFERENCE_MV) at concentration ``mg``."""
    return f"(1 + {mg}/({MG_HALF_MM}*mM)*exp({MG_SLOPE_PER_MV}*{-CALCIUM_REFERENCE_MV}))"


def slow_occupancy(channel: str) -> str:
    """Occupancy of ``channel`` (an integer variable) on the protocol clock."""
    return f"occ_slow(t_protocol, {channel})"


def channels(populations) -> list[tuple[str, str]]:
    """(region, kind) pairs in a fixed order; each population reads one."""
    seen = []
    for pop in populations.values():
        key = (pop.region, pop.kind)
        if key not in seen:
            seen.append(key)
    return seen


def neuron_channels(populations, pop_slices, channel_list) -> dict[str, np.ndarray]:
    """Per-neuron channel indices: its own, and its region's E and I channels.

    The region's principal and interneuron NMDARs drive its BDNF chain
    (model/synaptogenesis.py); a region without one of the kinds uses the
    neuron's own channel for it.
    """
    n = max((sl.stop for sl in pop_slices.values()), default=0)
    out = {name: np.zeros(n, dtype=np.int32)
           for name in ("nmda_channel", "nmda_channel_E", "nmda_channel_I")}
    for name, pop in populations.items():
        sl = pop_slices[name]
        own = channel_list.index((pop.region, pop.kind))
        out["nmda_channel"][sl] = own
        for kind in ("E", "I"):
            key = (pop.region, kind)
            out[f"nmda_channel_{kind}"][sl] = channel_list.index(key) \
                if key in channel_list else own
    return out


def block_occupancy(protocol, channel_list, schedule, slow_dt_h: float):
    """NMDA-receptor occupancy of the configured blockade on both time axes.

    Returns (fast, slow): fast has one row per trial (the fast TimedArray's
    step is one trial), slow one row per ``slow_dt_h`` of the protocol clock.
    The block covers each chosen session's real duration plus ``after_h``.
    """
    from .protocol import slow_grid

    blk = protocol.block
    hit = np.array([("all" in blk.regions or r in blk.regions)
                    and ("all" in blk.cell_kinds or k in blk.cell_kinds)
                    for r, k in channel_list], dtype=float)
    fast = np.zeros((schedule.n_trials, len(channel_list)))
    times = slow_grid(schedule, slow_dt_h)
    slow = np.zeros((len(times), len(channel_list)))
    for k in blk.sessions:
        fast[schedule.trial_session == k] = blk.occupancy * hit
        a = schedule.session_abs_h[k]
        b = a + schedule.session_real_h[k] + blk.after_h
        slow[(times >= a - 1e-9) & (times < b - 1e-9)] = blk.occupancy * hit
    return fast, slow


def occupancy(cfg, channel_list, schedule, slow_dt_h: float):
    """Occupancy of the blockade and of every drug dose, combined: (fast, slow).

    A configured block and a drug act independently: the free fraction is
    the product of their free fractions. Fast rows are trials (occupancy at
    the trial's protocol time), slow rows the protocol clock.
    """
    from . import pharmacology
    from .protocol import slow_grid

    fast, slow = block_occupancy(cfg.protocol, channel_list, schedule, slow_dt_h)
    ph = cfg.pharmacology
    if ph.doses:
        times = pharmacology.dose_times(ph, schedule.session_abs_h)
        drug_fast = pharmacology.occupancy_timeline(ph, times, channel_list,
                                                    schedule.trial_abs_h)
        drug_slow = pharmacology.occupancy_timeline(ph, times, channel_list,
                                                    slow_grid(schedule, slow_dt_h))
        fast = 1.0 - (1.0 - fast) * (1.0 - drug_fast)
        slow = 1.0 - (1.0 - slow) * (1.0 - drug_slow)
    return fast, slow
