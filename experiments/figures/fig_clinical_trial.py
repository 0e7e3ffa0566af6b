"""A virtual clinical trial of repeated ketamine, and ketamine-assisted exposure,
in virtual patients (docs/experiments.md, section 9, targets 9.5 and 9.6).

Each patient is the chronic-stress circuit (``phenotype=chronic_stress``:
PTSD patients stand for the stress phenotype here) with its own values of
the cohort figure's jittered parameters (lognormal, per subject:
experiments/figures/fig_cohort.py), conditioned and tested 7 days later (the
pre-treatment baseline).

The trial arms (target 9.5) follow the design of Feder et al. 2021 (Am J
Psychiatry): six 0.5 mg/kg i.v. infusions over two weeks (human PK) or
saline, with assessments and no psychotherapy (``experiment=ketamine_infusion_trial``):
short CS-alone tests a day after the first and the third infusion, the primary
outcome a day after the sixth, and follow-ups 7, 14, 28 and 56 days after it.
A patient responds when its freezing at the primary outcome is at least 30%
below its own baseline (the trial's CAPS-5 criterion), and loses the response
at the first follow-up where it no longer is (experiments/analysis/clinical.py).
The responder fractions are compared by Fisher's exact test and the
responders' time to loss of response by Kaplan-Meier curves and the
log-rank test, reported beside the trial's 67% vs 20% responders and its
27.5-day median duration of response; nothing was tuned to them.

Two more arms pair the same course with exposure therapy, each infusion 24 h
before an exposure session, follow-ups 1-56 days after the last exposure
(``experiment=ketamine_assisted_exposure``; saline with the same sessions): the
model's prediction for ketamine-assisted exposure, read the same way, without
a target.

The dissociation proxy (target 9.6) comes from three more groups of the same
patients, probed at rest through one infusion of saline, 0.5 or 1.0 mg/kg
(``experiment=dissociation_probe``): the IL/PL principal rate and the 30-80 Hz
power of their population rate in each probe, each over its pre-infusion probe
(experiments/analysis/dissociation.py).
"""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

import numpy as np
import xarray as xr

from experiments.analysis import clinical, dissociation, metrics
from experiments.analysis import statistics as stats
from experiments.analysis.design import BETWEEN
from experiments.analysis.targets import TARGETS
from experiments.figures import core, fig_cohort, fig_control
from experiments.figures.core import Check, Group
from experiments.io import yaml_text
from model.pharmacology.occupancy import dose_times
from model.pharmacology.schema import DoseConfig

NAME = "clinical_trial"
TITLE = ("Virtual patients: six ketamine infusions vs saline, alone and with exposure "
         "therapy; responders, durability, dissociation")
CITATION = ("docs/experiments.md, section 9; Feder et al. 2021 Am J Psychiatry (67% vs 20% "
            "responders, median duration of response 27.5 days); Feder et al. 2014 JAMA "
            "Psychiatry (0.5 mg/kg over 40 min)")
SUMMARY = ("Chronic-stress virtual patients with per-subject heterogeneity: six ketamine "
           "0.5 mg/kg i.v. infusions (or saline) with assessments only, as in the trial, "
           "and the same course with an exposure session 24 h after each infusion; "
           "responders by >= 30% below each patient's own baseline, Fisher's test, and "
           "Kaplan-Meier time to loss of response with the log-rank test.")
DESIGN = BETWEEN  # a randomised trial: different patients per arm

# the trial (target 9.5): the design of Feder et al. 2021, infusions and assessments
SALINE, DRUG = "saline x6", "ketamine x6"
EXPERIMENT = "ketamine_infusion_trial"
# the same patients' treatment paired with exposure therapy (a prediction, no target)
EXPOSURE_SALINE, EXPOSURE_DRUG = "exposure + saline x6", "exposure + ketamine x6"
EXPOSURE_EXPERIMENT = "ketamine_assisted_exposure"
ARMS = {SALINE: (EXPERIMENT, False), DRUG: (EXPERIMENT, True),
        EXPOSURE_SALINE: (EXPOSURE_EXPERIMENT, False), EXPOSURE_DRUG: (EXPOSURE_EXPERIMENT, True)}
