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
    # prediction-error teaching signal (model/teacher.py): off, learning rates
    # come from plasticity_base and the shock trace alone
    error_signal: bool
    error_output_population: str  # the fear output the shock is predicted from
    prediction_rate_none_Hz: float  # output rate in the tone window predicting no shock
    prediction_rate_full_Hz: float  # ... predicting the shock fully
    eligibility_tau_s: float  # decay of the eligibility trace the error converts


def validate_plasticity(pl: PlasticityConfig, populations) -> None:
    positive(pl, "plasticity", ("tau_ca_ms", "theta_d", "theta_p", "tau_rho_s", "tau_glu_ms",
                                "tau_early_h", "consolidation_dt_min", "shock_tau_min",
                                "eligibility_tau_s"))
    nonnegative(pl, "plasticity", ("gamma_d", "gamma_p", "C_pre", "C_post", "learning_rate",
                                   "capture_rate_per_h", "protein_learning_gain"))
    unit_interval(pl, "plasticity", ("shock_per_us",))
    require(pl.theta_p > pl.theta_d, "plasticity.theta_p",
            f"must exceed plasticity.theta_d={pl.theta_d}", pl.theta_p)
    require(pl.error_output_population in populations, "plasticity.error_output_population",
            f"one of {sorted(populations)}", pl.error_output_population)
    nonnegative(pl, "plasticity", ("prediction_rate_none_Hz",))
    require(pl.prediction_rate_full_Hz > pl.prediction_rate_none_Hz,
            "plasticity.prediction_rate_full_Hz",
            f"must exceed plasticity.prediction_rate_none_Hz={pl.prediction_rate_none_Hz}",
            pl.prediction_rate_full_Hz)
