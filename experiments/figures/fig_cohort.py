"""MODEL.md 7.7: a virtual cohort with per-subject heterogeneity; responder fraction."""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import xarray as xr

from experiments.figures import core, fig_control
from experiments.figures.core import Check, Group

NAME = "cohort"
TITLE = "Virtual cohort: group means ± SEM and responder fraction, ketamine vs saline"
CITATION = ("MODEL.md 7.7; Feder et al. 2021 Am J Psychiatry (67% responders on ketamine vs "
            "20% on midazolam)")
SUMMARY = ("Heterogeneous subjects (lognormal jitter of CS->LA and IL->ITC weights, learning "
           "rate, protein synthesis and ketamine potency) given saline or ketamine 23 h before "
           "extinction: group means ± SEM per phase and the fraction of responders.")

SALINE, DRUG = "saline", "ketamine 24 h before"
EXPERIMENTS = {SALINE: "saline", DRUG: "ketamine_24h_before_extinction"}
# subject ids (= seeds) of the two arms do not overlap: different animals
FIRST_SUBJECT = {SALINE: 1, DRUG: 1001}
# lognormal log-sd per key (experiments.analysis.cohorts.factor: median = the config value)
JITTER = {
    "network.projections.cs_la.w_ampa_nS": 0.10,
    "network.projections.il_itc.w_ampa_nS": 0.10,
    "plasticity.learning_rate": 0.20,
    "synaptogenesis.k_protein": 0.25,
    "pharmacology.agents.ketamine.ic50_E_uM": 0.25,
}
# responder: recall freezing at least 30% below the end of conditioning
# (the default of fearsim-collect --cohort, experiments.io.collect.responders)
RESPONDER_DROP = 0.30


@lru_cache(maxsize=8)
def _base(overrides: tuple[str, ...]) -> dict:
    from experiments.analysis.cohorts import _get
    from experiments.config_store import compose, plain

    cfg = plain(compose(list(overrides)))
    return {k: _get(cfg, k) for k in JITTER}


def jitter_overrides(base_overrides: list[str], subject: int) -> list[str]:
    from experiments.analysis.cohorts import factor

    base = _base(tuple(base_overrides))
    return [f"{k}={round(base[k] * factor(subject, k, s), 6)}" for k, s in JITTER.items()]


def groups(quick: bool) -> list[Group]:
    q = list(fig_control.QUICK) if quick else []
    out = []
    for lab, exp in EXPERIMENTS.items():
        ov = [f"experiment={exp}"] + q
        out.append(Group(lab, ov, per_subject=lambda seed, ov=ov: jitter_overrides(ov, seed)))
    return out


def seeds_for(label: str, n: int) -> list[int]:
    return list(range(FIRST_SUBJECT[label], FIRST_SUBJECT[label] + n))


def n_seeds(quick: bool) -> int:
    return 3 if quick else 16


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    out = fig_control.analyse(data)
    drop = 1 - out.recall / out.conditioning_last
    out["relative_drop"] = drop
    out["relative_drop"].attrs["long_name"] = "1 - recall / end-of-conditioning freezing"
    out["responder"] = (drop >= RESPONDER_DROP).where(drop.notnull())
    out["responder"].attrs["criterion"] = (f"recall <= (1 - {RESPONDER_DROP}) x "
                                           "end-of-conditioning freezing")
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
    names = ["conditioning_last", "extinction_last", "recall", "renewal"]
    labels = ["cond.\n(last)", "ext.\n(last)", "recall", "renewal"]
    w = 0.38
    for j, g in enumerate(data.group.values.tolist()):
        m = [core.mean_sem(core.values(data[v], g))[0] for v in names]
        s = [core.mean_sem(core.values(data[v], g))[1] for v in names]
        ax.bar(np.arange(len(names)) + (j - 0.5) * w, m, w, yerr=np.nan_to_num(s),
               color=core.colour(g), alpha=0.8, capsize=2, label=g)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(labels, fontsize=6)
    ax.set_ylim(0, 100)
    ax.set_ylabel("freezing (%)")
    ax.set_title("per phase", loc="left", pad=10)
    ax = axes[2]
    for j, g in enumerate(data.group.values.tolist()):
        r = core.values(data.responder, g)
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
    rd, rs = core.values(data.responder, DRUG), core.values(data.responder, SALINE)
    c = core.fisher(int(rd.sum()), len(rd), int(rs.sum()), len(rs))
    out = [Check("responder fraction higher on ketamine than saline",
                 "MODEL.md 7.7; Feder et al. 2021 (67% vs 20%)",
                 f"ketamine {int(rd.sum())}/{len(rd)} ({100 * rd.mean():.0f}%) vs saline "
                 f"{int(rs.sum())}/{len(rs)} ({100 * rs.mean():.0f}%)",
                 f"ketamine > saline, p < {core.ALPHA}",
                 bool(c.diff > 0 and c.p < core.ALPHA), c.test, c.p, c.effect, c.n)]
    out.append(core.group_check("cohort: ketamine 24 h before lowers recall freezing",
                                "MODEL.md 7.3, 7.7", core.values(data.recall, DRUG),
                                core.values(data.recall, SALINE), ("ketamine", "saline"), "<"))
    return out
