"""The prefrontal-amygdala circuit: populations, inputs and projections.

The only module that knows the wiring; it reads it from the config
(``network.populations``, ``network.inputs``, ``network.projections``,
``synaptogenesis.pathways``).

A circuit is made in two stages, each an ordered pipeline of small named
steps (as NEST's ``EI_clustered_network`` builds its network):

* :func:`plan` turns the config into a :class:`CircuitPlan`: plain data
  (sizes, equations, per-neuron and per-synapse values as SI floats, index
  arrays). Steps: :data:`PLAN_STEPS`. No Brian2 object exists yet, so the
  benchmark's plain Brian2 script (experiments/bench) builds the very same
  network from it.
* :func:`build` turns a plan into named Brian2 objects, the spiking ones in
  ``fast_objects`` and the coarse-clock runners and monitors of the
  intervals in ``slow_objects``. Steps: :data:`BUILD_STEPS`.

Layout, chosen for build and run speed (C++ standalone compiles one set of
files per Brian2 object; 45 projection objects took 5 minutes to compile):

* one ``NeuronGroup`` holds every population, in config order, each neuron
  carrying its population's parameters; populations are contiguous ranges;
* one ``NeuronGroup`` holds every input (CS, US, context A / B:
  model/inputs.py);
* four ``Synapses`` objects: input->neuron static, input->neuron plastic,
  neuron->neuron excitatory, neuron->neuron inhibitory; every projection of
  the config is a block of synapses inside one of them. Candidate synapses
  (model/synaptogenesis.py) are a fifth.

Connectivity is drawn in numpy from ``network.wiring_seed`` with a fixed
in-degree per projection: k = round(p x N_pre at scale 1), capped at the
scaled N_pre, so a neuron's input statistics do not change with
``network.scale`` and a tiny test network behaves like the full one. Drawing
it here, not in the binary, makes the wiring identical on every device and
fixes the number of synapses before the build, so ``run_args`` can replace
any per-synapse array without recompiling.

A Brian2 object runs in one network only, but a CodeRunner needs only its
group's arrays, so the slow network updates variables of groups that live
in the fast one (docs/model.md, section 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import (
    disinhibition,
    inputs,
    manipulations,
    neurons,
    nmda,
    plasticity,
    poisson,
    synaptogenesis,
    teacher,
)
from .protocol import STIM_DT_S, Schedule, real_seconds_per_step, shock_trace, teaching_table


def scaled(n: int, scale: float) -> int:
    return max(1, int(round(n * scale)))


def in_degree(p: float, n_pre_full: int, n_pre: int) -> int:
    return int(min(n_pre, max(1, round(p * n_pre_full))))


def layout(named_sizes: dict) -> dict:
    """Contiguous index ranges, in the order of ``named_sizes``."""
    out, start = {}, 0
    for name, n in named_sizes.items():
        out[name] = slice(start, start + n)
        start += n
    return out


# which Synapses object a projection belongs to
SYNAPSE_SETS = ("input_static", "input_plastic", "recurrent_exc", "recurrent_inh")


# ---------------------------------------------------------------- protocol tables

@dataclass
class Timelines:
    """Everything that changes over the protocol, as arrays on its two axes."""

    stim: np.ndarray  # (steps, stimulus channels) on STIM_DT_S
    occ_fast: np.ndarray  # (trials, NMDA channels)
    occ_slow: np.ndarray  # (slow steps, NMDA channels)
    opto_pA: np.ndarray  # (steps, populations) on STIM_DT_S
    infusion: np.ndarray  # (slow steps, regions x infusion columns)
    shock: np.ndarray  # (steps,) on STIM_DT_S
    channels: list  # NMDA channels: (region, kind)
    regions: list
    slow_dt_s: float
    trial_s: float
    teach: np.ndarray | None = None  # (steps, 3) on STIM_DT_S, with the error signal
    real_per_sim: np.ndarray | None = None  # (trials,) with real-clock input recovery
    burst: np.ndarray | None = None  # (slow steps, regions): the circuit's disinhibition burst
    transfer: object = None  # the transfer function the burst comes from


def timelines(cfg, schedule: Schedule) -> Timelines:
    """The protocol's arrays: stimuli, occupancy, manipulations, shock trace."""
    channel_list = nmda.channels(cfg.network.populations)
    regions = list(dict.fromkeys(p.region for p in cfg.network.populations.values()))
    slow_dt_h = cfg.plasticity.consolidation_dt_min / 60.0
    occ_fast, occ_slow = nmda.occupancy(cfg, channel_list, schedule, slow_dt_h)
    return Timelines(
        stim=schedule.stim, occ_fast=occ_fast, occ_slow=occ_slow,
        opto_pA=manipulations.opto_current(cfg, schedule),
        infusion=manipulations.infusion_levels(cfg, schedule, regions, slow_dt_h),
        shock=shock_trace(schedule, cfg.plasticity.shock_tau_min, cfg.plasticity.shock_per_us),
        channels=channel_list, regions=regions, slow_dt_s=slow_dt_h * 3600.0,
        trial_s=cfg.protocol.trial_s,
        teach=(teaching_table(schedule, cfg.protocol.us_s, cfg.protocol.trial_s)
               if teacher.enabled(cfg) else None),
        real_per_sim=(real_seconds_per_step(schedule)
                      if inputs.real_time_recovery(cfg.network.inputs) else None))


