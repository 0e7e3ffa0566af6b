"""Dose-response of the acute impairment and of the 24 h-prior benefit (docs/experiments.md, section 5)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from experiments.analysis import metrics
from experiments.analysis import statistics as stats
from experiments.analysis.design import CONTROL, WITHIN
from experiments.analysis.targets import TARGETS
from experiments.figures import core, fig_control
from experiments.figures.core import Check, Group

NAME = "dose_response"
TITLE = "Ketamine dose-response: acute impairment tracks occupancy; 24 h-prior benefit is an inverted U"
CITATION = ("docs/experiments.md, section 5; Li et al. 2010 Science (synaptogenesis at 5-10, "
            "not 80 mg/kg); Girgenti et al. 2017 Neurobiol Dis; Clifton et al. 2018 "
            "J Psychopharmacol")
SUMMARY = ("Ketamine i.p. at 0-80 mg/kg either 10 min before extinction (recall vs NMDAR "
           "occupancy during extinction) or 23 h before it (benefit = saline recall - drug "
           "recall).")

DESIGN = WITHIN  # every dose given to the same virtual animals

PRIOR, ACUTE = "24 h before", "during extinction"
# The 24 h-prior arm carries the inverted U, so it gets the finer grid; the
# acute arm only needs occupancy to span 0-1 for its rank correlation. Fewer
# acute doses keep `fearsim-figure all` (8 seeds per group) under 2 h on 2 cores.
# 25 mg/kg is the dose at which Clifton et al. 2018 (J Psychopharmacol) saw
# pre-extinction ketamine impair extinction in rats.
ACUTE_IMPAIRING_DOSE = 25.0
DOSES = {PRIOR: [2.5, 5.0, 10.0, 20.0, 80.0], ACUTE: [5.0, 10.0, ACUTE_IMPAIRING_DOSE, 80.0]}
QUICK_DOSES = [10.0, 80.0]
SALINE = "saline"


def label(arm: str, dose: float) -> str:
    return f"{arm} {dose:g} mg/kg"


def doses(quick: bool, arm: str) -> list[float]:
    return QUICK_DOSES if quick else DOSES[arm]


def groups(quick: bool) -> list[Group]:
    q = list(fig_control.QUICK) if quick else []
    out = [Group(SALINE, list(CONTROL) + q)]
    for arm, exp in ((PRIOR, "ketamine_24h_before_extinction"),
                     (ACUTE, "ketamine_during_extinction")):
        for d in doses(quick, arm):
            out.append(Group(label(arm, d), [f"experiment={exp}",
                                             f"pharmacology.doses.0.dose_mg_per_kg={d}"] + q))
    return out


def n_seeds(quick: bool) -> int:
    return fig_control.n_seeds(quick)


def _occ(ds: xr.Dataset) -> float:
    """Mean principal-cell NMDAR occupancy over the extinction trials, all regions."""
    ch = [c for c in ds.channel.values.tolist() if str(c).endswith("_E")]
    ext = ds.phase.values == "extinction"
    return float(ds.occupancy_trial.sel(channel=ch).values[ext].mean())


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    recall = core.per_subject(data, lambda d: metrics.phase_value(d, "recall"))
    occ = core.per_subject(data, _occ)
    dose_list = sorted({float(g.split()[-2]) for g in data if g != SALINE})
    n_sub = recall.sizes["subject"]
    arr = {a: np.full((len(dose_list) + 1, n_sub), np.nan) for a in (PRIOR, ACUTE)}
    oc = {a: np.full((len(dose_list) + 1, n_sub), np.nan) for a in (PRIOR, ACUTE)}
    for a in (PRIOR, ACUTE):
        arr[a][0] = recall.sel(group=SALINE).values
        oc[a][0] = occ.sel(group=SALINE).values
        for k, d in enumerate(dose_list):
            g = label(a, d)
            if g in data:
                arr[a][k + 1] = recall.sel(group=g).values
                oc[a][k + 1] = occ.sel(group=g).values
    dims = ("dose_mg_per_kg", "subject")
    out = xr.Dataset(coords={"dose_mg_per_kg": [0.0] + dose_list})
    out["recall_prior"] = (dims, arr[PRIOR], {"units": "%", "long_name":
                                              "24 h recall, ketamine 23 h before extinction"})
    out["recall_acute"] = (dims, arr[ACUTE], {"units": "%", "long_name":
                                              "24 h recall, ketamine 10 min before extinction"})
    out["occupancy_acute"] = (dims, oc[ACUTE], {"long_name": "mean principal-cell NMDAR "
                                                "occupancy during extinction"})
    sal = np.nanmean(arr[PRIOR][0])
    out["benefit_prior"] = (dims, sal - arr[PRIOR], {"units": "percentage points",
                                                     "long_name": "saline recall - drug recall"})
    out["impairment_acute"] = (dims, arr[ACUTE] - sal, {"units": "percentage points",
                                                        "long_name": "drug recall - saline "
                                                        "recall"})
    out["recall_saline"] = (("subject",), arr[PRIOR][0])
    return out


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.7))
    d = data.dose_mg_per_kg.values
    ax = axes[0]
    prior = np.isfinite(data.benefit_prior.values).any(1)  # doses of the acute arm only: none
    dp = d[prior]
    x = np.where(dp > 0, dp, 1.0)  # saline drawn at 1 on the log axis
    b = data.benefit_prior.values[prior]
    m = np.nanmean(b, 1)
    s = np.nanstd(b, 1, ddof=1) / np.sqrt(np.maximum(np.isfinite(b).sum(1), 1))
    ax.errorbar(x, m, yerr=s, fmt="o-", color=core.colour("ketamine 24 h before"), capsize=2)
    for k in range(len(dp)):
        ax.scatter(np.full(b.shape[1], x[k]) * np.exp(np.random.default_rng(k).uniform(
            -0.05, 0.05, b.shape[1])), b[k], s=5, color="k", lw=0, zorder=3)
    ax.axhline(0, color="0.6", lw=0.5)
    ax.set_xscale("log")
    ax.set_xticks(x)
    ax.set_xticklabels(["saline"] + [f"{v:g}" for v in dp[1:]])
    ax.set_xlabel("ketamine dose 23 h before extinction (mg/kg i.p.)")
    ax.set_ylabel("benefit at recall\n(saline - drug freezing, pp)")
    ax.set_title("24 h-prior benefit", loc="left", pad=10)
    ax = axes[1]
    occ = data.occupancy_acute.values
    rec = data.recall_acute.values
    cmap = plt.get_cmap("viridis")
    for k in range(len(d)):
        if not np.isfinite(rec[k]).any():  # a dose of the other arm only
            continue
        col = core.colour("saline") if d[k] == 0 else cmap(k / max(len(d) - 1, 1))
        ax.scatter(occ[k], rec[k], s=8, color=col, lw=0, alpha=0.7)
        mo, mr = np.nanmean(occ[k]), np.nanmean(rec[k])
        sr = np.nanstd(rec[k], ddof=1) / np.sqrt(max(np.isfinite(rec[k]).sum(), 1))
        ax.errorbar(mo, mr, yerr=sr, fmt="s", color=col, ms=4, capsize=2,
                    label="saline" if d[k] == 0 else f"{d[k]:g} mg/kg")
    ax.set_xlabel("NMDAR occupancy during extinction (principal cells)")
    ax.set_ylabel("24 h recall freezing (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(-0.02, 1.0)
    ax.legend(loc="upper left", ncol=2)
    ax.set_title("acute: drug during extinction", loc="left", pad=10)
    fig.suptitle(TITLE, fontsize=7.5)
    return fig


def _dose_index(d: np.ndarray, dose: float) -> int | None:
    hits = np.flatnonzero(d == dose)
    return int(hits[0]) if len(hits) else None


def _prior_doses(data: xr.Dataset) -> list[int]:
    """Indices of the doses the 24 h-prior arm has (saline excluded)."""
    rec = data.recall_prior.values
    return [k for k in range(1, rec.shape[0]) if np.isfinite(rec[k]).any()]


def _inverted_u(data: xr.Dataset, design: str) -> Check:
    """Both limbs: the lowest dose and the top dose each below the peak's benefit."""
    d = data.dose_mg_per_kg.values
    rec = data.recall_prior.values
    mb = np.nanmean(data.benefit_prior.values, 1)
    doses = _prior_doses(data)
    curve = ", ".join(f"{d[k]:g}: {mb[k]:+.1f}" for k in doses)
    inner = doses[1:-1]
    target = TARGETS["5.5"].describe()
    cite = "docs/experiments.md, section 5; Li et al. 2010"
    if not inner:
        return Check("24 h-prior benefit is an inverted U with dose", cite,
                     f"mean benefit (points) by dose {curve}: no dose between the lowest and "
                     "the highest", target, False)
    kpk = max(inner, key=lambda k: mb[k])
    low, top = doses[0], doses[-1]
    # a lower benefit is a higher recall: each limb dose's recall above the peak's
    c = stats.all_of([stats.compare(rec[low], rec[kpk], design),
                      stats.compare(rec[top], rec[kpk], design)], "both limbs")
    return core.from_comparison(
        "24 h-prior benefit is an inverted U with dose", cite,
        f"mean benefit (points) by dose {curve}; peak {d[kpk]:g} mg/kg", target,
        min(mb[kpk] - mb[low], mb[kpk] - mb[top]) >= TARGETS["5.5"].difference, c)


