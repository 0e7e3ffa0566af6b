"""Calibration driver: run the default protocol over several seeds and check targets.

Usage:
    python scripts/calibrate.py [--seeds 1,2,3] [--block none,sys,il] [--verbose] key=value ...

key=value are OmegaConf dotlist overrides (e.g. network.scale=0.3). Runs
seeds one after another (one simulation at a time). Prints per-seed metrics,
mean +/- SD, and PASS/FAIL for the targets of MODEL.md 7.1 / 7.2:

  habituation <= 15%; end of conditioning (last 2 trials) >= 60%;
  last extinction block (last 5 of 20) <= half of end of conditioning;
  recall <= 40%; renewal >= recall + 20 points;
  resting rates: E 0.1-3 Hz, I 5-20 Hz;
  NMDA block (occupancy 0.95, extinction session; systemic and IL-local):
  recall >= 1.5 x control recall and extinction first block > last block.

Drug groups (MODEL.md 7.3): --block saline,ket24,ketdur compares ketamine 24 h
before and during extinction with saline (ext_2nd: mean of the second half of
extinction): 24 h before must lower ext_2nd, recall and renewal; during must
raise recall.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from experiments.config_store import compose  # noqa: E402
from experiments.io.build_cache import run_cached  # noqa: E402
from model.readout import RunawayError  # noqa: E402

BLOCKS = {
    "none": [],
    "sys": ["protocol.block.occupancy=0.95", "protocol.block.sessions=[2]"],
    "il": ["protocol.block.occupancy=0.95", "protocol.block.sessions=[2]",
           "protocol.block.regions=[IL]"],
    # the drug groups of MODEL.md 7.3 (candidate synapses and the BDNF chain present)
    "saline": ["experiment=saline"],
    "ket24": ["experiment=ketamine_24h_before_extinction"],
    "ketdur": ["experiment=ketamine_during_extinction"],
}


def make_cfg(overrides):
    """The composed config (Hydra config tree plus command-line overrides)."""
    return compose(list(overrides))


def metrics(ds):
    f, ph = ds.freezing.values, ds.phase.values
    sel = {p: f[ph == p] for p in dict.fromkeys(ph.tolist())}
    ext = sel["extinction"]
    blk = max(1, len(ext) // 4)
    m = {
        "hab": sel["habituation"].mean(),
        "cond_end": sel["conditioning"][-2:].mean(),
        "ext_first": ext[:blk].mean(),
        "ext_last": ext[-blk:].mean(),
        "ext_2nd": ext[len(ext) // 2:].mean(),
        "recall": sel["recall"].mean(),
        "renewal": sel["renewal"].mean(),
    }
    rest = {str(p): float(r) for p, r in zip(ds.population.values, ds.resting_rate.values, strict=True)}
    kinds = {str(p): str(k) for p, k in zip(ds.population.values, ds.population_kind.values, strict=True)}
    return m, rest, kinds


def run_one(overrides, verbose=False):
    cfg = make_cfg(overrides)
    t = time.time()
    try:
        out = run_cached(cfg)
    except RunawayError as e:
        print(f"   RUNAWAY: {e}")
        return None
    ds = out.summary
    m, rest, kinds = metrics(ds)
    if verbose:
        np.set_printoptions(precision=1, suppress=True, linewidth=220)
        print("   freezing", ds.freezing.values)
        cem = list(ds.population.values).index("CeM")
        print("   CeM cs  ", ds.rate_cs.values[cem])
        for p in ds.population.values:
            print(f"   {p:9s} rest {rest[str(p)]:6.2f} cs:",
                  ds.rate_cs.sel(population=p).values[[0, 4, 9, 10, 19, 29, 30, 34]])
        print(ds.weight_end.to_pandas().round(3).to_string())
        from model.protocol import build_schedule
        sch = build_schedule(cfg.protocol)
        sp = out.spikes
        pop_of = np.repeat(sp.neuron_population.values, sp.spike_count.values)
        st = sp.spike_time.values
        us = ~np.isnan(sch.us_on_s)
        names = list(sp.population.values)
        line = []
        for p in ("LA_E", "LA_I", "BLA_fear", "IL_E", "IL_I", "CeM"):
            tt = np.sort(st[pop_of == names.index(p)])
            n = int(ds.population_size.sel(population=p))
            cnt = (np.searchsorted(tt, sch.cs_off_s[us]) - np.searchsorted(tt, sch.us_on_s[us]))
            line.append(f"{p} {cnt.mean() / (n * cfg.protocol.us_s):.1f}")
        print("   US-window rates (Hz):", ", ".join(line))
    print(f"   ({time.time() - t:.0f}s) " + " ".join(f"{k}={v:.1f}" for k, v in m.items()))
    return m, rest, kinds


def _job(args):
    extra, blk, seed, verbose = args
    print(f"[{blk}] seed {seed}", flush=True)
    return run_one(extra + BLOCKS[blk] + [f"simulation.seed={seed}"], verbose)


def by_metric(runs, keys=None):
    """{metric: array over runs} of run_one results."""
    keys = keys if keys is not None else runs[0][0]
    return {k: np.array([r[0][k] for r in runs]) for k in keys}


def ms(a):
    a = np.asarray(a, dtype=float)
    return f"{a.mean():6.1f} +/- {a.std(ddof=1) if len(a) > 1 else 0:5.1f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--block", default="none")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--jobs", type=int, default=1,
                    help="simulations in parallel, one process each (at most the core count)")
    ap.add_argument("--build-dir", default="",
                    help="fixed build folder (default: the structural build cache)")
    ap.add_argument("overrides", nargs="*")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    extra = list(a.overrides)
    if a.build_dir and not any(o.startswith("simulation.build_dir") for o in extra):
        extra.append(f"simulation.build_dir={a.build_dir}")
    results = {}
    jobs = [(blk, s) for blk in a.block.split(",") for s in seeds]
    if a.jobs > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(a.jobs, mp_context=mp.get_context("spawn")) as pool:
            outs = list(pool.map(_job, [(extra, blk, s, a.verbose) for blk, s in jobs]))
    else:
        outs = [_job((extra, blk, s, a.verbose)) for blk, s in jobs]
    for (blk, _), r in zip(jobs, outs, strict=True):
        results.setdefault(blk, [])
        if r is not None:
            results[blk].append(r)
    checks = []
    if results.get("none"):
        ctrl = results["none"]
        M = by_metric(ctrl)
        print("control (n=%d):" % len(ctrl))
        for k, v in M.items():
            print(f"  {k:10s} {ms(v)}")
        checks += [
            ("habituation <= 15", M["hab"].mean() <= 15),
            ("cond_end >= 60", M["cond_end"].mean() >= 60),
            ("ext_last <= cond_end/2", M["ext_last"].mean() <= M["cond_end"].mean() / 2),
            ("recall <= 40", M["recall"].mean() <= 40),
            ("renewal >= recall + 20", M["renewal"].mean() >= M["recall"].mean() + 20),
        ]
        kinds = ctrl[0][2]
        print("resting rates (Hz):")
        for p in kinds:
            v = np.array([r[1][p] for r in ctrl])
            lo, hi = (0.1, 3.0) if kinds[p] == "E" else (5.0, 20.0)
            ok = lo <= v.mean() <= hi
            checks.append((f"rest {p} in [{lo},{hi}]", ok))
            print(f"  {p:9s} {kinds[p]} {ms(v)} {'ok' if ok else 'OUT'}")
        for blk in ("sys", "il"):
            if results.get(blk):
                B = by_metric(results[blk], M)
                print(f"block {blk} (n={len(results[blk])}):")
                for k, v in B.items():
                    print(f"  {k:10s} {ms(v)}")
                checks += [
                    (f"{blk}: recall >= 1.5 x control", B["recall"].mean()
                     >= 1.5 * M["recall"].mean()),
                    (f"{blk}: within-session decline", B["ext_first"].mean()
                     > B["ext_last"].mean()),
                ]
    if results.get("saline"):
        S = by_metric(results["saline"])
        print("saline (n=%d):" % len(results["saline"]))
        for k, v in S.items():
            print(f"  {k:10s} {ms(v)}")
        for blk, worse in (("ket24", False), ("ketdur", True)):
            if not results.get(blk):
                continue
            D = by_metric(results[blk], S)
            print(f"{blk} (n={len(results[blk])}), difference from saline:")
            for k, v in D.items():
                print(f"  {k:10s} {ms(v)}   {v.mean() - S[k].mean():+6.1f}")
            keys = ("recall",) if worse else ("ext_2nd", "recall", "renewal")
            checks += [(f"{blk}: {k} {'>' if worse else '<'} saline",
                        (D[k].mean() > S[k].mean()) if worse else (D[k].mean() < S[k].mean()))
                       for k in keys]
    if checks:
        n_pass = sum(ok for _, ok in checks)
        for name, ok in checks:
            print(f"  {'PASS' if ok else 'FAIL'}  {name}")
        print(f"SCORE {n_pass}/{len(checks)}")


if __name__ == "__main__":
    main()
