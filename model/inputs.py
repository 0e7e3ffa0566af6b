"""The circuit's inputs: tone (CS), shock (US) and the three contexts.

CS (thalamic / cortical tone input), US (shock: a high-rate burst over the
end of the tone, as in Kim, Pare & Nair 2013) and contexts A, B and C
(ventral hippocampus; C is silent outside its own sessions) are Poisson
sources in one NeuronGroup (``inputs``) whose rates follow the protocol's
stimulus table ``stim`` (model/protocol.py):

    rate(t) = base_rate + on_rate * stim(t, stim_channel)

Input short-term depression (Tsodyks & Markram 1997 PNAS): every input neuron
carries a presynaptic resource ``x_res``; each spike uses a fraction U of it,
and every synapse leaving the input scales its conductance jump by
``x_res_pre`` (model/plasticity.py). For the CS this is the NMDA-independent
habituation of the tone pathway within a session: no NMDA availability
appears in it, so an antagonist spares the within-session decline (Santini
et al. 2001 J Neurosci).

With ``depression_recovery_real_min`` > 0, as for the CS by default, the
resource recovers on the real clock: one time constant, in real minutes, for
sessions and intervals alike. In a session the recovery runs ``real_per_sim``
times faster than the simulated clock, the real seconds one simulated second
of that session stands for (model/protocol.py real_seconds_per_step), so the
depression left by one tone after a real inter-trial interval does not depend
on how much the session is compressed. With it 0 the resource recovers with
``tau_dep`` in the compressed session time and with ``tau_dep_slow`` (hours)
on the slow clock, over each session's real duration and the interval after
it. The background drive of the neurons (model/neurons.py) is not an input
group: it is the neurons' own Poisson process.
"""

from __future__ import annotations

import numpy as np

from . import cs_minus
from .protocol import STIM_CHANNELS, STIM_DT_S

EQUATIONS = """
rate : Hz
x_res : 1
base_rate : Hz (constant)
on_rate : Hz (constant)
dep_U : 1 (constant)
dep_step_decay : 1 (constant)
tau_dep_slow : second (constant)
stim_channel : integer (constant)
population : integer (constant)
noise_seed : integer (shared, constant)
dt_slow : second (shared, constant)
"""
# the rate follows the stimulus table, which steps on its 5 ms grid
# (model/protocol.py STIM_DT_S): it is read there, not every 0.1 ms step
RATE = "rate = base_rate + on_rate*stim(t, stim_channel)"
# the recovery on the real clock: real_per_sim is a TimedArray with one row
# per trial (model/protocol.py real_seconds_per_step), integrated as an
# equation instead of the per-step decay (RECOVERY_STEP) of fixed ratio
EQUATIONS_REAL_TIME = EQUATIONS.replace(
    "x_res : 1\n", "dx_res/dt = (1 - x_res)*real_per_sim(t)/tau_dep : 1\n").replace(
    "dep_step_decay : 1 (constant)", "tau_dep : second (constant)")
# a spike in a step with probability rate*dt, from the counter-based
# uniform numbers of model/poisson.py
THRESHOLD = "input_uniform(i, t_in_timesteps, noise_seed) < rate*dt"
# a spike uses the fraction U of the resource (Tsodyks & Markram 1997)
RESET = "x_res -= dep_U*x_res"
# recovery in sessions, every step in the groups slot (where a state update
# would run): dx_res/dt = (1 - x_res)/tau_dep integrated exactly, with the
# step's decay exp(-dt/tau_dep) computed once per run (dep_step_decay)
RECOVERY_STEP = "x_res = 1 - (1 - x_res)*dep_step_decay"
# recovery on the slow clock, exact for a step of dt_slow
RECOVERY = "x_res = 1 - (1 - x_res)*exp(-dt_slow/tau_dep_slow)"

# per-input-neuron variable: (config field, factor to SI)
FIELDS = {
    "base_rate": ("base_rate_Hz", 1.0),
    "on_rate": ("on_rate_Hz", 1.0),
    "dep_U": ("depression_U", 1.0),
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


def _per_input(inputs, input_slices, n: int, field_name: str) -> np.ndarray:
    values = np.zeros(n)
    for name, sl in input_slices.items():
        values[sl] = getattr(inputs[name], field_name)
    return values


def parameter_arrays(inputs, input_slices, n: int, dt_s: float) -> dict[str, np.ndarray]:
    """Per-input-neuron run-time parameters (SI floats) for time step ``dt_s``."""
    out = {var: _per_input(inputs, input_slices, n, field_name) * factor
           for var, (field_name, factor) in FIELDS.items()}
    tau_dep = _per_input(inputs, input_slices, n, "depression_tau_s")
    if not real_time_recovery(inputs):
        out["dep_step_decay"] = np.exp(-dt_s / np.where(tau_dep > 0, tau_dep, np.inf))
        return out
    # one real time constant, sessions and intervals (EQUATIONS_REAL_TIME)
    for name, sl in input_slices.items():
        real_s = inputs[name].depression_recovery_real_min * 60.0
        if real_s > 0:
            tau_dep[sl] = out["tau_dep_slow"][sl] = real_s
    out["tau_dep"] = tau_dep
    return out


def regular_updates(real_time: bool = False) -> list:
    """(name, code, dt in s or None, when): the rate on the stimulus grid, at the
    start of its steps; the recovery every step, in the groups slot (on the
    real clock the recovery is the state update of EQUATIONS_REAL_TIME)."""
    rate = [("inputs_rate", RATE, STIM_DT_S, "start")]
    return rate if real_time else rate + [("inputs_recovery", RECOVERY_STEP, None, "groups")]


def stimulus_channels(input_slices, n: int) -> np.ndarray:
    """Which column of ``stim`` drives each input neuron (structural)."""
    channel = np.zeros(n, dtype=np.int32)
    for name, sl in input_slices.items():
        channel[sl] = cs_minus.CHANNEL if name == cs_minus.NAME else STIM_CHANNELS.index(name)
    return channel
