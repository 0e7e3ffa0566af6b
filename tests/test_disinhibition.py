"""Interneuron NMDA receptors, disinhibition and the burst the BDNF chain reads."""

import numpy as np
import pytest

from model import disinhibition, synaptogenesis
from model.config import PopulationConfig


def _populations():
    return {"IL_E": PopulationConfig(region="IL", kind="E", n=400),
            "IL_I": PopulationConfig(region="IL", kind="I", n=100),
            "LA_E": PopulationConfig(region="LA", kind="E", n=800)}


def test_tonic_conductance_enters_the_nmda_current_once():
    from model import neurons

    eqs = disinhibition.neuron_equations(neurons.NEURON_EQS)
    assert eqs.count("(g_nmda + g_nmda_tonic)") == 1
    assert "g_nmda_tonic : siemens (constant)" in eqs
    with pytest.raises(ValueError, match="no NMDA term"):
        disinhibition.neuron_equations("dv/dt = -v/tau : volt")
    pops = _populations()
    pops["IL_I"].tonic_nmda_nS = 4.0
    g = disinhibition.tonic_conductances(pops, {"IL_E": 2, "IL_I": 3, "LA_E": 1})
    assert list(g) == [0, 0, 4e-9, 4e-9, 4e-9, 0]


def test_the_transfer_function_is_fitted_to_the_probe_rates():
    grid = disinhibition.probe_grid()
    assert tuple(grid[0]) == (0.0, 0.0)  # the no-drug point first
    # a circuit in which losing interneuron NMDA doubles principal firing and
    # losing principal NMDA lowers it: rate = 2 Hz * exp(0.7 i - 0.4 e)
    il_rate = 2.0 * np.exp(0.7 * grid[:, 1] - 0.4 * grid[:, 0])
    la_rate = np.full(len(grid), 3.0)  # no interneuron NMDA: no response
    rates = np.array([il_rate, 12.0 - 3 * grid[:, 1], la_rate])
    tf = disinhibition.fit_transfer(_populations(), ["IL", "LA"], rates,
                                    {"IL_E": 100, "IL_I": 25, "LA_E": 200})
    assert tf.ratio(0, 0.0, 0.0) == pytest.approx(1.0)
    assert tf.ratio(0, 0.62, 0.82) == pytest.approx(np.exp(0.7 * 0.82 - 0.4 * 0.62), rel=1e-9)
    assert tf.burst(0, 0.62, 0.82) == pytest.approx(np.exp(0.7 * 0.82 - 0.4 * 0.62) - 1)
    assert tf.burst(0, 0.9, 0.0) == 0.0  # less firing releases nothing
    assert tf.burst(1, 0.62, 0.82) == pytest.approx(0.0, abs=1e-12)
    assert tf.measured[0] == pytest.approx(il_rate / 2.0)


def test_burst_timeline_reads_each_regions_own_channels():
    grid = disinhibition.probe_grid()
    rates = np.array([2.0 * np.exp(grid[:, 1]), 10.0 + 0 * grid[:, 1], 3.0 + 0 * grid[:, 1]])
    tf = disinhibition.fit_transfer(_populations(), ["IL", "LA"], rates,
                                    {"IL_E": 100, "IL_I": 25, "LA_E": 200})
    channels = [("IL", "E"), ("IL", "I"), ("LA", "E")]
    occ = np.array([[0.0, 0.0, 0.0], [0.5, 0.8, 0.5], [0.0, 0.0, 0.9]])
    burst = disinhibition.burst_timeline(tf, occ, channels, ["IL", "LA"])
    assert burst[:, 0] == pytest.approx([0.0, np.exp(0.8) - 1, 0.0])
    assert burst[:, 1] == pytest.approx([0.0, 0.0, 0.0], abs=1e-12)


def test_the_chain_reads_the_circuit_burst_instead_of_the_formula():
    import dataclasses

    from experiments.config_store import default_config

    sg = dataclasses.replace(default_config().synaptogenesis, burst_from_circuit=False)
    assert synaptogenesis.BURST_FORMULA in synaptogenesis.chain_update(sg)
    sg.burst_from_circuit = True
    code = synaptogenesis.chain_update(sg)
    assert synaptogenesis.BURST_FORMULA not in code
    assert synaptogenesis.BURST_FROM_CIRCUIT in code
    # the numpy twin with a given burst: no burst, no BDNF
    n = 200
    zero = np.zeros(n)
    quiet = synaptogenesis.simulate_chain(sg, zero + 0.6, zero + 0.8, 1 / 30, burst=zero)
    assert quiet["bdnf"].max() == 0.0
    burst = np.where(np.arange(n) < 30, 0.5, 0.0)
    loud = synaptogenesis.simulate_chain(sg, zero, zero, 1 / 30, burst=burst)
    assert loud["bdnf"].max() > 0 and loud["protein"][-1] > 1.0


