"""Run one configuration through the whole protocol and return its data.

Takes a validated :class:`model.config.FearsimConfig`, returns an
:class:`Outcome` (summary Dataset, spikes Dataset, timings) only for a run
that reached the end of its protocol. Knows nothing of files beyond the
Brian2 build directory, which the caller provides (a build cache lives with
the experiments), nothing of Hydra or plots. How C++ standalone compiles and
runs, and what it checks: :mod:`model.standalone`.
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
from . import cs_minus, disinhibition, phenotypes, progress, standalone, teacher
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


@dataclass
class ProtocolInputs:
    """The protocol and every time course the circuit plays back."""

    schedule: object
    timelines: circuit_mod.Timelines
    slow_dt_h: float

    @property
    def channels(self) -> list:
        return self.timelines.channels

    @property
    def occ_fast(self) -> np.ndarray:
        return self.timelines.occ_fast

    @property
    def occ_slow(self) -> np.ndarray:
        return self.timelines.occ_slow


@dataclass
class DeviceSession:
    """The Brian2 device of one run and what must be undone after it."""

    name: str
    standalone: bool
    build: object = None  # the build directory: ``directory`` and ``built(seconds, compiled)``
    results_rel: str = ""
    seed: object = None  # the group holding the run-time seed (standalone)
    stop_on_interrupt: bool = True
    restore: dict = field(default_factory=dict)

    @property
    def directory(self) -> Path:
        return Path(self.build.directory)


def run(cfg: FearsimConfig, progress=None, build=None, timeline=None,
        transfer=None) -> Outcome:
    """Simulate ``cfg`` through its whole protocol, or raise.

    Raises RunawayError if activity runs away or is NaN, SimulationError if
    the simulation did not reach the protocol's end, NonFiniteValue if a
    run-time value is not finite. Ctrl-C (KeyboardInterrupt) and SIGTERM
    (:class:`model.standalone.Terminated`) stop the compiler or binary,
    remove the run's results folder and propagate.

    C++ standalone needs ``build``, a build directory this run uses alone:
    an object with ``directory`` and ``built(seconds, compiled)``, called
    once the binary is up to date (a slot of a build cache), or a path;
    without it, ``simulation.build_dir``.

    ``timeline``: the protocol's time courses, when not the config's own (the
    disinhibition probe sets its occupancy grid this way). ``transfer``: the
    circuit's disinhibition transfer function, needed with
    ``synaptogenesis.burst_from_circuit`` (:func:`measure_disinhibition`).
    """
    cfg = cs_minus.apply(phenotypes.apply(validate(cfg)))
    if cfg.synaptogenesis.burst_from_circuit and transfer is None:
        raise ValueError("synaptogenesis.burst_from_circuit: the run needs the circuit's "
                         "disinhibition transfer function; measure it first with "
                         "model.simulate.measure_disinhibition (experiments.io.build_cache."
                         "run_cached does)")
    # Brian2 names code objects uniquely among live objects: collect the
    # previous run's objects so a repeated run generates identical code
    gc.collect()
    say = progress or (lambda msg: None)
    t0 = time.perf_counter()
    with standalone.sigterm_raises():
        session = open_device(cfg, resolve_device(cfg.simulation.device), build)
        try:
            inputs = protocol_inputs(cfg, timeline, transfer)
            if session.standalone:
                # before the circuit: the binary draws the wiring from this seed
                session.seed = standalone.seed_from_run_args()
            c = circuit_mod.build(cfg, circuit_mod.plan(cfg, inputs.schedule, inputs.timelines),
                                  defer_values=session.standalone)
            if session.standalone:
                c.fast_objects.append(session.seed)
            t_runs = time.perf_counter()
            fast, slow = run_protocol(cfg, c, inputs.schedule, session, say)
            check_protocol_time(inputs.schedule, fast, slow)
            timings = run_on_device(session, c, cfg, say, t0, t_runs)
            raw = read_raw(c)
        finally:
            close_device(session)
    timings["total_s"] = time.perf_counter() - t0
    if not np.all(np.isfinite(raw["final_v"])):
        raise RunawayError("membrane potentials became NaN")
    return assemble_outcome(cfg, inputs, raw, session.name, timings)


def open_device(cfg: FearsimConfig, device: str, build) -> DeviceSession:
    """Select and configure the Brian2 device."""
    import brian2 as b2

    session = DeviceSession(name=device, standalone=device == "cpp_standalone",
                            results_rel=f"results_{os.getpid()}_{uuid.uuid4().hex[:8]}",
                            stop_on_interrupt=b2.prefs.core.stop_on_keyboard_interrupt)
    if session.standalone:
        standalone.check_seed(cfg.simulation.seed)
        session.build = _build_directory(cfg, build)
    # Brian2's default ends the current run on Ctrl-C and lets the protocol
    # carry on: a truncated run that looks finished
    b2.prefs.core.stop_on_keyboard_interrupt = False
    if not session.standalone:
        b2.set_device("runtime")
        b2.prefs.codegen.target = "numpy" if device == "numpy" else "cython"
        b2.seed(cfg.simulation.seed)
        return session
    # the time step before the device: set while C++ standalone is active, a
    # change of the clock (one left by earlier code in this process) is written
    # into main.cpp, which then differs from the next run's and forces a rebuild
    b2.defaultclock.dt = cfg.simulation.dt_ms * b2.ms
    session.restore = standalone.use_device(session.directory, cfg.simulation.threads)
    return session


def _build_directory(cfg: FearsimConfig, build):
    if build is None and cfg.simulation.build_dir:
        build = cfg.simulation.build_dir
    if build is None:
        raise ValueError("C++ standalone needs a build directory: pass build= (a slot of "
                         "experiments.io.build_cache, or call its run_cached) or set "
                         "simulation.build_dir")
    if isinstance(build, (str, Path)):
        return standalone.BuildDirectory(Path(build))
    return build


def close_device(session: DeviceSession) -> None:
    """Remove the run's results folder and reset Brian2."""
    import brian2 as b2

    b2.prefs.core.stop_on_keyboard_interrupt = session.stop_on_interrupt
    if not session.standalone:
        return
    shutil.rmtree(session.directory / session.results_rel, ignore_errors=True)
    standalone.reset_device(session.restore)


