"""NMDA-calcium plasticity, event-driven, with tagging-and-capture consolidation.

Calcium (Graupner & Brunel 2012 PNAS; Shouval, Bear & Cooper 2002 PNAS)
-----------------------------------------------------------------------
Calcium enters only through NMDA receptors, so an antagonist removes it by
the same factor ``nmda_avail = 1 - occupancy`` that scales the NMDA current:

* a presynaptic spike adds ``C_pre * nmda_avail * B(v_post) / B(-50 mV)``
  (B, the Mg2+ block of :mod:`model.nmda`, at the configured [Mg2+]):
  glutamate opens NMDARs, and the Mg2+ block at the postsynaptic voltage
  decides how much calcium flows (Jahr & Stevens 1990);
* a postsynaptic spike adds ``C_post * nmda_avail * glu``, where ``glu`` is the
  glutamate-bound NMDAR fraction left by recent presynaptic spikes (decays
  with the NMDA time constant): the back-propagating spike relieves the block
  of receptors that are still bound (the coincidence detector);
* calcium decays with tau_Ca = 20 ms.

Efficacy rho (0..1) follows Graupner & Brunel (2012), eq. 1, without noise:

    tau drho/dt = gamma_p (1 - rho) H(c - theta_p) - gamma_d rho H(c - theta_d)

("DP" set: tau_Ca 20 ms, theta_d 1, theta_p 1.3, gamma_d 200, gamma_p 321.808,
tau 150 s). Between events c decays exponentially, so the time it spends
above a threshold theta after an event is known in closed form,
tau_Ca * ln(c/theta); each event credits the extra time above each threshold
that its calcium jump adds,

    T_theta = tau_Ca * [ln(max(c_new, theta)/theta) - ln(max(c_old, theta)/theta)],

which is exact for the total time above threshold of a piecewise-exponential
calcium trace. rho is updated with those times at each pre and post spike, so
no per-synapse equation runs on the 0.1 ms clock. The bistable drift of the
full model acts over minutes to hours and is replaced here by the explicit
consolidation below.

Consolidation in intervals (Frey & Morris 1997 synaptic tagging; Clopath et
al. 2008 PLoS Comput Biol)
---------------------------------------------------------------------------
``rho_stable`` is the consolidated efficacy; ``rho - rho_stable`` the early
change (the tag). During intervals, on a coarse clock:

    captured      = e * (1 - exp(-k_capture * drive * dt))
    rho_stable   += captured
    rho           = rho_stable + (e - captured) * exp(-dt / tau_early)

Neuromodulation by the shock (``shock``, a protocol TimedArray, see
:func:`model.protocol.shock_trace`) sets the learning rate of synapses onto a
population to ``plasticity_base + shock_gain * shock`` (>= 0). This is the
rule with ``plasticity.error_signal=false``, and for populations that set
``plasticity_base`` and ``shock_gain``: in LA the shock-evoked
neuromodulators (noradrenaline, dopamine) are needed, with Hebbian NMDA
calcium, for fear learning (Johansen et al. 2014 PNAS; three factor rules),
a small base and a positive gain; in IL, acute stress impairs plasticity
(Maroun & Richter-Levin 2003 J Neurosci; Izquierdo et al. 2006 J Neurosci),
a negative gain. By default LA, IL and BLA_ext learn from the prediction
error instead (model/teacher.py): LA from positive errors, IL and BLA_ext
from negative ones, with plasticity_base and shock_gain 0.

Synaptic proteins gate the expression of potentiation: gamma_p is times
``1 + protein_gain * (protein_post - 1)`` (depression is not gated), with
``protein`` the postsynaptic neuron's synaptic protein pool (1 at rest, never below; see
:mod:`model.synaptogenesis`). BDNF facilitates LTP (Figurov et al. 1996
Nature; Korte et al. 1995 PNAS) through mTORC1-dependent synthesis (Tang et
al. 2002 PNAS), and ketamine 24 h before extinction speeds it only while mPFC
mTORC1 is free (Girgenti et al. 2017 Neurobiol Dis). The gain is this model's
calibrated hypothesis; at 0 the rule is the plain one above. Because only
potentiation is gated, more protein raises the fixed point of rho under a
given calcium statistics, not just the speed of getting there.

Consolidation uses ``drive = (1 - cons_nmda * occupancy) * protein`` of the
postsynaptic neuron (its region's NMDA availability times the synaptic
protein pool of :mod:`model.synaptogenesis`, 1 at baseline): consolidation of
extinction needs NMDA-receptor-dependent activity after training
(Burgos-Robles et al. 2007 Neuron; Santini et al. 2001 J Neurosci), so an
antagonist present in the hours after a session leaves the early change to
decay instead of being captured (``cons_nmda`` 1). Amygdala fear memory needs
NMDARs for acquisition but not for consolidation (post-training APV in BLA,
Maren et al. 1996 Behav Neurosci; ifenprodil in LA, Rodrigues et al. 2001
J Neurosci; ketamine 25 mg/kg i.p., Clifton et al. 2018 J Psychopharmacol):
``cons_nmda`` 0 there, the population's ``consolidation_nmda``.
"""

