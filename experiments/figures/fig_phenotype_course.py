"""Which phenotype benefits most from a course of ketamine? A prediction
(docs/experiments.md, section 9).

Virtual patients of each phenotype (``phenotype=healthy``, ``chronic_stress``,
``val66met``: section 9), each patient with its own values of the cohort
figure's jittered parameters (experiments/figures/fig_cohort.py), go through the
virtual trial's design (experiments/figures/fig_clinical_trial.py,
``experiment=ketamine_infusion_trial``): conditioning, a baseline test 7 days
later, six 0.5 mg/kg i.v. infusions over two weeks or saline at the same times,
with the trial's assessments and no psychotherapy, the primary outcome 24 h
after the last infusion and follow-ups 7, 14, 28 and 56 days after it.
Responders and time to loss of response are read as in the trial.

Nobody has measured this in PTSD: the figure has no targets. It prints, as
predictions, for each phenotype ketamine against saline (responders, Fisher
two-sided; the improvement from baseline to the primary outcome, Welch), and
for each pair of phenotypes their ketamine responders (Fisher), the benefit
(ketamine's improvement minus saline's) of one against the other's (a Welch
contrast of the four groups' means) and the ketamine responders' time to loss
of response (log-rank), Holm-corrected within the figure.
"""

from __future__ import annotations

from itertools import combinations

import xarray as xr

from experiments.analysis import statistics as stats
from experiments.analysis.design import BETWEEN
from experiments.figures import core, fig_clinical_trial, fig_cohort, fig_course_length
from experiments.figures.core import Group

NAME = "phenotype_course"
TITLE = ("Prediction: six ketamine infusions in virtual patients of each phenotype, "
         "responders, benefit and durability")
CITATION = ("docs/experiments.md, section 9 (predictions); Feder et al. 2021 Am J Psychiatry "
            "(the trial's design)")
SUMMARY = ("Healthy, chronic-stress and Val66Met virtual patients with per-subject "
           "heterogeneity in the virtual trial's design: six 0.5 mg/kg i.v. infusions over "
           "two weeks or saline; responders by >= 30% below each patient's own baseline, "
           "the benefit over saline per phenotype and Kaplan-Meier time to loss of response. "
           "A prediction without targets.")
DESIGN = BETWEEN  # different patients per group, as a trial would randomise them

EXPERIMENT = fig_clinical_trial.EXPERIMENT
# phenotype (config group value) -> its label in the figure
PHENOTYPES = {"healthy": "healthy", "chronic_stress": "chronic stress", "val66met": "Val66Met"}
SALINE, DRUG = "saline x6", "ketamine x6"


def label(phenotype: str, arm: str) -> str:
    return f"{PHENOTYPES[phenotype]}, {arm}"


def groups(quick: bool) -> list[Group]:
    arms = {}
    for phenotype in PHENOTYPES:
        base = ([f"experiment={EXPERIMENT}", f"phenotype={phenotype}"]
                + fig_clinical_trial.sessions(quick, EXPERIMENT))
        arms[label(phenotype, SALINE)] = base + ["pharmacology.doses=[]"]
        arms[label(phenotype, DRUG)] = base
    return [Group(lab, ov, per_subject=lambda seed, ov=ov: fig_cohort.jitter_overrides(ov, seed))
            for lab, ov in arms.items()]


def n_seeds(quick: bool) -> int:
    return 3 if quick else 16


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    out = fig_clinical_trial.analyse(data)
    # the trial's responder measure as a number: % below the patient's own baseline
    out["improvement"] = 100.0 * (1.0 - out.follow_up.isel(follow_up_day=0) / out.baseline)
    out["improvement"].attrs.update(units="%", long_name="primary outcome: % below the "
                                    "patient's own baseline")
    return out


def _present(data: xr.Dataset) -> list[str]:
    """The phenotypes with both arms in the data."""
    groups = set(data.group.values.tolist())
    return [p for p in PHENOTYPES if {label(p, SALINE), label(p, DRUG)} <= groups]


def _benefit(data: xr.Dataset, phenotype: str) -> float:
    return (stats.mean(core.values(data.improvement, label(phenotype, DRUG)))
            - stats.mean(core.values(data.improvement, label(phenotype, SALINE))))


def _responders(data: xr.Dataset, group: str) -> tuple[int, int]:
    r = stats.clean(core.values(data.responder, group)) > 0.5
    return int(r.sum()), len(r)


def predictions(data: xr.Dataset) -> list[core.Prediction]:
    """Per phenotype ketamine against saline; per pair of phenotypes their
    ketamine responders, their benefits over saline and their durability."""
    out = []
    present = _present(data)
    for p in present:
        drug, saline = label(p, DRUG), label(p, SALINE)
        (kd, nd), (ks, ns) = _responders(data, drug), _responders(data, saline)
        out.append(core.Prediction.of(f"responders, {drug} vs {saline}",
                                      f"{kd}/{nd} vs {ks}/{ns}", stats.fisher(kd, nd, ks, ns)))
        a, b = core.values(data.improvement, drug), core.values(data.improvement, saline)
        c = stats.welch(a, b)
        out.append(core.Prediction.of(
            f"improvement from baseline, {drug} vs {saline}",
            f"{stats.fmt_ms(a)} vs {stats.fmt_ms(b)} ({c.diff:+.1f} points)", c))
    for p, q in combinations(present, 2):
        c = stats.welch_interaction(*(core.values(data.improvement, label(x, arm))
                                      for x in (p, q) for arm in (DRUG, SALINE)))
        out.append(core.Prediction.of(
            f"benefit over saline (improvement, ketamine - saline), {PHENOTYPES[p]} vs "
            f"{PHENOTYPES[q]}",
            f"{_benefit(data, p):+.1f} vs {_benefit(data, q):+.1f} points", c))
        out += fig_course_length.compare_courses(data, label(p, DRUG), label(q, DRUG))
    return out


def checks(data: xr.Dataset) -> list[core.Check]:
    """A prediction has no targets: nothing to pass or fail beyond valid runs."""
    return []


def plot(data: xr.Dataset):
    plt = core.use_style()
    present = _present(data)
    fig, axes = plt.subplots(1, len(present) + 2, figsize=(3.0 * len(present) + 5.0, 2.9),
                             squeeze=False)
    axes = axes[0]
    for ax, p in zip(axes, present, strict=False):
        fig_clinical_trial.course_panel(ax, data, [label(p, SALINE), label(p, DRUG)], "A",
                                        PHENOTYPES[p])
    arms = [label(p, arm) for p in present for arm in (SALINE, DRUG)]
    ax = axes[len(present)]
    fig_clinical_trial.responder_bars(ax, data, arms)
    ax.set_xticks(range(len(arms)))
    ax.set_xticklabels(arms, fontsize=5, rotation=35, ha="right")
    ax.set_ylim(0, 105)
    ax.set_ylabel("responders (%)")
    ax.set_title("responders", loc="left")
    ax = axes[len(present) + 1]
    fig_clinical_trial.survival_panel(ax, data, [label(p, DRUG) for p in present])
    ax.set_xlabel("days after the last infusion")
    ax.legend(fontsize=6)
    ax.set_title("Kaplan-Meier, ketamine responders", loc="left")
    fig.suptitle(TITLE, fontsize=8)
    return fig
