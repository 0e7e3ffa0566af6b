"""Extinction as learning: the circuit's prediction error, the three-factor rule,
decay of consolidated changes, real-clock input recovery, unsignalled shocks."""

import dataclasses
import functools
import math

import numpy as np
import pytest

from model import inputs, plasticity, teacher
from model.config import SessionConfig
from model.protocol import (
    STIM_DT_S,
    TEACH_PULSE,
    TEACH_US,
    TEACH_WINDOW,
    build_schedule,
    real_seconds_per_step,
    teaching_table,
)


@functools.cache
def _defaults():
    from experiments.config_store import default_config

    return default_config()


def _plasticity(**values):
    return dataclasses.replace(_defaults().plasticity, **values)


def _protocol(sessions, trial_s=4.0, cs_onset_s=2.0):
    return dataclasses.replace(_defaults().protocol, trial_s=trial_s, cs_s=0.5, us_s=0.1,
                               cs_onset_s=cs_onset_s, tail_h=0.0,
                               sessions=[SessionConfig(**s) for s in sessions])


def _numpy_device(dt_ms=0.1):
    import brian2 as b2

    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = dt_ms * b2.ms


# ------------------------------------------------------------ the teacher

def _teacher_errors(output_rates_hz, us, rate_none=4.0, rate_full=10.0, n_output=50):
    """Run the model's teacher against a fake fear output; (V, delta) per trial."""
    import brian2 as b2

    _numpy_device(dt_ms=0.5)  # the teacher acts on the 5 ms stimulus grid
    sessions = [{"phase": "conditioning" if u else "extinction", "context": "A", "n_trials": 1,
                 "us": bool(u), "interval_before_h": 0.0, "real_duration_min": 5.0} for u in us]
    sessions[0]["phase"] = "conditioning"
    protocol = _protocol(sessions, trial_s=1.0, cs_onset_s=0.3)
    sch = build_schedule(protocol)
    table = teaching_table(sch, 0.1, 1.0)
    teach_table = b2.TimedArray(table, dt=STIM_DT_S * b2.second)
    # the output fires regularly at the trial's rate inside the tone window
    times, idx = [], []
    for k, r in enumerate(output_rates_hz):
        if r <= 0:
            continue
        t = np.arange(sch.cs_on_s[k], sch.cs_off_s[k] - 0.1 - 1e-9, 1.0 / r)
        for n in range(n_output):
            times.extend(t + n * 1e-5)
            idx.extend([n] * len(t))
    out = b2.SpikeGeneratorGroup(n_output, idx, np.array(times) * b2.second)
    ns = {"teach_table": teach_table}
    tg = b2.NeuronGroup(1, teacher.EQUATIONS, threshold=teacher.THRESHOLD, reset=teacher.RESET,
                        namespace=ns)
    name, code, dt_s, when = teacher.regular_update()
    tg.run_regularly(code, dt=dt_s * b2.second, when=when)
    cfg_like = type("C", (), {})()
    cfg_like.plasticity = _plasticity(prediction_rate_none_Hz=rate_none,
                                      prediction_rate_full_Hz=rate_full)
    cfg_like.protocol = protocol
    for var, value in teacher.group_values(cfg_like, n_output).items():
        setattr(tg, var + "_", value)
    syn = b2.Synapses(out, tg, on_pre=teacher.COUNT_ON_PRE, namespace=ns)
    syn.connect()
    mon = b2.SpikeMonitor(tg, variables=["prediction", "error"])
    b2.Network(out, tg, syn, mon).run(sch.fast_duration_s * b2.second, namespace={})
    values = teacher.trial_values({"t": np.asarray(mon.t / b2.second),
                                   "prediction": np.asarray(mon.prediction),
                                   "error": np.asarray(mon.error)}, sch)
    return values["prediction"], values["error"]