def protocol_inputs(cfg: FearsimConfig, timeline=None, transfer=None) -> ProtocolInputs:
    """Lay out the protocol and compute the stimulus, occupancy and manipulation courses.

    ``transfer``: the circuit's disinhibition transfer function, which turns
    the occupancy course into the burst the BDNF chain reads.
    """
    import brian2 as b2

    b2.defaultclock.dt = cfg.simulation.dt_ms * b2.ms
    schedule = build_schedule(cfg.protocol)
    timeline = timeline or circuit_mod.timelines(cfg, schedule)
    if transfer is not None and cfg.synaptogenesis.burst_from_circuit:
        timeline.burst = disinhibition.burst_timeline(transfer, timeline.occ_slow,
                                                      timeline.channels, timeline.regions)
        timeline.transfer = transfer
    return ProtocolInputs(schedule=schedule, timelines=timeline,
                          slow_dt_h=cfg.plasticity.consolidation_dt_min / 60.0)


_TRANSFER_FUNCTIONS: dict = {}


def measure_disinhibition(cfg: FearsimConfig, build_for=None):
    """The circuit's disinhibition transfer function, from a probe run (model/disinhibition.py).

    None unless ``synaptogenesis.burst_from_circuit``. ``build_for``: gives
    the build directory of a config, as a context manager (C++ standalone;
    experiments.io.build_cache.build_target); without it, the probe builds in
    ``simulation.build_dir``/disinhibition_probe. The probe does not depend on
    the run's seed, protocol or drugs, so the runs of one circuit in a process
    share it.
    """
    if not cfg.synaptogenesis.burst_from_circuit:
        return None
    import contextlib
    import dataclasses
    import json

    pcfg = disinhibition.probe_config(cfg)
    key = json.dumps(dataclasses.asdict(pcfg), sort_keys=True, default=str)
    if key not in _TRANSFER_FUNCTIONS:
        if cfg.simulation.build_dir:
            pcfg.simulation.build_dir = str(Path(cfg.simulation.build_dir) / "disinhibition_probe")
        schedule = build_schedule(pcfg.protocol)
        timeline = circuit_mod.timelines(pcfg, schedule)
        timeline.occ_fast = disinhibition.probe_occupancy(timeline.channels)
        with (build_for(pcfg) if build_for else contextlib.nullcontext(None)) as target:
            out = run(pcfg, build=target, timeline=timeline)
        _TRANSFER_FUNCTIONS[key] = disinhibition.fit_transfer(
            pcfg.network.populations, timeline.regions, out.summary.rate_cs.values, out.sizes)
    return _TRANSFER_FUNCTIONS[key]


