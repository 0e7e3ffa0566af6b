"""Synaptogenesis section: the BDNF -> mTORC1 -> protein chain and candidate
synapses (configs/synaptogenesis/; model/synaptogenesis.py)."""

from __future__ import annotations

from dataclasses import dataclass

from .checks import nonnegative, positive, require, unit_interval


@dataclass
class CandidatePathwayConfig:
    """Candidate synapses of one pathway; unset fields take the values below."""

    pre: str
    post: str
    p: float  # candidate in-degree = p x N_pre at scale 1
    w_ampa_nS: float = 0.5
    w_nmda_nS: float = 0.1


@dataclass
class SynaptogenesisConfig:
    enabled: bool
    pathways: dict[str, CandidatePathwayConfig]
    k_translation: float
    k_suppression: float
    k_desens: float
    tau_suppression_h: float
    k_release: float
    burst_exponent: float
    # the disinhibition burst from the circuit's measured response to the block
    # (model/disinhibition.py) instead of occ_I * (1 - occ_E)**burst_exponent
    burst_from_circuit: bool
    k_protein: float
    tau_pool_h: float
    tau_bdnf_h: float
    tau_desens_h: float
    tau_mtor_h: float
    tau_protein_h: float
    tau_translation_h: float
    formation_per_day: float
    elimination_per_day: float
    rho_new: float  # efficacy of a newly formed synapse
    rho_fully_stable: float  # efficacy at which a new synapse is no longer eliminated
    activity_ref: float  # Hz, postsynaptic rate at which the gate is 1
    activity_tau_s: float
    activity_relax_h: float
    gate_max: float
    spine_dt_h: float  # sampling of spine counts


def validate_synaptogenesis(sg: SynaptogenesisConfig, populations) -> None:
    pops = set(populations)
    for name, cp in sg.pathways.items():
        key = f"synaptogenesis.pathways.{name}"
        require(cp.pre in pops, f"{key}.pre", f"one of {sorted(pops)}", cp.pre)
        require(cp.post in pops, f"{key}.post", f"one of {sorted(pops)}", cp.post)
        require(0 < cp.p <= 1, f"{key}.p", "must be in (0, 1]", cp.p)
        nonnegative(cp, key, ("w_ampa_nS", "w_nmda_nS"))
    positive(sg, "synaptogenesis", (
        "tau_pool_h", "tau_bdnf_h", "tau_desens_h", "tau_mtor_h", "tau_suppression_h",
        "tau_protein_h", "tau_translation_h", "activity_tau_s", "activity_relax_h",
        "spine_dt_h", "activity_ref"))
    nonnegative(sg, "synaptogenesis", (
        "k_translation", "k_suppression", "k_desens", "k_release", "burst_exponent",
        "k_protein", "formation_per_day", "elimination_per_day", "gate_max"))
    unit_interval(sg, "synaptogenesis", ("rho_new", "rho_fully_stable"))
    require(sg.rho_fully_stable > sg.rho_new, "synaptogenesis.rho_fully_stable",
            f"must exceed synaptogenesis.rho_new={sg.rho_new}", sg.rho_fully_stable)
