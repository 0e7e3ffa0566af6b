"""Dose-response of the BDNF chain driven by the circuit's disinhibition burst.

Usage:
    python scripts/chain_dose_response.py [--transfer TRANSFER.pkl] [--region IL]
        [--adaptation-min TAU] [key=value ...]

For single doses of ketamine (rat i.p. and human i.v. over 40 min) it
computes the region's occupancy on a fine clock (model/pharmacology/) and the
chain's numpy twin (model.synaptogenesis.simulate_chain) with the burst of
the occupancy formula (the default, synaptogenesis.burst_from_circuit false),
and prints the peak occupancy, the mTORC1 peak and the synaptic protein pool
24 h after the dose (docs/experiments.md, sections 4, 5 and 9).
TRANSFER.pkl: a transfer function pickled by ``scripts/extinction_probe.py
--disinhibition --save``; with it the chain is also driven by the burst the
transfer function gives (model/disinhibition.py). ``--adaptation-min TAU``:
a probe of a burst that adapts under a held block (not part of the model):
the formula's burst minus a trace that follows it with time constant TAU
(docs/calibration-log.md, 2026-12-03); the time of the burst's peak is
printed with it. ``key=value``: overrides of
the composed config (the synaptogenesis constants, or ``phenotype=val66met``,
which is applied as in a run). No spiking simulation runs here.
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


def adapted(burst: np.ndarray, tau_min: float) -> np.ndarray:
    """``burst`` minus a trace that relaxes to it with time constant ``tau_min``
    (one step of DT_H each): a steady burst adapts away completely."""
    keep = np.exp(-DT_H * 60.0 / tau_min)
    trace, out = 0.0, np.empty_like(burst)
    for k, b in enumerate(burst):
        out[k] = max(b - trace, 0.0)
        trace = b + (trace - b) * keep
    return out


def course(cfg, transfer, region: str, species: str, route: str, dose_mg: float,
           infusion_min: float = 0.0, adaptation_min: float = 0.0) -> dict:
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
    e = channels.index((region, "E"))
    i = channels.index((region, "I"))
    burst = occ[:, i] * (1 - occ[:, e]) ** cfg.synaptogenesis.burst_exponent
    if adaptation_min > 0:
        burst = adapted(burst, adaptation_min)
    formula = synaptogenesis.simulate_chain(cfg.synaptogenesis, occ[:, e], occ[:, i], DT_H,
                                            burst=burst)
    k24 = int(round(24.0 / DT_H))
    out = {"occ_E": occ[:, e].max(), "occ_I": occ[:, i].max(),
           "t_burst_peak_min": 60.0 * t[np.argmax(burst)],
           "mtor": formula["mtor"].max(), "protein_24h": formula["protein"][k24],
           "protein_peak": formula["protein"].max(),
           "t_protein_peak_h": t[np.argmax(formula["protein"])]}
    if transfer is not None:
        regions = list(dict.fromkeys(p.region for p in cfg.network.populations.values()))
        burst = disinhibition.burst_timeline(transfer, occ, channels,
                                             regions)[:, regions.index(region)]
        chain = synaptogenesis.simulate_chain(cfg.synaptogenesis, occ[:, e], occ[:, i], DT_H,
                                              burst=burst)
        out.update(burst=burst.max(), circuit_mtor=chain["mtor"].max(),
                   circuit_protein_24h=chain["protein"][k24])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--transfer", default=None)
    ap.add_argument("--region", default="IL")
    ap.add_argument("--adaptation-min", type=float, default=0.0,
                    help="probe: the burst adapts with this time constant (min; 0: as the "
                         "model has it)")
    ap.add_argument("overrides", nargs="*")
    a = ap.parse_args()
    from experiments.config_store import compose
    from model import phenotypes

    cfg = phenotypes.apply(compose(["synaptogenesis=prefrontal"] + list(a.overrides)))
    transfer = pickle.loads(Path(a.transfer).read_bytes()) if a.transfer else None
    rows = [("rat i.p.", "rat", "ip", d, 0.0) for d in RAT_IP_MG_PER_KG]
    rows += [("human i.v. 40 min", "human", "iv_infusion", d, 40.0) for d in HUMAN_IV_MG_PER_KG]
    print(f"region {a.region}: dose -> peak occ_E/occ_I, mTORC1 peak, protein at 24 h "
          "(peak, time of peak)" + (" [circuit burst: burst peak, mTORC1 peak, protein at 24 h]"
                                    if transfer is not None else ""))
    for label, species, route, d, inf in rows:
        r = course(cfg, transfer, a.region, species, route, d, inf, a.adaptation_min)
        line = (f"  {label:18s} {d:5.1f} mg/kg  occ {r['occ_E']:.2f}/{r['occ_I']:.2f}  "
                f"burst peak at {r['t_burst_peak_min']:.0f} min  "
                f"mTORC1 {r['mtor']:.3f}  protein {r['protein_24h']:.2f} "
                f"(peak {r['protein_peak']:.2f} at {r['t_protein_peak_h']:.1f} h)")
        if transfer is not None:
            line += (f"  [burst {r['burst']:.3f}  mTORC1 {r['circuit_mtor']:.3f}  "
                     f"protein {r['circuit_protein_24h']:.2f}]")
        print(line)


if __name__ == "__main__":
    main()
