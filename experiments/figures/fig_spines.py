"""Spines and signalling over three weeks after one ketamine dose (docs/experiments.md, section 4)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from experiments.analysis import statistics as stats
from experiments.analysis.design import WITHIN
from experiments.analysis.targets import TARGETS
from experiments.figures import core
from experiments.figures.core import Check, Group
from experiments.io import yaml_text

NAME = "spines"
TITLE = "One dose of ketamine: occupancy, BDNF, mTORC1, proteins and IL spines over 3 weeks"
CITATION = ("docs/experiments.md, section 4; Phoumthipphavong et al. 2016 eNeuro; "
            "Li et al. 2010 Science; Moda-Sava et al. 2019 Science")
SUMMARY = ("Ketamine 10 mg/kg i.p. vs saline (rat): NMDAR occupancy, BDNF, mTORC1, the "
           "synaptic protein pool and spine counts (% change vs saline) from minutes to "
           "three weeks after the dose.")

DESIGN = WITHIN  # the same virtual animal given saline and ketamine

SALINE, DRUG = "saline", "ketamine"
QUICK = ["network.scale=0.1", "readout.weight_samples=50"]
IL_SPINES = "il_il"           # candidate synapses onto IL pyramidal dendrites
PL_SPINES = "pl_pl"
# common time grid after the dose (h) for traces
GRID_H = np.concatenate([np.arange(0, 6, 1 / 30), np.arange(6, 504.01, 1.0)])


def groups(quick: bool) -> list[Group]:
    q = list(QUICK) if quick else []
    return [Group(SALINE, ["experiment=ketamine_spines", "pharmacology.doses=[]"] + q),
            Group(DRUG, ["experiment=ketamine_spines"] + q)]


def n_seeds(quick: bool) -> int:
    return 2 if quick else 8


def dose_time_h(ds: xr.Dataset) -> float:
    """Time of the first dose on the protocol clock (the drug group's schedule)."""
    cfg = yaml_text.load(ds.attrs["config_yaml"])
    doses = cfg["pharmacology"]["doses"]
    if doses:
        d = doses[0]
        return float(ds.session_time_h[d["session"]]) + float(d["offset_h"])
    return float("nan")


def _interp(t, y, grid):
    return np.interp(grid, t, y, left=np.nan, right=np.nan)


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    t_dose = next(dose_time_h(ds) for ds in data[DRUG])
    labels = list(data)
    n_sub = core.n_subjects(data)
    pathways = [str(p) for p in data[DRUG][0].spine_pathway.values]
    sp = np.full((len(labels), n_sub, len(pathways), len(GRID_H)), np.nan)
    formed = np.full_like(sp, np.nan)
    occ = np.full((len(labels), n_sub, 2, len(GRID_H)), np.nan)
    # the chain is sampled every synaptogenesis.spine_dt_h: keep its own grid
    tc0 = data[DRUG][0].chain_time_h.values - t_dose
    chain = {v: np.full((len(labels), n_sub, 2, len(tc0)), np.nan)
             for v in ("bdnf", "mtor", "protein")}
    for g, lab in enumerate(labels):
        for s, ds in core.subjects(data[lab]):
            ts = ds.spine_time_h.values - t_dose
            for k, pw in enumerate(pathways):
                y = ds.spines.sel(spine_pathway=pw).values.astype(float)
                base = float(np.interp(0.0, ts, y))
                sp[g, s, k] = _interp(ts, y / max(base, 1.0), GRID_H)
                formed[g, s, k] = _interp(ts, ds.spines_formed.sel(spine_pathway=pw).values
                                          - np.interp(0.0, ts, ds.spines_formed.sel(
                                              spine_pathway=pw).values), GRID_H)
            to = ds.occ_time_h.values - t_dose
            for k, ch in enumerate(("IL_E", "IL_I")):
                occ[g, s, k] = _interp(to, ds.occupancy.sel(channel=ch).values, GRID_H)
            tc = ds.chain_time_h.values - t_dose
            for v in chain:
                for k, reg in enumerate(("IL", "PL")):
                    chain[v][g, s, k] = _interp(tc, ds[f"chain_{v}"].sel(region=reg).values,
                                                tc0)
    coords = {"group": labels, "spine_pathway": pathways, "time_after_dose_h": GRID_H}
    out = xr.Dataset(coords=coords)
    dims4 = ("group", "subject", "spine_pathway", "time_after_dose_h")
    out["spines_rel"] = (dims4, sp, {"long_name": "spines / spines at the dose"})
    sal = np.nanmean(sp[labels.index(SALINE)], axis=0)
    out["spines_pct_vs_saline"] = (dims4, 100 * (sp / sal[None, None] - 1),
                                   {"units": "%", "long_name": "spines vs saline mean, "
                                    "each normalised to its count at the dose"})
    out["spines_formed"] = (dims4, formed, {"long_name": "formations since the dose"})
    elim = np.full_like(sp, np.nan)
    for g, lab in enumerate(labels):
        for s, ds in core.subjects(data[lab]):
            ts = ds.spine_time_h.values - t_dose
            for k, pw in enumerate(pathways):
                e = ds.spines_eliminated.sel(spine_pathway=pw).values.astype(float)
                elim[g, s, k] = _interp(ts, e - np.interp(0.0, ts, e), GRID_H)
    out["spines_eliminated"] = (dims4, elim, {"long_name": "eliminations since the dose"})
    out["occupancy"] = (("group", "subject", "cell_class", "time_after_dose_h"), occ)
    out = out.assign_coords(cell_class=["IL_E", "IL_I"], region=["IL", "PL"])
    for v, arr in chain.items():
        out[f"chain_{v}"] = (("group", "subject", "region", "chain_time_after_dose_h"), arr)
    out = out.assign_coords(chain_time_after_dose_h=tc0)
    out["seed"] = core.seeds_of(data)
    out.attrs["dose_time_h"] = t_dose
    return out


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(4, 1, figsize=(4.6, 7.0), sharex=True)
    t = data.time_after_dose_h.values
    x = np.maximum(t, 1e-3) * 60  # minutes, log axis
    ax = axes[0]
    for k, ch in enumerate(data.cell_class.values):
        y = np.nanmean(data.occupancy.sel(group=DRUG).values[:, k], 0)
        ax.plot(x, y, color=core.colour(DRUG), ls="-" if k == 0 else "--",
                label=f"{ch} (ketamine)")
    ax.set_ylabel("NMDAR occupancy")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right")
    tc = data.chain_time_after_dose_h.values
    keep = tc > 0
    xc = tc[keep] * 60
    for v, ax, lab in (("bdnf", axes[1], "BDNF"), ("mtor", axes[1], "mTORC1"),
                       ("protein", axes[2], "protein pool")):
        for g in (SALINE, DRUG):
            y = np.nanmean(data[f"chain_{v}"].sel(group=g, region="IL").values, 0)[keep]
            ax.plot(xc, y, color=core.colour(g), ls={"bdnf": "-", "mtor": ":",
                                                      "protein": "-"}[v], marker=".", ms=2,
                    label=f"{lab} IL, {g}")
    axes[1].set_ylabel("BDNF, mTORC1 (a.u.)")
    axes[1].set_title(f"chain sampled every {tc[1] - tc[0]:g} h (dots)", loc="left",
                      fontsize=6, fontweight="normal")
    axes[1].legend(loc="upper right", ncol=2)
    axes[2].set_ylabel("proteins (x baseline)")
    axes[2].legend(loc="upper right")
    ax = axes[3]
    for pw, ls in ((IL_SPINES, "-"), (PL_SPINES, "--")):
        for g in (SALINE, DRUG):
            y = 100 * (data.spines_rel.sel(group=g, spine_pathway=pw).values - 1)
            n = np.isfinite(y).sum(0)
            m = np.nanmean(y, 0)
            s = np.nanstd(y, 0, ddof=1) / np.sqrt(np.maximum(n, 1)) if y.shape[0] > 1 else 0 * m
            ax.plot(x, m, color=core.colour(g), ls=ls,
                    label=f"{pw} {g} (n={int(n.max())})")
            ax.fill_between(x, m - s, m + s, color=core.colour(g), alpha=0.15, lw=0)
    ax.axhline(0, color="0.6", lw=0.5)
    ax.set_ylabel("spines (% change\nfrom the dose)")
    ax.legend(loc="upper right", ncol=2)
    ax.set_xscale("log")
    ax.set_xlim(1, x[-1])
    ticks = [1, 10, 60, 360, 1440, 4320, 10080, 30240]
    ax.set_xticks(ticks)
    ax.set_xticklabels(["1 min", "10 min", "1 h", "6 h", "1 d", "3 d", "1 w", "3 w"])
    ax.set_xlabel("time after the dose (log scale)")
    for a in axes:
        for tt in (3 * 60, 6 * 60):
            a.axvline(tt, color="0.85", lw=0.5, zorder=0)
        a.axvspan(20 * 60, 28 * 60, color="#e5f5e0", lw=0, zorder=0)
    fig.suptitle(TITLE, fontsize=7.5)
    return fig


def _at(data, var, group, t_h, **sel):
    k = int(np.argmin(np.abs(data.time_after_dose_h.values - t_h)))
    return data[var].sel(group=group, **sel).values[..., k]


def _occupancy_checks(data: xr.Dataset) -> list[Check]:
    t = data.time_after_dose_h.values
    occ = data.occupancy.sel(group=DRUG, cell_class="IL_E").values
    occ = occ[np.isfinite(occ).any(1)]
    early = t <= 3
    pk_t = t[early][np.nanargmax(occ[:, early], axis=1)] * 60
    peak = np.nanmax(occ[:, early], axis=1)
    k60 = int(np.argmin(np.abs(t - 1.0)))
    frac60 = occ[:, k60] / peak
    cite = "docs/experiments.md, section 4 (rodent i.p. 10 mg/kg)"
    t41, t42 = TARGETS["4.1"], TARGETS["4.2"]
    return [Check("occupancy peak after 10 mg/kg i.p.", cite,
                  f"{np.mean(pk_t):.0f} min after the dose (peak {np.mean(peak):.2f})",
                  t41.describe(), t41.in_range(np.mean(pk_t)), n=f"n={len(peak)}"),
            Check("occupancy gone by 60 min", cite,
                  f"{100 * np.mean(frac60):.1f}% of peak at 60 min", t42.describe(),
                  bool(100 * np.mean(frac60) < t42.high), n=f"n={len(peak)}")]


def _protein_check(data: xr.Dataset) -> Check:
    # the slow traces are sampled every spine_dt_h (3 h in ketamine_spines), too coarse
    # for the ~1 h mTORC1 peak; the protein pool's rise and its day-long decay are resolved
    t = data.chain_time_after_dose_h.values
    pr = data.chain_protein.sel(group=DRUG, region="IL").values
    pr = pr[np.isfinite(pr).any(1)]
    pexc = pr - pr[:, 0:1]
    kp = np.nanargmax(pexc, axis=1)
    decay = []
    for s in range(len(pexc)):
        after = np.nonzero((t > t[kp[s]]) & (pexc[s] <= pexc[s, kp[s]] / np.e))[0]
        decay.append(t[after[0]] - t[kp[s]] if len(after) else np.inf)
    decay = np.array(decay)
    target = TARGETS["4.4"]
    return Check("protein pool rises from ~2 h, decays over ~24-72 h",
                 "docs/experiments.md, section 4; docs/model.md, section 11",
                 f"peak at {np.mean(t[kp]):.1f} h, 1/e decay {np.mean(decay):.0f} h after "
                 "the peak", target.describe(),
                 bool(np.mean(t[kp]) >= target.low and 24 <= np.mean(decay) <= 72),
                 n=f"n={len(decay)}")


def _change(data: xr.Dataset, group: str, t_h: float) -> np.ndarray:
    """IL spines, % change from the count at the dose, per subject at t_h."""
    return 100 * (_at(data, "spines_rel", group, t_h, spine_pathway=IL_SPINES) - 1)


def checks(data: xr.Dataset) -> list[Check]:
    design = core.design_of(data)
    out = _occupancy_checks(data) + [_protein_check(data)]
    t = data.time_after_dose_h.values
    cite = "docs/experiments.md, section 4; Phoumthipphavong et al. 2016"
    win = (t >= 3) & (t <= 6)
    rel = data.spines_rel.sel(spine_pathway=IL_SPINES)
    window = {g: 100 * (np.nanmean(rel.sel(group=g).values[:, win], axis=1) - 1)
              for g in (SALINE, DRUG)}
    target = TARGETS["4.5"]
    out.append(core.equivalence_check("IL spines unchanged at 3-6 h", cite, window[DRUG],
                                      window[SALINE], ("ketamine", "saline"), target.margin,
                                      design, target.describe()))
    p24 = _at(data, "spines_pct_vs_saline", DRUG, 24.0, spine_pathway=IL_SPINES)
    c = stats.compare(_change(data, DRUG, 24.0), _change(data, SALINE, 24.0), design)
    target = TARGETS["4.6"]
    out.append(core.from_comparison("IL spines up at 24 h", cite,
                                    f"{stats.fmt_ms(p24)} vs saline", target.describe(),
                                    target.in_range(stats.mean(p24)) and c.diff > 0, c))
    p72 = _at(data, "spines_pct_vs_saline", DRUG, 72.0, spine_pathway=IL_SPINES)
    c = stats.compare(_change(data, DRUG, 72.0), _change(data, SALINE, 72.0), design)
    out.append(core.from_comparison("IL spines still up at 72 h", cite,
                                    f"{stats.fmt_ms(p72)} vs saline",
                                    TARGETS["4.7"].describe(), c.diff > 0, c))
    pct = data.spines_pct_vs_saline.sel(group=DRUG, spine_pathway=IL_SPINES).values
    done = np.isfinite(pct).all(0)
    t_end = min(504.0, float(t[done][-1]) if done.any() else 504.0)
    target = TARGETS["4.8"]
    out.append(core.equivalence_check(
        f"IL spines back to baseline by 3 weeks ({t_end:.0f} h)", cite,
        _change(data, DRUG, t_end), _change(data, SALINE, t_end), ("ketamine", "saline"),
        target.margin, design, target.describe()))
    f24 = {g: _at(data, "spines_formed", g, 24.0, spine_pathway=IL_SPINES)
           for g in (SALINE, DRUG)}
    e24 = {g: _at(data, "spines_eliminated", g, 24.0, spine_pathway=IL_SPINES)
           for g in (SALINE, DRUG)}
    c = stats.compare(f24[DRUG], f24[SALINE], design)
    ce = stats.compare(e24[DRUG], e24[SALINE], design)
    out.append(core.from_comparison(
        "the 24 h rise comes from more formation, not less elimination", cite,
        f"formed 0-24 h {stats.fmt_ms(f24[DRUG], '')} vs saline "
        f"{stats.fmt_ms(f24[SALINE], '')}; eliminated {stats.fmt_ms(e24[DRUG], '')}"
        f" vs {stats.fmt_ms(e24[SALINE], '')} (elimination {ce.test}, {stats.fmt_p(ce.p)})",
        TARGETS["4.9"].describe(), c.diff > 0 and ce.diff >= 0, c))
    return out
