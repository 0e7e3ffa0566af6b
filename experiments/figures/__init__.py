"""One figure per experiment of docs/experiments.md, each with its expected patterns.

``fearsim-figure NAME|all [--quick] [--seeds N] [--jobs K] [--design D]`` (see
:mod:`experiments.cli.figure`). Every module ``fig_*`` declares its groups
(config overrides) x subjects, its analysis, its figure and its checks (see
:mod:`.core`). ``validation`` holds the held-out experiments (section 10).
"""

from __future__ import annotations

import importlib

MODULES = ["fig_control", "fig_nmda_block", "fig_ketamine_timing", "fig_spines",
           "fig_dose_response", "fig_repeated_dosing", "fig_cohort", "fig_phenotypes", "fig_clinical_trial",
           "fig_exposure_timing", "fig_course_length", "fig_phenotype_course", "fig_fragility", "fig_validation"]
HELD_OUT = ("validation",)


def modules() -> list:
    return [importlib.import_module(f"experiments.figures.{m}") for m in MODULES]


def by_name() -> dict:
    return {m.NAME: m for m in modules()}