def test_error_is_zero_when_the_shock_comes_as_predicted():
    # full prediction and a shock; no prediction and a shock; full prediction
    # and no shock; half prediction and no shock
    # (7.5 Hz: three spikes per output neuron in the 0.4 s window)
    v, delta = _teacher_errors([10.0, 0.0, 10.0, 7.5], us=[1, 1, 0, 0])
    half = (7.5 - 4.0) / (10.0 - 4.0)
    assert v == pytest.approx([1.0, 0.0, 1.0, half], abs=1e-9)
    assert delta[0] == pytest.approx(0.0, abs=1e-9)  # predicted shock: nothing to learn
    assert delta[1] == pytest.approx(1.0, abs=1e-9)  # unpredicted shock: fear learning
    assert delta[2] == pytest.approx(-1.0, abs=1e-9)  # omitted shock: extinction learning
    assert delta[3] == pytest.approx(-half, abs=1e-9)  # less fear, less to extinguish


def test_output_below_the_no_shock_rate_predicts_nothing():
    # naive tone responses (habituation) teach nothing: no error, no learning
    v, delta = _teacher_errors([2.5, 0.0], us=[0, 0])  # 2.5 Hz: one spike per neuron
    assert np.all(v == 0) and np.all(delta == 0)
    assert teacher.prediction([3.9, 4.0, 7.0, 10.0, 30.0], 4.0, 10.0) == pytest.approx(
        [0, 0, 0.5, 1.0, 1.0])


def test_teaching_table_marks_window_pulse_and_shock():
    sch = build_schedule(_protocol([
        {"phase": "conditioning", "context": "A", "n_trials": 2, "us": True,
         "interval_before_h": 0.0, "real_duration_min": 5.0},
        {"phase": "extinction", "context": "B", "n_trials": 1, "interval_before_h": 24.0,
         "real_duration_min": 5.0}]))
    table = teaching_table(sch, 0.1, 4.0)
    assert table[:, TEACH_PULSE].sum() == 3  # one teaching step per trial
    pulse_t = np.flatnonzero(table[:, TEACH_PULSE]) * STIM_DT_S
    assert pulse_t == pytest.approx(sch.cs_off_s)  # at the end of the expected-US window
    assert table[:, TEACH_WINDOW].sum() * STIM_DT_S == pytest.approx(3 * 0.4)
    in_trial = np.arange(len(table)) * STIM_DT_S
    assert np.all(table[in_trial >= 8.0, TEACH_US] == 0)  # no shock in extinction
    assert np.all(table[in_trial < 8.0, TEACH_US] == 1)


# ------------------------------------------------------------ three-factor rule

