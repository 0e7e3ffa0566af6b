"""Plasticity section: the NMDA-calcium rule and consolidation (configs/plasticity/)."""

from __future__ import annotations

from dataclasses import dataclass

from .checks import nonnegative, positive, require, unit_interval


@dataclass
class PlasticityConfig:
    enabled: bool
    tau_ca_ms: float
    theta_d: float
    theta_p: float
    gamma_d: float
    gamma_p: float
    tau_rho_s: float
    # NMDA calcium amplitudes (calcium enters through NMDARs only)
    C_pre: float  # per presynaptic spike, times Mg-unblock at the post voltage / B(-50 mV)
    C_post: float  # per postsynaptic spike, times glutamate-bound NMDAR trace
    tau_glu_ms: float  # glutamate-bound NMDAR trace (NMDA decay)
    learning_rate: float  # scales gamma_p and gamma_d together
    # synaptic proteins gate NMDA-dependent potentiation: gamma_p onto a neuron
    # is times 1 + protein_learning_gain*(protein - 1); depression is not gated
    protein_learning_gain: float
    # consolidation (intervals): synaptic tagging and capture
    tau_early_h: float  # unconsolidated change decays back
    capture_rate_per_h: float  # capture of tagged change when NMDA is free
    # shock-evoked neuromodulatory trace (model/protocol.py shock_trace)
    shock_tau_min: float
    shock_per_us: float
    consolidation_dt_min: float  # step of the slow clock


def validate_plasticity(pl: PlasticityConfig) -> None:
    positive(pl, "plasticity", ("tau_ca_ms", "theta_d", "theta_p", "tau_rho_s", "tau_glu_ms",
                                "tau_early_h", "consolidation_dt_min", "shock_tau_min"))
    nonnegative(pl, "plasticity", ("gamma_d", "gamma_p", "C_pre", "C_post", "learning_rate",
                                   "capture_rate_per_h", "protein_learning_gain"))
    unit_interval(pl, "plasticity", ("shock_per_us",))
    require(pl.theta_p > pl.theta_d, "plasticity.theta_p",
            f"must exceed plasticity.theta_d={pl.theta_d}", pl.theta_p)
