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
within-session decline (Santini et al. 2001 J Neurosci). The background
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
    return out


def stimulus_channels(input_slices, n: int) -> np.ndarray:
    """Which column of ``stim`` drives each input neuron (structural)."""
    channel = np.zeros(n, dtype=np.int32)
    for name, sl in input_slices.items():
        channel[sl] = STIM_CHANNELS.index(name)
    return channel
