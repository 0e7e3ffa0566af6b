"""Each mechanism against its published behaviour."""

import math

import numpy as np
import pytest

from model import neurons, nmda, plasticity


def test_mg_block_matches_jahr_stevens_values():
    # 1 / (1 + [Mg]/3.57 mM * exp(-0.062 V)), [Mg] = 1 mM (Jahr & Stevens 1990),
    # evaluated by hand; half the channels are unblocked near -20 mV
    expected = {-80.0: 0.0244, -60.0: 0.0796, -40.0: 0.2302, -20.0: 0.5080, 0.0: 0.7812}
    for v, b in expected.items():
        assert nmda.mg_block(v) == pytest.approx(b, abs=5e-4)
    v = np.linspace(-100, 40, 50)
    assert np.all(np.diff(nmda.mg_block(v)) > 0)  # unblocks with depolarisation
    assert nmda.mg_block(-40, mg_mM=2.0) < nmda.mg_block(-40, mg_mM=1.0)


def _neuron_group(n):
    """The model's neuron equations, with an empty optogenetic schedule."""
    import brian2 as b2

    from model import synaptogenesis

    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    opto = b2.TimedArray(np.zeros((1, 1)) * b2.pA, dt=1 * b2.second)
    shock = b2.TimedArray([0.0], dt=1 * b2.second)
    g = neurons.neuron_group(n, synaptogenesis.NEURON_CHAIN_VARS,
                             {"opto": opto, "shock": shock}, name="test_neurons")
    g.tau_activity = 10 * b2.second
    return g


def test_brian_neuron_equations_use_the_same_block():
    import brian2 as b2

    g = _neuron_group(3)
    g.Mg = 1 * b2.mM
    g.v = [-60, -30, 0] * b2.mV
    assert np.allclose(g.B[:], nmda.mg_block([-60, -30, 0]), rtol=1e-6)


def test_graupner_brunel_rate_bands():
    # no change below theta_d, depression between thresholds, potentiation above
    assert plasticity.gb_rate(0.5, 0.5) == 0
    assert plasticity.gb_rate(1.1, 0.5) < 0
    assert plasticity.gb_rate(2.0, 0.2) > 0
    # above both thresholds rho settles at gamma_p / (gamma_p + gamma_d)
    rho_star = 321.808 / (321.808 + 200.0)
    assert plasticity.gb_rate(2.0, rho_star) == pytest.approx(0, abs=1e-12)


def test_time_above_threshold_is_exact_for_exponential_decay():
    tau = 0.02
    # one jump to 2.6: time above 1.3 is tau * ln 2
    assert plasticity.time_above(0.0, 2.6, 1.3, tau) == pytest.approx(tau * math.log(2))
    # two jumps: credited times add up to the time above threshold of the
    # whole piecewise-exponential trace
    c1 = 2.0
    dt = 0.01
    c_before = c1 * math.exp(-dt / tau)
    c2 = c_before + 1.5
    credited = plasticity.time_above(0, c1, 1.0, tau) + plasticity.time_above(
        c_before, c2, 1.0, tau)
    t = np.arange(0, 0.3, 1e-6)
    trace = np.where(t < dt, c1 * np.exp(-t / tau), c2 * np.exp(-(t - dt) / tau))
    assert credited == pytest.approx((trace >= 1.0).sum() * 1e-6, rel=1e-3)


def _single_synapse(c_pre, nmda_avail, v_post_mV=-50.0, rho0=0.2, post_spike_ms=None,
                    c_post=0.0, protein=1.0, protein_gain=0.0):
    """Run the model's plastic synapse with one presynaptic spike at 10 ms."""
    import brian2 as b2

    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    pre = b2.SpikeGeneratorGroup(1, [0], [10] * b2.ms)
    post = _neuron_group(1)
    post.inv_C, post.gL = 1 / (200 * b2.pF), 10 * b2.nS
    post.EL = post.v = v_post_mV * b2.mV
    post.Vt, post.Vr, post.tref = -40 * b2.mV, -60 * b2.mV, 2 * b2.ms
    post.inv_tau_ad, post.nmda_scale = 1 / (100 * b2.ms), 1.0
    post.tau_ampa = post.tau_gaba = post.tau_nmda = 5 * b2.ms
    post.Mg = 1 * b2.mM
    post.nmda_avail = nmda_avail
    post.plasticity_base = 1.0
    post.protein = protein
    no_shock = b2.TimedArray([0.0], dt=1 * b2.second)
    syn = b2.Synapses(pre, post, plasticity.PLASTIC_MODEL,
                      on_pre=plasticity.exc_on_pre(plastic=True),
                      on_post=plasticity.PLASTIC_ON_POST, method="exact",
                      namespace={"shock": no_shock, **plasticity.functions()})
    syn.connect()
    syn.w_ampa = syn.w_nmda = 0 * b2.nS  # keep the postsynaptic voltage clamped
    import dataclasses

    from experiments.config_store import default_config

    pl = dataclasses.replace(default_config().plasticity, C_pre=c_pre, C_post=c_post,
                             protein_learning_gain=protein_gain)
    for var, value in plasticity.plastic_values(pl, dt_cons_s=600.0).items():
        setattr(syn, var + "_", value)  # SI floats
    syn.rho = syn.rho_stable = rho0
    objs = [pre, post, syn]
    if post_spike_ms is not None:
        kick = b2.SpikeGeneratorGroup(1, [0], [post_spike_ms] * b2.ms)
        force = b2.Synapses(kick, post, on_pre="v_post = Vt + 1*mV")
        force.connect()
        objs += [kick, force]
    b2.Network(*objs).run(200 * b2.ms)
    return float(syn.rho[0]), float(syn.ca[0])


