"""MODEL.md 7.1: acquisition, extinction, recall and renewal in controls."""

from __future__ import annotations

import numpy as np
import xarray as xr

from experiments.figures import core
from experiments.figures.core import Check, Group

NAME = "control"
TITLE = "Fear acquisition, extinction, recall and renewal (control)"
CITATION = ("MODEL.md 7.1; issue 2; Milad & Quirk 2002 Nature; Bouton 2004 Learn Mem; "
            "Kim, Pare & Nair 2013 (compressed trials)")
SUMMARY = ("Freezing per trial (mean ± SEM) through habituation, conditioning (A), extinction "
           "and 24 h recall (B) and the renewal test back in A, with the per-phase levels "
           "checked against MODEL.md 7.1.")

QUICK = ["protocol=short", "network.scale=0.1", "readout.weight_samples=50"]
GROUP = "control"


def groups(quick: bool) -> list[Group]:
    return [Group(GROUP, list(QUICK) if quick else [])]


def n_seeds(quick: bool) -> int:
    return 2 if quick else 8


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    fz = core.stack_trials(data)
    out = xr.Dataset({"freezing": fz})
    out["seed"] = core.seeds_of(data)
    out["habituation"] = core.per_subject(data, lambda d: core.phase_value(d, "habituation"))
    out["conditioning_last"] = core.per_subject(
        data, lambda d: core.phase_value(d, "conditioning", "last"))
    out["extinction_first"] = core.per_subject(
        data, lambda d: core.phase_value(d, "extinction", "first"))
    out["extinction_last"] = core.per_subject(
        data, lambda d: core.phase_value(d, "extinction", "last"))
    out["recall"] = core.per_subject(data, lambda d: core.phase_value(d, "recall"))
    out["renewal"] = core.per_subject(data, lambda d: core.phase_value(d, "renewal"))
    for v in ("habituation", "conditioning_last", "extinction_first", "extinction_last",
              "recall", "renewal"):
        out[v].attrs["units"] = "%"
    return out


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 2.6), gridspec_kw={"width_ratios": [3, 1.4]})
    core.trial_panel(axes[0], data.freezing)
    axes[0].legend(loc="upper right")
    axes[0].set_title("freezing per trial", loc="left", pad=10)
    ax = axes[1]
    names = ["habituation", "conditioning_last", "extinction_last", "recall", "renewal"]
    labels = ["hab.", "cond.\n(last)", "ext.\n(last)", "recall", "renewal"]
    phases = ["habituation", "conditioning", "extinction", "recall", "renewal"]
    rng = np.random.default_rng(0)
    for k, (v, ph) in enumerate(zip(names, phases, strict=True)):
        x = core.values(data[v], GROUP)
        m, s = core.mean_sem(x)
        ax.bar(k, m, yerr=s if np.isfinite(s) else 0, color=core.PHASE_COLOURS[ph],
               edgecolor="k", lw=0.6, capsize=2)
        ax.scatter(k + rng.uniform(-0.15, 0.15, len(x)), x, s=5, color="k", zorder=3, lw=0)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(labels, fontsize=6)
    ax.set_ylim(0, 100)
    ax.set_ylabel("freezing (%)")
    ax.set_title("per phase", loc="left", pad=10)
    fig.suptitle(TITLE, fontsize=8)
    return fig


def checks(data: xr.Dataset) -> list[Check]:
    g = GROUP
    hab = core.values(data.habituation, g)
    cond = core.values(data.conditioning_last, g)
    e1, e2 = core.values(data.extinction_first, g), core.values(data.extinction_last, g)
    rec, ren = core.values(data.recall, g), core.values(data.renewal, g)
    n = f"n={len(hab)}"
    cite = "MODEL.md 7.1; issue 2"
    out = []
    m = np.mean(hab)
    out.append(Check("habituation freezing low", cite, core.fmt_ms(hab), "<= 15%",
                     bool(m <= 15), n=n))
    m = np.mean(cond)
    out.append(Check("end-of-conditioning freezing", cite, core.fmt_ms(cond), "60-90%",
                     bool(60 <= m <= 90), n=n))
    c = core.paired(e1, e2)
    out.append(Check("freezing declines within extinction (first vs last block)", cite,
                     f"first {core.fmt_ms(e1)} -> last {core.fmt_ms(e2)}",
                     f"last < first, p < {core.ALPHA}",
                     bool(c.diff > 0 and c.p < core.ALPHA), c.test, c.p, c.effect, c.n))
    ratio = np.mean(e2) / np.mean(cond) if np.mean(cond) > 0 else float("nan")
    out.append(Check("last extinction block vs end of conditioning", "issue 2",
                     f"{core.fmt_ms(e2)} = {ratio:.2f} x end of conditioning",
                     "<= 0.5 x end of conditioning", bool(ratio <= 0.5), n=n))
    out.append(Check("extinction recall (24 h, context B)", cite, core.fmt_ms(rec), "<= 40%",
                     bool(np.mean(rec) <= 40), n=n))
    c = core.paired(ren, rec)
    out.append(Check("renewal in the conditioning context", cite,
                     f"renewal {core.fmt_ms(ren)} vs recall {core.fmt_ms(rec)} "
                     f"(+{c.diff:.1f} pp)", f">= recall + 20 pp, p < {core.ALPHA}",
                     bool(c.diff >= 20 and c.p < core.ALPHA), c.test, c.p, c.effect, c.n))
    return out