def _small_network_rates(tonic_nS, occ_e, occ_i, seed=3, settle_s=0.1, measure_s=0.4):
    """Mean rates (principal, interneuron) of a small E-I network of the model's neurons.

    80 principal cells and 20 interneurons with the model's background drive;
    principal cells excite the interneurons (AMPA only), interneurons inhibit
    the principal cells. Only the interneurons carry NMDA receptors, as the
    tonic conductance, so the block reaches the principal cells only through
    their inhibition.
    """
    import brian2 as b2

    from model import neurons, poisson

    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = 0.1 * b2.ms
    b2.seed(seed)
    ns = {"opto": b2.TimedArray(np.zeros((1, 2)) * b2.pA, dt=1 * b2.second),
          "shock": b2.TimedArray([0.0], dt=1 * b2.second),
          **poisson.functions()}
    eqs = (disinhibition.neuron_equations(neurons.NEURON_EQS)
           + "tau_activity : second (shared, constant)\n")
    g = b2.NeuronGroup(100, eqs, threshold=neurons.THRESHOLD, reset=neurons.RESET,
                       method="euler", namespace=ns)
    for _, code, dt_s, when in neurons.regular_updates("small", 0.005):
        g.run_regularly(code, dt=None if dt_s is None else dt_s * b2.second, when=when)
    principal, interneurons = g[:80], g[80:]
    g.inv_C, g.gL, g.EL = 1 / (200 * b2.pF), 10 * b2.nS, -70 * b2.mV
    g.Vt, g.Vr = -50 * b2.mV, -60 * b2.mV
    interneurons.inv_C = 1 / (100 * b2.pF)  # fast-spiking: smaller, faster cells
    g.tref, g.inv_tau_ad, g.nmda_scale, g.bg_w = 2 * b2.ms, 1 / (200 * b2.ms), 1.0, 1 * b2.nS
    g.tau_activity = 10 * b2.second
    interneurons.population = 1
    g.E_ampa = g.E_nmda = 0 * b2.mV
    g.E_gaba = -70 * b2.mV
    g.tau_ampa, g.tau_gaba, g.tau_nmda, g.Mg = 2 * b2.ms, 8 * b2.ms, 100 * b2.ms, 1 * b2.mM
    g.bg_rate, g.noise_seed = 1800 * b2.Hz, seed
    g.v = "-70*mV + rand()*15*mV"
    principal.nmda_avail = 1 - occ_e
    interneurons.nmda_avail = 1 - occ_i
    interneurons.g_nmda_tonic = tonic_nS * b2.nS
    e_to_i = b2.Synapses(principal, interneurons, on_pre="g_ampa_post += 1.0*nS")
    e_to_i.connect(p=0.2)
    i_to_e = b2.Synapses(interneurons, principal, on_pre="g_gaba_post += 1.0*nS")
    i_to_e.connect(p=0.5)
    mon = b2.SpikeMonitor(g)
    net = b2.Network(g, e_to_i, i_to_e, mon)
    net.run(settle_s * b2.second, namespace={})
    before = np.array(mon.count[:])
    net.run(measure_s * b2.second, namespace={})
    rate = (np.array(mon.count[:]) - before) / measure_s
    return rate[:80].mean(), rate[80:].mean()


def test_an_interneuron_preferring_block_disinhibits_a_small_network():
    # Homayoun & Moghaddam 2007: an NMDA antagonist lowers fast-spiking
    # interneuron firing and raises pyramidal firing. At ketamine-like
    # occupancies (interneurons 0.8, principal cells 0.1) the interneurons
    # lose their tonic NMDA drive and the principal cells fire more.
    e_rest, i_rest = _small_network_rates(5.0, 0.0, 0.0)
    e_block, i_block = _small_network_rates(5.0, 0.1, 0.8)
    assert i_block < 0.8 * i_rest
    assert e_block > 2.0 * e_rest
    # without interneuron NMDA the same block finds nothing to act on
    e_plain, i_plain = _small_network_rates(0.0, 0.0, 0.0)
    assert _small_network_rates(0.0, 0.1, 0.8) == pytest.approx((e_plain, i_plain))
