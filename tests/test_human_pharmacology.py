"""Human pharmacology (pharmacology.species=human): the published two-compartment
ketamine model against its closed forms, infusion timing, the dose order of
occupancy, esketamine nasal spray, and the clinical courses as schedules.
Pure numpy, no simulation."""

import copy
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from experiments.config_store import compose, default_config
from experiments.preflight import check_command_line
from model.config import ConfigError
from model.pharmacology import (
    HOURS_PER_WEEK,
    DoseConfig,
    PharmacologyError,
    administration_times_h,
    builtin_agents,
    concentration_uM,
    micro_constants,
    occupancy_timeline,
    pk_summary,
    weekly_course,
)
from model.pharmacology.agents import ESKETAMINE_POTENCY_RATIO

ROOT = Path(__file__).resolve().parents[1]
LN2 = math.log(2.0)
T = np.linspace(0.0, 8.0, 8 * 1200 + 1)  # 3 s resolution
trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy < 2.0
KETAMINE = builtin_agents()["ketamine"]
ESKETAMINE = builtin_agents()["esketamine"]
# Clements & Nimmo 1981: V1 (L/kg) and micro-constants (1/min)
V1, K10, K12, K21 = 1.7522, 0.0109 * 60, 0.0186 * 60, 0.0137 * 60


@pytest.fixture(scope="module")
def _human_default():
    cfg = default_config().pharmacology
    cfg.species = "human"
    return cfg


@pytest.fixture
def human(_human_default):
    """The default pharmacology section with species=human (a fresh copy)."""
    return copy.deepcopy(_human_default)


def _mg_per_L(c_uM, agent=KETAMINE):
    return np.asarray(c_uM) * agent.mw_g_per_mol / 1000.0


def _plasma(dose, agent=KETAMINE, t=T):
    return _mg_per_L(concentration_uM(agent, "human", dose, t, compartment="plasma"), agent)


def _infusion(dose_mg_per_kg=0.5, minutes=40.0, agent="ketamine"):
    return DoseConfig(agent, dose_mg_per_kg, "iv_infusion", infusion_min=minutes)


def _hand_exponentials():
    """Amplitudes (1/(L/kg)) and rates (1/h) of the unit bolus response, from
    the micro-constants by the textbook formulas (Gibaldi & Perrier 1982)."""
    s = K10 + K12 + K21
    disc = math.sqrt(s * s - 4 * K10 * K21)
    alpha, beta = (s + disc) / 2, (s - disc) / 2
    a = (alpha - K21) / (V1 * (alpha - beta))
    b = (K21 - beta) / (V1 * (alpha - beta))
    return np.array([a, b]), np.array([alpha, beta])


def test_human_ketamine_is_the_published_two_compartment_model():
    k10, k12, k21 = micro_constants(KETAMINE.pk["human"])
    assert (k10, k12, k21) == pytest.approx((K10, K12, K21), rel=1e-9)
    summary = pk_summary(KETAMINE.pk["human"])
    assert summary["alpha_half_life_h"] * 60 == pytest.approx(17.6, abs=0.1)
    assert summary["beta_half_life_h"] == pytest.approx(3.05, abs=0.01)
    assert summary["cl_L_per_h_per_kg"] == pytest.approx(V1 * K10)
    assert summary["vss_L_per_kg"] == pytest.approx(V1 * (1 + K12 / K21))


