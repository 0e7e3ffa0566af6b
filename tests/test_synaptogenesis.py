"""BDNF -> TrkB -> mTORC1 -> proteins -> spines, and the manipulations."""

import copy

import numpy as np
import pytest

from model import manipulations, pharmacology, synaptogenesis
from model.protocol import build_schedule, slow_grid

DT_H = 2 / 60  # the slow clock step of configs/plasticity/calcium.yaml


def _ketamine_occupancy(dose, hours=24 * 21):
    cfg = pharmacology.PharmacologyConfig(species="rat", doses=[pharmacology.DoseConfig(
        agent="ketamine", dose_mg_per_kg=dose, route="ip", session=0, offset_h=0.0)],
        local_concentration_uM=0.0, interneuron_ic50_factor=0.0)
    t = np.arange(0, hours, DT_H)
    occ = pharmacology.occupancy_timeline(cfg, [0.0], [("IL", "E"), ("IL", "I")], t)
    return t, occ[:, 0], occ[:, 1]


def _mean_field_spines(sg, protein):
    """Expected existing fraction / baseline, no stabilisation (unit gate)."""
    kf, ke = sg.formation_per_day / 24, sg.elimination_per_day / 24
    f0 = kf / (kf + ke)
    f, out = f0, np.empty_like(protein)
    for k, p in enumerate(protein):
        f += DT_H * (kf * p * (1 - f) - ke * f)
        out[k] = f / f0
    return out


@pytest.fixture(scope="module")
def sg(compose):
    return compose(["synaptogenesis=prefrontal"]).synaptogenesis


def test_signalling_time_course_after_ketamine(sg):
    # docs/model.md, section 11: BDNF rises within ~10-30 min to ~1 h, mTORC1 peaks
    # ~1 h and is back by ~2-3 h, proteins rise from ~2 h and decay over days
    t, occ_e, occ_i = _ketamine_occupancy(10.0)
    r = synaptogenesis.simulate_chain(sg, occ_e, occ_i, DT_H)
    t_bdnf = t[np.argmax(r["bdnf"])]
    t_mtor = t[np.argmax(r["mtor"])]
    assert 0.25 <= t_bdnf <= 1.5
    assert 0.5 <= t_mtor <= 2.0
    assert r["mtor"][int(3 / DT_H)] < 0.3 * r["mtor"].max()
    assert r["protein"][int(1 / DT_H)] < 1.1  # not yet at 1 h
    assert r["protein"][int(24 / DT_H)] > 1.5
    assert 1.0 < r["protein"][int(72 / DT_H)] < r["protein"][int(24 / DT_H)]


def test_spine_targets_and_inverted_u_in_mean_field(sg):
    ratios = {}
    for dose in (10.0, 80.0):
        t, occ_e, occ_i = _ketamine_occupancy(dose)
        r = synaptogenesis.simulate_chain(sg, occ_e, occ_i, DT_H)
        ratios[dose] = _mean_field_spines(sg, r["protein"])
    s = ratios[10.0]
    at = {h: s[int(h / DT_H)] for h in (3, 6, 24, 72, 503)}
    assert abs(at[3] - 1) < 0.05 and abs(at[6] - 1) < 0.05  # unchanged at 3-6 h
    assert 1.2 <= at[24] <= 1.4  # +20-40% at 24 h
    assert at[72] > 1.1  # still up at 72 h
    assert abs(at[503] - 1) < 0.1  # back by 3 weeks
    # anaesthetic dose: no synaptogenesis (Li et al. 2010)
    assert ratios[80.0][int(24 / DT_H)] - 1 < 0.05 * (at[24] - 1)


