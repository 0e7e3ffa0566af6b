"""Pharmacokinetics and NMDAR occupancy (model/pharmacology/): closed forms,
superposition, Hill/Gaddum occupancy, the targets of docs/model.md sections 9-10
and validation messages (model/config/pharmacology.py). Pure numpy, no simulation."""

import dataclasses
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from model.config import ConfigError
from model.config.pharmacology import validate_pharmacology
from model.pharmacology import (
    AgentParams,
    DoseConfig,
    PharmacologyConfig,
    PKParams,
    builtin_agents,
    concentration_uM,
    dose_times,
    micro_constants,
    occupancy,
    occupancy_timeline,
    pk_summary,
)

LN2 = math.log(2.0)
MW = 250.0
trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy < 2.0
REGIONS = ["LA", "BLA", "ITC", "CeA", "PL", "IL"]


def one_comp(half_life_h=2.0, v=1.5, ka=6.0, f=0.6, ke0=0.0):
    return AgentParams(name="test", mw_g_per_mol=MW, ic50_E_uM=1.0, ic50_I_uM=0.5,
                       brain_plasma_ratio=1.0,
                       pk={"rat": PKParams(half_life_h=half_life_h, vd_L_per_kg=v, ke0_per_h=ke0,
                                           ka_per_h={"ip": ka}, bioavailability={"ip": f})})


def plasma(agent, dose, t, species="rat"):
    return concentration_uM(agent, species, dose, t, compartment="plasma")


def to_mg_per_L(c_uM):
    return c_uM * MW / 1000.0


# --------------------------------------------------------------------------
# PK closed forms
# --------------------------------------------------------------------------
def test_iv_bolus_one_compartment_is_monoexponential():
    a = one_comp(half_life_h=2.0, v=1.5)
    t = np.array([0.0, 0.25, 1.0, 2.0, 5.0])
    c = to_mg_per_L(plasma(a, DoseConfig("test", 3.0, "iv_bolus"), t))
    np.testing.assert_allclose(c, 3.0 / 1.5 * np.exp(-LN2 / 2.0 * t), rtol=1e-12)
    # mg/L -> uM uses the molecular weight
    assert plasma(a, DoseConfig("test", 3.0, "iv_bolus"), 0.0) == pytest.approx(2.0 / MW * 1000)


def test_zero_before_the_dose_and_dose_proportional():
    a = one_comp()
    t = np.array([-5.0, -0.01, 0.5, 1.0])
    for route in ("iv_bolus", "ip"):
        c1 = plasma(a, DoseConfig("test", 1.0, route), t)
        c2 = plasma(a, DoseConfig("test", 2.0, route), t)
        assert np.all(c1[:2] == 0.0)
        np.testing.assert_allclose(c2, 2 * c1)