def test_infusion_rise_and_decay_match_the_closed_form():
    amp, rate = _hand_exponentials()
    d, t_inf = 0.5, 40.0 / 60.0
    r = d / t_inf
    during = T[T <= t_inf]
    after = T[T > t_inf]
    rise = r * (amp / rate * -np.expm1(-np.outer(during, rate))).sum(axis=1)
    end = r * amp / rate * -np.expm1(-rate * t_inf)
    decay = (end * np.exp(-np.outer(after - t_inf, rate))).sum(axis=1)
    c = _plasma(_infusion(d))
    np.testing.assert_allclose(c[T <= t_inf], rise, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(c[T > t_inf], decay, rtol=1e-9, atol=1e-12)
    # long after the end only the terminal phase is left: log-slope = -beta
    late = (T > 6.0)
    slope = np.polyfit(T[late], np.log(c[late]), 1)[0]
    assert slope == pytest.approx(-rate.min(), rel=1e-3)


def test_a_long_infusion_plateaus_at_rate_over_clearance():
    hours = 48.0
    dose = _infusion(0.5 * hours, hours * 60.0)  # 0.5 mg/kg/h for two days
    c_end = _plasma(dose, t=np.array([hours]))[0]
    assert c_end == pytest.approx(0.5 / (V1 * K10), rel=1e-4)  # Css = R / CL


def test_infusion_timing_peak_at_its_end_and_nothing_before(human):
    t_inf = 40.0 / 60.0
    c = _plasma(_infusion())
    assert T[np.argmax(c)] == pytest.approx(t_inf, abs=1e-9)
    assert np.all(np.diff(c[T <= t_inf]) > 0) and np.all(np.diff(c[T >= t_inf]) < 0)
    # 0.5 mg/kg over 40 min: ~0.1-0.3 ug/mL at the end (Zarate et al. 2006; Feder et al. 2014)
    assert 0.1 <= c.max() <= 0.3
    # an infusion starting 2 h into the protocol: zero before, same shape after
    cfg = human
    cfg.doses = [_infusion()]
    occ = occupancy_timeline(cfg, [2.0], [("IL", "E")], T)[:, 0]
    assert np.all(occ[T <= 2.0] == 0.0) and occ[T > 2.0].min() > 0.0
    # brain (effect site, ke0 half-time 3 min) peaks a few minutes after the end
    assert 2.0 + t_inf < T[np.argmax(occ)] <= 2.0 + t_inf + 5.0 / 60.0


def test_peak_occupancy_rises_with_the_human_dose(human):
    cfg = human
    peaks = []
    for d in (0.1, 0.5, 1.0):
        cfg.doses = [_infusion(d)]
        occ = occupancy_timeline(cfg, [0.0], [("IL", "E"), ("IL", "I")], T)
        peaks.append(occ.max(axis=0))
        assert np.all(occ[:, 1] >= occ[:, 0])  # interneurons more sensitive
    e, i = np.array(peaks).T
    assert e[0] < e[1] < e[2] and i[0] < i[1] < i[2]
    # antidepressant doses are a partial block, well below rat anaesthesia (>= 0.9)
    assert e[2] < 0.5


def test_esketamine_nasal_spray_bioavailability_and_tmax(human):
    spray = DoseConfig("esketamine", 0.8, "intranasal")  # 56 mg in 70 kg
    bolus = DoseConfig("esketamine", 0.8, "iv_bolus")
    t = np.linspace(0.0, 72.0, 72 * 600 + 1)
    auc_spray = trapezoid(_plasma(spray, ESKETAMINE, t), t)
    auc_iv = trapezoid(_plasma(bolus, ESKETAMINE, t), t)
    assert auc_spray / auc_iv == pytest.approx(0.48, rel=1e-3)  # SPRAVATO label: ~48%
    cp = _plasma(spray, ESKETAMINE)
    assert 20.0 <= T[np.argmax(cp)] * 60 <= 40.0  # label: tmax 20-40 min
    assert ESKETAMINE.ic50_E_uM * ESKETAMINE_POTENCY_RATIO == pytest.approx(KETAMINE.ic50_E_uM)
    # 84 mg blocks more than 56 mg
    cfg = human
    peak = {}
    for mg in (56.0, 84.0):
        cfg.doses = [DoseConfig("esketamine", mg / 70.0, "intranasal")]
        peak[mg] = occupancy_timeline(cfg, [0.0], [("IL", "E")], T)[:, 0].max()
    assert 0.0 < peak[56.0] < peak[84.0] < 0.5


def test_weekly_course_gives_the_right_doses_at_the_right_times(human):
    first = _infusion()
    doses = weekly_course(first, weekdays=(0, 2, 4), weeks=2)  # Mon, Wed, Fri
    cfg = human
    cfg.doses = doses
    times = administration_times_h(cfg, [10.0])
    assert times == [10.0 + h for h in (0.0, 48.0, 96.0, 168.0, 216.0, 264.0)]
    assert all(d.dose_mg_per_kg == 0.5 and d.infusion_min == 40.0 for d in doses)
    single = weekly_course(first, weekdays=(0,), weeks=1)
    assert len(single) == 1 and single[0].repeat_count == 0
    # the infusions of a course do not overlap: occupancy falls between them
    occ = occupancy_timeline(cfg, [[10.0 + h] for h in (0.0, 48.0, 96.0)],
                             [("IL", "E")], np.array([10.7, 10.7 + 47.0, 10.7 + 48.0]))
    assert occ[1, 0] < 0.01 * occ[0, 0] and occ[2, 0] == pytest.approx(occ[0, 0], rel=0.02)


@pytest.mark.parametrize("weekdays, weeks", [((), 2), ((1, 3), 2), ((0, 7), 2), ((0,), 0)])
def test_weekly_course_refuses_bad_patterns(weekdays, weeks):
    with pytest.raises(PharmacologyError, match="is not allowed"):
        weekly_course(_infusion(), weekdays, weeks)


@pytest.mark.parametrize("group, agent, hours", [
    ("ketamine_iv_course", "ketamine", (0.0, 48.0, 96.0, 168.0, 216.0, 264.0)),
    ("esketamine_course", "esketamine",
     tuple(w * HOURS_PER_WEEK + d for w in range(4) for d in (0.0, 72.0))),
])
def test_clinical_course_configs(group, agent, hours):
    cfg = compose([f"pharmacology={group}"]).pharmacology
    assert cfg.species == "human" and {d.agent for d in cfg.doses} == {agent}
    assert administration_times_h(cfg, [0.0]) == list(hours)


def test_bad_species_is_one_line_naming_the_key():
    with pytest.raises(ConfigError) as err:
        check_command_line(["pharmacology.species=dog"])
    message = str(err.value)
    assert message.startswith("pharmacology.species='dog' is not allowed: one of")
    assert "human" in message and "\n" not in message
    run = subprocess.run([sys.executable, "-m", "experiments.cli.run", "pharmacology.species=dog"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "pharmacology.species" in run.stderr