from __future__ import annotations

from . import nmda

STATIC_EXC_MODEL = """
w_ampa : siemens (constant)
w_nmda : siemens (constant)
"""

STATIC_INH_MODEL = """
w_gaba : siemens (constant)
"""

STATIC_INH_ON_PRE = "g_gaba_post += w_gaba"

PLASTIC_MODEL = """
w_ampa : siemens (constant)
w_nmda : siemens (constant)
w_min_frac : 1 (constant)
rho : 1
rho_stable : 1
dca/dt = -ca/tau_ca : 1 (event-driven)
dglu/dt = -glu/tau_glu : 1 (event-driven)
tau_ca : second (shared, constant)
tau_glu : second (shared, constant)
theta_d : 1 (shared, constant)
theta_p : 1 (shared, constant)
gamma_d : 1 (shared, constant)
gamma_p : 1 (shared, constant)
tau_rho : second (shared, constant)
ca_amp_pre_spike : 1 (shared, constant)
ca_amp_post_spike : 1 (shared, constant)
learn : 1 (shared, constant)
protein_gain : 1 (shared, constant)
k_capture : 1/second (shared, constant)
tau_early : second (shared, constant)
dt_cons : second (shared, constant)
"""

# The update shared by pre and post events: credit the time above each
# threshold that the calcium jump (ca -> ca + dca) adds, move rho, then jump.
# log_time_above is ln(max(c_new, theta)/max(c_old, theta)): one logarithm,
# and none for the many events whose calcium stays below the threshold.
# (No "ca_old = ca" temporary: on the numpy target that is an alias of the
# array that "ca += ..." then changes in place.) ``GATE`` is 1, or
# ``exists`` for candidate synapses (absent ones do not learn).
_TIME_ABOVE = """
t_p = tau_ca*log_time_above(ca, ca + dca, theta_p)
t_d = tau_ca*log_time_above(ca, ca + dca, theta_d)"""
_RHO_UPDATE = _TIME_ABOVE + """
rho = clip(rho + GATE*learn*clip(plasticity_base_post + shock_gain_post*shock(t), 0, 1e9)*(gamma_p*(1 + protein_gain*(protein_post - 1))*(1 - rho)*t_p - gamma_d*rho*t_d)/tau_rho, 0, 1)
ca += dca
"""


# The same update for the three-factor rule (model/teacher.py): the change the
# calcium rule asks for is applied at once only at the population's
# error-free rate (``plasticity_base``) and is also added to an eligibility
# trace, which the prediction error turns into a change when it arrives.
_RHO_UPDATE_ELIGIBLE = _TIME_ABOVE + """
dh = GATE*(gamma_p*(1 + protein_gain*(protein_post - 1))*(1 - rho)*t_p - gamma_d*rho*t_d)/tau_rho
rho = clip(rho + learn*clip(plasticity_base_post + shock_gain_post*shock(t), 0, 1e9)*dh, 0, 1)
elig += dh
ca += dca
"""

def _rho_update(gate: str, eligible: bool) -> str:
    return (_RHO_UPDATE_ELIGIBLE if eligible else _RHO_UPDATE).replace("GATE", gate)


def exc_on_pre(release: str = "1", plastic: bool = False, gate: str = "1",
               eligible: bool = False) -> str:
    """on_pre code of an excitatory synapse; ``release`` scales transmission.

    ``eligible``: the three-factor form of the rule (an eligibility trace
    the prediction error converts; model/teacher.py)."""
    eff = "(w_min_frac + (1 - w_min_frac)*rho)" if plastic else "1"
    code = f"""
g_ampa_post += w_ampa*{eff}*{release}
g_nmda_post += w_nmda*{eff}*{release}
"""
    if plastic:
        code += """
glu += 1
dca = ca_amp_pre_spike*nmda_avail_post*B_post*""" + nmda.reference_block_inverse("Mg_post") + """
""" + _rho_update(gate, eligible)
    return code


def plastic_on_post(gate: str = "1", eligible: bool = False) -> str:
    return """
dca = ca_amp_post_spike*nmda_avail_post*glu
""" + _rho_update(gate, eligible)


PLASTIC_ON_POST = plastic_on_post()

# The drive of capture, per postsynaptic neuron, on the slow clock: its
# channel's NMDA availability (weighted by the population's cons_nmda) times
# its synaptic protein pool (model/synaptogenesis.py; 1 at baseline)
CONSOLIDATION_DRIVE = ("cons_drive = (1 - cons_nmda*" + nmda.slow_occupancy("nmda_channel")
                       + ")*protein")

CONSOLIDATION_CODE = """
e_early = rho - rho_stable
captured = e_early*(1 - exp(-k_capture*cons_drive_post*dt_cons))
rho_stable = rho_stable + captured
rho = rho_stable + (e_early - captured)*exp(-dt_cons/tau_early)
"""


