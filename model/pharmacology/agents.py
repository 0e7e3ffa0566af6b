"""NMDA-receptor antagonists: the parameters of an agent and the built-in table.

Every value is an approximate literature value with its source beside it
(docs/model.md, section 9). ``pharmacology.agents`` in a config starts as this
table, so an override changes one value and a new name defines a new agent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .schema import PharmacologyConfig

SPECIES = ("rat", "mouse", "human")
SITES = ("channel", "glutamate")
CELL_KINDS = ("E", "I")
LN2 = math.log(2.0)


class PharmacologyError(ValueError):
    """A pharmacology value the model cannot use; the message names it."""


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


def _two_compartment(v1_L_per_kg: float, k10_per_min: float, k12_per_min: float,
                     k21_per_min: float, **route_params) -> PKParams:
    """PKParams of a published two-compartment model given by its
    micro-constants (1/min): the terminal half-life the schema stores is the
    one these constants imply, so micro_constants() gives k10 back."""
    k10, k12, k21 = (60.0 * k for k in (k10_per_min, k12_per_min, k21_per_min))
    s = k10 + k12 + k21
    beta = (s - math.sqrt(s * s - 4.0 * k10 * k21)) / 2.0
    return PKParams(half_life_h=LN2 / beta, vd_L_per_kg=v1_L_per_kg, k12_per_h=k12,
                    k21_per_h=k21, **route_params)


def _human_ketamine_disposition(**route_params) -> PKParams:
    """Racemic ketamine in adults: Clements & Nimmo 1981 Br J Anaesth 53:27
    (0.25 mg/kg i.v. bolus in volunteers; the micro-constants of their
    two-compartment fit as target-controlled infusion systems use them):
    V1 1.75 L/kg, k10 0.0109, k12 0.0186, k21 0.0137 /min, i.e. alpha
    half-life 17.6 min, terminal half-life 3.05 h, CL 1.15 L/h/kg
    (19 mL/min/kg, near hepatic blood flow), Vss 4.1 L/kg. A 40-min
    infusion of 0.5 mg/kg then peaks at 0.18 ug/mL at its end, as measured
    in depressed patients (~0.1-0.3 ug/mL: Zarate et al. 2006 Arch Gen
    Psychiatry; Feder et al. 2014 JAMA Psychiatry)."""
    return _two_compartment(1.7522, 0.0109, 0.0186, 0.0137, **route_params)


def _ketamine() -> AgentParams:
    """Ketamine: open-channel blocker, fast redistribution (PK for rat, mouse, human)."""
    return AgentParams(
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
            # Rat: terminal t1/2 1 h (docs/model.md, section 9; Zanos et al. 2018 report
            # 0.5-2.5 h across rat studies), but as a low tail: ~98.5% of the
            # concentration falls in a fast phase (alpha t1/2 ~6 min) of
            # elimination (CL = k10*V1 ~5 L/h/kg, near hepatic blood flow) and
            # redistribution (White et al. 1985; anaesthesia ends by
            # redistribution). This is what makes occupancy peak ~10-15 min
            # after i.p. dosing and vanish by ~1 h (Lord et al. 2013; brain
            # ketamine falls ~10-fold from 10 to 60 min in rodents, Zanos et
            # al. 2016 Nature). V1 0.82 L/kg, Vss ~1.6 L/kg. Brain equilibration
            # ke0 t1/2 ~3 min. i.p. absorption half-time 3 min (docs/model.md, section 9);
            # i.p. F ~0.3 (high hepatic extraction, mostly portal uptake;
            # approximate); s.c. F ~0.9, ka half-time ~8 min (approximate).
            "rat": PKParams(
                half_life_h=1.0, vd_L_per_kg=0.82, k12_per_h=0.73, k21_per_h=0.79,
                ke0_per_h=_h(3.0),
                ka_per_h={"ip": _h(3.0), "sc": _h(8.0), "intranasal": _h(6.0),
                          "oral": _h(12.0)},
                bioavailability={"ip": 0.3, "sc": 0.9, "intranasal": 0.5, "oral": 0.1},
            ),
            # Mouse: terminal t1/2 ~20 min (15-30 min, docs/model.md, section 9; Maxwell et al.
            # 2006; Zanos et al. 2016 Nature: plasma and brain ketamine mostly
            # cleared by 1 h); alpha t1/2 ~5 min, CL ~8 L/h/kg, V1 1.2 L/kg.
            "mouse": PKParams(
                half_life_h=0.35, vd_L_per_kg=1.2, k12_per_h=1.19, k21_per_h=2.49,
                ke0_per_h=_h(3.0),
                ka_per_h={"ip": _h(3.0), "sc": _h(6.0), "intranasal": _h(5.0),
                          "oral": _h(10.0)},
                bioavailability={"ip": 0.3, "sc": 0.9, "intranasal": 0.5, "oral": 0.1},
            ),
            # Human: the two-compartment model of Clements & Nimmo 1981 (Br J
            # Anaesth 53:27; 0.25 mg/kg i.v. bolus in volunteers), see
            # _human_ketamine_disposition. Intranasal F ~0.45, tmax ~20-40 min
            # (Peltoniemi et al. 2016 Clin Pharmacokinet); oral F ~0.17-0.2,
            # tmax ~30 min (Clements, Nimmo & Grant 1982 J Pharm Sci 71:539);
            # s.c. F ~0.9; ke0 t1/2 ~3 min (approximate).
            "human": _human_ketamine_disposition(
                ke0_per_h=_h(3.0),
                ka_per_h={"sc": _h(8.0), "intranasal": _h(10.0), "oral": _h(15.0)},
                bioavailability={"sc": 0.9, "intranasal": 0.45, "oral": 0.18},
            ),
        },
    )


# Ki of the enantiomers and the racemate at the PCP site of the NMDAR
# ([3H]MK-801 binding in rat brain membranes): S 0.30 uM, racemate 0.53 uM
# (Ebert et al. 1997 Eur J Pharmacol 333:99).
ESKETAMINE_POTENCY_RATIO = 0.53 / 0.30


def _esketamine() -> AgentParams:
    """Esketamine (S-ketamine) nasal spray: the S-enantiomer of ketamine (PK for human)."""
    racemate = _ketamine()
    return AgentParams(
        name="esketamine",
        mw_g_per_mol=racemate.mw_g_per_mol,
        # the racemate's IC50s divided by the S-enantiomer's higher affinity
        # (ESKETAMINE_POTENCY_RATIO, Ebert et al. 1997): the same free-
        # concentration Hill model as ketamine, scaled by measured binding
        ic50_E_uM=racemate.ic50_E_uM / ESKETAMINE_POTENCY_RATIO,
        ic50_I_uM=racemate.ic50_I_uM / ESKETAMINE_POTENCY_RATIO,
        hill=racemate.hill,
        site="channel",
        # plasma protein binding 43-45% (SPRAVATO prescribing information),
        # as for the racemate: the same unbound brain / total plasma ratio
        brain_plasma_ratio=racemate.brain_plasma_ratio,
        local_peak_uM=racemate.local_peak_uM,
        local_half_life_h=racemate.local_half_life_h,
        pk={
            # Disposition of the racemate (Clements & Nimmo 1981): the
            # enantiomers' disposition is similar, S cleared slightly faster
            # (Geisslinger et al. 1993 Br J Anaesth 70:666). Intranasal:
            # absolute bioavailability ~48% and plasma tmax 20-40 min after
            # the last spray (SPRAVATO prescribing information); an
            # absorption half-time of 15 min puts tmax at 30 min with this
            # disposition (tested).
            "human": _human_ketamine_disposition(
                ke0_per_h=racemate.pk["human"].ke0_per_h,
                ka_per_h={"intranasal": _h(15.0)},
                bioavailability={"intranasal": 0.48},
            ),
        },
    )


def _cpp() -> AgentParams:
    """CPP: competitive GluN2 antagonist, slow brain entry (PK for rat, mouse)."""
    return AgentParams(
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


def _apv() -> AgentParams:
    """D-AP5: competitive antagonist for local infusion only (no systemic PK)."""
    return AgentParams(
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


def _mk801() -> AgentParams:
    """MK-801 (dizocilpine): potent trapping channel blocker (PK for rat, mouse)."""
    return AgentParams(
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


def builtin_agents() -> dict[str, AgentParams]:
    """Built-in agents (fresh copies). All values approximate; sources inline."""
    return {"ketamine": _ketamine(), "esketamine": _esketamine(), "CPP": _cpp(),
            "APV": _apv(), "MK-801": _mk801()}



# aliases accepted in DoseConfig.agent
_ALIASES = {"s-ketamine": "esketamine", "cpp": "CPP", "apv": "APV", "ap5": "APV", "d-ap5": "APV", "mk801": "MK-801",
            "mk-801": "MK-801", "dizocilpine": "MK-801"}



def lookup_agent(cfg: PharmacologyConfig, name: str) -> tuple[str, AgentParams]:
    """(name in the table, AgentParams) of the agent a dose names."""
    alias = _ALIASES.get(str(name).lower(), name)
    for key in (name, alias):
        if key in cfg.agents:
            return key, cfg.agents[key]
    builtins = builtin_agents()
    if alias in builtins:
        return alias, builtins[alias]
    raise PharmacologyError(
        f"agent={name!r} is not allowed: one of {sorted(set(cfg.agents) | set(builtins))}")


def resolve_agent(cfg: PharmacologyConfig, name: str) -> AgentParams:
    """The AgentParams a dose names: cfg.agents first, then the built-ins
    (aliases such as 'mk801' or 'ap5' accepted)."""
    return lookup_agent(cfg, name)[1]


def ic50_uM(cfg: PharmacologyConfig, agent: AgentParams, kind: str) -> float:
    """IC50 of `agent` on principal cells (E) or interneurons (I)."""
    if kind == "E":
        return float(agent.ic50_E_uM)
    if kind == "I":
        factor = float(cfg.interneuron_ic50_factor)
        return factor * float(agent.ic50_E_uM) if factor > 0 else float(agent.ic50_I_uM)
    raise PharmacologyError(f"kind={kind!r} is not allowed: one of {CELL_KINDS}")
