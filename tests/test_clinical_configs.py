"""Clinical experiment configs: human doses placed where the protocol says
(each exposure session a day after an infusion, follow-ups 1-56 days after the
last exposure; in the infusion-only trial, assessments a day after infusions 1,
3 and 6, follow-ups 1-56 days after the last infusion; the prediction figures'
single infusion at each timing before one exposure, and the twelve-infusion
course). Composition and schedules only; no simulation."""

import numpy as np
import pytest

from model.pharmacology import administration_times_h
from model.protocol import build_schedule

HOURS_PER_DAY = 24.0


def assert_six_infusion_course(cfg, schedule):
    """Human ketamine 0.5 mg/kg i.v. over 40 min on Monday, Wednesday and Friday of
    two consecutive weeks."""
    assert cfg.pharmacology.species == "human"
    assert {(d.agent, d.dose_mg_per_kg, d.route, d.infusion_min) for d in cfg.pharmacology.doses} \
        == {("ketamine", 0.5, "iv_infusion", 40.0)}
    infusions = administration_times_h(cfg.pharmacology, schedule.session_abs_h)
    np.testing.assert_allclose(np.diff(infusions), [48, 48, 72, 48, 48])


def session_table(cfg):
    """What a figure reads of a run without simulating it: session phases and start
    times, and the resolved config."""
    import xarray as xr

    from experiments.config_store import plain
    from experiments.io import yaml_text

    return xr.Dataset(
        {"session_phase": ("session", [s.phase for s in cfg.protocol.sessions]),
         "session_time_h": ("session", build_schedule(cfg.protocol).session_abs_h)},
        attrs={"config_yaml": yaml_text.dump(plain(cfg), sort_keys=False)})


def composed(compose, experiment: str):
    cfg = compose([f"experiment={experiment}"])
    return cfg, build_schedule(cfg.protocol)


@pytest.fixture(scope="module")
def exposure(compose):
    return composed(compose, "ketamine_assisted_exposure")


def test_six_infusions_each_a_day_before_an_exposure_session(exposure):
    cfg, schedule = exposure
    assert_six_infusion_course(cfg, schedule)
    starts = schedule.session_abs_h
    phases = [s.phase for s in cfg.protocol.sessions]
    exposures = [k for k, s in enumerate(cfg.protocol.sessions)
                 if s.phase == "extinction" and s.real_duration_min == 90.0]
    assert len(exposures) == 6
    infusions = administration_times_h(cfg.pharmacology, starts)
    np.testing.assert_allclose(starts[exposures] - infusions, HOURS_PER_DAY)
    # the pre-treatment baseline test ends before the first infusion starts
    baseline = exposures[0] - 1
    assert phases[baseline] == "extinction"
    assert starts[baseline] + cfg.protocol.sessions[baseline].real_duration_min / 60 < infusions[0]


def test_follow_ups_1_to_56_days_after_the_last_exposure(exposure):
    cfg, schedule = exposure
    sessions = cfg.protocol.sessions
    last = max(k for k, s in enumerate(sessions) if s.phase == "extinction")
    end = schedule.session_abs_h[last] + sessions[last].real_duration_min / 60
    recalls = [k for k, s in enumerate(sessions) if s.phase == "recall"]
    days = (schedule.session_abs_h[recalls] - end) / HOURS_PER_DAY
    np.testing.assert_allclose(days, [1, 7, 14, 28, 56], atol=1e-4)
    assert sessions[-1].phase == "renewal" and sessions[-1].context == "A"


def test_the_saline_arm_is_the_same_protocol_without_doses(compose):
    cfg = compose(["experiment=ketamine_assisted_exposure", "pharmacology.doses=[]"])
    assert cfg.pharmacology.doses == [] and len(cfg.protocol.sessions) == 15


INFUSION_H = 40.0 / 60.0


@pytest.fixture(scope="module")
def infusion_trial(compose):
    return composed(compose, "ketamine_infusion_trial")


def test_infusion_trial_has_assessments_a_day_after_infusions_1_3_and_6(infusion_trial):
    cfg, schedule = infusion_trial
    assert_six_infusion_course(cfg, schedule)
    sessions, starts = cfg.protocol.sessions, schedule.session_abs_h
    infusions = np.array(administration_times_h(cfg.pharmacology, starts))
    # no exposure therapy: every CS-alone session is a 4-trial, 20-min test
    assert all(s.n_trials == 4 and s.real_duration_min == 20.0 for s in sessions[2:])
    tests = [k for k, s in enumerate(sessions) if k >= 2 and s.phase in ("extinction", "recall")]
    baseline, during, primary = tests[0], tests[1:3], tests[3]
    assert [sessions[k].phase for k in (baseline, *during)] == ["extinction"] * 3
    assert sessions[primary].phase == "recall"
    ends = infusions + INFUSION_H
    np.testing.assert_allclose(starts[[*during, primary]] - ends[[0, 2, 5]], HOURS_PER_DAY,
                               atol=1e-4)
    assert starts[baseline] + sessions[baseline].real_duration_min / 60 < infusions[0]