def test_rapamycin_and_trkb_block_stop_the_chain_downstream_only(sg):
    t, occ_e, occ_i = _ketamine_occupancy(10.0, hours=24)
    free = synaptogenesis.simulate_chain(sg, occ_e, occ_i, DT_H)
    rapa = synaptogenesis.simulate_chain(sg, occ_e, occ_i, DT_H, rapamycin=1.0)
    trkb = synaptogenesis.simulate_chain(sg, occ_e, occ_i, DT_H, trkb_block=1.0)
    np.testing.assert_allclose(rapa["bdnf"], free["bdnf"])  # upstream untouched
    assert rapa["mtor"].max() == 0 and trkb["mtor"].max() == 0
    assert rapa["protein"].max() == pytest.approx(1.0)
    bdnf_only = synaptogenesis.simulate_chain(sg, 0 * occ_e, 0 * occ_i, DT_H, infusion=0.5)
    assert bdnf_only["protein"][-1] > 1.2  # BDNF infusion alone drives the chain


def _held_bdnf(sg, level, hours):
    """The chain under a constant BDNF infusion and no drug (bdnf relaxes to ``level``)."""
    zero = np.zeros(int(round(hours / DT_H)))
    return synaptogenesis.simulate_chain(sg, zero, zero, DT_H, infusion=level)


def test_trkb_down_regulation_reaches_its_mass_action_steady_state(sg):
    """tau_desens ddesens/dt = k b (1 - desens) - desens: for a constant BDNF level b the
    surface fraction lost is k b / (1 + k b) and the TrkB signal b / (1 + k b)."""
    k = sg.k_desens
    for level in (0.01, 0.1, 1.0, 10.0):
        r = _held_bdnf(sg, level, hours=20 * (sg.tau_desens_h + sg.tau_bdnf_h))
        assert r["bdnf"][-1] == pytest.approx(level, rel=1e-9)
        assert r["desens"][-1] == pytest.approx(k * level / (1 + k * level), rel=1e-6)
        assert r["trkb"][-1] == pytest.approx(level / (1 + k * level), rel=1e-6)


def test_trkb_down_regulation_follows_its_closed_form_in_time(sg):
    """With bdnf held at b, desens relaxes to k b / (1 + k b) with time constant
    tau_desens / (1 + k b) (onset faster the more BDNF there is) and, once BDNF is gone,
    back to 0 with tau_desens. BDNF is made to follow a released step at once (tau_bdnf
    ~0), so the chain's steps can be compared with the solution of the ODE."""
    fast = copy.deepcopy(sg)
    fast.tau_bdnf_h = 1e-9
    k, tau = sg.k_desens, sg.tau_desens_h
    n_on, n_off = int(round(2 * tau / DT_H)), int(round(3 * tau / DT_H))
    for level in (0.05, 0.5, 5.0):
        burst = np.r_[np.full(n_on, level / sg.k_release), np.zeros(n_off)]
        zero = np.zeros_like(burst)
        r = synaptogenesis.simulate_chain(fast, zero, zero, DT_H, burst=burst)
        np.testing.assert_allclose(r["bdnf"][:n_on], level, rtol=1e-12)
        t_on = DT_H * np.arange(1, n_on + 1)
        ss = k * level / (1 + k * level)
        np.testing.assert_allclose(r["desens"][:n_on],
                                   ss * (1 - np.exp(-t_on * (1 + k * level) / tau)), rtol=1e-9)
        t_off = DT_H * np.arange(1, n_off + 1)
        np.testing.assert_allclose(r["desens"][n_on:],
                                   r["desens"][n_on - 1] * np.exp(-t_off / tau), rtol=1e-9)


def _trkb_integral(sg, level, hours, dt_h):
    zero = np.zeros(int(round(hours / dt_h)))
    return synaptogenesis.simulate_chain(sg, zero, zero, dt_h, infusion=level)["trkb"].sum() * dt_h