def test_two_compartment_bolus_matches_the_ode():
    a = one_comp(half_life_h=1.0, v=0.8)
    a.pk["rat"].k12_per_h, a.pk["rat"].k21_per_h = 3.0, 1.5
    k10, k12, k21 = micro_constants(a.pk["rat"])
    summary = pk_summary(a.pk["rat"])
    assert summary["beta_half_life_h"] == pytest.approx(1.0)  # the terminal half-life
    assert summary["vss_L_per_kg"] == pytest.approx(0.8 * 3.0)

    def rhs(_, y):  # amounts (mg/kg) in central and peripheral compartments
        return [-(k10 + k12) * y[0] + k21 * y[1], k12 * y[0] - k21 * y[1]]

    t = np.linspace(0, 6, 61)
    sol = solve_ivp(rhs, (0, 6), [5.0, 0.0], t_eval=t, rtol=1e-10, atol=1e-12)
    c = to_mg_per_L(plasma(a, DoseConfig("test", 5.0, "iv_bolus"), t))
    np.testing.assert_allclose(c, sol.y[0] / 0.8, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("route, inf_min", [("iv_bolus", 0), ("ip", 0), ("iv_infusion", 30)])
def test_effect_site_matches_the_ode(route, inf_min):
    ke0 = LN2 / (4 / 60)
    a = one_comp(half_life_h=1.0, v=0.8, ka=10.0, f=0.5, ke0=ke0)
    a.pk["rat"].k12_per_h, a.pk["rat"].k21_per_h = 3.0, 1.5
    a.brain_plasma_ratio = 0.4
    k10, k12, k21 = micro_constants(a.pk["rat"])
    d, ka, f, T = 5.0, 10.0, 0.5, inf_min / 60

    def rhs(t, y):  # depot, central, peripheral (mg/kg), effect site (mg/L)
        inp = d / T if (route == "iv_infusion" and t < T) else 0.0
        return [-ka * y[0],
                ka * y[0] + inp - (k10 + k12) * y[1] + k21 * y[2],
                k12 * y[1] - k21 * y[2],
                ke0 * (y[1] / 0.8 - y[3])]

    y0 = {"iv_bolus": [0, d, 0, 0], "ip": [f * d, 0, 0, 0], "iv_infusion": [0, 0, 0, 0]}[route]
    t = np.linspace(0, 4, 241)
    sol = solve_ivp(rhs, (0, 4), y0, t_eval=t, rtol=1e-10, atol=1e-12, max_step=0.005)
    dose = DoseConfig("test", d, route, infusion_min=inf_min)
    np.testing.assert_allclose(to_mg_per_L(plasma(a, dose, t)), sol.y[1] / 0.8,
                               rtol=1e-4, atol=1e-6)
    ce = to_mg_per_L(concentration_uM(a, "rat", dose, t))
    np.testing.assert_allclose(ce, 0.4 * sol.y[3], rtol=1e-4, atol=1e-6)


def test_bateman_function_and_its_peak_time():
    ka, half, v, f, d = 6.0, 2.0, 1.5, 0.6, 4.0
    ke = LN2 / half
    a = one_comp(half_life_h=half, v=v, ka=ka, f=f)
    t = np.linspace(0, 12, 120001)
    c = to_mg_per_L(plasma(a, DoseConfig("test", d, "ip"), t))
    bateman = f * d * ka / (v * (ka - ke)) * (np.exp(-ke * t) - np.exp(-ka * t))
    np.testing.assert_allclose(c, bateman, rtol=1e-9, atol=1e-12)
    t_max = math.log(ka / ke) / (ka - ke)
    assert t[np.argmax(c)] == pytest.approx(t_max, abs=2e-4)


@pytest.mark.parametrize("route, inf_min", [("iv_infusion", 40.0), ("iv_infusion", 240.0),
                                            ("ip", 0.0), ("iv_bolus", 0.0)])
def test_auc_equals_f_dose_over_clearance(route, inf_min):
    half, v, f, d = 1.5, 2.0, 0.6, 3.0
    ke = LN2 / half
    a = one_comp(half_life_h=half, v=v, f=f)
    t = np.linspace(0, 40 * half, 400001)
    c = to_mg_per_L(plasma(a, DoseConfig("test", d, route, infusion_min=inf_min), t))
    fb = f if route == "ip" else 1.0
    assert trapezoid(c, t) == pytest.approx(fb * d / (v * ke), rel=0.01)
    if route == "iv_infusion":  # peak at the end of the infusion
        assert t[np.argmax(c)] == pytest.approx(inf_min / 60, abs=1e-3)


def test_two_compartment_auc_is_dose_over_clearance():
    a = one_comp(half_life_h=1.0, v=0.8)
    a.pk["rat"].k12_per_h, a.pk["rat"].k21_per_h = 3.0, 1.5
    cl = pk_summary(a.pk["rat"])["cl_L_per_h_per_kg"]
    t = np.linspace(0, 40, 400001)
    c = to_mg_per_L(plasma(a, DoseConfig("test", 2.0, "iv_infusion", infusion_min=40), t))
    assert trapezoid(c, t) == pytest.approx(2.0 / cl, rel=0.01)


def test_repeated_doses_superpose():
    a = one_comp()
    t = np.linspace(-1, 30, 3101)
    single = DoseConfig("test", 2.0, "ip")
    rep = dataclasses.replace(single, repeat_every_h=8.0, repeat_count=2)
    expected = sum(plasma(a, single, t - 8.0 * j) for j in range(3))
    np.testing.assert_allclose(plasma(a, rep, t), expected, rtol=1e-12)
    # after the last dose the excess over a single dose is the carried-over tail
    assert plasma(a, rep, 16.5) > plasma(a, single, 0.5)


def test_local_infusion_peaks_at_the_set_concentration():
    apv = builtin_agents()["APV"]
    dose = DoseConfig("APV", 0.0, "local", infusion_min=2.0, regions=["IL"])
    t = np.sort(np.append(np.linspace(0, 5, 5001), 2 / 60))
    c = concentration_uM(apv, "rat", dose, t)
    assert c.max() == pytest.approx(apv.local_peak_uM, rel=1e-9)
    assert t[np.argmax(c)] == pytest.approx(2 / 60, abs=1e-12)
    i = np.searchsorted(t, 2 / 60 + apv.local_half_life_h)
    assert c[i] == pytest.approx(apv.local_peak_uM / 2, rel=0.01)
    assert concentration_uM(apv, "rat", dose, t, local_concentration_uM=7.0).max() == \
        pytest.approx(7.0, rel=1e-6)
    assert not plasma(apv, dose, t).any()


# --------------------------------------------------------------------------
# occupancy
# --------------------------------------------------------------------------
@pytest.mark.parametrize("n", [0.7, 1.0, 2.0])
def test_hill_occupancy(n):
    assert occupancy(0.8, 0.8, n) == pytest.approx(0.5)
    assert occupancy(0.0, 0.8, n) == 0.0
    assert occupancy(1e6, 0.8, n) == pytest.approx(1.0, abs=1e-3)
    # slope d occ / d ln C at the IC50 is n/4
    eps = 1e-5
    slope = (occupancy(0.8 * math.exp(eps), 0.8, n) - occupancy(0.8 * math.exp(-eps), 0.8, n)) / (2 * eps)
    assert slope == pytest.approx(n / 4, rel=1e-6)


def test_steeper_hill_is_steeper():
    c = np.array([0.25, 4.0])
    lo, hi = occupancy(c, 1.0, 1.0), occupancy(c, 1.0, 2.0)
    assert hi[0] < lo[0] and hi[1] > lo[1]


def _cfg(*doses, **kw):
    return PharmacologyConfig(**{"species": "rat", "doses": list(doses),
                                 "local_concentration_uM": 0.0, "interneuron_ic50_factor": 0.0,
                                 **kw})


def test_competing_agents_combine_by_gaddum_and_sites_independently():
    t = np.array([0.2, 1.0, 3.0])
    ket = DoseConfig("ketamine", 10.0, "ip")
    mk = DoseConfig("MK-801", 0.05, "ip")
    cpp = DoseConfig("CPP", 10.0, "ip")
    ch = [("IL", "E"), ("IL", "I")]
    agents = builtin_agents()

    def x(dose, kind):
        a = agents[dose.agent]
        c = concentration_uM(a, "rat", dose, t)
        return (c / (a.ic50_E_uM if kind == "E" else a.ic50_I_uM)) ** a.hill

    both = occupancy_timeline(_cfg(ket, mk), [0.0, 0.0], ch, t)
    for j, kind in enumerate("EI"):
        xs = x(ket, kind) + x(mk, kind)  # same (channel) site: Gaddum
        np.testing.assert_allclose(both[:, j], xs / (1 + xs), rtol=1e-10)
    o_ket = occupancy_timeline(_cfg(ket), [0.0], ch, t)
    o_cpp = occupancy_timeline(_cfg(cpp), [0.0], ch, t)
    mixed = occupancy_timeline(_cfg(ket, cpp), [0.0, 0.0], ch, t)  # different sites
    np.testing.assert_allclose(mixed, 1 - (1 - o_ket) * (1 - o_cpp), rtol=1e-10)
    # two doses of one agent add concentrations (not occupancies)
    half = dataclasses.replace(ket, dose_mg_per_kg=5.0)
    np.testing.assert_allclose(occupancy_timeline(_cfg(half, half), [0.0, 0.0], ch, t),
                               o_ket, rtol=1e-10)


def test_local_doses_act_only_in_their_regions():
    t = np.linspace(0, 3, 31)
    cfg = _cfg(DoseConfig("APV", 0.0, "local", infusion_min=1.0, regions=["IL", "BLA"]),
               DoseConfig("ketamine", 10.0, "ip"))
    occ = occupancy_timeline(cfg, [1.0, 0.0], [("IL", "E"), ("BLA", "E"), ("PL", "E")], t)
    sys_only = occupancy_timeline(_cfg(cfg.doses[1]), [0.0], [("PL", "E")], t)
    np.testing.assert_allclose(occ[:, 2], sys_only[:, 0])
    np.testing.assert_allclose(occ[:, 0], occ[:, 1])
    assert occ[t > 1.05, 0].min() > 0.5 and np.all(occ[:, 0] >= occ[:, 2])


def test_dose_times_expand_sessions_offsets_and_repeats():
    cfg = _cfg(DoseConfig("ketamine", 10.0, "ip", session=2, offset_h=-24.0),
               DoseConfig("ketamine", 0.5, "iv_infusion", infusion_min=40, session=1,
                          offset_h=0.5, repeat_every_h=56.0, repeat_count=5))
    starts = [0.0, 1.0, 25.0, 50.0, 72.0]
    dt = dose_times(cfg, starts)
    assert dt[0] == [1.0]
    assert dt[1] == pytest.approx([1.5 + 56.0 * j for j in range(6)])
    t = np.linspace(0, 300, 3001)
    ch = [("IL", "E")]
    # expanded lists and single start times give the same timeline
    np.testing.assert_allclose(occupancy_timeline(cfg, dt, ch, t),
                               occupancy_timeline(cfg, [1.0, 1.5], ch, t))


def test_interneuron_ic50_factor_overrides_agent_values():
    t = np.linspace(0, 1, 61)
    dose = DoseConfig("ketamine", 10.0, "ip")
    same = occupancy_timeline(_cfg(dose, interneuron_ic50_factor=1.0), [0.0],
                              [("IL", "E"), ("IL", "I")], t)
    np.testing.assert_allclose(same[:, 0], same[:, 1])


# --------------------------------------------------------------------------
# targets of docs/model.md, sections 9-10
# --------------------------------------------------------------------------
T = np.linspace(0, 6, 6 * 600 + 1)  # 6 s resolution


def _ketamine(dose, route="ip", species="rat", inf=0.0):
    cfg = _cfg(DoseConfig("ketamine", dose, route, infusion_min=inf), species=species)
    return occupancy_timeline(cfg, [0.0], [("IL", "E"), ("IL", "I")], T)


def test_rat_ketamine_10_mg_kg_ip_occupancy_time_course():
    occ = _ketamine(10.0)
    e, i = occ[:, 0], occ[:, 1]
    t_peak_min = T[np.argmax(e)] * 60
    assert 10.0 <= t_peak_min <= 20.0, t_peak_min  # Lord et al. 2013: peak ~15 min
    at_60 = e[np.searchsorted(T, 1.0)]
    assert at_60 < 0.1 * e.max(), (at_60, e.max())  # gone by ~1 h
    assert np.all(e[T >= 1.0] < 0.1 * e.max())
    assert 0.3 <= e.max() <= 0.85  # a sub-anaesthetic dose: partial block
    assert np.all(i >= e)  # interneurons more sensitive (Homayoun & Moghaddam 2007)
    assert i.max() > e.max() + 0.1


def test_rat_ketamine_80_mg_kg_is_near_saturating():
    occ = _ketamine(80.0)
    assert occ[:, 0].max() >= 0.9 and occ[:, 1].max() >= 0.95
    assert np.all(occ[:, 1] >= occ[:, 0])


def test_mouse_ketamine_is_shorter_lived_than_rat():
    rat, mouse = _ketamine(10.0)[:, 0], _ketamine(10.0, species="mouse")[:, 0]
    assert 8.0 <= T[np.argmax(mouse)] * 60 <= 20.0
    assert mouse[np.searchsorted(T, 1.0)] < 0.1 * mouse.max()
    assert mouse[np.searchsorted(T, 0.5)] / mouse.max() < rat[np.searchsorted(T, 0.5)] / rat.max()


def test_human_infusion_peaks_near_its_end():
    k = builtin_agents()["ketamine"]
    dose = DoseConfig("ketamine", 0.5, "iv_infusion", infusion_min=40.0)
    cp = concentration_uM(k, "human", dose, T, compartment="plasma")
    assert T[np.argmax(cp)] * 60 == pytest.approx(40.0, abs=1.0)
    # Feder et al. 2014 / Zarate et al. 2006: peak plasma ~0.1-0.3 ug/mL
    assert 0.1 <= cp.max() * k.mw_g_per_mol / 1000 <= 0.35
    occ = _ketamine(0.5, "iv_infusion", "human", 40.0)
    assert 38.0 <= T[np.argmax(occ[:, 0])] * 60 <= 50.0
    assert np.all(occ[:, 1] >= occ[:, 0])
    assert occ[np.searchsorted(T, 4.0), 0] < 0.5 * occ[:, 0].max()


@pytest.mark.parametrize("route", ["sc", "intranasal", "oral"])
def test_human_extravascular_routes_peak_later_and_lower(route):
    k = builtin_agents()["ketamine"]
    iv = concentration_uM(k, "human", DoseConfig("ketamine", 0.5, "iv_bolus"), T)
    other = concentration_uM(k, "human", DoseConfig("ketamine", 0.5, route), T)
    assert other.max() < iv.max() and T[np.argmax(other)] > T[np.argmax(iv)]


def test_builtin_agents_validate_and_cpp_outlasts_ketamine():
    cfg = _cfg(*(DoseConfig(a, 1.0, "ip") for a in ("ketamine", "CPP", "MK-801")),
               DoseConfig("APV", 0.0, "local", regions=["IL"]))
    validate_pharmacology(cfg, 5, REGIONS)
    for name, a in builtin_agents().items():
        assert a.ic50_I_uM <= a.ic50_E_uM, name
    ket = _ketamine(10.0)[:, 0]
    cpp = occupancy_timeline(_cfg(DoseConfig("CPP", 10.0, "ip")), [0.0], [("IL", "E")], T)[:, 0]
    two_h = np.searchsorted(T, 2.0)
    assert cpp[two_h] > 0.5 > ket[two_h]  # CPP covers a whole extinction session


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------
def _bad(**kw):
    return DoseConfig(**{"agent": "ketamine", "dose_mg_per_kg": 10.0, "route": "ip", **kw})


@pytest.mark.parametrize("cfg, key", [
    (_cfg(species="dog"), "pharmacology.species"),
    (_cfg(_bad(agent="xx")), "pharmacology.doses[0].agent"),
    (_cfg(_bad(route="xx")), "pharmacology.doses[0].route"),
    (_cfg(_bad(dose_mg_per_kg=-1.0)), "pharmacology.doses[0].dose_mg_per_kg"),
    (_cfg(_bad(session=5)), "pharmacology.doses[0].session"),
    (_cfg(_bad(session=-1)), "pharmacology.doses[0].session"),
    (_cfg(_bad(), _bad(route="local", regions=["all"])), "pharmacology.doses[1].regions"),
    (_cfg(_bad(route="local", regions=[])), "pharmacology.doses[0].regions"),
    (_cfg(_bad(regions=["Nowhere"])), "pharmacology.doses[0].regions"),
    (_cfg(_bad(route="iv_infusion")), "pharmacology.doses[0].infusion_min"),
    (_cfg(_bad(repeat_count=3)), "pharmacology.doses[0].repeat_every_h"),
    (_cfg(_bad(repeat_count=-1)), "pharmacology.doses[0].repeat_count"),
    (_cfg(_bad(agent="APV")), "pharmacology.doses[0].agent"),  # no systemic PK
    (_cfg(_bad(route="ip"), species="human"), "pharmacology.doses[0].route"),
    (_cfg(interneuron_ic50_factor=-1.0), "pharmacology.interneuron_ic50_factor"),
    (_cfg(local_concentration_uM=-1.0), "pharmacology.local_concentration_uM"),
])
def test_validation_names_the_key(cfg, key):
    with pytest.raises(ValueError) as err:
        validate_pharmacology(cfg, 5, REGIONS)
    assert str(err.value).startswith(key), str(err.value)
    assert "is not allowed" in str(err.value)


def test_validation_of_agent_overrides():
    cfg = _cfg(_bad())
    cfg.agents["ketamine"].ic50_E_uM = 0.0
    with pytest.raises(ConfigError, match=r"pharmacology\.agents\.ketamine\.ic50_E_uM"):
        validate_pharmacology(cfg, 5, REGIONS)
    cfg = _cfg(_bad())
    cfg.agents["ketamine"].pk["rat"].bioavailability["ip"] = 1.5
    with pytest.raises(ConfigError,
                       match=r"pharmacology\.agents\.ketamine\.pk\.rat\.bioavailability\.ip"):
        validate_pharmacology(cfg, 5, REGIONS)
    cfg = _cfg(_bad())
    cfg.agents["ketamine"].pk["rat"].k21_per_h = 0.1  # below the terminal rate
    with pytest.raises(ConfigError, match=r"pharmacology\.agents\.ketamine\.pk\.rat\.k21_per_h"):
        validate_pharmacology(cfg, 5, REGIONS)


def test_structured_config_partial_override():
    omegaconf = pytest.importorskip("omegaconf")
    base = omegaconf.OmegaConf.structured(PharmacologyConfig)
    cfg = omegaconf.OmegaConf.to_object(omegaconf.OmegaConf.merge(base, omegaconf.OmegaConf.create({
        "species": "rat", "local_concentration_uM": 0.0, "interneuron_ic50_factor": 0.0,
        "doses": [{"agent": "ketamine", "dose_mg_per_kg": 10.0, "route": "ip",
                   "session": 2, "offset_h": -24.0}],
        "agents": {"ketamine": {"ic50_E_uM": 0.8}},
    })))
    assert cfg.agents["ketamine"].ic50_E_uM == 0.8
    assert cfg.agents["ketamine"].ic50_I_uM == builtin_agents()["ketamine"].ic50_I_uM
    validate_pharmacology(cfg, 5, REGIONS)
    occ = occupancy_timeline(cfg, dose_times(cfg, [0.0, 1.0, 25.0, 50.0, 72.0]),
                             [("IL", "E")], np.array([0.5, 1.2, 25.0]))
    assert occ[0, 0] == 0.0 and occ[1, 0] > 0.3 and occ[2, 0] < 1e-6