def _three_factor(error, gain_neg=0.0, gain_pos=0.0, nmda_avail=1.0, c_pre=3.0, rho0=0.2,
                  base=0.0, teach_ms=510.0, tau_elig_s=1.0):
    """One presynaptic spike at 10 ms onto a clamped neuron, the error at teach_ms."""
    import brian2 as b2

    from model import neurons, synaptogenesis

    _numpy_device(dt_ms=0.5)
    shock = b2.TimedArray([0.0], dt=1 * b2.second)
    opto = b2.TimedArray(np.zeros((1, 1)) * b2.pA, dt=1 * b2.second)
    n_steps = int(round((teach_ms + 20.0) * 1e-3 / STIM_DT_S))
    table = np.zeros((n_steps, 3))
    table[int(round(teach_ms * 1e-3 / STIM_DT_S)), TEACH_PULSE] = 1.0
    ns = {"teach_table": b2.TimedArray(table, dt=STIM_DT_S * b2.second), "shock": shock}
    post = neurons.neuron_group(1, synaptogenesis.NEURON_CHAIN_VARS + teacher.NEURON_VARIABLES,
                                {"opto": opto, "shock": shock}, name="tf_post")
    post.inv_C, post.gL = 1 / (200 * b2.pF), 10 * b2.nS
    post.EL = post.v = -50 * b2.mV
    post.Vt, post.Vr, post.tref = -40 * b2.mV, -60 * b2.mV, 2 * b2.ms
    post.inv_tau_ad, post.nmda_scale, post.Mg = 1 / (100 * b2.ms), 1.0, 1 * b2.mM
    post.tau_ampa = post.tau_gaba = post.tau_nmda = 5 * b2.ms
    post.tau_activity = 10 * b2.second
    post.nmda_avail, post.protein, post.plasticity_base = nmda_avail, 1.0, base
    post.negative_error_gain, post.positive_error_gain = gain_neg, gain_pos
    event_name, condition, on_event = teacher.INPUT_EVENT
    pre = b2.NeuronGroup(1, "error : 1\nt_taught : second", threshold="abs(t - 10*ms) < 0.2*ms",
                         events={event_name: condition}, namespace=ns, name="tf_pre")
    pre.run_on_event(event_name, on_event)
    pre.error, pre.t_taught = error, -1 * b2.second
    syn = b2.Synapses(pre, post, plasticity.PLASTIC_MODEL + teacher.ELIGIBILITY_MODEL,
                      on_pre={"pre": plasticity.exc_on_pre(plastic=True, eligible=True),
                              "teach": teacher.TEACH_ON_PRE},
                      on_post=plasticity.plastic_on_post(eligible=True),
                      on_event={"pre": "spike", "teach": event_name}, method="exact",
                      namespace={**ns, **plasticity.functions()}, name="tf_syn")
    syn.connect()
    syn.w_ampa = syn.w_nmda = 0 * b2.nS  # the postsynaptic voltage stays clamped
    for var, value in plasticity.plastic_values(_plasticity(C_pre=c_pre, C_post=0.0),
                                                dt_cons_s=600.0).items():
        setattr(syn, var + "_", value)
    syn.tau_elig = tau_elig_s * b2.second
    syn.rho = syn.rho_stable = rho0
    b2.Network(pre, post, syn).run((teach_ms + 10.0) * b2.ms, namespace={})
    return float(syn.rho[0]), float(syn.elig[0])


def _calcium_change(ca, rho0=0.2):
    t_p = plasticity.time_above(0, ca, 1.3, 0.02)
    t_d = plasticity.time_above(0, ca, 1.0, 0.02)
    return (321.808 * (1 - rho0) * t_p - 200 * rho0 * t_d) / 150.0


def test_omitted_shock_converts_the_eligibility_trace():
    # pre spike at 10 ms in the LTP band; omission error -0.8 at 510 ms
    expected = 0.2 + 5.0 * 0.8 * _calcium_change(3.0) * math.exp(-0.5 / 1.0)
    rho, elig_after = _three_factor(error=-0.8, gain_neg=5.0)
    assert rho == pytest.approx(expected, rel=1e-6)
    assert elig_after == 0.0  # the trace is used up


def test_no_error_no_change_and_the_sign_comes_from_calcium():
    rho_none, _ = _three_factor(error=0.0, gain_neg=5.0, gain_pos=5.0)
    assert rho_none == pytest.approx(0.2, abs=1e-12)
    # an omission error does nothing where only shocks teach (the LA setting)
    rho_la, _ = _three_factor(error=-1.0, gain_neg=0.0, gain_pos=5.0)
    assert rho_la == pytest.approx(0.2, abs=1e-12)
    # calcium in the depression band: the same error depresses
    rho_ltd, _ = _three_factor(error=-1.0, gain_neg=5.0, c_pre=1.2)
    assert rho_ltd < 0.2
    assert rho_ltd == pytest.approx(0.2 + 5.0 * _calcium_change(1.2) * math.exp(-0.5),
                                    rel=1e-6)


def test_nmda_block_removes_the_eligibility_and_the_learning():
    rho_blocked, _ = _three_factor(error=-1.0, gain_neg=5.0, nmda_avail=0.05)
    assert rho_blocked == pytest.approx(0.2, abs=1e-12)


def test_an_error_long_after_the_coincidence_teaches_little():
    near, _ = _three_factor(error=-1.0, gain_neg=5.0, teach_ms=110.0)
    far, _ = _three_factor(error=-1.0, gain_neg=5.0, teach_ms=910.0)
    assert (far - 0.2) / (near - 0.2) == pytest.approx(math.exp(-0.8), rel=1e-6)