PATIENT_PHENOTYPE = "chronic_stress"
BASELINE = 2                     # session index of the pre-treatment test (both designs)
TREATMENT_PHASE = "extinction"   # CS-alone sessions between baseline and the follow-ups
FOLLOW_UP_PHASE = "recall"       # the follow-up tests, the first one the primary outcome
THRESHOLD = TARGETS["9.5"].fraction
# Feder et al. 2021, reported beside the model's numbers (not targets to tune to)
TRIAL_RESPONDERS = (0.67, 0.20)
TRIAL_MEDIAN_DAYS = 27.5
# quick mode: the experiment's sessions with fewer trials (the real durations
# and intervals, and so the slow dynamics, unchanged)
QUICK_TRIALS = {"habituation": 2, "conditioning": 4, "extinction": 4, "recall": 2,
                "renewal": 2}
QUICK_BASELINE_TRIALS = 2
# quick mode: each probe of the dissociation probe 2 trials instead of 5 (the
# probe times unchanged)
QUICK_PROBE_TRIALS = 2
# the dissociation probe (target 9.6): group label -> dose (mg/kg i.v. over 40 min)
PROBES = {"probe saline": 0.0, "probe 0.5 mg/kg": 0.5, "probe 1.0 mg/kg": 1.0}
PROBE_EXPERIMENT = "dissociation_probe"
INFUSION_MIN = 40.0
# probes of experiment=dissociation_probe (minutes from the start of the infusion,
# read from its sessions in probe_minutes): the end of the infusion, 2 h after it
END_PROBE_MIN, LATE_PROBE_MIN = 40.0, 160.0
# the probe's peak counts as near the end of the infusion at these probes (min)
PEAK_PROBES_MIN = (30.0, 40.0)
PROBE_COLOURS = dict(zip(PROBES, ("#404040", "#2166ac", "#b2182b"), strict=True))
# The figure's group order gives each group its subjects (a between-subject
# design: group k gets seeds 10000 + 1000 k on): the exposure arms and the probes
# keep the subjects they were first run with, the trial arms come after them.
GROUP_ORDER = (EXPOSURE_SALINE, EXPOSURE_DRUG, *PROBES, SALINE, DRUG)


def quick_sessions(experiment: str) -> list[dict]:
    """The experiment's sessions with the trials of quick mode (durations and
    intervals unchanged)."""
    return [dict(s, n_trials=QUICK_BASELINE_TRIALS if k == BASELINE else QUICK_TRIALS[s["phase"]])
            for k, s in enumerate(core.experiment_config(experiment)["protocol"]["sessions"])]


def sessions(quick: bool, experiment: str) -> list[str]:
    if not quick:
        return []
    return [core.sessions_override(quick_sessions(experiment))] + list(fig_control.QUICK[1:])


def groups(quick: bool) -> list[Group]:
    arms = {}
    for label, (experiment, drug) in ARMS.items():
        arms[label] = ([f"experiment={experiment}", f"phenotype={PATIENT_PHENOTYPE}"]
                       + sessions(quick, experiment) + ([] if drug else ["pharmacology.doses=[]"]))
    probe = [f"experiment={PROBE_EXPERIMENT}", f"phenotype={PATIENT_PHENOTYPE}"]
    if quick:
        probe += [core.sessions_override([dict(s, n_trials=QUICK_PROBE_TRIALS)
                                          for s in core.experiment_config(PROBE_EXPERIMENT)["protocol"]["sessions"]])]
        probe += list(fig_control.QUICK[1:])
    for label, dose in PROBES.items():
        arms[label] = probe + (["pharmacology.doses=[]"] if dose == 0 else
                               [f"pharmacology.doses.0.dose_mg_per_kg={dose}"])
    return [Group(lab, arms[lab], per_subject=lambda seed, ov=arms[lab]:
                  fig_cohort.jitter_overrides(ov, seed)) for lab in GROUP_ORDER]


def n_seeds(quick: bool) -> int:
    return 3 if quick else 16


