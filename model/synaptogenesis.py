"""BDNF -> TrkB -> mTORC1 -> synaptic proteins -> spine formation.

Slow variables per neuron, on the slow network's clock (protocol time, minutes
to weeks; docs/model.md, section 11). Drives come from NMDA-receptor occupancy of the
neuron's region (``occ_slow``, a TimedArray on protocol time):

* Disinhibition burst (Homayoun & Moghaddam 2007 J Neurosci; Moghaddam et al.
  1997): blocking interneuron NMDARs, which are more sensitive, disinhibits
  pyramidal cells and releases glutamate. The burst needs free pyramidal
  NMDARs/AMPARs downstream and fails at anaesthetic doses, where principal
  NMDARs are blocked too (Li et al. 2010 Science: no synaptogenesis at
  80 mg/kg), so

      burst = occ_I * (1 - occ_E)**burst_exponent

* BDNF translation at rest (Autry et al. 2011 Nature): blocking NMDARs at rest
  de-suppresses eEF2 and raises the BDNF pool; release is activity-dependent:

      tau_pool dpool/dt = 1 + k_translation * occ_E - pool
      tau_bdnf dbdnf/dt = k_release * burst * pool + infusion_bdnf - bdnf

* TrkB activation with ligand-induced down-regulation (internalisation and
  degradation of BDNF-bound TrkB), so that mTORC1 signalling is transient
  (peak ~1 h, baseline by ~2 h; Li et al. 2010). BDNF down-regulates TrkB
  and leaves neurons refractory to it for hours (Frank et al. 1996 Eur J
  Neurosci 8:1220; Knusel et al. 1997 Neuroscience 78:851; Sommerfeld et al.
  2000 J Biol Chem 275:8982; Proenca et al. 2016 J Neurochem 138:397: surface
  TrkB halves over 2-3 h of BDNF). ``desens`` is the fraction of TrkB lost
  from the surface. Mass action: surface receptors are lost at a rate
  proportional to BDNF times the receptors still there, and return at the
  rate 1/tau_desens (recycling and synthesis):

      trkb = bdnf * (1 - desens) * (1 - trkb_block)
      tau_desens ddesens/dt = k_desens * bdnf * (1 - desens) - desens

  For a constant BDNF level b the steady state is desens = k b / (1 + k b),
  trkb = b / (1 + k b) (k = k_desens), which rises with b over the whole
  range. Onset is faster the more BDNF there is (time constant
  tau_desens / (1 + k b)); recovery takes tau_desens.
      tau_mtor dmtor/dt = trkb * (1 - rapamycin) * (1 - clip(suppression, 0, 1)) - mtor
      tau_suppression dsuppression/dt = k_suppression * occ_E**4 - suppression

  ``suppression`` is this model's hypothesis for the inverted U, not an
  established mechanism: near-complete block of principal-cell NMDARs
  (anaesthetic doses; glutamate efflux falls instead of rising, Moghaddam et
  al. 1997 J Neurosci) leaves a state that lasts hours and keeps mTORC1 from
  responding to the BDNF released as the drug washes out, so 80 mg/kg gives
  no synaptogenesis (Li et al. 2010). The fourth power makes it negligible at
  antidepressant occupancies.
* Translation of synaptic proteins (a delay stage), then the synaptic
  protein pool (rises from ~2 h, decays over 24-72 h):

      tau_translation dtranslation/dt = mtor - translation
      tau_protein dprotein/dt = 1 + k_protein * translation - protein

* Spines: a pre-allocated pool of candidate synapses (Brian2 cannot create
  synapses during a run: https://github.com/brian-team/brian2/issues/166)
  with an on/off variable ``exists``. Each slow step a free candidate forms with probability
  ``k_form * protein * activity_gate * dt`` and an existing one is eliminated
  with probability ``k_elim * (1 - stability) * dt``, where stability grows
  with its efficacy rho: new synapses start weak (``rho_new``) and are
  stabilised by NMDA-dependent potentiation or pruned (Moda-Sava et al. 2019
  Science; Phoumthipphavong et al. 2016 eNeuro: the ketamine-induced rise
  comes from more formation, not less elimination). At baseline the existing
  fraction is k_form / (k_form + k_elim).

``activity_gate`` = clip(activity / activity_ref, 0, gate_max) where
``activity`` is the postsynaptic neuron's rate (Hz, low-passed over
``activity_tau_s`` during sessions); after a session it relaxes back to
``activity_ref`` over ``activity_relax_h`` (intervals have no spikes), so
what a neuron did in a session gates its spine formation in the following
hours (silenced neurons form fewer spines).
"""

