"""MODEL.md 7.4: spines and signalling over three weeks after one ketamine dose."""

from __future__ import annotations

import numpy as np
import xarray as xr
import yaml

from experiments.figures import core
from experiments.figures.core import Check, Group

NAME = "spines"
TITLE = "One dose of ketamine: occupancy, BDNF, mTORC1, proteins and IL spines over 3 weeks"
CITATION = ("MODEL.md 7.4 and section 5; issue 3; Phoumthipphavong et al. 2016 eNeuro; "
            "Li et al. 2010 Science; Moda-Sava et al. 2019 Science")
SUMMARY = ("Ketamine 10 mg/kg i.p. vs saline (rat): NMDAR occupancy, BDNF, mTORC1, the "
           "synaptic protein pool and spine counts (% change vs saline) from minutes to "
           "three weeks after the dose.")

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
    cfg = yaml.safe_load(ds.attrs["config_yaml"])
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
    n_sub = max(len(v) for v in data.values())
    pathways = [str(p) for p in data[DRUG][0].spine_pathway.values]
    sp = np.full((len(labels), n_sub, len(pathways), len(GRID_H)), np.nan)
    formed = np.full_like(sp, np.nan)
    occ = np.full((len(labels), n_sub, 2, len(GRID_H)), np.nan)
    # the chain is sampled every synaptogenesis.spine_dt_h: keep its own grid
    tc0 = data[DRUG][0].chain_time_h.values - t_dose
    chain = {v: np.full((len(labels), n_sub, 2, len(tc0)), np.nan)
             for v in ("bdnf", "mtor", "protein")}
    for g, lab in enumerate(labels):
        for s, ds in enumerate(data[lab]):
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
        for s, ds in enumerate(data[lab]):
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


def checks(data: xr.Dataset) -> list[Check]:
    out = []
    t = data.time_after_dose_h.values
    # occupancy (deterministic PK; one value per subject)
    occ = data.occupancy.sel(group=DRUG, cell_class="IL_E").values
    occ = occ[np.isfinite(occ).any(1)]
    early = t <= 3
    pk_t = t[early][np.nanargmax(occ[:, early], axis=1)] * 60
    peak = np.nanmax(occ[:, early], axis=1)
    k60 = int(np.argmin(np.abs(t - 1.0)))
    frac60 = occ[:, k60] / peak
    cite = "issue 3 (rodent i.p. 10 mg/kg)"
    out.append(Check("occupancy peak after 10 mg/kg i.p.", cite,
                     f"{np.mean(pk_t):.0f} min after the dose (peak {np.mean(peak):.2f})",
                     "10-20 min", bool(10 <= np.mean(pk_t) <= 20), n=f"n={len(peak)}"))
    out.append(Check("occupancy gone by 60 min", cite,
                     f"{100 * np.mean(frac60):.1f}% of peak at 60 min", "< 10% of peak",
                     bool(np.mean(frac60) < 0.10), n=f"n={len(peak)}"))
    # chain (MODEL.md 5 table): the slow traces are sampled every spine_dt_h (3 h in
    # ketamine_spines), too coarse for the ~1 h mTORC1 peak; the protein pool's
    # rise and its day-long decay are resolved
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
    out.append(Check("protein pool rises from ~2 h, decays over ~24-72 h",
                     "MODEL.md 5 (table)",
                     f"peak at {np.mean(t[kp]):.1f} h, 1/e decay {np.mean(decay):.0f} h after "
                     "the peak", "peak >= 2 h, decay 24-72 h",
                     bool(np.mean(t[kp]) >= 2 and 24 <= np.mean(decay) <= 72),
                     n=f"n={len(decay)}"))
    t = data.time_after_dose_h.values
    # spines (Phoumthipphavong et al. 2016; issue 3)
    cite = "MODEL.md 5, 7.4; issue 3; Phoumthipphavong et al. 2016"
    win = (t >= 3) & (t <= 6)
    pct = data.spines_pct_vs_saline.sel(group=DRUG, spine_pathway=IL_SPINES).values
    pct = pct[np.isfinite(pct).any(1)]
    w = np.nanmean(pct[:, win], axis=1)
    worst = float(np.max(np.abs(np.nanmean(pct[:, win], axis=0))))
    out.append(Check("IL spines unchanged at 3-6 h", cite,
                     f"{core.fmt_ms(w)} vs saline (largest |mean| in 3-6 h {worst:.1f}%)",
                     "within ±5%", bool(worst <= 5), n=f"n={len(w)}"))
    rel = {g: _at(data, "spines_rel", g, 24.0, spine_pathway=IL_SPINES) for g in (SALINE, DRUG)}
    p24 = _at(data, "spines_pct_vs_saline", DRUG, 24.0, spine_pathway=IL_SPINES)
    c = core.welch(rel[DRUG], rel[SALINE])
    m24 = float(np.nanmean(p24))
    out.append(Check("IL spines up at 24 h", cite, f"{core.fmt_ms(p24)} vs saline",
                     f"+20 to +40%, p < {core.ALPHA}",
                     bool(20 <= m24 <= 40 and c.p < core.ALPHA), c.test, c.p, c.effect, c.n))
    rel72 = {g: _at(data, "spines_rel", g, 72.0, spine_pathway=IL_SPINES)
             for g in (SALINE, DRUG)}
    p72 = _at(data, "spines_pct_vs_saline", DRUG, 72.0, spine_pathway=IL_SPINES)
    c = core.welch(rel72[DRUG], rel72[SALINE])
    out.append(Check("IL spines still up at 72 h", cite, f"{core.fmt_ms(p72)} vs saline",
                     f"> saline, p < {core.ALPHA}",
                     bool(c.diff > 0 and c.p < core.ALPHA), c.test, c.p, c.effect, c.n))
    t_end = min(504.0, float(t[np.isfinite(pct).all(0)][-1]) if np.isfinite(pct).all(0).any()
                else 504.0)
    p3w = _at(data, "spines_pct_vs_saline", DRUG, t_end, spine_pathway=IL_SPINES)
    m3w = float(np.nanmean(p3w))
    out.append(Check("IL spines back to baseline by 3 weeks", "issue 3",
                     f"{core.fmt_ms(p3w)} vs saline at {t_end:.0f} h", "within ±10%",
                     bool(abs(m3w) <= 10), n=f"n={len(core.clean(p3w))}"))
    f24 = {g: _at(data, "spines_formed", g, 24.0, spine_pathway=IL_SPINES)
           for g in (SALINE, DRUG)}
    e24 = {g: _at(data, "spines_eliminated", g, 24.0, spine_pathway=IL_SPINES)
           for g in (SALINE, DRUG)}
    c = core.welch(f24[DRUG], f24[SALINE])
    de = float(np.nanmean(e24[DRUG]) - np.nanmean(e24[SALINE]))
    ce = core.welch(e24[DRUG], e24[SALINE])
    out.append(Check("the 24 h rise comes from more formation, not less elimination", cite,
                     f"formed 0-24 h {core.fmt_ms(f24[DRUG], '')} vs saline "
                     f"{core.fmt_ms(f24[SALINE], '')}; eliminated {core.fmt_ms(e24[DRUG], '')}"
                     f" vs {core.fmt_ms(e24[SALINE], '')} (elimination {ce.test}, "
                     f"{core.fmt_p(ce.p)})",
                     f"more formation (p < {core.ALPHA}), elimination not lower",
                     bool(c.diff > 0 and c.p < core.ALPHA and de >= 0), c.test, c.p, c.effect,
                     c.n))
    return out

