"""A second tone, never paired with the shock (CS-), with afferents of its own.

Discrimination and over-generalisation (docs/experiments.md, target 9.3):
patients with anxiety disorders fear a safe stimulus that resembles the
threat more than controls do (Lissek et al. 2005 Behav Res Ther 43:1391), and
in PTSD fear of the safety signal is not inhibited (Jovanovic et al. 2010
Depress Anxiety 27:244). In the model the CS- is a tone input population of
the same size as the CS+'s (``network.inputs.CS``) of which a fraction
``network.cs_minus_overlap`` are CS+ neurons themselves (tone afferents that
respond to both tones) and the rest are neurons of its own, ``CS_minus``.
Every projection of the CS+ input has a twin from ``CS_minus``, with the
same probability, weights and plasticity, so before any learning a CS-
drives each target as strongly as a CS+, through synapses of which the
shared part learns with every CS+ pairing and the own part only with what
the CS- itself meets (no shock). Generalisation is therefore what the shared
afferents carry, plus what the circuit makes of it; no readout knob sets it.

A session asks for CS- trials with ``cs_minus_trials`` (model/config/protocol.py):
they are interleaved with its CS+ trials (model/protocol.py), have the CS+
trial's timing and never a US. Without CS- trials in the protocol nothing
here applies: the circuit, its build and every value are those of a run
without this module.
"""

from __future__ import annotations

import copy

#: the derived input population of the CS-'s own afferents
NAME = "CS_minus"
#: the stimulus table's column of the CS- tone (after model/protocol.py STIM_CHANNELS)
CHANNEL = 5

# the rate of an input neuron (model/inputs.py RATE), with the CS- tone on
# the CS+ neurons it shares (at most one tone sounds at a time)
RATE = (f"rate = base_rate + on_rate*clip(stim(t, stim_channel) "
        f"+ shares_cs_minus*stim(t, {CHANNEL}), 0, 1)")
VARIABLE = "shares_cs_minus : 1 (constant)\n"


def requested(protocol) -> bool:
    """Whether any session of the protocol has CS- trials."""
    return any(s.cs_minus_trials > 0 for s in protocol.sessions)


def enabled(cfg) -> bool:
    """Whether the circuit carries the CS- input (structural)."""
    return requested(cfg.protocol)


def split(n_cs: int, overlap: float) -> tuple[int, int]:
    """(CS+ neurons the CS- shares, neurons of its own) for a CS+ input of ``n_cs``."""
    shared = int(round(overlap * n_cs))
    return shared, n_cs - shared


def twin_name(projection: str) -> str:
    """The name of a CS+ projection's twin from the CS-'s own afferents."""
    return f"csm_{projection[3:]}" if projection.startswith("cs_") else f"{projection}_csm"


def apply(cfg):
    """The config with the CS- input and the twins of the CS+ projections (a copy;
    ``cfg`` itself without CS- trials)."""
    if not enabled(cfg):
        return cfg
    out = copy.deepcopy(cfg)
    net = out.network
    _, own = split(net.inputs["CS"].n, net.cs_minus_overlap)
    twin_input = copy.deepcopy(net.inputs["CS"])
    twin_input.n = own
    net.inputs[NAME] = twin_input
    for name, prj in list(net.projections.items()):
        if prj.pre == "CS":
            twin = copy.deepcopy(prj)
            twin.pre = NAME
            net.projections[twin_name(name)] = twin
    return out


def shared_flags(cfg, input_slices: dict, n: int):
    """1 on the CS+ input neurons the CS- tone also drives, 0 elsewhere."""
    import numpy as np

    flags = np.zeros(n)
    sl = input_slices["CS"]
    shared, _ = split(sl.stop - sl.start, cfg.network.cs_minus_overlap)
    flags[sl.start:sl.start + shared] = 1.0
    return flags


def interleave(n_cs_plus: int, n_cs_minus: int) -> list[bool]:
    """The session's trial order, True for a CS- trial.

    The CS- trials spread evenly among the CS+ trials (trial j is a CS- where
    floor((j + 1) m / T) steps up, T trials in all, m of them CS-): the order
    alternates when the counts are equal and never opens with a CS-, as a
    discrimination session's pseudo-random order without long runs of one tone.
    """
    total = n_cs_plus + n_cs_minus
    return [(j + 1) * n_cs_minus // total > j * n_cs_minus // total for j in range(total)]
