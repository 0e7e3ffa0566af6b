"""Readout section: freezing, recordings, the runaway ceiling (configs/readout/)."""

from __future__ import annotations

from dataclasses import dataclass

from .checks import positive, require


@dataclass
class ReadoutConfig:
    freezing_population: str
    # freezing = 100 / (1 + exp(-(r - r50)/slope)), r the population's rate in the CS window
    freezing_r50_Hz: float
    freezing_slope_Hz: float
    window_exclude_us: bool  # CS window ends where the US starts
    burst_isi_ms: float
    # plastic synapses sampled per pathway, on average: weight_samples x pathways
    # in all, spread evenly over the plastic synapses (a pathway gets its share)
    weight_samples: int
    weight_dt_s: float
    record_spikes: bool
    rate_ceiling_Hz: float  # a population mean above this = runaway


def validate_readout(ro: ReadoutConfig, populations) -> None:
    require(ro.freezing_population in populations, "readout.freezing_population",
            f"one of {sorted(populations)}", ro.freezing_population)
    positive(ro, "readout", ("freezing_slope_Hz", "burst_isi_ms", "weight_dt_s",
                             "rate_ceiling_Hz"))
    require(ro.weight_samples >= 1, "readout.weight_samples", "must be >= 1", ro.weight_samples)
