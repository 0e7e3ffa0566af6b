r"""NMDA-receptor occupancy from the concentrations of every dose.

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
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .agents import SITES, PharmacologyError, ic50_uM, lookup_agent
from .kinetics import single_conc_uM
from .schema import DoseConfig, PharmacologyConfig


def occupancy(conc_uM, ic50_uM: float, hill: float) -> np.ndarray:
    """Hill equation C^n / (C^n + IC50^n), elementwise (0 where C <= 0)."""
    x = _ratio(np.asarray(conc_uM, dtype=float), ic50_uM, hill)
    return x / (1.0 + x)


def _ratio(c: np.ndarray, ic50: float, hill: float) -> np.ndarray:
    return np.power(np.maximum(c, 0.0) / float(ic50), float(hill))



def dose_times(pharm_cfg: PharmacologyConfig, session_start_h: Sequence[float]) -> list[list[float]]:
    """Absolute protocol times (h) of every administration of every dose:
    session start + offset_h + j * repeat_every_h, j = 0..repeat_count."""
    out = []
    for d in pharm_cfg.doses:
        t0 = float(session_start_h[int(d.session)]) + float(d.offset_h)
        out.append([t0 + j * float(d.repeat_every_h) for j in range(int(d.repeat_count) + 1)])
    return out


def _acts_in(dose: DoseConfig, region: str) -> bool:
    regions = list(dose.regions)
    return region in regions or (dose.route != "local" and "all" in regions)


def occupancy_timeline(pharm_cfg: PharmacologyConfig, dose_times_h: Sequence,
                       channels: Sequence[tuple[str, str]], times_h) -> np.ndarray:
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
    local_c = float(pharm_cfg.local_concentration_uM)

    # concentration of every dose, all its administrations superposed
    per_dose = []
    for dose, when in zip(doses, dose_times_h, strict=True):
        key, agent = lookup_agent(pharm_cfg, dose.agent)
        if np.ndim(when) == 0:
            admins = [float(when) + j * float(dose.repeat_every_h)
                      for j in range(int(dose.repeat_count) + 1)]
        else:
            admins = [float(x) for x in when]
        c = np.zeros_like(t)
        for ta in admins:
            c += single_conc_uM(agent, species, dose, t - ta, "effect", local_c)
        per_dose.append((key, agent, c))

    out = np.zeros((t.size, len(channels)))
    for col, (region, kind) in enumerate(channels):
        conc: dict[str, tuple] = {}  # by agent
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
