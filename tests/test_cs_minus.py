"""The CS- (a second tone never paired with the shock): schedule, inputs, readout.

On the tiny network, without a full simulation: the schedule and circuit
plan of a discrimination protocol, the input group alone run on Brian2's
numpy target through one CS+ and one CS- trial, and the readout on spikes
made to order.
"""

import numpy as np
import pytest

from experiments.config_store import compose
from experiments.io.build_cache import structure_hash
from model import circuit, cs_minus
from model.protocol import CONTEXT_CHANNEL, STIM_CHANNELS, STIM_DT_S, build_schedule
from model.readout import summarize

TINY = ["experiment=tiny"]
DISCRIMINATION = ["experiment=tiny", "protocol=discrimination_short"]


def test_without_cs_minus_trials_nothing_changes():
    cfg = compose(TINY)
    assert cs_minus.apply(cfg) is cfg
    schedule = build_schedule(cfg.protocol)
    assert schedule.stim.shape[1] == len(STIM_CHANNELS)
    assert not schedule.trial_cs_minus.any()
    plan = circuit.plan(cfg, schedule)
    assert cs_minus.NAME not in plan.input_sizes
    assert "shares_cs_minus" not in plan.groups["inputs"].equations
    assert not circuit.optional_mechanisms(cfg)["cs_minus"]
    # the overlap is read only with CS- trials: another value, the same build
    assert structure_hash(compose(TINY + ["network.cs_minus_overlap=0.2"])) == structure_hash(cfg)


def test_cs_minus_trials_are_interleaved_tone_only_trials():
    cfg = compose(DISCRIMINATION)
    schedule = build_schedule(cfg.protocol)
    minus = schedule.trial_cs_minus
    sessions = cfg.protocol.sessions
    assert minus.sum() == sum(s.cs_minus_trials for s in sessions)
    assert (~minus).sum() == sum(s.n_trials for s in sessions)
    conditioning = schedule.trial_session == 1
    assert minus[conditioning].tolist() == [False, True] * 4
    # no CS- trial has a US; every CS+ conditioning trial has one
    assert np.isnan(schedule.us_on_s[minus]).all()
    assert np.isfinite(schedule.us_on_s[conditioning & ~minus]).all()
    stim = schedule.stim
    for k in np.flatnonzero(conditioning):
        tone = slice(int(round(schedule.cs_on_s[k] / STIM_DT_S)),
                     int(round(schedule.cs_off_s[k] / STIM_DT_S)))
        assert stim[tone, cs_minus.CHANNEL].min() == float(minus[k])
        assert stim[tone, 0].max() == float(not minus[k])
        assert stim[tone, 1].max() == float(not minus[k])  # the US: CS+ trials only
        assert stim[tone, CONTEXT_CHANNEL["A"]].min() == 1.0


def test_cs_minus_input_shares_part_of_the_cs_plus_afferents():
    cfg = cs_minus.apply(compose(DISCRIMINATION + ["network.cs_minus_overlap=0.25"]))
    plan = circuit.plan(cfg, build_schedule(cfg.protocol))
    n_cs = cfg.network.inputs["CS"].n
    assert plan.input_sizes[cs_minus.NAME] == n_cs - 50
    flags = plan.groups["inputs"].fixed["shares_cs_minus"]
    cs = plan.input_slices["CS"]
    assert flags.sum() == 50 and flags[cs].sum() == 50
    # every CS+ projection has a twin from the CS-'s own afferents, values alike
    for name, prj in compose(DISCRIMINATION).network.projections.items():
        if prj.pre == "CS":
            twin = cfg.network.projections[cs_minus.twin_name(name)]
            assert (twin.pre, twin.post, twin.p, twin.w_ampa_nS, twin.plastic) == (
                cs_minus.NAME, prj.post, prj.p, prj.w_ampa_nS, prj.plastic)
            assert plan.projection_set[cs_minus.twin_name(name)] == plan.projection_set[name]


