"""How many infusions does a month-long benefit need? A prediction
(docs/experiments.md, section 9).
"""

from __future__ import annotations

from experiments.analysis.design import BETWEEN
from experiments.figures import core, fig_clinical_trial, fig_cohort
from experiments.figures.core import Group

NAME = "course_length"
DESIGN = BETWEEN
EXPERIMENT = fig_clinical_trial.EXPERIMENT
SIX, TWELVE = fig_clinical_trial.DRUG, "ketamine x12"
# the twelve-infusion course: each of the trial's three weekly infusions given
# four weeks instead of two (repeat_count 3: three further weekly repeats)
REPEATS = 3
PRIMARY = 5  # session index of the primary outcome, 24 h after the last infusion


def twelve_sessions(sessions: list[dict]) -> list[dict]:
    """The trial's sessions with the primary outcome moved two weeks later, so that it
    stays 24 h after the last of the longer course's infusions."""
    out = [dict(s) for s in sessions]
    weeks = REPEATS - fig_clinical_trial_repeat_count()
    out[PRIMARY]["interval_before_h"] = round(out[PRIMARY]["interval_before_h"] + 168.0 * weeks, 5)
    return out


def fig_clinical_trial_repeat_count() -> int:
    doses = core.experiment_config(EXPERIMENT)["pharmacology"]["doses"]
    counts = {d["repeat_count"] for d in doses}
    assert len(counts) == 1, counts
    return counts.pop()


def groups(quick: bool) -> list[Group]:
    base = [f"experiment={EXPERIMENT}", f"phenotype={fig_clinical_trial.PATIENT_PHENOTYPE}"]
    sessions = (fig_clinical_trial.quick_sessions(EXPERIMENT) if quick
                else core.experiment_config(EXPERIMENT)["protocol"]["sessions"])
    quick_rest = list(fig_clinical_trial.fig_control.QUICK[1:]) if quick else []
    n_doses = len(core.experiment_config(EXPERIMENT)["pharmacology"]["doses"])
    arms = {SIX: base + ([core.sessions_override(sessions)] if quick else []) + quick_rest,
            TWELVE: base + [core.sessions_override(twelve_sessions(sessions))]
            + [f"pharmacology.doses.{k}.repeat_count={REPEATS}" for k in range(n_doses)]
            + quick_rest}
    return [Group(lab, ov, per_subject=lambda seed, ov=ov: fig_cohort.jitter_overrides(ov, seed))
            for lab, ov in arms.items()]


def n_seeds(quick: bool) -> int:
    return 3 if quick else 16