from __future__ import annotations

from . import manipulations, nmda

# The chain on the slow clock: each stage relaxes to its target exactly for
# inputs held over the step, x <- target + (x - target) exp(-dt/tau), so the
# step (plasticity.consolidation_dt_min, 2 min) is accurate for time constants
# of tens of minutes. TrkB down-regulation is linear in desens for a held
# bdnf, so it has the same exact step, with target k b / (1 + k b) and time
# constant tau_desens / (1 + k b). Run by a slow-network CodeRunner because the
# variables live on the neuron group of the spiking network.
CHAIN_UPDATE = f"""
occ_E = {nmda.slow_occupancy("nmda_channel_E")}
occ_I = {nmda.slow_occupancy("nmda_channel_I")}
burst = occ_I*(1 - occ_E)**burst_exponent
rapamycin = {manipulations.infusion_level("rapamycin", "region_index")}
trkb_block = {manipulations.infusion_level("trkb_block", "region_index")}
infusion_bdnf = {manipulations.infusion_level("bdnf", "region_index")}
trkb = bdnf*(1 - desens)*(1 - trkb_block)
pool = (1 + k_translation*occ_E) + (pool - (1 + k_translation*occ_E))*exp(-dt_chain/tau_pool)
bdnf = (k_release*burst*pool + infusion_bdnf) + (bdnf - (k_release*burst*pool + infusion_bdnf))*exp(-dt_chain/tau_bdnf)
desens = k_desens*bdnf/(1 + k_desens*bdnf) + (desens - k_desens*bdnf/(1 + k_desens*bdnf))*exp(-dt_chain*(1 + k_desens*bdnf)/tau_desens)
suppression = k_suppression*occ_E**4 + (suppression - k_suppression*occ_E**4)*exp(-dt_chain/tau_suppression)
mtor = trkb*(1 - rapamycin)*(1 - clip(suppression, 0, 1)) + (mtor - trkb*(1 - rapamycin)*(1 - clip(suppression, 0, 1)))*exp(-dt_chain/tau_mtor)
translation = mtor + (translation - mtor)*exp(-dt_chain/tau_translation)
protein = (1 + k_protein*translation) + (protein - (1 + k_protein*translation))*exp(-dt_chain/tau_protein)
activity = activity_ref + (activity - activity_ref)*exp(-dt_chain/tau_activity_relax)
"""

# With synaptogenesis.burst_from_circuit the burst is read from the protocol
# table burst_slow (one column per region), the circuit's own excess principal
# firing at the occupancy of that moment (model/disinhibition.py).
BURST_FORMULA = "burst = occ_I*(1 - occ_E)**burst_exponent"
BURST_FROM_CIRCUIT = "burst = burst_slow(t_protocol, region_index)"


def chain_update(sg) -> str:
    """The chain's slow update, with the burst of the configured source."""
    if sg.burst_from_circuit:
        assert BURST_FORMULA in CHAIN_UPDATE
        return CHAIN_UPDATE.replace(BURST_FORMULA, BURST_FROM_CIRCUIT)
    return CHAIN_UPDATE


# i.e. the spiking network's, so the slow network keeps its own time here.
NEURON_CHAIN_VARS = """
t_protocol : second (shared)
pool : 1
bdnf : 1
desens : 1
suppression : 1
mtor : 1
translation : 1
protein : 1
nmda_channel_E : integer (constant)
nmda_channel_I : integer (constant)
region_index : integer (constant)
k_translation : 1 (shared, constant)
k_suppression : 1 (shared, constant)
k_desens : 1 (shared, constant)
tau_suppression : second (shared, constant)
k_release : 1 (shared, constant)
burst_exponent : 1 (shared, constant)
k_protein : 1 (shared, constant)
tau_pool : second (shared, constant)
tau_bdnf : second (shared, constant)
tau_desens : second (shared, constant)
tau_mtor : second (shared, constant)
tau_protein : second (shared, constant)
tau_translation : second (shared, constant)
dt_chain : second (shared, constant)
tau_activity : second (shared, constant)
tau_activity_relax : second (shared, constant)
activity_ref : 1 (shared, constant)
"""