def treatment_sessions(ds: xr.Dataset) -> np.ndarray:
    """CS-alone sessions after the baseline and before the first follow-up: the
    exposure sessions, or the trial's assessments during the course."""
    phases = ds.session_phase.values.astype(str)
    first_follow_up = int(np.flatnonzero(phases == FOLLOW_UP_PHASE)[0])
    k = np.arange(BASELINE + 1, first_follow_up)
    return k[phases[k] == TREATMENT_PHASE]


def treatment_end_h(ds: xr.Dataset) -> float:
    """End of treatment in protocol hours: the end of the last treatment session
    or of the last infusion of the arm's course, whichever is later. The course
    is the run's own; a saline arm (no doses) takes its experiment's course, so
    it ends where its drug arm does: its placebo is given at the same times."""
    cfg = yaml_text.load(ds.attrs["config_yaml"])
    starts = ds.session_time_h.values
    ends = [float(starts[k]) + float(cfg["protocol"]["sessions"][k]["real_duration_min"]) / 60.0
            for k in treatment_sessions(ds)]
    doses = cfg["pharmacology"]["doses"] or core.experiment_config(cfg["name"])["pharmacology"]["doses"]
    course = [DoseConfig(**d) for d in doses]
    for dose, times in zip(course, dose_times(SimpleNamespace(doses=course), starts), strict=True):
        infusion_h = dose.infusion_min / 60.0 if dose.route == "iv_infusion" else 0.0
        ends += [t + infusion_h for t in times]
    return max(ends)


def follow_up_days(ds: xr.Dataset) -> np.ndarray:
    """Days from the end of treatment (:func:`treatment_end_h`) to each follow-up test."""
    phases = ds.session_phase.values.astype(str)
    follow = np.flatnonzero(phases == FOLLOW_UP_PHASE)
    return (ds.session_time_h.values[follow] - treatment_end_h(ds)) / 24.0


def session_means(ds: xr.Dataset, phase: str) -> np.ndarray:
    """Mean freezing of each session of ``phase``, in protocol order."""
    sess = np.flatnonzero(ds.session_phase.values.astype(str) == phase)
    return np.array([metrics.session_value(ds, int(k)) for k in sess])


@lru_cache(maxsize=1)
def probe_minutes() -> np.ndarray:
    """Start of each probe, in minutes from the start of the infusion."""
    cfg = core.experiment_config(PROBE_EXPERIMENT)
    start_h, t = float(cfg["pharmacology"]["doses"][0]["offset_h"]), 0.0
    out = []
    for s in cfg["protocol"]["sessions"]:
        t += s["interval_before_h"]
        out.append(round((t - start_h) * 60.0, 1))
        t += s["real_duration_min"] / 60.0
    return np.array(out)


def probe_course(ds: xr.Dataset) -> np.ndarray:
    """(2, probes): principal rate and 30-80 Hz power, each / the pre-infusion probe."""
    tc = dissociation.probe_time_course(ds.attrs["run_path"])
    return np.array([tc.disinhibition_index.values, tc.gamma_ratio.values])


