"""``fearsim-bench``: performance of the model, measured side by side in one invocation.

Sections (``--only a,b`` selects; all but ``profile`` and ``neurons`` run by default):

default   the default protocol at full scale in C++ standalone: a cold run (fresh
          build cache: build + simulation) and a warm run (cached build), each in a
          fresh process; biological time, real-time factor, synaptic events and
          neuron updates per second, peak memory of the binary and of Python, size
          of the results file (written with experiments.io.store.write_run).
plain     the same network (same equations, wiring, inputs, TimedArrays) as a plain
          Brian2 standalone script, built here from numpy arrays with none of the
          project's machinery (no config objects, run_args, readouts, store,
          slow network, weight monitor; one SpikeMonitor): the project's overhead.
runtime   Cython runtime against C++ standalone on the same run (reduced scale).
sweep     a run-time sweep (one weight, 20 values) through model.simulate.run in
          one process with a fresh build cache: builds, total / (build + 20 sims).
workers   N runs on 1 process vs 2 processes (spawn; cache pre-built): throughput.
scaling   simulate time against synapse count over network scales; log-log exponent.
profile   (opt-in) Brian2's profiling_summary of the project's run: time per code object.
neurons   (opt-in) the neuron update and background alone, 3,500 neurons, three builds side
          by side: Brian2's usual way (``(unless refractory)``, TimedArray currents read
          every step, a binomial background per step, Brian2's compiler flags), the
          model's equations with Brian2's flags, and the model as it runs
          (model.standalone.CPP_FLAGS): what each speed-up of model/neurons.py buys.

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
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("default", "plain", "runtime", "sweep", "workers", "scaling", "profile", "neurons")
DEFAULT_SECTIONS = ("default", "plain", "runtime", "sweep", "workers", "scaling")
MARK_BEGIN = "<!-- fearsim-bench:begin -->"
MARK_END = "<!-- fearsim-bench:end -->"
RATE_CEILING_HZ = 1e4
QUICK_NOTE = ", --quick: not the configuration of the targets"
SWEEP_KEY = "network.projections.il_itc.w_ampa_nS"
# Brian2 COBA benchmark on this project's reference machine (2 cores)
COBA = {"neurons": 4000, "synapses": 320_000, "bio_s": 10.0, "standalone_wall_s": "1.0-1.1",
        "events_per_s": "52-59 M", "neuron_updates_per_s": "3.6-4.0e8",
        "cython_wall_s": 4.7, "numpy_wall_s": 26, "nest_2threads_wall_s": 46}
TARGETS = {
    "default.simulate_s": ("<= 60 s", lambda v: v <= 60),
    "plain.overhead_simulate": ("<= 1.1x", lambda v: v <= 1.1),
    "sweep.builds": ("== 1", lambda v: v == 1),
    "workers.throughput_ratio": (">= 1.8x", lambda v: v >= 1.8),
    "scaling.exponent": ("<= 1.1", lambda v: v <= 1.1),
    "default.peak_rss_MB": ("<= 1536 MB", lambda v: v <= 1536),
    "default.results_file_MB": ("<= 50 MB", lambda v: v <= 50),
}


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- child processes

def in_child(fn, *args, **kwargs):
    """Call ``fn`` in a fresh spawned process; return its result."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(fn, args, kwargs)


def _rss_mb(who) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: kB


def _worker_init() -> None:
    import brian2  # noqa: F401

    import model.simulate  # noqa: F401
    from experiments.config_store import compose

    compose([])  # Hydra and the schema loaded before any timing