# candidate synapses: the plastic model plus existence and formation counts
CANDIDATE_VARS = """
exists : 1
n_formed : 1
k_form : 1/second (shared, constant)
k_elim : 1/second (shared, constant)
rho_new : 1 (shared, constant)
rho_stable_level : 1 (shared, constant)
gate_max : 1 (shared, constant)
"""

SPINE_UPDATE = """
gate = clip(activity_post/activity_ref_post, 0, gate_max)
stability = clip((rho - rho_new)/(rho_stable_level - rho_new), 0, 1)
formed = int(exists < 0.5 and rand() < k_form*protein_post*gate*dt_cons)
pruned = int(exists > 0.5 and rand() < k_elim*(1 - stability)*dt_cons)
rho = rho*(1 - formed) + rho_new*formed
rho_stable = rho_stable*(1 - formed) + rho_new*formed
n_formed += formed
exists = clip(exists + formed - pruned, 0, 1)
"""


def chain_values(sg) -> dict:
    """Run-time values of the chain's constants (SI)."""
    hour = 3600 * 1.0
    return {
        "k_translation": sg.k_translation,
        "k_suppression": sg.k_suppression,
        "k_desens": sg.k_desens,
        "tau_suppression": sg.tau_suppression_h * hour,
        "k_release": sg.k_release,
        "burst_exponent": sg.burst_exponent,
        "k_protein": sg.k_protein,
        "tau_pool": sg.tau_pool_h * hour,
        "tau_bdnf": sg.tau_bdnf_h * hour,
        "tau_desens": sg.tau_desens_h * hour,
        "tau_mtor": sg.tau_mtor_h * hour,
        "tau_protein": sg.tau_protein_h * hour,
        "tau_translation": sg.tau_translation_h * hour,
        "tau_activity": sg.activity_tau_s * 1.0,
        "tau_activity_relax": sg.activity_relax_h * hour,
        "activity_ref": sg.activity_ref,
    }


def candidate_values(sg) -> dict:
    """Run-time values of spine turnover (SI)."""
    day = 86400 * 1.0
    return {
        "k_form": sg.formation_per_day / day,
        "k_elim": sg.elimination_per_day / day,
        "rho_new": sg.rho_new,
        "rho_stable_level": sg.rho_fully_stable,
        "gate_max": sg.gate_max,
    }


def baseline_fraction(sg) -> float:
    """Steady-state fraction of existing candidates with baseline proteins."""
    return sg.formation_per_day / (sg.formation_per_day + sg.elimination_per_day)


def simulate_chain(sg, occ_E, occ_I, dt_h, rapamycin=0.0, trkb_block=0.0, infusion=0.0,
                   burst=None):
    """Numpy twin of CHAIN_UPDATE (same update order, same exact steps).

    occ_E, occ_I: arrays on a grid of step dt_h (hours). ``burst``: the burst
    on the same grid (the circuit's, model/disinhibition.py); None: the
    occupancy formula. Returns a dict of arrays (pool, bdnf, desens,
    suppression, mtor, translation, protein, trkb).
    """
    import numpy as np

    n = len(occ_E)
    names = ("pool", "bdnf", "desens", "suppression", "mtor", "translation", "protein", "trkb")
    out = {k: np.zeros(n) for k in names}
    pool, bdnf, desens, sup, mtor, trans, protein = 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0
    def relax(x, target, tau_h):
        return target + (x - target) * np.exp(-dt_h / tau_h)

    for k in range(n):
        b = occ_I[k] * (1 - occ_E[k]) ** sg.burst_exponent if burst is None else burst[k]
        trkb = bdnf * (1 - desens) * (1 - trkb_block)
        pool = relax(pool, 1 + sg.k_translation * occ_E[k], sg.tau_pool_h)
        bdnf = relax(bdnf, sg.k_release * b * pool + infusion, sg.tau_bdnf_h)
        kb = sg.k_desens * bdnf
        desens = relax(desens, kb / (1 + kb), sg.tau_desens_h / (1 + kb))
        sup = relax(sup, sg.k_suppression * occ_E[k] ** 4, sg.tau_suppression_h)
        mtor = relax(mtor, trkb * (1 - rapamycin) * (1 - min(max(sup, 0), 1)), sg.tau_mtor_h)
        trans = relax(trans, mtor, sg.tau_translation_h)
        protein = relax(protein, 1 + sg.k_protein * trans, sg.tau_protein_h)
        for name, value in zip(names, (pool, bdnf, desens, sup, mtor, trans, protein, trkb),
                               strict=True):
            out[name][k] = value
    return out