# ---------------------------------------------------------------- the plan

@dataclass
class GroupPlan:
    """One NeuronGroup: equations and values, without Brian2 objects.

    ``run_time`` values (SI floats, per neuron or shared) may differ from run
    to run of one build (C++ standalone hands them over as ``run_args``);
    ``fixed`` values are written into the generated script (indices, initial
    state). ``regular``: run_regularly operations (name, code, dt in s or
    None for every step, when); ``slow``: slow-network runners (name, code,
    order); ``events``: custom events (name, condition, code run on the event).
    """

    name: str
    n: int
    equations: str
    threshold: str
    reset: str
    method: str
    run_time: dict = field(default_factory=dict)
    fixed: dict = field(default_factory=dict)
    regular: list = field(default_factory=list)
    slow: list = field(default_factory=list)
    events: list = field(default_factory=list)


@dataclass
class SynapsePlan:
    """One Synapses object: its projections as blocks of index pairs.

    ``on_pre`` may name several presynaptic pathways (a dict); ``on_event``
    then gives the source event of each (default: spikes); ``delay_s`` is the
    delay of the "pre" pathway, the others act at once.
    """

    name: str
    source: str  # a GroupPlan name
    target: str
    model: str
    on_pre: str | dict
    on_post: str | None
    delay_s: float
    i: np.ndarray
    j: np.ndarray
    run_time: dict = field(default_factory=dict)
    fixed: dict = field(default_factory=dict)
    slow: list = field(default_factory=list)
    blocks: dict = field(default_factory=dict)  # projection -> (start, stop)
    on_event: dict | None = None


@dataclass
class CircuitPlan:
    """Everything the Brian2 objects of one run are made from."""

    timelines: Timelines
    pop_sizes: dict = field(default_factory=dict)
    input_sizes: dict = field(default_factory=dict)
    pop_slices: dict = field(default_factory=dict)
    input_slices: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)  # name -> GroupPlan
    synapses: dict = field(default_factory=dict)  # name -> SynapsePlan
    projection_set: dict = field(default_factory=dict)  # projection -> synapse set
    candidate_blocks: dict = field(default_factory=dict)  # pathway -> (start, stop)
    chain_rows: dict = field(default_factory=dict)  # region -> neuron standing for it

    @property
    def sizes(self) -> dict:
        return {**self.pop_sizes, **self.input_sizes}

    @property
    def n_synapses(self) -> dict:
        out = {name: b - a for s in self.synapses.values() if s.name != "syn_candidates"
               for name, (a, b) in s.blocks.items()}
        out.update({f"candidates:{k}": b - a for k, (a, b) in self.candidate_blocks.items()})
        return out


@dataclass
class Wiring:
    """Synapse index arrays and per-synapse values of one Synapses object."""

    i: list = field(default_factory=list)
    j: list = field(default_factory=list)
    values: dict = field(default_factory=dict)  # variable -> list of arrays
    blocks: dict = field(default_factory=dict)  # projection -> (start, stop)

    def add(self, name, i, j, **values):
        """A projection's synapses as one block, ordered by presynaptic neuron:
        a spike's synapses are then contiguous in memory (the event loop reads
        them in sequence instead of one cache miss per synapse and array)."""
        start = sum(len(a) for a in self.i)
        order = np.lexsort((j, i))
        self.i.append(np.asarray(i)[order])
        self.j.append(np.asarray(j)[order])
        for var, v in values.items():
            self.values.setdefault(var, []).append(np.full(len(i), v, dtype=float))
        self.blocks[name] = (start, start + len(i))

    def arrays(self):
        def cat(parts):
            return np.concatenate(parts) if parts else np.zeros(0)

        return (cat(self.i).astype(np.int32), cat(self.j).astype(np.int32),
                {k: cat(v) for k, v in self.values.items()})