def project_run(overrides: list[str], build_root: str | None, store_dir: str | None = None,
                profile: bool = False) -> dict:
    """One run through model.simulate.run; numbers only (picklable)."""
    from experiments.config_store import compose, plain
    from experiments.io.build_cache import build_count, run_cached, structure_hash

    cfg = compose(list(overrides))
    prof = _profile_patch() if profile else None
    t_start = time.time()
    t0 = time.perf_counter()
    out = run_cached(cfg, root=build_root)
    wall = time.perf_counter() - t0
    t_end = time.time()
    res = {"overrides": list(overrides), "timings": dict(out.timings), "wall_s": wall,
           "t_start": t_start, "t_end": t_end, "device": out.device, "pid": os.getpid(),
           "n_synapses": {k: int(v) for k, v in out.n_synapses.items()},
           "sizes": {k: int(v) for k, v in out.sizes.items()},
           "pop_spikes": _pop_spikes(out.spikes)}
    if build_root is not None and out.device == "cpp_standalone":
        res["builds"] = build_count(structure_hash(cfg), Path(build_root))
    if store_dir is not None:
        from experiments.io import store

        resolved = plain(cfg)
        rid = store.run_id(resolved)
        prov = store.provenance(out.device, cfg.simulation.seed, wall, rid, out.timings)
        path = store.write_run(Path(store_dir) / f"{rid}.nc", out.summary, out.spikes,
                               resolved, prov)
        res["results_file_bytes"] = path.stat().st_size
    if prof is not None:
        res["profile"] = prof.get("entries", [])
    res["rss_self_MB"] = _rss_mb(resource.RUSAGE_SELF)
    res["rss_children_MB"] = _rss_mb(resource.RUSAGE_CHILDREN)
    return res


def _pop_spikes(spikes) -> dict:
    counts = np.asarray(spikes.spike_count.values)
    pop = np.asarray(spikes.neuron_population.values)
    names = [str(n) for n in spikes.population.values]
    return {name: int(counts[pop == k].sum()) for k, name in enumerate(names)}


def _profile_patch() -> dict:
    """Make every standalone run profiled and keep its profiling_info.txt.

    The project deletes its results folder after reading it, and Brian2 looks
    for profiling data under ``results/``; copy it out right after the binary ran.
    """
    import brian2 as b2
    from brian2.devices.cpp_standalone.device import CPPStandaloneDevice

    store: dict = {}
    orig_run, orig_net_run = CPPStandaloneDevice.run, b2.Network.run

    def net_run(self, duration, *a, **kw):
        kw["profile"] = True
        return orig_net_run(self, duration, *a, **kw)

    def dev_run(self, *a, **kw):
        orig_run(self, *a, **kw)
        f = Path(self.results_dir) / "profiling_info.txt"
        entries = []
        if f.exists():
            for line in f.read_text().splitlines():
                key, val = line.split()
                entries.append((key, float(val)))
        store["entries"] = sorted(entries, key=lambda e: -e[1])

    b2.Network.run = net_run
    CPPStandaloneDevice.run = dev_run
    return store


# ---------------------------------------------------------------- plain Brian2

def plain_spec(overrides: list[str]) -> dict:
    """The plan of the config's circuit (model.circuit.plan) and its run settings."""
    from experiments.config_store import compose
    from model import circuit
    from model.protocol import build_schedule

    cfg = compose(list(overrides))
    sch = build_schedule(cfg.protocol)
    return {"plan": circuit.plan(cfg, sch), "dt_ms": cfg.simulation.dt_ms,
            "seed": cfg.simulation.seed, "duration_s": float(sch.fast_duration_s)}


def build_and_run(directory: str) -> tuple[float, float]:
    """Compile the standalone project and run its binary: (build s, simulate s)."""
    import brian2 as b2

    t0 = time.perf_counter()
    b2.device.build(directory=directory, compile=True, run=False, with_output=False)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    b2.device.run(directory=directory, with_output=False)
    return build_s, time.perf_counter() - t0


