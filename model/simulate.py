"""Run one configuration through the whole protocol and return its data.

Takes a validated :class:`model.config.FearsimConfig`, returns an
:class:`Outcome` (summary Dataset, spikes Dataset, timings). Knows nothing of
files beyond the Brian2 build directory, nothing of Hydra or plots.
"""

from __future__ import annotations

import gc
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from . import circuit as circuit_mod
from .config import FearsimConfig, validate
from .protocol import build_schedule, slow_grid
from .readout import RunawayError, summarize


@dataclass
class Outcome:
    summary: xr.Dataset
    spikes: xr.Dataset
    device: str
    timings: dict = field(default_factory=dict)
    n_synapses: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)


def compiler_available() -> bool:
    return shutil.which(os.environ.get("CXX", "g++")) is not None or shutil.which("c++") is not None


def resolve_device(name: str) -> str:
    if name == "auto":
        return "cpp_standalone" if compiler_available() else "runtime"
    return name


def run(cfg: FearsimConfig, progress=None, build_root=None) -> Outcome:
    """Simulate ``cfg``. Raises RunawayError if activity runs away or is NaN.

    C++ standalone reuses a cached build of the same structure (see
    :mod:`model.device`); ``build_root`` overrides the cache folder.
    """
    import brian2 as b2

    from . import device as dev

    validate(cfg)
    # Brian2 names code objects uniquely among live objects: collect the
    # previous run's objects so a repeated run generates identical code
    gc.collect()
    device = resolve_device(cfg.simulation.device)
    say = progress or (lambda msg: None)
    timings = {}
    t0 = time.perf_counter()
    standalone = device == "cpp_standalone"
    slot = None
    build_lock = None
    results_rel = f"results_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    if standalone:
        if cfg.simulation.build_dir:
            directory = Path(cfg.simulation.build_dir).resolve()
            directory.mkdir(parents=True, exist_ok=True)
        else:
            slot = dev.acquire_slot(dev.structure_hash(cfg), Path(build_root) if build_root
                                    else None)
            build_lock = slot.wait_for_first_build()
            directory = slot.directory
        dev.make_clock_order_deterministic()
        b2.set_device("cpp_standalone", directory=str(directory), build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = (
            cfg.simulation.threads if cfg.simulation.threads > 1 else 0)
        # Brian2's default "make -j" starts every compiler at once (~130 for
        # this model): on a small machine that thrashes memory; one per core
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]
        default_flags = b2.prefs.codegen.cpp.extra_compile_args_gcc
        b2.prefs.codegen.cpp.extra_compile_args_gcc = list(dev.CPP_FLAGS)
        b2.get_device().seed(dev.EnvSeed())
    else:
        b2.set_device("runtime")
        b2.prefs.codegen.target = "numpy" if device == "numpy" else "cython"
        b2.seed(cfg.simulation.seed)
    try:
        b2.defaultclock.dt = cfg.simulation.dt_ms * b2.ms
        schedule = build_schedule(cfg.protocol)
        slow_dt_h = cfg.plasticity.consolidation_dt_min / 60.0
        timeline = circuit_mod.timelines(cfg, schedule)
        channels = timeline.channels
        occ_fast_values, occ_slow_values = timeline.occ_fast, timeline.occ_slow
        c = circuit_mod.build(cfg, circuit_mod.plan(cfg, schedule, timeline),
                              defer_values=standalone)
        fast = b2.Network(*c.fast_objects, name="sessions")
        slow = b2.Network(*c.slow_objects, name="intervals")
        sessions = cfg.protocol.sessions
        slow_runs = schedule.slow_runs_h()
        t_runs = time.perf_counter()
        if slow_runs[0] > 0:
            slow.run(slow_runs[0] * 3600 * b2.second)
        for k, s in enumerate(sessions):
            if not standalone:
                say(f"session {k + 1}/{len(sessions)}: {s.phase} in context {s.context} "
                    f"({s.n_trials} trials)")
            fast.run(schedule.session_duration_s[k] * b2.second)
            # the slow clock covers the session's real duration and what follows
            slow.run(slow_runs[k + 1] * 3600 * b2.second)
        # runtime devices simulate inside run(); standalone only records here
        timings["setup_s"] = t_runs - t0 if not standalone else time.perf_counter() - t0
        if standalone:
            before = dev.binary_mtime(directory)
            t1 = time.perf_counter()
            b2.device.build(directory=str(directory), compile=True, run=False,
                            with_output=False)
            timings["build_s"] = time.perf_counter() - t1
            timings["compiled"] = dev.binary_mtime(directory) != before
            if slot is not None:
                if timings["compiled"]:
                    slot.log_build(timings["build_s"])
                slot.mark_compiled()
                dev.release_lock(build_lock)
                build_lock = None
            say(("compiled" if timings["compiled"] else "reused") + f" build in {directory}; "
                "simulating all sessions")
            os.environ[dev.SEED_ENV] = str(cfg.simulation.seed)
            t2 = time.perf_counter()
            b2.device.run(directory=str(directory), results_directory=results_rel,
                          with_output=False, run_args=c.values.as_run_args())
            timings["simulate_s"] = time.perf_counter() - t2
        else:
            timings["simulate_s"] = time.perf_counter() - t_runs
        spikes = split_spikes(c)
        weights = {}
        if c.weight_monitor is not None:
            t_w = np.asarray(c.weight_monitor.t / b2.second)
            rho = np.asarray(c.weight_monitor.rho)
            weights = {name: (t_w, rho[rows]) for name, rows in c.weight_samples.items()}
        slow_traces = read_slow_traces(c)
        final_v = np.asarray(c.neurons.v / b2.mV)
        sizes, n_syn = dict(c.sizes), dict(c.n_synapses)
    finally:
        if standalone:
            shutil.rmtree(directory / results_rel, ignore_errors=True)
            b2.device.reinit()
            b2.device.activate()
            b2.set_device("runtime")
            b2.prefs.codegen.cpp.extra_compile_args_gcc = default_flags
            dev.release_lock(build_lock)
            if slot is not None:
                slot.release()
    timings["total_s"] = time.perf_counter() - t0
    if not np.all(np.isfinite(final_v)):
        raise RunawayError("membrane potentials became NaN")
    summary = summarize(cfg, schedule, sizes, spikes, weights, channels)
    summary = summary.merge(slow_dataset(slow_traces), combine_attrs="override")
    summary = summary.assign_coords(
        occ_time_h=slow_grid(schedule, slow_dt_h)[:len(occ_slow_values)],
        channel=[f"{r}_{k}" for r, k in channels])
    summary["occupancy"] = (("occ_time_h", "channel"), occ_slow_values,
                            {"long_name": "NMDA-receptor occupancy (block and drugs)"})
    summary["occupancy_trial"] = (("trial", "channel"), occ_fast_values)
    summary["n_synapses"] = (("projection",), np.array(list(n_syn.values()), dtype=np.int64))
    summary = summary.assign_coords(projection=list(n_syn))
    return Outcome(summary=summary, spikes=spikes_dataset(spikes, sizes), device=device,
                   timings=timings, n_synapses=n_syn, sizes=sizes)