def fixed_in_degree(rng, n_pre: int, n_post: int, k: int, pre_start: int, post_start: int):
    """Each postsynaptic neuron draws k distinct presynaptic neurons: (i, j)."""
    pre_idx = np.concatenate([rng.choice(n_pre, size=k, replace=False)
                              for _ in range(n_post)]) + pre_start
    post_idx = np.repeat(np.arange(n_post), k) + post_start
    return pre_idx, post_idx


def draw_wiring(cfg, pop_slices: dict, input_slices: dict) -> dict:
    """Fixed in-degree connectivity of every projection, grouped by synapse set."""
    net = cfg.network
    rng = np.random.default_rng(net.wiring_seed)
    sets = {name: Wiring() for name in SYNAPSE_SETS}
    for name, prj in net.projections.items():
        from_input = prj.pre in net.inputs
        pre_sl = input_slices[prj.pre] if from_input else pop_slices[prj.pre]
        post_sl = pop_slices[prj.post]
        n_pre = pre_sl.stop - pre_sl.start
        n_pre_full = net.inputs[prj.pre].n if from_input else net.populations[prj.pre].n
        k = in_degree(prj.p, n_pre_full, n_pre)
        pre_idx, post_idx = fixed_in_degree(rng, n_pre, post_sl.stop - post_sl.start, k,
                                            pre_sl.start, post_sl.start)
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


def plan_layout(cfg, circuit_plan: CircuitPlan, rng) -> None:
    """Population and input sizes and their index ranges."""
    net = cfg.network
    circuit_plan.pop_sizes = {name: scaled(p.n, net.scale)
                              for name, p in net.populations.items()}
    circuit_plan.input_sizes = inputs.sizes(net.inputs)
    circuit_plan.pop_slices = layout(circuit_plan.pop_sizes)
    circuit_plan.input_slices = layout(circuit_plan.input_sizes)


def plan_inputs(cfg, circuit_plan: CircuitPlan, rng) -> None:
    """The input group (model/inputs.py)."""
    n = max(1, sum(circuit_plan.input_sizes.values()))
    run_time = inputs.parameter_arrays(cfg.network.inputs, circuit_plan.input_slices, n,
                                       cfg.simulation.dt_ms * 1e-3)
    run_time["dt_slow"] = circuit_plan.timelines.slow_dt_s
    run_time["noise_seed"] = cfg.simulation.seed
    circuit_plan.groups["inputs"] = GroupPlan(
        name="inputs", n=n, equations=inputs.EQUATIONS, threshold=inputs.THRESHOLD,
        reset=inputs.RESET, method="exact", run_time=run_time,
        fixed={"stim_channel": inputs.stimulus_channels(circuit_plan.input_slices, n),
               "x_res": 1.0},
        regular=inputs.regular_updates(), slow=[("recover_inputs", inputs.RECOVERY, 0)])


def plan_real_time_recovery(cfg, circuit_plan: CircuitPlan, rng) -> None:
    """Input depression that recovers on the real clock (model/inputs.py)."""
    if circuit_plan.timelines.real_per_sim is None:
        return
    group = circuit_plan.groups["inputs"]
    group.equations = inputs.EQUATIONS_REAL_TIME
    group.method = "euler"  # the recovery rate changes with the session
    group.regular = inputs.regular_updates(real_time=True)