# Consolidated changes that do not last: where the postsynaptic population's
# consolidated_decay_days is > 0, the consolidated efficacy also relaxes to
# the synapse's initial efficacy rho_rest over days, and the early change
# rides on it. Persistence of long-term potentiation depends on how it was
# induced: weakly induced late LTP decays over days, strongly induced LTP
# lasts months (Abraham 2003 Phil Trans R Soc B; Abraham et al. 2002
# J Neurosci). Extinction memory, learnt without shocks, is the weaker trace
# and recovers with time (spontaneous recovery: Quirk 2002 Learn Mem;
# Rescorla 2004 Learn Mem); fear memory in LA is not forgotten (its
# populations keep 0).
CONSOLIDATION_WITH_DECAY_CODE = """
e_early = rho - rho_stable
captured = e_early*(1 - exp(-k_capture*cons_drive_post*dt_cons))
rho_stable = rho_stable + captured
rho_stable = rho_rest + (rho_stable - rho_rest)*exp(-decay_rate_post*dt_cons)
rho = rho_stable + (e_early - captured)*exp(-dt_cons/tau_early)
"""
DECAY_SYNAPSE_VARIABLES = """
rho_rest : 1 (constant)
"""
DECAY_NEURON_VARIABLES = """
decay_rate : 1/second (constant)
"""


def consolidated_decay(populations) -> bool:
    """Whether any population forgets its consolidated changes (structural)."""
    return any(p.consolidated_decay_days > 0 for p in populations.values())


def decay_rates(populations, sizes):
    """Per-neuron decay rate (1/s) of consolidated changes onto each population."""
    import numpy as np

    return np.concatenate([
        np.full(sizes[name], 1.0 / (pop.consolidated_decay_days * 86400.0)
                if pop.consolidated_decay_days > 0 else 0.0)
        for name, pop in populations.items()])


def plastic_values(pl, dt_cons_s: float) -> dict:
    """Run-time values of a plastic projection's learning and capture constants (SI)."""
    return {
        "tau_ca": pl.tau_ca_ms * 1e-3,
        "tau_glu": pl.tau_glu_ms * 1e-3,
        "theta_d": pl.theta_d,
        "theta_p": pl.theta_p,
        "gamma_d": pl.gamma_d,
        "gamma_p": pl.gamma_p,
        "tau_rho": pl.tau_rho_s * 1.0,
        "ca_amp_pre_spike": pl.C_pre,
        "ca_amp_post_spike": pl.C_post,
        "learn": pl.learning_rate if pl.enabled else 0.0,
        "protein_gain": pl.protein_learning_gain,
        "k_capture": pl.capture_rate_per_h / 3600.0,
        "tau_early": pl.tau_early_h * 3600 * 1.0,
        "dt_cons": dt_cons_s,
    }


def gb_rate(ca, rho, theta_d=1.0, theta_p=1.3, gamma_d=200.0, gamma_p=321.808, tau=150.0):
    """Graupner-Brunel drho/dt (1/s) at fixed calcium, without drift and noise."""
    pot = gamma_p * (1 - rho) * (ca >= theta_p)
    dep = gamma_d * rho * (ca >= theta_d)
    return (pot - dep) / tau


def time_above(c_old, c_new, theta, tau_ca):
    """Extra time a decaying calcium trace spends above ``theta`` after a jump."""
    return tau_ca * float(log_time_above(c_old, c_new, theta))


_LOG_TIME_ABOVE_CPP = """
static inline double log_time_above(const double c_old, const double c_new, const double theta)
{
    return c_new > theta ? log(c_new / (c_old > theta ? c_old : theta)) : 0.0;
}
"""
_LOG_TIME_ABOVE_CYTHON = """
cdef double log_time_above(double c_old, double c_new, double theta):
    if c_new > theta:
        return log(c_new / (c_old if c_old > theta else theta))
    return 0.0
"""


def log_time_above(c_old, c_new, theta):
    """ln(max(c_new, theta)/max(c_old, theta)) for c_new >= c_old (numpy)."""
    import numpy as np

    c_old, c_new = np.asarray(c_old, dtype=float), np.asarray(c_new, dtype=float)
    return np.where(c_new > theta, np.log(np.maximum(c_new, theta)
                                          / np.maximum(c_old, theta)), 0.0)


def functions() -> dict:
    """The Brian2 function ``log_time_above`` for the synapses' namespace."""
    from brian2 import Function

    f = Function(log_time_above, arg_units=[1, 1, 1], return_unit=1,
                 arg_types=["float", "float", "float"], return_type="float", stateless=True)
    f.implementations.add_implementation("cpp", _LOG_TIME_ABOVE_CPP, name="log_time_above")
    f.implementations.add_implementation("cython", _LOG_TIME_ABOVE_CYTHON,
                                         name="log_time_above")
    return {"log_time_above": f}


def synapse_code(synapse_set: str) -> tuple[str, str, str | None]:
    """(model, on_pre, on_post) of one of the circuit's synapse sets."""
    release = "x_res_pre" if synapse_set.startswith("input") else "1"
    if synapse_set == "recurrent_inh":
        return STATIC_INH_MODEL, STATIC_INH_ON_PRE, None
    if synapse_set == "input_plastic":
        return PLASTIC_MODEL, exc_on_pre(release, plastic=True), PLASTIC_ON_POST
    return STATIC_EXC_MODEL, exc_on_pre(release), None