def checks(data: xr.Dataset) -> list[Check]:
    design = core.design_of(data)
    out = []
    d = data.dose_mg_per_kg.values
    cite = "docs/experiments.md, section 5"
    c = stats.spearman(data.occupancy_acute.values.ravel(), data.recall_acute.values.ravel())
    out.append(core.from_comparison(
        "acute impairment grows with occupancy (recall vs occupancy, drug during extinction)",
        cite, f"{c.effect} over subjects, saline to {d[-1]:g} mg/kg",
        TARGETS["5.1"].describe(), c.diff > 0, c))
    sal = data.recall_saline.values
    k = _dose_index(d, ACUTE_IMPAIRING_DOSE)
    if k is not None:
        out.append(core.group_check(
            f"ketamine {ACUTE_IMPAIRING_DOSE:g} mg/kg during extinction raises 24 h recall",
            f"{cite}; Clifton et al. 2018", data.recall_acute.values[k], sal,
            ("ketamine", "saline"), ">", design, TARGETS["5.2"].describe()))
    mid = [k for k in (_dose_index(d, 5.0), _dose_index(d, 10.0))
           if k is not None and k in _prior_doses(data)]
    rec = data.recall_prior.values
    if mid:
        c = stats.all_of([stats.compare(rec[k], sal, design) for k in mid], "each dose")
        out.append(core.from_comparison(
            "24 h-prior benefit present at " + " and ".join(f"{d[k]:g}" for k in mid)
            + " mg/kg", f"{cite}; Girgenti et al. 2017",
            "; ".join(f"{d[k]:g} mg/kg {stats.fmt_ms(rec[k])}" for k in mid)
            + f" vs saline {stats.fmt_ms(sal)}", TARGETS["5.3"].describe(),
            all(stats.mean(rec[k]) < stats.mean(sal) for k in mid), c))
    k80 = int(np.argmax(d))
    target = TARGETS["5.4"]
    out.append(core.equivalence_check(
        f"24 h-prior benefit absent at {d[k80]:g} mg/kg", f"{cite}; Li et al. 2010",
        rec[k80], sal, (f"{d[k80]:g} mg/kg", "saline"), target.margin, design,
        target.describe()))
    out.append(_inverted_u(data, design))
    return out
