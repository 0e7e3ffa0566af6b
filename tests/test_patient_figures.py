"""The checks of the phenotype and clinical-trial figures, and the predictions of
the exposure-timing, course-length and phenotype-course figures, on figure data made to order.

No simulation: each figure's analysed data (group x subject measures) is
built by hand, once where the targets hold and once where they do not, and
the checks must say PASS and FAIL accordingly; a prediction must report the
comparison the data hold.
"""

import numpy as np
import pytest
import xarray as xr

from experiments.analysis import statistics as stats
from experiments.figures import (
    core,
    fig_clinical_trial,
    fig_course_length,
    fig_exposure_timing,
    fig_phenotype_course,
    fig_phenotypes,
)

RNG = np.random.default_rng(3)
N = 16


def _noisy(mean, sd=3.0):
    return mean + sd * RNG.standard_normal(N)


def _phenotype_data(stress_recall, met_rise, healthy_cs_minus, stress_cs_minus,
                    human_recall=(40.0, 30.0)):
    labels = [g.label for g in fig_phenotypes.groups(quick=True)]
    values = {name: np.full((len(labels), N), np.nan) for name in
              list(fig_phenotypes.MEASURES) + ["spine_rise"]}
    recall = {"healthy": 20.0, "chronic stress": stress_recall, "Val66Met": 20.0,
              "healthy + ketamine": 12.0, "chronic stress + ketamine": stress_recall - 20,
              "Val66Met + ketamine": 18.0,
              fig_phenotypes.human_label(0.1): human_recall[0],
              fig_phenotypes.human_label(0.5): human_recall[1]}
    rise = {"healthy + ketamine": 0.3, "Val66Met + ketamine": met_rise,
            "chronic stress + ketamine": 0.3}
    for k, g in enumerate(labels):
        values["recall"][k] = _noisy(recall[g])
        values["conditioning_last"][k] = _noisy(70.0)
        cs_minus = stress_cs_minus if g.startswith("chronic") else healthy_cs_minus
        values["conditioning_last_cs_minus"][k] = _noisy(cs_minus)
        if g in rise:
            values["spine_rise"][k] = _noisy(rise[g], 0.03)
    return xr.Dataset({name: (("group", "subject"), v) for name, v in values.items()},
                      coords={"group": labels}, attrs={"design": "between"})


def _statuses(module, data):
    return [c.status for c in core.finalize(module.checks(data))]


def test_phenotype_checks_pass_where_the_targets_hold_and_fail_where_not():
    good = _statuses(fig_phenotypes, _phenotype_data(45.0, 0.05, 20.0, 45.0))
    # Val66Met recall 20 = 1x healthy's
    assert good == ["PASS", "PASS", "FAIL", "PASS", "PASS", "PASS", "PASS"]
    bad = _statuses(fig_phenotypes, _phenotype_data(25.0, 0.3, 50.0, 50.0,
                                                    human_recall=(30.0, 40.0)))
    assert bad == ["FAIL", "PASS", "FAIL", "FAIL", "FAIL", "FAIL", "FAIL"]
    # equal benefits of the two human doses: no dose-response
    flat = _statuses(fig_phenotypes, _phenotype_data(45.0, 0.05, 20.0, 45.0,
                                                     human_recall=(35.0, 35.0)))
    assert flat[-1] == "FAIL"


def _trial_data(ket_responders: int, sal_responders: int, ket_lost: int, sal_lost: int,
                labels=(fig_clinical_trial.SALINE, fig_clinical_trial.DRUG)):
    labels = list(labels)
    days = np.array([1.0, 7.0, 14.0, 28.0, 56.0])
    base = np.full((2, N), 60.0)
    follow = np.full((2, N, len(days)), 60.0)
    for g, (n_resp, n_lost) in enumerate(((sal_responders, sal_lost),
                                          (ket_responders, ket_lost))):
        follow[g, :n_resp] = 20.0  # responders: 67% below baseline
        follow[g, :n_lost, 2:] = 60.0  # lose it at 14 days
    resp = (follow[..., 0] <= 0.7 * base).astype(float)
    t = np.full((2, N), np.nan)
    e = np.full((2, N), np.nan)
    from experiments.analysis import clinical

    r = resp == 1
    t[r], e[r] = clinical.time_to_loss_of_response(days, follow[r], base[r])
    return xr.Dataset({"responder": (("group", "subject"), resp),
                       "time_to_loss_days": (("group", "subject"), t),
                       "loss_event": (("group", "subject"), e.astype(float))},
                      coords={"group": labels, "follow_up_day": days},
                      attrs={"design": "between"})


def test_clinical_trial_checks_pass_where_the_targets_hold_and_fail_where_not():
    assert _statuses(fig_clinical_trial, _trial_data(11, 3, 2, 3)) == ["PASS", "PASS"]
    assert _statuses(fig_clinical_trial, _trial_data(4, 4, 4, 0)) == ["FAIL", "FAIL"]
    # no responder on either arm: both checks fail, none errs
    assert _statuses(fig_clinical_trial, _trial_data(0, 0, 0, 0)) == ["FAIL", "FAIL"]