def read_slow_traces(c) -> dict:
    """Chain traces per region and spine counts per pathway, as numpy."""
    import brian2 as b2

    out = {"chain_t_h": np.asarray(c.chain_monitor.t / b2.second) / 3600.0,
           "chain_regions": list(c.chain_rows)}
    for var in ("pool", "bdnf", "mtor", "protein", "cons_drive"):
        out[var] = np.asarray(getattr(c.chain_monitor, var))
    if c.spine_monitor is not None:
        exists = np.asarray(c.spine_monitor.exists)
        formed = np.asarray(c.spine_monitor.n_formed)
        out["spine_t_h"] = np.asarray(c.spine_monitor.t / b2.second) / 3600.0
        out["spine_pathways"] = list(c.candidate_blocks)
        out["spines"] = np.array([exists[a:b].sum(axis=0)
                                  for a, b in c.candidate_blocks.values()])
        out["formed"] = np.array([formed[a:b].sum(axis=0)
                                  for a, b in c.candidate_blocks.values()])
        out["candidates"] = np.array([b - a for a, b in c.candidate_blocks.values()])
    return out


def slow_dataset(tr: dict) -> xr.Dataset:
    """Slow variables on the protocol clock (hours)."""
    ds = xr.Dataset(coords={"chain_time_h": tr["chain_t_h"], "region": tr["chain_regions"]})
    for var in ("pool", "bdnf", "mtor", "protein", "cons_drive"):
        ds[f"chain_{var}"] = (("region", "chain_time_h"), tr[var])
    if "spines" in tr:
        ds = ds.assign_coords(spine_time_h=tr["spine_t_h"], spine_pathway=tr["spine_pathways"])
        ds["spines"] = (("spine_pathway", "spine_time_h"), tr["spines"],
                        {"long_name": "existing candidate synapses"})
        ds["spines_formed"] = (("spine_pathway", "spine_time_h"), tr["formed"],
                               {"long_name": "cumulative formations"})
        # eliminations: formations minus the net change in existing synapses
        ds["spines_eliminated"] = ds["spines_formed"] - (ds["spines"] - tr["spines"][:, :1])
        ds["spine_candidates"] = (("spine_pathway",), tr["candidates"])
    return ds


def split_spikes(c) -> dict:
    """Population -> (times in s, neuron index within the population)."""
    import brian2 as b2

    if c.spike_monitor is None:
        return {name: (np.zeros(0), np.zeros(0, np.int32)) for name in c.pop_slices}
    t = np.asarray(c.spike_monitor.t / b2.second)
    i = np.asarray(c.spike_monitor.i[:])
    out = {}
    for name, sl in c.pop_slices.items():
        sel = (i >= sl.start) & (i < sl.stop)
        out[name] = (t[sel], i[sel] - sl.start)
    return out


def spikes_dataset(spikes, sizes) -> xr.Dataset:
    """Flat spike times plus per-neuron counts (CF/NWB ragged convention)."""
    names = list(spikes)
    offsets = np.concatenate([[0], np.cumsum([sizes[n] for n in names])])
    times, neurons = [], []
    for k, name in enumerate(names):
        t, i = spikes[name]
        times.append(t)
        neurons.append(i + offsets[k])
    t_all = np.concatenate(times) if times else np.zeros(0)
    n_all = np.concatenate(neurons).astype(np.int32) if neurons else np.zeros(0, np.int32)
    order = np.lexsort((t_all, n_all))
    counts = np.bincount(n_all, minlength=int(offsets[-1])).astype(np.int32)
    pop_of = np.repeat(np.arange(len(names)), [sizes[n] for n in names])
    return xr.Dataset(
        {
            "spike_time": ("spike", t_all[order].astype(np.float32), {"units": "s"}),
            "spike_count": ("neuron", counts,
                            {"long_name": "spikes per neuron; spike_time is ordered by neuron"}),
            "neuron_population": ("neuron", pop_of.astype(np.int16)),
            "population_offset": ("population", offsets[:-1].astype(np.int32)),
        },
        coords={"population": names},
    )
