"""Dose-response of the BDNF chain driven by the circuit's disinhibition burst.

Usage:
    python scripts/chain_dose_response.py TRANSFER.pkl [--region IL] [key=value ...]

TRANSFER.pkl: a transfer function pickled by ``scripts/extinction_probe.py
--disinhibition --save``. For single doses of ketamine (rat i.p. and human
i.v. over 40 min) it computes the region's occupancy on a fine clock
(model/pharmacology/), the burst the transfer function gives
(model/disinhibition.py) and the chain's numpy twin
(model.synaptogenesis.simulate_chain), and prints the burst peak, the mTORC1
peak and the synaptic protein pool 24 h after the dose (docs/experiments.md,
sections 4, 5 and 9). ``key=value``: overrides of the composed config (the
synaptogenesis constants, say). No spiking simulation runs here.
"""

from __future__ import annotations

import argparse
import copy
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DT_H = 2 / 60.0
RAT_IP_MG_PER_KG = (0.3, 1.0, 3.0, 10.0, 30.0, 80.0)
HUMAN_IV_MG_PER_KG = (0.1, 0.5, 1.0)


def course(cfg, transfer, region: str, species: str, route: str, dose_mg: float,
           infusion_min: float = 0.0) -> dict:
    from model import disinhibition, nmda, pharmacology, synaptogenesis

    ph = copy.deepcopy(cfg.pharmacology)
    ph.species = species
    dose = pharmacology.DoseConfig(agent="ketamine", dose_mg_per_kg=dose_mg, route=route,
                                   session=0, offset_h=0.0, regions=["all"])
    if infusion_min:
        dose.infusion_min = infusion_min
    ph.doses = [dose]
    t = np.arange(0.0, 48.0, DT_H)
    channels = nmda.channels(cfg.network.populations)
    occ = pharmacology.occupancy_timeline(ph, [[0.0]], channels, t)
    regions = list(dict.fromkeys(p.region for p in cfg.network.populations.values()))
    burst = disinhibition.burst_timeline(transfer, occ, channels, regions)[:, regions.index(region)]
    e = channels.index((region, "E"))
    i = channels.index((region, "I"))
    chain = synaptogenesis.simulate_chain(cfg.synaptogenesis, occ[:, e], occ[:, i], DT_H,
                                          burst=burst)
    formula = synaptogenesis.simulate_chain(cfg.synaptogenesis, occ[:, e], occ[:, i], DT_H)
    k24 = int(round(24.0 / DT_H))
    return {"occ_E": occ[:, e].max(), "occ_I": occ[:, i].max(), "burst": burst.max(),
            "mtor": chain["mtor"].max(), "protein_24h": chain["protein"][k24],
            "protein_peak": chain["protein"].max(),
            "t_protein_peak_h": t[np.argmax(chain["protein"])],
            "formula_protein_24h": formula["protein"][k24]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("transfer")
    ap.add_argument("--region", default="IL")
    ap.add_argument("overrides", nargs="*")
    a = ap.parse_args()
    from experiments.config_store import compose

    cfg = compose(["synaptogenesis=prefrontal"] + list(a.overrides))
    transfer = pickle.loads(Path(a.transfer).read_bytes())
    rows = [("rat i.p.", "rat", "ip", d, 0.0) for d in RAT_IP_MG_PER_KG]
    rows += [("human i.v. 40 min", "human", "iv_infusion", d, 40.0) for d in HUMAN_IV_MG_PER_KG]
    print(f"region {a.region}: dose -> peak occ_E/occ_I, burst, mTORC1 peak, protein at 24 h "
          "(peak, time of peak) [formula burst: protein at 24 h]")
    for label, species, route, d, inf in rows:
        r = course(cfg, transfer, a.region, species, route, d, inf)
        print(f"  {label:18s} {d:5.1f} mg/kg  occ {r['occ_E']:.2f}/{r['occ_I']:.2f}  "
              f"burst {r['burst']:.3f}  mTORC1 {r['mtor']:.3f}  protein {r['protein_24h']:.2f} "
              f"(peak {r['protein_peak']:.2f} at {r['t_protein_peak_h']:.1f} h)  "
              f"[formula {r['formula_protein_24h']:.2f}]")


if __name__ == "__main__":
    main()