def analyse_probes(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    probes = {k: v for k, v in data.items() if k in PROBES}
    if not any(probes.values()):
        return xr.Dataset()
    minutes = probe_minutes()
    course = core.per_subject_vector(probes, lambda d: probe_course(d).ravel(), "k",
                                     np.arange(2 * len(minutes)))
    values = course.values.reshape(course.shape[0], course.shape[1], 2, len(minutes))
    dims = ("probe_group", "probe_subject", "probe_minutes")
    coords = {"probe_group": list(probes), "probe_minutes": minutes,
              "probe_dose_mg_per_kg": ("probe_group", [PROBES[g] for g in probes])}
    return xr.Dataset(
        {"probe_rate_index": (dims, values[:, :, 0], {
            "units": "1", "long_name": "IL/PL principal rate / pre-infusion probe"}),
         "probe_gamma_ratio": (dims, values[:, :, 1], {
             "units": "1", "long_name": "30-80 Hz power / pre-infusion probe"})},
        coords=coords)


def experiment_of(runs: list[xr.Dataset]) -> str:
    return str(yaml_text.load(runs[0].attrs["config_yaml"])["name"]) if runs else ""


def design_prefix(label: str, runs: list[xr.Dataset]) -> str:
    """The figure's two designs: the trial's arms and the exposure-paired arms."""
    return {EXPERIMENT: "", EXPOSURE_EXPERIMENT: "exposure"}[experiment_of(runs)]


def trial_freezing(data: dict[str, list[xr.Dataset]], prefix_of=design_prefix) -> xr.Dataset:
    """Freezing per trial, one variable per design (their protocols differ):
    ``freezing`` for the arms whose ``prefix_of(label, runs)`` is "", and
    ``<prefix>_freezing`` (dimension ``<prefix>_trial``) for the others (here
    ``exposure_freezing`` for the exposure-paired arms)."""
    designs: dict[str, dict] = {}
    for label, runs in data.items():
        if runs:
            designs.setdefault(prefix_of(label, runs), {})[label] = runs
    parts = []
    for prefix, arms in designs.items():
        da = core.stack_trials(arms)
        if prefix:
            dim = f"{prefix}_trial"
            da = da.rename({"trial": dim, "phase": f"{dim}_phase",
                            "session_of_trial": f"{dim}_session", "context": f"{dim}_context"})
        parts.append(da.rename(f"{prefix}_freezing" if prefix else "freezing"))
    return xr.merge(parts, join="outer", compat="no_conflicts", combine_attrs="drop")


def analyse(data: dict[str, list[xr.Dataset]], prefix_of=design_prefix) -> xr.Dataset:
    """The figure's data; ``prefix_of`` tells the arms' designs apart
    (:func:`trial_freezing`)."""
    probes = analyse_probes(data)
    data = {k: v for k, v in data.items() if k not in PROBES}
    firsts = [v[0] for v in data.values() if v]
    days = follow_up_days(firsts[0])
    for ds in firsts[1:]:
        if not np.allclose(follow_up_days(ds), days, atol=1e-3):
            raise ValueError("clinical_trial: every arm needs its follow-ups on the same days "
                             f"after the end of treatment ({days} vs {follow_up_days(ds)})")
    n_treatment = max(len(treatment_sessions(ds)) for ds in firsts)

    def treatment(ds):
        # the arms' courses differ in length (exposures or assessments): NaN-padded
        v = np.array([metrics.session_value(ds, int(k)) for k in treatment_sessions(ds)])
        return np.concatenate([v, np.full(n_treatment - len(v), np.nan)])

    out = trial_freezing(data, prefix_of)
    out["seed"] = core.seeds_of(data)
    out["baseline"] = core.per_subject(
        data, lambda d: metrics.session_value(d, BASELINE))
    out["treatment"] = core.per_subject_vector(data, treatment, "treatment_session",
                                               np.arange(1, n_treatment + 1))
    out["treatment"].attrs["long_name"] = ("CS-alone sessions during treatment: exposure "
                                           "sessions, or the trial's assessments")
    out["follow_up"] = core.per_subject_vector(
        data, lambda d: session_means(d, FOLLOW_UP_PHASE), "follow_up_day", days)
    for v in ("baseline", "treatment", "follow_up"):
        out[v].attrs["units"] = "%"
    base = out.baseline.values
    first_fu = out.follow_up.values[..., 0]
    ok = np.isfinite(base) & np.isfinite(first_fu) & (base > 0)
    resp = np.full(base.shape, np.nan)
    resp[ok] = clinical.responders(base[ok], first_fu[ok], THRESHOLD)
    out["responder"] = (("group", "subject"), resp,
                        {"criterion": f"first follow-up >= {THRESHOLD:.0%} below the "
                                      "subject's own baseline", "units": "1"})
    t_loss = np.full(base.shape, np.nan)
    lost = np.full(base.shape, np.nan)
    r = resp == 1
    if r.any():
        t, e = clinical.time_to_loss_of_response(days, out.follow_up.values[r], base[r],
                                                 THRESHOLD)
        t_loss[r], lost[r] = t, e
    out["time_to_loss_days"] = (("group", "subject"), t_loss,
                                {"units": "d", "long_name": "responders: first follow-up "
                                 "without the response (or the last, censored)"})
    out["loss_event"] = (("group", "subject"), lost,
                         {"units": "1", "long_name": "1: response lost, 0: censored"})
    return out.merge(probes)


def responders_of(data: xr.Dataset, group: str):
    r = core.values(data.responder, group)
    keep = r == 1
    return (core.values(data.time_to_loss_days, group)[keep],
            core.values(data.loss_event, group)[keep] == 1)


def course_panel(ax, data: xr.Dataset, arms: list[str], treatment_tick: str, title: str):
    """Baseline, the treatment-period sessions and the follow-ups of some arms; an
    arm with fewer treatment sessions than another leaves their places empty, so
    that the follow-ups line up."""
    days = data.follow_up_day.values

    def course(g):
        return np.column_stack([core.values(data.baseline, g), data.treatment.sel(group=g).values,
                                data.follow_up.sel(group=g).values])

    # the treatment sessions of the longest of these arms (the rest is NaN padding)
    used = np.flatnonzero(np.any([np.isfinite(course(g)).any(axis=0) for g in arms], axis=0)) \
        if arms else np.arange(1 + len(days))
    for g in arms:
        y = course(g)[:, used]
        own = np.isfinite(y).any(axis=0)
        y = y[:, own]
        m = np.nanmean(y, 0)
        n = np.maximum(np.isfinite(y).sum(0), 1)
        s = np.nanstd(y, 0, ddof=1) / np.sqrt(n) if y.shape[0] > 1 else 0 * m
        ax.errorbar(np.flatnonzero(own), m, yerr=np.nan_to_num(s), fmt="o-", ms=3,
                    capsize=2, color=core.colour(g), label=g)
    n_treatment = len(used) - 1 - len(days)
    ticks = (["base"] + [f"{treatment_tick}{k}" for k in range(1, n_treatment + 1)]
             + [f"{d:.0f} d" for d in days])
    ax.set_xticks(range(len(ticks)))
    ax.set_xticklabels(ticks, fontsize=6, rotation=45)
    ax.set_ylim(0, 100)
    ax.set_ylabel("freezing (%)")
    ax.legend(fontsize=6)
    ax.set_title(title, loc="left")


def responder_bars(ax, data: xr.Dataset, arms: list[str]) -> None:
    """Each arm's responder percentage, with k/n above its bar."""
    for j, g in enumerate(arms):
        r = stats.clean(core.values(data.responder, g))
        frac = 100 * r.mean() if len(r) else np.nan
        ax.bar(j, frac, color=core.colour(g), alpha=0.8)
        ax.text(j, (0 if np.isnan(frac) else frac) + 2, f"{int(r.sum())}/{len(r)}",
                ha="center", fontsize=6)


def survival_panel(ax, data: xr.Dataset, arms: list[str], dotted=()) -> None:
    """Kaplan-Meier curves of each arm's responders, to the last follow-up."""
    last_day = data.follow_up_day.values[-1]
    for g in arms:
        t, e = responders_of(data, g)
        if not len(t):
            continue
        et, surv = clinical.kaplan_meier(t, e)
        ax.step(np.concatenate([[0.0], et, [last_day]]),
                np.concatenate([[1.0], surv, [surv[-1] if len(surv) else 1.0]]),
                where="post", color=core.colour(g), label=g, ls=":" if g in dotted else "-")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("still responding")


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 5, figsize=(12.5, 2.7),
                             gridspec_kw={"width_ratios": [1.4, 1.8, 1.3, 1.4, 1.4]})
    present = data.group.values.tolist()
    trial = [g for g in (SALINE, DRUG) if g in present]
    exposure = [g for g in (EXPOSURE_SALINE, EXPOSURE_DRUG) if g in present]
    course_panel(axes[0], data, trial, "A", "trial: assessments (A), follow-ups")
    course_panel(axes[1], data, exposure, "E", "with exposure therapy (E): a prediction")
    arms = trial + exposure
    ax = axes[2]
    responder_bars(ax, data, arms)
    for j, g in enumerate(arms):
        if g in (SALINE, DRUG):
            ax.plot([j - 0.3, j + 0.3], [100 * TRIAL_RESPONDERS[g == SALINE]] * 2, "k--", lw=0.8)
    ax.set_xticks(range(len(arms)))
    ax.set_xticklabels(arms, fontsize=5, rotation=30, ha="right")
    ax.set_ylim(0, 100)
    ax.set_ylabel("responders (%)")
    ax.set_title("responders (-- trial)", loc="left")
    ax = axes[3]
    survival_panel(ax, data, arms, dotted=exposure)
    ax.axvline(TRIAL_MEDIAN_DAYS, color="k", ls="--", lw=0.8)
    ax.set_xlabel("days after the end of treatment")
    ax.set_title("Kaplan-Meier (-- 27.5 d)", loc="left")
    ax = axes[4]
    if "probe_rate_index" in data:
        for g in data.probe_group.values.tolist():
            for var, style in (("probe_rate_index", "o-"), ("probe_gamma_ratio", "s:")):
                y = data[var].sel(probe_group=g).values
                ax.plot(data.probe_minutes.values, np.nanmean(y, 0), style, ms=2.5,
                        color=PROBE_COLOURS[g], label=g if var == "probe_rate_index" else None)
        ax.axvspan(0, INFUSION_MIN, color="#eeeeee", lw=0, zorder=0)
        ax.axhline(1.0, color="k", lw=0.5)
        ax.legend(fontsize=6)
    ax.set_xlabel("min from infusion start")
    ax.set_ylabel("/ pre-infusion (rate -, gamma ..)")
    ax.set_title("dissociation proxy", loc="left")
    fig.suptitle(TITLE, fontsize=8)
    return fig