def test_clinical_trial_durability_is_read_from_when_responses_are_lost():
    """Every responder of both arms loses the response by the last follow-up, but
    ketamine's at 28 days and saline's at 7: the curves differ and ketamine's is
    the higher, though the fraction lost is the same (1.0 in both)."""
    data = _trial_data(N, N, 0, 0)
    t = np.where(np.arange(2)[:, None] == 1, 28.0, 7.0) * np.ones((2, N))
    data["time_to_loss_days"] = (("group", "subject"), t)
    data["loss_event"] = (("group", "subject"), np.ones((2, N)))
    durability = core.finalize(fig_clinical_trial.checks(data))[1]
    assert durability.passed and "observed - expected losses on ketamine -" in durability.effect
    data["time_to_loss_days"] = (("group", "subject"), t[::-1])
    assert not core.finalize(fig_clinical_trial.checks(data))[1].passed


def _probe_data(peak_by_dose: dict[float, float], back: bool = True):
    minutes = np.array([-15.0, 10, 20, 30, 40, 60, 80, 120, 160, 280])
    groups = list(fig_clinical_trial.PROBES)
    doses = [fig_clinical_trial.PROBES[g] for g in groups]
    shape = np.clip(1 - np.abs(minutes - 40) / 80, 0, None)  # highest at the end of infusion
    if not back:
        shape = np.where(minutes >= 40, 1.0, shape)
    values = np.array([[1 + peak_by_dose[d] * shape + 0.01 * RNG.standard_normal(len(minutes))
                        for _ in range(N)] for d in doses])
    dims = ("probe_group", "probe_subject", "probe_minutes")
    return xr.Dataset({"probe_rate_index": (dims, values), "probe_gamma_ratio": (dims, values)},
                      coords={"probe_group": groups, "probe_minutes": minutes,
                              "probe_dose_mg_per_kg": ("probe_group", doses)})


def test_dissociation_checks_follow_the_proxy():
    good = fig_clinical_trial.probe_checks(_probe_data({0.0: 0.0, 0.5: 0.3, 1.0: 0.6}),
                                           "between")
    assert [c.status for c in core.finalize(good)] == ["PASS"] * 6
    flat = fig_clinical_trial.probe_checks(_probe_data({0.0: 0.0, 0.5: 0.0, 1.0: 0.0}),
                                           "between")
    rises = [c for c in core.finalize(flat) if "rises with dose" in c.pattern]
    assert [c.status for c in rises] == ["FAIL", "FAIL"]
    lasting = fig_clinical_trial.probe_checks(
        _probe_data({0.0: 0.0, 0.5: 0.3, 1.0: 0.6}, back=False), "between")
    backs = [c for c in core.finalize(lasting) if "back 2 h" in c.pattern]
    assert [c.status for c in backs] == ["FAIL", "FAIL"]


def _predicted(module, data):
    return core.finalize_predictions(module.predictions(data))


def test_course_length_predictions_count_responders_and_who_still_responds():
    # the longer course: 14 responders, 2 of them lose it at 14 days; the shorter: 6, all lose it
    data = _trial_data(14, 6, 2, 6, labels=(fig_course_length.SIX, fig_course_length.TWELVE))
    assert fig_course_length.checks(data) == []
    fractions, survival = _predicted(fig_course_length, data)
    assert fractions.line().startswith("PREDICTION  responders, ketamine x12 vs ketamine x6")
    assert fractions.measured == "14/16 vs 6/16" and fractions.p < 0.05
    # without the weekly-visit course only this pair is compared: a Holm family of two
    np.testing.assert_allclose([fractions.p_adjusted, survival.p_adjusted],
                               stats.holm([fractions.p, survival.p]))
    assert "median not reached vs 14 d" in survival.measured
    assert "1 d 14/6; 7 d 14/6; 14 d 12/0; 28 d 12/0; 56 d 12/0" in survival.measured
    assert survival.p < 0.05 and "losses on ketamine x12 -" in survival.effect
    # equal courses: nothing to tell them apart
    same = _predicted(fig_course_length, _trial_data(8, 8, 4, 4, labels=(
        fig_course_length.SIX, fig_course_length.TWELVE)))
    assert [round(q.p, 6) for q in same] == [1.0, 1.0]
    # with the weekly-visit course: every pair, in order
    visits = _trial_data(0, 16, 0, 0, labels=(fig_course_length.TWELVE_VISITS, "unused"))
    three = xr.concat([data, visits.isel(group=[0])], dim="group")
    predicted = _predicted(fig_course_length, three)
    assert [q.comparison.split(", ", 1)[1] for q in predicted[::2]] == [
        "ketamine x12 vs ketamine x6", "ketamine x12, weekly visits vs ketamine x6",
        "ketamine x12, weekly visits vs ketamine x12"]
    assert predicted[2].measured == "16/16 vs 6/16" and predicted[4].measured == "16/16 vs 14/16"


