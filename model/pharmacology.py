r"""Pharmacokinetics and NMDA-receptor occupancy of NMDAR antagonists.

Pure numpy: no Brian2, no Hydra. The dataclasses below are plain and typed so
that they can be registered as OmegaConf structured configs; every function
also accepts an OmegaConf ``DictConfig`` with the same keys.

Units: doses in mg/kg, volumes in L/kg (so mg/kg / (L/kg) = mg/L), rate
constants in 1/h, times in hours, concentrations in uM
(uM = mg/L / MW[g/mol] * 1000). Doses are read as mg of free base per kg.

Pharmacokinetics (linear, closed form)
--------------------------------------
Plasma concentration after a unit i.v. bolus (1 mg/kg), i.e. the unit impulse
response of the disposition model, is a sum of exponentials
:math:`h(t) = \sum_i A_i e^{-\lambda_i t}`:

* one compartment (``k12 = k21 = 0``):
  :math:`h(t) = e^{-k t} / V`, :math:`k = \ln 2 / t_{1/2}`;
* two compartments (central volume :math:`V_1`, micro-constants
  :math:`k_{10}, k_{12}, k_{21}`):
  :math:`h(t) = [(\alpha-k_{21}) e^{-\alpha t} + (k_{21}-\beta) e^{-\beta t}]
  / (V_1(\alpha-\beta))`, with :math:`\alpha\beta = k_{10}k_{21}`,
  :math:`\alpha+\beta = k_{10}+k_{12}+k_{21}` (Gibaldi & Perrier 1982,
  Pharmacokinetics, ch. 2). ``half_life_h`` is the *terminal* half-life
  :math:`\ln 2/\beta` (what PK papers report), and :math:`k_{10}` follows from
  it: :math:`k_{10} = \beta(k_{12}+k_{21}-\beta)/(k_{21}-\beta)`.

Effect site (brain): an optional effect compartment (Sheiner et al. 1979 Clin
Pharmacol Ther) with :math:`dC_e/dt = k_{e0}(C_p - C_e)`, whose impulse
response is again a sum of exponentials, scaled by ``brain_plasma_ratio``
(unbound effect-site concentration / total plasma concentration at
equilibrium, i.e. :math:`f_u K_{p,uu}`), so IC50s are free concentrations as
measured in slices and cells.

Input functions, all convolved with :math:`h` in closed form
(:math:`\int_0^t e^{-a s} e^{-b (t-s)} ds = (e^{-bt}-e^{-at})/(a-b)`):

* i.v. bolus: :math:`C(t) = D\,h(t)`;
* zero-order i.v. infusion of :math:`D` over :math:`T`, rate :math:`R=D/T`:
  :math:`C(t) = R\sum_i \frac{A_i}{\lambda_i}\,[(1-e^{-\lambda_i t})
  - (1-e^{-\lambda_i (t-T)})\,\mathbb{1}_{t>T}]`;
* first-order absorption (i.p., s.c., intranasal, oral) with rate
  :math:`k_a` and bioavailability :math:`F`: :math:`C = F D k_a e^{-k_a t} * h`,
  for one compartment the Bateman function
  :math:`C(t) = \frac{F D k_a}{V(k_a-k)}(e^{-k t}-e^{-k_a t})`, peak at
  :math:`t_{max} = \ln(k_a/k)/(k_a-k)`;
* local intracerebral infusion (route ``local``): a tissue compartment around
  the cannula, zero-order input over ``infusion_min`` and first-order clearance
  (``local_half_life_h``), scaled so that the concentration at the end of the
  infusion is ``local_peak_uM`` (or ``PharmacologyConfig.local_concentration_uM``
  when > 0). No systemic spill-over.

Repeated doses (``repeat_every_h``, ``repeat_count`` extra administrations)
and several doses superpose (linear PK). Concentrations are zero before a dose.

Occupancy
---------
Hill equation for one antagonist: :math:`o = C^n/(C^n + IC_{50}^n)`. Principal
cells (E) and interneurons (I) have separate IC50s: NMDARs on fast-spiking
interneurons are more sensitive to channel blockers (lower IC50), which
disinhibits pyramidal cells (Homayoun & Moghaddam 2007 J Neurosci 27:11496;
Susin & Destexhe 2023). ``PharmacologyConfig.interneuron_ic50_factor`` > 0
replaces every agent's interneuron IC50 by factor * principal IC50.

Several antagonists: with :math:`x_j = (C_j/IC_{50,j})^{n_j}`,

* agents at the same binding site (``site``: ``channel`` = PCP site in the pore:
  ketamine, MK-801; ``glutamate`` = GluN2 agonist site: CPP, APV) compete, and
  the total fraction occupied is Gaddum's equation
  :math:`o_{site} = \sum_j x_j / (1 + \sum_j x_j)` (Gaddum 1937; exact for
  :math:`n=1`, a standard extension for :math:`n \neq 1`). It reduces to the Hill
  equation for one agent, and two doses of the same agent add concentrations;
* different sites act independently (a receptor conducts only if neither site
  blocks it): :math:`o = 1 - \prod_{site}(1 - o_{site})`.

Parameter values are approximate literature values chosen to reproduce
MODEL.md section 4 (sources at each value). Main sources: Zanos et al. 2018
Pharmacol Rev 70:621 (ketamine PK across species); Clements & Nimmo 1981 Br J
Anaesth and Domino et al. 1984 Clin Pharmacol Ther (human two-compartment
ketamine); Lord et al. 2013 Eur J Pharmacol 715:21 (ex vivo NMDAR occupancy
time course: peak ~15 min, gone by ~1 h); White et al. 1985 Br J Anaesth
and Kaka & Hayton 1980 (fast redistribution: alpha half-life of minutes,
anaesthesia ended by redistribution); Feder et al. 2014 JAMA Psychiatry
(0.5 mg/kg i.v. over 40 min, plasma peak ~0.2 ug/mL at the end of infusion).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SPECIES = ("rat", "mouse", "human")
ROUTES = ("iv_bolus", "iv_infusion", "ip", "sc", "intranasal", "oral", "local")
ABSORPTION_ROUTES = ("ip", "sc", "intranasal", "oral")
SITES = ("channel", "glutamate")
CELL_KINDS = ("E", "I")
LN2 = math.log(2.0)


class PharmacologyError(ValueError):
    """A pharmacology setting is not allowed; the message names the key."""


# --------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------
@dataclass
class PKParams:
    """Disposition and absorption of one agent in one species.

    half_life_h: terminal elimination half-life (beta phase when two-compartment).
    vd_L_per_kg: volume of the central compartment (the whole volume when
        one-compartment).
    k12_per_h, k21_per_h: central <-> peripheral transfer; both 0 = one compartment.
    ke0_per_h: effect-site (brain) equilibration; 0 = brain follows plasma at once.
    ka_per_h, bioavailability: per absorption route (ip, sc, intranasal, oral);
        a route missing from ka_per_h is not available for this species.
    """

    half_life_h: float = 1.0
    vd_L_per_kg: float = 1.0
    k12_per_h: float = 0.0
    k21_per_h: float = 0.0
    ke0_per_h: float = 0.0
    ka_per_h: dict[str, float] = field(default_factory=dict)
    bioavailability: dict[str, float] = field(default_factory=dict)


@dataclass
class AgentParams:
    """An NMDA-receptor antagonist: PK per species, potency per cell class.

    ic50_E_uM / ic50_I_uM: free concentration blocking half of the NMDARs on
        principal cells / interneurons; hill: Hill coefficient.
    site: "channel" (pore/PCP site) or "glutamate" (GluN2 agonist site).
    brain_plasma_ratio: unbound effect-site / total plasma concentration.
    local_peak_uM, local_half_life_h: tissue concentration at the end of a
        local infusion and its clearance half-life (route "local").
    """

    name: str = "generic"
    mw_g_per_mol: float = 250.0
    ic50_E_uM: float = 1.0
    ic50_I_uM: float = 1.0
    hill: float = 1.0
    site: str = "channel"
    brain_plasma_ratio: float = 1.0
    local_peak_uM: float = 0.0
    local_half_life_h: float = 1.0
    pk: dict[str, PKParams] = field(default_factory=dict)


def _h(minutes: float) -> float:
    """Rate constant (1/h) of a process with the given half-time in minutes."""
    return LN2 / (minutes / 60.0)


def builtin_agents() -> dict[str, AgentParams]:
    """Built-in agents (fresh copies). All values approximate; sources inline."""
    ketamine = AgentParams(
        name="ketamine",
        mw_g_per_mol=237.7,  # C13H16ClNO free base (HCl salt 274.2)
        # Open-channel block of GluN1/GluN2: IC50 ~0.5-1 uM (MacDonald et al.
        # 1991; Kotermanski & Johnson 2009 J Neurosci; Zanos et al. 2018 Table 1).
        ic50_E_uM=1.0,
        # Interneuron NMDARs ~3x more sensitive (tonic firing -> more open,
        # blockable channels; GluN2D): Homayoun & Moghaddam 2007 J Neurosci
        # (NMDAR antagonists first inhibit fast-spiking interneurons, then
        # disinhibit pyramidal cells); Susin & Destexhe 2023. Approximate.
        ic50_I_uM=0.35,
        hill=1.0,  # ~0.8-1.2 in concentration-response curves
        site="channel",
        # Unbound brain (interstitial) / total plasma: fu,plasma ~0.5-0.6
        # (Kaka & Hayton 1980: 53% bound in dog; ~20-50% in human) times an
        # unbound brain partition Kp,uu ~0.45 (approximate). Chosen, with the
        # i.p. bioavailability, so that 10 mg/kg i.p. in the rat blocks about
        # half of the principal-cell NMDARs at the peak (free brain ~1 uM,
        # total plasma ~1.3 ug/mL) and 80 mg/kg (anaesthetic) nearly all.
        brain_plasma_ratio=0.25,
        local_peak_uM=50.0,  # intracerebral infusion, approximate
        local_half_life_h=0.5,
        pk={
            # Rat: terminal t1/2 1 h (MODEL.md; Zanos et al. 2018 report
            # 0.5-2.5 h across rat studies), but as a low tail: ~98.5% of the
            # concentration falls in a fast phase (alpha t1/2 ~6 min) of
            # elimination (CL = k10*V1 ~5 L/h/kg, near hepatic blood flow) and
            # redistribution (White et al. 1985; anaesthesia ends by
            # redistribution). This is what makes occupancy peak ~10-15 min
            # after i.p. dosing and vanish by ~1 h (Lord et al. 2013; brain
            # ketamine falls ~10-fold from 10 to 60 min in rodents, Zanos et
            # al. 2016 Nature). V1 0.82 L/kg, Vss ~1.6 L/kg. Brain equilibration
            # ke0 t1/2 ~3 min. i.p. absorption half-time 3 min (MODEL.md);
            # i.p. F ~0.3 (high hepatic extraction, mostly portal uptake;
            # approximate); s.c. F ~0.9, ka half-time ~8 min (approximate).
            "rat": PKParams(
                half_life_h=1.0, vd_L_per_kg=0.82, k12_per_h=0.73, k21_per_h=0.79,
                ke0_per_h=_h(3.0),
                ka_per_h={"ip": _h(3.0), "sc": _h(8.0), "intranasal": _h(6.0),
                          "oral": _h(12.0)},
                bioavailability={"ip": 0.3, "sc": 0.9, "intranasal": 0.5, "oral": 0.1},
            ),
            # Mouse: terminal t1/2 ~20 min (MODEL.md 15-30 min; Maxwell et al.
            # 2006; Zanos et al. 2016 Nature: plasma and brain ketamine mostly
            # cleared by 1 h); alpha t1/2 ~5 min, CL ~8 L/h/kg, V1 1.2 L/kg.
            "mouse": PKParams(
                half_life_h=0.35, vd_L_per_kg=1.2, k12_per_h=1.19, k21_per_h=2.49,
                ke0_per_h=_h(3.0),
                ka_per_h={"ip": _h(3.0), "sc": _h(6.0), "intranasal": _h(5.0),
                          "oral": _h(10.0)},
                bioavailability={"ip": 0.3, "sc": 0.9, "intranasal": 0.5, "oral": 0.1},
            ),
            # Human: two-compartment, alpha t1/2 ~10 min, beta t1/2 ~2.5-3 h,
            # V1 ~1 L/kg, Vss ~3 L/kg, CL ~1 L/h/kg (~17 mL/min/kg): Clements &
            # Nimmo 1981 Br J Anaesth; Domino et al. 1984; Zanos et al. 2018.
            # Intranasal F ~0.45, tmax ~20-40 min (esketamine label; Peltoniemi
            # et al. 2016 Clin Pharmacokinet); oral F ~0.17-0.2, tmax ~30 min;
            # s.c. F ~0.9; ke0 t1/2 ~3 min (all approximate).
            "human": PKParams(
                half_life_h=2.5, vd_L_per_kg=1.0, k12_per_h=2.3, k21_per_h=1.15,
                ke0_per_h=_h(3.0),
                ka_per_h={"sc": _h(8.0), "intranasal": _h(10.0), "oral": _h(15.0)},
                bioavailability={"sc": 0.9, "intranasal": 0.45, "oral": 0.18},
            ),
        },
    )
    cpp = AgentParams(
        name="CPP",
        mw_g_per_mol=252.2,  # (R,S)-CPP, C8H17N2O5P
        # Competitive GluN2 antagonist, Ki ~0.04 (GluN2A) - 0.3 (GluN2B) uM
        # (Feng et al. 2004 Br J Pharmacol); IC50 vs synaptic glutamate higher.
        # No documented interneuron preference for competitive antagonists
        # (the Homayoun & Moghaddam effect is use-dependent channel block).
        ic50_E_uM=0.5,
        ic50_I_uM=0.5,
        hill=1.0,
        site="glutamate",
        # Polar phosphonate: poor, slow brain entry (Lehmann et al. 1987 J
        # Pharmacol Exp Ther 240:737); brain ECF ~5% of plasma, ke0 t1/2 ~20 min.
        brain_plasma_ratio=0.05,
        local_peak_uM=20.0,  # approximate tissue level after an IL infusion
        local_half_life_h=1.0,
        pk={
            # Rodent plasma t1/2 ~1-2 h; extracellular-water volume ~0.5 L/kg
            # (Lehmann et al. 1987; approximate). 10 mg/kg i.p. blocks
            # extinction recall (Santini et al. 2001 J Neurosci).
            "rat": PKParams(
                half_life_h=1.5, vd_L_per_kg=0.5, ke0_per_h=_h(20.0),
                ka_per_h={"ip": _h(5.0), "sc": _h(10.0)},
                bioavailability={"ip": 0.9, "sc": 0.9},
            ),
            "mouse": PKParams(
                half_life_h=1.0, vd_L_per_kg=0.5, ke0_per_h=_h(20.0),
                ka_per_h={"ip": _h(5.0), "sc": _h(10.0)},
                bioavailability={"ip": 0.9, "sc": 0.9},
            ),
        },
    )
    apv = AgentParams(
        name="APV",
        mw_g_per_mol=197.1,  # D-AP5, C5H12NO5P
        # D-AP5 Kd ~1-2 uM; IC50 vs synaptic NMDA EPSCs ~3-5 uM (Davies &
        # Watkins 1982; Evans et al. 1982). Local use only (does not cross the
        # BBB): e.g. 5 ug in 0.5 uL into BLA (Fanselow & Kim 1994 Behav
        # Neurosci). Tissue concentration and clearance: approximate.
        ic50_E_uM=4.0,
        ic50_I_uM=4.0,
        hill=1.0,
        site="glutamate",
        brain_plasma_ratio=0.01,
        local_peak_uM=100.0,
        local_half_life_h=1.0,
        pk={},
    )
    mk801 = AgentParams(
        name="MK-801",
        mw_g_per_mol=221.3,  # dizocilpine free base, C16H15N (maleate 337.4)
        # Very potent trapping channel blocker, Ki ~3-5 nM (Wong et al. 1986
        # PNAS); functional IC50 in Mg2+ ~0.02-0.05 uM; interneurons ~3x more
        # sensitive (Homayoun & Moghaddam 2007 used MK-801 0.1 mg/kg).
        ic50_E_uM=0.03,
        ic50_I_uM=0.01,
        hill=1.0,
        site="channel",
        # Lipophilic, brain/plasma total ~5-10; unbound ratio ~1 with fu ~0.6
        # (Vezzani et al. 1989 J Pharmacol Exp Ther). Slow association and
        # trapping: ke0 t1/2 ~15 min.
        brain_plasma_ratio=0.6,
        local_peak_uM=1.0,
        local_half_life_h=2.0,
        pk={
            # Rat: t1/2 ~2 h, Vd ~5 L/kg (Vezzani et al. 1989; Hucker et al.
            # 1983): slow and long-lasting.
            "rat": PKParams(
                half_life_h=2.0, vd_L_per_kg=5.0, ke0_per_h=_h(15.0),
                ka_per_h={"ip": _h(5.0), "sc": _h(10.0), "oral": _h(20.0)},
                bioavailability={"ip": 0.8, "sc": 0.9, "oral": 0.3},
            ),
            "mouse": PKParams(
                half_life_h=1.5, vd_L_per_kg=5.0, ke0_per_h=_h(15.0),
                ka_per_h={"ip": _h(5.0), "sc": _h(10.0), "oral": _h(20.0)},
                bioavailability={"ip": 0.8, "sc": 0.9, "oral": 0.3},
            ),
        },
    )
    return {"ketamine": ketamine, "CPP": cpp, "APV": apv, "MK-801": mk801}


# aliases accepted in DoseConfig.agent
_ALIASES = {"cpp": "CPP", "apv": "APV", "ap5": "APV", "d-ap5": "APV", "mk801": "MK-801",
            "mk-801": "MK-801", "dizocilpine": "MK-801"}


@dataclass
class DoseConfig:
    """One administration (or a regular series of them).

    route: iv_bolus | iv_infusion | ip | sc | intranasal | oral | local.
    infusion_min: duration of an iv_infusion (or of a local infusion; 0 = bolus).
    session, offset_h: the first administration is offset_h hours after the
        start of protocol session `session` (negative = before it).
    regions: ["all"] for systemic action; the infused regions for route local
        (a systemic dose with named regions acts only there: a virtual
        manipulation).
    repeat_every_h, repeat_count: repeat_count further administrations,
        repeat_every_h apart (0, 0 = a single dose).
    dose_mg_per_kg is ignored for route local (see AgentParams.local_peak_uM).
    """

    agent: str = "ketamine"
    dose_mg_per_kg: float = 10.0
    route: str = "ip"
    infusion_min: float = 0.0
    session: int = 0
    offset_h: float = 0.0
    regions: list[str] = field(default_factory=lambda: ["all"])
    repeat_every_h: float = 0.0
    repeat_count: int = 0


@dataclass
class PharmacologyConfig:
    """Drug doses of a run. `agents` starts as the built-in table, so a YAML or
    command-line override changes one value (pharmacology.agents.ketamine.ic50_E_uM=0.8)
    and a new name defines a new agent; names missing here fall back to the
    built-ins. local_concentration_uM > 0 overrides every agent's local_peak_uM;
    interneuron_ic50_factor > 0 sets every interneuron IC50 to factor * principal IC50."""

    species: str = "rat"
    doses: list[DoseConfig] = field(default_factory=list)
    agents: dict[str, AgentParams] = field(default_factory=builtin_agents)
    local_concentration_uM: float = 0.0
    interneuron_ic50_factor: float = 0.0


# --------------------------------------------------------------------------
# sums of exponentials
# --------------------------------------------------------------------------
Exps = tuple[np.ndarray, np.ndarray]  # (coefficients, rates in 1/h)


def _distinct(a: float, b: float) -> float:
    """b, nudged by a relative 1e-7 when it (nearly) equals a, so that the
    closed-form convolution stays finite (error O(1e-7))."""
    if abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0):
        return b * (1.0 + 1e-7) + 1e-12
    return b


def _convolve(f: Exps, g: Exps) -> Exps:
    """(sum_i c_i e^{-r_i t}) * (sum_j d_j e^{-s_j t}), convolution on [0, t]."""
    coefs, rates = [], []
    for c, r in zip(*f, strict=True):
        for d, s in zip(*g, strict=True):
            s = _distinct(r, s)
            k = c * d / (r - s)  # (e^{-s t} - e^{-r t}) / (r - s)
            coefs += [k, -k]
            rates += [s, r]
    return np.array(coefs), np.array(rates)


def _eval(f: Exps, t: np.ndarray) -> np.ndarray:
    """Sum of exponentials at times t (zero for t < 0)."""
    c, r = f
    tt = np.where(t >= 0, t, 0.0)[..., None]
    out = (c * np.exp(-r * tt)).sum(axis=-1)
    return np.where(t >= 0, out, 0.0)


def _eval_step_integral(f: Exps, t: np.ndarray) -> np.ndarray:
    """int_0^t f(s) ds for t >= 0, zero before."""
    c, r = f
    tt = np.where(t >= 0, t, 0.0)[..., None]
    out = (c / r * -np.expm1(-r * tt)).sum(axis=-1)
    return np.where(t >= 0, out, 0.0)


def micro_constants(pk: Any) -> tuple[float, float, float]:
    """(k10, k12, k21) in 1/h; k10 follows from the terminal half-life."""
    beta = LN2 / pk.half_life_h
    k12, k21 = float(pk.k12_per_h), float(pk.k21_per_h)
    if k12 == 0.0 and k21 == 0.0:
        return beta, 0.0, 0.0
    if k21 <= beta or k12 <= 0.0:
        raise PharmacologyError(
            f"k21_per_h={k21!r} is not allowed: a two-compartment model needs "
            f"k12_per_h > 0 and k21_per_h > ln2/half_life_h = {beta:.4g}")
    k10 = beta * (k12 + k21 - beta) / (k21 - beta)
    return k10, k12, k21


def disposition(pk: Any) -> Exps:
    """Plasma concentration (mg/L) after a 1 mg/kg i.v. bolus, as exponentials."""
    k10, k12, k21 = micro_constants(pk)
    v = float(pk.vd_L_per_kg)
    if k12 == 0.0:
        return np.array([1.0 / v]), np.array([k10])
    s = k10 + k12 + k21
    disc = math.sqrt(s * s - 4.0 * k10 * k21)
    alpha, beta = (s + disc) / 2.0, (s - disc) / 2.0
    a = (alpha - k21) / (v * (alpha - beta))
    b = (k21 - beta) / (v * (alpha - beta))
    return np.array([a, b]), np.array([alpha, beta])


def pk_summary(pk: Any) -> dict[str, float]:
    """Derived PK numbers: alpha/beta half-lives (h), Vss (L/kg), CL (L/h/kg)."""
    k10, k12, k21 = micro_constants(pk)
    _, rates = disposition(pk)
    v1 = float(pk.vd_L_per_kg)
    return {
        "k10_per_h": k10,
        "alpha_half_life_h": LN2 / rates.max(),
        "beta_half_life_h": LN2 / rates.min(),
        "vss_L_per_kg": v1 * (1.0 + (k12 / k21 if k21 else 0.0)),
        "cl_L_per_h_per_kg": k10 * v1,
    }


def _effect_site(pk: Any, f: Exps) -> Exps:
    ke0 = float(pk.ke0_per_h)
    if ke0 <= 0.0:
        return f
    return _convolve(f, (np.array([ke0]), np.array([ke0])))


# --------------------------------------------------------------------------
# concentration and occupancy
# --------------------------------------------------------------------------
def _route(dose: Any) -> str:
    return str(dose.route)


def _single_conc_uM(agent: Any, species: str, dose: Any, t: np.ndarray,
                    compartment: str, local_concentration_uM: float) -> np.ndarray:
    """Concentration (uM) from one administration at t = 0 (hours)."""
    route = _route(dose)
    t_inf = float(dose.infusion_min) / 60.0
    if route == "local":
        if compartment == "plasma":
            return np.zeros_like(t)
        peak = local_concentration_uM if local_concentration_uM > 0 else float(agent.local_peak_uM)
        k = LN2 / float(agent.local_half_life_h)
        f = (np.array([1.0]), np.array([k]))
        if t_inf <= 0:
            return peak * _eval(f, t)
        # zero-order input over t_inf, scaled so that C(t_inf) = peak
        rate = peak * k / -math.expm1(-k * t_inf)
        return rate * (_eval_step_integral(f, t) - _eval_step_integral(f, t - t_inf))

    pk = agent.pk[species]
    h = disposition(pk)
    if compartment == "effect":
        h = _effect_site(pk, h)
        scale = float(agent.brain_plasma_ratio)
    elif compartment == "plasma":
        scale = 1.0
    else:
        raise PharmacologyError(f"compartment={compartment!r} is not allowed: 'plasma' or 'effect'")
    scale *= 1000.0 / float(agent.mw_g_per_mol)  # mg/L -> uM
    d = float(dose.dose_mg_per_kg)
    if route == "iv_bolus":
        c = d * _eval(h, t)
    elif route == "iv_infusion":
        if t_inf <= 0:
            c = d * _eval(h, t)
        else:
            rate = d / t_inf
            c = rate * (_eval_step_integral(h, t) - _eval_step_integral(h, t - t_inf))
    elif route in ABSORPTION_ROUTES:
        ka = float(pk.ka_per_h[route])
        fb = float(pk.bioavailability[route])
        c = d * _eval(_convolve((np.array([fb * ka]), np.array([ka])), h), t)
    else:
        raise PharmacologyError(f"route={route!r} is not allowed: one of {ROUTES}")
    return scale * np.maximum(c, 0.0)


def concentration_uM(agent_params: Any, species: str, dose: Any, times_h: Any, *,
                     compartment: str = "effect",
                     local_concentration_uM: float = 0.0) -> np.ndarray:
    """Concentration (uM) of one DoseConfig at `times_h` hours after its first
    administration (zero before), repeats superposed.

    compartment: "effect" (unbound brain concentration, the one occupancy
    uses) or "plasma" (total plasma; zero for route local).
    """
    t = np.asarray(times_h, dtype=float)
    out = np.zeros_like(t)
    for j in range(int(dose.repeat_count) + 1):
        out = out + _single_conc_uM(agent_params, species, dose,
                                    t - j * float(dose.repeat_every_h),
                                    compartment, local_concentration_uM)
    return out


def occupancy(conc_uM: Any, ic50_uM: float, hill: float) -> np.ndarray:
    """Hill equation C^n / (C^n + IC50^n), elementwise (0 where C <= 0)."""
    x = _ratio(np.asarray(conc_uM, dtype=float), ic50_uM, hill)
    return x / (1.0 + x)


def _ratio(c: np.ndarray, ic50: float, hill: float) -> np.ndarray:
    return np.power(np.maximum(c, 0.0) / float(ic50), float(hill))


def _resolve(cfg: Any, name: str) -> tuple[str, Any]:
    agents = cfg.agents if cfg.agents is not None else {}
    alias = _ALIASES.get(str(name).lower(), name)
    for key in (name, alias):
        if key in agents:
            return key, agents[key]
    builtins = builtin_agents()
    if alias in builtins:
        return alias, builtins[alias]
    raise PharmacologyError(
        f"agent={name!r} is not allowed: one of {sorted(set(agents) | set(builtins))}")


def resolve_agent(cfg: Any, name: str) -> Any:
    """The AgentParams a dose names: cfg.agents first, then the built-ins
    (aliases such as 'mk801' or 'ap5' accepted)."""
    return _resolve(cfg, name)[1]


def ic50_uM(cfg: Any, agent: Any, kind: str) -> float:
    """IC50 of `agent` on principal cells (E) or interneurons (I)."""
    if kind == "E":
        return float(agent.ic50_E_uM)
    if kind == "I":
        factor = float(getattr(cfg, "interneuron_ic50_factor", 0.0) or 0.0)
        return factor * float(agent.ic50_E_uM) if factor > 0 else float(agent.ic50_I_uM)
    raise PharmacologyError(f"kind={kind!r} is not allowed: one of {CELL_KINDS}")


def dose_times(pharm_cfg: Any, session_start_h: Sequence[float]) -> list[list[float]]:
    """Absolute protocol times (h) of every administration of every dose:
    session start + offset_h + j * repeat_every_h, j = 0..repeat_count."""
    out = []
    for d in pharm_cfg.doses:
        t0 = float(session_start_h[int(d.session)]) + float(d.offset_h)
        out.append([t0 + j * float(d.repeat_every_h) for j in range(int(d.repeat_count) + 1)])
    return out


def _acts_in(dose: Any, region: str) -> bool:
    regions = list(dose.regions)
    return region in regions or (_route(dose) != "local" and "all" in regions)


def occupancy_timeline(pharm_cfg: Any, dose_times_h: Sequence[Any],
                       channels: Sequence[tuple[str, str]], times_h: Any) -> np.ndarray:
    """NMDAR occupancy, shape (len(times_h), len(channels)).

    dose_times_h[k]: absolute time (h) of dose k, either one float (its repeats
    are then expanded from repeat_every_h / repeat_count) or the list of all its
    administration times (as :func:`dose_times` returns; no further expansion).
    channels: (region, kind) pairs, kind "E" (principal) or "I" (interneuron).
    Systemic doses act in every region, local doses in their regions only;
    agents combine by Gaddum's equation at a shared site and independently
    across sites (module docstring).
    """
    t = np.asarray(times_h, dtype=float).reshape(-1)
    doses = list(pharm_cfg.doses)
    if len(dose_times_h) != len(doses):
        raise PharmacologyError(
            f"dose_times_h has {len(dose_times_h)} entries for {len(doses)} doses")
    species = str(pharm_cfg.species)
    local_c = float(getattr(pharm_cfg, "local_concentration_uM", 0.0) or 0.0)

    # concentration of every dose, all its administrations superposed
    per_dose = []
    for dose, when in zip(doses, dose_times_h, strict=True):
        key, agent = _resolve(pharm_cfg, dose.agent)
        if np.ndim(when) == 0:
            admins = [float(when) + j * float(dose.repeat_every_h)
                      for j in range(int(dose.repeat_count) + 1)]
        else:
            admins = [float(x) for x in when]
        c = np.zeros_like(t)
        for ta in admins:
            c += _single_conc_uM(agent, species, dose, t - ta, "effect", local_c)
        per_dose.append((key, agent, c))

    out = np.zeros((t.size, len(channels)))
    for col, (region, kind) in enumerate(channels):
        conc: dict[str, tuple[Any, np.ndarray]] = {}  # by agent
        for dose, (key, agent, c) in zip(doses, per_dose, strict=True):
            if _acts_in(dose, region):
                prev = conc.get(key, (agent, np.zeros_like(t)))[1]
                conc[key] = (agent, prev + c)
        x_site = {s: np.zeros_like(t) for s in SITES}
        for agent, c in conc.values():
            x_site[str(agent.site)] += _ratio(c, ic50_uM(pharm_cfg, agent, kind), agent.hill)
        free = np.ones_like(t)
        for x in x_site.values():
            free *= 1.0 / (1.0 + x)  # 1 - Gaddum occupancy of this site
        out[:, col] = 1.0 - free
    return out


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------
def _require(cond: bool, key: str, allowed: str, value: Any) -> None:
    if not cond:
        raise PharmacologyError(f"{key}={value!r} is not allowed: {allowed}")


def _finite(v: Any) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _validate_agent(key: str, a: Any) -> None:
    for name in ("mw_g_per_mol", "ic50_E_uM", "ic50_I_uM", "hill", "brain_plasma_ratio",
                 "local_half_life_h"):
        v = getattr(a, name)
        _require(_finite(v) and v > 0, f"{key}.{name}", "must be > 0", v)
    _require(_finite(a.local_peak_uM) and a.local_peak_uM >= 0, f"{key}.local_peak_uM",
             "must be >= 0", a.local_peak_uM)
    _require(a.site in SITES, f"{key}.site", f"one of {SITES}", a.site)
    for sp, pk in a.pk.items():
        pkey = f"{key}.pk.{sp}"
        _require(sp in SPECIES, f"{key}.pk", f"species keys from {SPECIES}", sp)
        for name in ("half_life_h", "vd_L_per_kg"):
            v = getattr(pk, name)
            _require(_finite(v) and v > 0, f"{pkey}.{name}", "must be > 0", v)
        for name in ("k12_per_h", "k21_per_h", "ke0_per_h"):
            v = getattr(pk, name)
            _require(_finite(v) and v >= 0, f"{pkey}.{name}", "must be >= 0", v)
        if pk.k12_per_h > 0 or pk.k21_per_h > 0:
            beta = LN2 / pk.half_life_h
            _require(pk.k12_per_h > 0, f"{pkey}.k12_per_h",
                     "must be > 0 when k21_per_h > 0 (two compartments)", pk.k12_per_h)
            _require(pk.k21_per_h > beta, f"{pkey}.k21_per_h",
                     f"must exceed the terminal rate ln2/half_life_h = {beta:.4g} 1/h",
                     pk.k21_per_h)
        for route, v in pk.ka_per_h.items():
            _require(route in ABSORPTION_ROUTES, f"{pkey}.ka_per_h",
                     f"route keys from {ABSORPTION_ROUTES}", route)
            _require(_finite(v) and v > 0, f"{pkey}.ka_per_h.{route}", "must be > 0", v)
            _require(route in pk.bioavailability, f"{pkey}.bioavailability",
                     f"needs an entry for {route!r} (ka_per_h has one)",
                     dict(pk.bioavailability))
        for route, v in pk.bioavailability.items():
            _require(route in pk.ka_per_h, f"{pkey}.bioavailability.{route}",
                     "needs a matching ka_per_h entry", v)
            _require(_finite(v) and 0 < v <= 1, f"{pkey}.bioavailability.{route}",
                     "must be in (0, 1]", v)


def validate_pharmacology(cfg: Any, n_sessions: int, regions: Sequence[str]) -> None:
    """Check a PharmacologyConfig against the protocol (n_sessions) and the
    network's regions; raise PharmacologyError (a ValueError) naming the key."""
    p = "pharmacology"
    _require(cfg.species in SPECIES, f"{p}.species", f"one of {SPECIES}", cfg.species)
    for name in ("local_concentration_uM", "interneuron_ic50_factor"):
        v = getattr(cfg, name)
        _require(_finite(v) and v >= 0, f"{p}.{name}", "must be >= 0 (0 = agent values)", v)
    agents = cfg.agents if cfg.agents is not None else {}
    for name, a in agents.items():
        _validate_agent(f"{p}.agents.{name}", a)
    known_regions = set(regions)
    for i, d in enumerate(cfg.doses):
        key = f"{p}.doses[{i}]"
        try:
            agent = resolve_agent(cfg, d.agent)
        except PharmacologyError as err:
            raise PharmacologyError(f"{key}.{err}") from None
        _require(d.route in ROUTES, f"{key}.route", f"one of {ROUTES}", d.route)
        _require(_finite(d.dose_mg_per_kg) and d.dose_mg_per_kg >= 0, f"{key}.dose_mg_per_kg",
                 "must be >= 0 (0 = vehicle)", d.dose_mg_per_kg)
        _require(_finite(d.infusion_min) and d.infusion_min >= 0, f"{key}.infusion_min",
                 "must be >= 0", d.infusion_min)
        if d.route == "iv_infusion":
            _require(d.infusion_min > 0, f"{key}.infusion_min",
                     "must be > 0 for route iv_infusion", d.infusion_min)
        _require(isinstance(d.session, int) and 0 <= d.session < n_sessions, f"{key}.session",
                 f"a session index 0..{n_sessions - 1}", d.session)
        _require(_finite(d.offset_h), f"{key}.offset_h", "must be a finite number", d.offset_h)
        _require(_finite(d.repeat_every_h) and d.repeat_every_h >= 0, f"{key}.repeat_every_h",
                 "must be >= 0", d.repeat_every_h)
        _require(isinstance(d.repeat_count, int) and d.repeat_count >= 0, f"{key}.repeat_count",
                 "must be an integer >= 0", d.repeat_count)
        if d.repeat_count > 0:
            _require(d.repeat_every_h > 0, f"{key}.repeat_every_h",
                     "must be > 0 when repeat_count > 0", d.repeat_every_h)
        regs = list(d.regions)
        _require(len(regs) > 0, f"{key}.regions", "['all'] or a list of regions", regs)
        for r in regs:
            _require(r == "all" or r in known_regions, f"{key}.regions",
                     f"'all' or regions from {sorted(known_regions)}", regs)
        if d.route == "local":
            _require("all" not in regs, f"{key}.regions",
                     "route local needs the infused regions, not 'all'", regs)
            _require(agent.local_peak_uM > 0 or cfg.local_concentration_uM > 0,
                     f"{key}.agent", "route local needs agents.<name>.local_peak_uM > 0 "
                     "or pharmacology.local_concentration_uM > 0", d.agent)
            continue
        _require(cfg.species in agent.pk, f"{key}.agent",
                 f"agent has no PK for species {cfg.species!r} (has {sorted(agent.pk)}); "
                 "only route local is possible", d.agent)
        pk = agent.pk[cfg.species]
        if d.route in ABSORPTION_ROUTES:
            _require(d.route in pk.ka_per_h, f"{key}.route",
                     f"{agent.name} in {cfg.species} has absorption data for "
                     f"{sorted(pk.ka_per_h)} only (or iv_bolus, iv_infusion)", d.route)
    # a built-in agent used by name is valid by construction; check it anyway
    for d in cfg.doses:
        key, a = _resolve(cfg, d.agent)
        if key not in agents:
            _validate_agent(f"{p}.agents.{key}", a)