def plain_run(spec: dict, directory: str) -> dict:
    """The plain Brian2 standalone script of the plan's spiking network.

    The plan's groups, synapses and TimedArrays as plain Brian2 objects, every
    value set straight on them (SI floats), one ``Network.run`` over the
    spiking time, one SpikeMonitor; none of the plan's slow runners.
    """
    import brian2 as b2

    from model import circuit, neurons, standalone

    plan = spec["plan"]
    t0 = time.perf_counter()
    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.prefs.codegen.cpp.extra_compile_args_gcc = list(standalone.CPP_FLAGS)
    b2.defaultclock.dt = spec["dt_ms"] * b2.ms
    b2.seed(spec["seed"])
    ns = {name: b2.TimedArray(values * getattr(b2, unit) if unit else values,
                              dt=dt_s * b2.second)
          for name, (values, unit, dt_s) in circuit.timed_array_tables(plan.timelines).items()}
    ns["poisson_interval"] = neurons.poisson_interval_function()
    groups = {}
    for name, gp in plan.groups.items():
        g = b2.NeuronGroup(gp.n, gp.equations, threshold=gp.threshold, reset=gp.reset,
                           method=gp.method, namespace=ns, name=f"plain_{name}")
        for _, code, dt_s, when in gp.regular:
            g.run_regularly(code, dt=None if dt_s is None else dt_s * b2.second, when=when)
        for var, value in {**gp.run_time, **gp.fixed}.items():
            setattr(g, var + "_", value)
        groups[name] = g
    objects = list(groups.values())
    for sp in plan.synapses.values():
        s = b2.Synapses(groups[sp.source], groups[sp.target], model=sp.model, on_pre=sp.on_pre,
                        on_post=sp.on_post, delay=sp.delay_s * b2.second, method="exact",
                        namespace=ns)
        s.connect(i=sp.i, j=sp.j)
        for var, value in {**sp.run_time, **sp.fixed}.items():
            setattr(s, var + "_", value)
        objects.append(s)
    mon = b2.SpikeMonitor(groups["neurons"])
    objects.append(mon)
    net = b2.Network(*objects)
    net.run(spec["duration_s"] * b2.second, namespace=ns)
    setup_s = time.perf_counter() - t0
    build_s, simulate_s = build_and_run(directory)
    counts = np.bincount(np.asarray(mon.i[:]), minlength=groups["neurons"].N)
    pop_spikes = {p: int(counts[sl].sum()) for p, sl in plan.pop_slices.items()}
    b2.device.reinit()
    b2.device.activate()
    return {"setup_s": setup_s, "build_s": build_s, "simulate_s": simulate_s,
            "total_s": time.perf_counter() - t0, "pop_spikes": pop_spikes,
            "rss_self_MB": _rss_mb(resource.RUSAGE_SELF),
            "rss_children_MB": _rss_mb(resource.RUSAGE_CHILDREN)}


def plain_child(overrides: list[str], directory: str) -> dict:
    spec = plain_spec(overrides)  # config -> arrays, before the script starts
    return plain_run(spec, directory)


# ---------------------------------------------------------------- derived numbers

def run_stats(overrides: list[str], res: dict) -> dict:
    """Biological time, events and updates per second of one measured run."""
    from experiments.config_store import compose
    from model.protocol import STIM_CHANNELS, STIM_DT_S, build_schedule

    cfg = compose(list(overrides))
    net = cfg.network
    sch = build_schedule(cfg.protocol)
    T = float(sch.fast_duration_s)
    sizes, n_syn, spikes = res["sizes"], res["n_synapses"], res["pop_spikes"]
    input_spikes = {}
    for name, p in net.inputs.items():
        on_s = float(sch.stim[:, STIM_CHANNELS.index(name)].sum() * STIM_DT_S)
        input_spikes[name] = p.n * (p.base_rate_Hz * T + p.on_rate_Hz * on_s)
    pre_events = post_events = 0.0
    per_projection = {}
    for name, k in n_syn.items():
        if name.startswith("candidates:"):
            prj = cfg.synaptogenesis.pathways[name.split(":", 1)[1]]
            plastic = True
        else:
            prj = net.projections[name]
            plastic = prj.plastic
        pre_n = spikes.get(prj.pre, input_spikes.get(prj.pre, 0.0))
        ev = pre_n * k / sizes[prj.pre]
        per_projection[name] = ev
        pre_events += ev
        if plastic:
            post_events += spikes[prj.post] * k / sizes[prj.post]
    n_neurons = sum(sizes[p] for p in net.populations)
    n_inputs = sum(sizes[p] for p in net.inputs)
    steps = T / (cfg.simulation.dt_ms * 1e-3)
    sim = res["timings"]["simulate_s"] if "timings" in res else res["simulate_s"]
    total_spikes = sum(spikes.values())
    return {
        "bio_fast_s": T, "bio_slow_h": float(sch.slow_duration_h),
        "n_neurons": n_neurons, "n_inputs": n_inputs,
        "n_synapses": int(sum(n_syn.values())),
        "steps": steps, "realtime_factor": sim / T,
        "neuron_spikes": total_spikes, "mean_rate_Hz": total_spikes / n_neurons / T,
        "input_spikes_expected": float(sum(input_spikes.values())),
        "syn_events": pre_events, "syn_post_events": post_events,
        "syn_events_per_s": pre_events / sim,
        "syn_events_incl_post_per_s": (pre_events + post_events) / sim,
        "background_events": n_neurons * net.background_rate_Hz * T,
        "neuron_updates_per_s": n_neurons * steps / sim,
        "events_per_projection": per_projection,
    }


