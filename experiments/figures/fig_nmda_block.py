"""NMDA-receptor blockade during extinction, systemic and IL-local (docs/experiments.md, section 2)."""

from __future__ import annotations

import xarray as xr

from experiments.analysis import statistics as stats
from experiments.analysis.design import CONTROL, WITHIN
from experiments.analysis.targets import TARGETS
from experiments.figures import core, fig_control
from experiments.figures.core import Check, Group

NAME = "nmda_block"
TITLE = "NMDA-receptor blockade during extinction: expression, decline and 24 h recall"
CITATION = ("docs/experiments.md, section 2; Santini et al. 2001 J Neurosci (systemic CPP); "
            "Burgos-Robles et al. 2007 Neuron (intra-vmPFC CPP)")
SUMMARY = ("Control vs 95% NMDAR occupancy during the extinction session only, systemically "
           "or in IL alone: fear expression at the start of extinction, the within-session "
           "decline, 24 h recall and renewal.")
DESIGN = WITHIN

CONTROL_LABEL, SYSTEMIC, LOCAL = "control", "NMDAR block (systemic)", "NMDAR block (IL)"
BLOCK = ["protocol.block.occupancy=0.95", "protocol.block.sessions=[2]"]
CITE = "docs/experiments.md, section 2"
SOURCE = {SYSTEMIC: "Santini et al. 2001", LOCAL: "Burgos-Robles et al. 2007"}


def groups(quick: bool) -> list[Group]:
    q = list(CONTROL) + (list(fig_control.QUICK) if quick else [])
    return [Group(CONTROL_LABEL, q),
            Group(SYSTEMIC, q + BLOCK + ["name=nmda_block_extinction"]),
            Group(LOCAL, q + BLOCK + ["protocol.block.regions=[IL]", "name=nmda_block_il"])]


def n_seeds(quick: bool) -> int:
    return fig_control.n_seeds(quick)


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    out = fig_control.analyse(data)
    out["extinction_occupancy"] = core.per_subject(
        data, lambda d: float(d.occupancy_trial.sel(channel="IL_E")
                              .where(d.phase == "extinction", drop=True).mean()))
    return out


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 4, figsize=(7.6, 2.6),
                             gridspec_kw={"width_ratios": [3, 1.1, 1.1, 1.1]})
    core.trial_panel(axes[0], data.freezing)
    axes[0].legend(loc="upper right")
    axes[0].set_title("freezing per trial; block during extinction", loc="left", pad=10)
    core.bar_panel(axes[1], data.extinction_first, title="first extinction block")
    core.bar_panel(axes[2], data.extinction_last, title="last extinction block")
    core.bar_panel(axes[3], data.recall, title="24 h recall (B)")
    fig.suptitle(TITLE, fontsize=8)
    return fig


def checks(data: xr.Dataset) -> list[Check]:
    design = core.design_of(data)
    out = []
    ctl = core.values(data.recall, CONTROL_LABEL)
    ctl_first = core.values(data.extinction_first, CONTROL_LABEL)
    for grp in (SYSTEMIC, LOCAL):
        cite = f"{CITE}; {SOURCE[grp]}"
        first, last = (core.values(data[v], grp) for v in ("extinction_first",
                                                           "extinction_last"))
        t = TARGETS["2.3"]
        out.append(core.equivalence_check(
            f"{grp}: fear expression spared (first extinction block)", cite, first, ctl_first,
            (grp.split(" (")[0], "control"), t.margin, design, t.describe()))
        out.append(fig_control.decline_check(
            f"{grp}: freezing still declines within extinction", cite, first, last))
        blk = core.values(data.recall, grp)
        ratio = stats.mean(blk) / stats.mean(ctl) if stats.mean(ctl) > 0 else float("inf")
        c = stats.compare(blk, ctl, design)
        t = TARGETS["2.2"]
        out.append(core.from_comparison(
            f"{grp}: 24 h recall impaired", cite,
            f"{stats.fmt_ms(blk)} vs control {stats.fmt_ms(ctl)} ({ratio:.2f}x)",
            t.describe(), ratio >= t.ratio and c.diff > 0, c))
    return out