def test_more_bdnf_gives_more_trkb_signalling_over_the_whole_range(sg):
    """The TrkB signal rises with the amount of BDNF at every level: its steady state
    b / (1 + k b), and its integral over a 12 h infusion, with no range where more BDNF
    adds nothing or takes signal away (the clipped target it replaces gave trkb = 0 for
    every bdnf above 1/k)."""
    k = sg.k_desens
    levels = np.geomspace(1e-3, 1e3, 25)
    assert np.all(np.diff(levels / (1 + k * levels)) > 0)
    # the equations (a step of 1.2 s resolves the onset, tau_desens / (1 + k b), up to b = 100)
    wide = np.geomspace(1e-3, 1e2, 11)
    assert np.all(np.diff([_trkb_integral(sg, b, 12.0, DT_H / 100) for b in wide]) > 0)
    # the chain's own step, up to about five times the highest BDNF any ketamine dose
    # releases (80 mg/kg i.p.: ~1.1); beyond ~10 the 2-min step, which reads trkb at the
    # start of the step, misses part of the faster onset and the integral flattens
    reached = np.geomspace(1e-3, 5.0, 15)
    assert np.all(np.diff([_trkb_integral(sg, b, 12.0, DT_H) for b in reached]) > 0)
    # released BDNF, not only infused: a 30% lower release gives less TrkB signal
    t, occ_e, occ_i = _ketamine_occupancy(10.0, hours=24)
    low = copy.deepcopy(sg)
    low.k_release *= 0.7
    full = synaptogenesis.simulate_chain(sg, occ_e, occ_i, DT_H)["trkb"].sum()
    less = synaptogenesis.simulate_chain(low, occ_e, occ_i, DT_H)["trkb"].sum()
    assert less < full


def _run_slow_network(cfg, n_steps):
    """Build the circuit and run only its slow network for n_steps slow steps."""
    import brian2 as b2

    from model import circuit

    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    sch = build_schedule(cfg.protocol)
    dt_h = cfg.plasticity.consolidation_dt_min / 60
    timeline = circuit.timelines(cfg, sch)
    c = circuit.build(cfg, circuit.plan(cfg, sch, timeline))
    ch, slow = timeline.channels, timeline.occ_slow
    b2.Network(*c.slow_objects).run(n_steps * dt_h * 3600 * b2.second)
    return c, ch, slow, sch, dt_h


def test_brian_chain_matches_its_numpy_twin(compose):
    """The slow-network chain code and the twin used for calibration agree."""
    cfg = compose(["experiment=ketamine_spines", "network.scale=0.05",
                   "protocol.tail_h=12", "simulation.device=numpy"])
    n_steps = 60
    c, ch, slow, sch, dt_h = _run_slow_network(cfg, n_steps)
    row = c.chain_rows["IL"]
    e, i = ch.index(("IL", "E")), ch.index(("IL", "I"))
    twin = synaptogenesis.simulate_chain(cfg.synaptogenesis, slow[:n_steps, e],
                                         slow[:n_steps, i], dt_h)
    for var in ("pool", "bdnf", "desens", "mtor", "protein"):
        assert float(getattr(c.neurons, var)[row]) == pytest.approx(twin[var][-1], rel=1e-9)
    assert slow_grid(sch, dt_h)[1] == pytest.approx(dt_h)


def test_consolidation_drive_ignores_occupancy_only_where_configured(compose):
    """LA fear memory consolidates under NMDAR block, IL extinction does not.

    consolidation_nmda: LA_E 0 (post-training NMDA antagonists spare fear
    memory, Maren et al. 1996; Rodrigues et al. 2001), IL_E 1 (Burgos-Robles
    et al. 2007). 40 mg/kg i.p.: the IL drive falls to 1 - occupancy at the
    step, the LA drive stays at the protein pool.
    """
    cfg = compose(["experiment=ketamine_spines", "network.scale=0.05",
                   "protocol.tail_h=12", "simulation.device=numpy",
                   "pharmacology.doses.0.dose_mg_per_kg=40"])
    assert cfg.network.populations["LA_E"].consolidation_nmda == 0.0
    n_steps = 14  # the last step sits near the occupancy peak (~28 min)
    c, ch, slow, _, _ = _run_slow_network(cfg, n_steps)
    drive = np.asarray(c.neurons.cons_drive)
    protein = np.asarray(c.neurons.protein)
    la, il = c.pop_slices["LA_E"], c.pop_slices["IL_E"]
    occ_il = slow[n_steps - 1, ch.index(("IL", "E"))]
    assert occ_il > 0.5
    np.testing.assert_allclose(drive[la], protein[la], rtol=1e-12)
    np.testing.assert_allclose(drive[il], (1 - occ_il) * protein[il], rtol=1e-9)