def test_infusion_trial_follow_ups_1_to_56_days_after_the_last_infusion(infusion_trial):
    cfg, schedule = infusion_trial
    sessions = cfg.protocol.sessions
    end = max(administration_times_h(cfg.pharmacology, schedule.session_abs_h)) + INFUSION_H
    recalls = [k for k, s in enumerate(sessions) if s.phase == "recall"]
    days = (schedule.session_abs_h[recalls] - end) / HOURS_PER_DAY
    np.testing.assert_allclose(days, [1, 7, 14, 28, 56], atol=1e-4)
    assert sessions[-1].phase == "renewal" and sessions[-1].context == "A"


def test_dissociation_probes_bracket_one_infusion(compose):
    cfg = compose(["experiment=dissociation_probe"])
    starts = build_schedule(cfg.protocol).session_abs_h
    (infusion,) = administration_times_h(cfg.pharmacology, starts)
    minutes = (starts - infusion) * 60
    np.testing.assert_allclose(minutes, [-15, 10, 20, 30, 40, 60, 80, 120, 160, 280], atol=0.01)
    dose = cfg.pharmacology.doses[0]
    assert (dose.route, dose.infusion_min, cfg.pharmacology.species) == \
        ("iv_infusion", 40.0, "human")
    # the baseline probe ends before the drug starts; none carries a tone or a shock
    assert minutes[0] + cfg.protocol.sessions[0].real_duration_min <= 0
    assert not any(s.cs or s.us for s in cfg.protocol.sessions)


@pytest.mark.parametrize("protocol", ["fear_extinction", "discrimination"])
def test_one_human_infusion_an_hour_after_conditioning_gone_by_extinction(compose, protocol):
    from model import nmda, pharmacology

    cfg = compose(["experiment=human_infusion_24h_before_extinction", f"protocol={protocol}"])
    (dose,) = cfg.pharmacology.doses
    assert cfg.pharmacology.species == "human"
    assert (dose.agent, dose.dose_mg_per_kg, dose.route, dose.infusion_min) \
        == ("ketamine", 0.5, "iv_infusion", 40.0)
    sessions = cfg.protocol.sessions
    starts = build_schedule(cfg.protocol).session_abs_h
    extinction = [k for k, s in enumerate(sessions) if s.phase == "extinction"][0]
    conditioning = extinction - 1
    assert sessions[conditioning].phase == "conditioning"
    (infusion,) = administration_times_h(cfg.pharmacology, starts)
    assert starts[extinction] - infusion == pytest.approx(23.0)
    assert infusion - (starts[conditioning] + sessions[conditioning].real_duration_min / 60) \
        == pytest.approx(1.0, abs=0.1)
    channels = nmda.channels(cfg.network.populations)
    t = np.array([infusion + 40 / 60, starts[extinction]])
    occ = pharmacology.occupancy_timeline(cfg.pharmacology, [starts.tolist()], channels, t)
    il_e = channels.index(("IL", "E"))
    assert occ[1, il_e] < 0.01 * occ[0, il_e]


@pytest.mark.parametrize("experiment", ["ketamine_infusion_trial", "ketamine_assisted_exposure"])
@pytest.mark.parametrize("saline", [False, True])
def test_the_trial_figure_reads_follow_ups_from_the_end_of_treatment(compose, experiment, saline):
    """Both designs' follow-ups fall 1-56 days after the end of treatment, and a saline
    arm (no doses) ends its treatment where its drug arm does: the placebo course."""
    from experiments.figures import fig_clinical_trial

    cfg = compose([f"experiment={experiment}"] + (["pharmacology.doses=[]"] if saline else []))
    ds = session_table(cfg)
    np.testing.assert_allclose(fig_clinical_trial.follow_up_days(ds), [1, 7, 14, 28, 56],
                               atol=1e-4)
    treatment = fig_clinical_trial.treatment_sessions(ds)
    assert len(treatment) == (2 if experiment == "ketamine_infusion_trial" else 6)


def test_single_infusion_a_day_before_one_exposure_with_recall_1_7_28_days_after(compose):
    cfg, schedule = composed(compose, "single_infusion_exposure")
    sessions, starts = cfg.protocol.sessions, schedule.session_abs_h
    (dose,) = cfg.pharmacology.doses
    assert cfg.pharmacology.species == "human"
    assert (dose.agent, dose.dose_mg_per_kg, dose.route, dose.infusion_min) \
        == ("ketamine", 0.5, "iv_infusion", 40.0)
    baseline, exposure = 2, 3
    assert [s.phase for s in sessions[:exposure + 1]] == \
        ["habituation", "conditioning", "extinction", "extinction"]
    assert (sessions[exposure].n_trials, sessions[exposure].real_duration_min) == (20, 90.0)
    assert starts[exposure] - starts[baseline] == pytest.approx(7 * HOURS_PER_DAY)
    (infusion,) = administration_times_h(cfg.pharmacology, starts)
    assert starts[exposure] - (infusion + INFUSION_H) == pytest.approx(HOURS_PER_DAY, abs=1e-4)
    assert starts[baseline] + sessions[baseline].real_duration_min / 60 < infusion
    end = starts[exposure] + sessions[exposure].real_duration_min / 60
    recalls = [k for k, s in enumerate(sessions) if s.phase == "recall"]
    np.testing.assert_allclose((starts[recalls] - end) / HOURS_PER_DAY, [1, 7, 28], atol=1e-4)


