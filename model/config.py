"""Typed configuration of a fearsim run.

Plain dataclasses, no Hydra: the entry points register them in Hydra's
ConfigStore (so unknown keys and wrong types are refused while composing) and
call :func:`validate` (range and protocol checks) before anything is built.

Units are part of every field name (``_ms``, ``_nS``, ``_Hz``...), because
YAML carries no units and a sweep override must say what it means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .pharmacology import PharmacologyConfig, PharmacologyError, validate_pharmacology

PHASES = ("habituation", "conditioning", "extinction", "recall", "renewal")
CONTEXTS = ("A", "B")
CELL_KINDS = ("E", "I")
RECEPTORS = ("exc", "inh")
DEVICES = ("auto", "runtime", "cpp_standalone", "numpy")
INPUT_SOURCES = ("CS", "US", "ctx_A", "ctx_B")


class ConfigError(ValueError):
    """A configuration value is not allowed; the message names the key."""


# --------------------------------------------------------------------------
# network
# --------------------------------------------------------------------------
@dataclass
class PopulationConfig:
    region: str = "LA"
    kind: str = "E"  # E: excitatory/principal, I: GABAergic
    n: int = 100  # size at scale 1
    C_pF: float = 200.0
    gL_nS: float = 10.0
    EL_mV: float = -70.0
    Vt_mV: float = -50.0
    Vr_mV: float = -60.0
    tref_ms: float = 2.0
    a_adapt_nS: float = 0.0  # subthreshold adaptation (AdEx-style)
    b_adapt_pA: float = 0.0  # spike-triggered adaptation
    tau_adapt_ms: float = 200.0
    bg_w_nS: float = 1.0  # conductance jump per background spike (network.background_rate_Hz)
    nmda_scale: float = 1.0  # per-region/per-class NMDA conductance scale
    # plasticity of synapses onto this population: learning-rate factor
    # plasticity_base + shock_gain * shock trace (>= 0); shocks enable LA
    # plasticity (shock_gain > 0) and suppress IL plasticity (< 0)
    plasticity_base: float = 1.0
    shock_gain: float = 0.0
    # share of the post-training capture of early changes onto this
    # population that needs free NMDARs (0..1): 1 where consolidation of
    # extinction needs NMDARs after training (IL), 0 where fear memory
    # consolidates without them once acquired (LA)
    consolidation_nmda: float = 1.0
    # hyperpolarising current at full shock trace (conditioning lowers IL
    # excitability; Santini, Quirk & Porter 2008)
    shock_current_pA: float = 0.0


@dataclass
class InputConfig:
    n: int = 100
    base_rate_Hz: float = 2.0
    on_rate_Hz: float = 40.0
    # presynaptic resource depression (NMDA-independent CS habituation);
    # U = 0 disables it
    depression_U: float = 0.0
    depression_tau_s: float = 60.0  # recovery within a session (simulated time)
    depression_recovery_tau_h: float = 1.0  # recovery during intervals


@dataclass
class ProjectionConfig:
    pre: str = ""
    post: str = ""
    receptor: str = "exc"  # exc: AMPA + NMDA, inh: GABA_A
    p: float = 0.1  # connection probability
    w_ampa_nS: float = 1.0
    w_nmda_nS: float = 0.0
    w_gaba_nS: float = 0.0
    plastic: bool = False
    rho_init: float = 0.5  # initial efficacy of plastic synapses (0..1)
    w_min_frac: float = 0.0  # weight = w * (w_min_frac + (1 - w_min_frac) * rho)


def _default_populations() -> dict[str, PopulationConfig]:
    return {}


@dataclass
class NetworkConfig:
    scale: float = 1.0
    wiring_seed: int = 0  # connectivity draw (structural: a new build per value)
    background_rate_Hz: float = 1600.0  # summed Poisson background to every neuron
    populations: dict[str, PopulationConfig] = field(default_factory=dict)
    inputs: dict[str, InputConfig] = field(default_factory=dict)
    projections: dict[str, ProjectionConfig] = field(default_factory=dict)


# --------------------------------------------------------------------------
# synapses
# --------------------------------------------------------------------------
@dataclass
class SynapsesConfig:
    E_ampa_mV: float = 0.0
    E_nmda_mV: float = 0.0
    E_gaba_mV: float = -70.0
    tau_ampa_ms: float = 2.0
    tau_nmda_decay_ms: float = 100.0
    tau_gaba_ms: float = 8.0
    Mg_mM: float = 1.0
    delay_ms: float = 1.0


# --------------------------------------------------------------------------
# plasticity
# --------------------------------------------------------------------------
@dataclass
class PlasticityConfig:
    enabled: bool = True
    # Graupner & Brunel 2012 PNAS, "DP" parameter set
    tau_ca_ms: float = 20.0
    theta_d: float = 1.0
    theta_p: float = 1.3
    gamma_d: float = 200.0
    gamma_p: float = 321.808
    tau_rho_s: float = 150.0
    # NMDA calcium amplitudes (calcium enters through NMDARs only)
    C_pre: float = 1.0  # per presynaptic spike, times Mg-unblock at the post voltage / B(-50 mV)
    C_post: float = 2.0  # per postsynaptic spike, times glutamate-bound NMDAR trace
    tau_glu_ms: float = 100.0  # glutamate-bound NMDAR trace (NMDA decay)
    learning_rate: float = 1.0  # scales gamma_p and gamma_d together
    # synaptic proteins gate NMDA-dependent potentiation: gamma_p onto a neuron
    # is times 1 + protein_learning_gain*(protein - 1); depression is not gated
    protein_learning_gain: float = 0.0
    # consolidation (intervals): synaptic tagging and capture
    tau_early_h: float = 3.0  # unconsolidated change decays back
    capture_rate_per_h: float = 1.0  # capture of tagged change when NMDA is free
    # shock-evoked neuromodulatory trace (model/protocol.py shock_trace)
    shock_tau_min: float = 60.0
    shock_per_us: float = 0.0
    consolidation_dt_min: float = 2.0  # step of the slow clock


# --------------------------------------------------------------------------
# synaptogenesis (MODEL.md section 5; model/synaptogenesis.py)
# --------------------------------------------------------------------------
@dataclass
class CandidatePathwayConfig:
    pre: str = "IL_E"
    post: str = "IL_E"
    p: float = 0.05  # candidate in-degree = p x N_pre at scale 1
    w_ampa_nS: float = 0.5
    w_nmda_nS: float = 0.1


@dataclass
class SynaptogenesisConfig:
    enabled: bool = False
    pathways: dict[str, CandidatePathwayConfig] = field(default_factory=dict)
    k_translation: float = 1.0
    k_suppression: float = 10.0
    k_desens: float = 1.0
    tau_suppression_h: float = 6.0
    k_release: float = 4.0
    burst_exponent: float = 4.0
    k_protein: float = 1.5
    tau_pool_h: float = 3.0
    tau_bdnf_h: float = 1.0
    tau_desens_h: float = 0.75
    tau_mtor_h: float = 0.4
    tau_protein_h: float = 48.0
    tau_translation_h: float = 4.0
    formation_per_day: float = 0.1
    elimination_per_day: float = 0.3
    rho_new: float = 0.1
    rho_stable: float = 0.5
    activity_ref: float = 1.0  # Hz, postsynaptic rate at which the gate is 1
    activity_tau_s: float = 10.0
    activity_relax_h: float = 1.0
    gate_max: float = 3.0
    spine_dt_h: float = 2.0  # sampling of spine counts


@dataclass
class ManipulationConfig:
    """A manipulation of one kind, per region or population, per session.

    kind: silence | stimulate (optogenetic-like current into ``targets``
    populations during ``epoch`` of ``sessions``); rapamycin | trkb_block |
    bdnf (local infusion into ``targets`` regions starting ``offset_h`` after
    the start of each listed session, lasting ``duration_h``, at ``level``).
    """

    kind: str = "silence"
    targets: list[str] = field(default_factory=list)
    sessions: list[int] = field(default_factory=list)
    epoch: str = "session"  # session | cs | iti | us (silence/stimulate)
    amplitude_pA: float = 300.0
    level: float = 1.0
    offset_h: float = 0.0
    duration_h: float = 6.0


MANIPULATION_KINDS = ("silence", "stimulate", "rapamycin", "trkb_block", "bdnf")
EPOCHS = ("session", "cs", "iti", "us")


# --------------------------------------------------------------------------
# protocol
# --------------------------------------------------------------------------
@dataclass
class SessionConfig:
    phase: str = "conditioning"
    context: str = "A"
    n_trials: int = 5
    us: bool = False
    # hours from the end of the previous session to the start of this one
    interval_before_h: float = 24.0
    # real duration this compressed session stands for (for slow dynamics)
    real_duration_min: float = 30.0


@dataclass
class BlockConfig:
    """NMDA receptor blockade (occupancy 0..1) during chosen sessions.

    regions: "all" (systemic) or a list of region names (local infusion).
    cell_kinds: "all", or E / I.
    sessions: indices of sessions (0-based) during which the block applies.
    after_h: the block also lasts this many hours into the following interval.
    """

    occupancy: float = 0.0
    regions: list[str] = field(default_factory=lambda: ["all"])
    cell_kinds: list[str] = field(default_factory=lambda: ["all"])
    sessions: list[int] = field(default_factory=list)
    after_h: float = 0.0


@dataclass
class ProtocolConfig:
    trial_s: float = 4.0
    cs_s: float = 0.5
    us_s: float = 0.1  # US overlaps the last us_s of the CS
    cs_onset_s: float = 2.0  # CS onset within the trial
    sessions: list[SessionConfig] = field(default_factory=list)
    block: BlockConfig = field(default_factory=BlockConfig)
    tail_h: float = 0.0  # slow dynamics simulated after the last session


# --------------------------------------------------------------------------
# readout
# --------------------------------------------------------------------------
@dataclass
class ReadoutConfig:
    freezing_population: str = "CeM"
    # freezing = 100 / (1 + exp(-(r - r50)/slope)), r the CeM rate in the CS window
    freezing_r50_Hz: float = 10.0
    freezing_slope_Hz: float = 2.0
    window_exclude_us: bool = True  # CS window ends where the US starts
    burst_isi_ms: float = 10.0
    weight_samples: int = 400  # synapses sampled per plastic pathway
    weight_dt_s: float = 1.0
    record_spikes: bool = True
    rate_ceiling_Hz: float = 150.0  # a population mean above this = runaway


# --------------------------------------------------------------------------
# simulation
# --------------------------------------------------------------------------
@dataclass
class SimulationConfig:
    device: str = "auto"
    dt_ms: float = 0.1
    seed: int = 1
    build_dir: str = ""  # empty: a slot of the build cache (experiments/io/build_cache.py)
    threads: int = 1


@dataclass
class PathsConfig:
    results_dir: str = "results/runs"


@dataclass
class FearsimConfig:
    network: NetworkConfig = field(default_factory=NetworkConfig)
    synapses: SynapsesConfig = field(default_factory=SynapsesConfig)
    plasticity: PlasticityConfig = field(default_factory=PlasticityConfig)
    synaptogenesis: SynaptogenesisConfig = field(default_factory=SynaptogenesisConfig)
    pharmacology: PharmacologyConfig = field(default_factory=PharmacologyConfig)
    protocol: ProtocolConfig = field(default_factory=ProtocolConfig)
    manipulations: list[ManipulationConfig] = field(default_factory=list)
    readout: ReadoutConfig = field(default_factory=ReadoutConfig)
    simulation: SimulationConfig = field(default_factory=SimulationConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    name: str = "default"


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------
def _require(cond: bool, key: str, allowed: str, value: Any) -> None:
    if not cond:
        raise ConfigError(f"{key}={value!r} is not allowed: {allowed}")


def _positive(obj, key_prefix: str, names: tuple[str, ...], strict=True) -> None:
    for name in names:
        value = getattr(obj, name)
        ok = value > 0 if strict else value >= 0
        _require(ok, f"{key_prefix}.{name}", "must be > 0" if strict else "must be >= 0", value)


def _unit_interval(obj, key_prefix: str, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(obj, name)
        _require(0.0 <= value <= 1.0, f"{key_prefix}.{name}", "must be in [0, 1]", value)


def validate(cfg: FearsimConfig) -> FearsimConfig:
    """Check ranges and protocol consistency; raise ConfigError naming the key."""
    net = cfg.network
    _require(0 < net.scale <= 8, "network.scale", "must be in (0, 8]", net.scale)
    _require(net.wiring_seed >= 0, "network.wiring_seed", "must be >= 0", net.wiring_seed)
    _require(net.background_rate_Hz >= 0, "network.background_rate_Hz", "must be >= 0",
             net.background_rate_Hz)
    _require(len(net.populations) > 0, "network.populations", "at least one population", {})
    for name, pop in net.populations.items():
        key = f"network.populations.{name}"
        _require(pop.kind in CELL_KINDS, f"{key}.kind", f"one of {CELL_KINDS}", pop.kind)
        _require(pop.n >= 1, f"{key}.n", "must be >= 1", pop.n)
        _positive(pop, key, ("C_pF", "gL_nS", "tau_adapt_ms"))
        _positive(pop, key, ("tref_ms", "bg_w_nS", "nmda_scale", "b_adapt_pA",
                             "a_adapt_nS"), strict=False)
        _positive(pop, key, ("plasticity_base", "shock_current_pA"), strict=False)
        _require(pop.plasticity_base + min(pop.shock_gain, 0.0) >= 0, f"{key}.shock_gain",
                 f"must be >= -plasticity_base ({-pop.plasticity_base}) so learning rates "
                 "stay >= 0", pop.shock_gain)
        _require(0.0 <= pop.consolidation_nmda <= 1.0, f"{key}.consolidation_nmda",
                 "must be in [0, 1]", pop.consolidation_nmda)
        _require(pop.Vr_mV < pop.Vt_mV, f"{key}.Vr_mV", f"must be below Vt_mV={pop.Vt_mV}",
                 pop.Vr_mV)
    for name, inp in net.inputs.items():
        key = f"network.inputs.{name}"
        _require(name in INPUT_SOURCES, key, f"input names are {INPUT_SOURCES}", name)
        _require(inp.n >= 1, f"{key}.n", "must be >= 1", inp.n)
        _positive(inp, key, ("base_rate_Hz", "on_rate_Hz"), strict=False)
        _unit_interval(inp, key, ("depression_U",))
        _positive(inp, key, ("depression_tau_s", "depression_recovery_tau_h"))
    sources = set(net.populations) | set(net.inputs)
    for name, prj in net.projections.items():
        key = f"network.projections.{name}"
        _require(prj.pre in sources, f"{key}.pre", f"one of {sorted(sources)}", prj.pre)
        _require(prj.post in net.populations, f"{key}.post",
                 f"one of {sorted(net.populations)}", prj.post)
        _require(prj.receptor in RECEPTORS, f"{key}.receptor", f"one of {RECEPTORS}",
                 prj.receptor)
        _require(0.0 < prj.p <= 1.0, f"{key}.p", "must be in (0, 1]", prj.p)
        _positive(prj, key, ("w_ampa_nS", "w_nmda_nS", "w_gaba_nS"), strict=False)
        _unit_interval(prj, key, ("rho_init", "w_min_frac"))
        _require(not (prj.plastic and prj.receptor != "exc"), f"{key}.plastic",
                 "only excitatory (NMDA) projections can be plastic", prj.plastic)
        _require(not (prj.plastic and prj.pre not in net.inputs), f"{key}.plastic",
                 f"plastic projections start at an input ({sorted(net.inputs)})", prj.plastic)

    syn = cfg.synapses
    _positive(syn, "synapses", ("tau_ampa_ms", "tau_nmda_decay_ms", "tau_gaba_ms"))
    _positive(syn, "synapses", ("Mg_mM", "delay_ms"), strict=False)

    pl = cfg.plasticity
    _positive(pl, "plasticity", ("tau_ca_ms", "theta_d", "theta_p", "tau_rho_s", "tau_glu_ms",
                                 "tau_early_h", "consolidation_dt_min"))
    _positive(pl, "plasticity", ("gamma_d", "gamma_p", "C_pre", "C_post", "learning_rate",
                                 "capture_rate_per_h", "protein_learning_gain"), strict=False)
    _positive(pl, "plasticity", ("shock_tau_min",))
    _unit_interval(pl, "plasticity", ("shock_per_us",))
    _require(pl.theta_p > pl.theta_d, "plasticity.theta_p",
             f"must exceed plasticity.theta_d={pl.theta_d}", pl.theta_p)

    pr = cfg.protocol
    _positive(pr, "protocol", ("trial_s", "cs_s"))
    _positive(pr, "protocol", ("us_s", "cs_onset_s"), strict=False)
    _require(pr.cs_onset_s + pr.cs_s <= pr.trial_s, "protocol.cs_s",
             f"CS (onset {pr.cs_onset_s} s + {pr.cs_s} s) must end within protocol.trial_s="
             f"{pr.trial_s}", pr.cs_s)
    _require(pr.us_s <= pr.cs_s, "protocol.us_s",
             f"the US overlaps the end of the CS and must be <= protocol.cs_s={pr.cs_s}", pr.us_s)
    _require(len(pr.sessions) > 0, "protocol.sessions", "at least one session", [])
    for i, s in enumerate(pr.sessions):
        key = f"protocol.sessions[{i}]"
        _require(s.phase in PHASES, f"{key}.phase", f"one of {PHASES}", s.phase)
        _require(s.context in CONTEXTS, f"{key}.context", f"one of {CONTEXTS}", s.context)
        _require(s.n_trials >= 1, f"{key}.n_trials", "must be >= 1", s.n_trials)
        _require(s.interval_before_h >= 0, f"{key}.interval_before_h", "must be >= 0",
                 s.interval_before_h)
        _require(s.real_duration_min > 0, f"{key}.real_duration_min", "must be > 0",
                 s.real_duration_min)
        _require(not (s.us and s.phase != "conditioning"), f"{key}.us",
                 "a US is only delivered in conditioning sessions", s.us)
    phases = [s.phase for s in pr.sessions]
    for later, earlier in (("extinction", "conditioning"), ("recall", "extinction"),
                           ("renewal", "conditioning")):
        if later in phases:
            _require(earlier in phases and phases.index(earlier) < phases.index(later),
                     "protocol.sessions", f"a {later} session needs an earlier {earlier} session",
                     phases)
    blk = pr.block
    _unit_interval(blk, "protocol.block", ("occupancy",))
    regions = {p.region for p in net.populations.values()}
    for r in blk.regions:
        _require(r == "all" or r in regions, "protocol.block.regions",
                 f"'all' or regions {sorted(regions)}", blk.regions)
    for k in blk.cell_kinds:
        _require(k in ("all",) + CELL_KINDS, "protocol.block.cell_kinds",
                 f"'all' or {CELL_KINDS}", blk.cell_kinds)
    for si in blk.sessions:
        _require(0 <= si < len(pr.sessions), "protocol.block.sessions",
                 f"session indices 0..{len(pr.sessions) - 1}", blk.sessions)
    _require(blk.after_h >= 0, "protocol.block.after_h", "must be >= 0", blk.after_h)

    _require(pr.tail_h >= 0, "protocol.tail_h", "must be >= 0", pr.tail_h)

    sg = cfg.synaptogenesis
    pops = set(net.populations)
    for name, cp in sg.pathways.items():
        key = f"synaptogenesis.pathways.{name}"
        _require(cp.pre in pops, f"{key}.pre", f"one of {sorted(pops)}", cp.pre)
        _require(cp.post in pops, f"{key}.post", f"one of {sorted(pops)}", cp.post)
        _require(0 < cp.p <= 1, f"{key}.p", "must be in (0, 1]", cp.p)
        _positive(cp, key, ("w_ampa_nS", "w_nmda_nS"), strict=False)
    _positive(sg, "synaptogenesis", ("tau_pool_h", "tau_bdnf_h", "tau_desens_h", "tau_mtor_h", "tau_suppression_h",
                                     "tau_protein_h", "tau_translation_h", "activity_tau_s", "activity_relax_h", "spine_dt_h",
                                     "activity_ref"))
    _positive(sg, "synaptogenesis", ("k_translation", "k_suppression", "k_desens", "k_release", "burst_exponent",
                                     "k_protein", "formation_per_day", "elimination_per_day",
                                     "gate_max"), strict=False)
    _unit_interval(sg, "synaptogenesis", ("rho_new", "rho_stable"))
    _require(sg.rho_stable > sg.rho_new, "synaptogenesis.rho_stable",
             f"must exceed synaptogenesis.rho_new={sg.rho_new}", sg.rho_stable)

    for i, m in enumerate(cfg.manipulations):
        key = f"manipulations[{i}]"
        _require(m.kind in MANIPULATION_KINDS, f"{key}.kind", f"one of {MANIPULATION_KINDS}",
                 m.kind)
        _require(m.epoch in EPOCHS, f"{key}.epoch", f"one of {EPOCHS}", m.epoch)
        allowed = pops if m.kind in ("silence", "stimulate") else regions
        what = "populations" if m.kind in ("silence", "stimulate") else "regions"
        _require(len(m.targets) > 0 and all(t in allowed for t in m.targets),
                 f"{key}.targets", f"one or more {what} of {sorted(allowed)}", m.targets)
        _require(len(m.sessions) > 0 and all(0 <= k < len(pr.sessions) for k in m.sessions),
                 f"{key}.sessions", f"session indices 0..{len(pr.sessions) - 1}", m.sessions)
        _require(m.amplitude_pA >= 0, f"{key}.amplitude_pA", "must be >= 0", m.amplitude_pA)
        _require(m.duration_h > 0, f"{key}.duration_h", "must be > 0", m.duration_h)
        if m.kind in ("rapamycin", "trkb_block"):
            _require(0 <= m.level <= 1, f"{key}.level", "a block fraction in [0, 1]", m.level)
        else:
            _require(m.level >= 0, f"{key}.level", "must be >= 0", m.level)

    try:
        validate_pharmacology(cfg.pharmacology, len(pr.sessions), sorted(regions))
    except PharmacologyError as exc:
        raise ConfigError(str(exc)) from exc

    ro = cfg.readout
    _require(ro.freezing_population in net.populations, "readout.freezing_population",
             f"one of {sorted(net.populations)}", ro.freezing_population)
    _positive(ro, "readout", ("freezing_slope_Hz", "burst_isi_ms", "weight_dt_s",
                              "rate_ceiling_Hz"))
    _require(ro.weight_samples >= 1, "readout.weight_samples", "must be >= 1", ro.weight_samples)

    sim = cfg.simulation
    _require(sim.device in DEVICES, "simulation.device", f"one of {DEVICES}", sim.device)
    _require(0 < sim.dt_ms <= 1.0, "simulation.dt_ms", "must be in (0, 1] ms", sim.dt_ms)
    _require(sim.seed >= 0, "simulation.seed", "must be >= 0", sim.seed)
    _require(sim.threads >= 1, "simulation.threads", "must be >= 1", sim.threads)
    return cfg