def test_a_cs_minus_trial_drives_its_own_afferents_and_not_the_us():
    """The input group alone, on Brian2's numpy target, through the tones of the
    first conditioning trials: a CS+ paired with the US, then a CS-."""
    import brian2 as b2

    cfg = cs_minus.apply(compose(DISCRIMINATION))
    schedule = build_schedule(cfg.protocol)
    k = int(np.flatnonzero(schedule.trial_session == 1)[0])
    assert schedule.trial_cs_minus[k:k + 2].tolist() == [False, True]
    tones = [slice(int(round(schedule.cs_on_s[j] / STIM_DT_S)),
                   int(round(schedule.cs_off_s[j] / STIM_DT_S))) for j in (k, k + 1)]
    stim = np.vstack([schedule.stim[tone] for tone in tones])  # the two tones, back to back
    tone_s = cfg.protocol.cs_s
    plan = circuit.plan(cfg, schedule)
    gp = plan.groups["inputs"]
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = 2 * b2.ms  # coarse: the inputs are Poisson sources read each step
    namespace = {"stim": b2.TimedArray(stim, dt=STIM_DT_S * b2.second),
                 **circuit.model_functions()}
    # the tone's real-clock recovery reads the protocol's real time per simulated second
    real_per_sim, _, trial_s = circuit.timed_array_tables(plan.timelines)["real_per_sim"]
    namespace["real_per_sim"] = b2.TimedArray(real_per_sim, dt=trial_s * b2.second)
    group = b2.NeuronGroup(gp.n, gp.equations, threshold=gp.threshold, reset=gp.reset,
                           method=gp.method, namespace=namespace)
    for _, code, dt_s, when in gp.regular:
        group.run_regularly(code, dt=None if dt_s is None else dt_s * b2.second, when=when)
    for var, value in gp.run_time.items():
        setattr(group, var, circuit.with_unit(group, var, value))
    for var, value in gp.fixed.items():
        setattr(group, var, value)
    spikes = b2.SpikeMonitor(group)
    b2.run(2 * tone_s * b2.second)
    t, i = np.asarray(spikes.t / b2.second), np.asarray(spikes.i)
    flags = gp.fixed["shares_cs_minus"]
    sl = plan.input_slices
    cs = np.arange(sl["CS"].start, sl["CS"].stop)
    groups = {"shared": cs[flags[cs] > 0], "cs_only": cs[flags[cs] == 0],
              "own": np.arange(sl[cs_minus.NAME].start, sl[cs_minus.NAME].stop),
              "US": np.arange(sl["US"].start, sl["US"].stop)}

    def rate(tone, members):
        a, b = tone * tone_s, (tone + 1) * tone_s
        return ((t >= a) & (t < b) & np.isin(i, members)).sum() / (len(members) * tone_s)

    on = cfg.network.inputs["CS"].on_rate_Hz
    plus = {key: rate(0, m) for key, m in groups.items()}
    minus = {key: rate(1, m) for key, m in groups.items()}
    assert plus["shared"] > 0.6 * on and plus["cs_only"] > 0.6 * on and plus["own"] < 0.2 * on
    assert minus["shared"] > 0.6 * on and minus["own"] > 0.6 * on
    assert minus["cs_only"] < 0.2 * on
    assert minus["US"] == 0.0 and plus["US"] > 0.0


@pytest.mark.parametrize("protocol", [TINY, DISCRIMINATION])
def test_readout_separates_cs_plus_and_cs_minus_trials(protocol):
    """CeM spikes made to order: fast in CS+ windows, slow in CS- windows."""
    cfg = compose(protocol)
    schedule = build_schedule(cfg.protocol)
    sizes = {p: 10 for p in cfg.network.populations}
    rng = np.random.default_rng(0)
    spikes = {}
    for pop in cfg.network.populations:
        times = []
        for k in range(schedule.n_trials):
            fast = pop == cfg.readout.freezing_population and not schedule.trial_cs_minus[k]
            n = 200 if fast else 2
            times.append(rng.uniform(schedule.cs_on_s[k], schedule.cs_off_s[k] - 0.11, n))
        t = np.sort(np.concatenate(times))
        spikes[pop] = (t, rng.integers(0, 10, len(t)))
    ds = summarize(cfg, schedule, sizes, spikes, {}, [])
    assert ds.sizes["trial"] == sum(s.n_trials for s in cfg.protocol.sessions)
    assert ds.freezing.min() > 90
    if protocol is TINY:
        assert "freezing_cs_minus" not in ds and "cs_minus_trial" not in ds.dims
        return
    assert ds.sizes["cs_minus_trial"] == sum(s.cs_minus_trials for s in cfg.protocol.sessions)
    assert ds.freezing_cs_minus.max() < 10
    assert list(ds.cs_minus_phase.values[:2]) == ["habituation"] * 2
    cond = ds.phase_freezing_cs_minus_last.sel(phase_name="conditioning")
    assert cond < 10 < ds.phase_freezing_last.sel(phase_name="conditioning")
    assert np.isnan(ds.phase_freezing_cs_minus.sel(phase_name="extinction"))