def plan_neurons(cfg, circuit_plan: CircuitPlan, rng) -> None:
    """All populations in one group, each neuron with its population's values."""
    net, sg, tl = cfg.network, cfg.synaptogenesis, circuit_plan.timelines
    sizes, slices = circuit_plan.pop_sizes, circuit_plan.pop_slices
    n = sum(sizes.values())
    params = neurons.population_arrays(net.populations, sizes)
    run_time = {**params, **neurons.synaptic_constants(cfg.synapses),
                **synaptogenesis.chain_values(sg), "dt_chain": tl.slow_dt_s}
    fixed = {**nmda.neuron_channels(net.populations, slices, tl.channels),
             "population": _per_neuron(slices, {p: k for k, p in enumerate(net.populations)}),
             "region_index": _per_neuron(slices, {p: tl.regions.index(pop.region)
                                                  for p, pop in net.populations.items()}),
             "pool": 1.0, "protein": 1.0, "activity": sg.activity_ref,
             "nmda_avail": 1.0, "cons_drive": 1.0}
    # initial voltages drawn here from the run seed: identical on every device
    run_time["v"] = params["EL"] + (params["Vt"] - params["EL"]) * rng.random(n)
    run_time["bg_rate"] = net.background_rate_Hz
    run_time["noise_seed"] = cfg.simulation.seed
    # NMDA availability changes only at trial starts, which lie on the
    # stimulus grid: it is read there, with the external currents
    regular = neurons.regular_updates("neurons", STIM_DT_S, on_grid=(nmda.AVAILABILITY_UPDATE,))
    # order: the chain and the consolidation drive of a slow step are
    # computed before consolidation and spine turnover use them; the protocol
    # clock advances after every other slow update of the step
    slow = [("bdnf_chain", synaptogenesis.CHAIN_UPDATE, 0),
            ("consolidation_drive", plasticity.CONSOLIDATION_DRIVE, 1),
            ("protocol_clock", "t_protocol += dt_chain", 100)]
    circuit_plan.groups["neurons"] = GroupPlan(
        name="neurons", n=n, equations=neurons.NEURON_EQS + synaptogenesis.NEURON_CHAIN_VARS,
        threshold=neurons.THRESHOLD, reset=neurons.RESET, method="euler",
        run_time=run_time, fixed=fixed, regular=regular, slow=slow)
    # one principal neuron per region stands for the region's chain (all of
    # them share the same drives)
    for name, pop in net.populations.items():
        if pop.kind == "E" and pop.region not in circuit_plan.chain_rows:
            circuit_plan.chain_rows[pop.region] = slices[name].start


def plan_tonic_nmda(cfg, circuit_plan: CircuitPlan, rng) -> None:
    """A tonic NMDA conductance in chosen populations (model/disinhibition.py)."""
    pops = cfg.network.populations
    if not disinhibition.enabled(pops):
        return
    group = circuit_plan.groups["neurons"]
    group.equations = disinhibition.neuron_equations(group.equations)
    group.run_time["g_nmda_tonic"] = disinhibition.tonic_conductances(pops,
                                                                       circuit_plan.pop_sizes)


def plan_burst_from_circuit(cfg, circuit_plan: CircuitPlan, rng) -> None:
    """The BDNF chain reads the circuit's disinhibition burst (model/disinhibition.py)."""
    if not cfg.synaptogenesis.burst_from_circuit:
        return
    if circuit_plan.timelines.burst is None:
        raise ValueError("synaptogenesis.burst_from_circuit needs the burst timeline of a "
                         "disinhibition probe (model/simulate.py measure_disinhibition)")
    group = circuit_plan.groups["neurons"]
    group.slow = [(name, synaptogenesis.chain_update(cfg.synaptogenesis)
                   if name == "bdnf_chain" else code, order) for name, code, order in group.slow]


def _per_neuron(pop_slices, value_of: dict) -> np.ndarray:
    out = np.zeros(max(sl.stop for sl in pop_slices.values()), dtype=np.int32)
    for name, sl in pop_slices.items():
        out[sl] = value_of[name]
    return out


def plan_projections(cfg, circuit_plan: CircuitPlan, rng) -> None:
    """The four synapse sets, each projection a block of fixed in-degree."""
    wiring = draw_wiring(cfg, circuit_plan.pop_slices, circuit_plan.input_slices)
    for key, w in wiring.items():
        for name in w.blocks:
            circuit_plan.projection_set[name] = key
        if not w.blocks:
            continue
        model, on_pre, on_post = plasticity.synapse_code(key)
        i, j, run_time = w.arrays()
        slow = []
        if key == "input_plastic":
            run_time.update(plasticity.plastic_values(cfg.plasticity,
                                                      circuit_plan.timelines.slow_dt_s))
            slow.append(("consolidate", plasticity.CONSOLIDATION_CODE, 2))
        circuit_plan.synapses[key] = SynapsePlan(
            name=f"syn_{key}", source="inputs" if key.startswith("input") else "neurons",
            target="neurons", model=model, on_pre=on_pre, on_post=on_post,
            delay_s=cfg.synapses.delay_ms * 1e-3, i=i, j=j, run_time=run_time, slow=slow,
            blocks=dict(w.blocks))


