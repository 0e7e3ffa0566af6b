"""``fearsim-bench``: performance of the model, measured side by side in one invocation.

Sections (``--only a,b`` selects; all but ``profile`` and ``neurons`` run by default):

coba      the reference: Brian2's COBA benchmark (experiments/bench/coba.py), built and
          run here; every time and rate of the other sections is also given as a ratio
          to it (column "x COBA").
default   the default protocol at full scale in C++ standalone: a cold run (fresh
          build cache: build + simulation) and a warm run (cached build), each in a
          fresh process; biological time, real-time factor, synaptic events and
          neuron updates per second, peak memory of the binary and of Python, size
          of the results file (written with experiments.io.store.write_run).
plain     the same network as a plain Brian2 standalone script built from the same
          plan (experiments/bench/plain.py): the project's overhead.
runtime   Cython runtime against C++ standalone on the same run (reduced scale).
sweep     a run-time sweep (one weight, 20 values) through the build cache (run_cached) in
          one process with a fresh build cache: builds, total / (build + 20 sims).
workers   N runs on 1 process, on 2, and on 1 again (spawn; cache pre-built): throughput.
scaling   simulate time against synapse count over network scales; log-log exponent.
profile   (opt-in) Brian2's profiling of the project's run: CPU time per code object.
neurons   (opt-in) the neuron update and background alone, 3,500 neurons, builds side by
          side (experiments/bench/neuron_variants.py): what each choice of
          model/neurons.py buys.

Every number goes to ``results/bench/<timestamp>.json`` (``--out``); the table is
printed and written between markers into BENCHMARKS.md (``--markdown``; not in
``--quick`` unless asked). Heavy work runs in spawned child processes so that
peak memory and Brian2's global state are per run.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import multiprocessing as mp
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import coba, neuron_variants, plain, report, runs
from .report import MARK_BEGIN, MARK_END, format_table, markdown_section, write_markdown

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("coba", "default", "plain", "runtime", "sweep", "workers", "scaling", "profile",
            "neurons")
DEFAULT_SECTIONS = ("coba", "default", "plain", "runtime", "sweep", "workers", "scaling")
RATE_CEILING_HZ = 1e4
__all__ = ["MARK_BEGIN", "MARK_END", "main", "parse"]


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, args):
        self.a = args
        self.quick = args.quick
        self.tmp = Path(tempfile.mkdtemp(prefix="fearsim-bench-"))
        self.shared_cache = str(self.tmp / "cache_shared")
        self.sweep_cache = str(self.tmp / "cache_sweep")
        self.out: dict = {}
        if self.quick:
            self.base = ["experiment=tiny", "simulation.device=cpp_standalone"]
            self.small = args.small_scale or 0.05
            self.scales = args.scales or [0.05, 0.1]
            self.sweep_n = args.sweep_points or 3
            self.worker_runs = args.worker_runs or 2
        else:
            self.base = ["simulation.device=cpp_standalone"]
            self.small = args.small_scale or 0.25
            self.scales = args.scales or [0.25, 0.5, 1.0, 2.0]
            self.sweep_n = args.sweep_points or 20
            self.worker_runs = args.worker_runs or 4
        # the benchmark measures cost, not behaviour: a run whose rates cross the
        # readout's runaway ceiling (a calibration matter) is still timed
        # (the ceiling is read after the simulation and is not structural)
        self.base += [f"readout.rate_ceiling_Hz={RATE_CEILING_HZ}", *args.overrides]

    def small_overrides(self, *extra) -> list[str]:
        return self.base + [f"network.scale={self.small}", *extra]

    # 0
    def coba(self) -> dict:
        log("coba: Brian2's COBA benchmark (build, then 3 runs of the binary)")
        bio_s = 1.0 if self.quick else coba.BIO_S
        return runs.in_child(coba.run, str(self.tmp / "coba_build"), bio_s)

    # 1
    def default(self) -> dict:
        ov = list(self.base)
        store_dir = str(self.tmp / "store")
        log(f"default: cold run (fresh build cache) {' '.join(ov)}")
        cold = runs.in_child(runs.project_run, ov, self.shared_cache, store_dir)
        log(f"default: cold build {cold['timings']['build_s']:.1f} s, "
            f"simulate {cold['timings']['simulate_s']:.1f} s; warm run")
        warm = runs.in_child(runs.project_run, ov, self.shared_cache)
        stats = runs.run_stats(ov, warm)
        t = warm["timings"]
        out = {
            "overrides": ov, "cold": cold, "warm": warm, **stats,
            "build_s": cold["timings"]["build_s"], "compiled_cold": cold["timings"]["compiled"],
            "compiled_warm": t["compiled"],
            "setup_s": t["setup_s"], "simulate_s": t["simulate_s"],
            "simulate_cold_s": cold["timings"]["simulate_s"],
            "total_warm_s": warm["wall_s"], "total_cold_s": cold["wall_s"],
            "binary_peak_rss_MB": warm["rss_children_MB"],
            "children_peak_rss_cold_MB": cold["rss_children_MB"],
            "python_peak_rss_MB": max(warm["rss_self_MB"], cold["rss_self_MB"]),
            "results_file_MB": cold["results_file_bytes"] / 1e6,
        }
        out["peak_rss_MB"] = max(out["binary_peak_rss_MB"], out["python_peak_rss_MB"])
        return out

    # 2
    def plain(self) -> dict:
        ov = list(self.base)
        d = str(self.tmp / "plain_build")
        log("plain: same network as a plain Brian2 standalone script")
        res = runs.in_child(plain.plain_child, ov, d)
        plan = plain.plain_spec(ov)["plan"]
        stats = runs.run_stats(ov, {**res, "sizes": plan.sizes})
        out = {"overrides": ov, **res, **stats,
               "includes_slow_network": False, "monitors": ["SpikeMonitor"]}
        d_res = self.out.get("default")
        if d_res:
            # one pair of runs differs by a few percent from the next on a quiet
            # machine: a second plain run and a second warm project run, alternating
            log("plain: a warm project run and a second plain run, alternating")
            project_again = runs.in_child(runs.project_run, ov, self.shared_cache)
            plain_again = runs.in_child(plain.plain_child, ov, d)
            out["simulate_runs_s"] = [res["simulate_s"], plain_again["simulate_s"]]
            out["project_simulate_runs_s"] = [d_res["simulate_s"],
                                              project_again["timings"]["simulate_s"]]
            out["overhead_simulate"] = sum(out["project_simulate_runs_s"]) \
                / sum(out["simulate_runs_s"])
            # total without compilation: the project's warm run against the plain
            # script's setup + simulation (its build is always cold)
            out["overhead_total"] = (d_res["total_warm_s"] - d_res["warm"]["timings"]["build_s"]) \
                / (res["total_s"] - res["build_s"])
            out["overhead_build"] = d_res["build_s"] / res["build_s"]
            out["project_mean_rate_Hz"] = d_res["mean_rate_Hz"]
        return out

    # 3
    def runtime(self) -> dict:
        ov_sa = self.small_overrides()
        ov_rt = self.small_overrides("simulation.device=runtime")
        log(f"runtime: standalone at scale {self.small}")
        sa = runs.in_child(runs.project_run, ov_sa, self.shared_cache)
        if sa["timings"].get("compiled"):
            sa_build = sa["timings"]["build_s"]
            sa = runs.in_child(runs.project_run, ov_sa, self.shared_cache)
            sa["cold_build_s"] = sa_build
        log("runtime: Cython runtime, first run (may compile Cython code)")
        rt1 = runs.in_child(runs.project_run, ov_rt, None)
        log("runtime: Cython runtime, second run (warm Cython cache)")
        rt2 = runs.in_child(runs.project_run, ov_rt, None)
        # on runtime, model.simulate counts the network runs in setup_s (objects are
        # created and run in one go), so its "simulation" is setup + simulate
        rt_sim = rt2["timings"]["setup_s"] + rt2["timings"]["simulate_s"]
        sa_sim = sa["timings"]["setup_s"] + sa["timings"]["build_s"] + sa["timings"]["simulate_s"]
        return {
            "scale": self.small, "standalone": sa, "runtime_first": rt1, "runtime": rt2,
            "standalone_simulate_s": sa["timings"]["simulate_s"],
            "standalone_setup_build_simulate_s": sa_sim,
            "standalone_total_s": sa["wall_s"],
            "runtime_setup_simulate_s": rt_sim,
            "runtime_total_s": rt2["wall_s"], "runtime_first_total_s": rt1["wall_s"],
            "ratio_simulate": rt_sim / sa_sim,
            "ratio_total": rt2["wall_s"] / sa["wall_s"],
        }

    # 4
    def sweep(self) -> dict:
        log(f"sweep: {self.sweep_n} values of {runs.SWEEP_KEY} at scale {self.small}, fresh cache")
        res = runs.in_child(runs.sweep_child, self.small_overrides(), self.sweep_n, self.sweep_cache)
        sims = [r["timings"]["simulate_s"] for r in res["runs"]]
        build = res["runs"][0]["timings"]["build_s"]
        ideal = build + len(sims) * float(np.mean(sims))
        return {**res, "scale": self.small, "key": runs.SWEEP_KEY, "n": len(sims),
                "first_build_s": build, "mean_simulate_s": float(np.mean(sims)),
                "mean_setup_s": float(np.mean([r["timings"]["setup_s"] for r in res["runs"]])),
                "mean_build_check_s": float(np.mean([r["timings"]["build_s"]
                                                     for r in res["runs"][1:]] or [0.0])),
                "ideal_s": ideal, "ratio": res["total_s"] / ideal}

    # 5
    def workers(self) -> dict:
        ov = self.small_overrides()
        n = self.worker_runs
        cache = self.sweep_cache  # same structure as the sweep: pre-built if it ran
        ctx = mp.get_context("spawn")
        log(f"workers: pre-build (2 processes), then {n} runs on 1 and on 2 processes")
        seeds = [100 + k for k in range(n)]
        with ctx.Pool(2, initializer=runs.worker_init) as pool:
            pool.starmap(runs.project_run, [(ov + [f"simulation.seed={s}"], cache) for s in (1, 2)],
                         chunksize=1)
        out = {"scale": self.small, "n_runs": n}
        # one process before and after two: the machine's speed drifts by several
        # percent within minutes, and bracketing cancels a steady drift
        for key, k in (("p1", 1), ("p2", 2), ("p1_after", 1)):
            with ctx.Pool(k, initializer=runs.worker_init) as pool:
                batch = pool.starmap(runs.project_run,
                                     [(ov + [f"simulation.seed={s}"], cache) for s in seeds],
                                     chunksize=1)
            span = max(r["t_end"] for r in batch) - min(r["t_start"] for r in batch)
            out[key] = {"span_s": span, "throughput_runs_per_min": 60 * n / span,
                        "runs": batch, "compiled": sum(bool(r["timings"].get("compiled"))
                                                       for r in batch)}
        out["throughput_ratio"] = coba.bracketed_ratio(
            out["p1"]["span_s"], out["p2"]["span_s"], out["p1_after"]["span_s"])
        coba_build = self.tmp / "coba_build"
        if (coba_build / "main").exists():
            n_coba = 4 if self.quick else 8
            log(f"workers: the COBA binary {n_coba} times on 1 and on 2 processes "
                "(the machine's ceiling)")
            out["coba"] = coba.parallel_throughput(str(coba_build), n_coba)
        return out

    # 6
    def scaling(self) -> dict:
        pts = []
        for s in self.scales:
            ov = self.base + [f"network.scale={s}"]
            log(f"scaling: scale {s}")
            r = runs.in_child(runs.project_run, ov, self.shared_cache)
            st = runs.run_stats(ov, r)
            pts.append({"scale": s, "n_synapses": st["n_synapses"], "n_neurons": st["n_neurons"],
                        "simulate_s": r["timings"]["simulate_s"],
                        "build_s": r["timings"]["build_s"], "compiled": r["timings"]["compiled"],
                        "setup_s": r["timings"]["setup_s"], "total_s": r["wall_s"],
                        "syn_events_per_s": st["syn_events_per_s"],
                        "mean_rate_Hz": st["mean_rate_Hz"]})
        x = np.log([p["n_synapses"] for p in pts])
        fit = lambda key: float(np.polyfit(x, np.log([p[key] for p in pts]), 1)[0]) \
            if len(pts) > 1 else float("nan")  # noqa: E731
        return {"points": pts, "exponent": fit("simulate_s"), "exponent_total": fit("total_s")}

    # opt-in
    def profile(self) -> dict:
        """Brian2's profiling (its own build; its clock reads cost time on every call),
        then, where perf exists, CPU-clock samples of the unchanged binary."""
        ov = list(self.base)
        log("profile: Brian2-profiled run (separate build: profiling changes the code)")
        r = runs.in_child(runs.project_run, ov, str(self.tmp / "cache_profile"), None, True)
        entries = r.get("profile", [])
        total = sum(v for _, v in entries) or float("nan")
        agg: dict = {}
        for k, v in entries:
            base = re.sub(r"_codeobject(_\d+)?$", "", k)
            agg[base] = agg.get(base, 0.0) + v
        top = [{"code_object": k, "s": v, "percent": 100 * v / total}
               for k, v in sorted(agg.items(), key=lambda e: -e[1])]
        out = {"overrides": ov, "simulate_s": r["timings"]["simulate_s"],
               "profiled_total_s": total, "entries": top,
               "raw": [{"code_object": k, "s": v} for k, v in entries]}
        if shutil.which("perf"):
            log("profile: the binary under perf record (cached build)")
            data = str(self.tmp / "perf.data")
            p = runs.in_child(runs.project_run, ov, self.shared_cache, None, False, data)
            out["perf"] = {"simulate_s": p["timings"]["simulate_s"],
                           "symbols": runs.perf_symbols(data)}
        return out

    # opt-in
    def neurons(self) -> dict:
        n, bio_s = (500, 1.0) if self.quick else (3500, 10.0)
        out = {"n_neurons": n, "bio_s": bio_s, "variants": {}}
        for v in neuron_variants.VARIANTS:
            log(f"neurons: {v} ({n} neurons, {bio_s} s)")
            out["variants"][v] = runs.in_child(neuron_variants.run, v, str(self.tmp / f"neurons_{v}"),
                                          n, bio_s)
        base = out["variants"]["brian2_usual"]["simulate_s"]
        for r in out["variants"].values():
            r["speedup"] = base / r["simulate_s"] if r["simulate_s"] > 0 else float("nan")
        return out

    def run(self, sections) -> dict:
        res = {"quick": self.quick, "sections": list(sections), "machine": runs.machine_info(),
               "argv": sys.argv[1:]}
        self.out = res
        t0 = time.perf_counter()
        try:
            for name in sections:
                t = time.perf_counter()
                try:
                    res[name] = getattr(self, name)()
                except Exception as exc:  # one failing section does not lose the others
                    import traceback

                    traceback.print_exc(file=sys.stderr)
                    res.setdefault("errors", {})[name] = f"{exc.__class__.__name__}: {exc}"
                    log(f"{name}: FAILED ({res['errors'][name]})")
                    continue
                res[name]["section_wall_s"] = time.perf_counter() - t
                log(f"{name}: done in {res[name]['section_wall_s']:.1f} s")
        finally:
            if not self.a.keep_tmp:
                shutil.rmtree(self.tmp, ignore_errors=True)
        res["bench_wall_s"] = time.perf_counter() - t0
        res["targets"] = report.check_targets(res)
        return res




def _jsonable(o):
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    return o


def parse(argv=None):
    ap = argparse.ArgumentParser(prog="fearsim-bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="tiny network, short protocol (experiment=tiny), 3-point sweep, "
                         "2 worker runs, scales 0.05/0.1: for tests")
    ap.add_argument("--only", default="",
                    help=f"comma-separated sections of {','.join(SECTIONS)} "
                         f"(default: {','.join(DEFAULT_SECTIONS)})")
    ap.add_argument("--out", default=None,
                    help="json file or folder (default results/bench/<timestamp>.json)")
    ap.add_argument("--markdown", default=None,
                    help="file whose table section is rewritten (default BENCHMARKS.md; "
                         "with --quick only when given)")
    ap.add_argument("--no-markdown", action="store_true")
    ap.add_argument("--small-scale", type=float, default=None,
                    help="scale of the runtime, sweep and workers sections (0.25; quick 0.05)")
    ap.add_argument("--scales", type=lambda s: [float(x) for x in s.split(",")], default=None,
                    help="scales of the scaling section (0.25,0.5,1,2; quick 0.05,0.1)")
    ap.add_argument("--sweep-points", type=int, default=None)
    ap.add_argument("--worker-runs", type=int, default=None)
    ap.add_argument("--keep-tmp", action="store_true", help="keep build caches and files")
    ap.add_argument("overrides", nargs="*",
                    help="config overrides for every run (key=value), e.g. simulation.seed=2")
    a = ap.parse_args(argv)
    if a.only:
        sections = [s.strip() for s in a.only.split(",") if s.strip()]
        bad = [s for s in sections if s not in SECTIONS]
        if bad:
            ap.error(f"--only: unknown section(s) {bad}; choose from {', '.join(SECTIONS)}")
        sections = [s for s in SECTIONS if s in sections]  # dependency order
    else:
        sections = list(DEFAULT_SECTIONS)
    return a, sections


def main(argv=None) -> int:
    a, sections = parse(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    res = Bench(a).run(sections)
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(a.out) if a.out else ROOT / "results" / "bench"
    if out.suffix != ".json":
        out = out / f"{stamp}{'-quick' if a.quick else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_jsonable(res), indent=1))
    print(format_table(res))
    md = None if a.no_markdown else (a.markdown or (None if a.quick else ROOT / "BENCHMARKS.md"))
    if md:
        write_markdown(Path(md), markdown_section(res, out))
        log(f"table written to {md}")
    for name, err in res.get("errors", {}).items():
        print(f"fearsim-bench: section {name} failed: {err}", file=sys.stderr)
    print(out.resolve())
    return 1 if res.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