def run_protocol(cfg: FearsimConfig, c, schedule, session: DeviceSession, say):
    """The sessions through the spiking network, the intervals through the slow one.

    Runtime devices simulate here; C++ standalone only records the runs.
    Returns the (spiking, slow) networks.
    """
    import brian2 as b2

    if c.initial_objects:
        # one step on its own clock: each drawn synapse takes its projection's values
        b2.Network(*c.initial_objects, name="initial_values").run(c.initial_clock.dt)
    fast = b2.Network(*c.fast_objects, name="sessions")
    slow = b2.Network(*c.slow_objects, name="intervals")
    sessions = cfg.protocol.sessions
    slow_runs = schedule.slow_runs_h()
    if not session.standalone:  # standalone: the binary's markers (see run_binary)
        tracker = progress.SessionProgress(progress.sessions_of(cfg), say)
        tracker.start(f"on the {session.name} device")
    if slow_runs[0] > 0:
        slow.run(slow_runs[0] * 3600 * b2.second)
    for k in range(len(sessions)):
        fast.run(schedule.session_duration_s[k] * b2.second)
        if session.standalone:  # the binary prints a line when it gets here
            b2.device.insert_code("main", progress.session_marker_code(k))
        else:
            tracker.session_done(k)
        # the slow clock covers the session's real duration and what follows
        slow.run(slow_runs[k + 1] * 3600 * b2.second)
    return fast, slow


def check_protocol_time(schedule, fast, slow) -> None:
    """The networks' time must be the schedule's: spiking sessions and the whole protocol clock.

    Runtime devices: the time simulated; C++ standalone: the time recorded,
    which the binary must then reach (:func:`model.standalone.run_project`).
    """
    for net, planned_s in ((fast, schedule.fast_duration_s),
                           (slow, schedule.slow_duration_h * 3600.0)):
        reached = float(net.t_)
        if abs(reached - planned_s) > 1e-9 * max(1.0, planned_s):
            raise standalone.SimulationError(
                f"the protocol stopped early: network {net.name} reached {reached:.6g} s "
                f"of {planned_s:.6g} s")


def run_on_device(session: DeviceSession, c, cfg: FearsimConfig, say, t0: float,
                  t_runs: float) -> dict:
    """Timings of the protocol; C++ standalone compiles and runs the binary here."""
    if not session.standalone:
        return {"setup_s": t_runs - t0, "simulate_s": time.perf_counter() - t_runs}
    timings = {"setup_s": time.perf_counter() - t0}
    values = c.values.as_run_args()
    values[session.seed.seed_value] = cfg.simulation.seed
    # refused here, before compiling, if any value is not finite
    args = standalone.run_arg_strings(values, session.directory)
    timings.update(build_binary(session, say))
    timings["simulate_s"] = run_binary(session, cfg, args, say)
    return timings


def build_binary(session: DeviceSession, say) -> dict:
    """Generate the code and compile it (make finds nothing to do for a cached build)."""
    import brian2 as b2

    directory = session.directory
    before = standalone.binary_mtime(directory)
    # a cache slot says whether it holds a compiled build, and where the cache is
    if before < 0 or not getattr(session.build, "compiled", True):
        say(progress.compile_notice(directory, getattr(session.build, "cache_root", None)))
    t1 = time.perf_counter()
    b2.device.build(directory=str(directory), compile=False, run=False, with_output=False)
    standalone.check_static_arrays(directory)
    standalone.compile_project(directory)
    timings = {"build_s": time.perf_counter() - t1,
               "compiled": standalone.binary_mtime(directory) != before}
    session.build.built(timings["build_s"], timings["compiled"])
    say(("compiled" if timings["compiled"] else "reused") + f" build in {directory}")
    return timings


def run_binary(session: DeviceSession, cfg: FearsimConfig, args: list[str], say) -> float:
    """Run the compiled protocol with this run's values; returns its wall time."""
    t2 = time.perf_counter()
    stdout = session.directory / session.results_rel / "stdout.txt"
    with progress.SessionProgress(progress.sessions_of(cfg), say).follow(stdout):
        standalone.run_project(session.directory, session.results_rel, args)
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
            "teacher": teacher.read_monitor(c),
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
    summary["occupancy_trial"] = (("trial", "channel"), inputs.occ_fast[schedule.cs_plus])
    summary = summary.assign(teacher.summary_variables(raw["teacher"], schedule))
    summary = summary.assign(disinhibition.summary_variables(inputs.timelines.transfer,
                                                             inputs.timelines.burst))
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
            "spike_time": ("spike", t_all[order].astype(np.float64), {"units": "s"}),
            "spike_count": ("neuron", counts,
                            {"long_name": "spikes per neuron; spike_time is ordered by neuron"}),
            "neuron_population": ("neuron", pop_of.astype(np.int16)),
            "population_offset": ("population", offsets[:-1].astype(np.int32)),
        },
        coords={"population": names},
    )
