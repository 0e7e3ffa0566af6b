"""How many infusions does a month-long benefit need? A prediction
(docs/experiments.md, section 9).

The patients and the design are those of the virtual trial
(experiments/figures/fig_clinical_trial.py, ``experiment=ketamine_infusion_trial``):
chronic-stress circuits with per-subject heterogeneity, a baseline test, 0.5 mg/kg
i.v. infusions on Monday, Wednesday and Friday with assessments and no
psychotherapy, the primary outcome 24 h after the last infusion and follow-ups
7, 14, 28 and 56 days after it. One group gets the trial's six infusions over
two weeks, the other twelve over four weeks (the same three weekly infusions,
repeated for two more weeks; the primary outcome moves with the last one).
Responders, time to loss of response and their tests are the trial figure's.
Nobody has measured this: the figure has no targets. It prints, as
predictions, each course's responders and median time to loss, the number
still responding at each follow-up, Fisher's test (two-sided) of the responder
fractions and the log-rank test of the two Kaplan-Meier curves.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from experiments.analysis import clinical
from experiments.analysis import statistics as stats
from experiments.analysis.design import BETWEEN
from experiments.figures import core, fig_clinical_trial, fig_cohort, fig_control
from experiments.figures.core import Group

NAME = "course_length"
TITLE = "Prediction: six or twelve ketamine infusions in virtual patients, responders and durability"
CITATION = ("docs/experiments.md, section 9 (predictions); Feder et al. 2021 Am J Psychiatry "
            "(six infusions over two weeks)")
SUMMARY = ("Chronic-stress virtual patients with per-subject heterogeneity, in the design of "
           "the virtual trial: six 0.5 mg/kg i.v. infusions over two weeks or twelve over four, "
           "with assessments only; responders by >= 30% below each patient's own baseline and "
           "Kaplan-Meier time to loss of response. A prediction without targets.")
DESIGN = BETWEEN  # different patients per course, as a trial would randomise them

EXPERIMENT = fig_clinical_trial.EXPERIMENT
SIX, TWELVE = fig_clinical_trial.DRUG, "ketamine x12"
# the longer course: each of the trial's weekly infusions repeated this many more
# times (the trial's own courses repeat each once: six infusions)
TWELVE_REPEATS = 3
PRIMARY_OUTCOME = 5  # session index of the primary outcome, 24 h after the last infusion


def course(sessions: list[dict], doses: list[dict], repeats: int) -> list[str]:
    """Overrides for the trial with each weekly infusion given ``repeats`` more times:
    the primary outcome moves by the added weeks, so it stays 24 h after the last
    infusion (the follow-ups count from it)."""
    added_weeks = {repeats - d["repeat_count"] for d in doses}
    if len(added_weeks) != 1:
        raise ValueError(f"{EXPERIMENT}: its infusions need one repeat count")
    out = [dict(s) for s in sessions]
    week_h = {d["repeat_every_h"] for d in doses}.pop()
    out[PRIMARY_OUTCOME]["interval_before_h"] = round(
        out[PRIMARY_OUTCOME]["interval_before_h"] + week_h * added_weeks.pop(), 5)
    return [core.sessions_override(out)] + [
        f"pharmacology.doses.{k}.repeat_count={repeats}" for k in range(len(doses))]


def groups(quick: bool) -> list[Group]:
    cfg = core.experiment_config(EXPERIMENT)
    sessions = (fig_clinical_trial.quick_sessions(EXPERIMENT) if quick
                else cfg["protocol"]["sessions"])
    base = [f"experiment={EXPERIMENT}", f"phenotype={fig_clinical_trial.PATIENT_PHENOTYPE}"]
    rest = list(fig_control.QUICK[1:]) if quick else []
    arms = {SIX: base + fig_clinical_trial.sessions(quick, EXPERIMENT),
            TWELVE: base + course(sessions, cfg["pharmacology"]["doses"], TWELVE_REPEATS) + rest}
    return [Group(lab, ov, per_subject=lambda seed, ov=ov: fig_cohort.jitter_overrides(ov, seed))
            for lab, ov in arms.items()]


def n_seeds(quick: bool) -> int:
    return 3 if quick else 16


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    return fig_clinical_trial.analyse(data)


def _days(x: float) -> str:
    return "n/a" if np.isnan(x) else ("not reached" if np.isinf(x) else f"{x:.0f} d")


def predictions(data: xr.Dataset) -> list[core.Prediction]:
    present = data.group.values.tolist()
    if not {SIX, TWELVE} <= set(present):
        return []
    resp = {g: stats.clean(core.values(data.responder, g)) > 0.5 for g in (SIX, TWELVE)}
    surv = {g: fig_clinical_trial.responders_of(data, g) for g in (SIX, TWELVE)}
    days = data.follow_up_day.values
    out = []
    k12, n12, k6, n6 = (int(resp[TWELVE].sum()), len(resp[TWELVE]), int(resp[SIX].sum()),
                        len(resp[SIX]))
    out.append(core.Prediction.of(
        f"responders, {TWELVE} vs {SIX}", f"{k12}/{n12} vs {k6}/{n6}",
        stats.fisher(k12, n12, k6, n6)))
    med = {g: clinical.median_survival(*surv[g]) if len(surv[g][0]) else float("nan")
           for g in (SIX, TWELVE)}

    def still(g):
        # responders still responding at each follow-up (their last day counted while censored)
        t, e = surv[g]
        return [int(((t > d) | ((t >= d) & ~e)).sum()) for d in days]

    counts = "; ".join(f"{d:.0f} d {a}/{b}" for d, a, b in zip(days, still(TWELVE), still(SIX),
                                                                strict=True))
    (t12, e12), (t6, e6) = surv[TWELVE], surv[SIX]
    chi2, p, o_minus_e = (clinical.logrank_test(t12, e12, t6, e6) if len(t12) and len(t6)
                          else (float("nan"),) * 3)
    out.append(core.Prediction(
        f"time to loss of response, {TWELVE} vs {SIX} responders",
        f"median {_days(med[TWELVE])} vs {_days(med[SIX])}; still responding ({TWELVE}/{SIX}) "
        f"{counts}", f"log-rank chi2={chi2:.2f}" if np.isfinite(chi2) else "log-rank", p,
        f"observed - expected losses on {TWELVE} {o_minus_e:+.1f}",
        f"n={len(t12)}/{len(t6)} responders"))
    return out


def checks(data: xr.Dataset) -> list[core.Check]:
    """A prediction has no targets: nothing to pass or fail beyond valid runs."""
    return []


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 3, figsize=(10.0, 2.9),
                             gridspec_kw={"width_ratios": [1.8, 0.9, 1.3]})
    arms = [g for g in (SIX, TWELVE) if g in data.group.values.tolist()]
    fig_clinical_trial.course_panel(axes[0], data, arms, "A",
                                    "baseline, assessments (A), follow-ups")
    ax = axes[1]
    fig_clinical_trial.responder_bars(ax, data, arms)
    ax.set_xticks(range(len(arms)))
    ax.set_xticklabels(arms, fontsize=6)
    ax.set_ylim(0, 105)
    ax.set_ylabel("responders (%)")
    ax.set_title("responders", loc="left")
    ax = axes[2]
    fig_clinical_trial.survival_panel(ax, data, arms)
    ax.set_xlabel("days after the last infusion")
    ax.legend(fontsize=6)
    ax.set_title("Kaplan-Meier, responders", loc="left")
    fig.suptitle(TITLE, fontsize=8)
    return fig