# ------------------------------------------------------------ decay of consolidated changes

def _consolidate(decay_days, days=14.0, dt_min=60.0, rho=0.6, stable=0.6, rest=0.1):
    """The input synapses' slow update with decay, on a clock of dt_min; rho_stable per day."""
    import brian2 as b2

    _numpy_device()
    b2.defaultclock.dt = dt_min * 60 * b2.second
    post = b2.NeuronGroup(1, "cons_drive : 1\n" + plasticity.DECAY_NEURON_VARIABLES)
    post.cons_drive = 1.0
    post.decay_rate = 0 / b2.second if decay_days == 0 else 1 / (decay_days * (86400 * b2.second))
    pre = b2.NeuronGroup(1, "")
    syn = b2.Synapses(pre, post, "rho : 1\nrho_stable : 1\nk_capture : 1/second\n"
                      "tau_early : second\ndt_cons : second\n"
                      + plasticity.DECAY_SYNAPSE_VARIABLES)
    syn.connect()
    syn.rho, syn.rho_stable, syn.rho_rest = rho, stable, rest
    syn.k_capture, syn.tau_early = 1 / (3600 * b2.second), 3 * (3600 * b2.second)
    syn.dt_cons = dt_min * 60 * b2.second
    syn.run_regularly(plasticity.CONSOLIDATION_WITH_DECAY_CODE)
    mon = b2.StateMonitor(syn, "rho_stable", record=0, dt=1 * (86400 * b2.second))
    b2.Network(pre, post, syn, mon).run(days * (86400 * b2.second), namespace={})
    return np.asarray(mon.rho_stable[0]), float(syn.rho_stable[0]), float(syn.rho[0])


def test_a_consolidated_change_relaxes_back_over_days_where_it_decays():
    tau = 7.0
    decaying, _, _ = _consolidate(tau)
    kept, _, _ = _consolidate(0.0)
    days = np.arange(len(decaying))  # samples at 0, 1, 2 ... days, before that step's update
    assert decaying == pytest.approx(0.1 + 0.5 * np.exp(-days / tau), rel=1e-9)
    assert kept == pytest.approx(0.6, abs=1e-12)  # fear memory in LA is kept


def test_an_unconsolidated_change_decays_within_hours_unless_captured():
    # an early change of 0.5 over rho_stable, captured at 1/h while it decays
    # over 3 h: 3/4 of it is kept, the rest is gone within the day
    _, stable, rho = _consolidate(0.0, days=1.0, dt_min=2.0, rho=0.6, stable=0.1)
    e, kept, dt_h = 0.5, 0.1, 2 / 60
    for _ in range(720):  # the slow update's closed form, on the model's 2-min clock
        cap = e * (1 - math.exp(-dt_h))
        kept += cap
        e = (e - cap) * math.exp(-dt_h / 3.0)
    assert stable == pytest.approx(kept, rel=1e-9)
    assert 0.1 + 0.5 * 0.7 < stable < 0.1 + 0.5 * 0.8
    assert rho == pytest.approx(stable, abs=1e-6)


# ------------------------------------------------------------ inputs on the real clock

def test_input_recovery_on_the_real_clock_does_not_depend_on_compression():
    import brian2 as b2

    results = []
    for real_min in (10.0, 40.0):  # the same simulated time stands for more real time
        _numpy_device()
        sch = build_schedule(_protocol([{"phase": "habituation", "context": "A", "n_trials": 2,
                                         "interval_before_h": 0.0,
                                         "real_duration_min": real_min}]))
        per_trial = real_seconds_per_step(sch)
        ns = {"real_per_sim": b2.TimedArray(per_trial, dt=4.0 * b2.second),
              "stim": b2.TimedArray(np.zeros((2, 5)), dt=4.0 * b2.second)}
        g = b2.NeuronGroup(1, inputs.EQUATIONS_REAL_TIME, threshold="False", method="euler",
                           namespace=ns)
        g.tau_dep = 1800 * b2.second
        g.x_res = 0.5
        b2.Network(g).run(4.0 * b2.second, namespace={})
        real_s = per_trial[0] * 4.0
        results.append((float(g.x_res[0]), 1 - 0.5 * math.exp(-real_s / 1800.0)))
    for got, expected in results:
        assert got == pytest.approx(expected, rel=1e-3)
    assert results[1][0] > results[0][0]


