"""Conductance-based leaky integrate-and-fire neurons with adaptation.

Membrane equation (Brette & Gerstner 2005 AdEx without the exponential term,
i.e. a conductance-based LIF with subthreshold and spike-triggered adaptation):

    C dv/dt = gL (EL - v) + g_ampa (E_ampa - v) + g_gaba (E_gaba - v)
              + nmda_scale * nmda_avail * g_nmda * B(v) (E_nmda - v) + I_opto - w_ad
    tau_ad dw_ad/dt = a_ad (v - EL) - w_ad,    at a spike: v -> Vr, w_ad += b_ad

Synaptic conductances decay exponentially (AMPA 2 ms, GABA_A 8 ms, NMDA
100 ms; Brunel & Wang 2001; Wang 2002). The NMDA conductance is gated by the
voltage-dependent Mg2+ block of Jahr & Stevens (1990):

    B(v) = 1 / (1 + [Mg2+]/3.57 mM * exp(-0.062 v/mV))

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
"""

from __future__ import annotations

# Per-neuron parameters (all populations live in one NeuronGroup, so each
# neuron carries its population's values); synaptic constants are shared.
NEURON_EQS = """
dv/dt = (gL*(EL - v) + I_syn + I_opto - I_shock - w_ad) / C : volt (unless refractory)
I_opto = opto(t, population) : amp
I_shock = shock_current*shock(t) : amp
I_syn = g_ampa*(E_ampa - v) + g_gaba*(E_gaba - v) + I_nmda : amp
I_nmda = nmda_scale*nmda_avail*g_nmda*B*(E_nmda - v) : amp
B = 1/(1 + Mg/(3.57*mM)*exp(-0.062*v/mV)) : 1
dg_ampa/dt = -g_ampa/tau_ampa : siemens
dg_gaba/dt = -g_gaba/tau_gaba : siemens
dg_nmda/dt = -g_nmda/tau_nmda : siemens
dw_ad/dt = (a_ad*(v - EL) - w_ad)/tau_ad : amp
dactivity/dt = -activity/tau_activity : 1
nmda_avail : 1
cons_drive : 1
C : farad (constant)
gL : siemens (constant)
EL : volt (constant)
Vt : volt (constant)
Vr : volt (constant)
tref : second (constant)
a_ad : siemens (constant)
b_ad : amp (constant)
tau_ad : second (constant)
nmda_scale : 1 (constant)
bg_w : siemens (constant)
nmda_channel : integer (constant)
population : integer (constant)
plasticity_base : 1 (constant)
shock_current : amp (constant)
shock_gain : 1 (constant)
E_ampa : volt (shared, constant)
E_nmda : volt (shared, constant)
E_gaba : volt (shared, constant)
tau_ampa : second (shared, constant)
tau_gaba : second (shared, constant)
tau_nmda : second (shared, constant)
Mg : mol/meter**3 (shared, constant)
"""

THRESHOLD = "v > Vt"
# activity: the neuron's rate in Hz, low-passed (gates spine formation)
RESET = "v = Vr; w_ad += b_ad; activity += 1*second/tau_activity"
REFRACTORY = "tref"


def mg_block(v_mV, mg_mM=1.0):
    """Jahr & Stevens (1990) unblocked fraction at membrane potential v (mV)."""
    import numpy as np

    return 1.0 / (1.0 + mg_mM / 3.57 * np.exp(-0.062 * np.asarray(v_mV, dtype=float)))


POPULATION_FIELDS = {  # variable: (config field, unit name)
    "C": ("C_pF", "pF"), "gL": ("gL_nS", "nS"), "EL": ("EL_mV", "mV"),
    "Vt": ("Vt_mV", "mV"), "Vr": ("Vr_mV", "mV"), "tref": ("tref_ms", "ms"),
    "a_ad": ("a_adapt_nS", "nS"), "b_ad": ("b_adapt_pA", "pA"),
    "tau_ad": ("tau_adapt_ms", "ms"), "nmda_scale": ("nmda_scale", None),
    "bg_w": ("bg_w_nS", "nS"), "plasticity_base": ("plasticity_base", None),
    "shock_gain": ("shock_gain", None), "shock_current": ("shock_current_pA", "pA"),
}


def population_arrays(populations, sizes) -> dict:
    """Per-neuron parameter arrays (SI floats), populations in config order."""
    import numpy as np

    factors = {"pF": 1e-12, "nS": 1e-9, "mV": 1e-3, "ms": 1e-3, "pA": 1e-12, None: 1.0}
    out = {}
    for var, (fname, unit) in POPULATION_FIELDS.items():
        out[var] = np.concatenate([
            np.full(sizes[name], getattr(pop, fname) * factors[unit])
            for name, pop in populations.items()])
    return out


def synaptic_constants(syn) -> dict:
    """Shared synaptic constants of the neuron group, with units."""
    from brian2 import mM, ms, mV

    return {
        "E_ampa": syn.E_ampa_mV * mV,
        "E_nmda": syn.E_nmda_mV * mV,
        "E_gaba": syn.E_gaba_mV * mV,
        "tau_ampa": syn.tau_ampa_ms * ms,
        "tau_gaba": syn.tau_gaba_ms * ms,
        "tau_nmda": syn.tau_nmda_decay_ms * ms,
        "Mg": syn.Mg_mM * mM,
    }
