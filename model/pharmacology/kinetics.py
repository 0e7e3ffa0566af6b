r"""Pharmacokinetics: concentration of a dose in plasma and at the effect site.

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
"""

from __future__ import annotations

import math

import numpy as np

from .agents import LN2, AgentParams, PharmacologyError, PKParams
from .schema import DoseConfig

ROUTES = ("iv_bolus", "iv_infusion", "ip", "sc", "intranasal", "oral", "local")
ABSORPTION_ROUTES = ("ip", "sc", "intranasal", "oral")


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


def micro_constants(pk: PKParams) -> tuple[float, float, float]:
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


def disposition(pk: PKParams) -> Exps:
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


def pk_summary(pk: PKParams) -> dict[str, float]:
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


def _effect_site(pk: PKParams, f: Exps) -> Exps:
    ke0 = float(pk.ke0_per_h)
    if ke0 <= 0.0:
        return f
    return _convolve(f, (np.array([ke0]), np.array([ke0])))



# --------------------------------------------------------------------------
# concentration
# --------------------------------------------------------------------------
def single_conc_uM(agent: AgentParams, species: str, dose: DoseConfig, t: np.ndarray,
                    compartment: str, local_concentration_uM: float) -> np.ndarray:
    """Concentration (uM) from one administration at t = 0 (hours)."""
    route = dose.route
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


def concentration_uM(agent_params: AgentParams, species: str, dose: DoseConfig, times_h, *,
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
        out = out + single_conc_uM(agent_params, species, dose,
                                    t - j * float(dose.repeat_every_h),
                                    compartment, local_concentration_uM)
    return out