def checks(data: xr.Dataset) -> list[Check]:
    design = core.design_of(data)
    rd, rs = (core.values(data.responder, g) for g in (DRUG, SALINE))
    kd, ks = stats.clean(rd) > 0.5, stats.clean(rs) > 0.5
    cite = "docs/experiments.md, target 9.5; Feder et al. 2021 (67% vs 20%)"
    measured = (f"ketamine {int(kd.sum())}/{len(kd)} ({100 * kd.mean():.0f}%) vs saline "
                f"{int(ks.sum())}/{len(ks)} ({100 * ks.mean():.0f}%) [trial: "
                f"{TRIAL_RESPONDERS[0]:.0%} vs {TRIAL_RESPONDERS[1]:.0%}]")
    target = (f"ketamine > saline (Fisher, p < {stats.ALPHA}); responder: >= "
              f"{THRESHOLD:.0%} below the subject's own baseline")
    if design == BETWEEN and len(kd) and len(ks):
        _, _, p = clinical.responder_fisher(kd, ks)
        out = [Check("responder fraction higher on ketamine than saline", cite, measured,
                     target, bool(kd.mean() > ks.mean()), "Fisher exact (one-sided)", p,
                     f"{100 * (kd.mean() - ks.mean()):+.0f} points", f"n={len(kd)}/{len(ks)}")]
    else:
        c = stats.compare_fractions(rd, rs, design)
        out = [core.from_comparison("responder fraction higher on ketamine than saline", cite,
                                    measured, target,
                                    bool(len(kd) and len(ks) and kd.mean() > ks.mean()), c)]
    (td, ed), (ts, es) = responders_of(data, DRUG), responders_of(data, SALINE)
    med = {g: clinical.median_survival(t, e) if len(t) else float("nan")
           for g, (t, e) in ((DRUG, (td, ed)), (SALINE, (ts, es)))}
    chi2, p, o_minus_e = clinical.logrank_test(td, ed, ts, es) if len(td) and len(ts) else (
        float("nan"), float("nan"), float("nan"))

    def days(x):
        return "n/a" if np.isnan(x) else ("not reached" if np.isinf(x) else f"{x:.0f} d")

    out.append(Check(
        "ketamine responders keep the response longer than saline responders",
        "docs/experiments.md, target 9.5; Feder et al. 2021 (median 27.5 days)",
        f"median time to loss: ketamine {days(med[DRUG])}, saline {days(med[SALINE])} "
        f"[trial: {TRIAL_MEDIAN_DAYS} d]; lost by the last follow-up: ketamine "
        f"{int(ed.sum())}/{len(ed)}, saline {int(es.sum())}/{len(es)}",
        # the direction is the log-rank's own: when both arms lose every response by
        # the last follow-up, the fraction lost says nothing about how long it lasted
        f"ketamine's curve above saline's: fewer losses than expected under equal curves "
        f"(log-rank, p < {stats.ALPHA})",
        bool(np.isfinite(o_minus_e) and o_minus_e < 0),
        f"log-rank chi2={chi2:.2f}" if np.isfinite(chi2) else "log-rank", p,
        f"observed - expected losses on ketamine {o_minus_e:+.1f}",
        f"n={len(td)}/{len(ts)} responders"))
    if "probe_rate_index" in data:
        out += probe_checks(data, design)
    return out


