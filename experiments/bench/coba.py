"""The reference network: Brian2's COBA benchmark, run in the same invocation.

Benchmark 1 of Brette et al. (2007) J Comput Neurosci 23:349, the
conductance-based network of Vogels & Abbott (2005) J Neurosci 25:10786 as
the Brian2 team's GPU and GeNN benchmarks write it (Stimberg et al. 2020
Sci Rep 10:410): 4,000 leaky integrate-and-fire neurons (3,200 excitatory,
800 inhibitory), random connectivity p = 0.02 (about 320,000 synapses),
exponential conductances (5 and 10 ms), 5 ms refractoriness, a constant
drive of 20 mV, forward Euler at dt 0.1 ms (the conductance terms make the
equations non-linear: Brian2 has no exact solver for them), 10 s, C++ standalone on one thread with Brian2's
own compiler flags, one SpikeMonitor. Every figure of the benchmark is also
given as a ratio to this run, so that numbers from different machines or
loads can be compared.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

N_EXC, N_INH = 3200, 800
P_CONNECT = 0.02
BIO_S = 10.0
DT_MS = 0.1

EQUATIONS = """
dv/dt = (ge*(E_exc - v) + gi*(E_inh - v) - (v - E_leak) + I_drive)/tau_m : volt (unless refractory)
dge/dt = -ge/tau_exc : 1
dgi/dt = -gi/tau_inh : 1
"""
CONSTANTS_MV_MS = {"tau_m": 20.0, "tau_exc": 5.0, "tau_inh": 10.0, "V_t": -50.0, "V_r": -60.0,
                   "E_leak": -60.0, "E_exc": 0.0, "E_inh": -80.0, "I_drive": 20.0}
W_EXC, W_INH = 0.6, 6.7  # conductance jumps in units of the leak conductance


def run(directory: str, bio_s: float = BIO_S, repeats: int = 3) -> dict:
    """Build once, run the binary ``repeats`` times: build s, simulate s (median), rate."""
    import brian2 as b2
    import numpy as np

    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.defaultclock.dt = DT_MS * b2.ms
    b2.seed(1)
    c = CONSTANTS_MV_MS
    ns = {k: v * (b2.ms if k.startswith("tau") else b2.mV) for k, v in c.items()}
    group = b2.NeuronGroup(N_EXC + N_INH, EQUATIONS, threshold="v > V_t", reset="v = V_r",
                           refractory=5 * b2.ms, method="euler", namespace=ns, name="coba")
    # uniform between reset and threshold, as the benchmark starts
    rng = np.random.default_rng(1)
    group.v = (c["V_r"] + rng.random(N_EXC + N_INH) * (c["V_t"] - c["V_r"])) * b2.mV
    exc = b2.Synapses(group[:N_EXC], group, on_pre=f"ge_post += {W_EXC}", name="coba_exc")
    inh = b2.Synapses(group[N_EXC:], group, on_pre=f"gi_post += {W_INH}", name="coba_inh")
    exc.connect(p=P_CONNECT)
    inh.connect(p=P_CONNECT)
    spikes = b2.SpikeMonitor(group, name="coba_spikes")
    b2.Network(group, exc, inh, spikes).run(bio_s * b2.second, namespace=ns)
    t0 = time.perf_counter()
    b2.device.build(directory=directory, compile=True, run=False, with_output=False)
    build_s = time.perf_counter() - t0
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        b2.device.run(directory=directory, with_output=False)
        runs.append(time.perf_counter() - t0)
    n_spikes = int(spikes.num_spikes)
    n_syn = len(exc) + len(inh)
    simulate_s = float(np.median(runs))
    steps = bio_s / (DT_MS * 1e-3)
    n = N_EXC + N_INH
    b2.device.reinit()
    b2.device.activate()
    return {"build_s": build_s, "simulate_s": simulate_s, "simulate_runs_s": runs,
            "bio_s": bio_s, "n_neurons": n, "n_synapses": n_syn,
            "mean_rate_Hz": n_spikes / n / bio_s,
            "neuron_updates_per_s": n * steps / simulate_s,
            # every spike reaches the neuron's outgoing synapses
            "syn_events_per_s": n_spikes * (n_syn / n) / simulate_s}


def parallel_throughput(directory: str, n_runs: int = 8) -> dict:
    """The built COBA binary ``n_runs`` times, one at a time, two at a time, one again.

    A program that shares nothing between its copies: its throughput ratio
    (the mean span on one process, before and after, / the span on two) is
    what this machine's cores, caches and memory allow two simulations at
    once, the ceiling for the model's two-worker ratio measured beside it.
    """
    spans = {}
    for phase, (key, at_once) in enumerate((("span_1_s", 1), ("span_2_s", 2),
                                            ("span_1_after_s", 1))):
        t0 = time.perf_counter()
        for first in range(0, n_runs, at_once):
            _run_together(Path(directory), [f"results_parallel_{phase}_{k}" for k in
                                            range(first, min(first + at_once, n_runs))])
        spans[key] = time.perf_counter() - t0
    return {"n_runs": n_runs, **spans, "throughput_ratio": bracketed_ratio(
        spans["span_1_s"], spans["span_2_s"], spans["span_1_after_s"])}


def bracketed_ratio(one_before: float, two: float, one_after: float) -> float:
    """Throughput of two processes over one, with the one-process span measured
    before and after the two-process one and averaged: a machine whose speed
    drifts steadily through the three gives the ratio it would without the drift."""
    return (one_before + one_after) / 2.0 / two


def _run_together(directory: Path, results: list[str]) -> None:
    """One copy of the binary per results folder, all at once; wait for all of them
    (stopped if one fails or this process is interrupted); the folders are removed."""
    procs = []
    try:
        for name in results:
            (directory / name).mkdir(exist_ok=True)
            procs.append(subprocess.Popen(
                ["./main", "--results_dir", f"{(directory / name).resolve()}/"], cwd=directory,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        for proc in procs:
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError(f"the COBA binary failed: {err.decode()[-2000:]}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for name in results:
            shutil.rmtree(directory / name, ignore_errors=True)