def machine_info() -> dict:
    import brian2

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = int(line.split()[1]) / 1024 ** 2
    except OSError:
        pass
    try:
        cxx = subprocess.run([os.environ.get("CXX", "g++"), "--version"], capture_output=True,
                             text=True, timeout=10).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        cxx = "unknown"
    from experiments.io.store import git_commit

    return {
        "cpu": cpu, "cores": os.cpu_count(),
        "cores_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "ram_GB": round(ram, 1) if ram else None,
        "python": platform.python_version(), "brian2": brian2.__version__,
        "numpy": np.__version__, "compiler": cxx, "platform": platform.platform(),
        "loadavg_start": list(os.getloadavg()), "git_commit": git_commit(),
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
    }


# ---------------------------------------------------------------- sections

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

    # 1
    def default(self) -> dict:
        ov = list(self.base)
        store_dir = str(self.tmp / "store")
        log(f"default: cold run (fresh build cache) {' '.join(ov)}")
        cold = in_child(project_run, ov, self.shared_cache, store_dir)
        log(f"default: cold build {cold['timings']['build_s']:.1f} s, "
            f"simulate {cold['timings']['simulate_s']:.1f} s; warm run")
        warm = in_child(project_run, ov, self.shared_cache)
        stats = run_stats(ov, warm)
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
        res = in_child(plain_child, ov, d)
        plan = plain_spec(ov)["plan"]
        stats = run_stats(ov, {**res, "sizes": plan.sizes, "n_synapses": plan.n_synapses})
        out = {"overrides": ov, **res, **stats,
               "includes_slow_network": False, "monitors": ["SpikeMonitor"]}
        d_res = self.out.get("default")
        if d_res:
            out["overhead_simulate"] = d_res["simulate_s"] / res["simulate_s"]
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
        sa = in_child(project_run, ov_sa, self.shared_cache)
        if sa["timings"].get("compiled"):
            sa_build = sa["timings"]["build_s"]
            sa = in_child(project_run, ov_sa, self.shared_cache)
            sa["cold_build_s"] = sa_build
        log("runtime: Cython runtime, first run (may compile Cython code)")
        rt1 = in_child(project_run, ov_rt, None)
        log("runtime: Cython runtime, second run (warm Cython cache)")
        rt2 = in_child(project_run, ov_rt, None)
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
        log(f"sweep: {self.sweep_n} values of {SWEEP_KEY} at scale {self.small}, fresh cache")
        res = in_child(sweep_child, self.small_overrides(), self.sweep_n, self.sweep_cache)
        sims = [r["timings"]["simulate_s"] for r in res["runs"]]
        build = res["runs"][0]["timings"]["build_s"]
        ideal = build + len(sims) * float(np.mean(sims))
        return {**res, "scale": self.small, "key": SWEEP_KEY, "n": len(sims),
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
        with ctx.Pool(2, initializer=_worker_init) as pool:
            pool.starmap(project_run, [(ov + [f"simulation.seed={s}"], cache) for s in (1, 2)],
                         chunksize=1)
        out = {"scale": self.small, "n_runs": n}
        for k in (1, 2):
            with ctx.Pool(k, initializer=_worker_init) as pool:
                runs = pool.starmap(project_run,
                                    [(ov + [f"simulation.seed={s}"], cache) for s in seeds],
                                    chunksize=1)
            span = max(r["t_end"] for r in runs) - min(r["t_start"] for r in runs)
            out[f"p{k}"] = {"span_s": span, "throughput_runs_per_min": 60 * n / span,
                            "runs": runs, "compiled": sum(bool(r["timings"].get("compiled"))
                                                          for r in runs)}
        out["throughput_ratio"] = out["p1"]["span_s"] / out["p2"]["span_s"]
        return out

    # 6
    def scaling(self) -> dict:
        pts = []
        for s in self.scales:
            ov = self.base + [f"network.scale={s}"]
            log(f"scaling: scale {s}")
            r = in_child(project_run, ov, self.shared_cache)
            st = run_stats(ov, r)
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
        ov = list(self.base)
        log("profile: profiled run (separate build: profiling changes the code)")
        r = in_child(project_run, ov, str(self.tmp / "cache_profile"), None, True)
        entries = r.get("profile", [])
        total = sum(v for _, v in entries) or float("nan")
        # one code object per run() call: sum the copies (name_codeobject_<k>)
        agg: dict = {}
        for k, v in entries:
            base = re.sub(r"_codeobject(_\d+)?$", "", k)
            agg[base] = agg.get(base, 0.0) + v
        top = [{"code_object": k, "s": v, "percent": 100 * v / total}
               for k, v in sorted(agg.items(), key=lambda e: -e[1])]
        return {"overrides": ov, "simulate_s": r["timings"]["simulate_s"],
                "profiled_total_s": total, "entries": top,
                "raw": [{"code_object": k, "s": v} for k, v in entries]}

    # opt-in
    def neurons(self) -> dict:
        n, bio_s = (500, 1.0) if self.quick else (3500, 10.0)
        out = {"n_neurons": n, "bio_s": bio_s, "variants": {}}
        for v in NEURON_VARIANTS:
            log(f"neurons: {v} ({n} neurons, {bio_s} s)")
            out["variants"][v] = in_child(neuron_variant_run, v, str(self.tmp / f"neurons_{v}"),
                                          n, bio_s)
        base = out["variants"]["brian2_usual"]["simulate_s"]
        for r in out["variants"].values():
            r["speedup"] = base / r["simulate_s"] if r["simulate_s"] > 0 else float("nan")
        return out

    def run(self, sections) -> dict:
        res = {"quick": self.quick, "sections": list(sections), "machine": machine_info(),
               "argv": sys.argv[1:], "coba_reference": COBA}
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
        res["targets"] = check_targets(res)
        return res


NEURON_VARIANTS = ("brian2_usual", "model_brian2_flags", "model")


def neuron_variant_run(variant: str, directory: str, n: int, bio_s: float) -> dict:
    """The model's neurons alone (no synapses), one variant; see the ``neurons`` section."""
    import brian2 as b2
    from brian2.input.binomial import BinomialFunction

    from model import neurons, standalone, synaptogenesis
    from model.protocol import STIM_DT_S

    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]
    if variant == "model":
        b2.prefs.codegen.cpp.extra_compile_args_gcc = list(standalone.CPP_FLAGS)
    b2.defaultclock.dt = 0.1 * b2.ms
    b2.seed(1)
    rate_hz, stim_dt = 1600.0, STIM_DT_S * b2.second
    n_grid = int(round(bio_s / STIM_DT_S)) + 1
    ns = {"opto": b2.TimedArray(np.zeros((n_grid, 1)) * b2.pA, dt=stim_dt),
          "shock": b2.TimedArray(np.zeros(n_grid), dt=stim_dt)}
    if variant == "brian2_usual":
        dv_model = "dv/dt = (gL*(EL - v) + I_syn + I_ext - w_ad) / C * int(t >= t_free) : volt"
        assert dv_model in neurons.NEURON_EQS
        eqs = neurons.NEURON_EQS.replace(dv_model, (
            "dv/dt = (gL*(EL - v) + I_syn + I_opto - I_shock - w_ad) / C : volt (unless refractory)\n"
            "I_opto = opto(t, population) : amp\nI_shock = shock_current*shock(t) : amp"))
        ns["background_binomial"] = BinomialFunction(100, rate_hz / 100 * 1e-4)
        g = b2.NeuronGroup(n, eqs + synaptogenesis.NEURON_CHAIN_VARS,
                           threshold=neurons.THRESHOLD, reset=neurons.RESET,
                           refractory="tref", method="euler", namespace=ns, name="neurons")
        g.run_regularly("g_ampa += background_binomial()*bg_w", when="synapses",
                        name="neurons_background")
    else:
        g = neurons.neuron_group(n, synaptogenesis.NEURON_CHAIN_VARS, ns, stim_dt_s=STIM_DT_S)
        g.bg_isi_ = 1 / rate_hz
        g.bg_next_ = np.random.default_rng(1).exponential(1 / rate_hz, n)
    # an excitatory principal cell of configs/network/fear_circuit.yaml
    for var, value in {"C": 200e-12, "gL": 10e-9, "EL": -70e-3, "Vt": -50e-3, "Vr": -60e-3,
                       "tref": 2e-3, "b_ad": 20e-12, "tau_ad": 0.2, "bg_w": 1.3e-9,
                       "nmda_scale": 1.0, "E_ampa": 0.0, "E_nmda": 0.0, "E_gaba": -80e-3,
                       "tau_ampa": 2e-3, "tau_gaba": 8e-3, "tau_nmda": 0.1, "Mg": 1.0,
                       "tau_activity": 10.0}.items():
        setattr(g, var + "_", value)
    g.nmda_avail = 1.0
    # some NMDA conductance so the Mg2+ block is computed on realistic values
    g.g_nmda_ = 1e-9
    g.v_ = np.random.default_rng(2).uniform(-70e-3, -50e-3, n)
    mon = b2.SpikeMonitor(g)
    net = b2.Network(g, mon)
    net.run(bio_s * b2.second, profile=True)
    build_s, simulate_s = build_and_run(directory)
    try:
        info = net.profiling_info
        prof = {str(k): float(v / b2.second) for k, v in info}
    except Exception:  # profiling info is a convenience; timings above are what matter
        prof = {}
    return {"variant": variant, "build_s": build_s, "simulate_s": simulate_s,
            "rate_Hz": float(mon.num_spikes) / n / bio_s, "profile": prof}


