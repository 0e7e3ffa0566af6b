"""Pharmacology of NMDA-receptor antagonists: agents, kinetics, occupancy.

Pure numpy: no Brian2, no Hydra. Functions take the typed dataclasses of
:mod:`model.pharmacology.schema` (``cfg.pharmacology`` of a run).

* :mod:`~model.pharmacology.agents`: an agent's parameters and the built-in
  table (ketamine, esketamine, CPP, APV, MK-801; PK per species, IC50 per cell
  class);
* :mod:`~model.pharmacology.schema`: doses and the pharmacology config;
* :mod:`~model.pharmacology.kinetics`: plasma and effect-site concentration
  of a dose, in closed form;
* :mod:`~model.pharmacology.occupancy`: receptor occupancy of every dose
  together (Hill, Gaddum at a shared site, independent sites);
* :mod:`~model.pharmacology.schedules`: clinical courses (administrations on
  fixed weekdays for some weeks) as doses.

The checks of a pharmacology config live beside the other sections' in
:mod:`model.config.pharmacology`.

Parameter values are approximate literature values chosen to reproduce
docs/model.md, sections 9 and 10 (sources at each value). Main sources: Zanos et al. 2018
Pharmacol Rev 70:621 (ketamine PK across species); Clements & Nimmo 1981 Br J
Anaesth and Domino et al. 1984 Clin Pharmacol Ther (human two-compartment
ketamine); Lord et al. 2013 Eur J Pharmacol 715:21 (ex vivo NMDAR occupancy
time course: peak ~15 min, gone by ~1 h); White et al. 1985 Br J Anaesth
and Kaka & Hayton 1980 (fast redistribution: alpha half-life of minutes,
anaesthesia ended by redistribution); Feder et al. 2014 JAMA Psychiatry
(0.5 mg/kg i.v. over 40 min, plasma peak ~0.2 ug/mL at the end of infusion).
"""

from .agents import (
    CELL_KINDS,
    LN2,
    SITES,
    SPECIES,
    AgentParams,
    PharmacologyError,
    PKParams,
    builtin_agents,
    ic50_uM,
    lookup_agent,
    resolve_agent,
)
from .kinetics import (
    ABSORPTION_ROUTES,
    ROUTES,
    concentration_uM,
    disposition,
    micro_constants,
    pk_summary,
)
from .occupancy import dose_times, occupancy, occupancy_timeline
from .schedules import HOURS_PER_WEEK, administration_times_h, weekly_course
from .schema import DoseConfig, PharmacologyConfig

__all__ = [
    "ABSORPTION_ROUTES", "CELL_KINDS", "HOURS_PER_WEEK", "LN2", "ROUTES", "SITES", "SPECIES",
    "AgentParams", "DoseConfig", "PKParams", "PharmacologyConfig", "PharmacologyError",
    "administration_times_h", "builtin_agents", "concentration_uM", "disposition",
    "dose_times", "ic50_uM", "lookup_agent", "micro_constants", "occupancy",
    "occupancy_timeline", "pk_summary", "resolve_agent", "weekly_course",
]