# ------------------------------------------------------------ protocol

def test_unsignalled_shocks_come_without_a_tone():
    sch = build_schedule(_protocol([
        {"phase": "conditioning", "context": "A", "n_trials": 1, "us": True,
         "interval_before_h": 0.0, "real_duration_min": 5.0},
        {"phase": "extinction", "context": "B", "n_trials": 1, "interval_before_h": 24.0,
         "real_duration_min": 5.0},
        {"phase": "reinstatement", "context": "A", "n_trials": 2, "us": True, "cs": False,
         "interval_before_h": 24.0, "real_duration_min": 5.0}]))
    cs, us = sch.stim[:, 0], sch.stim[:, 1]
    rein = sch.session_of_step == 2
    assert cs[rein].sum() == 0  # no tone
    assert us[rein].sum() * STIM_DT_S == pytest.approx(2 * 0.1)  # two shocks
    assert list(sch.trial_has_cs) == [True, True, False, False]
    # the shock comes where the tone's US would: the last 100 ms of the tone slot
    assert sch.us_on_s[2:] == pytest.approx(sch.cs_off_s[2:] - 0.1)
    table = teaching_table(sch, 0.1, 4.0)
    assert table[rein, TEACH_US].max() == 1 and table[rein, TEACH_PULSE].sum() == 2


def test_third_context_has_its_own_channel(compose):
    cfg = compose(["protocol=renewal_abc"])
    sch = build_schedule(cfg.protocol)
    a, b, c = sch.stim[:, 2], sch.stim[:, 3], sch.stim[:, 4]
    assert np.all(a + b + c == 1)
    assert np.all(c[sch.session_of_step == 4] == 1)
    assert c[sch.session_of_step < 4].sum() == 0


def test_protocol_rules_for_shocks_and_contexts(compose):
    from model.config import ConfigError

    with pytest.raises(ConfigError, match="US is only delivered in conditioning or reinstatement"):
        compose(["protocol.sessions.2.us=true"])
    with pytest.raises(ConfigError, match="needs the input network.inputs.ctx_C"):
        compose(["protocol=renewal_abc", "~network.inputs.ctx_C", "~network.projections.ctxC_la",
                 "~network.projections.ctxC_il"])
    with pytest.raises(ConfigError, match="prediction_rate_full_Hz"):
        compose(["plasticity.prediction_rate_full_Hz=1"])
    with pytest.raises(ConfigError, match="plasticity.error_output_population='XX'"):
        compose(["plasticity.error_output_population=XX"])
    with pytest.raises(ConfigError, match="IL_I.tonic_nmda_nS=-1.0 is not allowed: must be >= 0"):
        compose(["network.populations.IL_I.tonic_nmda_nS=-1"])
    with pytest.raises(ConfigError, match="CS.depression_recovery_real_min"):
        compose(["network.inputs.CS.depression_recovery_real_min=-5"])
    compose(["protocol=reinstatement"])


def test_the_learning_mechanisms_are_the_default(compose):
    default = compose(["protocol=renewal_abc"])
    pops, inputs = default.network.populations, default.network.inputs
    assert default.plasticity.error_signal
    assert not default.synaptogenesis.burst_from_circuit
    assert pops["LA_E"].positive_error_gain > 0 and pops["LA_E"].negative_error_gain == 0
    assert pops["IL_E"].negative_error_gain > 0 and pops["IL_E"].positive_error_gain == 0
    assert pops["IL_E"].consolidated_decay_days > 0 and pops["LA_E"].consolidated_decay_days == 0
    assert pops["IL_I"].tonic_nmda_nS > 0 and pops["LA_I"].tonic_nmda_nS == 0
    assert inputs["CS"].depression_recovery_real_min > 0
    assert "ctx_C" in inputs
