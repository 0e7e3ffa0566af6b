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
    from model.config import SynaptogenesisConfig

    sg = SynaptogenesisConfig()
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