def sweep_child(overrides: list[str], n: int, cache: str) -> dict:
    """n values of one run-time weight, one after another in this process."""
    from experiments.config_store import compose
    from experiments.io.build_cache import build_count, run_cached, structure_hash

    base = compose(list(overrides))
    v0 = base.network.projections["il_itc"].w_ampa_nS
    values = [float(v) for v in v0 * np.linspace(0.75, 1.25, n)] if n > 1 else [v0]
    cfgs = [compose(list(overrides) + [f"{SWEEP_KEY}={v}"]) for v in values]
    runs = []
    t0 = time.perf_counter()
    for v, cfg in zip(values, cfgs, strict=True):
        t = time.perf_counter()
        out = run_cached(cfg, root=cache)
        runs.append({"value": v, "timings": dict(out.timings), "wall_s": time.perf_counter() - t})
    total = time.perf_counter() - t0
    return {"values": values, "runs": runs, "total_s": total,
            "builds": build_count(structure_hash(base), Path(cache)),
            "compiled_runs": sum(bool(r["timings"]["compiled"]) for r in runs)}


def _get(res: dict, dotted: str):
    cur = res
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def check_targets(res: dict) -> dict:
    out = {}
    for key, (text, ok) in TARGETS.items():
        v = _get(res, key)
        if v is not None:
            out[key] = {"value": v, "target": text, "met": bool(ok(v)),
                        "applies": not res["quick"]}
    return out


