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
from . import manipulations
from .config import FearsimConfig, validate
from .protocol import build_schedule, nmda_occupancy, occupancy_channels, shock_trace, slow_grid
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


@dataclass
class ProtocolInputs:
    """The protocol and every time course the circuit plays back."""

    schedule: object
    channels: list
    slow_dt_h: float
    occ_fast: np.ndarray
    occ_slow: np.ndarray
    opto: np.ndarray
    infusion: np.ndarray
    shock: np.ndarray


@dataclass
class DeviceSession:
    """The Brian2 device of one run and what must be undone after it."""

    name: str
    standalone: bool
    directory: Path | None = None
    slot: object = None
    build_lock: int | None = None
    results_rel: str = ""
    default_flags: list = field(default_factory=list)


def run(cfg: FearsimConfig, progress=None, build_root=None) -> Outcome:
    """Simulate ``cfg``. Raises RunawayError if activity runs away or is NaN.

    C++ standalone reuses a cached build of the same structure (see
    :mod:`model.device`); ``build_root`` overrides the cache folder.
    """
    validate(cfg)
    # Brian2 names code objects uniquely among live objects: collect the
    # previous run's objects so a repeated run generates identical code
    gc.collect()
    say = progress or (lambda msg: None)
    t0 = time.perf_counter()
    session = open_device(cfg, resolve_device(cfg.simulation.device), build_root)
    try:
        inputs = protocol_inputs(cfg)
        c = circuit_mod.build(cfg, inputs.schedule, inputs.occ_fast, inputs.occ_slow,
                              inputs.opto, inputs.infusion, inputs.shock,
                              defer_values=session.standalone)
        t_runs = time.perf_counter()
        run_protocol(cfg, c, inputs.schedule, session, say)
        timings = run_on_device(session, c, cfg, say, t0, t_runs)
        raw = read_raw(c)
    finally:
        close_device(session)
    timings["total_s"] = time.perf_counter() - t0
    if not np.all(np.isfinite(raw["final_v"])):
        raise RunawayError("membrane potentials became NaN")
    return assemble_outcome(cfg, inputs, raw, session.name, timings)


def open_device(cfg: FearsimConfig, device: str, build_root) -> DeviceSession:
    """Select and configure the Brian2 device; a standalone run takes a build slot."""
    import brian2 as b2

    from . import device as dev

    standalone = device == "cpp_standalone"
    session = DeviceSession(name=device, standalone=standalone,
                            results_rel=f"results_{os.getpid()}_{uuid.uuid4().hex[:8]}")
    if not standalone:
        b2.set_device("runtime")
        b2.prefs.codegen.target = "numpy" if device == "numpy" else "cython"
        b2.seed(cfg.simulation.seed)
        return session
    if cfg.simulation.build_dir:
        session.directory = Path(cfg.simulation.build_dir).resolve()
        session.directory.mkdir(parents=True, exist_ok=True)
    else:
        session.slot = dev.acquire_slot(dev.structure_hash(cfg), Path(build_root) if build_root
                                        else None)
        session.build_lock = session.slot.wait_for_first_build()
        session.directory = session.slot.directory
    dev.make_clock_order_deterministic()
    b2.set_device("cpp_standalone", directory=str(session.directory), build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = (
        cfg.simulation.threads if cfg.simulation.threads > 1 else 0)
    # Brian2's default "make -j" starts every compiler at once (~130 for
    # this model): on a small machine that thrashes memory; one per core
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]
    session.default_flags = b2.prefs.codegen.cpp.extra_compile_args_gcc
    b2.prefs.codegen.cpp.extra_compile_args_gcc = list(dev.CPP_FLAGS)
    b2.get_device().seed(dev.EnvSeed())
    return session


def close_device(session: DeviceSession) -> None:
    """Remove the run's results folder, reset Brian2 and release the build slot."""
    import brian2 as b2

    from . import device as dev

    if not session.standalone:
        return
    shutil.rmtree(session.directory / session.results_rel, ignore_errors=True)
    b2.device.reinit()
    b2.device.activate()
    b2.set_device("runtime")
    b2.prefs.codegen.cpp.extra_compile_args_gcc = session.default_flags
    dev.release_lock(session.build_lock)
    session.build_lock = None
    if session.slot is not None:
        session.slot.release()


def protocol_inputs(cfg: FearsimConfig) -> ProtocolInputs:
    """Lay out the protocol and compute the stimulus, occupancy and manipulation courses."""
    import brian2 as b2

    b2.defaultclock.dt = cfg.simulation.dt_ms * b2.ms
    schedule = build_schedule(cfg.protocol)
    channels = occupancy_channels(cfg.network.populations)
    slow_dt_h = cfg.plasticity.consolidation_dt_min / 60.0
    occ_fast, occ_slow = nmda_occupancy(cfg, channels, schedule, slow_dt_h)
    regions = list(dict.fromkeys(p.region for p in cfg.network.populations.values()))
    return ProtocolInputs(
        schedule=schedule, channels=channels, slow_dt_h=slow_dt_h,
        occ_fast=occ_fast, occ_slow=occ_slow,
        opto=manipulations.opto_current(cfg, schedule),
        infusion=manipulations.infusion_levels(cfg, schedule, regions, slow_dt_h),
        shock=shock_trace(schedule, cfg.plasticity.shock_tau_min, cfg.plasticity.shock_per_us))