def _timing_data(recall_by_group: dict[str, float]):
    labels = [g.label for g in fig_exposure_timing.groups(quick=True)]
    days = np.array([1.0, 7.0, 28.0])
    rng = np.random.default_rng(11)  # its own draws: the same data whatever ran before
    recall = np.stack([np.stack([recall_by_group[g] + d / 7 + 3.0 * rng.standard_normal(N)
                                 for d in days], axis=-1) for g in labels])
    return xr.Dataset({"recall": (("group", "subject", "recall_day"), recall)},
                      coords={"group": labels, "recall_day": days}, attrs={"design": "between"})


def _points(prediction) -> float:
    """The difference a prediction reports, '(+12.3 points)'."""
    import re

    return float(re.search(r"\(([-+][0-9.]+) points\)", prediction.measured).group(1))


def test_exposure_timing_predictions_compare_every_timing_with_saline_and_the_reference():
    recall = {"saline": 50.0, "infusion during exposure": 48.0, "exposure 2 h after": 40.0,
              "exposure 1 d after": 30.0, "exposure 6 d after": 49.0}
    data = _timing_data(recall)
    assert fig_exposure_timing.checks(data) == []
    predicted = _predicted(fig_exposure_timing, data)
    timings = len(fig_exposure_timing.TIMINGS)
    # each timing vs saline, each other timing vs the reference, at 3 recall tests
    assert len(predicted) == 3 * (timings + timings - 1)
    by_name = {q.comparison: q for q in predicted}
    one_day = by_name["recall 7 d after the exposure, exposure 1 d after vs saline"]
    assert one_day.p_adjusted < 0.05 and -24 < _points(one_day) < -16
    during = by_name["recall 28 d after the exposure, infusion during exposure vs exposure 1 d after"]
    assert during.p_adjusted < 0.05 and 14 < _points(during) < 22
    late = by_name["recall 1 d after the exposure, exposure 6 d after vs saline"]
    assert late.p_adjusted > 0.05
    # one Holm family of all of them: the smallest p is multiplied by their number
    smallest = min(predicted, key=lambda q: q.p)
    assert smallest.p_adjusted == pytest.approx(min(1.0, len(predicted) * smallest.p))


def _phenotype_course_data(improvement: dict[str, float], responders: dict[str, int]):
    """Each group's improvement from baseline (% below it, noisy) and its number of
    responders, who keep the response to the last follow-up."""
    fig = fig_phenotype_course
    labels = [g.label for g in fig.groups(quick=True)]
    days = np.array([1.0, 7.0, 14.0, 28.0, 56.0])
    imp = np.array([_noisy(improvement[g]) for g in labels])
    resp = np.array([(np.arange(N) < responders[g]).astype(float) for g in labels])
    t = np.where(resp == 1, days[-1], np.nan)
    e = np.where(resp == 1, 0.0, np.nan)
    return xr.Dataset({"improvement": (("group", "subject"), imp),
                       "responder": (("group", "subject"), resp),
                       "time_to_loss_days": (("group", "subject"), t),
                       "loss_event": (("group", "subject"), e)},
                      coords={"group": labels, "follow_up_day": days},
                      attrs={"design": "between"})


def test_phenotype_course_predictions_compare_benefits_between_phenotypes():
    fig = fig_phenotype_course
    lab = fig.label
    # ketamine helps the stressed patients by 40 points over saline, the others by 10
    improvement = {lab(p, fig.SALINE): 5.0 for p in fig.PHENOTYPES}
    improvement.update({lab(p, fig.DRUG): 15.0 for p in fig.PHENOTYPES})
    improvement[lab("chronic_stress", fig.DRUG)] = 45.0
    responders = {g: 2 for g in improvement}
    responders[lab("chronic_stress", fig.DRUG)] = 15
    data = _phenotype_course_data(improvement, responders)
    assert fig.checks(data) == []
    predicted = _predicted(fig, data)
    by_name = {q.comparison: q for q in predicted}
    # per phenotype two comparisons, per pair of phenotypes three: one Holm family
    assert len(predicted) == 3 * 2 + 3 * 3
    np.testing.assert_allclose([q.p_adjusted for q in predicted],
                               stats.holm([q.p for q in predicted]))
    stress = by_name["responders, chronic stress, ketamine x6 vs chronic stress, saline x6"]
    assert stress.measured == "15/16 vs 2/16" and stress.p < 0.001
    benefit = by_name["benefit over saline (improvement, ketamine - saline), healthy vs "
                      "chronic stress"]
    assert benefit.p < 0.001 and -35 < float(benefit.effect[2:]) < -25
    # healthy and Val66Met benefit alike: a small contrast
    alike = by_name["benefit over saline (improvement, ketamine - saline), healthy vs Val66Met"]
    assert abs(float(alike.effect[2:])) < 5
    assert by_name["responders, healthy, ketamine x6 vs Val66Met, ketamine x6"].measured \
        == "2/16 vs 2/16"