# ---------------------------------------------------------------- reporting

def _f(v, nd=2):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if abs(v) >= 1e5:
        return f"{v:.3g}"
    return f"{v:.{nd}f}"


def table_rows(res: dict) -> list[tuple[str, str, str, str]]:
    """(section, quantity, value, target) rows."""
    rows = []

    def add(sec, what, val, tkey=None):
        tgt = ""
        if tkey and tkey in res.get("targets", {}):
            t = res["targets"][tkey]
            tgt = f"{t['target']} {'met' if t['met'] else 'NOT met'}"
            if not t["applies"]:
                tgt += " (quick run)"
        rows.append((sec, what, val, tgt))

    d = res.get("default")
    if d:
        add("default", "network", f"{d['n_neurons']:,} neurons + {d['n_inputs']} inputs, "
            f"{d['n_synapses']:,} synapses")
        add("default", "biological time", f"{d['bio_fast_s']:.0f} s spiking "
            f"({d['steps']:.3g} steps); slow network {d['bio_slow_h']:.1f} h of protocol")
        add("default", "build (cold cache) [s]", _f(d["build_s"], 1))
        add("default", "simulate (cached build) [s]", _f(d["simulate_s"], 2), "default.simulate_s")
        add("default", "simulate, cold run [s]", _f(d["simulate_cold_s"], 2))
        add("default", "setup (Python) [s]", _f(d["setup_s"], 2))
        add("default", "total wall, warm / cold [s]",
            f"{d['total_warm_s']:.1f} / {d['total_cold_s']:.1f}")
        add("default", "real-time factor (sim wall / bio)", _f(d["realtime_factor"], 3))
        add("default", "mean rate [Hz]", _f(d["mean_rate_Hz"], 2))
        add("default", "synaptic events / s", f"{d['syn_events_per_s']:.3g} "
            f"({d['syn_events_incl_post_per_s']:.3g} with on_post)")
        add("default", "neuron updates / s", f"{d['neuron_updates_per_s']:.3g}")
        add("default", "peak RSS binary / Python [MB]",
            f"{d['binary_peak_rss_MB']:.0f} / {d['python_peak_rss_MB']:.0f}",
            "default.peak_rss_MB")
        add("default", "peak RSS compiler+binary, cold [MB]",
            f"{d['children_peak_rss_cold_MB']:.0f}")
        add("default", "results file [MB]", _f(d["results_file_MB"], 2),
            "default.results_file_MB")
    p = res.get("plain")
    if p:
        add("plain", "build / simulate [s]", f"{p['build_s']:.1f} / {p['simulate_s']:.2f}")
        add("plain", "synaptic events / s", f"{p['syn_events_per_s']:.3g}")
        add("plain", "mean rate [Hz]", _f(p["mean_rate_Hz"], 2))
        if "overhead_simulate" in p:
            add("plain", "overhead: project / plain simulate", _f(p["overhead_simulate"], 2) + "x",
                "plain.overhead_simulate")
            add("plain", "overhead: total wall without compilation",
                _f(p["overhead_total"], 2) + "x")
            add("plain", "overhead: cold build", _f(p["overhead_build"], 2) + "x")
    r = res.get("runtime")
    if r:
        add("runtime", f"scale {r['scale']}: standalone setup+build+simulate / total [s]",
            f"{r['standalone_setup_build_simulate_s']:.2f} / {r['standalone_total_s']:.1f} "
            f"(binary {r['standalone_simulate_s']:.2f})")
        add("runtime", "Cython runtime setup+simulate / total [s]",
            f"{r['runtime_setup_simulate_s']:.2f} / {r['runtime_total_s']:.1f} "
            f"(first run {r['runtime_first_total_s']:.1f})")
        add("runtime", "runtime / standalone (cached build): run, total",
            f"{r['ratio_simulate']:.2f}x, {r['ratio_total']:.2f}x")
    s = res.get("sweep")
    if s:
        add("sweep", f"{s['n']} values of {s['key'].split('.')[-2]} (scale {s['scale']})",
            f"total {s['total_s']:.1f} s")
        add("sweep", "builds", str(s["builds"]), "sweep.builds")
        add("sweep", "build / mean simulate / mean setup [s]",
            f"{s['first_build_s']:.1f} / {s['mean_simulate_s']:.2f} / {s['mean_setup_s']:.2f}")
        add("sweep", "total / (build + n x simulate)", _f(s["ratio"], 2))
    w = res.get("workers")
    if w:
        add("workers", f"{w['n_runs']} runs (scale {w['scale']}): 1 / 2 processes [s]",
            f"{w['p1']['span_s']:.1f} / {w['p2']['span_s']:.1f}")
        add("workers", "throughput ratio 2 vs 1", _f(w["throughput_ratio"], 2) + "x",
            "workers.throughput_ratio")
    sc = res.get("scaling")
    if sc:
        for pt in sc["points"]:
            add("scaling", f"scale {pt['scale']}: {pt['n_synapses']:,} synapses",
                f"simulate {pt['simulate_s']:.2f} s, build {pt['build_s']:.1f} s")
        add("scaling", "exponent (simulate ~ synapses^k)", _f(sc["exponent"], 2),
            "scaling.exponent")
    nv = res.get("neurons")
    if nv:
        for v, r in nv["variants"].items():
            add("neurons", f"{v}: simulate [s] ({nv['n_neurons']} neurons, {nv['bio_s']} s)",
                f"{r['simulate_s']:.2f} ({r['speedup']:.2f}x), {r['rate_Hz']:.2f} Hz")
            for name, t in sorted(r["profile"].items(), key=lambda e: -e[1])[:2]:
                add("neurons", f"  {v}: {name}", f"{t:.2f} s")
    pr = res.get("profile")
    if pr:
        add("profile", "code objects / binary wall [s]",
            f"{pr['profiled_total_s']:.2f} / {pr['simulate_s']:.2f}")
        for e in pr["entries"][:10]:
            add("profile", e["code_object"], f"{e['s']:.2f} s ({e['percent']:.1f}%)")
    return rows