def run_protocol(cfg: FearsimConfig, c, schedule, session: DeviceSession, say) -> None:
    """The sessions through the spiking network, the intervals through the slow one.

    Runtime devices simulate here; C++ standalone only records the runs.
    """
    import brian2 as b2

    fast = b2.Network(*c.fast_objects, name="sessions")
    slow = b2.Network(*c.slow_objects, name="intervals")
    sessions = cfg.protocol.sessions
    slow_runs = schedule.slow_runs_h()
    if slow_runs[0] > 0:
        slow.run(slow_runs[0] * 3600 * b2.second)
    for k, s in enumerate(sessions):
        if not session.standalone:
            say(f"session {k + 1}/{len(sessions)}: {s.phase} in context {s.context} "
                f"({s.n_trials} trials)")
        fast.run(schedule.session_duration_s[k] * b2.second)
        # the slow clock covers the session's real duration and what follows
        slow.run(slow_runs[k + 1] * 3600 * b2.second)


def run_on_device(session: DeviceSession, c, cfg: FearsimConfig, say, t0: float,
                  t_runs: float) -> dict:
    """Timings of the protocol; C++ standalone compiles and runs the binary here."""
    if not session.standalone:
        return {"setup_s": t_runs - t0, "simulate_s": time.perf_counter() - t_runs}
    timings = {"setup_s": time.perf_counter() - t0}
    timings.update(build_binary(session, say))
    timings["simulate_s"] = run_binary(session, c, cfg)
    return timings


def build_binary(session: DeviceSession, say) -> dict:
    """Generate the code and compile it (make finds nothing to do for a cached build)."""
    import brian2 as b2

    from . import device as dev

    directory = session.directory
    before = dev.binary_mtime(directory)
    t1 = time.perf_counter()
    b2.device.build(directory=str(directory), compile=True, run=False, with_output=False)
    timings = {"build_s": time.perf_counter() - t1,
               "compiled": dev.binary_mtime(directory) != before}
    if session.slot is not None:
        if timings["compiled"]:
            session.slot.log_build(timings["build_s"])
        session.slot.mark_compiled()
        dev.release_lock(session.build_lock)
        session.build_lock = None
    say(("compiled" if timings["compiled"] else "reused") + f" build in {directory}; "
        "simulating all sessions")
    return timings


def run_binary(session: DeviceSession, c, cfg: FearsimConfig) -> float:
    """Run the compiled protocol with this run's values; returns its wall time."""
    import brian2 as b2

    from . import device as dev

    os.environ[dev.SEED_ENV] = str(cfg.simulation.seed)
    t2 = time.perf_counter()
    b2.device.run(directory=str(session.directory), results_directory=session.results_rel,
                  with_output=False, run_args=c.values.items())
    return time.perf_counter() - t2


def read_raw(c) -> dict:
    """Everything the readout needs from the Brian2 objects, as numpy."""
    import brian2 as b2

    weights = {}
    if c.weight_monitor is not None:
        t_w = np.asarray(c.weight_monitor.t / b2.second)
        rho = np.asarray(c.weight_monitor.rho)
        weights = {name: (t_w, rho[rows]) for name, rows in c.weight_samples.items()}
    return {"spikes": split_spikes(c), "weights": weights, "slow_traces": read_slow_traces(c),
            "final_v": np.asarray(c.neurons.v / b2.mV), "sizes": dict(c.sizes),
            "n_synapses": dict(c.n_synapses)}


def assemble_outcome(cfg: FearsimConfig, inputs: ProtocolInputs, raw: dict, device: str,
                     timings: dict) -> Outcome:
    """The summary Dataset (trials, phases, slow traces, occupancy) and the spikes."""
    schedule, sizes, n_syn = inputs.schedule, raw["sizes"], raw["n_synapses"]
    summary = summarize(cfg, schedule, sizes, raw["spikes"], raw["weights"], inputs.channels)
    summary = summary.merge(slow_dataset(raw["slow_traces"]), combine_attrs="override")
    summary = summary.assign_coords(
        occ_time_h=slow_grid(schedule, inputs.slow_dt_h)[:len(inputs.occ_slow)],
        channel=[f"{r}_{k}" for r, k in inputs.channels])
    summary["occupancy"] = (("occ_time_h", "channel"), inputs.occ_slow,
                            {"long_name": "NMDA-receptor occupancy (block and drugs)"})
    summary["occupancy_trial"] = (("trial", "channel"), inputs.occ_fast)
    summary["n_synapses"] = (("projection",), np.array(list(n_syn.values()), dtype=np.int64))
    summary = summary.assign_coords(projection=list(n_syn))
    return Outcome(summary=summary, spikes=spikes_dataset(raw["spikes"], sizes), device=device,
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
