"""Phenotypes: conditions that change the circuit before it is built.

Each phenotype is a set of mechanisms on quantities the model already has
(configs/phenotype/*.yaml, with the source of every value; docs/experiments.md,
section 9):

* dendritic remodelling and spine loss or gain change how many excitatory
  synapses a principal cell receives: ``excitatory_input_scale`` multiplies the
  AMPA and NMDA weights of every excitatory projection onto a population. Many
  synapses of fixed strength and fewer ones carry the same mean drive per
  cell when scaled together, and a weight is a run-time value, so a phenotype
  needs no new build. Candidate synapses (the spines the BDNF chain can form)
  are left as they are: they are what ketamine adds;
* the BDNF Val66Met variant lowers activity-dependent BDNF release:
  ``bdnf_release_factor`` multiplies the chain's release constant
  (``synaptogenesis.k_release``, model/synaptogenesis.py).

``phenotype=healthy`` changes nothing: :func:`apply` then returns the config
itself, so a healthy run is value for value the run without phenotypes.
"""

from __future__ import annotations

import copy

from .config import FearsimConfig


def is_identity(cfg: FearsimConfig) -> bool:
    """True when the phenotype changes no value."""
    ph = cfg.phenotype
    return (all(f == 1.0 for f in ph.excitatory_input_scale.values())
            and ph.bdnf_release_factor == 1.0)


def apply(cfg: FearsimConfig) -> FearsimConfig:
    """The config with its phenotype's mechanisms applied (a copy; ``cfg``
    itself when the phenotype changes nothing)."""
    if is_identity(cfg):
        return cfg
    out = copy.deepcopy(cfg)
    ph = out.phenotype
    for prj in out.network.projections.values():
        factor = ph.excitatory_input_scale.get(prj.post, 1.0)
        if prj.receptor == "exc" and factor != 1.0:
            prj.w_ampa_nS *= factor
            prj.w_nmda_nS *= factor
    out.synaptogenesis.k_release *= ph.bdnf_release_factor
    return out
