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
from experiments.figures import core, fig_clinical_trial, fig_cohort
from experiments.figures.core import Group
from experiments.io import yaml_text

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


def groups(quick: bool) -> list[Group]:
    base = [f"experiment={EXPERIMENT}", f"phenotype={fig_clinical_trial.PATIENT_PHENOTYPE}"]
    base += fig_clinical_trial.sessions(quick, EXPERIMENT)
    arms = {SALINE: base + ["pharmacology.doses=[]"]}
    arms.update({lab: base + [f"pharmacology.doses.0.offset_h={h}"]
                 for lab, h in TIMINGS.items()})
    return [Group(lab, ov, per_subject=lambda seed, ov=ov: fig_cohort.jitter_overrides(ov, seed))
            for lab, ov in arms.items()]


def n_seeds(quick: bool) -> int:
    return 2 if quick else 8


def infusion_to_exposure_h(ds: xr.Dataset) -> float:
    """Hours from the end of the run's infusion to the start of its exposure (NaN
    without a dose), read from the run's own config."""
    doses = yaml_text.load(ds.attrs["config_yaml"])["pharmacology"]["doses"]
    if not doses:
        return float("nan")
    (dose,) = doses
    if int(dose["session"]) != EXPOSURE:
        raise ValueError(f"{NAME}: the infusion's offset must count from the exposure session "
                         f"(session {EXPOSURE}), not session {dose['session']}")
    return -float(dose["offset_h"]) - float(dose["infusion_min"]) / 60.0


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    firsts = [v[0] for v in data.values() if v]
    # the exposure is the treatment: the trial figure's follow-up days count from its end
    days = fig_clinical_trial.follow_up_days(firsts[0])
    out = xr.Dataset({"freezing": core.stack_trials(data)})
    out["seed"] = core.seeds_of(data)
    out["baseline"] = core.per_subject(data, lambda d: metrics.session_value(d, BASELINE))
    out["exposure_first"] = core.per_subject(
        data, lambda d: metrics.session_value(d, EXPOSURE, "first"))
    out["exposure_last"] = core.per_subject(
        data, lambda d: metrics.session_value(d, EXPOSURE, "last"))
    out["recall"] = core.per_subject_vector(
        data, lambda d: fig_clinical_trial.session_means(d, fig_clinical_trial.FOLLOW_UP_PHASE), "recall_day",
        np.round(days, 3))
    for v in ("baseline", "exposure_first", "exposure_last", "recall"):
        out[v].attrs["units"] = "%"
    out["infusion_to_exposure_h"] = ("group", [
        infusion_to_exposure_h(data[g][0]) if data.get(g) else np.nan
        for g in out.group.values.tolist()], {
        "units": "h", "long_name": "from the end of the infusion to the start of the exposure "
                                   "(negative: the exposure starts during the infusion)"})
    return out


def _days(d: float) -> str:
    return f"{d:.0f} d"


def predictions(data: xr.Dataset) -> list[core.Prediction]:
    """Each timing's recall against saline's, and against the reference timing's."""
    out = []
    present = data.group.values.tolist()
    for day in data.recall_day.values:
        r = data.recall.sel(recall_day=day)
        sal = core.values(r, SALINE) if SALINE in present else np.array([])
        ref = core.values(r, REFERENCE) if REFERENCE in present else np.array([])
        for g in (t for t in TIMINGS if t in present):
            a = core.values(r, g)
            pairs = [(SALINE, sal)] + ([(REFERENCE, ref)] if g != REFERENCE else [])
            for name, b in pairs:
                c = stats.welch(a, b)
                out.append(core.Prediction.of(
                    f"recall {_days(day)} after the exposure, {g} vs {name}",
                    f"{stats.fmt_ms(a)} vs {stats.fmt_ms(b)} ({c.diff:+.1f} points)", c))
    return out


def checks(data: xr.Dataset) -> list[core.Check]:
    """A prediction has no targets: nothing to pass or fail beyond valid runs."""
    return []


def _shade(test: int, n_tests: int) -> float:
    """Later recall tests drawn darker."""
    return 0.35 + 0.65 * (test + 1) / n_tests


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 3, figsize=(11.0, 3.0),
                             gridspec_kw={"width_ratios": [1.8, 1.2, 1.2]})
    present = data.group.values.tolist()
    colours = {g: core.colour(g) for g in present}
    stacked = data.freezing
    ax = axes[0]
    core.trial_panel(ax, stacked, groups=present)
    ax.set_title("baseline, exposure, recall tests (trials)", loc="left")
    ax = axes[1]
    days = data.recall_day.values
    for g in present:
        y = np.column_stack([core.values(data.baseline, g),
                             data.recall.sel(group=g).values])
        y = y[np.isfinite(y).all(axis=1)]
        m = y.mean(0) if len(y) else np.full(1 + len(days), np.nan)
        s = y.std(0, ddof=1) / np.sqrt(len(y)) if len(y) > 1 else 0 * m
        ax.errorbar(np.arange(1 + len(days)), m, yerr=s, fmt="o-", ms=3, capsize=2,
                    color=colours[g], label=g)
    ax.set_xticks(range(1 + len(days)))
    ax.set_xticklabels(["base"] + [_days(d) for d in days])
    ax.set_xlabel("days after the exposure")
    ax.set_ylabel("freezing (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=6, loc="lower right")
    ax.set_title("recall after the exposure", loc="left")
    ax = axes[2]
    timings = [g for g in TIMINGS if g in present]
    width = 0.8 / max(len(days), 1)
    for j, day in enumerate(days):
        r = data.recall.sel(recall_day=day)
        sal = stats.mean(core.values(r, SALINE)) if SALINE in present else np.nan
        for k, g in enumerate(timings):
            m, s = stats.mean_sem(core.values(r, g))
            ax.bar(k + (j - (len(days) - 1) / 2) * width, m - sal, width, yerr=s,
                   color=colours[g], alpha=_shade(j, len(days)), capsize=1.5)
        # the legend's swatches: each test's shade, in grey
        ax.bar(0, 0, 0, color="#404040", alpha=_shade(j, len(days)), label=_days(day))
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(range(len(timings)))
    ax.set_xticklabels([core.SHORT.get(g, g) for g in timings], rotation=25, ha="right")
    ax.set_ylabel("recall - saline's (points)")
    ax.legend(fontsize=6, title="after exposure", title_fontsize=6)
    ax.set_title("by timing (bars: 1, 7, 28 d)", loc="left")
    fig.suptitle(TITLE, fontsize=8)
    return fig
