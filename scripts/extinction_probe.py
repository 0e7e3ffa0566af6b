"""Probe extinction learning and its fragility over groups and calibration subjects.

Usage:
    python scripts/extinction_probe.py --groups saline,block,sr7 --seeds 1001,1002 \
        [--jobs 2] [--set VALUES_YAML] [key=value ...]

Runs each group (below) for each seed with the overrides given (``key=value``
Hydra overrides, and ``--set``: a YAML file of values merged into the
composed config, for keys a command line cannot add, such as new
projections), and prints per group: freezing per trial (mean over seeds), the
phase measures the extinction targets use (docs/experiments.md, sections 1,
2 and 8), the circuit's shock prediction and error per trial, pathway
weights, and population rates. Seeds must be calibration subjects
(experiments/analysis/design.py CALIBRATION); figures use others.

Groups share the network and mechanisms of the overrides; they differ in
protocol, block or drug:

  saline      the drug experiments' vehicle circuit, default protocol (ABA)
  block       95% NMDA block, all regions, extinction session
  block_il    95% NMDA block in IL, extinction session
  sr7         recall 7 days after extinction (spontaneous recovery)
  rein        AAA with two unsignalled shocks before the test (reinstatement)
  rein0       the same with context exposure instead of the shocks
  abc         renewal test in a third context C
  ket24       ketamine 10 mg/kg i.p. 23 h before extinction
  ketdur      ketamine 10 mg/kg i.p. 10 min before extinction
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


GROUPS = {
    "saline": ["experiment=saline"],
    "block": ["experiment=saline", "protocol.block.occupancy=0.95", "protocol.block.sessions=[2]"],
    "block_il": ["experiment=saline", "protocol.block.occupancy=0.95",
                 "protocol.block.sessions=[2]", "protocol.block.regions=[IL]"],
    "sr7": ["experiment=saline", "protocol=spontaneous_recovery"],
    "rein": ["experiment=saline", "protocol=reinstatement"],
    "rein0": ["experiment=saline", "protocol=reinstatement", "protocol.sessions.3.us=false"],
    "abc": ["experiment=saline", "protocol=renewal_abc"],
    "ket24": ["experiment=ketamine_24h_before_extinction"],
    "ketdur": ["experiment=ketamine_during_extinction"],
}


def compose_group(group: str, overrides: list[str], set_file: str | None, seed: int):
    """The typed config of one group and seed, with the --set values merged in."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf, open_dict

    from experiments.config_store import CONFIG_DIR, register, to_config

    register()
    with initialize_config_dir(version_base="1.3", config_dir=CONFIG_DIR):
        cfg = compose(config_name="config",
                      overrides=GROUPS[group] + overrides + [f"simulation.seed={seed}"])
    if set_file:
        with open_dict(cfg):
            cfg = OmegaConf.merge(cfg, OmegaConf.load(set_file))
    return to_config(cfg)


def run_one(args):
    group, seed, overrides, set_file = args
    from experiments.io.build_cache import run_cached
    from model.readout import RunawayError

    cfg = compose_group(group, overrides, set_file, seed)
    t0 = time.time()
    try:
        ds = run_cached(cfg).summary
    except RunawayError as exc:
        print(f"[{group} {seed}] RUNAWAY {exc}", flush=True)
        return group, seed, None
    m = phase_measures(ds)
    print(f"[{group} {seed}] {time.time() - t0:.0f} s: "
          + " ".join(f"{k} {v:.1f}" for k, v in m.items()), flush=True)
    keep = ["freezing", "phase", "session_of_trial", "rate_cs", "rate_pre", "resting_rate",
            "weight_end", "trial_in_session"]
    keep += [v for v in ("shock_prediction", "prediction_error") if v in ds]
    return group, seed, ds[keep].load()