def test_exposure_timing_groups_place_the_infusion_before_the_exposure(compose):
    from experiments.figures import fig_exposure_timing as fig

    # hours from the end of the infusion to the start of the exposure
    expected = {"infusion during exposure": -INFUSION_H, "exposure 2 h after": 2.0,
                "exposure 1 d after": HOURS_PER_DAY, "exposure 6 d after": 6 * HOURS_PER_DAY}
    seen = {}
    for group in fig.groups(quick=False):
        cfg = compose(group.overrides)
        assert cfg.name == fig.EXPERIMENT and cfg.phenotype.name == "chronic_stress"
        times = administration_times_h(cfg.pharmacology, build_schedule(cfg.protocol).session_abs_h)
        if group.label == fig.SALINE:
            assert times == []
            continue
        (infusion,) = times
        exposure = build_schedule(cfg.protocol).session_abs_h[fig.EXPOSURE]
        seen[group.label] = exposure - (infusion + INFUSION_H)
    assert seen == pytest.approx(expected, abs=1e-4)


def test_course_length_twelve_infusions_with_the_trials_assessments_or_weekly_visits(compose):
    from experiments.figures import fig_clinical_trial
    from experiments.figures import fig_course_length as fig

    courses, assessed = {}, {}
    for group in fig.groups(quick=False):
        cfg = compose(group.overrides)
        starts = build_schedule(cfg.protocol).session_abs_h
        infusions = np.array(administration_times_h(cfg.pharmacology, starts))
        ds = session_table(cfg)
        courses[group.label] = infusions
        primary = [s.phase for s in cfg.protocol.sessions].index("recall")
        assert starts[primary] - (infusions.max() + INFUSION_H) == pytest.approx(HOURS_PER_DAY,
                                                                                 abs=1e-4)
        np.testing.assert_allclose(fig_clinical_trial.follow_up_days(ds), [1, 7, 14, 28, 56],
                                   atol=1e-4)
        # every assessment during the course a day after an infusion
        visits = fig_clinical_trial.treatment_sessions(ds)
        after = starts[visits][:, None] - (infusions[None, :] + INFUSION_H)
        np.testing.assert_allclose(np.min(np.where(after > 0, after, np.inf), axis=1),
                                   HOURS_PER_DAY, atol=1e-4)
        assessed[group.label] = [int(np.argmin(np.where(a > 0, a, np.inf))) + 1 for a in after]
    six, twelve = courses[fig.SIX], courses[fig.TWELVE]
    assert (len(six), len(twelve)) == (6, 12)
    np.testing.assert_allclose(courses[fig.TWELVE_VISITS], twelve)
    # the same Monday-Wednesday-Friday weeks, two more of them
    np.testing.assert_allclose(twelve[:6], six)
    np.testing.assert_allclose(np.diff(twelve), [48, 48, 72] * 3 + [48, 48])
    # the trial's assessments after infusions 1 and 3; weekly visits add one after 6 and 9
    assert assessed == {fig.SIX: [1, 3], fig.TWELVE: [1, 3], fig.TWELVE_VISITS: [1, 3, 6, 9]}


def test_phenotype_course_gives_each_phenotype_the_trial_with_and_without_its_infusions(compose):
    from experiments.figures import fig_clinical_trial
    from experiments.figures import fig_phenotype_course as fig

    trial = {g.label: g for g in fig_clinical_trial.groups(quick=False)}
    seen = set()
    for group in fig.groups(quick=False):
        cfg = compose(group.overrides)
        phenotype = cfg.phenotype.name
        assert cfg.name == fig.EXPERIMENT
        assert group.label == fig.label(phenotype, fig.DRUG if cfg.pharmacology.doses else
                                        fig.SALINE)
        seen.add(group.label)
        schedule = build_schedule(cfg.protocol)
        if cfg.pharmacology.doses:
            assert_six_infusion_course(cfg, schedule)
        else:
            assert administration_times_h(cfg.pharmacology, schedule.session_abs_h) == []
        np.testing.assert_allclose(fig_clinical_trial.follow_up_days(session_table(cfg)),
                                   [1, 7, 14, 28, 56], atol=1e-4)
        if phenotype == fig_clinical_trial.PATIENT_PHENOTYPE:
            # the stress arms are the trial figure's arms, patient for patient
            same = trial[fig_clinical_trial.DRUG if cfg.pharmacology.doses
                         else fig_clinical_trial.SALINE]
            assert group.overrides == same.overrides
            assert group.subject_overrides(10000) == same.subject_overrides(10000)
    assert seen == {fig.label(p, arm) for p in fig.PHENOTYPES for arm in (fig.SALINE, fig.DRUG)}
