"""The benchmark's child processes and the numbers derived from a run."""

from __future__ import annotations

import datetime as _dt
import multiprocessing as mp
import os
import platform
import resource
import subprocess
import time
from pathlib import Path

import numpy as np

# the run-time parameter of the sweep section
SWEEP_KEY = "network.projections.il_itc.w_ampa_nS"


def in_child(fn, *args, **kwargs):
    """Call ``fn`` in a fresh spawned process; return its result."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(fn, args, kwargs)


def rss_mb(who) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: kB


def worker_init() -> None:
    import brian2  # noqa: F401

    import model.simulate  # noqa: F401
    from experiments.config_store import compose

    compose([])  # Hydra and the schema loaded before any timing


def project_run(overrides: list[str], build_root: str | None, store_dir: str | None = None,
                profile: bool = False, perf_file: str | None = None) -> dict:
    """One run through the build cache (run_cached); numbers only (picklable).

    ``profile``: Brian2's profiling (a build of its own); ``perf_file``: the
    binary runs under ``perf record`` (CPU-clock samples, no change to the code).
    """
    from experiments.config_store import compose, plain
    from experiments.io.build_cache import build_count, run_cached, structure_hash

    cfg = compose(list(overrides))
    prof = profile_patch() if profile else None
    if perf_file:
        perf_patch(perf_file)
    t_start = time.time()
    t0 = time.perf_counter()
    out = run_cached(cfg, root=build_root)
    wall = time.perf_counter() - t0
    t_end = time.time()
    res = {"overrides": list(overrides), "timings": dict(out.timings), "wall_s": wall,
           "t_start": t_start, "t_end": t_end, "device": out.device, "pid": os.getpid(),
           "n_synapses": {k: int(v) for k, v in out.n_synapses.items()},
           "sizes": {k: int(v) for k, v in out.sizes.items()},
           "pop_spikes": pop_spikes(out.spikes)}
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
    res["rss_self_MB"] = rss_mb(resource.RUSAGE_SELF)
    res["rss_children_MB"] = rss_mb(resource.RUSAGE_CHILDREN)
    return res


PERF_RECORD = ["perf", "record", "-q", "-e", "cpu-clock", "-F", "499"]


def perf_patch(data_file: str) -> None:
    """Run the simulation binary under ``perf record``, samples to ``data_file``."""
    import brian2 as b2

    prefix = PERF_RECORD + ["-o", data_file]
    b2.prefs.devices.cpp_standalone.run_cmd_unix = prefix + ["./main"]
    try:  # a supervised binary (model.standalone) ignores Brian2's run command
        from model import standalone
    except ImportError:
        return
    original = standalone.supervise

    def supervise(cmd, *args, **kwargs):
        if cmd and cmd[0] == "./main":
            cmd = prefix + list(cmd)
        return original(cmd, *args, **kwargs)

    standalone.supervise = supervise


def perf_symbols(data_file: str) -> list[dict]:
    """Share of the CPU-clock samples per function, largest first."""
    out = subprocess.run(["perf", "report", "-i", data_file, "--stdio", "--sort", "symbol"],
                         capture_output=True, text=True, timeout=600).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0].endswith("%") and parts[1] in ("[.]", "[k]"):
            rows.append({"symbol": parts[2], "percent": float(parts[0].rstrip("%"))})
    return rows


def pop_spikes(spikes) -> dict:
    counts = np.asarray(spikes.spike_count.values)
    pop = np.asarray(spikes.neuron_population.values)
    names = [str(n) for n in spikes.population.values]
    return {name: int(counts[pop == k].sum()) for k, name in enumerate(names)}


def profile_patch() -> dict:
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