def plan_consolidated_decay(cfg, circuit_plan: CircuitPlan, rng) -> None:
    """Consolidated input-synapse changes that relax back over days (model/plasticity.py)."""
    pops = cfg.network.populations
    plastic = circuit_plan.synapses.get("input_plastic")
    if plastic is None or not plasticity.consolidated_decay(pops):
        return
    neuron_group = circuit_plan.groups["neurons"]
    neuron_group.equations += plasticity.DECAY_NEURON_VARIABLES
    neuron_group.run_time["decay_rate"] = plasticity.decay_rates(pops, circuit_plan.pop_sizes)
    plastic.model += plasticity.DECAY_SYNAPSE_VARIABLES
    plastic.run_time["rho_rest"] = np.array(plastic.run_time["rho"], dtype=float)
    plastic.slow = [(name, plasticity.CONSOLIDATION_WITH_DECAY_CODE if name == "consolidate"
                     else code, order) for name, code, order in plastic.slow]


def plan_candidates(cfg, circuit_plan: CircuitPlan, rng) -> None:
    """The pre-allocated pool of candidate synapses (model/synaptogenesis.py)."""
    sg, net = cfg.synaptogenesis, cfg.network
    if not (sg.enabled and sg.pathways):
        return
    wiring = Wiring()
    draw = np.random.default_rng(net.wiring_seed + 7919)
    for name, cp in sg.pathways.items():
        pre_sl, post_sl = circuit_plan.pop_slices[cp.pre], circuit_plan.pop_slices[cp.post]
        n_pre = pre_sl.stop - pre_sl.start
        k = in_degree(cp.p, net.populations[cp.pre].n, n_pre)
        pre_idx, post_idx = fixed_in_degree(draw, n_pre, post_sl.stop - post_sl.start, k,
                                            pre_sl.start, post_sl.start)
        wiring.add(name, pre_idx, post_idx, w_ampa=cp.w_ampa_nS * 1e-9,
                   w_nmda=cp.w_nmda_nS * 1e-9, w_min_frac=0.0)
    i, j, run_time = wiring.arrays()
    n = len(i)
    # baseline density drawn per run seed; baseline synapses are at their
    # turnover steady state: weak, not yet stable
    run_time["exists"] = (rng.random(n) < synaptogenesis.baseline_fraction(sg)).astype(float)
    run_time["rho"] = np.full(n, sg.rho_new)
    run_time["rho_stable"] = np.full(n, sg.rho_new)
    run_time.update(plasticity.plastic_values(cfg.plasticity, circuit_plan.timelines.slow_dt_s))
    run_time.update(synaptogenesis.candidate_values(sg))
    circuit_plan.synapses["candidates"] = SynapsePlan(
        name="syn_candidates", source="neurons", target="neurons",
        model=plasticity.PLASTIC_MODEL + synaptogenesis.CANDIDATE_VARS,
        on_pre=plasticity.exc_on_pre("exists", plastic=True, gate="exists"),
        on_post=plasticity.plastic_on_post(gate="exists"),
        delay_s=cfg.synapses.delay_ms * 1e-3, i=i, j=j, run_time=run_time,
        slow=[("consolidate_candidates", plasticity.CONSOLIDATION_CODE, 2),
              ("spine_turnover", synaptogenesis.SPINE_UPDATE, 3)],
        blocks=dict(wiring.blocks))
    circuit_plan.candidate_blocks = dict(wiring.blocks)


def plan_error_signal(cfg, circuit_plan: CircuitPlan, rng) -> None:
    """The prediction-error teacher and the three-factor input synapses (model/teacher.py)."""
    if not teacher.enabled(cfg) or "input_plastic" not in circuit_plan.synapses:
        return
    groups, net = circuit_plan.groups, cfg.network
    groups["inputs"].equations += teacher.INPUT_VARIABLES
    groups["inputs"].events.append(teacher.INPUT_EVENT)
    groups["inputs"].run_time["t_taught"] = np.full(groups["inputs"].n, -1.0)
    groups["neurons"].equations += teacher.NEURON_VARIABLES
    groups["neurons"].run_time.update(teacher.gains(net.populations, circuit_plan.pop_sizes))
    plastic = circuit_plan.synapses["input_plastic"]
    plastic.model += teacher.ELIGIBILITY_MODEL
    plastic.on_pre = {"pre": plasticity.exc_on_pre("x_res_pre", plastic=True, eligible=True),
                      "teach": teacher.TEACH_ON_PRE}
    plastic.on_event = {"pre": "spike", "teach": "teach"}
    plastic.on_post = plasticity.plastic_on_post(eligible=True)
    plastic.run_time["tau_elig"] = cfg.plasticity.eligibility_tau_s
    output = circuit_plan.pop_slices[cfg.plasticity.error_output_population]
    groups["teacher"] = GroupPlan(
        name="teacher", n=1, equations=teacher.EQUATIONS, threshold=teacher.THRESHOLD,
        reset=teacher.RESET, method="exact",
        run_time=teacher.group_values(cfg, output.stop - output.start),
        regular=[teacher.regular_update()])
    n_out, n_in = output.stop - output.start, groups["inputs"].n
    circuit_plan.synapses["error_output"] = SynapsePlan(
        name="syn_error_output", source="neurons", target="teacher", model="",
        on_pre=teacher.COUNT_ON_PRE, on_post=None, delay_s=0.0,
        i=np.arange(output.start, output.stop, dtype=np.int32), j=np.zeros(n_out, np.int32))
    circuit_plan.synapses["error_broadcast"] = SynapsePlan(
        name="syn_error_broadcast", source="teacher", target="inputs",
        model=teacher.BROADCAST_MODEL, on_pre="", on_post=None, delay_s=0.0,
        i=np.zeros(n_in, np.int32), j=np.arange(n_in, dtype=np.int32))


