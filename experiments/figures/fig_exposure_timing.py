"""When should exposure therapy come after a ketamine infusion? A prediction
(docs/experiments.md, section 9).

Each patient is the chronic-stress circuit with its own values of the cohort
figure's jittered parameters (as in experiments/figures/fig_clinical_trial.py),
conditioned, tested 7 days later (the baseline) and given one exposure session
(20 CS alone over 90 min in the clinic, context B) 7 days after the baseline,
with recall tests 1, 7 and 28 days after the exposure
(``experiment=single_infusion_exposure``). One 0.5 mg/kg i.v. infusion over
40 min (human PK) is placed during the exposure, or ending 2 h, 1 day or
6 days before it; saline gets the same sessions. Nobody has measured this in
patients: the figure has no targets. It prints, as predictions, each timing's
recall against saline's and against the 1-day timing's (Welch's t-test,
Holm-corrected within the figure), at each recall test.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from experiments.analysis import metrics
from experiments.analysis import statistics as stats
from experiments.analysis.design import BETWEEN
from experiments.figures import core, fig_clinical_trial, fig_cohort, fig_control
from experiments.figures.core import Group

NAME = "exposure_timing"
TITLE = ("Prediction: one ketamine infusion and one exposure session in virtual patients, "
         "by the time between them")
CITATION = ("docs/experiments.md, section 9 (predictions); Feder et al. 2014 JAMA Psychiatry "
            "(0.5 mg/kg over 40 min); Foa, Hembree & Rothbaum 2007 (90-min exposure)")
SUMMARY = ("Chronic-stress virtual patients with per-subject heterogeneity: one 90-min "
           "exposure session and one 0.5 mg/kg i.v. infusion during it, or ending 2 h, 1 day "
           "or 6 days before it, or saline; recall 1, 7 and 28 days after the exposure. "
           "A prediction without targets.")
DESIGN = BETWEEN  # different patients per timing, as a trial would randomise them

EXPERIMENT = "single_infusion_exposure"
SALINE = "saline"
# group label -> start of the infusion in hours from the start of the exposure
# (the infusion lasts 40 min: -2.66667 ends it 2 h before the exposure)
TIMINGS = {"infusion during exposure": 0.0, "exposure 2 h after": -2.66667,
           "exposure 1 d after": -24.66667, "exposure 6 d after": -144.66667}
# the rodent timing (docs/experiments.md, section 3) and the experiment's default
REFERENCE = "exposure 1 d after"
BASELINE, EXPOSURE = 2, 3   # session indices
RECALL_PHASE = "recall"


def sessions(quick: bool) -> list[str]:
    if not quick:
        return []
    return ([core.sessions_override(fig_clinical_trial.quick_sessions(EXPERIMENT))]
            + list(fig_control.QUICK[1:]))


def groups(quick: bool) -> list[Group]:
    base = [f"experiment={EXPERIMENT}", f"phenotype={fig_clinical_trial.PATIENT_PHENOTYPE}"]
    base += sessions(quick)
    arms = {SALINE: base + ["pharmacology.doses=[]"]}
    arms.update({lab: base + [f"pharmacology.doses.0.offset_h={h}"]
                 for lab, h in TIMINGS.items()})
    return [Group(lab, ov, per_subject=lambda seed, ov=ov: fig_cohort.jitter_overrides(ov, seed))
            for lab, ov in arms.items()]


def n_seeds(quick: bool) -> int:
    return 2 if quick else 8
