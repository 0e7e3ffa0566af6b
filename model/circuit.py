"""The prefrontal-amygdala circuit: populations, inputs and projections.

The only module that knows the wiring; it reads it from the config
(``network.populations``, ``network.inputs``, ``network.projections``).

Layout, chosen for build and run speed (C++ standalone compiles one set of
files per Brian2 object; 45 projection objects took 5 minutes to compile):

* one ``NeuronGroup`` holds every population, in config order, each neuron
  carrying its population's parameters; populations are contiguous ranges;
* one ``NeuronGroup`` holds every input (CS, US, context A / B);
* four ``Synapses`` objects: input->neuron static, input->neuron plastic,
  neuron->neuron excitatory, neuron->neuron inhibitory. Every projection of
  the config is a block of synapses inside one of them.

Connectivity is drawn in numpy from ``network.wiring_seed`` with a fixed
in-degree per projection: k = round(p x N_pre at scale 1), capped at the
scaled N_pre, so a neuron's input statistics do not change with
``network.scale`` and a tiny test network behaves like the full one. Drawing
it here, not in the binary, makes the wiring identical on every device and
fixes the number of synapses before the build, so ``run_args`` can replace
any per-synapse array without recompiling.

Inputs (MODEL.md section 2): CS (tone, thalamic), US (shock) and context A / B
(ventral hippocampus) fire as Poisson processes at rates that follow the
protocol TimedArray ``stim``. Input neurons carry a presynaptic resource
(Tsodyks & Markram 1997 depression, ``depression_U`` > 0): for the CS this is
the NMDA-independent short-term habituation of the tone pathway within a
session; it recovers in the intervals.

Objects of the spiking sessions go in ``fast_objects``; the coarse-clock
runners that act during intervals go in ``slow_objects``. A Brian2 object
runs in one network only, but a CodeRunner needs only its group's arrays, so
the slow network updates variables of groups that live in the fast one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import neurons, plasticity, synaptogenesis
from .protocol import STIM_CHANNELS, STIM_DT_S, Schedule, occupancy_channels


def scaled(n: int, scale: float) -> int:
    return max(1, int(round(n * scale)))


def in_degree(p: float, n_pre_full: int, n_pre: int) -> int:
    return int(min(n_pre, max(1, round(p * n_pre_full))))


INPUT_EQS = """
rate = base_rate + on_rate*stim(t, stim_channel) : Hz
dx_res/dt = (1 - x_res)/tau_dep : 1
base_rate : Hz (constant)
on_rate : Hz (constant)
dep_U : 1 (constant)
tau_dep : second (constant)
tau_dep_slow : second (constant)
stim_channel : integer (constant)
dt_slow : second (shared, constant)
"""

# which Synapses object a projection belongs to
SYNAPSE_SETS = ("input_static", "input_plastic", "recurrent_exc", "recurrent_inh")


@dataclass
class Wiring:
    """Synapse index arrays and per-synapse values of one Synapses object."""

    i: list = field(default_factory=list)
    j: list = field(default_factory=list)
    values: dict = field(default_factory=dict)  # variable -> list of arrays
    blocks: dict = field(default_factory=dict)  # projection -> (start, stop)

    def add(self, name, i, j, **values):
        start = sum(len(a) for a in self.i)
        self.i.append(i)
        self.j.append(j)
        for var, v in values.items():
            self.values.setdefault(var, []).append(np.full(len(i), v, dtype=float))
        self.blocks[name] = (start, start + len(i))

    def arrays(self):
        def cat(parts):
            return np.concatenate(parts) if parts else np.zeros(0)

        return (cat(self.i).astype(np.int32), cat(self.j).astype(np.int32),
                {k: cat(v) for k, v in self.values.items()})


class Values:
    """Run-time values of one run, applied in one of two ways.

    Runtime devices: set on the objects at once. C++ standalone: kept and
    handed to the binary as ``run_args`` (``items()``), so the generated code
    never contains a run-time value and one build serves every run of the
    same structure (Brian2 applies command-line values over the script's).
    """

    def __init__(self, defer: bool):
        self.defer = defer
        self._items = []

    def set(self, obj, var: str, value) -> None:
        if self.defer:
            self._items.append((obj, var, value))
        else:
            setattr(obj, var, value)

    def set_timed_array(self, ta, values) -> None:
        if self.defer:
            self._items.append((ta, None, values))

    def items(self) -> dict:
        out = {}
        for obj, var, value in self._items:
            out[obj if var is None else getattr(obj, var)] = value
        return out


@dataclass
class Circuit:
    values: Values = None
    neurons: object = None
    inputs: object = None
    synapses: dict = field(default_factory=dict)  # synapse set -> Synapses
    wiring: dict = field(default_factory=dict)  # synapse set -> Wiring
    projection_set: dict = field(default_factory=dict)  # projection -> synapse set
    pop_slices: dict = field(default_factory=dict)  # population -> slice
    input_slices: dict = field(default_factory=dict)
    spike_monitor: object = None
    weight_monitor: object = None
    candidates: object = None
    candidate_blocks: dict = field(default_factory=dict)  # pathway -> (start, stop)
    candidate_post_region: object = None  # region index of each candidate's target
    spine_monitor: object = None
    chain_monitor: object = None
    chain_rows: dict = field(default_factory=dict)  # region -> monitored neuron
    regions: list = field(default_factory=list)
    weight_samples: dict = field(default_factory=dict)  # pathway -> rows of the monitor
    timed_arrays: dict = field(default_factory=dict)
    fast_objects: list = field(default_factory=list)
    slow_objects: list = field(default_factory=list)
    channels: list = field(default_factory=list)
    sizes: dict = field(default_factory=dict)
    n_synapses: dict = field(default_factory=dict)


def layout(named_sizes: dict) -> dict:
    out, start = {}, 0
    for name, n in named_sizes.items():
        out[name] = slice(start, start + n)
        start += n
    return out


def draw_wiring(cfg, sizes: dict, pop_slices: dict, input_slices: dict) -> dict:
    """Fixed in-degree connectivity of every projection, grouped by synapse set."""
    net = cfg.network
    rng = np.random.default_rng(net.wiring_seed)
    sets = {name: Wiring() for name in SYNAPSE_SETS}
    for name, prj in net.projections.items():
        from_input = prj.pre in net.inputs
        pre_sl = input_slices[prj.pre] if from_input else pop_slices[prj.pre]
        post_sl = pop_slices[prj.post]
        n_pre = pre_sl.stop - pre_sl.start
        n_post = post_sl.stop - post_sl.start
        n_pre_full = net.inputs[prj.pre].n if from_input else net.populations[prj.pre].n
        k = in_degree(prj.p, n_pre_full, n_pre)
        pre_idx = np.concatenate([rng.choice(n_pre, size=k, replace=False)
                                  for _ in range(n_post)]) + pre_sl.start
        post_idx = np.repeat(np.arange(n_post), k) + post_sl.start
        if prj.receptor == "inh":
            key, values = "recurrent_inh", {"w_gaba": prj.w_gaba_nS * 1e-9}
        else:
            key = ("input_plastic" if prj.plastic else "input_static") if from_input \
                else "recurrent_exc"
            values = {"w_ampa": prj.w_ampa_nS * 1e-9, "w_nmda": prj.w_nmda_nS * 1e-9}
            if prj.plastic:
                values.update(w_min_frac=prj.w_min_frac, rho=prj.rho_init,
                              rho_stable=prj.rho_init)
        if prj.plastic and not from_input:
            raise ValueError(f"network.projections.{name}: plastic projections must start "
                             "at an input (CS, US, ctx_A, ctx_B)")
        sets[key].add(name, pre_idx, post_idx, **values)
    return sets


def build(cfg, schedule: Schedule, occ_fast: np.ndarray, occ_slow: np.ndarray,
          opto_fast: np.ndarray, manip_slow: np.ndarray, shock: np.ndarray,
          defer_values: bool = False) -> Circuit:
    """Create every Brian2 object of one run; nothing is run here.

    With ``defer_values`` (C++ standalone), run-time values are collected in
    ``circuit.values`` instead of being set (see :class:`Values`).
    """
    import brian2 as b2

    net = cfg.network
    c = Circuit(channels=occupancy_channels(net.populations))
    c.regions = list(dict.fromkeys(p.region for p in net.populations.values()))
    c.values = val = Values(defer_values)
    pop_sizes = {name: scaled(p.n, net.scale) for name, p in net.populations.items()}
    # inputs are not scaled: they are cheap, and a tiny network must get the
    # same number of input synapses per neuron as the full one
    in_sizes = {name: p.n for name, p in net.inputs.items()}
    c.sizes = {**pop_sizes, **in_sizes}
    c.pop_slices = layout(pop_sizes)
    c.input_slices = layout(in_sizes)
    slow_dt = cfg.plasticity.consolidation_dt_min * 60 * b2.second
    c.timed_arrays = {
        "stim": b2.TimedArray(schedule.stim, dt=STIM_DT_S * b2.second, name="stim"),
        "occ_fast": b2.TimedArray(occ_fast, dt=cfg.protocol.trial_s * b2.second,
                                  name="occ_fast"),
        "occ_slow": b2.TimedArray(occ_slow, dt=slow_dt, name="occ_slow"),
        "opto": b2.TimedArray(opto_fast * b2.pA, dt=STIM_DT_S * b2.second, name="opto"),
        "manip_slow": b2.TimedArray(manip_slow, dt=slow_dt, name="manip_slow"),
        "shock": b2.TimedArray(shock, dt=STIM_DT_S * b2.second, name="shock"),
    }
    ns = dict(c.timed_arrays)
    val.set_timed_array(c.timed_arrays["stim"], schedule.stim)
    val.set_timed_array(c.timed_arrays["occ_fast"], occ_fast)
    val.set_timed_array(c.timed_arrays["occ_slow"], occ_slow)
    val.set_timed_array(c.timed_arrays["opto"], opto_fast * b2.pA)
    val.set_timed_array(c.timed_arrays["manip_slow"], manip_slow)
    val.set_timed_array(c.timed_arrays["shock"], shock)
    rng = np.random.default_rng(cfg.simulation.seed)

    # ---- inputs
    n_in = max(1, sum(in_sizes.values()))
    inp = b2.NeuronGroup(n_in, INPUT_EQS, threshold="rand() < rate*dt",
                         reset="x_res -= dep_U*x_res", method="exact", namespace=ns,
                         name="inputs")
    for var, field_name, unit in (("base_rate", "base_rate_Hz", b2.Hz),
                                  ("on_rate", "on_rate_Hz", b2.Hz),
                                  ("dep_U", "depression_U", 1),
                                  ("tau_dep", "depression_tau_s", b2.second),
                                  ("tau_dep_slow", "depression_recovery_tau_h", 3600 * b2.second)):
        values = np.zeros(n_in)
        for name, sl in c.input_slices.items():
            values[sl] = getattr(net.inputs[name], field_name)
        val.set(inp, var, values * unit)
    channel = np.zeros(n_in, dtype=np.int32)
    for name, sl in c.input_slices.items():
        channel[sl] = STIM_CHANNELS.index(name)
    inp.stim_channel = channel  # structural: which input is which
    inp.x_res = 1.0
    val.set(inp, "dt_slow", slow_dt)
    c.inputs = inp
    c.fast_objects.append(inp)
    c.slow_objects.append(_slow_runner(
        inp, "x_res = 1 - (1 - x_res)*exp(-dt_slow/tau_dep_slow)", slow_dt, "recover_inputs",
        order=0))

    # ---- populations
    n_neu = sum(pop_sizes.values())
    g = neurons.neuron_group(n_neu, synaptogenesis.NEURON_CHAIN_VARS, ns, name="neurons")
    units = neurons.population_units()
    params = neurons.population_arrays(net.populations, pop_sizes)
    for var, values in params.items():
        val.set(g, var, values * units[var])
    for var, value in neurons.synaptic_constants(cfg.synapses).items():
        val.set(g, var, value)
    chan = np.zeros(n_neu, dtype=np.int32)
    popidx = np.zeros(n_neu, dtype=np.int32)
    chan_e = np.zeros(n_neu, dtype=np.int32)
    chan_i = np.zeros(n_neu, dtype=np.int32)
    region_idx = np.zeros(n_neu, dtype=np.int32)
    for k, (name, pop) in enumerate(net.populations.items()):
        sl = c.pop_slices[name]
        chan[sl] = c.channels.index((pop.region, pop.kind))
        popidx[sl] = k
        region_idx[sl] = c.regions.index(pop.region)
        # the region's principal and interneuron NMDARs drive its BDNF chain
        same = [(r, kd) for r, kd in c.channels if r == pop.region]
        chan_e[sl] = c.channels.index((pop.region, "E")) if (pop.region, "E") in same \
            else chan[sl][0]
        chan_i[sl] = c.channels.index((pop.region, "I")) if (pop.region, "I") in same \
            else chan[sl][0]
    g.nmda_channel = chan
    g.population = popidx
    g.nmda_channel_E = chan_e
    g.nmda_channel_I = chan_i
    g.region_index = region_idx
    g.pool = 1.0
    g.protein = 1.0
    sg = cfg.synaptogenesis
    g.activity = sg.activity_ref
    for var, value in synaptogenesis.chain_values(sg).items():
        val.set(g, var, value)
    val.set(g, "dt_chain", slow_dt)
    g.nmda_avail = 1.0
    g.cons_drive = 1.0
    # initial voltages drawn here from the run seed: identical on every device
    v0 = params["EL"] + (params["Vt"] - params["EL"]) * rng.random(n_neu)
    val.set(g, "v", v0 * b2.volt)
    # background: per-neuron Poisson processes started at stationarity
    bg_isi = neurons.background_isi_s(net.background_rate_Hz)
    val.set(g, "bg_isi", bg_isi * b2.second)
    val.set(g, "bg_next", rng.exponential(bg_isi, n_neu) * b2.second)
    # NMDA availability follows the occupancy schedule; 1 ms is far finer
    # than any drug or session time scale
    g.run_regularly("nmda_avail = 1 - occ_fast(t, nmda_channel)", dt=1 * b2.ms, when="start",
                    name="occupancy_update")
    c.neurons = g
    c.fast_objects.append(g)
    # order: the chain and the consolidation drive of a step are computed
    # before consolidation and spine turnover use them. Capture of early
    # changes needs free NMDARs (Burgos-Robles et al. 2007) and synaptic
    # proteins (protein-synthesis-dependent consolidation, Santini et al.
    # 2004); the protein pool is 1 at baseline.
    c.slow_objects.append(_slow_runner(g, synaptogenesis.CHAIN_UPDATE, slow_dt, "bdnf_chain",
                                       order=0))
    c.slow_objects.append(_slow_runner(
        g, "cons_drive = (1 - cons_nmda*occ_slow(t_protocol, nmda_channel))*protein", slow_dt,
        "consolidation_drive", order=1))
    # advance the protocol clock after every other slow update of the step
    c.slow_objects.append(_slow_runner(g, "t_protocol += dt_chain", slow_dt, "protocol_clock",
                                       order=100))

    # ---- projections
    c.wiring = draw_wiring(cfg, c.sizes, c.pop_slices, c.input_slices)
    for key, w in c.wiring.items():
        for name in w.blocks:
            c.projection_set[name] = key
            a, b = w.blocks[name]
            c.n_synapses[name] = b - a
        if not w.blocks:
            continue
        c.synapses[key] = _make_synapses(key, w, inp, g, cfg, ns, slow_dt, c, val)

    if sg.enabled and sg.pathways:
        _build_candidates(c, cfg, g, ns, slow_dt, val, rng)
    # one principal neuron per region stands for the region's chain (all of
    # them share the same drives)
    rows = {}
    for name, pop in net.populations.items():
        if pop.kind == "E" and pop.region not in rows:
            rows[pop.region] = c.pop_slices[name].start
    c.chain_rows = rows
    c.chain_monitor = b2.StateMonitor(g, ["pool", "bdnf", "mtor", "protein", "cons_drive"],
                                      record=np.array(list(rows.values())),
                                      dt=sg.spine_dt_h * 3600 * b2.second, when="end",
                                      name="chain")
    _detach(c.chain_monitor)
    c.slow_objects.append(c.chain_monitor)

    # ---- monitors
    if cfg.readout.record_spikes:
        c.spike_monitor = b2.SpikeMonitor(g, name="spikes")
        c.fast_objects.append(c.spike_monitor)
    if "input_plastic" in c.synapses:
        w = c.wiring["input_plastic"]
        rows, record = {}, []
        for name, (a, b) in w.blocks.items():
            n_rec = min(cfg.readout.weight_samples, b - a)
            idx = np.unique(np.linspace(a, b - 1, n_rec).astype(int))
            rows[name] = np.arange(len(record), len(record) + len(idx))
            record.extend(idx.tolist())
        c.weight_samples = rows
        c.weight_monitor = b2.StateMonitor(c.synapses["input_plastic"], "rho",
                                           record=np.array(record),
                                           dt=cfg.readout.weight_dt_s * b2.second, when="end",
                                           name="weights")
        c.fast_objects.append(c.weight_monitor)
    return c


def _build_candidates(c, cfg, g, ns, slow_dt, val, rng):
    """The pre-allocated pool of candidate synapses (model/synaptogenesis.py)."""
    import brian2 as b2

    sg, pl, net = cfg.synaptogenesis, cfg.plasticity, cfg.network
    wiring = Wiring()
    f0 = synaptogenesis.baseline_fraction(sg)
    draw = np.random.default_rng(net.wiring_seed + 7919)
    for name, cp in sg.pathways.items():
        pre_sl, post_sl = c.pop_slices[cp.pre], c.pop_slices[cp.post]
        n_pre, n_post = pre_sl.stop - pre_sl.start, post_sl.stop - post_sl.start
        k = in_degree(cp.p, net.populations[cp.pre].n, n_pre)
        pre_idx = np.concatenate([draw.choice(n_pre, size=k, replace=False)
                                  for _ in range(n_post)]) + pre_sl.start
        post_idx = np.repeat(np.arange(n_post), k) + post_sl.start
        wiring.add(name, pre_idx, post_idx, w_ampa=cp.w_ampa_nS * 1e-9,
                   w_nmda=cp.w_nmda_nS * 1e-9, w_min_frac=0.0)
    i, j, values = wiring.arrays()
    model = plasticity.PLASTIC_MODEL + synaptogenesis.CANDIDATE_VARS
    s = b2.Synapses(g, g, model=model,
                    on_pre=plasticity.exc_on_pre("exists", plastic=True, gate="exists"),
                    on_post=plasticity.plastic_on_post(gate="exists"),
                    delay=cfg.synapses.delay_ms * b2.ms, method="exact", namespace=ns,
                    name="syn_candidates")
    s.connect(i=i, j=j)
    units = {"w_ampa": b2.siemens, "w_nmda": b2.siemens}
    for var, arr in values.items():
        val.set(s, var, arr * units.get(var, 1))
    n = len(i)
    exists = (rng.random(n) < f0).astype(float)  # baseline density, drawn per run seed
    val.set(s, "exists", exists)
    # baseline synapses are at their turnover steady state: weak, not yet stable
    val.set(s, "rho", np.full(n, sg.rho_new))
    val.set(s, "rho_stable", np.full(n, sg.rho_new))
    for var, value in plasticity.plastic_values(pl).items():
        val.set(s, var, value)
    for var, value in synaptogenesis.candidate_values(sg).items():
        val.set(s, var, value)
    val.set(s, "k_capture", pl.capture_rate_per_h / (3600 * b2.second))
    val.set(s, "tau_early", pl.tau_early_h * 3600 * b2.second)
    val.set(s, "dt_cons", slow_dt)
    c.candidates = s
    c.candidate_blocks = dict(wiring.blocks)
    region_of = np.zeros(len(g), dtype=np.int32)
    for name, pop in net.populations.items():
        region_of[c.pop_slices[name]] = c.regions.index(pop.region)
    c.candidate_post_region = region_of[j]
    c.n_synapses.update({f"candidates:{k}": b - a for k, (a, b) in wiring.blocks.items()})
    c.fast_objects.append(s)
    c.slow_objects.append(_slow_runner(s, plasticity.CONSOLIDATION_CODE, slow_dt,
                                       "consolidate_candidates", order=2))
    c.slow_objects.append(_slow_runner(s, synaptogenesis.SPINE_UPDATE, slow_dt,
                                       "spine_turnover", order=3))
    c.spine_monitor = b2.StateMonitor(s, ["exists", "n_formed"], record=True,
                                      dt=sg.spine_dt_h * 3600 * b2.second, when="end",
                                      name="spines")
    _detach(c.spine_monitor)
    c.slow_objects.append(c.spine_monitor)


def _make_synapses(key, w, inp, g, cfg, ns, slow_dt, c, val):
    import brian2 as b2

    pl = cfg.plasticity
    from_input = key.startswith("input")
    model, on_pre, on_post = plasticity.synapse_code(key)
    delay = cfg.synapses.delay_ms * b2.ms
    s = b2.Synapses(inp if from_input else g, g, model=model, on_pre=on_pre, on_post=on_post,
                    delay=delay, method="exact", namespace=ns, name=f"syn_{key}")
    i, j, values = w.arrays()
    s.connect(i=i, j=j)
    units = {"w_ampa": b2.siemens, "w_nmda": b2.siemens, "w_gaba": b2.siemens}
    for var, arr in values.items():
        val.set(s, var, arr * units.get(var, 1))
    c.fast_objects.append(s)
    if key == "input_plastic":
        for var, value in plasticity.plastic_values(pl).items():
            val.set(s, var, value)
        val.set(s, "k_capture", pl.capture_rate_per_h / (3600 * b2.second))
        val.set(s, "tau_early", pl.tau_early_h * 3600 * b2.second)
        val.set(s, "dt_cons", slow_dt)
        c.slow_objects.append(_slow_runner(s, plasticity.CONSOLIDATION_CODE, slow_dt,
                                           "consolidate", order=2))
    return s


def _detach(monitor) -> None:
    """Let a slow-network monitor record a group that runs in the fast network.

    Brian2 refuses a monitor whose source is not in the same network; the
    monitor only reads the group's arrays, which exist in both.
    """
    monitor._dependencies = set()


def _slow_runner(group, code, dt, name, order=0):
    """A coarse-clock CodeRunner on ``group`` for the interval network.

    It is deliberately not put in ``group.contained_objects``: the group runs
    in the spiking network and the runner in the slow one. In its code ``t``
    is the *group's* (spiking) clock: use ``t_protocol`` for protocol time.
    """
    from brian2.groups.group import CodeRunner

    return CodeRunner(group, "stateupdate", code=code, dt=dt, when="start", order=order,
                      name=name)
