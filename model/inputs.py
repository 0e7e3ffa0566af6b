"""The circuit's inputs: tone (CS), shock (US) and the two contexts.

CS (thalamic / cortical tone input), US (shock: a high-rate burst over the
end of the tone, as in Kim, Pare & Nair 2013) and context A / B (ventral
hippocampus) are Poisson sources in one NeuronGroup (``inputs``) whose rates
follow the protocol's stimulus table ``stim`` (model/protocol.py):

    rate(t) = base_rate + on_rate * stim(t, stim_channel)

Input short-term depression (Tsodyks & Markram 1997 PNAS): every input neuron
carries a presynaptic resource ``x_res``; each spike uses a fraction U of it,
and every synapse leaving the input scales its conductance jump by
``x_res_pre`` (model/plasticity.py). It recovers with ``tau_dep`` in the
compressed session time and with ``tau_dep_slow`` (hours) on the slow clock,
over each session's real duration and the interval after it. For the CS this
is the NMDA-independent habituation of the tone pathway within a session:
no NMDA availability appears in it, so an antagonist spares the
within-session decline (Santini et al. 2001 J Neurosci).

With ``depression_recovery_real_min`` > 0 the resource recovers on the real
clock instead: one time constant, in real minutes, for sessions and intervals
alike. In a session the recovery runs ``real_per_sim`` times faster than the
simulated clock, the real seconds one simulated second of that session
stands for (model/protocol.py real_seconds_per_step), so the depression left
by one tone after a real inter-trial interval does not depend on how much
the session is compressed. The background
drive of the neurons (model/neurons.py) is not an input group: it is the
neurons' own Poisson process.
"""

from __future__ import annotations

import numpy as np

from .protocol import STIM_CHANNELS

EQUATIONS = """
rate = base_rate + on_rate*stim(t, stim_channel) : Hz
dx_res/dt = (1 - x_res)/tau_dep : 1
base_rate : Hz (constant)
on_rate : Hz (constant)
dep_U : 1 (constant)
tau_dep : second (constant)
tau_dep_slow : second (constant)
stim_channel : integer (constant)
dt_slow : second (shared, constant)
"""
# the same recovery on the real clock: real_per_sim is a TimedArray with one
# row per trial (model/protocol.py real_seconds_per_step)
EQUATIONS_REAL_TIME = EQUATIONS.replace(
    "dx_res/dt = (1 - x_res)/tau_dep : 1",
    "dx_res/dt = (1 - x_res)*real_per_sim(t)/tau_dep : 1")
THRESHOLD = "rand() < rate*dt"
# a spike uses the fraction U of the resource (Tsodyks & Markram 1997)
RESET = "x_res -= dep_U*x_res"
# recovery on the slow clock, exact for a step of dt_slow
RECOVERY = "x_res = 1 - (1 - x_res)*exp(-dt_slow/tau_dep_slow)"

# per-input-neuron variable: (config field, factor to SI)
FIELDS = {
    "base_rate": ("base_rate_Hz", 1.0),
    "on_rate": ("on_rate_Hz", 1.0),
    "dep_U": ("depression_U", 1.0),
    "tau_dep": ("depression_tau_s", 1.0),
    "tau_dep_slow": ("depression_recovery_tau_h", 3600.0),
}


def real_time_recovery(inputs) -> bool:
    """Whether the inputs' depression recovers on the real clock (structural)."""
    return any(p.depression_recovery_real_min > 0 for p in inputs.values())


def sizes(inputs) -> dict[str, int]:
    """Input sizes. Inputs are not scaled with ``network.scale``: they are
    cheap, and a tiny network must get the same number of input synapses per
    neuron as the full one."""
    return {name: p.n for name, p in inputs.items()}


def parameter_arrays(inputs, input_slices, n: int) -> dict[str, np.ndarray]:
    """Per-input-neuron run-time parameters (SI floats)."""
    out = {}
    for var, (field_name, factor) in FIELDS.items():
        values = np.zeros(n)
        for name, sl in input_slices.items():
            values[sl] = getattr(inputs[name], field_name)
        out[var] = values * factor
    if real_time_recovery(inputs):  # one real time constant, sessions and intervals
        for name, sl in input_slices.items():
            real_s = inputs[name].depression_recovery_real_min * 60.0
            if real_s > 0:
                out["tau_dep"][sl] = out["tau_dep_slow"][sl] = real_s
    return out


def stimulus_channels(input_slices, n: int) -> np.ndarray:
    """Which column of ``stim`` drives each input neuron (structural)."""
    channel = np.zeros(n, dtype=np.int32)
    for name, sl in input_slices.items():
        channel[sl] = STIM_CHANNELS.index(name)
    return channel
