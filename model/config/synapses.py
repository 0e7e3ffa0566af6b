"""Synapses section: reversal potentials, time constants, Mg2+ (configs/synapses/)."""

from __future__ import annotations

from dataclasses import dataclass

from .checks import nonnegative, positive


@dataclass
class SynapsesConfig:
    E_ampa_mV: float
    E_nmda_mV: float
    E_gaba_mV: float
    tau_ampa_ms: float
    tau_nmda_decay_ms: float
    tau_gaba_ms: float
    Mg_mM: float
    delay_ms: float


def validate_synapses(syn: SynapsesConfig) -> None:
    positive(syn, "synapses", ("tau_ampa_ms", "tau_nmda_decay_ms", "tau_gaba_ms"))
    nonnegative(syn, "synapses", ("Mg_mM", "delay_ms"))