def disinhibition_probe(overrides: list[str], set_file: str | None,
                        save: str | None = None) -> None:
    """The circuit's response to NMDA block at rest, as the BDNF chain reads it."""
    from experiments.io.build_cache import build_target
    from model import disinhibition, simulate

    cfg = compose_group("saline", overrides + ["synaptogenesis.burst_from_circuit=true"],
                        set_file, 1001)
    tf = simulate.measure_disinhibition(cfg, build_target)
    if save:
        import pickle

        Path(save).write_bytes(pickle.dumps(tf))
    grid = disinhibition.probe_grid()
    np.set_printoptions(precision=2, suppress=True, linewidth=240)
    print("grid (occ_E, occ_I):", [tuple(float(x) for x in p) for p in grid])
    for k, p in enumerate(tf.populations):
        print(f"  {p:9s} rate", tf.rates[k])
    # ketamine 10 mg/kg i.p. at its peak (docs/model.md, section 9): ~0.62 / ~0.82
    for r, region in enumerate(tf.regions):
        print(f"  {region:4s} ratio at (0.62, 0.82) {float(tf.ratio(r, 0.62, 0.82)):.2f}, "
              f"(0.3, 0.55) {float(tf.ratio(r, 0.3, 0.55)):.2f}, "
              f"(0.95, 0.99) {float(tf.ratio(r, 0.95, 0.99)):.2f}")


def phase_measures(ds) -> dict:
    f, ph = ds.freezing.values, ds.phase.values.astype(str)
    sess = ds.session_of_trial.values
    ext = f[ph == "extinction"]
    blk = max(1, len(ext) // 4)
    out = {"hab": f[ph == "habituation"].mean(), "cond_end": f[ph == "conditioning"][-2:].mean(),
           "ext_first": ext[:blk].mean(), "ext_9_12": ext[8:12].mean() if len(ext) >= 12 else np.nan,
           "ext_last": ext[-blk:].mean(), "ext_below5": float((ext < 5).sum())}
    for p in ("recall", "renewal", "reinstatement"):
        if (ph == p).any():
            out[p] = f[ph == p].mean()
    out["last_session"] = f[sess == sess.max()].mean()
    return out


def report(group: str, runs: list) -> None:
    runs = [r for r in runs if r is not None]
    if not runs:
        print(f"== {group}: no valid runs")
        return
    np.set_printoptions(precision=1, suppress=True, linewidth=240)
    f = np.array([r.freezing.values for r in runs])
    print(f"== {group} (n={len(runs)})")
    print("   freezing", f.mean(0))
    if "prediction_error" in runs[0]:
        print("   V       ", np.array([r.shock_prediction.values for r in runs]).mean(0))
    meas = [phase_measures(r) for r in runs]
    print("   " + "  ".join(f"{k} {np.mean([m[k] for m in meas]):.1f}"
                            f"±{np.std([m[k] for m in meas]):.1f}" for k in meas[0]))
    w = sum(r.weight_end.to_pandas() for r in runs) / len(runs)
    print("   weights at session end\n" + w.round(3).to_string())
    rest = np.mean([r.resting_rate.values for r in runs], axis=0)
    print("   rest Hz  " + " ".join(f"{p}:{v:.1f}" for p, v in zip(runs[0].population.values,
                                                                    rest, strict=True)))
    ph = runs[0].phase.values.astype(str)
    cs = np.mean([r.rate_cs.values for r in runs], axis=0)
    ext = np.flatnonzero(ph == "extinction")
    if len(ext):
        print("   CS rates, extinction first / last trial: " + " ".join(
            f"{p}:{cs[k, ext[0]]:.1f}/{cs[k, ext[-1]]:.1f}"
            for k, p in enumerate(runs[0].population.values)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--groups", default="saline")
    ap.add_argument("--seeds", default="1001,1002")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--set", dest="set_file", default=None)
    ap.add_argument("overrides", nargs="*")
    ap.add_argument("--disinhibition", action="store_true",
                    help="only the disinhibition probe of the circuit")
    ap.add_argument("--save", default=None, help="with --disinhibition: pickle the transfer "
                    "function to this file (scripts/chain_dose_response.py reads it)")
    a = ap.parse_args()
    if a.disinhibition:
        disinhibition_probe(list(a.overrides), a.set_file, a.save)
        return
    seeds = [int(s) for s in a.seeds.split(",")]
    from experiments.analysis.design import CALIBRATION

    bad = [s for s in seeds if s not in CALIBRATION]
    if bad:
        sys.exit(f"--seeds: {bad} are not {CALIBRATION.describe()}")
    groups = a.groups.split(",")
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        sys.exit(f"--groups: unknown {unknown}; known: {sorted(GROUPS)}")
    jobs = [(g, s, list(a.overrides), a.set_file) for g in groups for s in seeds]
    if a.jobs > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(a.jobs, mp_context=mp.get_context("spawn")) as pool:
            results = list(pool.map(run_one, jobs))
    else:
        results = [run_one(j) for j in jobs]
    for g in groups:
        report(g, [ds for grp, _, ds in results if grp == g])


if __name__ == "__main__":
    main()
