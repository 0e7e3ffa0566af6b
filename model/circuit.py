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
* one ``NeuronGroup`` holds every input (CS, US, contexts A, B and C:
  model/inputs.py);
* four ``Synapses`` objects: input->neuron static, input->neuron plastic,
  neuron->neuron excitatory, neuron->neuron inhibitory; every projection of
  the config is part of one of them (each synapse holds its projection's
  index, ``projection``). Candidate synapses
  (model/synaptogenesis.py) are a fifth.

Each subject draws its own connectivity: the binary draws the synapses of
every projection from the run's seed (``simulation.seed``, a run-time value),
so every subject of a sweep is differently wired and one build serves them
all. Each (pre, post) pair of a projection is connected independently with
probability k / N_pre, k = round(p x N_pre at scale 1) capped at the scaled
N_pre: a neuron's expected in-degree, and so its input statistics, do not
change with ``network.scale`` (a tiny test network behaves like the full
one), while in-degrees and per-projection synapse counts vary from subject
to subject (binomially) as in an animal. A drawn synapse takes its
projection's values (weights, initial efficacy) in a one-step run before the
protocol. The candidate synapses of synaptogenesis are a fixed pool of sites
(``network.wiring_seed``), of which each subject's seed picks the ones
present at the start.

A Brian2 object runs in one network only, but a CodeRunner needs only its
group's arrays, so the slow network updates variables of groups that live
in the fast one (docs/model.md, section 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import (
    cs_minus,
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
class Connectivity:
    """Projections drawn in the binary, per subject, from the run's seed.

    Each (source population, target population) pair of a synapse set is
    connected with probability ``pair_p`` (independently per pair), and the
    synapse gets the values of its projection (``pair_projection``), which
    are run-time values per projection (``per_projection``).
    """

    projections: list  # names, in projection-index order
    pair_p: np.ndarray  # (source populations, target populations)
    pair_projection: np.ndarray  # projection index of each pair, -1 for none
    per_projection: dict  # variable -> value of each projection (SI)
    expected_per_projection: dict  # projection -> expected synapse count
    variance: float  # of the set's synapse count

    @property
    def guaranteed(self) -> int:
        """A count the set reaches except with probability ~1e-30 (12 SD below the mean)."""
        expected = sum(self.expected_per_projection.values())
        return max(0, int(np.floor(expected - 12.0 * np.sqrt(self.variance))))


@dataclass
class SynapsePlan:
    """One Synapses object: drawn projections, or a fixed pool of index pairs.

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
    connectivity: Connectivity | None = None
    i: np.ndarray | None = None  # a fixed pool (candidate synapses)
    j: np.ndarray | None = None
    run_time: dict = field(default_factory=dict)
    fixed: dict = field(default_factory=dict)
    slow: list = field(default_factory=list)
    blocks: dict = field(default_factory=dict)  # fixed pool: pathway -> (start, stop)
    extra_initial: str = ""  # further initial-value code of drawn synapses
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
    def expected_synapses(self) -> dict:
        """Expected synapse count per projection (drawn per subject), exact for the pool."""
        out = {}
        for sp in self.synapses.values():
            if sp.connectivity is not None:
                out.update(sp.connectivity.expected_per_projection)
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
               "population": _per_neuron(circuit_plan.input_slices,
                                         {p: k for k, p in enumerate(cfg.network.inputs)}),
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


def plan_cs_minus(cfg, circuit_plan: CircuitPlan, rng) -> None:
    """The CS- tone on the CS+ input neurons it shares (model/cs_minus.py)."""
    if not cs_minus.enabled(cfg):
        return
    group = circuit_plan.groups["inputs"]
    group.equations += cs_minus.VARIABLE
    group.fixed["shares_cs_minus"] = cs_minus.shared_flags(cfg, circuit_plan.input_slices,
                                                           group.n)
    group.regular = [(name, cs_minus.RATE if name == "inputs_rate" else code, dt, when)
                     for name, code, dt, when in group.regular]


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


def _set_of(prj, from_input: bool) -> str:
    if prj.receptor == "inh":
        return "recurrent_inh"
    if from_input:
        return "input_plastic" if prj.plastic else "input_static"
    return "recurrent_exc"


def _projection_values(prj) -> dict:
    """Per-synapse values of a projection (SI): every synapse starts with them."""
    if prj.receptor == "inh":
        return {"w_gaba": prj.w_gaba_nS * 1e-9}
    values = {"w_ampa": prj.w_ampa_nS * 1e-9, "w_nmda": prj.w_nmda_nS * 1e-9}
    if prj.plastic:
        values.update(w_min_frac=prj.w_min_frac, rho=prj.rho_init, rho_stable=prj.rho_init)
    return values


def draw_rules(cfg, circuit_plan: CircuitPlan) -> dict:
    """Each synapse set's Connectivity: pair probabilities, projections, values.

    A projection connects each of its (pre, post) pairs with probability
    k / N_pre, k = round(p x N_pre at scale 1) capped at the scaled N_pre: a
    neuron's expected in-degree (and so its input statistics) does not
    change with ``network.scale``, while in-degrees, and the projection's
    synapse count, vary from subject to subject.
    """
    net = cfg.network
    pops, inputs_ = list(net.populations), list(net.inputs)
    rules = {}
    for name, prj in net.projections.items():
        from_input = prj.pre in net.inputs
        if prj.plastic and not from_input:
            raise ValueError(f"network.projections.{name}: plastic projections must start "
                             "at an input (CS, US, ctx_A, ctx_B, ctx_C)")
        key = _set_of(prj, from_input)
        sources = inputs_ if from_input else pops
        sizes = circuit_plan.input_sizes if from_input else circuit_plan.pop_sizes
        n_pre, n_post = sizes[prj.pre], circuit_plan.pop_sizes[prj.post]
        n_pre_full = net.inputs[prj.pre].n if from_input else net.populations[prj.pre].n
        p_pair = in_degree(prj.p, n_pre_full, n_pre) / n_pre
        rule = rules.setdefault(key, Connectivity(
            projections=[], pair_p=np.zeros((len(sources), len(pops))),
            pair_projection=-np.ones((len(sources), len(pops))), per_projection={},
            expected_per_projection={}, variance=0.0))
        a, b = sources.index(prj.pre), pops.index(prj.post)
        if rule.pair_projection[a, b] >= 0:
            raise ValueError(f"network.projections.{name}: a second projection from "
                             f"{prj.pre} to {prj.post} of the same kind")
        rule.pair_p[a, b] = p_pair
        rule.pair_projection[a, b] = len(rule.projections)
        rule.projections.append(name)
        for var, value in _projection_values(prj).items():
            rule.per_projection.setdefault(var, []).append(value)
        rule.expected_per_projection[name] = p_pair * n_pre * n_post
        rule.variance += n_pre * n_post * p_pair * (1 - p_pair)
    for rule in rules.values():
        rule.per_projection = {k: np.array(v, dtype=float) for k, v in rule.per_projection.items()}
    return {key: rules[key] for key in SYNAPSE_SETS if key in rules}


def plan_projections(cfg, circuit_plan: CircuitPlan, rng) -> None:
    """The four synapse sets, their projections drawn per subject in the binary."""
    for key, rule in draw_rules(cfg, circuit_plan).items():
        for name in rule.projections:
            circuit_plan.projection_set[name] = key
        model, on_pre, on_post = plasticity.synapse_code(key)
        run_time, slow = {}, []
        if key == "input_plastic":
            run_time.update(plasticity.plastic_values(cfg.plasticity,
                                                      circuit_plan.timelines.slow_dt_s))
            slow.append(("consolidate", plasticity.CONSOLIDATION_CODE, 2))
        circuit_plan.synapses[key] = SynapsePlan(
            name=f"syn_{key}", source="inputs" if key.startswith("input") else "neurons",
            target="neurons", model=model + "projection : integer\n", on_pre=on_pre,
            on_post=on_post, delay_s=cfg.synapses.delay_ms * 1e-3, connectivity=rule,
            run_time=run_time, slow=slow)


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
    # each synapse rests at the efficacy it starts with (its projection's rho_init)
    plastic.extra_initial = "rho_rest = rho"
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
            "burst_from_circuit": bool(cfg.synaptogenesis.burst_from_circuit),
            "cs_minus": cs_minus.enabled(cfg)}


PLAN_STEPS = (plan_layout, plan_inputs, plan_real_time_recovery, plan_cs_minus, plan_neurons,
              plan_tonic_nmda,
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
    weight_sample_index: np.ndarray | None = None  # plastic synapses the monitor records
    timed_arrays: dict = field(default_factory=dict)
    namespace: dict = field(default_factory=dict)
    fast_objects: list = field(default_factory=list)
    slow_objects: list = field(default_factory=list)
    # run for one step before the protocol: each drawn synapse's projection and values
    initial_objects: list = field(default_factory=list)
    initial_clock: object = None

    # what the readouts need, from the plan
    @property
    def pop_slices(self) -> dict:
        return self.plan.pop_slices

    @property
    def sizes(self) -> dict:
        return self.plan.sizes

    def synapse_projections(self, key: str) -> np.ndarray:
        """Projection index of each synapse of a drawn set (after the run in standalone)."""
        return np.asarray(self.synapses[key].projection[:], dtype=np.int64)

    @property
    def n_synapses(self) -> dict:
        """Synapses per projection as drawn for this subject, then the candidate pools."""
        out = {}
        for key, sp in self.plan.synapses.items():
            if sp.connectivity is not None:
                names = sp.connectivity.projections
                counts = np.bincount(self.synapse_projections(key), minlength=len(names))
                out.update({name: int(n) for name, n in zip(names, counts, strict=True)})
        out.update({f"candidates:{k}": b - a for k, (a, b) in self.candidate_blocks.items()})
        return out

    @property
    def weight_samples(self) -> dict:
        """Plastic pathway -> rows of the weight monitor that belong to it."""
        if self.weight_monitor is None:
            return {}
        projection = self.synapse_projections("input_plastic")
        if len(projection) <= self.weight_sample_index.max():
            raise RuntimeError(
                f"syn_input_plastic has {len(projection)} synapses, fewer than the weight "
                f"monitor's range ({self.weight_sample_index.max() + 1})")
        sampled = projection[self.weight_sample_index]
        names = self.plan.synapses["input_plastic"].connectivity.projections
        return {name: np.flatnonzero(sampled == k) for k, name in enumerate(names)}

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


def neuron_group(gp: GroupPlan, namespace: dict, name: str, codeobj_class=None):
    """A group of the plan as a Brian2 NeuronGroup: equations, events and their
    code, run_regularly operations (values are set by the caller)."""
    import brian2 as b2

    group = b2.NeuronGroup(gp.n, gp.equations, threshold=gp.threshold, reset=gp.reset,
                           method=gp.method, namespace=namespace, name=name,
                           events={event: cond for event, cond, _ in gp.events} or None,
                           codeobj_class=codeobj_class)
    for event, _, code in gp.events:
        group.run_on_event(event, code)
    for op_name, code, dt_s, when in gp.regular:
        group.run_regularly(code, dt=None if dt_s is None else dt_s * b2.second,
                            when=when, name=op_name)
    return group


def create_groups(cfg, circuit: Circuit) -> None:
    """The input and neuron groups with their run_regularly operations."""
    from .standalone import group_code_object_class

    codeobj_class = group_code_object_class()
    for name, gp in circuit.plan.groups.items():
        group = neuron_group(gp, circuit.namespace, gp.name, codeobj_class)
        assign(group, gp.run_time, gp.fixed, circuit.values)
        circuit.groups[name] = group
        circuit.fast_objects.append(group)
    circuit.inputs, circuit.neurons = circuit.groups["inputs"], circuit.groups["neurons"]


def connectivity_tables(sp: SynapsePlan) -> dict:
    """name -> (values (1, n), run-time?) of a drawn set's lookup tables.

    The pair tables are structural (the binary draws the synapses before any
    run-time value is applied); the per-projection values are run-time.
    """
    rule = sp.connectivity
    out = {f"{sp.name}_pair_p": (rule.pair_p.ravel()[None, :], False),
           f"{sp.name}_pair_projection": (rule.pair_projection.ravel()[None, :], False)}
    for var, values in rule.per_projection.items():
        out[f"{sp.name}_{var}"] = (values[None, :], True)
    return out


def _pair_index(sp: SynapsePlan) -> str:
    return f"population_pre*{sp.connectivity.pair_p.shape[1]} + population_post"


def connect_probability(sp: SynapsePlan) -> str:
    """The Brian2 expression of a pair's connection probability."""
    return f"{sp.name}_pair_p(0*second, {_pair_index(sp)})"


def initial_code(sp: SynapsePlan) -> str:
    """Each drawn synapse's projection and the values it starts with."""
    lines = [f"projection = int({sp.name}_pair_projection(0*second, {_pair_index(sp)}))"]
    lines += [f"{var} = {sp.name}_{var}(0*second, projection)"
              for var in sp.connectivity.per_projection]
    return "\n".join(lines + ([sp.extra_initial] if sp.extra_initial else []))


def connectivity_timed_arrays(sp: SynapsePlan, values: RunTimeValues) -> dict:
    import brian2 as b2

    equations = b2.Equations(sp.model)
    out = {}
    for name, (table, run_time) in connectivity_tables(sp).items():
        var = name[len(sp.name) + 1:]
        if var in equations.names:
            table = b2.Quantity(table, dim=equations[var].dim)
        out[name] = b2.TimedArray(table, dt=1 * b2.second, name=name)
        if run_time:
            values.set_timed_array(out[name], table)
    return out


def pathway_arguments(sp: SynapsePlan) -> dict:
    """``on_pre``, ``on_post``, ``delay`` and ``on_event`` of a synapse set for
    ``b2.Synapses``: the delay on the ``pre`` pathway only, none without one."""
    import brian2 as b2

    delay = sp.delay_s * b2.second
    if isinstance(sp.on_pre, dict):
        delay = {name: (delay if name == "pre" else 0 * b2.second) for name in sp.on_pre}
    elif not sp.on_pre:
        delay = None  # no presynaptic pathway (summed variables only)
    return {"on_pre": sp.on_pre, "on_post": sp.on_post, "delay": delay,
            "on_event": sp.on_event or "spike"}


def create_synapses(cfg, circuit: Circuit) -> None:
    """The synapse sets (drawn in the binary) and the candidate pool (given pairs)."""
    import brian2 as b2
    from brian2.groups.group import CodeRunner

    circuit.initial_clock = b2.Clock(dt=cfg.simulation.dt_ms * b2.ms, name="initial_values_clock")
    for key, sp in circuit.plan.synapses.items():
        namespace = dict(circuit.namespace)
        if sp.connectivity is not None:
            namespace.update(connectivity_timed_arrays(sp, circuit.values))
        syn = b2.Synapses(circuit.groups[sp.source], circuit.groups[sp.target], model=sp.model,
                          method="exact", namespace=namespace, name=sp.name,
                          **pathway_arguments(sp))
        if sp.connectivity is None:
            syn.connect(i=sp.i, j=sp.j)
        else:
            syn.connect(p=connect_probability(sp))
            circuit.initial_objects.append(CodeRunner(
                syn, "stateupdate", code=initial_code(sp), clock=circuit.initial_clock,
                when="start", name=f"{sp.name}_initial_values"))
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
        from brian2.utils.logger import BrianLogger

        # the indices are checked after the run (Circuit.weight_samples)
        BrianLogger.suppress_name("cannot_check_statemonitor_indices")
        # evenly spaced over the range every subject's draw fills; the synapses
        # are ordered by presynaptic neuron, so every pathway is sampled
        rule = circuit.plan.synapses["input_plastic"].connectivity
        n = min(rule.guaranteed, cfg.readout.weight_samples * len(rule.projections))
        circuit.weight_sample_index = np.unique(np.linspace(0, rule.guaranteed - 1, n)
                                                .astype(int))
        circuit.weight_monitor = b2.StateMonitor(circuit.synapses["input_plastic"], "rho",
                                                 record=circuit.weight_sample_index,
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
    The synapses are drawn when they are created (in C++ standalone: where
    the binary reaches them, before any run), from Brian2's generators: seed
    them before calling this (``brian2.seed``, or in standalone
    :func:`model.standalone.seed_from_run_args`), or every subject's wiring
    is drawn from an arbitrary seed.
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
