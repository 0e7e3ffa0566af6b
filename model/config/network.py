"""Network section: populations, inputs and projections (configs/network/)."""

from __future__ import annotations

from dataclasses import dataclass

from .checks import nonnegative, one_of, positive, require, unit_interval

CELL_KINDS = ("E", "I")
RECEPTORS = ("exc", "inh")
INPUT_SOURCES = ("CS", "US", "ctx_A", "ctx_B", "ctx_C")


@dataclass
class PopulationConfig:
    """One population; a field an entry does not set takes the value below."""

    region: str
    kind: str  # E: excitatory/principal, I: GABAergic
    n: int  # size at scale 1
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
    # plasticity_base + shock_gain * shock trace (>= 0); a population may set
    # shock_gain > 0 for shocks to enable its plasticity, or < 0 for shocks
    # to suppress it
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
    # prediction-error gains of plastic synapses onto this population
    # (plasticity.error_signal; model/teacher.py): positive error (a shock
    # more than predicted) teaches fear, negative (an omitted shock) extinction
    positive_error_gain: float = 0.0
    negative_error_gain: float = 0.0
    # consolidated changes of plastic synapses onto this population relax to
    # their initial efficacy with this time constant (days); 0: kept for ever
    consolidated_decay_days: float = 0.0
    # tonic NMDA-receptor conductance (ambient glutamate), blocked like the
    # synaptic NMDA current (model/disinhibition.py)
    tonic_nmda_nS: float = 0.0


@dataclass
class InputConfig:
    """One Poisson input; a field an entry does not set takes the value below."""

    n: int
    base_rate_Hz: float = 2.0
    on_rate_Hz: float = 40.0
    # presynaptic resource depression (NMDA-independent CS habituation);
    # U = 0 disables it
    depression_U: float = 0.0
    depression_tau_s: float = 60.0  # recovery within a session (simulated time)
    depression_recovery_tau_h: float = 1.0  # recovery during intervals
    # > 0: recovery on the real (protocol) clock with this time constant, in
    # sessions and intervals alike; depression_tau_s and
    # depression_recovery_tau_h are then not used
    depression_recovery_real_min: float = 0.0


@dataclass
class ProjectionConfig:
    """One projection; a field an entry does not set takes the value below."""

    pre: str
    post: str
    p: float  # connection probability
    receptor: str = "exc"  # exc: AMPA + NMDA, inh: GABA_A
    w_ampa_nS: float = 1.0
    w_nmda_nS: float = 0.0
    w_gaba_nS: float = 0.0
    plastic: bool = False
    rho_init: float = 0.5  # initial efficacy of plastic synapses (0..1)
    w_min_frac: float = 0.0  # weight = w * (w_min_frac + (1 - w_min_frac) * rho)


@dataclass
class NetworkConfig:
    scale: float
    # where the candidate-synapse sites of synaptogenesis lie (structural: a new
    # build per value); the projections are drawn per subject from simulation.seed
    wiring_seed: int
    background_rate_Hz: float  # summed Poisson background to every neuron
    populations: dict[str, PopulationConfig]
    inputs: dict[str, InputConfig]
    projections: dict[str, ProjectionConfig]
    # the fraction of the CS+ input neurons that a CS- tone also drives (shared
    # tone afferents, model/cs_minus.py); read only by a protocol with CS- trials
    cs_minus_overlap: float = 0.5


def validate_network(net: NetworkConfig) -> None:
    require(0 < net.scale <= 8, "network.scale", "must be in (0, 8]", net.scale)
    require(net.wiring_seed >= 0, "network.wiring_seed", "must be >= 0", net.wiring_seed)
    nonnegative(net, "network", ("background_rate_Hz",))
    require(len(net.populations) > 0, "network.populations", "at least one population", {})
    for name, pop in net.populations.items():
        _validate_population(f"network.populations.{name}", pop)
    for name, inp in net.inputs.items():
        key = f"network.inputs.{name}"
        require(name in INPUT_SOURCES, key, f"input names are {INPUT_SOURCES}", name)
        require(inp.n >= 1, f"{key}.n", "must be >= 1", inp.n)
        nonnegative(inp, key, ("base_rate_Hz", "on_rate_Hz"))
        unit_interval(inp, key, ("depression_U",))
        positive(inp, key, ("depression_tau_s", "depression_recovery_tau_h"))
        nonnegative(inp, key, ("depression_recovery_real_min",))
    for name, prj in net.projections.items():
        _validate_projection(f"network.projections.{name}", prj, net)
    require(0.0 <= net.cs_minus_overlap < 1.0, "network.cs_minus_overlap",
            "must be in [0, 1) (at 1 the CS- would be the CS+ itself)", net.cs_minus_overlap)


def _validate_population(key: str, pop: PopulationConfig) -> None:
    one_of(pop.kind, f"{key}.kind", CELL_KINDS)
    require(pop.n >= 1, f"{key}.n", "must be >= 1", pop.n)
    positive(pop, key, ("C_pF", "gL_nS", "tau_adapt_ms"))
    nonnegative(pop, key, ("tref_ms", "bg_w_nS", "nmda_scale", "b_adapt_pA", "a_adapt_nS",
                           "plasticity_base", "shock_current_pA", "positive_error_gain",
                           "negative_error_gain", "consolidated_decay_days", "tonic_nmda_nS"))
    require(pop.plasticity_base + min(pop.shock_gain, 0.0) >= 0, f"{key}.shock_gain",
            f"must be >= -plasticity_base ({-pop.plasticity_base}) so learning rates "
            "stay >= 0", pop.shock_gain)
    unit_interval(pop, key, ("consolidation_nmda",))
    require(pop.Vr_mV < pop.Vt_mV, f"{key}.Vr_mV", f"must be below Vt_mV={pop.Vt_mV}",
            pop.Vr_mV)


def _validate_projection(key: str, prj: ProjectionConfig, net: NetworkConfig) -> None:
    sources = set(net.populations) | set(net.inputs)
    require(prj.pre in sources, f"{key}.pre", f"one of {sorted(sources)}", prj.pre)
    require(prj.post in net.populations, f"{key}.post", f"one of {sorted(net.populations)}",
            prj.post)
    one_of(prj.receptor, f"{key}.receptor", RECEPTORS)
    require(0.0 < prj.p <= 1.0, f"{key}.p", "must be in (0, 1]", prj.p)
    nonnegative(prj, key, ("w_ampa_nS", "w_nmda_nS", "w_gaba_nS"))
    unit_interval(prj, key, ("rho_init", "w_min_frac"))
    require(not (prj.plastic and prj.receptor != "exc"), f"{key}.plastic",
            "only excitatory (NMDA) projections can be plastic", prj.plastic)
    require(not (prj.plastic and prj.pre not in net.inputs), f"{key}.plastic",
            f"plastic projections start at an input ({sorted(net.inputs)})", prj.plastic)