def probe_checks(data: xr.Dataset, design: str) -> list[Check]:
    """Target 9.6: the proxy rises with dose, peaks near the end of the infusion and is
    back 2 h after it."""
    t = TARGETS["9.6"]
    cite = ("docs/experiments.md, target 9.6; Feder et al. 2014; Homayoun & Moghaddam 2007; "
            "Pinault 2008")
    doses = data.probe_dose_mg_per_kg.values
    mid = [g for g, d in zip(data.probe_group.values, doses, strict=True) if d == 0.5][0]
    sal = [g for g, d in zip(data.probe_group.values, doses, strict=True) if d == 0.0][0]
    out = []
    for var, name in (("probe_rate_index", "IL/PL principal rate"),
                      ("probe_gamma_ratio", "30-80 Hz power")):
        end = data[var].sel(probe_minutes=END_PROBE_MIN)
        x = np.repeat(doses[:, None], end.shape[1], axis=1)
        c = stats.spearman(x, end.values)
        means = ", ".join(f"{d:g} mg/kg {stats.mean(end.values[k]):.2f}"
                          for k, d in enumerate(doses))
        out.append(core.from_comparison(
            f"dissociation proxy rises with dose at the end of the infusion ({name})", cite,
            f"{name} / pre-infusion: {means}", "rises with dose (Spearman rho > 0, "
            f"p < {stats.ALPHA})", bool(np.isfinite(c.diff) and c.diff > 0), c))
        # against saline's course: the probes drift without any drug
        course = (np.nanmean(data[var].sel(probe_group=mid).values, axis=0)
                  / np.nanmean(data[var].sel(probe_group=sal).values, axis=0))
        peak = float(data.probe_minutes.values[int(np.nanargmax(course))]) \
            if np.isfinite(course).any() else float("nan")
        out.append(Check(
            f"dissociation proxy highest near the end of the infusion ({name}, 0.5 mg/kg)",
            cite, f"peak at the {peak:g}-min probe ({np.nanmax(course):.2f} x saline's, each over "
            "its pre-infusion probe)",
            f"peak at the {' or '.join(f'{m:g}' for m in PEAK_PROBES_MIN)}-min probe",
            bool(peak in PEAK_PROBES_MIN), n=f"n={len(stats.clean(course))} probes"))
        late = data[var].sel(probe_minutes=LATE_PROBE_MIN).rename(probe_group="group")
        a, b = core.values(late, mid), core.values(late, sal)
        c = stats.equivalence(a, b, t.margin, design)
        out.append(core.from_comparison(
            f"dissociation proxy back 2 h after the infusion ({name}, 0.5 mg/kg)", cite,
            f"{LATE_PROBE_MIN:g}-min probe: 0.5 mg/kg {stats.mean(a):.3f} vs saline "
            f"{stats.mean(b):.3f} x pre-infusion", f"within ±{t.margin:g} of saline's "
            f"(equivalence, p < {stats.ALPHA})", True, c))
    return out