def optional_mechanisms(cfg) -> dict:
    """Which optional plan steps change the generated code (part of the build's structure)."""
    return {"error_signal": teacher.enabled(cfg),
            "real_time_recovery": inputs.real_time_recovery(cfg.network.inputs),
            "consolidated_decay": plasticity.consolidated_decay(cfg.network.populations),
            "tonic_nmda": disinhibition.enabled(cfg.network.populations),
            "burst_from_circuit": bool(cfg.synaptogenesis.burst_from_circuit)}


PLAN_STEPS = (plan_layout, plan_inputs, plan_real_time_recovery, plan_neurons, plan_tonic_nmda,
              plan_burst_from_circuit,
              plan_projections, plan_consolidated_decay, plan_candidates, plan_error_signal)


def plan(cfg, schedule: Schedule, timeline: Timelines | None = None) -> CircuitPlan:
    """The circuit of ``cfg`` as plain data; random draws from ``simulation.seed``."""
    circuit_plan = CircuitPlan(timelines=timeline or timelines(cfg, schedule))
    rng = np.random.default_rng(cfg.simulation.seed)
    for step in PLAN_STEPS:
        step(cfg, circuit_plan, rng)
    return circuit_plan


# ---------------------------------------------------------------- Brian2 objects

class RunTimeValues:
    """Run-time values of one run, applied in one of two ways.

    Runtime devices: set on the objects at once. C++ standalone: kept and
    handed to the binary as ``run_args`` (:meth:`as_run_args`), so the
    generated code never contains a run-time value and one build serves every
    run of the same structure (Brian2 applies command-line values over the
    script's).
    """

    def __init__(self, defer: bool):
        self.defer = defer
        self._items = []

    def set(self, obj, var: str, value) -> None:
        if self.defer:
            self._items.append((obj, var, value))
        else:
            setattr(obj, var, value)

    def set_timed_array(self, timed_array, values) -> None:
        if self.defer:
            self._items.append((timed_array, None, values))

    def as_run_args(self) -> dict:
        out = {}
        for obj, var, value in self._items:
            out[obj if var is None else getattr(obj, var)] = value
        return out


@dataclass
class Circuit:
    plan: CircuitPlan = None
    values: RunTimeValues = None
    neurons: object = None
    inputs: object = None
    groups: dict = field(default_factory=dict)  # group name -> NeuronGroup
    synapses: dict = field(default_factory=dict)  # synapse set -> Synapses
    spike_monitor: object = None
    weight_monitor: object = None
    candidates: object = None
    spine_monitor: object = None
    chain_monitor: object = None
    teacher_monitor: object = None
    weight_samples: dict = field(default_factory=dict)  # pathway -> rows of the monitor
    timed_arrays: dict = field(default_factory=dict)
    namespace: dict = field(default_factory=dict)
    fast_objects: list = field(default_factory=list)
    slow_objects: list = field(default_factory=list)

    # what the readouts need, from the plan
    @property
    def pop_slices(self) -> dict:
        return self.plan.pop_slices

    @property
    def sizes(self) -> dict:
        return self.plan.sizes

    @property
    def n_synapses(self) -> dict:
        return self.plan.n_synapses

    @property
    def chain_rows(self) -> dict:
        return self.plan.chain_rows

    @property
    def candidate_blocks(self) -> dict:
        return self.plan.candidate_blocks