def test_silencing_targets_only_its_population_and_epoch(compose):
    cfg = compose(["manipulations=[{kind: silence, targets: [IL_E], sessions: [2], "
                   "epoch: cs, amplitude_pA: 250}]"])
    sch = build_schedule(cfg.protocol)
    cur = manipulations.opto_current(cfg, sch)
    pops = list(cfg.network.populations)
    il = pops.index("IL_E")
    others = [k for k in range(len(pops)) if k != il]
    assert np.all(cur[:, others] == 0)
    on = cur[:, il] != 0
    assert np.all(cur[on, il] == -250)
    cs = sch.stim[:, 0] > 0
    assert np.all(cs[on])  # only during the CS ...
    t = np.arange(len(on)) * 0.005
    a = sch.session_start_s[2]
    assert np.all((t[on] >= a) & (t[on] < a + sch.session_duration_s[2]))  # ... of session index 2
    assert on.sum() == pytest.approx(cs[(t >= a) & (t < a + sch.session_duration_s[2])].sum())


def test_infusions_on_the_protocol_clock(compose):
    cfg = compose(["manipulations=[{kind: rapamycin, targets: [IL], sessions: [2], "
                   "offset_h: 0.5, duration_h: 4, level: 0.9}]"])
    sch = build_schedule(cfg.protocol)
    regions = list(dict.fromkeys(p.region for p in cfg.network.populations.values()))
    lv = manipulations.infusion_levels(cfg, sch, regions, 1 / 6)
    col = manipulations.infusion_column(regions.index("IL"), "rapamycin")
    t = slow_grid(sch, 1 / 6)
    on = lv[:, col] > 0
    assert np.all(lv[on, col] == 0.9)
    start = sch.session_abs_h[2] + 0.5
    assert t[on].min() == pytest.approx(start, abs=1e-9)
    assert on.sum() == 24  # 4 h in 10-min steps
    assert np.count_nonzero(lv) == 24


def test_bad_manipulations_name_the_key(compose):
    from model.config import ConfigError

    with pytest.raises(ConfigError, match=r"manipulations\[0\].targets"):
        compose(["manipulations=[{kind: silence, targets: [Nowhere], sessions: [2]}]"])
    with pytest.raises(ConfigError, match=r"manipulations\[0\].kind"):
        compose(["manipulations=[{kind: zap, targets: [IL_E], sessions: [2]}]"])
    with pytest.raises(ConfigError, match=r"pharmacology.doses\[0\]"):
        compose(["pharmacology.doses=[{agent: ketamine, dose_mg_per_kg: -1, route: ip}]"])


def _chain_dose_response_script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "chain_dose_response.py"
    spec = importlib.util.spec_from_file_location("chain_dose_response", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def test_adapting_burst_probe(compose):
    """The probe of docs/calibration-log.md (2026-12-03): a held burst adapts away
    with its time constant, and with 37 min the burst of a human 0.5 mg/kg infusion
    peaks about 26 min into the 40 min (Milak et al. 2016: Glx peak at ~26 min)."""
    script = _chain_dose_response_script()
    steps_per_tau = 20
    tau_min = steps_per_tau * script.DT_H * 60.0
    held = script.adapted(np.ones(5 * steps_per_tau + 1), tau_min)
    assert held[0] == 1.0
    assert held[steps_per_tau] == pytest.approx(np.exp(-1.0), rel=1e-9)
    assert held[-1] < 0.01 and np.all(np.diff(held) < 0)
    cfg = compose(["synaptogenesis=prefrontal"])
    human = script.course(cfg, None, "IL", "human", "iv_infusion", 0.5, 40.0, 37.0)
    assert 24.0 <= human["t_burst_peak_min"] <= 28.0
    # without adaptation the burst follows occupancy to the end of the infusion
    plain = script.course(cfg, None, "IL", "human", "iv_infusion", 0.5, 40.0)
    assert plain["t_burst_peak_min"] >= 38.0