def format_table(res: dict, markdown: bool = False) -> str:
    rows = table_rows(res)
    head = ("section", "quantity", "value", "target")
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 4]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    w = [max(len(head[k]), *(len(r[k]) for r in rows)) if rows else len(head[k])
         for k in range(4)]
    fmt = "  ".join(f"{{:<{x}}}" for x in w)
    return "\n".join([fmt.format(*head), fmt.format(*("-" * x for x in w))]
                     + [fmt.format(*r) for r in rows])


def markdown_section(res: dict, json_path: Path) -> str:
    m = res["machine"]
    c = COBA
    lines = [
        MARK_BEGIN,
        f"## Latest run ({m['date']}{QUICK_NOTE if res['quick'] else ''})",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores ({m['cores_available']} available), "
        f"{m['ram_GB']} GB RAM; Python {m['python']}, Brian2 {m['brian2']}, "
        f"numpy {m['numpy']}, {m['compiler']}; load average at start "
        f"{', '.join(f'{x:.1f}' for x in m['loadavg_start'])}; git {m['git_commit']}.",
        f"Command: `fearsim-bench {' '.join(res['argv'])}`; all numbers: "
        f"`{_rel(json_path)}`; wall time of the benchmark {res['bench_wall_s']:.0f} s.",
        "",
        format_table(res, markdown=True),
        "",
        f"Reference (measured on this project's 2-core machine, Brian2 COBA: {c['neurons']} neurons, "
        f"{c['synapses']:,} synapses, {c['bio_s']:.0f} s): C++ standalone "
        f"{c['standalone_wall_s']} s wall, {c['events_per_s']} synaptic events/s, "
        f"~{c['neuron_updates_per_s']} neuron updates/s; Cython runtime {c['cython_wall_s']} s; "
        f"numpy {c['numpy_wall_s']} s; NEST 3.10 (2 threads) {c['nest_2threads_wall_s']} s.",
        MARK_END,
    ]
    return "\n".join(lines)


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def write_markdown(path: Path, section: str) -> None:
    text = path.read_text() if path.exists() else ""
    if MARK_BEGIN in text and MARK_END in text:
        a = text.index(MARK_BEGIN)
        b = text.index(MARK_END) + len(MARK_END)
        text = text[:a] + section + text[b:]
    else:
        if not text:
            text = "# Benchmarks\n\nWritten by `fearsim-bench` (experiments/bench/runner.py).\n"
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


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