def timed_array_tables(timeline: Timelines) -> dict:
    """name -> (values in SI, Brian2 unit name, step in s) of each TimedArray."""
    tables = {
        "stim": (timeline.stim, None, STIM_DT_S),
        "occ_fast": (timeline.occ_fast, None, timeline.trial_s),
        "occ_slow": (timeline.occ_slow, None, timeline.slow_dt_s),
        "opto": (timeline.opto_pA * 1e-12, "amp", STIM_DT_S),
        "manip_slow": (timeline.infusion, None, timeline.slow_dt_s),
        "shock": (timeline.shock, None, STIM_DT_S),
    }
    if timeline.teach is not None:  # the error signal's clock (model/teacher.py)
        tables["teach_table"] = (timeline.teach, None, STIM_DT_S)
    if timeline.real_per_sim is not None:  # real-clock input recovery (model/inputs.py)
        tables["real_per_sim"] = (timeline.real_per_sim, None, timeline.trial_s)
    if timeline.burst is not None:  # the circuit's disinhibition burst (model/disinhibition.py)
        tables["burst_slow"] = (timeline.burst, None, timeline.slow_dt_s)
    return tables


def model_functions() -> dict:
    """The Brian2 functions of the model's code (random numbers, calcium)."""
    return {**poisson.functions(), **plasticity.functions()}


def with_unit(obj, var: str, value):
    """``value`` (SI) as a quantity of ``obj.var``'s unit."""
    from brian2 import Quantity

    dim = obj.variables[var].dim
    return value if dim.is_dimensionless else Quantity(value, dim=dim)


def create_timed_arrays(cfg, circuit: Circuit) -> None:
    """The protocol's TimedArrays; their values are run-time values."""
    import brian2 as b2

    for name, (values, unit, dt_s) in timed_array_tables(circuit.plan.timelines).items():
        table = values * getattr(b2, unit) if unit else values
        circuit.timed_arrays[name] = b2.TimedArray(table, dt=dt_s * b2.second, name=name)
        circuit.values.set_timed_array(circuit.timed_arrays[name], table)
    circuit.namespace = {**circuit.timed_arrays, **model_functions()}


def assign(obj, run_time: dict, fixed: dict, values: RunTimeValues) -> None:
    for var, value in run_time.items():
        values.set(obj, var, with_unit(obj, var, value))
    for var, value in fixed.items():
        setattr(obj, var, value)


def create_groups(cfg, circuit: Circuit) -> None:
    """The input and neuron groups with their run_regularly operations."""
    import brian2 as b2

    for name, gp in circuit.plan.groups.items():
        group = b2.NeuronGroup(gp.n, gp.equations, threshold=gp.threshold, reset=gp.reset,
                               method=gp.method, namespace=circuit.namespace, name=gp.name,
                               events={name: cond for name, cond, _ in gp.events} or None)
        for event, _, code in gp.events:
            group.run_on_event(event, code)
        for op_name, code, dt_s, when in gp.regular:
            group.run_regularly(code, dt=None if dt_s is None else dt_s * b2.second,
                                when=when, name=op_name)
        assign(group, gp.run_time, gp.fixed, circuit.values)
        circuit.groups[name] = group
        circuit.fast_objects.append(group)
    circuit.inputs, circuit.neurons = circuit.groups["inputs"], circuit.groups["neurons"]


def create_synapses(cfg, circuit: Circuit) -> None:
    """The synapse sets (and the candidate pool), connected from the plan."""
    import brian2 as b2

    for key, sp in circuit.plan.synapses.items():
        delay = sp.delay_s * b2.second
        if isinstance(sp.on_pre, dict):
            delay = {name: (delay if name == "pre" else 0 * b2.second) for name in sp.on_pre}
        elif not sp.on_pre:
            delay = None  # no presynaptic pathway (summed variables only)
        syn = b2.Synapses(circuit.groups[sp.source], circuit.groups[sp.target], model=sp.model,
                          on_pre=sp.on_pre, on_post=sp.on_post, delay=delay,
                          on_event=sp.on_event or "spike", method="exact",
                          namespace=circuit.namespace, name=sp.name)
        syn.connect(i=sp.i, j=sp.j)
        assign(syn, sp.run_time, sp.fixed, circuit.values)
        circuit.synapses[key] = syn
        circuit.fast_objects.append(syn)
    circuit.candidates = circuit.synapses.pop("candidates", None)