def _expected(ca, rho0=0.2, potentiation_scale=1.0):
    pl = plasticity
    tau_ca = 0.02
    t_p = pl.time_above(0, ca, 1.3, tau_ca)
    t_d = pl.time_above(0, ca, 1.0, tau_ca)
    return rho0 + (321.808 * potentiation_scale * (1 - rho0) * t_p
                   - 200 * rho0 * t_d) / 150.0


def test_calcium_bands_give_nothing_ltd_ltp():
    # post held at -50 mV, where the pre-spike calcium equals C_pre exactly
    rho_none, _ = _single_synapse(c_pre=0.8, nmda_avail=1.0)
    rho_ltd, _ = _single_synapse(c_pre=1.2, nmda_avail=1.0)
    rho_ltp, _ = _single_synapse(c_pre=3.0, nmda_avail=1.0)
    assert rho_none == pytest.approx(0.2, abs=1e-12)
    assert rho_ltd < 0.2
    assert rho_ltp > 0.2
    assert rho_ltd == pytest.approx(_expected(1.2), rel=1e-6)
    assert rho_ltp == pytest.approx(_expected(3.0), rel=1e-6)


def test_synaptic_proteins_scale_the_learning_rate_only_when_gained():
    # proteins multiply gamma_p by 1 + gain*(protein - 1); depression is not gated
    rho_plain, _ = _single_synapse(c_pre=3.0, nmda_avail=1.0, protein=2.5)
    rho_gain, _ = _single_synapse(c_pre=3.0, nmda_avail=1.0, protein=2.5, protein_gain=0.8)
    rho_ltd, _ = _single_synapse(c_pre=1.2, nmda_avail=1.0, protein=2.5, protein_gain=0.8)
    assert rho_plain == pytest.approx(_expected(3.0), rel=1e-6)
    assert rho_gain == pytest.approx(_expected(3.0, potentiation_scale=1 + 0.8 * 1.5), rel=1e-6)
    assert rho_gain > rho_plain
    assert rho_ltd == pytest.approx(_expected(1.2), rel=1e-6)  # below theta_p: LTD only


def test_calcium_depends_on_postsynaptic_voltage_through_mg_block():
    _, ca_rest = _single_synapse(c_pre=1.0, nmda_avail=1.0, v_post_mV=-70.0)
    _, ca_depol = _single_synapse(c_pre=1.0, nmda_avail=1.0, v_post_mV=-50.0)
    ratio = nmda.mg_block(-70.0) / nmda.mg_block(-50.0)
    assert ca_rest / ca_depol == pytest.approx(ratio, rel=1e-6)


def test_nmda_blockade_removes_ltp_and_partial_block_moves_it_to_ltd():
    rho_free, _ = _single_synapse(c_pre=3.0, nmda_avail=1.0)
    rho_blocked, _ = _single_synapse(c_pre=3.0, nmda_avail=0.05)  # 95% occupancy
    rho_partial, _ = _single_synapse(c_pre=3.0, nmda_avail=0.4)  # 60%: 1.2, LTD band
    assert rho_free > 0.2
    assert rho_blocked == pytest.approx(0.2, abs=1e-12)
    assert rho_partial < 0.2


def test_post_spike_relieves_block_of_bound_receptors():
    # pre at 10 ms, post at 20 ms: calcium C_post * glu, glu = exp(-10/100)
    rho_pair, _ = _single_synapse(c_pre=0.5, c_post=3.0, nmda_avail=1.0,
                                  post_spike_ms=20.0)
    rho_pair_blocked, _ = _single_synapse(c_pre=0.5, c_post=3.0, nmda_avail=0.05,
                                          post_spike_ms=20.0)
    assert rho_pair > 0.2
    assert rho_pair_blocked == pytest.approx(0.2, abs=1e-12)


def test_consolidation_captures_early_change_only_when_nmda_is_free():
    # closed form of plasticity.CONSOLIDATION_CODE iterated over 24 h
    def interval(rho, stable, drive, hours=24.0, dt_h=1 / 6, k=1.0, tau=3.0):
        for _ in range(int(hours / dt_h)):
            e = rho - stable
            cap = e * (1 - math.exp(-k * drive * dt_h))
            stable += cap
            rho = stable + (e - cap) * math.exp(-dt_h / tau)
        return rho

    assert interval(0.6, 0.2, drive=1.0) > 0.5  # captured
    assert interval(0.6, 0.2, drive=0.05) < 0.3  # decays back without NMDARs


def test_shock_trace_follows_the_real_clock(compose):
    from model.protocol import STIM_DT_S, build_schedule, shock_trace

    cfg = compose([])
    sch = build_schedule(cfg.protocol)
    s = shock_trace(sch, tau_min=60.0, per_shock=0.5)
    t = np.arange(len(s)) * STIM_DT_S
    cond = sch.session_of_step == 1
    ext = sch.session_of_step == 2
    assert s[sch.session_of_step == 0].max() == 0  # no shock yet
    assert s[cond].max() > 0.9  # repeated shocks saturate it
    assert s[ext].max() < 1e-6  # 24 h later it is gone
    first_us = np.argmax(sch.stim[:, 1] > 0)
    assert s[first_us] == pytest.approx(0.5)
    # decay within a session follows real minutes: 30 min session over 24 s
    k = first_us + int(round(1.0 / STIM_DT_S))
    real_min = 1.0 * sch.session_real_h[1] * 60 / sch.session_duration_s[1]
    assert s[k] == pytest.approx(0.5 * np.exp(-real_min / 60.0), rel=0.05)
    assert t[k] > t[first_us]
