"""How many infusions does a month-long benefit need? A prediction
(docs/experiments.md, section 9).

The patients and the design are those of the virtual trial
(experiments/figures/fig_clinical_trial.py, ``experiment=ketamine_infusion_trial``):
chronic-stress circuits with per-subject heterogeneity, a baseline test, 0.5 mg/kg
i.v. infusions on Monday, Wednesday and Friday with assessments and no
psychotherapy, the primary outcome 24 h after the last infusion and follow-ups
7, 14, 28 and 56 days after it. One group gets the trial's six infusions over
two weeks, two others twelve over four weeks (the same three weekly infusions,
repeated for two more weeks; the primary outcome moves with the last one):
one with only the trial's assessments, one with a visit (the same
assessment) in each added week, as a trial would see its patients weekly.
Responders, time to loss of response and their tests are the trial figure's.
Nobody has measured this: the figure has no targets. It prints, as
predictions for each pair of courses, their responders and median time to
loss, the number still responding at each follow-up, Fisher's test
(two-sided) of the responder fractions and the log-rank test of the
Kaplan-Meier curves.
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
           "with the trial's assessments only or with a visit in each added week; responders "
           "by >= 30% below each patient's own baseline and Kaplan-Meier time to loss of "
           "response. A prediction without targets.")
DESIGN = BETWEEN  # different patients per course, as a trial would randomise them

EXPERIMENT = fig_clinical_trial.EXPERIMENT
SIX, TWELVE = fig_clinical_trial.DRUG, "ketamine x12"
# the longer course with a visit in each added week, as a trial would assess its
# patients weekly: each visit is the trial's assessment, a day after the week's
# last infusion
TWELVE_VISITS = "ketamine x12, weekly visits"
# the longer course: each of the trial's weekly infusions repeated this many more
# times (the trial's own courses repeat each once: six infusions)
TWELVE_REPEATS = 3
PRIMARY_OUTCOME = 5  # the trial's session index of the primary outcome


def course(sessions: list[dict], doses: list[dict], repeats: int, visits: bool) -> list[str]:
    """Overrides for the trial with each weekly infusion given ``repeats`` more times.
    The primary outcome stays 24 h after the last infusion (the follow-ups count
    from it): it moves by the added weeks, or, with ``visits``, each added week
    gets a copy of the trial's last assessment before it, a week after the one
    before."""
    added_weeks = {repeats - d["repeat_count"] for d in doses}
    if len(added_weeks) != 1:
        raise ValueError(f"{EXPERIMENT}: its infusions need one repeat count")
    added_weeks = added_weeks.pop()
    week_h = {d["repeat_every_h"] for d in doses}
    if len(week_h) != 1:
        raise ValueError(f"{EXPERIMENT}: its infusions need one repeat interval")
    week_h = week_h.pop()
    out = [dict(s) for s in sessions]
    if visits:
        last = out[PRIMARY_OUTCOME - 1]
        visit = dict(last, interval_before_h=round(week_h - last["real_duration_min"] / 60.0, 5))
        out = out[:PRIMARY_OUTCOME] + [dict(visit) for _ in range(added_weeks)] \
            + out[PRIMARY_OUTCOME:]
    else:
        out[PRIMARY_OUTCOME]["interval_before_h"] = round(
            out[PRIMARY_OUTCOME]["interval_before_h"] + week_h * added_weeks, 5)
    return [core.sessions_override(out)] + [
        f"pharmacology.doses.{k}.repeat_count={repeats}" for k in range(len(doses))]


def groups(quick: bool) -> list[Group]:
    cfg = core.experiment_config(EXPERIMENT)
    sessions = (fig_clinical_trial.quick_sessions(EXPERIMENT) if quick
                else cfg["protocol"]["sessions"])
    base = [f"experiment={EXPERIMENT}", f"phenotype={fig_clinical_trial.PATIENT_PHENOTYPE}"]
    rest = list(fig_control.QUICK[1:]) if quick else []
    arms = {SIX: base + fig_clinical_trial.sessions(quick, EXPERIMENT),
            TWELVE: base + course(sessions, cfg["pharmacology"]["doses"], TWELVE_REPEATS, False)
            + rest,
            TWELVE_VISITS: base + course(sessions, cfg["pharmacology"]["doses"], TWELVE_REPEATS,
                                         True) + rest}
    return [Group(lab, ov, per_subject=lambda seed, ov=ov: fig_cohort.jitter_overrides(ov, seed))
            for lab, ov in arms.items()]


def n_seeds(quick: bool) -> int:
    return 3 if quick else 16


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    # the weekly visits add trials: their freezing per trial is kept on its own axis
    return fig_clinical_trial.analyse(
        data, prefix_of=lambda label, runs: "visits" if label == TWELVE_VISITS else "")


def _days(x: float) -> str:
    return "n/a" if np.isnan(x) else ("not reached" if np.isinf(x) else f"{x:.0f} d")


# the comparisons the figure predicts: (course, the course it is compared with)
PAIRS = ((TWELVE, SIX), (TWELVE_VISITS, SIX), (TWELVE_VISITS, TWELVE))


def compare_courses(data: xr.Dataset, a: str, b: str) -> list[core.Prediction]:
    """Course ``a`` against ``b``: responders (two-sided Fisher) and their time to
    loss of response (log-rank), with each course's median and the responders
    still responding at each follow-up."""
    resp = {g: stats.clean(core.values(data.responder, g)) > 0.5 for g in (a, b)}
    surv = {g: fig_clinical_trial.responders_of(data, g) for g in (a, b)}
    days = data.follow_up_day.values
    (ka, na), (kb, nb) = ((int(resp[g].sum()), len(resp[g])) for g in (a, b))
    fractions = core.Prediction.of(f"responders, {a} vs {b}", f"{ka}/{na} vs {kb}/{nb}",
                                   stats.fisher(ka, na, kb, nb))
    med = {g: clinical.median_survival(*surv[g]) if len(surv[g][0]) else float("nan")
           for g in (a, b)}

    def still(g):
        # responders still responding at each follow-up (their last day counted while censored)
        t, e = surv[g]
        return [int(((t > d) | ((t >= d) & ~e)).sum()) for d in days]

    counts = "; ".join(f"{d:.0f} d {x}/{y}" for d, x, y in zip(days, still(a), still(b),
                                                                strict=True))
    (ta, ea), (tb, eb) = surv[a], surv[b]
    chi2, p, o_minus_e = (clinical.logrank_test(ta, ea, tb, eb) if len(ta) and len(tb)
                          else (float("nan"),) * 3)
    durability = core.Prediction(
        f"time to loss of response, {a} vs {b} responders",
        f"median {_days(med[a])} vs {_days(med[b])}; still responding ({a}/{b}) {counts}",
        f"log-rank chi2={chi2:.2f}" if np.isfinite(chi2) else "log-rank", p,
        f"observed - expected losses on {a} {o_minus_e:+.1f}",
        f"n={len(ta)}/{len(tb)} responders")
    return [fractions, durability]


def predictions(data: xr.Dataset) -> list[core.Prediction]:
    present = set(data.group.values.tolist())
    return [q for a, b in PAIRS if {a, b} <= present for q in compare_courses(data, a, b)]


def checks(data: xr.Dataset) -> list[core.Check]:
    """A prediction has no targets: nothing to pass or fail beyond valid runs."""
    return []


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 2.9),
                             gridspec_kw={"width_ratios": [1.8, 1.1, 1.3]})
    arms = [g for g in (SIX, TWELVE, TWELVE_VISITS) if g in data.group.values.tolist()]
    fig_clinical_trial.course_panel(axes[0], data, arms, "A",
                                    "baseline, assessments (A), follow-ups")
    ax = axes[1]
    fig_clinical_trial.responder_bars(ax, data, arms)
    ax.set_xticks(range(len(arms)))
    ax.set_xticklabels([core.SHORT.get(g, g) for g in arms], fontsize=6)
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
