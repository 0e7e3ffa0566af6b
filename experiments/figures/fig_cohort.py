"""A virtual cohort with per-subject heterogeneity; responder fraction (docs/experiments.md, section 7).

Each subject is tested before treatment (a 4-tone test in the extinction
context B, 24 h after conditioning), then given saline or ketamine 1 h later,
extinguished 23 h after the dose and tested for recall a day later. A
subject responds when its recall freezing is at least 30% below its own
pre-treatment test (Feder et al. 2021 scored response as a >= 30% fall of the
symptom score from each patient's baseline).
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import xarray as xr

from experiments.analysis import metrics
from experiments.analysis import statistics as stats
from experiments.analysis.design import BETWEEN, CONTROL
from experiments.analysis.targets import TARGETS
from experiments.figures import core, fig_control
from experiments.figures.core import Check, Group

NAME = "cohort"
TITLE = "Virtual cohort: group means ± SEM and responder fraction, ketamine vs saline"
CITATION = ("docs/experiments.md, section 7; Feder et al. 2021 Am J Psychiatry (67% responders "
            "on ketamine vs 20% on midazolam)")
SUMMARY = ("Heterogeneous subjects (lognormal jitter of CS->LA and IL->ITC weights, learning "
           "rate, protein synthesis and ketamine potency) tested before treatment, given saline "
           "or ketamine 23 h before extinction, and tested again: group means ± SEM per phase "
           "and the fraction of responders against each subject's own pre-treatment test.")
DESIGN = BETWEEN  # a randomised trial: different animals per arm

SALINE, DRUG = "saline", "ketamine 24 h before"
DRUG_EXPERIMENT = "ketamine_24h_before_extinction"
# lognormal log-sd per key (experiments.analysis.cohorts.factor: median = the config value)
JITTER = {
    "network.projections.cs_la.w_ampa_nS": 0.10,
    "network.projections.il_itc.w_ampa_nS": 0.10,
    "plasticity.learning_rate": 0.20,
    "synaptogenesis.k_protein": 0.25,
    "pharmacology.agents.ketamine.ic50_E_uM": 0.25,
}
RESPONDER_DROP = TARGETS["7.3"].fraction
# the pre-treatment test: CS alone in the extinction context, 24 h after conditioning
BASELINE_TEST = {"phase": "extinction", "context": "B", "n_trials": 4, "us": False,
                 "interval_before_h": 24.0, "real_duration_min": 20.0}
BASELINE, EXTINCTION = 2, 3  # session indices: the test goes in before extinction


def sessions(quick: bool) -> str:
    """The default (or short) protocol with the pre-treatment test inserted."""
    base = core.protocol_sessions("short" if quick else "fear_extinction")
    test = dict(BASELINE_TEST, n_trials=2, real_duration_min=10.0) if quick else BASELINE_TEST
    return core.sessions_override(base[:BASELINE] + [test] + base[BASELINE:])


@lru_cache(maxsize=8)
def _base(overrides: tuple[str, ...]) -> dict:
    from experiments.analysis.cohorts import config_value
    from experiments.config_store import compose, plain

    cfg = plain(compose(list(overrides)))
    return {k: config_value(cfg, k) for k in JITTER}


def jitter_overrides(base_overrides: list[str], subject: int) -> list[str]:
    from experiments.analysis.cohorts import factor

    base = _base(tuple(base_overrides))
    return [f"{k}={round(base[k] * factor(subject, k, s), 6)}" for k, s in JITTER.items()]


def groups(quick: bool) -> list[Group]:
    q = [sessions(quick)] + (fig_control.QUICK[1:] if quick else [])
    arms = {SALINE: list(CONTROL),
            # the dose stays 23 h before extinction, now session EXTINCTION
            DRUG: [f"experiment={DRUG_EXPERIMENT}",
                   f"pharmacology.doses.0.session={EXTINCTION}"]}
    out = []
    for lab, arm in arms.items():
        ov = arm + q
        out.append(Group(lab, ov, per_subject=lambda seed, ov=ov: jitter_overrides(ov, seed)))
    return out


def n_seeds(quick: bool) -> int:
    return 3 if quick else 16


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    out = xr.Dataset({"freezing": core.stack_trials(data)})
    out["seed"] = core.seeds_of(data)
    measures = {
        "conditioning_last": lambda d: metrics.phase_value(d, "conditioning", "last"),
        "baseline_test": lambda d: metrics.session_value(d, BASELINE),
        "extinction_first": lambda d: metrics.session_value(d, EXTINCTION, "first"),
        "extinction_last": lambda d: metrics.session_value(d, EXTINCTION, "last"),
        "recall": lambda d: metrics.phase_value(d, "recall"),
        "renewal": lambda d: metrics.phase_value(d, "renewal"),
    }
    for name, fn in measures.items():
        out[name] = core.per_subject(data, fn)
        out[name].attrs["units"] = "%"
    drop = 1 - out.recall / out.baseline_test
    out["relative_drop"] = drop
    out["relative_drop"].attrs["long_name"] = "1 - recall / pre-treatment test freezing"
    out["responder"] = metrics.responders(out.recall, out.baseline_test, RESPONDER_DROP)
    out["responder"].attrs["criterion"] = (f"recall <= (1 - {RESPONDER_DROP}) x "
                                           "pre-treatment test freezing")
    out.attrs["jitter_json"] = json.dumps(JITTER)
    return out


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 3, figsize=(7.6, 2.6),
                             gridspec_kw={"width_ratios": [2.6, 1.6, 1.0]})
    core.trial_panel(axes[0], data.freezing)
    axes[0].legend(loc="upper right")
    axes[0].set_title("freezing per trial (mean ± SEM)", loc="left", pad=10)
    ax = axes[1]
    names = ["conditioning_last", "baseline_test", "extinction_last", "recall", "renewal"]
    labels = ["cond.\n(last)", "pre-\ntest", "ext.\n(last)", "recall", "renewal"]
    w = 0.38
    for j, g in enumerate(data.group.values.tolist()):
        m = [stats.mean_sem(core.values(data[v], g))[0] for v in names]
        s = [stats.mean_sem(core.values(data[v], g))[1] for v in names]
        ax.bar(np.arange(len(names)) + (j - 0.5) * w, m, w, yerr=np.nan_to_num(s),
               color=core.colour(g), alpha=0.8, capsize=2, label=g)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(labels, fontsize=6)
    ax.set_ylim(0, 100)
    ax.set_ylabel("freezing (%)")
    ax.set_title("per phase", loc="left", pad=10)
    ax = axes[2]
    for j, g in enumerate(data.group.values.tolist()):
        r = stats.clean(core.values(data.responder, g))
        ax.bar(j, 100 * r.mean() if len(r) else np.nan, color=core.colour(g), alpha=0.8)
        ax.text(j, 100 * r.mean() + 2 if len(r) else 2, f"{int(r.sum())}/{len(r)}",
                ha="center", fontsize=6)
    ax.set_xticks(range(data.sizes["group"]))
    ax.set_xticklabels([g.replace(" 24 h", "\n24 h") for g in data.group.values], fontsize=6)
    ax.set_ylim(0, 100)
    ax.set_ylabel("responders (%)")
    ax.set_title(f"≥{RESPONDER_DROP:.0%} drop", loc="left")
    fig.suptitle(TITLE, fontsize=8)
    return fig


def checks(data: xr.Dataset) -> list[Check]:
    design = core.design_of(data)
    rd, rs = (core.values(data.responder, g) for g in (DRUG, SALINE))
    c = stats.compare_fractions(rd, rs, design)
    kd, ks = stats.clean(rd), stats.clean(rs)
    cite = "docs/experiments.md, section 7; Feder et al. 2021 (67% vs 20%)"
    out = [core.from_comparison(
        "responder fraction higher on ketamine than saline", cite,
        f"ketamine {int(kd.sum())}/{len(kd)} ({100 * kd.mean():.0f}%) vs saline "
        f"{int(ks.sum())}/{len(ks)} ({100 * ks.mean():.0f}%); responder: "
        f"{TARGETS['7.3'].describe()}", TARGETS["7.1"].describe(), kd.mean() > ks.mean(), c)]
    out.append(core.group_check("cohort: ketamine 24 h before lowers recall freezing",
                                "docs/experiments.md, sections 3 and 7",
                                core.values(data.recall, DRUG), core.values(data.recall, SALINE),
                                ("ketamine", "saline"), "<", design, TARGETS["7.2"].describe()))
    return out