def create_slow_runners(cfg, circuit: Circuit) -> None:
    """The coarse-clock updates of the intervals (docs/model.md, section 8)."""
    import brian2 as b2

    dt = circuit.plan.timelines.slow_dt_s * b2.second
    owners = [(gp.slow, circuit.groups[name]) for name, gp in circuit.plan.groups.items()]
    owners += [(sp.slow, circuit.candidates if key == "candidates" else circuit.synapses[key])
               for key, sp in circuit.plan.synapses.items()]
    for runners, obj in owners:
        for name, code, order in runners:
            circuit.slow_objects.append(_slow_runner(obj, code, dt, name, order))


def create_monitors(cfg, circuit: Circuit) -> None:
    """Spikes and sampled weights (fast); chain and spines (slow)."""
    import brian2 as b2

    sample_dt = cfg.synaptogenesis.spine_dt_h * 3600 * b2.second
    circuit.chain_monitor = b2.StateMonitor(
        circuit.neurons, ["pool", "bdnf", "mtor", "protein", "cons_drive"],
        record=np.array(list(circuit.plan.chain_rows.values())), dt=sample_dt, when="end",
        name="chain")
    _detach(circuit.chain_monitor)
    circuit.slow_objects.append(circuit.chain_monitor)
    if circuit.candidates is not None:
        circuit.spine_monitor = b2.StateMonitor(circuit.candidates, ["exists", "n_formed"],
                                                record=True, dt=sample_dt, when="end",
                                                name="spines")
        _detach(circuit.spine_monitor)
        circuit.slow_objects.append(circuit.spine_monitor)
    if cfg.readout.record_spikes:
        circuit.spike_monitor = b2.SpikeMonitor(circuit.neurons, name="spikes")
        circuit.fast_objects.append(circuit.spike_monitor)
    if "input_plastic" in circuit.synapses:
        rows, record = {}, []
        for name, (a, b) in circuit.plan.synapses["input_plastic"].blocks.items():
            idx = np.unique(np.linspace(a, b - 1, min(cfg.readout.weight_samples, b - a))
                            .astype(int))
            rows[name] = np.arange(len(record), len(record) + len(idx))
            record.extend(idx.tolist())
        circuit.weight_samples = rows
        circuit.weight_monitor = b2.StateMonitor(circuit.synapses["input_plastic"], "rho",
                                                 record=np.array(record),
                                                 dt=cfg.readout.weight_dt_s * b2.second,
                                                 when="end", name="weights")
        circuit.fast_objects.append(circuit.weight_monitor)


def create_teacher_monitor(cfg, circuit: Circuit) -> None:
    """The teacher's prediction and error, recorded at its one spike per trial."""
    import brian2 as b2

    if "teacher" in circuit.groups:
        circuit.teacher_monitor = b2.SpikeMonitor(
            circuit.groups["teacher"], variables=["prediction", "error"], name="teacher_errors")
        circuit.fast_objects.append(circuit.teacher_monitor)


BUILD_STEPS = (create_timed_arrays, create_groups, create_synapses, create_slow_runners,
               create_monitors, create_teacher_monitor)


def build(cfg, circuit_plan: CircuitPlan, defer_values: bool = False) -> Circuit:
    """Create every Brian2 object of one run; nothing is run here.

    With ``defer_values`` (C++ standalone), run-time values are collected in
    ``circuit.values`` instead of being set (see :class:`RunTimeValues`).
    """
    circuit = Circuit(plan=circuit_plan, values=RunTimeValues(defer_values))
    for step in BUILD_STEPS:
        step(cfg, circuit)
    reuse_code_objects(circuit.fast_objects + circuit.slow_objects)
    return circuit


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


def reuse_code_objects(objects) -> None:
    """Generate each object's code once, however many ``run`` calls follow.

    Brian2 creates a fresh code object for every runner at every
    ``Network.run``; in C++ standalone each copy is a source file to compile
    (five sessions and five intervals: five copies of everything). The code
    of this model's runners does not change between runs (run-time values
    are variables, not literals), so after the first run each runner hands
    back the code object it already has, as Brian2's own spike-push code does.
    """
    from brian2.groups.group import CodeRunner

    seen, stack = set(), list(objects)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        stack.extend(obj.contained_objects)
        if isinstance(obj, CodeRunner):
            obj.create_default_code_object = _created_once(obj)


def _created_once(runner):
    create = runner.create_default_code_object

    def create_default_code_object(run_namespace):
        if runner.codeobj is None:
            return create(run_namespace)
        return runner.codeobj

    return create_default_code_object
