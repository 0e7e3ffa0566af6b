"""Conductance-based leaky integrate-and-fire neurons with adaptation.

Membrane equation (Brette & Gerstner 2005 AdEx without the exponential term,
i.e. a conductance-based LIF with subthreshold and spike-triggered adaptation):

    C dv/dt = gL (EL - v) + g_ampa (E_ampa - v) + g_gaba (E_gaba - v)
              + nmda_scale * nmda_avail * g_nmda * B(v) (E_nmda - v) + I_opto - w_ad
    tau_ad dw_ad/dt = a_ad (v - EL) - w_ad,    at a spike: v -> Vr, w_ad += b_ad

Synaptic conductances decay exponentially (AMPA 2 ms, GABA_A 8 ms, NMDA
100 ms; Brunel & Wang 2001; Wang 2002). The NMDA conductance is gated by the
voltage-dependent Mg2+ block of Jahr & Stevens (1990), B(v) of
:mod:`model.nmda`.

``nmda_avail`` = 1 - occupancy of the NMDA receptors by an antagonist, read
from a TimedArray per (region, cell kind) channel, so a blockade acts on the
current and on learning calcium (see :mod:`model.plasticity`) by the same
number. ``I_opto`` is an optogenetic-like current per population from a
TimedArray (silencing: negative, e.g. ArchT; stimulation: positive).
``I_shock`` lowers the excitability of chosen populations while the
shock-evoked trace lasts (model/protocol.py shock_trace): fear conditioning
reduces IL intrinsic excitability (Santini, Quirk & Porter 2008 J Neurosci).
Parameters are ``(shared, constant)`` so that standalone
``run_args`` can change them without a rebuild.

Background: every neuron receives a Poisson train of AMPA conductance jumps
(``bg_w`` each, rate ``bg_rate``), the summed activity of cells outside the
model (Brunel 2000; Destexhe et al. 2003). Each step adds ``bg_w`` times the
number of events of that step, a Poisson count of mean ``bg_rate*dt`` read
from the counter-based random numbers of :mod:`model.poisson`: exact in
distribution, all events of a step delivered in it, and no random-number
state, so the loop over neurons is vector code.

Written for speed (experiments/bench/runner.py profiles it; BENCHMARKS.md): the
membrane update has no branch, no table lookup and no division by a
per-neuron value (it multiplies by ``inv_C`` and ``inv_tau_ad``), so the
compiler vectorises it, exponential included. Refractoriness multiplies dv/dt by
``int(t >= t_free)`` (v frozen until ``t_free``, the same steps as Brian2's
``(unless refractory)``), and the optogenetic and shock currents, which
change only on the 5 ms stimulus grid, are read into ``I_ext`` on that grid.
"""

from __future__ import annotations

from . import nmda, poisson

# Per-neuron parameters (all populations live in one NeuronGroup, so each
# neuron carries its population's values); synaptic constants are shared.
NEURON_EQS = f"""
dv/dt = (gL*(EL - v) + I_syn + I_ext - w_ad)*inv_C*int(t >= t_free) : volt
I_syn = g_ampa*(E_ampa - v) + g_gaba*(E_gaba - v) + I_nmda : amp
I_nmda = nmda_scale*nmda_avail*g_nmda*B*(E_nmda - v) : amp
B = {nmda.mg_block_expression("v", "Mg")} : 1
dg_ampa/dt = -g_ampa/tau_ampa : siemens
dg_gaba/dt = -g_gaba/tau_gaba : siemens
dg_nmda/dt = -g_nmda/tau_nmda : siemens
dw_ad/dt = (a_ad*(v - EL) - w_ad)*inv_tau_ad : amp
dactivity/dt = -activity/tau_activity : 1
nmda_avail : 1
cons_drive : 1
I_ext : amp
t_free : second
inv_C : 1/farad (constant)
gL : siemens (constant)
EL : volt (constant)
Vt : volt (constant)
Vr : volt (constant)
tref : second (constant)
a_ad : siemens (constant)
b_ad : amp (constant)
inv_tau_ad : 1/second (constant)
nmda_scale : 1 (constant)
bg_w : siemens (constant)
nmda_channel : integer (constant)
population : integer (constant)
plasticity_base : 1 (constant)
shock_current : amp (constant)
shock_gain : 1 (constant)
cons_nmda : 1 (constant)
bg_rate : Hz (shared, constant)
noise_seed : integer (shared, constant)
E_ampa : volt (shared, constant)
E_nmda : volt (shared, constant)
E_gaba : volt (shared, constant)
tau_ampa : second (shared, constant)
tau_gaba : second (shared, constant)
tau_nmda : second (shared, constant)
Mg : mol/meter**3 (shared, constant)
"""

