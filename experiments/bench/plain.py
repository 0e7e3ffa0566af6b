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
    """The plain Brian2 standalone script of the plan's spiking network, built and run."""
    import brian2 as b2

    plan = spec["plan"]
    t0 = time.perf_counter()
    groups, synapses, mon = plain_network(spec, directory)
    setup_s = time.perf_counter() - t0
    build_s, simulate_s = build_and_run(directory)
    counts = np.bincount(np.asarray(mon.i[:]), minlength=groups["neurons"].N)
    pop_spikes = {p: int(counts[sl].sum()) for p, sl in plan.pop_slices.items()}
    n_synapses = _synapse_counts(plan, synapses)
    b2.device.reinit()
    b2.device.activate()
    return {"setup_s": setup_s, "build_s": build_s, "simulate_s": simulate_s,
            "total_s": time.perf_counter() - t0, "pop_spikes": pop_spikes,
            "n_synapses": n_synapses,
            "rss_self_MB": rss_mb(resource.RUSAGE_SELF),
            "rss_children_MB": rss_mb(resource.RUSAGE_CHILDREN)}


def plain_network(spec: dict, directory: str):
    """The plan's groups, synapses and TimedArrays as plain Brian2 objects on C++
    standalone in ``directory``, every value set straight on them (SI floats), one
    ``Network.run`` over the spiking time, one SpikeMonitor; none of the plan's slow
    runners. Returns (groups, synapses, monitor); nothing is built yet."""
    import brian2 as b2

    from model import circuit, standalone

    plan = spec["plan"]
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
        # the model's threshold template too: the same code, without the machinery
        g = circuit.neuron_group(gp, ns, f"plain_{name}", standalone.block_threshold_code_object())
        for var, value in {**gp.run_time, **gp.fixed}.items():
            setattr(g, var + "_", value)
        groups[name] = g
    objects = list(groups.values())
    synapses, initial = _synapses(b2, plan, groups, ns)
    objects += list(synapses.values())
    mon = b2.SpikeMonitor(groups["neurons"])
    objects.append(mon)
    if initial:
        b2.Network(*initial).run(initial[0].clock.dt)
    b2.Network(*objects).run(spec["duration_s"] * b2.second, namespace=ns)
    return groups, synapses, mon


def _synapses(b2, plan, groups, ns):
    """The plan's synapse sets; drawn sets get their values in a one-step network."""
    from brian2.groups.group import CodeRunner

    from model import circuit

    clock = b2.Clock(dt=b2.defaultclock.dt, name="plain_initial_values")
    synapses, initial = {}, []
    for key, sp in plan.synapses.items():
        namespace = dict(ns)
        if sp.connectivity is not None:
            namespace.update(circuit.connectivity_timed_arrays(sp, circuit.RunTimeValues(False)))
        s = b2.Synapses(groups[sp.source], groups[sp.target], model=sp.model, method="exact",
                        namespace=namespace, **circuit.pathway_arguments(sp))
        if sp.connectivity is None:
            s.connect(i=sp.i, j=sp.j)
        else:
            s.connect(p=circuit.connect_probability(sp))
            initial.append(CodeRunner(s, "stateupdate", code=circuit.initial_code(sp),
                                      clock=clock, when="start"))
        for var, value in {**sp.run_time, **sp.fixed}.items():
            setattr(s, var + "_", value)
        synapses[key] = s
    return synapses, initial


def _synapse_counts(plan, synapses) -> dict:
    out = {}
    for key, sp in plan.synapses.items():
        if sp.connectivity is None:
            out.update({f"candidates:{k}": b - a for k, (a, b) in sp.blocks.items()})
            continue
        names = sp.connectivity.projections
        counts = np.bincount(np.asarray(synapses[key].projection[:]), minlength=len(names))
        out.update({name: int(n) for name, n in zip(names, counts, strict=True)})
    return out


def plain_child(overrides: list[str], directory: str) -> dict:
    spec = plain_spec(overrides)  # config -> arrays, before the script starts
    return plain_run(spec, directory)


