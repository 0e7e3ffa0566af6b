"""The same network as a plain Brian2 standalone script: the project's overhead.

Built from the plan of model.circuit (the same equations, values, wiring and
TimedArrays as the project's run) with none of the project's machinery: no
config objects at run time, no run_args, no slow network, no readouts or
store, one ``Network.run`` over the spiking time and one SpikeMonitor.
"""

from __future__ import annotations

import resource
import time

import numpy as np

from .runs import rss_mb


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

    from model import circuit, standalone

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
    ns.update(circuit.model_functions())
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
            "rss_self_MB": rss_mb(resource.RUSAGE_SELF),
            "rss_children_MB": rss_mb(resource.RUSAGE_CHILDREN)}


def plain_child(overrides: list[str], directory: str) -> dict:
    spec = plain_spec(overrides)  # config -> arrays, before the script starts
    return plain_run(spec, directory)


