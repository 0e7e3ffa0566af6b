"""The neuron update and background alone, in variants side by side (``neurons`` section).

3,500 neurons of one kind (an excitatory principal cell of
configs/network/fear_circuit.yaml), no synapses, background at 1,600 Hz, C++
standalone, Brian2's profiling. Variants:

brian2_usual        the way Brian2 models are usually written: ``(unless refractory)``,
                    optogenetic and shock currents read from TimedArrays every step,
                    division by C and tau_ad, a binomial background count per neuron per
                    step from Brian2's ``rand()``, Brian2's compiler flags;
model_brian2_flags  the model's equations (model/neurons.py) with Brian2's flags;
model_float32       the model as it runs with single-precision state variables and
                    parameters (times kept in double);
model_brian2_threshold  the model as it runs but with Brian2's threshold template;
model               the model as it runs (model.standalone.CPP_FLAGS, the block
                    threshold of model/templates/threshold.cpp).
"""

from __future__ import annotations

import os
import time

import numpy as np

VARIANTS = ("brian2_usual", "model_brian2_flags", "model_float32", "model_brian2_threshold",
            "model")

BRIAN2_USUAL_EQS = """
dv/dt = (gL*(EL - v) + I_syn + I_opto - I_shock - w_ad) / C : volt (unless refractory)
I_opto = opto(t, population) : amp
I_shock = shock_current*shock(t) : amp
I_syn = g_ampa*(E_ampa - v) + g_gaba*(E_gaba - v) + I_nmda : amp
I_nmda = nmda_scale*nmda_avail*g_nmda*B*(E_nmda - v) : amp
B = 1/(1 + Mg/(3.57*mM)*exp(-0.062*v/mV)) : 1
dg_ampa/dt = -g_ampa/tau_ampa : siemens
dg_gaba/dt = -g_gaba/tau_gaba : siemens
dg_nmda/dt = -g_nmda/tau_nmda : siemens
dw_ad/dt = (a_ad*(v - EL) - w_ad)/tau_ad : amp
nmda_avail : 1
C : farad (constant)
gL : siemens (constant)
EL : volt (constant)
Vt : volt (constant)
Vr : volt (constant)
tref : second (constant)
a_ad : siemens (constant)
b_ad : amp (constant)
tau_ad : second (constant)
nmda_scale : 1 (constant)
bg_w : siemens (constant)
population : integer (constant)
shock_current : amp (constant)
E_ampa : volt (shared, constant)
E_nmda : volt (shared, constant)
E_gaba : volt (shared, constant)
tau_ampa : second (shared, constant)
tau_gaba : second (shared, constant)
tau_nmda : second (shared, constant)
Mg : mol/meter**3 (shared, constant)
"""

# an excitatory principal cell (SI)
CELL = {"gL": 10e-9, "EL": -70e-3, "Vt": -50e-3, "Vr": -60e-3, "tref": 2e-3, "b_ad": 20e-12,
        "bg_w": 1.3e-9, "nmda_scale": 1.0, "E_ampa": 0.0, "E_nmda": 0.0, "E_gaba": -80e-3,
        "tau_ampa": 2e-3, "tau_gaba": 8e-3, "tau_nmda": 0.1, "Mg": 1.0}
C_F, TAU_AD_S, RATE_HZ = 200e-12, 0.2, 1600.0
# times stay in double in the float32 variant: t_free is compared with t
DOUBLE_VARIABLES = ("t_free", "t_protocol")


def _usual_group(b2, n, ns):
    from brian2.input.binomial import BinomialFunction

    ns["background_binomial"] = BinomialFunction(100, RATE_HZ / 100 * 1e-4)
    g = b2.NeuronGroup(n, BRIAN2_USUAL_EQS, threshold="v > Vt",
                       reset="v = Vr; w_ad += b_ad", refractory="tref", method="euler",
                       namespace=ns, name="neurons")
    g.run_regularly("g_ampa += background_binomial()*bg_w", when="synapses",
                    name="neurons_background")
    g.C_, g.tau_ad_ = C_F, TAU_AD_S
    return g


def _model_group(b2, n, ns, float32: bool, block_threshold: bool):
    from model import neurons, poisson, standalone, synaptogenesis
    from model.protocol import STIM_DT_S

    eqs = neurons.NEURON_EQS + synaptogenesis.NEURON_CHAIN_VARS
    dtype = None
    if float32:
        probe = b2.Equations(eqs)
        dtype = {name: (np.float64 if name in DOUBLE_VARIABLES else np.float32)
                 for name in probe.names if probe[name].var_type == "float"
                 and probe[name].type != "subexpression"}
    g = b2.NeuronGroup(n, eqs, threshold=neurons.THRESHOLD, reset=neurons.RESET,
                       method="euler", namespace={**ns, **poisson.functions()},
                       name="neurons", dtype=dtype,
                       codeobj_class=standalone.block_threshold_code_object()
                       if block_threshold else None)
    for op_name, code, dt_s, when in neurons.regular_updates("neurons", STIM_DT_S):
        g.run_regularly(code, dt=None if dt_s is None else dt_s * b2.second, when=when,
                        name=op_name)
    g.inv_C_, g.inv_tau_ad_ = 1 / C_F, 1 / TAU_AD_S
    g.bg_rate_, g.noise_seed = RATE_HZ, 1
    g.tau_activity_ = 10.0
    return g


def run(variant: str, directory: str, n: int, bio_s: float) -> dict:
    """Build and run one variant: build s, simulate s, mean rate, CPU s per code object."""
    import brian2 as b2

    from model import standalone
    from model.protocol import STIM_DT_S

    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]
    if variant in ("model", "model_float32", "model_brian2_threshold"):
        b2.prefs.codegen.cpp.extra_compile_args_gcc = list(standalone.CPP_FLAGS)
    b2.defaultclock.dt = 0.1 * b2.ms
    b2.seed(1)
    stim_dt = STIM_DT_S * b2.second
    n_grid = int(round(bio_s / STIM_DT_S)) + 1
    ns = {"opto": b2.TimedArray(np.zeros((n_grid, 1)) * b2.pA, dt=stim_dt),
          "shock": b2.TimedArray(np.zeros(n_grid), dt=stim_dt)}
    g = _usual_group(b2, n, ns) if variant == "brian2_usual" \
        else _model_group(b2, n, ns, float32=variant == "model_float32",
                          block_threshold=variant in ("model", "model_float32"))
    for var, value in CELL.items():
        setattr(g, var + "_", value)
    g.nmda_avail = 1.0
    # some NMDA conductance so the Mg2+ block is computed on realistic values
    g.g_nmda_ = 1e-9
    g.v_ = np.random.default_rng(2).uniform(-70e-3, -50e-3, n)
    mon = b2.SpikeMonitor(g)
    net = b2.Network(g, mon)
    net.run(bio_s * b2.second, profile=True)
    t0 = time.perf_counter()
    b2.device.build(directory=directory, compile=True, run=False, with_output=False)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    b2.device.run(directory=directory, with_output=False)
    simulate_s = time.perf_counter() - t0
    try:
        prof = {str(k): float(v / b2.second) for k, v in net.profiling_info}
    except Exception:  # profiling info is a convenience; timings above are what matter
        prof = {}
    out = {"variant": variant, "build_s": build_s, "simulate_s": simulate_s,
           "rate_Hz": float(mon.num_spikes) / n / bio_s, "profile": prof}
    b2.device.reinit()
    b2.device.activate()
    return out