THRESHOLD = "v > Vt"
# activity: the neuron's rate in Hz, low-passed (gates spine formation).
# t_free: v stays at Vr for round(tref/dt) steps, as with Brian2's refractoriness
RESET = ("v = Vr; w_ad += b_ad; activity += 1*second/tau_activity; "
         "t_free = t + tref - 0.5*dt")
# I_opto - I_shock: both TimedArrays step on the 5 ms stimulus grid
# (model/protocol.py STIM_DT_S), so reading them on that grid is exact
EXTERNAL_CURRENT = "I_ext = opto(t, population) - shock_current*shock(t)"
_BG_STATEMENTS, _BG_COUNT = poisson.count_code("bg_rate*dt", "noise_seed", prefix="bg")
BACKGROUND = f"{_BG_STATEMENTS}\ng_ampa += bg_w*{_BG_COUNT}"


def regular_updates(name: str, stim_dt_s: float, on_grid: tuple = ()) -> list:
    """The group's run_regularly operations: (name, code, dt in s or None, when).

    The external current is read on the stimulus grid ``stim_dt_s`` (its
    TimedArrays step there), with any other ``on_grid`` code of the same
    time step; the background runs every step, in the synapses slot.
    """
    return [(f"{name}_external", "\n".join([EXTERNAL_CURRENT, *on_grid]), stim_dt_s, "start"),
            (f"{name}_background", BACKGROUND, None, "synapses")]


def neuron_group(n: int, extra_eqs: str, namespace: dict, name: str = "neurons",
                 stim_dt_s: float | None = None):
    """The model's NeuronGroup with its external-current and background updaters.

    ``namespace`` must hold the TimedArrays ``opto`` and ``shock``;
    ``stim_dt_s`` is their time step (default: model/protocol.py STIM_DT_S).
    """
    import brian2 as b2

    from .protocol import STIM_DT_S

    ns = {**namespace, **poisson.functions()}
    g = b2.NeuronGroup(n, NEURON_EQS + extra_eqs, threshold=THRESHOLD, reset=RESET,
                       method="euler", namespace=ns, name=name)
    for op_name, code, dt_s, when in regular_updates(name, stim_dt_s or STIM_DT_S):
        g.run_regularly(code, dt=None if dt_s is None else dt_s * b2.second, when=when,
                        name=op_name)
    return g


# variable: (config field, unit name); inv_C and inv_tau_ad are the
# reciprocals of the configured capacitance and adaptation time constant
POPULATION_FIELDS = {
    "inv_C": ("C_pF", "pF"), "gL": ("gL_nS", "nS"), "EL": ("EL_mV", "mV"),
    "Vt": ("Vt_mV", "mV"), "Vr": ("Vr_mV", "mV"), "tref": ("tref_ms", "ms"),
    "a_ad": ("a_adapt_nS", "nS"), "b_ad": ("b_adapt_pA", "pA"),
    "inv_tau_ad": ("tau_adapt_ms", "ms"), "nmda_scale": ("nmda_scale", None),
    "bg_w": ("bg_w_nS", "nS"), "plasticity_base": ("plasticity_base", None),
    "shock_gain": ("shock_gain", None), "shock_current": ("shock_current_pA", "pA"),
    "cons_nmda": ("consolidation_nmda", None),
}


# config unit name: factor to SI (None = dimensionless)
TO_SI = {"pF": 1e-12, "nS": 1e-9, "mV": 1e-3, "ms": 1e-3, "pA": 1e-12, None: 1.0}


def population_arrays(populations, sizes) -> dict:
    """Per-neuron parameter arrays (SI floats), populations in config order."""
    import numpy as np

    out = {}
    for var, (fname, unit) in POPULATION_FIELDS.items():
        values = np.concatenate([np.full(sizes[name], getattr(pop, fname) * TO_SI[unit])
                                 for name, pop in populations.items()])
        out[var] = 1.0 / values if var.startswith("inv_") else values
    return out


def synaptic_constants(syn) -> dict:
    """Shared synaptic constants of the neuron group (SI floats)."""
    return {
        "E_ampa": syn.E_ampa_mV * 1e-3,
        "E_nmda": syn.E_nmda_mV * 1e-3,
        "E_gaba": syn.E_gaba_mV * 1e-3,
        "tau_ampa": syn.tau_ampa_ms * 1e-3,
        "tau_gaba": syn.tau_gaba_ms * 1e-3,
        "tau_nmda": syn.tau_nmda_decay_ms * 1e-3,
        "Mg": syn.Mg_mM * 1.0,  # mM = mol/m**3
    }
