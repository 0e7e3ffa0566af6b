"""Phenotype section: a condition of the virtual animal or patient
(configs/phenotype/; the mechanisms are applied by model/phenotypes.py)."""

from __future__ import annotations

from dataclasses import dataclass

from .checks import require


@dataclass
class PhenotypeConfig:
    """Structural and molecular changes a condition brings, each a factor on
    a quantity the circuit already has (1 = unchanged).

    name: the phenotype's label (healthy, chronic_stress, val66met, ...).
    excitatory_input_scale: population -> factor on the AMPA and NMDA weights
        of every excitatory projection onto it (fewer or more synapses per
        cell: dendritic retraction or hypertrophy, spine loss or gain).
    bdnf_release_factor: factor on the activity-dependent BDNF release of the
        synaptogenesis chain (synaptogenesis.k_release).
    """

    name: str
    excitatory_input_scale: dict[str, float]
    bdnf_release_factor: float


def validate_phenotype(ph: PhenotypeConfig, populations) -> None:
    require(bool(str(ph.name).strip()), "phenotype.name", "a non-empty label", ph.name)
    for pop, factor in ph.excitatory_input_scale.items():
        key = f"phenotype.excitatory_input_scale.{pop}"
        require(pop in populations, key, f"populations from {sorted(populations)}", factor)
        require(factor > 0, key, "must be > 0 (1 = unchanged)", factor)
    require(ph.bdnf_release_factor >= 0, "phenotype.bdnf_release_factor",
            "must be >= 0 (1 = unchanged)", ph.bdnf_release_factor)
